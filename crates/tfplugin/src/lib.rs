//! A generic server for Terraform's plugin protocol version 6.
//!
//! It knows nothing of any cloud: a provider implements [`Provider`] and [`Resource`] with
//! [`Value`]s, [`Schema`]s and [`Diagnostics`], and calls [`serve`] from `main`.
//!
//! Inside: `handshake` (go-plugin environment and stdout line), `tls` (pinned mTLS with
//! P-521 client certificates), `server` (runtime, accept loop, Shutdown), `service` (the
//! gRPC methods), `convert` (schemas and diagnostics to protocol messages), `codec` (cty
//! values as msgpack and JSON), `logging` (go-hclog JSON on stderr) and `testing` (a client
//! that plays Terraform's part in tests).

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
pub use server::{serve, serve_version};
pub use value::{Number, Type, Value};
