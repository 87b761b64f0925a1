//! Managed resource types.
