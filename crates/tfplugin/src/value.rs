//! cty values and types as Terraform exchanges them.
//!
//! A `Value` is always read against its `Type`: msgpack does not distinguish a list from a set
//! or a map from an object, so decoding needs the schema's type (see `codec`).

use std::collections::BTreeMap;

/// A cty type. `Dynamic` is cty's `DynamicPseudoType`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    Bool,
    Number,
    String,
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
}

/// A number keeps the integer/float distinction so that integers round-trip exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            Number::Float(_) => None,
        }
    }
    pub fn as_f64(&self) -> f64 {
        match *self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// A cty value. `Unknown` is a value not known until apply; `Null` is an absent value.
/// Lists, sets and tuples are `List`; maps and objects are `Map` (the type says which).
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }
    /// A string value, or null when `s` is `None`.
    pub fn opt_string<S: Into<String>>(s: Option<S>) -> Value {
        s.map(|s| Value::String(s.into())).unwrap_or(Value::Null)
    }
    pub fn opt_bool(b: Option<bool>) -> Value {
        b.map(Value::Bool).unwrap_or(Value::Null)
    }
    pub fn opt_int(i: Option<i64>) -> Value {
        i.map(Value::int).unwrap_or(Value::Null)
    }
    /// A map(string) value from string pairs.
    pub fn string_map<I, K, V>(pairs: I) -> Value
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Value::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), Value::String(v.into())))
                .collect(),
        )
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }
    /// True when the value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(v) => v.iter().any(Value::contains_unknown),
            Value::Map(m) => m.values().any(Value::contains_unknown),
            _ => false,
        }
    }
    /// Known and not null.
    pub fn is_known_value(&self) -> bool {
        !self.is_null() && !self.is_unknown()
    }

    /// An object's attribute (or a map's element); `Null` when absent or when self is not a map.
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Map(m) => m.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
    /// Sets an attribute of an object value (turns a null into an empty object first).
    pub fn set(&mut self, name: impl Into<String>, v: Value) {
        if !matches!(self, Value::Map(_)) {
            *self = Value::Map(BTreeMap::new());
        }
        if let Value::Map(m) = self {
            m.insert(name.into(), v);
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) => Some(v),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    /// A known map(string) as string pairs (null and unknown elements are skipped).
    pub fn as_string_map(&self) -> BTreeMap<String, String> {
        self.as_map()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }
    /// The strings of a known list or set (null and unknown elements are skipped).
    pub fn as_string_list(&self) -> Vec<String> {
        self.as_list()
            .map(|v| {
                v.iter()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}
