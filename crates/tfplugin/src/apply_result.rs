//! Building the new state an apply returns. Terraform checks it against the plan: every value
//! the plan knew must come back unchanged, and nothing may stay unknown.

use crate::value::Value;

/// Copies every wholly known top-level value of `planned` into `new_state`: Terraform rejects
/// an apply whose result differs from a known planned value, so the plan wins and only what it
/// left unknown comes from the cloud. A value holding unknowns (such as the placeholder element
/// planned for a computed block) is the cloud's to fill in whole.
pub fn overlay_known(planned: &Value, new_state: &mut Value) {
    if let Some(m) = planned.as_map() {
        for (k, v) in m {
            if !v.contains_unknown() {
                new_state.set(k.clone(), v.clone());
            }
        }
    }
}

/// Turns every unknown value, at any depth, into null: what the cloud did not tell us is
/// absent, and Terraform refuses unknown values after an apply.
pub fn resolve_unknowns(v: &mut Value) {
    match v {
        Value::Unknown => *v = Value::Null,
        Value::List(items) => items.iter_mut().for_each(resolve_unknowns),
        Value::Map(m) => m.values_mut().for_each(resolve_unknowns),
        _ => {}
    }
}

/// The state after an apply: `observed` (the object as the cloud describes it) under the known
/// planned values, with what is still unknown made null.
pub fn settle(planned: &Value, mut observed: Value) -> Value {
    overlay_known(planned, &mut observed);
    resolve_unknowns(&mut observed);
    observed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_values_win_and_unknowns_become_null() {
        let mut planned = Value::Null;
        planned.set("name", Value::string("n"));
        planned.set("id", Value::Unknown);
        let mut observed = Value::Null;
        observed.set("name", Value::string("other"));
        observed.set("id", Value::string("ami-1"));
        observed.set("arn", Value::Unknown);
        observed.set("list", Value::List(vec![Value::Unknown]));
        let new = settle(&planned, observed);
        assert_eq!(new.get("name"), &Value::string("n"));
        assert_eq!(new.get("id"), &Value::string("ami-1"));
        assert_eq!(new.get("arn"), &Value::Null);
        assert_eq!(new.get("list"), &Value::List(vec![Value::Null]));

        // A planned placeholder (a list holding unknowns) gives way to what the cloud reports.
        let mut placeholder = Value::Null;
        placeholder.set("device", Value::Unknown);
        planned.set("blocks", Value::List(vec![placeholder]));
        let mut observed = Value::Null;
        let mut device = Value::Null;
        device.set("device", Value::string("/dev/xvda"));
        observed.set("blocks", Value::List(vec![device.clone(), device.clone()]));
        let new = settle(&planned, observed);
        assert_eq!(
            new.get("blocks"),
            &Value::List(vec![device.clone(), device])
        );
    }
}
