//! Static checks of a configuration against the [validators](crate::schema::Validator) its
//! schema declares, for `ValidateResourceConfig`: no network, every diagnostic at its path.

use crate::diag::{AttributePath, Diagnostics};
use crate::schema::{Block, Nesting};
use crate::value::Value;

/// Runs every attribute's validators on its configured (non-null, and for an attribute where
/// `""` means unset, non-empty) value, in `block` and in its single nested blocks.
pub fn validate(block: &Block, config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    check_block(block, config, &AttributePath::default(), &mut diags);
    diags
}

fn check_block(block: &Block, config: &Value, at: &AttributePath, diags: &mut Diagnostics) {
    for a in &block.attributes {
        let v = config.get(&a.name);
        // `""` is how modules pass "unset" for such an attribute (see `empty_string_is_null`).
        if v.is_null() || (a.empty_string_is_null && v.as_str() == Some("")) {
            continue;
        }
        let path = at.clone().attr(a.name.clone());
        for check in &a.validators {
            check(&path, v, diags);
        }
    }
    for b in &block.blocks {
        if matches!(b.nesting, Nesting::Single | Nesting::Group) {
            let inner = config.get(&b.type_name);
            check_block(
                &b.block,
                inner,
                &at.clone().attr(b.type_name.clone()),
                diags,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, NestedBlock};
    use crate::value::Type;

    fn short(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
        if v.as_str().is_some_and(|s| s.len() > 3) {
            d.attr_error(path.clone(), "Too long", format!("{path} is too long"));
        }
    }

    fn refuse(path: &AttributePath, _: &Value, d: &mut Diagnostics) {
        d.attr_error(path.clone(), "Refused", format!("{path} is refused"));
    }

    #[test]
    fn validators_see_configured_values_at_their_paths() {
        let block = Block::new("b")
            .attr(Attribute::optional("name", Type::String, "").validate(short))
            .attr(
                Attribute::optional_computed("arch", Type::String, "")
                    .empty_string_is_null()
                    .validate(refuse),
            )
            .block(NestedBlock::new(
                "timeouts",
                Nesting::Single,
                Block::new("t")
                    .attr(Attribute::optional("create", Type::String, "").validate(short)),
            ));
        let mut config = block.null_value();
        assert!(validate(&block, &config).is_empty());
        config.set("name", Value::string("long"));
        config.set("arch", Value::Unknown);
        let mut t = Value::Null;
        t.set("create", Value::string("40m"));
        config.set("timeouts", t.clone());
        assert!(validate(&block, &config).0.len() == 2);
        t.set("create", Value::string("40000m"));
        config.set("timeouts", t);
        let paths: Vec<String> = validate(&block, &config)
            .0
            .iter()
            .filter_map(|d| d.path.as_ref().map(|p| p.to_string()))
            .collect();
        assert_eq!(paths, vec!["name", "arch", "timeouts.create"]);
        // `""` is "unset" for `arch`: its validators do not run.
        config.set("arch", Value::string(""));
        assert_eq!(validate(&block, &config).0.len(), 2);
    }
}
