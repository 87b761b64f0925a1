//! EC2 helpers shared by resources: error codes, poll back-off, the batched AMI waiter.

pub mod backoff;
pub mod errors;
pub mod image_state;
pub mod image_waiter;
