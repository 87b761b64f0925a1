//! What a provider implements. The server (`serve`) turns gRPC calls into these calls, decoding
//! values with the schema's type and encoding the answers back.

use crate::data_source::DataSource;
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
    /// The managed resource types this provider serves, by full type name (`aws_ami_copy`).
    fn resources(&self) -> Vec<(String, Arc<dyn Resource>)>;
    /// The data source types this provider serves, by full type name (`aws_ami`). None by
    /// default.
    fn data_sources(&self) -> Vec<(String, Arc<dyn DataSource>)> {
        Vec::new()
    }

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

/// MoveResourceState's input: a `moved {}` block whose `from` is another resource type, or the
/// same type of another provider (Terraform 1.8 and later).
#[derive(Clone, Debug)]
pub struct MoveStateRequest {
    /// The fully qualified provider the state comes from (`registry.terraform.io/hashicorp/aws`).
    pub source_provider_address: String,
    /// The resource type the state was written for.
    pub source_type_name: String,
    /// The schema version the source provider wrote the state with.
    pub source_schema_version: i64,
    /// The source state as stored, in JSON (the source's schema, not ours).
    pub source_state_json: Vec<u8>,
    /// The source provider's private data for the object.
    pub source_private: Vec<u8>,
    /// Our resource type the state moves to.
    pub target_type_name: String,
}

/// MoveResourceState's answer.
#[derive(Clone, Debug, Default)]
pub struct MoveStateResponse {
    /// The state in this resource's current schema.
    pub target_state: Value,
    /// Private data to keep with the moved object.
    pub target_private: Vec<u8>,
    /// An error refuses the move; Terraform then changes nothing.
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
    /// Takes over a state written for another resource type or by another provider (a `moved`
    /// block). The default refuses every move; a resource that accepts some sources checks
    /// `source_provider_address`, `source_type_name` and `source_schema_version` itself.
    async fn move_state(&self, _ctx: &Context, req: MoveStateRequest) -> MoveStateResponse {
        MoveStateResponse {
            diagnostics: crate::diag::Diagnostic::error(
                "Move not supported",
                format!(
                    "{} cannot take over the state of {} from {} (schema version {}).",
                    req.target_type_name,
                    req.source_type_name,
                    req.source_provider_address,
                    req.source_schema_version
                ),
            )
            .into(),
            ..Default::default()
        }
    }
}
