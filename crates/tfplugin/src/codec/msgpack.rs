//! msgpack encoding of cty values (`DynamicValue.msgpack`), directed by the value's `Type`:
//! msgpack cannot tell a list from a set or a map from an object, so the type decides.
//!
//! Wire rules (cty's): null is nil; an unknown is extension type 0 (refined unknowns from
//! newer Terraform use extension type 12 and decode as plain unknowns); numbers are integers
//! when integral, else float64, and may arrive as strings; objects are maps holding every
//! attribute; lists, sets and tuples are arrays; a value of `Dynamic` type is a two-element
//! array of its JSON type and the value.

use super::types::{type_from_json_bytes, type_to_json_bytes};
use crate::value::{Number, Type, Value};
use rmpv::Value as Mp;
use std::collections::BTreeMap;

/// cty's extension type for an unknown value.
const EXT_UNKNOWN: i8 = 0;
/// cty's extension type for an unknown value carrying refinements (e.g. "not null").
const EXT_REFINED_UNKNOWN: i8 = 12;

/// Encodes `value` as a value of type `ty`. Errors name the offending path.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(64);
    encode_into(&mut out, value, ty, &mut String::new())?;
    Ok(out)
}

/// Decodes msgpack bytes as a value of type `ty`.
pub fn decode(raw: &[u8], ty: &Type) -> Result<Value, String> {
    let mut rd = raw;
    let mp = rmpv::decode::read_value(&mut rd).map_err(|e| format!("invalid msgpack: {e}"))?;
    if !rd.is_empty() {
        return Err(format!("{} trailing bytes after msgpack value", rd.len()));
    }
    from_mp(&mp, ty, &mut String::new())
}

// rmp's writers only fail when the writer fails, and a Vec never does.
fn w<T, E>(r: Result<T, E>) {
    let _ = r;
}

fn mismatch(path: &str, expected: &str, got: &Value) -> String {
    let at = if path.is_empty() {
        "the value".to_string()
    } else {
        path.to_string()
    };
    format!("{at}: expected {expected}, got {}", describe(got))
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Map(_) => "map",
    }
}

fn with_segment<T>(path: &mut String, seg: &str, f: impl FnOnce(&mut String) -> T) -> T {
    let len = path.len();
    path.push_str(seg);
    let r = f(path);
    path.truncate(len);
    r
}

fn encode_into(
    out: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    path: &mut String,
) -> Result<(), String> {
    match value {
        Value::Null => {
            w(rmp::encode::write_nil(out));
            return Ok(());
        }
        Value::Unknown => {
            w(rmp::encode::write_ext_meta(out, 1, EXT_UNKNOWN));
            out.push(0);
            return Ok(());
        }
        _ => {}
    }
    match (ty, value) {
        (Type::Dynamic, v) => {
            let inferred = infer_type(v);
            w(rmp::encode::write_array_len(out, 2));
            w(rmp::encode::write_bin(out, &type_to_json_bytes(&inferred)));
            encode_into(out, v, &inferred, path)
        }
        (Type::Bool, Value::Bool(b)) => {
            w(rmp::encode::write_bool(out, *b));
            Ok(())
        }
        (Type::Number, Value::Number(n)) => {
            encode_number(out, *n);
            Ok(())
        }
        // cty accepts a number spelt as a string; let it validate the digits.
        (Type::Number, Value::String(s)) if s.parse::<f64>().is_ok() => {
            w(rmp::encode::write_str(out, s));
            Ok(())
        }
        (Type::String, Value::String(s)) => {
            w(rmp::encode::write_str(out, s));
            Ok(())
        }
        (Type::List(e) | Type::Set(e), Value::List(items)) => {
            w(rmp::encode::write_array_len(out, items.len() as u32));
            for (i, item) in items.iter().enumerate() {
                with_segment(path, &format!("[{i}]"), |p| encode_into(out, item, e, p))?;
            }
            Ok(())
        }
        (Type::Tuple(types), Value::List(items)) => {
            if types.len() != items.len() {
                return Err(format!(
                    "{path}: tuple needs {} elements, got {}",
                    types.len(),
                    items.len()
                ));
            }
            w(rmp::encode::write_array_len(out, items.len() as u32));
            for (i, (item, t)) in items.iter().zip(types).enumerate() {
                with_segment(path, &format!("[{i}]"), |p| encode_into(out, item, t, p))?;
            }
            Ok(())
        }
        (Type::Map(e), Value::Map(m)) => {
            w(rmp::encode::write_map_len(out, m.len() as u32));
            for (k, v) in m {
                w(rmp::encode::write_str(out, k));
                with_segment(path, &format!("[{k:?}]"), |p| encode_into(out, v, e, p))?;
            }
            Ok(())
        }
        (Type::Object(attrs), Value::Map(m)) => {
            // Every attribute of the type is written, absent ones as null; keys the type does
            // not have are left out, since Terraform would reject the whole value.
            w(rmp::encode::write_map_len(out, attrs.len() as u32));
            for (name, t) in attrs {
                w(rmp::encode::write_str(out, name));
                let v = m.get(name).unwrap_or(&Value::Null);
                let seg = if path.is_empty() {
                    name.clone()
                } else {
                    format!(".{name}")
                };
                with_segment(path, &seg, |p| encode_into(out, v, t, p))?;
            }
            Ok(())
        }
        (Type::Bool, v) => Err(mismatch(path, "bool", v)),
        (Type::Number, v) => Err(mismatch(path, "number", v)),
        (Type::String, v) => Err(mismatch(path, "string", v)),
        (Type::List(_) | Type::Set(_) | Type::Tuple(_), v) => Err(mismatch(path, "list", v)),
        (Type::Map(_) | Type::Object(_), v) => Err(mismatch(path, "map or object", v)),
    }
}

fn encode_number(out: &mut Vec<u8>, n: Number) {
    match n {
        Number::Int(i) => w(rmp::encode::write_sint(out, i)),
        Number::Float(f) => w(rmp::encode::write_f64(out, f)),
    }
}

/// The type of a value placed in a `Dynamic` slot: maps become objects and lists tuples,
/// the most precise types that hold any such value.
fn infer_type(v: &Value) -> Type {
    match v {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::Tuple(items.iter().map(infer_type).collect()),
        Value::Map(m) => Type::Object(m.iter().map(|(k, v)| (k.clone(), infer_type(v))).collect()),
    }
}

fn from_mp(mp: &Mp, ty: &Type, path: &mut String) -> Result<Value, String> {
    let at = |path: &String| {
        if path.is_empty() {
            "the value".to_string()
        } else {
            path.clone()
        }
    };
    match mp {
        Mp::Nil => return Ok(Value::Null),
        Mp::Ext(EXT_UNKNOWN | EXT_REFINED_UNKNOWN, _) => return Ok(Value::Unknown),
        _ => {}
    }
    match ty {
        Type::Dynamic => {
            let parts = match mp {
                Mp::Array(parts) if parts.len() == 2 => parts,
                _ => {
                    return Err(format!(
                        "{}: a dynamic value must be [type, value]",
                        at(path)
                    ))
                }
            };
            let raw_ty = match &parts[0] {
                Mp::Binary(b) => b.as_slice(),
                Mp::String(s) => s.as_bytes(),
                _ => {
                    return Err(format!(
                        "{}: dynamic value type must be JSON bytes",
                        at(path)
                    ))
                }
            };
            let inner = type_from_json_bytes(raw_ty).map_err(|e| format!("{}: {e}", at(path)))?;
            from_mp(&parts[1], &inner, path)
        }
        Type::Bool => match mp {
            Mp::Boolean(b) => Ok(Value::Bool(*b)),
            _ => Err(format!("{}: expected bool", at(path))),
        },
        Type::Number => match mp {
            Mp::Integer(i) => Ok(Value::Number(match i.as_i64() {
                Some(i) => Number::Int(i),
                None => Number::Float(i.as_f64().unwrap_or(f64::NAN)),
            })),
            Mp::F32(f) => Ok(Value::Number(Number::Float(f64::from(*f)))),
            Mp::F64(f) => Ok(Value::Number(Number::Float(*f))),
            Mp::String(s) => match s.as_str() {
                Some(s) => {
                    parse_number(s).ok_or_else(|| format!("{}: {s:?} is not a number", at(path)))
                }
                None => Err(format!("{}: number string is not UTF-8", at(path))),
            },
            _ => Err(format!("{}: expected number", at(path))),
        },
        Type::String => match mp {
            Mp::String(s) => match s.as_str() {
                Some(s) => Ok(Value::String(s.to_string())),
                None => Err(format!("{}: string is not UTF-8", at(path))),
            },
            _ => Err(format!("{}: expected string", at(path))),
        },
        Type::List(e) | Type::Set(e) => match mp {
            Mp::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(with_segment(path, &format!("[{i}]"), |p| {
                        from_mp(item, e, p)
                    })?);
                }
                Ok(Value::List(out))
            }
            _ => Err(format!("{}: expected array", at(path))),
        },
        Type::Tuple(types) => match mp {
            Mp::Array(items) if items.len() == types.len() => {
                let mut out = Vec::with_capacity(items.len());
                for (i, (item, t)) in items.iter().zip(types).enumerate() {
                    out.push(with_segment(path, &format!("[{i}]"), |p| {
                        from_mp(item, t, p)
                    })?);
                }
                Ok(Value::List(out))
            }
            _ => Err(format!(
                "{}: expected array of {} elements",
                at(path),
                types.len()
            )),
        },
        Type::Map(e) => match mp {
            Mp::Map(entries) => {
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    let key = map_key(k)
                        .ok_or_else(|| format!("{}: map key must be a string", at(path)))?;
                    let val = with_segment(path, &format!("[{key:?}]"), |p| from_mp(v, e, p))?;
                    out.insert(key.to_string(), val);
                }
                Ok(Value::Map(out))
            }
            _ => Err(format!("{}: expected map", at(path))),
        },
        Type::Object(attrs) => match mp {
            Mp::Map(entries) => {
                let mut out: BTreeMap<String, Value> =
                    attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
                for (k, v) in entries {
                    let key = map_key(k)
                        .ok_or_else(|| format!("{}: attribute name must be a string", at(path)))?;
                    // Attributes the type does not know are dropped, like cty does.
                    let Some(t) = attrs.get(key) else { continue };
                    let seg = if path.is_empty() {
                        key.to_string()
                    } else {
                        format!(".{key}")
                    };
                    let val = with_segment(path, &seg, |p| from_mp(v, t, p))?;
                    out.insert(key.to_string(), val);
                }
                Ok(Value::Map(out))
            }
            _ => Err(format!("{}: expected object", at(path))),
        },
    }
}

fn map_key(k: &Mp) -> Option<&str> {
    match k {
        Mp::String(s) => s.as_str(),
        _ => None,
    }
}

/// Parses a number given as text; integers stay exact.
pub(crate) fn parse_number(s: &str) -> Option<Value> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::Number(Number::Int(i)));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(|f| Value::Number(Number::Float(f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Type)]) -> Type {
        Type::Object(
            pairs
                .iter()
                .map(|(k, t)| (k.to_string(), t.clone()))
                .collect(),
        )
    }
    fn val(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
    fn round_trip(v: &Value, t: &Type) -> Value {
        let bytes = encode(v, t).expect("encode");
        decode(&bytes, t).expect("decode")
    }

    #[test]
    fn unknown_and_null_bytes() {
        assert_eq!(
            encode(&Value::Unknown, &Type::String).unwrap(),
            vec![0xd4, 0, 0]
        );
        assert_eq!(encode(&Value::Null, &Type::String).unwrap(), vec![0xc0]);
        assert_eq!(
            decode(&[0xd4, 0, 0], &Type::Number).unwrap(),
            Value::Unknown
        );
        assert_eq!(
            decode(&[0xc0], &Type::list(Type::String)).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn refined_unknown_decodes_as_unknown() {
        // ext 12 carrying a refinement map {1: true} ("definitely not null").
        let raw = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3];
        assert_eq!(decode(&raw, &Type::String).unwrap(), Value::Unknown);
    }

    #[test]
    fn ints_stay_ints_and_floats_stay_floats() {
        assert_eq!(encode(&Value::int(5), &Type::Number).unwrap(), vec![0x05]);
        assert_eq!(encode(&Value::int(-1), &Type::Number).unwrap(), vec![0xff]);
        let f = encode(&Value::Number(Number::Float(1.5)), &Type::Number).unwrap();
        assert_eq!(f[0], 0xcb);
        assert_eq!(
            round_trip(&Value::int(i64::MAX), &Type::Number),
            Value::int(i64::MAX)
        );
        assert_eq!(
            round_trip(&Value::int(i64::MIN), &Type::Number),
            Value::int(i64::MIN)
        );
        assert_eq!(
            round_trip(&Value::Number(Number::Float(2.25)), &Type::Number),
            Value::Number(Number::Float(2.25))
        );
        // u64 beyond i64 becomes a float rather than wrapping.
        let mut big = Vec::new();
        rmp::encode::write_uint(&mut big, u64::MAX).unwrap();
        assert!(matches!(
            decode(&big, &Type::Number).unwrap(),
            Value::Number(Number::Float(_))
        ));
    }

    #[test]
    fn numbers_as_strings_are_accepted() {
        let mut raw = Vec::new();
        rmp::encode::write_str(&mut raw, "42").unwrap();
        assert_eq!(decode(&raw, &Type::Number).unwrap(), Value::int(42));
        raw.clear();
        rmp::encode::write_str(&mut raw, "0.5").unwrap();
        assert_eq!(
            decode(&raw, &Type::Number).unwrap(),
            Value::Number(Number::Float(0.5))
        );
        raw.clear();
        rmp::encode::write_str(&mut raw, "abc").unwrap();
        assert!(decode(&raw, &Type::Number).is_err());
    }

    #[test]
    fn object_round_trip_with_unknown_nested_and_missing_attributes() {
        let t = obj(&[
            ("id", Type::String),
            ("count", Type::Number),
            ("enabled", Type::Bool),
            ("tags", Type::map(Type::String)),
            ("ids", Type::set(Type::String)),
            (
                "nested",
                Type::list(obj(&[("a", Type::String), ("b", Type::Number)])),
            ),
        ]);
        let v = val(&[
            ("id", Value::Unknown),
            ("count", Value::int(3)),
            ("tags", Value::string_map([("Name", "x"), ("Env", "y")])),
            ("ids", Value::List(vec![Value::string("a"), Value::Unknown])),
            (
                "nested",
                Value::List(vec![val(&[("a", Value::Unknown), ("b", Value::Null)])]),
            ),
        ]);
        let back = round_trip(&v, &t);
        // The missing attribute comes back as an explicit null.
        let mut expected = v.clone();
        expected.set("enabled", Value::Null);
        assert_eq!(back, expected);
        assert!(back.get("nested").contains_unknown());
    }

    #[test]
    fn object_encoding_writes_every_attribute_and_drops_extras() {
        let t = obj(&[("a", Type::String), ("b", Type::String)]);
        let v = val(&[("a", Value::string("x")), ("zzz", Value::string("extra"))]);
        let raw = encode(&v, &t).unwrap();
        let mp = rmpv::decode::read_value(&mut raw.as_slice()).unwrap();
        let m = mp.as_map().unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].0.as_str(), Some("b"));
        assert!(m[1].1.is_nil());
    }

    #[test]
    fn decoding_drops_unknown_attributes() {
        let wide = obj(&[("a", Type::String), ("old", Type::String)]);
        let narrow = obj(&[("a", Type::String)]);
        let raw = encode(
            &val(&[("a", Value::string("x")), ("old", Value::string("y"))]),
            &wide,
        )
        .unwrap();
        assert_eq!(
            decode(&raw, &narrow).unwrap(),
            val(&[("a", Value::string("x"))])
        );
    }

    #[test]
    fn sets_and_tuples() {
        let set = Type::set(Type::Number);
        let v = Value::List(vec![Value::int(1), Value::int(2)]);
        assert_eq!(round_trip(&v, &set), v);
        let tup = Type::Tuple(vec![Type::String, Type::Bool]);
        let v = Value::List(vec![Value::string("a"), Value::Bool(true)]);
        assert_eq!(round_trip(&v, &tup), v);
        assert!(encode(&Value::List(vec![]), &tup).is_err());
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = val(&[
            ("n", Value::int(1)),
            ("s", Value::List(vec![Value::string("x")])),
        ]);
        let raw = encode(&v, &Type::Dynamic).unwrap();
        let mp = rmpv::decode::read_value(&mut raw.as_slice()).unwrap();
        let parts = mp.as_array().unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0].as_slice().unwrap(),
            br#"["object",{"n":"number","s":["tuple",["string"]]}]"#
        );
        assert_eq!(decode(&raw, &Type::Dynamic).unwrap(), v);
        assert_eq!(encode(&Value::Null, &Type::Dynamic).unwrap(), vec![0xc0]);
    }

    #[test]
    fn type_mismatches_are_errors_with_paths() {
        let t = obj(&[("tags", Type::map(Type::String))]);
        let v = val(&[("tags", Value::string_map([("k", "v")]))]);
        let mut bad = v.clone();
        bad.set(
            "tags",
            Value::Map(BTreeMap::from([("k".to_string(), Value::int(1))])),
        );
        let err = encode(&bad, &t).unwrap_err();
        assert!(err.contains("tags[\"k\"]"), "{err}");
        assert!(decode(b"\x01", &Type::String).is_err());
        assert!(decode(b"\xc0\xc0", &Type::String).is_err());
        assert!(decode(b"", &Type::String).is_err());
        assert!(decode(b"\x92\x01", &Type::list(Type::Number)).is_err());
    }
}
