//! List resources (plugin protocol 6.10; `terraform query` in Terraform 1.14 and later): a
//! `list "TYPE" "NAME" { config { ... } }` block in a `.tfquery.hcl` file asks the provider for
//! the existing objects of a resource type that its `config` selects. Terraform shows them, and
//! with `-generate-config-out=FILE` writes an `import` block (by identity) and a `resource` block
//! for each.
//!
//! A provider implements [`ListResource`] for a resource type that has an identity
//! ([`crate::Resource::identity_schema`]), under the same type name, and registers it with
//! [`crate::Provider::list_resources`]. It writes the schema of the `config` block (its
//! arguments, with validators as for any schema) and [`ListResource::list`], which streams what
//! it finds through a [`ListSink`]. The server encodes each result with the resource type's
//! identity and schema, and stops the listing at Terraform's `limit`.

use crate::context::Context;
use crate::diag::Diagnostics;
use crate::schema::Schema;
use crate::value::Value;
use async_trait::async_trait;

/// ListResource's input.
#[derive(Clone, Debug)]
pub struct ListRequest {
    /// The `config` block (an object of the list schema's attributes, nulls where unset), wholly
    /// known: Terraform refuses to list with unknown arguments.
    pub config: Value,
    /// Whether Terraform asked for each object's full state (`include_resource = true`, or
    /// `-generate-config-out`): [`ListResult::resource_object`] is only sent then.
    pub include_resource_object: bool,
    /// How many results Terraform takes (`limit`, 100 by default). [`ListSink::wanted`] counts
    /// down from it; a listing that fetches pages should size them by it.
    pub limit: u64,
}

/// One object found.
#[derive(Clone, Debug, Default)]
pub struct ListResult {
    /// Its identity, an object of the resource type's identity schema, wholly known.
    pub identity: Value,
    /// What Terraform shows for it beside the identity.
    pub display_name: String,
    /// Its whole state in the resource type's schema, as a read would leave it after an import:
    /// the source of the generated `resource` block. Sent only when asked for.
    pub resource_object: Option<Value>,
    /// Shown with this result (an error ends the listing).
    pub diagnostics: Diagnostics,
}

/// Where a listing sends its results, in order; the server streams each to Terraform as it
/// comes. Every method answers whether to go on: `false` once Terraform has all it asked for
/// (its `limit`), has stopped reading, or an error was sent.
#[async_trait]
pub trait ListSink: Send {
    /// Sends one result.
    async fn result(&mut self, result: ListResult) -> bool;
    /// Sends diagnostics on their own (a warning about the listing as a whole, or the error that
    /// ends it).
    async fn diagnostics(&mut self, diagnostics: Diagnostics) -> bool;
    /// How many more results Terraform takes.
    fn wanted(&self) -> u64;
}

/// The `list` side of a resource type.
#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    /// The schema of the list block's `config { ... }`: the arguments that select objects.
    fn schema(&self) -> Schema;

    /// Static checks of the `config` block (values may be unknown). No network calls: this runs
    /// during `terraform validate` and before each listing. The default runs the schema's
    /// validators.
    async fn validate(&self, config: &Value) -> Diagnostics {
        crate::config_checks::validate(&self.schema().block, config)
    }

    /// Finds the objects `req.config` selects and sends each to `out`, stopping as soon as `out`
    /// says so (and never asking the cloud for more than [`ListSink::wanted`] needs). Called
    /// after the provider is configured and after [`ListResource::validate`] passed. Errors go
    /// to `out` too; long calls should watch `ctx.stop`.
    async fn list(&self, ctx: &Context, req: ListRequest, out: &mut dyn ListSink);
}
