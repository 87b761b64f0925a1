//! What a provider's `configure` hands to its resources, and the one answer every resource
//! gives when it is called before that.

use crate::diag::{Diagnostic, Diagnostics};
use std::sync::{Arc, OnceLock};

/// Set once by [`crate::Provider::configure`], read by every resource call. Share it with
/// `Arc` between the provider and the resources it creates in `resources()`.
#[derive(Debug)]
pub struct Configured<T> {
    cell: OnceLock<Arc<T>>,
}

impl<T> Default for Configured<T> {
    fn default() -> Self {
        Configured {
            cell: OnceLock::new(),
        }
    }
}

impl<T> Configured<T> {
    /// Stores the configured value; later calls keep the first (Terraform configures once).
    pub fn set(&self, value: T) {
        let _ = self.cell.set(Arc::new(value));
    }

    /// The configured value, or the "provider not configured" error: Terraform configures a
    /// provider before any resource call, so this only happens when that went wrong.
    pub fn get(&self) -> Result<Arc<T>, Diagnostics> {
        self.cell.get().cloned().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The provider was used before Terraform configured it.",
            )
            .into()
        })
    }
}
