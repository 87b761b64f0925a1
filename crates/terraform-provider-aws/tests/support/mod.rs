//! For a test file outside the acceptance binary that declares `mod support;`: the same harness.
//! New acceptance tests belong in `acceptance/` as a module; this keeps a stray file compiling
//! until it moves there.
#[path = "../acceptance/support/mod.rs"]
mod harness;
pub use harness::*;
