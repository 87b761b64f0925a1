//! A generic server for Terraform's plugin protocol version 6.
//!
//! It knows nothing of any cloud: a provider implements [`Provider`] and [`Resource`] with
//! [`Value`]s, [`Schema`]s and [`Diagnostics`], and calls [`serve`] from `main`.

pub mod codec;
pub mod diag;
pub mod provider;
pub mod schema;
pub mod value;

pub use diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
pub use provider::*;
pub use schema::{Attribute, Block, NestedBlock, Nesting, Schema};
pub use value::{Number, Type, Value};
