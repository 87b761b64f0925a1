//! What a provider implements for a data source (`data "TYPE" "NAME" {}`): a schema, static
//! checks, and a read that turns the configuration into the full state object.
//!
//! Terraform reads a data source during plan when its configuration is wholly known and
//! postpones the read to apply otherwise, so [`DataSource::read`] only ever sees known
//! configuration: the server answers for it when Terraform sends unknown values anyway.

use crate::context::Context;
use crate::diag::Diagnostics;
use crate::schema::Schema;
use crate::value::Value;
use async_trait::async_trait;

/// ReadDataSource's input.
#[derive(Clone, Debug)]
pub struct ReadDataRequest {
    /// The data source's configuration, wholly known (no unknown values anywhere inside).
    pub config: Value,
}

/// ReadDataSource's answer.
#[derive(Clone, Debug, Default)]
pub struct ReadDataResponse {
    /// The whole object: every attribute of the schema, the configured ones as configured and
    /// the computed ones filled in. Must hold no unknown values. Ignored when `diagnostics`
    /// holds an error.
    pub state: Value,
    /// Problems found; an error fails the plan (or the apply) that reads the data source.
    pub diagnostics: Diagnostics,
}

/// A data source type. Register it with [`crate::Provider::data_sources`].
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The schema of the `data` block and of the state the read returns.
    fn schema(&self) -> Schema;

    /// Static checks of the configuration (values may be unknown). No network calls: this runs
    /// during `terraform validate`, before the provider is configured.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Reads the data the configuration describes. Called after the provider is configured, with
    /// a wholly known configuration; long calls should watch `ctx.stop`.
    async fn read(&self, ctx: &Context, req: ReadDataRequest) -> ReadDataResponse;
}

/// Replaces, in a configuration that holds unknown values, every computed-only attribute with
/// unknown: the placeholder object answered when Terraform asks for a read it may defer.
pub(crate) fn unknown_result(schema: &Schema, config: &Value) -> Value {
    let mut v = config.clone();
    for a in &schema.block.attributes {
        if a.computed && (!a.optional || config.get(&a.name).is_null()) {
            v.set(a.name.clone(), Value::Unknown);
        }
    }
    v
}
