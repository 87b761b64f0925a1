//! A generic server for Terraform's plugin protocol version 6.
//!
//! It knows nothing of any cloud: a provider implements [`Provider`], for each resource type
//! [`Resource`] and for each data source [`DataSource`], with [`Value`]s, [`Schema`]s and
//! [`Diagnostics`], and calls [`serve`] from `main`. Start with the [`resource`] module's
//! documentation: it describes the life of one apply and what a resource type has to write;
//! [`data_source`] says the same for a data source; [`identity`] and [`list_resource`] say how
//! a resource type is imported by identity and listed by `terraform query`.
//!
//! The framework part, shared by every resource: [`schema`] (attributes with their declared
//! rules), [`config_checks`] (validators), [`plan_defaults`] (defaults, unknowns, replacements),
//! [`apply_result`] (the new state after an apply), [`configured`] (what `configure` hands to
//! resources), [`expected_reads`] (the refresh reads Terraform has announced, for batching).
//!
//! The protocol part: `handshake` (go-plugin environment and stdout line), `tls` (pinned mTLS
//! with P-521 client certificates), `server` (runtime, accept loop, Shutdown), `service` (the
//! gRPC methods), `list_stream` (a listing's results as a gRPC stream), `convert` (schemas and
//! diagnostics to protocol messages), `codec` (cty values as msgpack and JSON), `logging`
//! (go-hclog JSON on stderr), [`redact`] (secrets kept out of every log line) and, with the
//! `testing` feature, `testing` (a client that plays Terraform's part in tests).

#![warn(missing_docs)]

pub mod apply_result;
pub mod codec;
pub mod config_checks;
pub mod configured;
pub mod context;
mod convert;
pub mod data_source;
pub mod diag;
pub mod expected_reads;
pub mod handshake;
pub mod identity;
pub mod list_resource;
mod list_stream;
mod logging;
pub mod plan_defaults;
pub mod proto;
pub mod provider;
pub mod redact;
pub mod resource;
pub mod schema;
mod server;
mod service;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
pub mod value;

pub use configured::Configured;
pub use data_source::{DataSource, ReadDataRequest, ReadDataResponse};
pub use diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
pub use identity::{IdentityAttribute, IdentitySchema};
pub use list_resource::{ListRequest, ListResource, ListResult, ListSink};
pub use provider::*;
pub use resource::{default_plan, Resource};
pub use schema::{Attribute, Block, NestedBlock, Nesting, Schema, Validator};
pub use server::{serve, serve_version};
pub use value::{Number, Type, Value};
