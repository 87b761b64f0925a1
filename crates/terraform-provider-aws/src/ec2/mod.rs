//! EC2 helpers shared by resources: error codes, poll back-off, the batched AMI waiter and
//! reader, optional reads.

pub mod backoff;
pub mod bare_500;
pub mod batcher;
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

/// Locks `m`, carrying on after a panic elsewhere: the data behind these locks (lists of
/// waiters and senders, plain fields) stays consistent enough to use, and poisoning would fail
/// every later read or wait.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
