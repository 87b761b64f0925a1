//! EC2 helpers shared by resources: error codes, poll back-off, the batched AMI waiter and
//! reader, optional reads.

pub mod backoff;
pub mod call;
pub mod copy_eta;
pub mod errors;
#[cfg(test)]
pub mod fake_client;
pub mod image_reader;
pub mod image_state;
pub mod image_waiter;
pub mod optional_read;
pub mod server_clock;
pub mod uefi;
