//! A generic server for Terraform's plugin protocol version 6.
//!
//! It knows nothing of any cloud: a provider implements [`Provider`] and [`Resource`] with
//! [`Value`]s, [`Schema`]s and [`Diagnostics`], and calls [`serve`] from `main`.

pub mod codec;
mod convert;
pub mod diag;
pub mod handshake;
mod logging;
pub mod proto;
pub mod provider;
pub mod schema;
mod server;
mod service;
pub mod testing;
mod tls;
pub mod value;

pub use diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
pub use provider::*;
pub use schema::{Attribute, Block, NestedBlock, Nesting, Schema};
pub use server::serve;
pub use value::{Number, Type, Value};
