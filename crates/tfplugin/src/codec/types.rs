//! cty types in their JSON form, as schemas carry them (`"string"`, `["map","string"]`,
//! `["object",{"a":"number"}]`, `["tuple",["bool"]]`, `"dynamic"`).

use crate::value::Type;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The JSON form of a type, as the bytes Terraform expects in `Schema.Attribute.type`.
pub fn type_to_json_bytes(ty: &Type) -> Vec<u8> {
    // Serialising a serde_json::Value cannot fail.
    serde_json::to_vec(&type_to_json(ty)).unwrap_or_default()
}

/// A cty type as Terraform writes it in JSON (`"string"`, `["map","string"]`).
pub fn type_to_json(ty: &Type) -> Json {
    match ty {
        Type::Bool => Json::from("bool"),
        Type::Number => Json::from("number"),
        Type::String => Json::from("string"),
        Type::Dynamic => Json::from("dynamic"),
        Type::List(e) => Json::Array(vec!["list".into(), type_to_json(e)]),
        Type::Set(e) => Json::Array(vec!["set".into(), type_to_json(e)]),
        Type::Map(e) => Json::Array(vec!["map".into(), type_to_json(e)]),
        Type::Object(attrs) => {
            let m = attrs
                .iter()
                .map(|(k, t)| (k.clone(), type_to_json(t)))
                .collect();
            Json::Array(vec!["object".into(), Json::Object(m)])
        }
        Type::Tuple(elems) => Json::Array(vec![
            "tuple".into(),
            Json::Array(elems.iter().map(type_to_json).collect()),
        ]),
    }
}

/// Parses a cty type from its JSON bytes.
pub fn type_from_json_bytes(raw: &[u8]) -> Result<Type, String> {
    let j: Json = serde_json::from_slice(raw).map_err(|e| format!("type is not JSON: {e}"))?;
    type_from_json(&j)
}

/// Parses a cty type from its JSON form.
pub fn type_from_json(j: &Json) -> Result<Type, String> {
    match j {
        Json::String(s) => match s.as_str() {
            "bool" => Ok(Type::Bool),
            "number" => Ok(Type::Number),
            "string" => Ok(Type::String),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(format!("unknown primitive type {other:?}")),
        },
        Json::Array(parts) if parts.len() == 2 => {
            let kind = parts[0].as_str().ok_or("type kind must be a string")?;
            let arg = &parts[1];
            match kind {
                "list" => Ok(Type::list(type_from_json(arg)?)),
                "set" => Ok(Type::set(type_from_json(arg)?)),
                "map" => Ok(Type::map(type_from_json(arg)?)),
                "object" => {
                    let m = arg
                        .as_object()
                        .ok_or("object type needs a map of attributes")?;
                    let mut attrs = BTreeMap::new();
                    for (k, v) in m {
                        attrs.insert(k.clone(), type_from_json(v)?);
                    }
                    Ok(Type::Object(attrs))
                }
                "tuple" => {
                    let elems = arg.as_array().ok_or("tuple type needs a list of types")?;
                    Ok(Type::Tuple(
                        elems.iter().map(type_from_json).collect::<Result<_, _>>()?,
                    ))
                }
                other => Err(format!("unknown type kind {other:?}")),
            }
        }
        // cty writes optional-attribute objects as ["object",{..},["opt",..]]: the third part
        // only matters for type conversion, not for decoding values.
        Json::Array(parts) if parts.len() == 3 && parts[0] == "object" => {
            type_from_json(&Json::Array(parts[..2].to_vec()))
        }
        other => Err(format!("not a type: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(ty: Type, json: &str) {
        assert_eq!(String::from_utf8(type_to_json_bytes(&ty)).unwrap(), json);
        assert_eq!(type_from_json_bytes(json.as_bytes()).unwrap(), ty);
    }

    #[test]
    fn primitives() {
        round_trip(Type::String, r#""string""#);
        round_trip(Type::Number, r#""number""#);
        round_trip(Type::Bool, r#""bool""#);
        round_trip(Type::Dynamic, r#""dynamic""#);
    }

    #[test]
    fn collections_and_structures() {
        round_trip(Type::map(Type::String), r#"["map","string"]"#);
        round_trip(
            Type::set(Type::list(Type::Number)),
            r#"["set",["list","number"]]"#,
        );
        let obj = Type::Object(BTreeMap::from([
            ("a".to_string(), Type::String),
            ("b".to_string(), Type::Tuple(vec![Type::Bool, Type::Number])),
        ]));
        round_trip(
            obj,
            r#"["object",{"a":"string","b":["tuple",["bool","number"]]}]"#,
        );
        round_trip(Type::Object(BTreeMap::new()), r#"["object",{}]"#);
    }

    #[test]
    fn optional_attribute_marker_is_ignored() {
        let t = type_from_json_bytes(br#"["object",{"a":"string"},["a"]]"#).unwrap();
        assert_eq!(
            t,
            Type::Object(BTreeMap::from([("a".to_string(), Type::String)]))
        );
    }

    #[test]
    fn errors() {
        assert!(type_from_json_bytes(b"\"int\"").is_err());
        assert!(type_from_json_bytes(b"[\"list\"]").is_err());
        assert!(type_from_json_bytes(b"[\"object\",[]]").is_err());
        assert!(type_from_json_bytes(b"{").is_err());
    }
}
