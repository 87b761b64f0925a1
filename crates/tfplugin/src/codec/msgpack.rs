//! TODO(helper): msgpack encoding of cty values.
