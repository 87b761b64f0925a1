//! The EC2 calls on one image, each with its own error wording: describe, UEFI data,
//! deprecation, deregistration protection, tags (image and snapshots), deregistration and
//! snapshot deletion. The verb files (`create`, `read`, `update`, `delete`) only order them.
//! Every call is bounded by the operation's `Context` (Ctrl-C, the resource's timeouts; see
//! `ec2::call`).

use super::copy_state::{nearest_utc_minute, same_deprecation_time};
use super::model::attr;
use crate::ec2::call::{bounded, CallError};
use crate::ec2::errors::{
    error_code, is_image_not_found, is_snapshot_in_use, is_snapshot_not_found,
};
use crate::ec2::image_waiter::{wait_image, WaitError, WaitFor};
use crate::provider::clients::AwsClients;
use crate::tags::{TagDiff, Tags};
use aws_sdk_ec2::types::{AttributeValue, Image, SnapshotReturnCodes, Tag};
use std::time::Duration;
use tfplugin::{AttributePath, Context, Diagnostic};

/// A snapshot can stay "in use" for a short while after its image is deregistered.
const IN_USE_RETRIES: u32 = 5;

/// DescribeImages of the copy, batched with the reads of other copies that arrive at the same
/// time (see `ec2::image_reader`): `Ok(None)` when it is gone (NotFound, not listed, or
/// `deregistered`); malformed ids, every other error, an interruption and a timeout are errors.
pub async fn describe(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
) -> Result<Option<Image>, String> {
    read(clients, ctx, region, id, ctx.announced_read).await
}

/// [`describe`] for a refresh (ReadResource): every refresh read batches with the others by the
/// refresh's rule, announced or not (on a loaded machine an upgrade's announcement can lapse
/// before its read arrives, and the read must not then go alone).
pub async fn describe_for_refresh(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
) -> Result<Option<Image>, String> {
    read(clients, ctx, region, id, true).await
}

async fn read(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
    refresh: bool,
) -> Result<Option<Image>, String> {
    let read = crate::ec2::image_reader::describe_image(clients, region, id, refresh);
    bounded(ctx, format!("DescribeImages of {id}"), read)
        .await
        .map_err(|e| e.describe())
}

/// The copy's UEFI data, read only when its boot mode allows it and as an optional read (see
/// `ec2::uefi`): `None` when it could not be read, and the caller keeps what it had.
pub async fn uefi_data(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    image: &Image,
) -> Option<Option<String>> {
    let support = crate::ec2::uefi::support(clients as *const AwsClients as usize, region);
    let client = clients.ec2(region);
    let read = async { Ok::<_, ()>(crate::ec2::uefi::uefi_data(&client, image, &support).await) };
    bounded(ctx, "DescribeImageAttribute uefiData", read)
        .await
        .ok()
        .flatten()
}

/// Whether the copy's UEFI data is settled for good after `read` (what [`uefi_data`] gave): it
/// was read, or the backend does not implement the read and never will for this copy.
pub async fn uefi_settled(
    clients: &AwsClients,
    region: &str,
    read: &Option<Option<String>>,
) -> bool {
    read.is_some()
        || crate::ec2::uefi::support(clients as *const AwsClients as usize, region)
            .lacking()
            .await
}

/// ModifyImageAttribute `description` (`""` clears it), then wait until DescribeImages shows it.
pub async fn set_description(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
    description: &str,
    wait_for: Duration,
) -> Result<Change, Diagnostic> {
    let path = AttributePath::root(attr::description);
    let what = format!("ModifyImageAttribute on {id}");
    let call = clients
        .ec2(region)
        .modify_image_attribute()
        .image_id(id)
        .description(AttributeValue::builder().value(description).build())
        .send();
    bounded(ctx, what.clone(), call).await.map_err(|e| {
        Diagnostic::error("Cannot update the AMI description", e.detail(&what)).at(path.clone())
    })?;
    let want = description.to_string();
    let visible = WaitFor::matches(move |i: &Image| i.description().unwrap_or_default() == want);
    let shown = Shown {
        summary: "AMI description not visible",
        after: "ModifyImageAttribute",
        path,
    };
    wait_shown(clients, ctx, region, id, visible, wait_for, shown).await
}

/// What a change waits to see in DescribeImages, for the diagnostic when it does not.
struct Shown {
    summary: &'static str,
    /// The change made, as in "After {after}: timed out ...".
    after: &'static str,
    path: AttributePath,
}

/// The longest wait for DescribeImages to show a change EC2 accepted. EC2 shows it within
/// seconds; a backend that accepts the call and ignores it (stock moto's description) must cost
/// a warning, not the operation's whole timeout.
pub const SHOWN_WAIT: Duration = Duration::from_secs(30);

/// A change EC2 accepted: seen in DescribeImages, or not within [`SHOWN_WAIT`] (the warning
/// says so; the state records what was asked, and the next refresh reads what EC2 shows).
pub enum Change {
    Shown(Box<Image>),
    NotShown(Diagnostic),
}

/// Waits until DescribeImages shows a change just made (EC2 is eventually consistent), for at
/// most [`SHOWN_WAIT`] and what is left of the operation's time.
async fn wait_shown(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
    visible: WaitFor,
    wait_for: Duration,
    shown: Shown,
) -> Result<Change, Diagnostic> {
    let budget = ctx.budget(wait_for.min(SHOWN_WAIT));
    match wait_image(clients, region, id, visible, budget, &ctx.stop).await {
        Ok(image) => Ok(Change::Shown(Box::new(image))),
        // Our own bound, not the operation's: the backend did not show the change.
        Err(WaitError::Timeout { .. }) if ctx.remaining() != Some(Duration::ZERO) => {
            Ok(Change::NotShown(
                Diagnostic::warning(
                    shown.summary,
                    format!(
                        "EC2 accepted {} on {id}, but DescribeImages did not show the change \
                         within {}s. The state records the value asked for; the next refresh reads \
                         what EC2 shows, and if the change is still missing, the next plan shows it \
                         again.",
                        shown.after,
                        SHOWN_WAIT.as_secs()
                    ),
                )
                .at(shown.path),
            ))
        }
        Err(e) => Err(
            Diagnostic::error(shown.summary, format!("After {}: {e}.", shown.after)).at(shown.path),
        ),
    }
}

/// Enable (`Some`) or disable (`None`) deprecation, then wait until DescribeImages shows it.
pub async fn set_deprecation(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
    when: Option<&str>,
    wait_for: Duration,
) -> Result<Change, Diagnostic> {
    let ec2 = clients.ec2(region);
    let path = AttributePath::root(attr::deprecation_time);
    let op = if when.is_some() {
        "EnableImageDeprecation"
    } else {
        "DisableImageDeprecation"
    };
    let what = format!("{op} on {id}");
    let result = match when {
        Some(t) => {
            // Sent already rounded as EC2 rounds it, so what EC2 stores is exactly the minute the
            // wait below and later plans compare with.
            let Some(at) = nearest_utc_minute(t) else {
                return Err(Diagnostic::error(
                    "Invalid deprecation time",
                    format!("{t:?} is not RFC 3339."),
                )
                .at(path));
            };
            let at = aws_smithy_types::DateTime::from_secs(at.unix_timestamp());
            let call = ec2.enable_image_deprecation().image_id(id).deprecate_at(at);
            bounded(ctx, what.clone(), call.send())
                .await
                .map(|_| ())
                .map_err(|e| e.detail(&what))
        }
        None => bounded(
            ctx,
            what.clone(),
            ec2.disable_image_deprecation().image_id(id).send(),
        )
        .await
        .map(|_| ())
        .map_err(|e| e.detail(&what)),
    };
    if let Err(msg) = result {
        return Err(Diagnostic::error("Cannot set the AMI deprecation time", msg).at(path));
    }
    let want = when.map(str::to_string);
    let visible = WaitFor::matches(move |i: &Image| {
        let live = i.deprecation_time().filter(|t| !t.is_empty());
        match (&want, live) {
            (Some(w), Some(l)) => same_deprecation_time(w, l),
            (None, None) => true,
            _ => false,
        }
    });
    let shown = Shown {
        summary: "AMI deprecation not visible",
        after: "setting the deprecation time",
        path,
    };
    wait_shown(clients, ctx, region, id, visible, wait_for, shown).await
}

/// Deregistration protection to `want` ("enabled", "enabled-with-cooldown", "disabled").
pub async fn set_protection(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
    want: &str,
) -> Result<(), Diagnostic> {
    let ec2 = clients.ec2(region);
    let call = |op: &str| format!("{op} on {id}");
    let result = match want {
        "enabled" | "enabled-with-cooldown" => {
            let op = call("EnableImageDeregistrationProtection");
            let req = ec2
                .enable_image_deregistration_protection()
                .image_id(id)
                .with_cooldown(want == "enabled-with-cooldown");
            bounded(ctx, op.clone(), req.send())
                .await
                .map(|_| ())
                .map_err(|e| (op, e.describe()))
        }
        _ => {
            let op = call("DisableImageDeregistrationProtection");
            let req = ec2.disable_image_deregistration_protection().image_id(id);
            bounded(ctx, op.clone(), req.send())
                .await
                .map(|_| ())
                .map_err(|e| (op, e.describe()))
        }
    };
    result.map_err(|(op, msg)| {
        Diagnostic::error(
            "Cannot set deregistration protection",
            format!("Setting it to {want:?} ({op}): {msg}"),
        )
        .at(AttributePath::root(attr::deregistration_protection))
    })
}

/// Changes the tags of the image and of its snapshots (`resources`, the image first) from
/// `old` to `new`: only the keys that change are touched.
pub async fn retag(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    resources: &[String],
    old: &Tags,
    new: &Tags,
) -> Result<(), Diagnostic> {
    let diff = TagDiff::between(old, new);
    if diff.is_empty() {
        return Ok(());
    }
    let ec2 = clients.ec2(region);
    let err = |msg: String| {
        Diagnostic::error("Cannot update tags", msg).at(AttributePath::root(attr::tags))
    };
    if !diff.to_delete.is_empty() {
        let mut req = ec2.delete_tags().set_resources(Some(resources.to_vec()));
        for k in &diff.to_delete {
            req = req.tags(Tag::builder().key(k).build());
        }
        let what = format!("DeleteTags on {}", resources.join(", "));
        bounded(ctx, what.clone(), req.send())
            .await
            .map_err(|e| err(e.detail(&what)))?;
    }
    if !diff.to_set.is_empty() {
        create_tags(clients, ctx, region, resources, &diff.to_set)
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// One CreateTags call setting `tags` on every resource in `resources`; the error names the
/// call ("CreateTags on ami-1, snap-1: ...").
pub async fn create_tags(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    resources: &[String],
    tags: &Tags,
) -> Result<(), String> {
    let mut req = clients
        .ec2(region)
        .create_tags()
        .set_resources(Some(resources.to_vec()));
    for (k, v) in tags {
        req = req.tags(Tag::builder().key(k).value(v).build());
    }
    let what = format!("CreateTags on {}", resources.join(", "));
    bounded(ctx, what.clone(), req.send())
        .await
        .map(|_| ())
        .map_err(|e| e.detail(&what))
}

/// Why DeregisterImage failed.
pub struct DeregisterError {
    /// EC2's words, or the interruption or timeout.
    pub message: String,
    /// EC2 refused because deregistration protection is on.
    pub protected: bool,
    /// Interrupted or timed out: EC2 may or may not have deregistered it.
    pub abandoned: bool,
}

/// DeregisterImage with its snapshots; returns the snapshots EC2 deleted. An image already
/// gone is not an error.
pub async fn deregister(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
) -> Result<Vec<String>, DeregisterError> {
    let call = clients
        .ec2(region)
        .deregister_image()
        .image_id(id)
        .delete_associated_snapshots(true)
        .send();
    let out = bounded(ctx, format!("DeregisterImage {id}"), call).await;
    let out = match out {
        Ok(out) => Ok(out),
        Err(CallError::Failed(e)) => Err(e),
        Err(e) => {
            return Err(DeregisterError {
                message: e.describe(),
                protected: false,
                abandoned: true,
            })
        }
    };
    match out {
        Ok(out) => Ok(out
            .delete_snapshot_results()
            .iter()
            .filter(|r| r.return_code() == Some(&SnapshotReturnCodes::Success))
            .filter_map(|r| r.snapshot_id().map(str::to_string))
            .collect()),
        Err(e) if is_image_not_found(&e) => Ok(vec![]),
        Err(e) => Err(DeregisterError {
            message: crate::ec2::errors::describe_sdk_error(&e),
            protected: error_code(&e).as_deref() == Some("OperationNotPermitted"),
            abandoned: false,
        }),
    }
}

/// Why a snapshot was not deleted.
#[derive(Debug)]
pub enum SnapshotNotDeleted {
    /// Still in use by the images named (registered from it outside this resource).
    InUseBy(Vec<String>),
    /// Anything else, in EC2's words (a retry may help).
    Other(String),
}

/// EC2's code for a snapshot that is still pending (a copy in progress).
const INCORRECT_STATE: &str = "IncorrectState";

/// The longest pause between two DeleteSnapshot attempts on a snapshot still pending.
const PENDING_PAUSE_CAP: Duration = Duration::from_secs(15);

/// Deletes one snapshot; gone already counts as done. Retries while it is still "in use" by the
/// image just deregistered (unless another image uses it: then it is that image's), and while it
/// is still pending (`IncorrectState`), within the operation's time.
pub async fn delete_snapshot(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    snapshot_id: &str,
) -> Result<(), SnapshotNotDeleted> {
    let mut delay = Duration::from_millis(500);
    let mut in_use = 0;
    let what = format!("DeleteSnapshot {snapshot_id}");
    loop {
        let call = clients
            .ec2(region)
            .delete_snapshot()
            .snapshot_id(snapshot_id)
            .send();
        match bounded(ctx, what.clone(), call).await {
            Ok(_) => return Ok(()),
            Err(CallError::Failed(e)) if is_snapshot_not_found(&e) => return Ok(()),
            Err(CallError::Failed(e)) if is_snapshot_in_use(&e) => {
                let users = images_using_snapshot(clients, ctx, region, snapshot_id)
                    .await
                    .unwrap_or_default();
                if !users.is_empty() {
                    return Err(SnapshotNotDeleted::InUseBy(users));
                }
                in_use += 1;
                if in_use > IN_USE_RETRIES {
                    return Err(SnapshotNotDeleted::Other(
                        crate::ec2::errors::describe_sdk_error(&e),
                    ));
                }
            }
            Err(CallError::Failed(e)) if error_code(&e).as_deref() == Some(INCORRECT_STATE) => {
                tracing::info!(
                    snapshot_id,
                    "snapshot still pending; deleting it again shortly"
                );
            }
            Err(e) => return Err(SnapshotNotDeleted::Other(e.describe())),
        }
        // The pause is a call of its own: bounded the same way.
        let pause = async {
            tokio::time::sleep(delay).await;
            Ok::<_, ()>(())
        };
        if let Err(e) = bounded(ctx, format!("{what} (waiting to retry)"), pause).await {
            return Err(SnapshotNotDeleted::Other(e.message(|_| String::new())));
        }
        delay = (delay * 2).min(PENDING_PAUSE_CAP);
    }
}

/// The account's images (disabled ones included) whose block devices use `snapshot_id`. Listed
/// and matched here rather than by the `block-device-mapping.snapshot-id` filter, which some
/// backends lack; this runs only when a snapshot is found in use.
pub async fn images_using_snapshot(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    snapshot_id: &str,
) -> Result<Vec<String>, String> {
    let list = async {
        let client = clients.ec2(region);
        let mut users = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = client
                .describe_images()
                .owners("self")
                .include_disabled(true)
                .set_next_token(token.take())
                .customize()
                .config_override(crate::ec2::bare_500::describe_images())
                .send()
                .await
                .map_err(|e| crate::ec2::errors::describe_sdk_error(&e))?;
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            for image in page.images() {
                let live = image.state() != Some(&aws_sdk_ec2::types::ImageState::Deregistered);
                if live
                    && super::flatten::snapshot_ids(image)
                        .iter()
                        .any(|s| s == snapshot_id)
                {
                    users.push(image.image_id().unwrap_or_default().to_string());
                }
            }
            if token.is_none() {
                break;
            }
        }
        Ok::<_, String>(users)
    };
    bounded(ctx, format!("DescribeImages using {snapshot_id}"), list)
        .await
        .map_err(|e| e.describe())
}
