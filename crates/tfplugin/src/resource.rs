//! What a managed resource type implements: [`Resource`].
//!
//! A resource type is a schema and four operations on one cloud object: create, read, update,
//! delete (plus import, and state upgrades when the schema changes). Terraform drives them
//! through three calls; the trait's default methods turn those calls into the four operations,
//! so a simple resource writes only [`Resource::schema`], [`Resource::create`],
//! [`Resource::read`], [`Resource::update`] and [`Resource::delete`]:
//!
//! 1. `validate(config)`: static checks. The default runs the validators declared on the
//!    schema's attributes ([`crate::config_checks`]).
//! 2. `plan(prior, proposed, config)`: what apply will do. The default applies the attributes'
//!    declared defaults, makes unset computed attributes unknown on create, and lists the
//!    replace-on-change attributes that differ ([`crate::plan_defaults`]). Override it to add
//!    rules of your own, starting from [`default_plan`].
//! 3. `apply(prior, planned)`: the default dispatches on null states: planned null is a
//!    delete, prior null a create, anything else an update. Terraform performs a replacement
//!    as a delete and a create (or the reverse with `create_before_destroy`).
//!
//! An apply's new state must keep every known planned value and contain no unknowns:
//! [`crate::apply_result::settle`] makes one from what the cloud reports. If an operation fails
//! after the object exists, return its state anyway (at least its id) with the error, so that
//! Terraform keeps track of it.
//!
//! Every call gets a [`Context`] whose `stop` token is cancelled when the user presses Ctrl-C:
//! long waits must watch it and return what they know.
//!
//! A resource type may also have an identity ([`Resource::identity_schema`] and
//! [`Resource::identity`], see [`crate::identity`]): Terraform 1.12 and later store it beside
//! each object and can import by it; with one, the type can also be listed
//! ([`crate::list_resource`]).

use crate::diag::Diagnostics;
use crate::identity::IdentitySchema;
use crate::plan_defaults::{planned_state, requires_replace};
use crate::provider::{
    ApplyRequest, ApplyResponse, Context, ImportResponse, MoveStateRequest, MoveStateResponse,
    PlanRequest, PlanResponse, ReadRequest, ReadResponse,
};
use crate::schema::Schema;
use crate::value::Value;
use async_trait::async_trait;

/// A managed resource type (see the module documentation for the life of one apply).
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The resource's schema, with each attribute's rules declared on it.
    fn schema(&self) -> Schema;

    /// Static checks of the configuration (values may be unknown). No network calls. The
    /// default runs the attributes' validators.
    async fn validate(&self, config: &Value) -> Diagnostics {
        crate::config_checks::validate(&self.schema().block, config)
    }

    /// Plans a create (prior state null), an update, or a destroy (proposed state null). The
    /// default is [`default_plan`].
    async fn plan(&self, _ctx: &Context, req: PlanRequest) -> PlanResponse {
        default_plan(&self.schema(), &req)
    }

    /// Carries out a plan. The default dispatches to [`Resource::delete`] (planned state
    /// null), [`Resource::create`] (prior state null) or [`Resource::update`].
    async fn apply(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        if req.planned_state.is_null() {
            self.delete(ctx, req).await
        } else if req.prior_state.is_null() {
            self.create(ctx, req).await
        } else {
            self.update(ctx, req).await
        }
    }

    /// Creates the object described by `req.planned_state` and returns its state.
    /// `req.planned_private` is what [`Resource::plan`] put in `planned_private`.
    async fn create(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse;

    /// Describes the object of `req.current_state` as it is now; a null new state means it is
    /// gone (Terraform then drops it from the state and plans a new one). `ctx.announced_read`
    /// says the read is part of a refresh that Terraform announced: a resource that batches its
    /// reads can send a batch once no announced read is on its way ([`crate::expected_reads`]).
    async fn read(&self, ctx: &Context, req: ReadRequest) -> ReadResponse;

    /// Changes the object of `req.prior_state` in place to match `req.planned_state`.
    async fn update(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse;

    /// Deletes the object of `req.prior_state`; the new state is null when it is gone. On
    /// failure return the prior state, so that the next destroy tries again.
    async fn delete(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse;

    /// `terraform import ADDRESS ID`: the state(s) to start from, holding at least what
    /// [`Resource::read`] needs to find the object; Terraform reads it right after.
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

    /// The identity of this type's objects, if it has one (see [`crate::identity`]): declared
    /// once, here and in [`Resource::identity`]; the server answers for it everywhere else.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object `state` describes, an object of [`Resource::identity_schema`],
    /// or null when the state names no object yet. Called after every read, plan, apply, import
    /// and move, so it must be cheap and make no network call. An identity still holding unknown
    /// values (a planned create's) is not sent: Terraform learns it from the apply.
    fn identity(&self, _state: &Value) -> Value {
        Value::Null
    }

    /// `import { to = ..., identity = { ... } }`: the state(s) to start from, as
    /// [`Resource::import`] for an id. `identity` holds what the block set (null where it left
    /// an optional attribute out). The server then checks that the identity of what was
    /// imported does not contradict it. The default refuses.
    async fn import_by_identity(&self, _ctx: &Context, _identity: &Value) -> ImportResponse {
        ImportResponse {
            imported: vec![],
            diagnostics: crate::diag::Diagnostic::error(
                "Import by identity not supported",
                "This resource type cannot be imported by identity.",
            )
            .into(),
        }
    }

    /// Upgrades an identity stored under an older [`IdentitySchema::version`] (`raw_json`) to the
    /// current one. The default decodes it against the current identity, which is right while
    /// the identity only gained optional attributes.
    async fn upgrade_identity(&self, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        let _ = version;
        let Some(schema) = self.identity_schema() else {
            return Ok(Value::Null);
        };
        crate::codec::json::decode(raw_json, &schema.implied_type()).map_err(|e| {
            crate::diag::Diagnostic::error(
                "Invalid stored identity",
                format!("The stored resource identity could not be read: {e}"),
            )
            .into()
        })
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

/// The plan every resource starts from: the proposed state with the schema's defaults and
/// unknown computed values ([`planned_state`]), the replace-on-change attributes that differ
/// ([`requires_replace`]), and the prior private data carried over.
pub fn default_plan(schema: &Schema, req: &PlanRequest) -> PlanResponse {
    let block = &schema.block;
    let planned = planned_state(
        block,
        &req.prior_state,
        &req.proposed_new_state,
        &req.config,
    );
    PlanResponse {
        requires_replace: requires_replace(block, &req.prior_state, &planned),
        planned_state: planned,
        planned_private: req.prior_private.clone(),
        diagnostics: Diagnostics::new(),
    }
}
