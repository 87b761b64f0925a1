//! Conversions between this crate's types and the protocol messages.

use crate::codec::{json, msgpack, types::type_to_json_bytes};
use crate::diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use crate::identity::IdentitySchema;
use crate::proto::tfplugin6 as pb;
use crate::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use crate::value::{Type, Value};

pub fn schema(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block(&s.block, s.version)),
    }
}

pub fn identity_schema(s: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| pb::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: type_to_json_bytes(&a.ty),
                required_for_import: a.required_for_import,
                optional_for_import: a.optional_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}

fn block(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: b.deprecated,
    }
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: type_to_json_bytes(&a.ty),
        nested_type: None,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: a.deprecated,
        write_only: false,
    }
}

fn nested_block(n: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode as M;
    let nesting = match n.nesting {
        Nesting::Single => M::Single,
        Nesting::List => M::List,
        Nesting::Set => M::Set,
        Nesting::Map => M::Map,
        Nesting::Group => M::Group,
    };
    pb::schema::NestedBlock {
        type_name: n.type_name.clone(),
        block: Some(block(&n.block, 0)),
        nesting: nesting as i32,
        min_items: n.min_items,
        max_items: n.max_items,
    }
}

pub fn attribute_path(p: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    let steps =
        p.0.iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attr(a) => Selector::AttributeName(a.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect();
    pb::AttributePath { steps }
}

pub fn diagnostic(d: &Diagnostic) -> pb::Diagnostic {
    let severity = match d.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.path.as_ref().map(attribute_path),
    }
}

pub fn diagnostics(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    d.0.iter().map(diagnostic).collect()
}

/// Decodes a DynamicValue (msgpack, or JSON when that is what was sent); absent means null.
pub fn decode_dynamic(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostics> {
    let result = match dv {
        None => Ok(Value::Null),
        Some(dv) if !dv.msgpack.is_empty() => msgpack::decode(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => json::decode(&dv.json, ty),
        Some(_) => Ok(Value::Null),
    };
    result.map_err(|e| {
        Diagnostic::error(
            format!("Invalid {what} from Terraform"),
            format!("The provider could not decode the {what}: {e}"),
        )
        .into()
    })
}

/// Encodes a value the provider returns; a mismatch with the schema is the provider's bug and
/// is reported as an error diagnostic rather than sent.
pub fn encode_dynamic(v: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostics> {
    msgpack::encode(v, ty).map(|msgpack| pb::DynamicValue { msgpack, json: vec![] }).map_err(|e| {
        Diagnostic::error(
            format!("Provider produced an invalid {what}"),
            format!("The {what} does not match the resource schema: {e}. This is a bug in the provider."),
        )
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_conversion() {
        let s = Schema {
            version: 2,
            block: Block::new("root")
                .attr(Attribute::required("name", Type::String, "the name"))
                .attr(Attribute::optional("secret", Type::String, "").sensitive())
                .attr(Attribute::computed("tags", Type::map(Type::String), ""))
                .block(NestedBlock::new("timeouts", Nesting::Single, Block::new("")).max_items(1)),
        };
        let p = schema(&s);
        assert_eq!(p.version, 2);
        let b = p.block.unwrap();
        assert_eq!(b.version, 2);
        assert_eq!(b.attributes[0].r#type, b"\"string\"");
        assert!(b.attributes[0].required);
        assert!(b.attributes[1].sensitive && b.attributes[1].optional);
        assert_eq!(b.attributes[2].r#type, br#"["map","string"]"#);
        assert!(b.attributes[2].computed);
        assert_eq!(
            b.block_types[0].nesting,
            pb::schema::nested_block::NestingMode::Single as i32
        );
        assert_eq!(b.block_types[0].max_items, 1);
    }

    #[test]
    fn diagnostic_with_path() {
        let d = Diagnostic::error("bad", "very bad")
            .at(AttributePath::root("tags").key("Name").index(3));
        let p = diagnostic(&d);
        assert_eq!(p.severity, pb::diagnostic::Severity::Error as i32);
        use pb::attribute_path::step::Selector;
        let steps: Vec<_> = p
            .attribute
            .unwrap()
            .steps
            .into_iter()
            .map(|s| s.selector.unwrap())
            .collect();
        assert_eq!(
            steps,
            vec![
                Selector::AttributeName("tags".into()),
                Selector::ElementKeyString("Name".into()),
                Selector::ElementKeyInt(3)
            ]
        );
        let w = diagnostic(&Diagnostic::warning("w", ""));
        assert_eq!(w.severity, pb::diagnostic::Severity::Warning as i32);
        assert!(w.attribute.is_none());
    }

    #[test]
    fn bad_dynamic_value_is_a_diagnostic() {
        let dv = pb::DynamicValue {
            msgpack: vec![0xa5, b'a'],
            json: vec![],
        };
        let d = decode_dynamic(Some(&dv), &Type::String, "configuration").unwrap_err();
        assert!(d.has_errors());
        assert_eq!(
            decode_dynamic(None, &Type::String, "x").unwrap(),
            Value::Null
        );
        let j = pb::DynamicValue {
            msgpack: vec![],
            json: br#"{"a":"b"}"#.to_vec(),
        };
        let t = Type::Object([("a".to_string(), Type::String)].into());
        assert_eq!(
            decode_dynamic(Some(&j), &t, "x").unwrap().get("a").as_str(),
            Some("b")
        );
    }
}
