//! What a provider implements. The server (`serve`) turns gRPC calls into these calls, decoding
//! values with the schema's type and encoding the answers back.

use crate::diag::{AttributePath, Diagnostics};
use crate::schema::Schema;
use crate::value::Value;
use async_trait::async_trait;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Per-call context. `stop` is cancelled when Terraform calls StopProvider (Ctrl-C) or the
/// plugin is being shut down: long operations must watch it and return promptly.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub stop: CancellationToken,
}

/// ConfigureProvider's input.
#[derive(Clone, Debug)]
pub struct ConfigureRequest {
    pub terraform_version: String,
    pub config: Value,
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Schema of the `provider` block.
    fn schema(&self) -> Schema;
    /// Schema of `terraform { provider_meta "NAME" { ... } }` in modules, if the provider has
    /// one. Terraform refuses a module's provider_meta block for a provider without it.
    fn meta_schema(&self) -> Option<Schema> {
        None
    }
    /// The managed resource types this provider serves, by full type name (`aws_ami_copy`).
    fn resources(&self) -> Vec<(String, Arc<dyn Resource>)>;

    /// Static checks of the provider block (may see unknown values). No network calls.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    /// Set up clients from the provider block; resources are called only after this succeeds.
    async fn configure(&self, ctx: &Context, req: ConfigureRequest) -> Diagnostics;
}

#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// Null on create.
    pub prior_state: Value,
    /// Terraform's merge of config into prior state; null on destroy.
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct PlanResponse {
    pub planned_state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ApplyRequest {
    /// Null on create.
    pub prior_state: Value,
    /// Null on destroy.
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct ApplyResponse {
    /// Null after destroy. On a failed create, whatever is known (at least the id) so Terraform
    /// keeps track of the cloud object.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ReadRequest {
    pub current_state: Value,
    pub private: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct ReadResponse {
    /// Null when the object is gone: Terraform drops it from state and plans a create.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug, Default)]
pub struct ImportResponse {
    /// States to import (usually one, holding at least the id; Terraform reads it afterwards).
    pub imported: Vec<Value>,
    pub diagnostics: Diagnostics,
}

#[async_trait]
pub trait Resource: Send + Sync + 'static {
    fn schema(&self) -> Schema;

    /// Static checks of the configuration (values may be unknown). No network calls.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn plan(&self, ctx: &Context, req: PlanRequest) -> PlanResponse;
    async fn apply(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse;
    async fn read(&self, ctx: &Context, req: ReadRequest) -> ReadResponse;
    async fn import(&self, _ctx: &Context, _id: &str) -> ImportResponse {
        let mut diagnostics = Diagnostics::new();
        diagnostics.error(
            "Import not supported",
            "This resource type cannot be imported.",
        );
        ImportResponse {
            imported: vec![],
            diagnostics,
        }
    }
    /// Upgrades a stored state (`raw_json`, written by schema `version`) to the current schema.
    /// The default decodes the JSON against the current schema, dropping attributes it no
    /// longer has, which is right whenever the schema only gained attributes.
    async fn upgrade_state(&self, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        let _ = version;
        crate::codec::json::decode_state(&self.schema().block, raw_json)
    }
}
