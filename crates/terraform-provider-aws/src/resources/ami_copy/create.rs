//! Create: CopyImage, record the id, wait for `available`, then the steps CopyImage cannot do
//! (deprecation, deregistration protection). From the moment EC2 answers with an id, every
//! answer carries it, so that Terraform never loses track of a copy that exists; when the answer
//! is lost, or the name is taken by this configuration's earlier copy, that copy is adopted
//! (`adopt`).

use super::adopt::{self, CopyFailure, Wanted};
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
    let token = private::client_token(private).unwrap_or_else(private::new_client_token);
    let (id, adopted) = match copy_image(clients, ctx, &region, &planned, token).await {
        Ok(id) => (id, None),
        Err(failure) => {
            match adopt::recover(clients, ctx, wanted(&region, &planned), failure).await {
                Ok(a) => (a.id, Some(a.warning)),
                Err(d) => return ApplyResponse::failed(Value::Null, vec![], d.into()),
            }
        }
    };
    tracing::info!(image_id = %id, %region, adopted = adopted.is_some(), "AMI copy started");

    let copy = AmiCopyState {
        arn: Some(image_arn(&clients.partition, &region, &id)),
        id: Some(id),
        state: Some(Lifecycle::Pending),
        ..planned.clone()
    };
    let work = wait_and_finish(clients, ctx, &region, planned_value, copy.clone(), private);
    let mut response = keep_id(&copy, private, work).await;
    if let Some(warning) = adopted {
        let mut diagnostics = Diagnostics::from(warning);
        diagnostics.extend(response.diagnostics);
        response.diagnostics = diagnostics;
    }
    response
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
    token: String,
) -> Result<String, CopyFailure> {
    let tags = asked_tags(clients, planned);
    let source = planned.source_ami_id.clone().unwrap_or_default();
    let mut req = clients
        .ec2(region)
        .copy_image()
        .client_token(token)
        .name(planned.name.clone().unwrap_or_default())
        .source_image_id(&source)
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
    match bounded(ctx, format!("CopyImage of {source}"), req.send()).await {
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
