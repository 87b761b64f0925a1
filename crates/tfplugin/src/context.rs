//! What every provider, resource and data source call receives.

use tokio_util::sync::CancellationToken;

/// Per-call context. `stop` is cancelled when Terraform calls StopProvider (Ctrl-C) or the
/// plugin is being shut down: long operations must watch it and return promptly.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Cancelled on StopProvider or shutdown.
    pub stop: CancellationToken,
}
