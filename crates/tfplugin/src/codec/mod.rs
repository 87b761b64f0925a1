//! cty value encodings: msgpack (DynamicValue.msgpack, used for every call) and JSON (stored state).
pub mod json;
pub mod msgpack;
