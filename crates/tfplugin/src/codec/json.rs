//! TODO(helper): JSON decoding of stored state against a schema.
use crate::diag::Diagnostics;
use crate::schema::Block;
use crate::value::Value;

pub fn decode_state(_block: &Block, _raw: &[u8]) -> Result<Value, Diagnostics> {
    todo!()
}
