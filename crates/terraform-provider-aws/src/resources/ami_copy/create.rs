//! Create: CopyImage, record the id, wait for `available`, then the steps CopyImage cannot do
//! (deprecation, deregistration protection). From the moment EC2 answers with an id, every
//! answer carries it, so that Terraform never loses track of a copy that exists. Every send of the
//! request is recorded in the copy's [`Attempts`]; when no answer gives the id, `adopt` resolves
//! it with proof, and when even that cannot tell, the instance is kept in the state without an id
//! but with that record (`copy_attempts`, "unresolved"): the next apply (an update, or the
//! destroy of a replacement) resolves it with the same token and the same request.

use super::adopt::{self, Purpose, Resolution};
use super::copy_state::Lifecycle;
use super::flatten::{image_arn, observe, FlattenEnv};
use super::image_ops;
use super::keep_id::keep_id;
use super::lifecycle::{finish_copy, steps_left, wait_outcome, Waiting};
use super::model::{AmiCopyState, Cty, Operation};
use super::ownership::{self, Attempts, CopyRequest, Proof, Status};
use super::private;
use super::schema::stored;
use super::send::{send, Policy};
use crate::ec2::image_waiter::{wait_image, WaitError, WaitFor};
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::Image;
use tfplugin::{ApplyResponse, Context, Diagnostic, Diagnostics, Value};

/// A new copy: CopyImage under the token the plan made, then the copy's wait and steps.
pub async fn create(
    clients: &AwsClients,
    ctx: &Context,
    planned_value: &Value,
    private: &[u8],
) -> ApplyResponse {
    let planned = AmiCopyState::from_cty(planned_value);
    // Every call below gives up when Ctrl-C comes or `timeouts { create }` runs out.
    let ctx = &ctx.with_timeout("create", planned.timeout(Operation::Create));
    let region = planned.region_or(&clients.region).to_string();
    let token = private::client_token(private).unwrap_or_else(private::new_client_token);
    let mut attempts = Attempts::new(token, region, CopyRequest::of(clients, &planned));
    if ctx.stop.is_cancelled() {
        // Never sent: nothing was copied, and nothing is to be resolved.
        return ApplyResponse::failed(
            Value::Null,
            vec![],
            Diagnostic::error(
                "AMI copy not started",
                "Terraform was interrupted before CopyImage was sent: nothing was copied.",
            )
            .into(),
        );
    }
    let failure = match send(clients, ctx, &mut attempts, Policy::Full).await {
        Ok(_) => String::new(),
        Err(why) => why,
    };
    let resolution = match attempts.status() {
        Status::Ours(id) => Resolution::Ours {
            id: id.to_string(),
            proof: Proof::Token,
            warnings: Diagnostics::new(),
        },
        _ => adopt::resolve(clients, ctx, &mut attempts, Purpose::Keep, &failure).await,
    };
    match settle(
        clients,
        ctx,
        planned_value,
        &planned,
        attempts,
        resolution,
        private,
    )
    .await
    {
        Settled::Done(response) => response,
        Settled::NothingMade(_, d) => ApplyResponse::failed(Value::Null, vec![], d.into()),
    }
}

/// The update that resolves a copy an earlier apply could not (after `terraform untaint`, or
/// after Ctrl-C): the request is sent again exactly as it was first sent, with its token, so that
/// EC2 answers with the copy it made; what the configuration changed since in place (the
/// description, the tags) is applied afterwards by the update.
pub async fn resolve_recorded(
    clients: &AwsClients,
    ctx: &Context,
    prior_value: &Value,
    planned_value: &Value,
    mut attempts: Attempts,
    private: &[u8],
) -> ApplyResponse {
    let planned = AmiCopyState::from_cty(planned_value);
    let ctx = &ctx.with_timeout("create", planned.timeout(Operation::Create));
    let why = "an earlier apply did not learn it".to_string();
    let sent = attempts.request.clone();
    let resolution = adopt::resolve(clients, ctx, &mut attempts, Purpose::Keep, &why).await;
    match settle(
        clients,
        ctx,
        planned_value,
        &planned,
        attempts,
        resolution,
        private,
    )
    .await
    {
        Settled::Done(response) => {
            let asked = CopyRequest::of(clients, &planned);
            let changed = sent.differences(&asked);
            // Only a finished copy is brought up to date here; one left pending is resumed by
            // the next apply, whose update does it.
            let finished = response.new_state.get(super::model::attr::state).as_str()
                == Some(Lifecycle::Available.as_str());
            if changed.is_empty() || response.diagnostics.has_errors() || !finished {
                return response;
            }
            // The configuration changed in place since the request was first sent (a
            // replace-on-change argument would have planned a replacement): the copy was made
            // as first asked, and the update brings it to what is asked now.
            tracing::info!(
                ?changed,
                "resolved copy made as first requested; updating it in place"
            );
            let mut as_made = AmiCopyState::from_cty(&response.new_state);
            as_made.description = Some(sent.description.clone());
            as_made.tags_all = Some(sent.tags.clone().into_iter().collect());
            let mut updated = super::update::update(
                clients,
                ctx,
                &stored(as_made.to_cty()),
                &response.new_state,
                private,
            )
            .await;
            let mut diagnostics = response.diagnostics;
            diagnostics.extend(updated.diagnostics);
            updated.diagnostics = diagnostics;
            updated
        }
        Settled::NothingMade(attempts, d) => {
            // An update cannot answer with no object: the instance stays, its record now saying
            // that nothing was made, and the next refresh removes it (a new copy is then planned).
            let mut kept = AmiCopyState::from_cty(prior_value);
            kept.copy_attempts = Some(attempts.to_json());
            ApplyResponse::failed(stored(kept.to_cty()), private.to_vec(), d.into())
        }
    }
}

/// A resolution's end for a create.
enum Settled {
    /// The copy, or the unresolved instance: the answer to give.
    Done(ApplyResponse),
    /// Nothing of this instance's exists: the final record and the error.
    NothingMade(Box<Attempts>, Diagnostic),
}

/// What a resolution comes to for a create: the copy (waited for and finished), an error with no
/// state (nothing was made), or the unresolved instance.
async fn settle(
    clients: &AwsClients,
    ctx: &Context,
    planned_value: &Value,
    planned: &AmiCopyState,
    attempts: Attempts,
    resolution: Resolution,
    private: &[u8],
) -> Settled {
    let (id, warnings) = match resolution {
        Resolution::Ours {
            id,
            proof,
            warnings,
        } => {
            if let Err(why) =
                ownership::allow(ownership::Path::Create, ownership::Act::Adopt, &proof)
            {
                let d = Diagnostic::error(adopt::UNKNOWN, why);
                return Settled::Done(unresolved(ctx, planned, &attempts, private, d));
            }
            (id, warnings)
        }
        Resolution::NothingMade(d) | Resolution::Left(d) => {
            return Settled::NothingMade(Box::new(attempts), d)
        }
        Resolution::Unknown(d) => {
            return Settled::Done(unresolved(ctx, planned, &attempts, private, d))
        }
    };
    tracing::info!(image_id = %id, region = %attempts.region, resolved = !warnings.is_empty(), "AMI copy started");

    let copy = AmiCopyState {
        arn: Some(image_arn(&clients.partition, &attempts.region, &id)),
        id: Some(id),
        state: Some(Lifecycle::Pending),
        copy_attempts: Some(String::new()),
        ..planned.clone()
    };
    let work = wait_and_finish(
        clients,
        ctx,
        &attempts.region,
        planned_value,
        copy.clone(),
        private,
    );
    let mut response = keep_id(&copy, private, work).await;
    if !warnings.is_empty() {
        let mut diagnostics = warnings;
        diagnostics.extend(response.diagnostics);
        response.diagnostics = diagnostics;
    }
    Settled::Done(response)
}

/// The copy recorded in `state` (and, for states written before the record moved into the
/// state, its private data) whose outcome is not known yet; `None` when the state has an image id
/// or no record.
pub fn recorded(clients: &AwsClients, state: &AmiCopyState, private: &[u8]) -> Option<Attempts> {
    if !state.image_id().is_empty() {
        return None;
    }
    if let Some(a) = state.copy_attempts.as_deref().and_then(Attempts::from_json) {
        return Some(a);
    }
    // Written by an earlier release: the token and first attempt in private data, the request
    // as the state's values give it. The first attempt's end is not known: the longest a call
    // could have run (the client's operation timeout) is taken.
    let token = private::client_token(private)?;
    let first = private::first_attempt(private)?;
    let region = state.region_or(&clients.region).to_string();
    let mut a = Attempts::new(token, region, CopyRequest::of(clients, state));
    a.sends.push(ownership::Send {
        sent: first,
        ended: first + time::Duration::minutes(5),
        outcome: ownership::Outcome::Unknown {
            why: "recorded by an earlier release without its outcome".to_string(),
        },
    });
    Some(a)
}

/// Whether `state` is a copy whose outcome an earlier apply could not learn.
pub fn is_unresolved(clients: &AwsClients, state: &AmiCopyState, private: &[u8]) -> bool {
    recorded(clients, state, private).is_some()
}

/// Resolves an unresolved copy for a destroy: its id (proven by the token: the only proof a
/// destroy accepts), `None` with a warning when there is nothing this instance may deregister,
/// or the error that keeps it in the state.
pub async fn resolve_for_destroy(
    clients: &AwsClients,
    ctx: &Context,
    mut attempts: Attempts,
) -> Result<(Option<String>, Diagnostics), Diagnostic> {
    let why = "an earlier apply did not learn it".to_string();
    match adopt::resolve(clients, ctx, &mut attempts, Purpose::Destroy, &why).await {
        Resolution::Ours {
            id,
            proof,
            warnings,
        } => match ownership::allow(ownership::Path::Destroy, ownership::Act::Deregister, &proof) {
            Ok(()) => Ok((Some(id), warnings)),
            Err(why) => Err(Diagnostic::error(adopt::UNKNOWN, why)),
        },
        Resolution::NothingMade(d) | Resolution::Left(d) => Ok((None, d.into())),
        Resolution::Unknown(d) => Err(d),
    }
}

/// The answer when a copy's outcome stays unknown: the planned values without an id, pending,
/// with the record that lets the next apply resolve it. An error (Terraform taints the
/// instance), except after Ctrl-C: an interrupted apply must leave every copy to be resumed, not
/// replaced, so then it is a warning.
fn unresolved(
    ctx: &Context,
    planned: &AmiCopyState,
    attempts: &Attempts,
    private: &[u8],
    d: Diagnostic,
) -> ApplyResponse {
    let state = AmiCopyState {
        id: None,
        arn: None,
        state: Some(Lifecycle::Pending),
        copy_attempts: Some(attempts.to_json()),
        ..planned.clone()
    };
    let address = super::address::guess(planned.name.as_deref().unwrap_or_default())
        .unwrap_or_else(|| "ADDRESS".to_string());
    let interrupted = ctx.stop.is_cancelled();
    let next = if interrupted {
        "The next apply sends it again with that token and finishes the copy.".to_string()
    } else {
        format!(
            "To keep that copy, run:\n\n  terraform untaint {address}\n  terraform apply\n\n\
             Otherwise the next apply replaces this resource: it deregisters that copy, if EC2 \
             made one, and copies again."
        )
    };
    let detail = format!(
        "{}\n\nThe state keeps this resource without an image id, with its CopyImage request, \
         ClientToken and the times it was sent (copy_attempts), so that the next apply can tell \
         which copy is its own: EC2 answers a CopyImage sent again with the same token with the \
         copy the first request made, or makes it then. {next}",
        d.detail
    );
    let d = if interrupted {
        Diagnostic::warning(d.summary, detail)
    } else {
        Diagnostic { detail, ..d }
    };
    ApplyResponse {
        new_state: stored(state.to_cty()),
        private: private.to_vec(),
        diagnostics: d.into(),
    }
}

/// After CopyImage: wait for `available`, then finish the copy.
async fn wait_and_finish(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    planned_value: &Value,
    copy: AmiCopyState,
    private: &[u8],
) -> ApplyResponse {
    let wait = copy.timeout(Operation::Create);
    let available = wait_image(
        clients,
        region,
        copy.image_id(),
        WaitFor::Available,
        ctx.budget(wait),
        &ctx.stop,
    )
    .await;
    match available {
        Ok(image) => finish(clients, ctx, region, planned_value, copy, image, private).await,
        Err(e) => wait_ended_early(clients, region, planned_value, copy, e),
    }
}

/// The CopyImage request for `planned` (without its ClientToken), as the plan-time dry run sends
/// it.
pub fn copy_request(
    clients: &AwsClients,
    region: &str,
    planned: &AmiCopyState,
) -> aws_sdk_ec2::operation::copy_image::builders::CopyImageFluentBuilder {
    CopyRequest::of(clients, planned).builder(clients, region)
}

/// The copy is available: set what CopyImage could not, and record the image.
async fn finish(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    planned_value: &Value,
    copy: AmiCopyState,
    image: Image,
    private: &[u8],
) -> ApplyResponse {
    let mut diags = Diagnostics::new();
    let image = finish_copy(clients, ctx, region, &copy, image, &mut diags).await;
    let uefi = image_ops::uefi_data(clients, ctx, region, &image).await;
    let env = FlattenEnv::of(clients, region);
    let uefi_known = image_ops::uefi_settled(clients, region, &uefi).await;
    let mut new_state = observe(&image, &copy, uefi, &env).settled(planned_value);
    if diags.has_errors() {
        // Ctrl-C during the last steps, or one of them failed: the copy itself is done. An
        // error would taint it and the next apply would replace a finished copy (hours of
        // copying for a large image). Recorded untainted and pending instead, with warnings
        // only: the next plan shows the in-place resume, whose apply redoes these steps.
        new_state.state = Some(Lifecycle::Pending);
        diags = if ctx.stop.is_cancelled() {
            Diagnostic::warning(
                "AMI copy interrupted; the next apply finishes it",
                format!(
                    "Terraform was interrupted after the copy {} became available, before its \
                     deprecation time or deregistration protection were set. It is recorded as pending: \
                     the next `terraform apply` sets them.",
                    copy.image_id()
                ),
            )
            .into()
        } else {
            steps_left(copy.image_id(), diags)
        };
    }
    let new_state = stored(new_state.to_cty());
    ApplyResponse {
        new_state,
        private: if uefi_known {
            private::with_uefi_read(private)
        } else {
            private.to_vec()
        },
        diagnostics: diags,
    }
}

/// The wait for `available` ended early. The state keeps the id whatever happened.
fn wait_ended_early(
    clients: &AwsClients,
    region: &str,
    planned_value: &Value,
    copy: AmiCopyState,
    e: WaitError,
) -> ApplyResponse {
    let env = FlattenEnv::of(clients, region);
    let mut state = match e.last_image() {
        Some(last) => observe(last, &copy, None, &env).settled(planned_value),
        None => copy,
    };
    let (lifecycle, diagnostic) = wait_outcome(&e, &state, Waiting::Create);
    if lifecycle.is_some() {
        state.state = lifecycle;
    }
    let new_state = stored(state.to_cty());
    ApplyResponse::failed(new_state, vec![], diagnostic.into())
}
