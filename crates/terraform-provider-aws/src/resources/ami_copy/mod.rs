//! `aws_ami_copy`: copies an AMI (within a region or across regions) with its snapshots.
//!
//! The contract is shared/spec/aws_ami_copy.md (A1–A8, B1–B12). Reading order:
//! validate → plan → apply (create / update / delete) → read → import → upgrade_state.
//! The pure parts live in `schema`, `validate`, `plan` and `flatten`, and are unit-tested; the
//! EC2 calls live in `create`, `update`, `delete` and `read`.
//!
//! Design decisions worth knowing:
//! - `state` (computed): "available" normally; "pending" when an apply was interrupted (Ctrl-C:
//!   a warning, not an error, so the copy is not tainted) or timed out (an error: tainted, and
//!   the message says to untaint). A pending copy plans an in-place `state: "pending" ->
//!   "available"`; that update waits and then does the create steps that were left
//!   (deprecation, protection). Refresh keeps "pending" until then, even if EC2 has finished.
//!   "failed" (EC2 gave up) and "deregistered" (a destroy left snapshots) plan a replacement.
//! - `deregistration_protection`: a string, "enabled" | "enabled-with-cooldown" | "disabled";
//!   unset means disabled (so states without it plan clean). EC2's "enabled-without-cooldown"
//!   reads back as "enabled", and "disabled-until ..." (cooldown) as "disabled".
//! - `encrypted`, `copy_tags`, `skip_destroy` are optional+computed so that unset can be planned
//!   as `false` (Terraform only lets a provider fill in computed attributes).
//! - `tags` is optional+computed for the same reason: unset is planned `{}` and the state never
//!   holds null, because a configured `{}` must plan `{}` and no tags must equal `tags = {}`.
//! - The attributes EC2 decides (architecture, ena_support, ebs_block_device, ...) are
//!   optional+computed only so that setting one reaches `validate`, which says it is read-only
//!   on a copy; they are never taken from the configuration.
//! - The CopyImage ClientToken is made at plan time and travels in the planned private data.
//! - Import ids: `ami-...` or `ami-...@REGION` for a copy outside the provider's region.

mod address;
mod create;
mod delete;
mod flatten;
mod move_state;
mod plan;
mod read;
mod schema;
mod update;
mod validate;

use crate::provider::clients::{AwsClients, ProviderState};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
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
        validate::validate(config)
    }

    async fn plan(&self, _ctx: &Context, req: PlanRequest) -> PlanResponse {
        if req.proposed_new_state.is_null() {
            // Destroy: nothing to plan (skip_destroy is honoured by apply).
            return PlanResponse::default();
        }
        let clients = match self.state.clients() {
            Ok(c) => c,
            Err(d) => {
                return PlanResponse {
                    diagnostics: d.into(),
                    ..Default::default()
                }
            }
        };
        let env = plan::PlanEnv {
            provider_region: &clients.region,
            default_tags: &clients.default_tags,
            ignore_tags: &clients.ignore_tags,
            now: time::OffsetDateTime::now_utc(),
        };
        let p = plan::plan(&req.prior_state, &req.proposed_new_state, &req.config, &env);
        let planned_private = if req.prior_state.is_null() {
            // The CopyImage idempotency token, fixed for this planned create.
            create::new_private(&create::new_client_token())
        } else {
            req.prior_private.clone()
        };
        PlanResponse {
            planned_state: p.planned,
            requires_replace: p.requires_replace,
            planned_private,
            diagnostics: p.diagnostics,
        }
    }

    async fn apply(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        let clients = match self.state.clients() {
            Ok(c) => c,
            Err(d) => {
                return ApplyResponse {
                    new_state: req.prior_state,
                    diagnostics: d.into(),
                    ..Default::default()
                }
            }
        };
        if req.planned_state.is_null() {
            delete::delete(&clients, ctx, &req.prior_state).await
        } else if req.prior_state.is_null() {
            create::create(&clients, ctx, &req.planned_state, &req.planned_private).await
        } else {
            update::update(
                &clients,
                ctx,
                &req.prior_state,
                &req.planned_state,
                &req.planned_private,
            )
            .await
        }
    }

    async fn read(&self, _ctx: &Context, req: ReadRequest) -> ReadResponse {
        let clients = match self.state.clients() {
            Ok(c) => c,
            Err(d) => {
                return ReadResponse {
                    new_state: req.current_state,
                    diagnostics: d.into(),
                    ..Default::default()
                }
            }
        };
        match read::read(&clients, &req.current_state).await {
            Ok(new_state) => ReadResponse {
                new_state,
                private: req.private,
                diagnostics: Diagnostics::new(),
            },
            Err(diagnostics) => ReadResponse {
                new_state: req.current_state,
                private: req.private,
                diagnostics,
            },
        }
    }

    /// `terraform import aws_ami_copy.x ami-0123456789abcdef0` (or `ami-...@us-west-2` for a copy
    /// in another region than the provider's). The read that follows fills in everything (B3).
    async fn import(&self, _ctx: &Context, id: &str) -> ImportResponse {
        let mut diagnostics = Diagnostics::new();
        let (ami, region) = match id.split_once('@') {
            Some((ami, region)) => (ami, Some(region)),
            None => (id, None),
        };
        let mut check = Value::Null;
        check.set("source_ami_id", Value::string(ami));
        if let Some(r) = region {
            check.set("region", Value::string(r));
        }
        let problems = validate::validate(&check);
        if problems.has_errors() {
            diagnostics.error(
                "Invalid import ID",
                format!(
                    "{id:?} is not an AMI ID: expected ami- followed by 8 or 17 hex digits, optionally \
                     followed by @REGION (e.g. ami-0123456789abcdef0@eu-west-1)."
                ),
            );
            return ImportResponse {
                imported: vec![],
                diagnostics,
            };
        }
        let mut state = schema::null_state();
        state.set("id", Value::string(ami));
        if let Some(r) = region {
            state.set("region", Value::string(r));
        }
        ImportResponse {
            imported: vec![state],
            diagnostics,
        }
    }

    async fn move_state(
        &self,
        _ctx: &Context,
        req: tfplugin::MoveStateRequest,
    ) -> tfplugin::MoveStateResponse {
        move_state::move_state(self, req).await
    }

    /// Same schema version as the Go provider (0), so its states arrive here unchanged (B11).
    /// Their spelling differs from ours in ways a plan would show as changes: `""` for unset
    /// strings, no `copy_tags`/`skip_destroy`. Normalise those (and null `tags` to our `{}`).
    async fn upgrade_state(&self, _version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        let mut v = tfplugin::codec::json::decode_state(&schema::schema().block, raw_json)?;
        if v.is_null() {
            return Ok(v);
        }
        let written_by_us = serde_json::from_slice::<serde_json::Value>(raw_json)
            .ok()
            .and_then(|j| j.get("skip_destroy").map(|_| ()))
            .is_some();
        schema::normalize_state(&mut v, !written_by_us);
        Ok(v)
    }
}

/// The copy's region: the resource's `region`, else the provider's.
fn region_of(state: &Value, clients: &AwsClients) -> String {
    state
        .get("region")
        .as_str()
        .filter(|r| !r.is_empty())
        .unwrap_or(&clients.region)
        .to_string()
}

/// The `timeouts` block's value for `op`, else the documented default.
fn timeout(state: &Value, op: &str) -> Duration {
    let default = match op {
        "delete" => Duration::from_secs(90 * 60),
        _ => Duration::from_secs(40 * 60),
    };
    state
        .get("timeouts")
        .get(op)
        .as_str()
        .and_then(validate::parse_go_duration)
        .filter(|d| !d.is_zero())
        .unwrap_or(default)
}

/// After an apply: Terraform requires the new state to match every known planned value, so the
/// planned ones win and only the unknown ones come from EC2.
fn overlay_known(planned: &Value, new_state: &mut Value) {
    if let Some(m) = planned.as_map() {
        for (k, v) in m {
            if !v.is_unknown() {
                new_state.set(k.clone(), v.clone());
            }
        }
    }
}

/// Terraform rejects unknown values after apply: anything EC2 did not tell us is null.
fn resolve_unknowns(v: &mut Value) {
    match v {
        Value::Unknown => *v = Value::Null,
        Value::List(items) => items.iter_mut().for_each(resolve_unknowns),
        Value::Map(m) => m.values_mut().for_each(resolve_unknowns),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_default_and_parse() {
        assert_eq!(timeout(&Value::Null, "create"), Duration::from_secs(2400));
        assert_eq!(timeout(&Value::Null, "delete"), Duration::from_secs(5400));
        let mut s = Value::Null;
        let mut t = Value::Null;
        t.set("update", Value::string("1h30m"));
        s.set("timeouts", t);
        assert_eq!(timeout(&s, "update"), Duration::from_secs(5400));
        assert_eq!(timeout(&s, "create"), Duration::from_secs(2400));
    }

    #[test]
    fn overlay_and_resolve() {
        let mut planned = Value::Null;
        planned.set("name", Value::string("n"));
        planned.set("id", Value::Unknown);
        let mut new = Value::Null;
        new.set("name", Value::string("other"));
        new.set("id", Value::string("ami-1"));
        new.set("arn", Value::Unknown);
        overlay_known(&planned, &mut new);
        resolve_unknowns(&mut new);
        assert_eq!(new.get("name"), &Value::string("n"));
        assert_eq!(new.get("id"), &Value::string("ami-1"));
        assert_eq!(new.get("arn"), &Value::Null);
    }
}
