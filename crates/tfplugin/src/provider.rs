//! What a provider implements. The server (`serve`) turns gRPC calls into these calls, decoding
//! values with the schema's type and encoding the answers back.

// Re-exported here, where providers have always found it.
pub use crate::context::{Context, Deadline};
use crate::data_source::DataSource;
use crate::diag::{AttributePath, Diagnostics};
use crate::list_resource::ListResource;
// Re-exported here too: `provider::Resource` is where it lived before it got its own module.
pub use crate::resource::Resource;
use crate::schema::Schema;
use crate::value::Value;
use async_trait::async_trait;
use std::sync::Arc;

/// ConfigureProvider's input.
#[derive(Clone, Debug)]
pub struct ConfigureRequest {
    /// The calling Terraform's version (`1.15.5`).
    pub terraform_version: String,
    /// The `provider` block; may hold unknown values.
    pub config: Value,
}

/// A provider: the schema of its `provider` block, how to configure it, and the resource
/// types it serves. Pass one to [`crate::serve`].
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
    /// The data source types this provider serves, by full type name (`aws_ami`). None by
    /// default.
    fn data_sources(&self) -> Vec<(String, Arc<dyn DataSource>)> {
        Vec::new()
    }
    /// The list resources this provider serves (`terraform query`), each under the name of the
    /// resource type it lists, which must have an identity. None by default.
    fn list_resources(&self) -> Vec<(String, Arc<dyn ListResource>)> {
        Vec::new()
    }

    /// Static checks of the provider block (may see unknown values). No network calls.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    /// Set up clients from the provider block; resources are called only after this succeeds.
    async fn configure(&self, ctx: &Context, req: ConfigureRequest) -> Diagnostics;
}

/// PlanResourceChange's input.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// Null on create.
    pub prior_state: Value,
    /// Terraform's merge of config into prior state; null on destroy.
    pub proposed_new_state: Value,
    /// The configuration alone (null where it does not set an attribute).
    pub config: Value,
    /// What the last apply or plan stored in `private`.
    pub prior_private: Vec<u8>,
}

/// PlanResourceChange's answer.
#[derive(Clone, Debug, Default)]
pub struct PlanResponse {
    /// The state apply will produce; unknown where it cannot tell yet.
    pub planned_state: Value,
    /// Attributes whose change needs a new object: Terraform then plans a replacement.
    pub requires_replace: Vec<AttributePath>,
    /// Opaque bytes handed to apply as `planned_private` (a token fixed at plan time).
    pub planned_private: Vec<u8>,
    /// Errors stop the plan.
    pub diagnostics: Diagnostics,
}

impl PlanResponse {
    /// A plan that failed with `diagnostics`.
    pub fn failed(diagnostics: Diagnostics) -> Self {
        PlanResponse {
            diagnostics,
            ..Default::default()
        }
    }
}

/// ApplyResourceChange's input.
#[derive(Clone, Debug)]
pub struct ApplyRequest {
    /// Null on create.
    pub prior_state: Value,
    /// Null on destroy.
    pub planned_state: Value,
    /// The configuration alone.
    pub config: Value,
    /// The plan's `planned_private`.
    pub planned_private: Vec<u8>,
}

/// ApplyResourceChange's answer.
#[derive(Clone, Debug, Default)]
pub struct ApplyResponse {
    /// Null after destroy. On a failed create, whatever is known (at least the id) so Terraform
    /// keeps track of the cloud object.
    pub new_state: Value,
    /// Stored with the state and handed to later reads and plans.
    pub private: Vec<u8>,
    /// An error taints a created object (the next plan replaces it); warnings are shown.
    pub diagnostics: Diagnostics,
}

impl ApplyResponse {
    /// An apply that failed with `diagnostics`, leaving `state` (usually the prior state, so
    /// that nothing is lost) and `private`.
    pub fn failed(state: Value, private: Vec<u8>, diagnostics: Diagnostics) -> Self {
        ApplyResponse {
            new_state: state,
            private,
            diagnostics,
        }
    }
}

/// ReadResource's input.
#[derive(Clone, Debug)]
pub struct ReadRequest {
    /// The stored state (after upgrade_state).
    pub current_state: Value,
    /// The stored private data.
    pub private: Vec<u8>,
    /// The identity Terraform stored with the object (see [`crate::identity`]); null when it
    /// stored none (a state written before the resource had one, or Terraform before 1.12).
    pub current_identity: Value,
}

/// ReadResource's answer.
#[derive(Clone, Debug, Default)]
pub struct ReadResponse {
    /// Null when the object is gone: Terraform drops it from state and plans a create.
    pub new_state: Value,
    /// Private data to store (usually the request's, unchanged).
    pub private: Vec<u8>,
    /// Errors keep the stored state as it was.
    pub diagnostics: Diagnostics,
}

impl ReadResponse {
    /// A read that failed with `diagnostics`: the stored state and private data stay.
    pub fn failed(req: ReadRequest, diagnostics: Diagnostics) -> Self {
        ReadResponse {
            new_state: req.current_state,
            private: req.private,
            diagnostics,
        }
    }
}

/// ImportResourceState's answer.
#[derive(Clone, Debug, Default)]
pub struct ImportResponse {
    /// States to import (usually one, holding at least the id; Terraform reads it afterwards).
    pub imported: Vec<Value>,
    /// Errors stop the import.
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
