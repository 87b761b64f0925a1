//! EC2 helpers shared by resources: error codes, poll back-off, the batched AMI waiter.

// A toolkit for every resource: some helpers (error predicates, accessors) have no caller yet in
// a given build of this binary crate.
#![allow(dead_code)]

pub mod backoff;
pub mod errors;
pub mod image_waiter;
