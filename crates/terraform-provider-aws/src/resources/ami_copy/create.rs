//! Create: CopyImage, record the id, wait for `available`, then the steps CopyImage cannot do
//! (deprecation, deregistration protection). From the moment EC2 answers with an id, every
//! answer carries it, so that Terraform never loses track of a copy that exists. When no answer
//! gives the id, `adopt` resolves it with proof; when even that cannot tell, the instance is kept
//! in the state without an id but with its ClientToken and first attempt time ("unresolved"), and
//! the next apply (an update after `terraform untaint`, or the destroy of a replacement) resolves
//! it with the same token.

use super::adopt::{self, CopyFailure, Resolution, Wanted};
use super::copy_state::Lifecycle;
use super::flatten::{image_arn, observe, FlattenEnv};
use super::image_ops;
use super::keep_id::keep_id;
use super::lifecycle::{asked_tags, finish_copy, steps_left, wait_outcome, Waiting};
use super::model::{AmiCopyState, Cty, Operation};
use super::private;
use super::schema::stored;
use crate::ec2::call::{bounded, CallError};
use crate::ec2::image_waiter::{wait_image, WaitError, WaitFor};
use crate::provider::clients::AwsClients;
use crate::tags::Tags;
use aws_sdk_ec2::types::{Image, ResourceType, Tag, TagSpecification};
use tfplugin::{ApplyResponse, Context, Diagnostic, Diagnostics, Value};

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
    let (private, token, first_attempt) = attempt_record(private);
    let private = &private;
    let (id, warnings) = match copy_image(clients, ctx, &region, &planned, &token, false).await {
        Ok(id) => (id, Diagnostics::new()),
        Err(failure) => match resolve(
            clients,
            ctx,
            &region,
            &planned,
            &token,
            first_attempt,
            failure,
        )
        .await
        {
            Resolution::Ours { id, warnings } => (id, warnings),
            Resolution::Refused(d) => return ApplyResponse::failed(Value::Null, vec![], d.into()),
            Resolution::Unknown(d) => return unresolved(&planned, private, d),
        },
    };
    tracing::info!(image_id = %id, %region, resolved = !warnings.is_empty(), "AMI copy started");

    let copy = AmiCopyState {
        arn: Some(image_arn(&clients.partition, &region, &id)),
        id: Some(id),
        state: Some(Lifecycle::Pending),
        ..planned.clone()
    };
    let work = wait_and_finish(clients, ctx, &region, planned_value, copy.clone(), private);
    let mut response = keep_id(&copy, private, work).await;
    if !warnings.is_empty() {
        let mut diagnostics = warnings;
        diagnostics.extend(response.diagnostics);
        response.diagnostics = diagnostics;
    }
    response
}

/// The private data with this instance's ClientToken and first CopyImage attempt (kept from an
/// earlier apply that could not resolve its copy, else now), and those two.
fn attempt_record(private: &[u8]) -> (Vec<u8>, String, time::OffsetDateTime) {
    let token = private::client_token(private).unwrap_or_else(private::new_client_token);
    let first = private::first_attempt(private).unwrap_or_else(time::OffsetDateTime::now_utc);
    let with_token = if private::client_token(private).is_some() {
        private.to_vec()
    } else {
        private::with_client_token(&token)
    };
    (
        private::with_first_attempt(&with_token, first),
        token,
        first,
    )
}

/// Resolves a CopyImage that gave no id (see `adopt`), re-sending it with the same token.
async fn resolve(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    planned: &AmiCopyState,
    token: &str,
    first_attempt: time::OffsetDateTime,
    failure: CopyFailure,
) -> Resolution {
    let resend =
        |c: Context| async move { copy_image(clients, &c, region, planned, token, true).await };
    adopt::resolve(
        clients,
        ctx,
        wanted(region, planned),
        first_attempt,
        failure,
        resend,
    )
    .await
}

/// A state recorded without an image id: its copy's outcome is still unknown, and its private
/// data holds the ClientToken and first attempt that will resolve it.
pub fn is_unresolved(state: &AmiCopyState, private: &[u8]) -> bool {
    state.image_id().is_empty() && private::client_token(private).is_some()
}

/// Resolves an unresolved state's copy for a destroy: its id (this instance's, proven), `None`
/// when none was made, or the error that keeps it in the state.
pub async fn resolve_unresolved(
    clients: &AwsClients,
    ctx: &Context,
    state: &AmiCopyState,
    private: &[u8],
) -> Result<(Option<String>, Diagnostics), Diagnostic> {
    let (_, token, first_attempt) = attempt_record(private);
    let region = state.region_or(&clients.region);
    let why = "an earlier apply did not learn it".to_string();
    match resolve(
        clients,
        ctx,
        region,
        state,
        &token,
        first_attempt,
        CopyFailure::Unknown(why),
    )
    .await
    {
        Resolution::Ours { id, warnings } => Ok((Some(id), warnings)),
        Resolution::Refused(d) => Ok((
            None,
            Diagnostic::warning(
                "No AMI copy to destroy",
                format!(
                    "This resource was recorded without an image id, its copy's outcome unknown. \
                     Resolving it found that no copy of its own exists: {}",
                    d.detail
                ),
            )
            .into(),
        )),
        Resolution::Unknown(d) => Err(d),
    }
}

/// The answer when a copy's outcome stays unknown: an error, and the planned values without an
/// id, pending, with the private data that lets the next apply resolve it.
fn unresolved(planned: &AmiCopyState, private: &[u8], d: Diagnostic) -> ApplyResponse {
    let state = AmiCopyState {
        id: None,
        arn: None,
        state: Some(Lifecycle::Pending),
        ..planned.clone()
    };
    let address = super::address::guess(planned.name.as_deref().unwrap_or_default())
        .unwrap_or_else(|| "ADDRESS".to_string());
    let d = Diagnostic {
        detail: format!(
            "{}\n\nThe state keeps this resource without an image id, with its CopyImage \
             ClientToken and the time it was first sent, so that the next apply can tell which \
             copy is its own: EC2 answers a CopyImage sent again with the same token with the copy \
             the first request made, or makes it then. To keep that copy, run:\n\n  terraform \
             untaint {address}\n  terraform apply\n\nOtherwise the next apply replaces this \
             resource: it deregisters that copy, if EC2 made one, and copies again.",
            d.detail
        ),
        ..d
    };
    ApplyResponse::failed(stored(state.to_cty()), private.to_vec(), d.into())
}

/// The copy this create asks for, as the adoption lookup matches it.
fn wanted<'a>(region: &'a str, planned: &'a AmiCopyState) -> Wanted<'a> {
    Wanted {
        region,
        name: planned.name.as_deref().unwrap_or_default(),
        source_id: planned.source_ami_id.as_deref().unwrap_or_default(),
        source_region: planned.source_ami_region.as_deref().unwrap_or_default(),
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

/// CopyImage with every argument the configuration gives, tagged at birth (image and
/// snapshots alike, so that no untagged snapshot ever exists). Returns the new image id.
async fn copy_image(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    planned: &AmiCopyState,
    token: &str,
    resend: bool,
) -> Result<String, CopyFailure> {
    if ctx.stop.is_cancelled() && !resend {
        // Never sent: nothing was copied, and nothing is to be resolved.
        return Err(CopyFailure::Refused(Diagnostic::error(
            "AMI copy not started",
            "Terraform was interrupted before CopyImage was sent: nothing was copied.",
        )));
    }
    let source = planned.source_ami_id.clone().unwrap_or_default();
    let req = copy_request(clients, region, planned).client_token(token);
    let what = format!("CopyImage of {source}");
    let sent = if resend {
        // The resolution's one re-send: a short retry policy within its own short bound.
        let short = req
            .customize()
            .config_override(crate::ec2::optional_read::config());
        bounded(ctx, what, short.send()).await
    } else {
        bounded(ctx, what, req.send()).await
    };
    match sent {
        Ok(out) => match out.image_id() {
            Some(id) if !id.is_empty() => Ok(id.to_string()),
            // EC2 accepted the call but named no image: it may have made one all the same.
            _ => Err(CopyFailure::Unknown(
                "EC2 answered without an image id".to_string(),
            )),
        },
        Err(CallError::Failed(e)) => Err(CopyFailure::of(&e, &source)),
        // Abandoned (Ctrl-C, `timeouts { create }`): the request may have been served.
        Err(e) => Err(CopyFailure::Unknown(e.why_abandoned().unwrap_or_default())),
    }
}

/// The CopyImage request for `planned` (without its ClientToken): every argument the
/// configuration gives, and the tags at birth for the image and its snapshots. The plan-time dry
/// run sends the same.
pub fn copy_request(
    clients: &AwsClients,
    region: &str,
    planned: &AmiCopyState,
) -> aws_sdk_ec2::operation::copy_image::builders::CopyImageFluentBuilder {
    let tags = asked_tags(clients, planned);
    let mut req = clients
        .ec2(region)
        .copy_image()
        .name(planned.name.clone().unwrap_or_default())
        .source_image_id(planned.source_ami_id.clone().unwrap_or_default())
        .source_region(planned.source_ami_region.clone().unwrap_or_default())
        .encrypted(planned.encrypted.unwrap_or(false))
        // Always sent, "" when unset (as the Go provider does): without it EC2 gives the copy the
        // source's description, which the configuration does not have.
        .description(planned.description.clone().unwrap_or_default())
        .set_kms_key_id(planned.kms_key_id.clone())
        .set_destination_outpost_arn(planned.destination_outpost_arn.clone())
        .set_destination_availability_zone(planned.destination_availability_zone.clone())
        .set_snapshot_copy_completion_duration_minutes(
            planned.snapshot_copy_completion_duration_minutes,
        );
    if planned.copy_tags == Some(true) {
        req = req.copy_image_tags(true);
    }
    if !tags.is_empty() {
        req = req
            .tag_specifications(tag_spec(ResourceType::Image, &tags))
            .tag_specifications(tag_spec(ResourceType::Snapshot, &tags));
    }
    req
}

fn tag_spec(kind: ResourceType, tags: &Tags) -> TagSpecification {
    let mut spec = TagSpecification::builder().resource_type(kind);
    for (k, v) in tags {
        spec = spec.tags(Tag::builder().key(k).value(v).build());
    }
    spec.build()
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
        private: private.to_vec(),
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
