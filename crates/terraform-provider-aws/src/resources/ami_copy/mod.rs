//! `aws_ami_copy`: copies an AMI (within a region or across regions) with its snapshots.
//!
//! Reading order (see also `DESIGN.md`):
//! - `schema`: every attribute with its rules; `model`: the same attributes as Rust fields;
//! - `validate`, `plan`: static checks and planning, pure and unit-tested;
//! - `create`, `read`, `update`, `delete`: the verbs, which only order steps;
//! - `image_ops`: the EC2 calls on one image; `lifecycle`: the copy's states, when two
//!   deprecation times are equal, and what to say when a wait ends early;
//! - `flatten`: an EC2 image → the state; `private`: the CopyImage token and the unlisted mark
//!   of a pending copy; `address`: the resource address for resume instructions;
//! - `plan_checks`: what would make CopyImage fail, checked at plan time for every new copy;
//! - `adopt`: what became of a CopyImage that gave no id (re-sent with its ClientToken, or an
//!   image proven this instance's); `ownership`: whether an image is this instance's copy, and
//!   why; `keep_id`: the id in the state whatever happens after CopyImage.
//!
//! Design decisions worth knowing:
//! - `state` (computed): "available" normally; "pending" when an apply was interrupted (Ctrl-C:
//!   a warning, not an error, so the copy is not tainted) or timed out (an error: tainted, and
//!   the message says to untaint). A pending copy plans an in-place `state: "pending" ->
//!   "available"`; that update waits and then does the create steps that were left
//!   (deprecation, protection). Refresh keeps "pending" until then, even if EC2 has finished.
//!   A create step after `available` that fails also records "pending", with a warning: an
//!   error would taint a finished copy. A pending copy EC2 does not list yet is kept (see `read`).
//!   "failed" (EC2 gave up) and "deregistered" (a destroy left snapshots) plan a replacement.
//! - `deregistration_protection`: a string, "enabled" | "enabled-with-cooldown" | "disabled";
//!   unset means disabled (so states without it plan clean). EC2's "enabled-without-cooldown"
//!   reads back as "enabled", and "disabled-until ..." (cooldown) as "disabled".
//! - `encrypted`, `copy_tags`, `skip_destroy` are optional+computed so that unset can be planned
//!   as `false` (Terraform only lets a provider fill in computed attributes).
//! - `tags` is optional+computed for the same reason: unset is planned `{}` and the state never
//!   holds null, because a configured `{}` must plan `{}` and no tags must equal `tags = {}`.
//! - The attributes EC2 decides (architecture, ena_support, ...) are computed only, and the
//!   block devices are set blocks of computed attributes, as in hashicorp/aws: generated
//!   configuration leaves them out, and `validate` refuses a value set by hand.
//! - Unset strings are `""`, as the Go provider stores them: the optional ones are
//!   optional+computed with the default `""` (which also means unset when configured), and the
//!   state an operation returns spells every absent string `""` (`schema::stored`).
//! - The CopyImage ClientToken is made at plan time and travels in the planned private data.
//! - Import ids: `ami-...` or `ami-...@REGION` for a copy outside the provider's region.

mod address;
mod adopt;
mod copy_state;
mod create;
mod delete;
#[cfg(test)]
mod docs_tests;
mod flatten;
mod identity;
mod image_ops;
mod keep_id;
mod lifecycle;
mod list;
mod list_args;
mod model;
mod move_state;
mod ownership;
mod plan;
mod plan_checks;
mod private;
mod read;
mod schema;
mod send;
mod update;
mod validate;
#[cfg(test)]
mod wording_tests;

use crate::provider::clients::ProviderState;
use async_trait::async_trait;
pub use list::AmiCopyList;
use model::{AmiCopyState, Cty};
use std::sync::Arc;
use tfplugin::{
    ApplyRequest, ApplyResponse, Context, Diagnostics, ImportResponse, PlanRequest, PlanResponse,
    ReadRequest, ReadResponse, Resource, Schema, Value,
};

pub struct AmiCopy {
    state: Arc<ProviderState>,
}

impl AmiCopy {
    pub fn new(state: Arc<ProviderState>) -> Self {
        AmiCopy { state }
    }
}

#[async_trait]
impl Resource for AmiCopy {
    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        check_config(config)
    }

    async fn plan(&self, ctx: &Context, req: PlanRequest) -> PlanResponse {
        if req.proposed_new_state.is_null() {
            // Destroy: nothing to plan (skip_destroy is honoured by apply).
            return PlanResponse::default();
        }
        let clients = match self.state.clients() {
            Ok(c) => c,
            Err(d) => return PlanResponse::failed(d),
        };
        let env = plan::PlanEnv {
            provider_region: &clients.region,
            default_tags: &clients.default_tags,
            ignore_tags: &clients.ignore_tags,
            skip_region_validation: clients.skip_region_validation,
            now: time::OffsetDateTime::now_utc(),
        };
        plan_checks::remember(&clients, &req.prior_state);
        let mut p = plan::plan(&req.prior_state, &req.proposed_new_state, &req.config, &env);
        let prior = AmiCopyState::from_cty(&req.prior_state);
        if !req.prior_state.is_null()
            && create::is_unresolved(&clients, &prior, &req.prior_private)
            && p.requires_replace.is_empty()
        {
            // A copy whose outcome an earlier apply could not learn: this update resolves it
            // (see `create`), so everything EC2 decides is unknown until then, as on create.
            p.planned =
                plan::plan(&Value::Null, &req.proposed_new_state, &req.config, &env).planned;
        }
        let planned_private = if req.prior_state.is_null() {
            // The CopyImage idempotency token, fixed for this planned create.
            private::with_client_token(&private::new_client_token())
        } else {
            req.prior_private
        };
        let mut diagnostics = p.diagnostics;
        // A new copy: a create (a tainted copy is planned as one too), or a replacement. Terraform
        // plans a replacement twice: first with the prior state, where `requires_replace` says
        // so, then its new copy with no prior state, and it shows only the errors of that second
        // call. So a replacement is checked in the first call; a forced one (`-replace`, which
        // the provider is not told of) only in the second, where warnings are lost. Never a copy
        // that stays.
        let new_copy = req.prior_state.is_null() || !p.requires_replace.is_empty();
        // What the checks of this copy ask: the apply walk skips a question its plan walk asked.
        let question = plan_checks::question(&[&clients.region, &format!("{:?}", req.config)]);
        if new_copy
            && !diagnostics.has_errors()
            && plan_checks::enabled()
            && !plan_checks::checked_already(question)
        {
            let mut copy = plan_checks::NewCopy::of(&p.planned, &clients.region);
            copy.managed_holder = copy
                .name
                .as_deref()
                .and_then(|n| plan_checks::managed(&clients, &copy.region, n));
            diagnostics
                .extend(plan_checks::check(&clients, ctx, &copy, &p.planned, &req.config).await);
            plan_checks::checks_made(question);
        }
        PlanResponse {
            planned_state: p.planned,
            requires_replace: p.requires_replace,
            planned_private,
            diagnostics,
        }
    }

    async fn create(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        plan_checks::applying();
        match self.state.clients() {
            Ok(c) => create::create(&c, ctx, &req.planned_state, &req.planned_private).await,
            Err(d) => ApplyResponse::failed(req.prior_state, vec![], d),
        }
    }

    async fn read(&self, ctx: &Context, req: ReadRequest) -> ReadResponse {
        let clients = match self.state.clients() {
            Ok(c) => c,
            Err(d) => return ReadResponse::failed(req, d),
        };
        let current = identity::located(&req.current_state, &req.current_identity, &clients.region);
        match read::read(&clients, ctx, &current, &req.private).await {
            Ok(r) => {
                plan_checks::remember(&clients, &r.new_state);
                ReadResponse {
                    new_state: r.new_state,
                    private: r.private,
                    diagnostics: r.diagnostics,
                }
            }
            Err(diagnostics) => ReadResponse::failed(req, diagnostics),
        }
    }

    async fn update(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        plan_checks::applying();
        let (prior, planned, private) =
            (&req.prior_state, &req.planned_state, &req.planned_private);
        match self.state.clients() {
            Ok(c) => match create::recorded(&c, &AmiCopyState::from_cty(prior), private) {
                // Resolving the copy is the create this instance could not finish.
                Some(attempts) => {
                    create::resolve_recorded(&c, ctx, prior, planned, attempts, private).await
                }
                None => update::update(&c, ctx, prior, planned, private).await,
            },
            Err(d) => ApplyResponse::failed(req.prior_state, req.planned_private, d),
        }
    }

    async fn delete(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        plan_checks::applying();
        match self.state.clients() {
            Ok(c) => delete::delete(&c, ctx, &req.prior_state, &req.planned_private).await,
            Err(d) => ApplyResponse::failed(req.prior_state, vec![], d),
        }
    }

    /// `terraform import aws_ami_copy.x ami-0123456789abcdef0` (or `ami-...@us-west-2` for a copy
    /// in another region than the provider's). The read that follows fills in everything else,
    /// the source AMI included.
    async fn import(&self, _ctx: &Context, id: &str) -> ImportResponse {
        let mut diagnostics = Diagnostics::new();
        let (ami, region) = match id.split_once('@') {
            Some((ami, region)) => (ami, Some(region.to_string())),
            None => (id, None),
        };
        let as_config = AmiCopyState {
            source_ami_id: Some(ami.to_string()),
            region: region.clone(),
            ..Default::default()
        };
        let clients = self.state.clients().ok();
        let skip_region = clients.as_ref().is_some_and(|c| c.skip_region_validation);
        let bad_region = !skip_region
            && region
                .as_deref()
                .is_some_and(|r| crate::validators::region(r).is_err());
        if check_config(&as_config.to_cty()).has_errors() || bad_region {
            let rule = if bad_region {
                " (a region name such as eu-west-1; set skip_region_validation = true in the \
                 provider block for other names)"
            } else {
                ""
            };
            diagnostics.error(
                "Invalid import ID",
                format!(
                    "{id:?} is not an AMI ID: expected ami- followed by 8 or 17 hex digits, optionally \
                     followed by @REGION{rule} (e.g. ami-0123456789abcdef0@eu-west-1)."
                ),
            );
            return ImportResponse {
                imported: vec![],
                diagnostics,
            };
        }
        // Recorded like a created copy's: the provider's region unless the id names another.
        let region = region.or_else(|| clients.map(|c| c.region.clone()));
        let state = AmiCopyState {
            id: Some(ami.to_string()),
            region,
            ..Default::default()
        };
        named(ImportResponse {
            imported: vec![state.to_cty()],
            diagnostics,
        })
    }

    // Identity (Terraform 1.12+): `id`, `region`, `account_id`; see `identity`.
    fn identity_schema(&self) -> Option<tfplugin::IdentitySchema> {
        Some(identity::schema())
    }

    fn identity(&self, state: &Value) -> Value {
        identity::of_state(state, self.state.clients().ok().as_deref())
    }

    async fn import_by_identity(&self, _ctx: &Context, id: &Value) -> ImportResponse {
        named(identity::import(id, self.state.clients().ok().as_deref()))
    }

    async fn move_state(
        &self,
        _ctx: &Context,
        req: tfplugin::MoveStateRequest,
    ) -> tfplugin::MoveStateResponse {
        move_state::move_state(self, req).await
    }

    /// Same schema version as the Go provider (0), so its states arrive here unchanged. Their
    /// spelling differs from ours in ways a plan would show as changes: `""` for unset strings,
    /// no `copy_tags`/`skip_destroy`. Normalise those (and null `tags` to our `{}`).
    async fn upgrade_state(&self, _version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        let mut v = tfplugin::codec::json::decode_state(&schema::schema().block, raw_json)?;
        if v.is_null() {
            return Ok(v);
        }
        // Only this provider writes `skip_destroy`; its absence marks a Go provider's state.
        let written_by_us = serde_json::from_slice::<serde_json::Value>(raw_json)
            .ok()
            .and_then(|j| j.get(model::attr::skip_destroy).map(|_| ()))
            .is_some();
        schema::normalize_state(&mut v, !written_by_us);
        Ok(v)
    }
}

/// An import, through the one gate every adoption passes: the user named the image, the one
/// proof an import needs.
fn named(response: ImportResponse) -> ImportResponse {
    if response.imported.is_empty() {
        return response;
    }
    match ownership::allow(
        ownership::Path::Import,
        ownership::Act::Adopt,
        &ownership::Proof::Named,
    ) {
        Ok(()) => response,
        Err(why) => {
            let mut diagnostics = response.diagnostics;
            diagnostics.error("Cannot import AMI copy", why);
            ImportResponse {
                imported: vec![],
                diagnostics,
            }
        }
    }
}

/// The whole configuration: every attribute's declared checks, then the rules between them.
pub(crate) fn check_config(config: &Value) -> Diagnostics {
    let mut d = tfplugin::config_checks::validate(&schema::schema().block, config);
    d.extend(validate::cross_attribute_rules(config));
    d
}
