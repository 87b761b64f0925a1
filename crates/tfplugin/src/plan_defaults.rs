//! The parts of planning every resource shares, read from the attributes' declared rules (see
//! [`crate::schema`]): defaults for what the configuration leaves out, unknown values for what
//! the provider will compute on create, and the attributes whose change needs a new object.

use crate::diag::AttributePath;
use crate::schema::{Attribute, Block, NestedBlock};
use crate::value::Value;

/// Terraform's proposed new state with the schema's rules applied; null when the proposal is
/// null (a destroy). `prior` is null on create.
///
/// - an attribute with a [default](Attribute::default) is planned as that default when the
///   configuration leaves it null;
/// - on create, every other computed attribute the configuration leaves null is unknown: the
///   provider learns it while creating;
/// - a computed block is planned as `computed_block` says.
pub fn planned_state(block: &Block, prior: &Value, proposed: &Value, config: &Value) -> Value {
    if proposed.is_null() {
        return Value::Null;
    }
    let mut planned = proposed.clone();
    for b in block.blocks.iter().filter(|b| b.is_computed()) {
        planned.set(b.type_name.clone(), computed_block(b, prior));
    }
    for a in &block.attributes {
        if !config.get(&a.name).is_null() {
            continue;
        }
        match &a.default {
            Some(d) => planned.set(a.name.clone(), d.clone()),
            None if a.computed && prior.is_null() => planned.set(a.name.clone(), Value::Unknown),
            None => {}
        }
    }
    planned
}

/// A [computed block](NestedBlock::is_computed) is the provider's to describe: on create one
/// element of unknowns (Terraform takes it as "any number of blocks, known after apply"),
/// afterwards what the prior state holds, whatever blocks a configuration (such as one
/// `plan -generate-config-out` wrote) lists.
fn computed_block(b: &NestedBlock, prior: &Value) -> Value {
    if !prior.is_null() {
        return prior.get(&b.type_name).clone();
    }
    let mut placeholder = Value::Map(Default::default());
    for a in &b.block.attributes {
        placeholder.set(a.name.clone(), Value::Unknown);
    }
    Value::List(vec![placeholder])
}

/// The [replace-on-change](Attribute::replace_on_change) attributes that differ between the
/// prior and the planned state; empty on create and destroy. An unknown planned value counts as
/// a change (it may be one); a null counts as the attribute's default.
pub fn requires_replace(block: &Block, prior: &Value, planned: &Value) -> Vec<AttributePath> {
    if prior.is_null() || planned.is_null() {
        return Vec::new();
    }
    block
        .attributes
        .iter()
        .filter(|a| a.replace_on_change && changes(a, prior.get(&a.name), planned.get(&a.name)))
        .map(|a| AttributePath::root(a.name.clone()))
        .collect()
}

fn changes(a: &Attribute, prior: &Value, planned: &Value) -> bool {
    if planned.is_unknown() {
        return true;
    }
    let or_default = |v: &Value| match (&a.default, v) {
        (Some(d), Value::Null) => d.clone(),
        _ => v.clone(),
    };
    or_default(prior) != or_default(planned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Type;

    fn block() -> Block {
        Block::new("b")
            .attr(Attribute::required("name", Type::String, "").replace_on_change())
            .attr(Attribute::optional("note", Type::String, ""))
            .attr(
                Attribute::optional_computed("flag", Type::Bool, "")
                    .default(Value::Bool(false))
                    .replace_on_change(),
            )
            .attr(Attribute::computed("id", Type::String, ""))
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        let mut v = block().null_value();
        for (k, x) in pairs {
            v.set(*k, x.clone());
        }
        v
    }

    #[test]
    fn create_plans_defaults_and_unknown_computed_values() {
        let config = obj(&[("name", Value::string("a"))]);
        let p = planned_state(&block(), &Value::Null, &config, &config);
        assert_eq!(p.get("flag"), &Value::Bool(false));
        assert!(p.get("id").is_unknown());
        assert_eq!(p.get("note"), &Value::Null);
        assert!(requires_replace(&block(), &Value::Null, &p).is_empty());
        assert_eq!(
            planned_state(&block(), &Value::Null, &Value::Null, &config),
            Value::Null
        );
    }

    #[test]
    fn update_keeps_computed_values_and_lists_replacements() {
        let prior = obj(&[("name", Value::string("a")), ("id", Value::string("x"))]);
        let config = obj(&[("name", Value::string("b")), ("note", Value::string("n"))]);
        let mut proposed = config.clone();
        proposed.set("id", Value::string("x"));
        let p = planned_state(&block(), &prior, &proposed, &config);
        assert_eq!(p.get("id"), &Value::string("x"));
        let names: Vec<String> = requires_replace(&block(), &prior, &p)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(names, vec!["name"], "a null flag equals its default false");
        let mut unknown = p.clone();
        unknown.set("flag", Value::Unknown);
        assert_eq!(requires_replace(&block(), &prior, &unknown).len(), 2);
    }
}
