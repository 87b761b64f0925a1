//! cty value encodings: msgpack (DynamicValue.msgpack, used for every call), JSON (stored
//! state) and the JSON form of types (schemas).
pub mod json;
pub mod msgpack;
pub mod types;
