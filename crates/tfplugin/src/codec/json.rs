//! JSON decoding of cty values, as Terraform stores state (`RawState.json`): objects hold
//! attributes by name, numbers are JSON numbers, and a `Dynamic` slot holds
//! `{"value": .., "type": ..}`.

use super::msgpack::parse_number;
use super::types::type_from_json;
use crate::diag::{Diagnostic, Diagnostics};
use crate::schema::Block;
use crate::value::{Number, Type, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Decodes a stored state against the current schema: attributes the schema no longer has are
/// dropped and attributes it gained are null.
pub fn decode_state(block: &Block, raw: &[u8]) -> Result<Value, Diagnostics> {
    decode(raw, &block.implied_type()).map_err(|e| {
        Diagnostic::error(
            "Cannot read the stored state",
            format!("The stored state does not match the schema: {e}"),
        )
        .into()
    })
}

/// Decodes JSON bytes as a value of type `ty`. Empty input is null.
pub fn decode(raw: &[u8], ty: &Type) -> Result<Value, String> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    let j: Json = serde_json::from_slice(raw).map_err(|e| format!("invalid JSON: {e}"))?;
    from_json(&j, ty, "")
}

fn at(path: &str) -> &str {
    if path.is_empty() {
        "the value"
    } else {
        path
    }
}

/// Decodes a JSON value of type `ty`; `path` names it in errors.
pub fn from_json(j: &Json, ty: &Type, path: &str) -> Result<Value, String> {
    if j.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        Type::Dynamic => {
            let (Some(t), Some(v)) = (j.get("type"), j.get("value")) else {
                return Err(format!(
                    "{}: a dynamic value must be {{\"value\":..,\"type\":..}}",
                    at(path)
                ));
            };
            let inner = type_from_json(t).map_err(|e| format!("{}: {e}", at(path)))?;
            from_json(v, &inner, path)
        }
        Type::Bool => match j {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            _ => Err(format!("{}: expected bool", at(path))),
        },
        Type::Number => match j {
            Json::Number(n) => Ok(Value::Number(match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Number::Int(i),
                (None, Some(f)) => Number::Float(f),
                (None, None) => return Err(format!("{}: number out of range", at(path))),
            })),
            Json::String(s) => {
                parse_number(s).ok_or_else(|| format!("{}: {s:?} is not a number", at(path)))
            }
            _ => Err(format!("{}: expected number", at(path))),
        },
        // Like cty, primitive values convert to strings.
        Type::String => match j {
            Json::String(s) => Ok(Value::String(s.clone())),
            Json::Number(n) => Ok(Value::String(n.to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(format!("{}: expected string", at(path))),
        },
        Type::List(e) | Type::Set(e) => match j {
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| from_json(item, e, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()
                .map(Value::List),
            _ => Err(format!("{}: expected array", at(path))),
        },
        Type::Tuple(types) => match j {
            Json::Array(items) if items.len() == types.len() => items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (item, t))| from_json(item, t, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()
                .map(Value::List),
            _ => Err(format!(
                "{}: expected array of {} elements",
                at(path),
                types.len()
            )),
        },
        Type::Map(e) => match j {
            Json::Object(m) => m
                .iter()
                .map(|(k, v)| Ok((k.clone(), from_json(v, e, &format!("{path}[{k:?}]"))?)))
                .collect::<Result<BTreeMap<_, _>, String>>()
                .map(Value::Map),
            _ => Err(format!("{}: expected object", at(path))),
        },
        Type::Object(attrs) => match j {
            Json::Object(m) => {
                let mut out = BTreeMap::new();
                for (name, t) in attrs {
                    let sub = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    let v = match m.get(name) {
                        Some(v) => from_json(v, t, &sub)?,
                        None => Value::Null,
                    };
                    out.insert(name.clone(), v);
                }
                Ok(Value::Map(out))
            }
            _ => Err(format!("{}: expected object", at(path))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, NestedBlock, Nesting};

    fn block() -> Block {
        Block::new("test")
            .attr(Attribute::required("name", Type::String, ""))
            .attr(Attribute::optional("count", Type::Number, ""))
            .attr(Attribute::optional("ratio", Type::Number, ""))
            .attr(Attribute::optional("tags", Type::map(Type::String), ""))
            .attr(Attribute::computed("added_later", Type::Bool, ""))
            .block(NestedBlock::new(
                "rule",
                Nesting::List,
                Block::new("").attr(Attribute::optional("port", Type::Number, "")),
            ))
    }

    #[test]
    fn decodes_state_dropping_removed_and_nulling_new_attributes() {
        let raw = br#"{"name":"a","count":3,"ratio":0.5,"tags":{"k":"v"},"removed":"x",
                       "rule":[{"port":22}]}"#;
        let v = decode_state(&block(), raw).unwrap();
        assert_eq!(v.get("name").as_str(), Some("a"));
        assert_eq!(v.get("count"), &Value::int(3));
        assert_eq!(v.get("ratio"), &Value::Number(Number::Float(0.5)));
        assert_eq!(
            v.get("tags").as_string_map().get("k").map(String::as_str),
            Some("v")
        );
        assert_eq!(v.get("added_later"), &Value::Null);
        assert!(v.as_map().unwrap().get("removed").is_none());
        assert!(v.as_map().unwrap().contains_key("added_later"));
        assert_eq!(
            v.get("rule").as_list().unwrap()[0].get("port"),
            &Value::int(22)
        );
    }

    #[test]
    fn bad_state_is_a_diagnostic() {
        let d = decode_state(&block(), br#"{"name":["not","a","string"]}"#).unwrap_err();
        assert!(d.has_errors());
        assert!(d.0[0].detail.contains("name"), "{}", d.0[0].detail);
        assert!(decode_state(&block(), b"{nope").is_err());
    }

    #[test]
    fn empty_or_null_state_is_null() {
        assert_eq!(decode_state(&block(), b"").unwrap(), Value::Null);
        assert_eq!(decode_state(&block(), b"null").unwrap(), Value::Null);
    }

    #[test]
    fn dynamic_and_conversions() {
        let v = decode(
            br#"{"value":["a",1],"type":["tuple",["string","number"]]}"#,
            &Type::Dynamic,
        )
        .unwrap();
        assert_eq!(v, Value::List(vec![Value::string("a"), Value::int(1)]));
        assert_eq!(decode(b"12", &Type::String).unwrap(), Value::string("12"));
        assert_eq!(decode(br#""7""#, &Type::Number).unwrap(), Value::int(7));
        assert_eq!(
            decode(b"[1,2]", &Type::set(Type::Number)).unwrap(),
            Value::List(vec![Value::int(1), Value::int(2)])
        );
    }
}
