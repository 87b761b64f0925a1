//! Destroy: deregister the copy and delete its snapshots, leaving nothing behind; or, with
//! `skip_destroy`, forget it. On failure the state keeps the copy, so that the next destroy
//! finishes the job.

use super::copy_state::Lifecycle;
use super::create;
use super::flatten::snapshot_ids;
use super::image_ops::{self, DeregisterError};
use super::lifecycle::sentence;
use super::model::{attr, AmiCopyState, Cty, Operation};
use super::ownership::{self, Act, Path, Proof};
use crate::ec2::image_waiter::{wait_image, WaitFor};
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::Image;
use tfplugin::{ApplyResponse, Context, Diagnostic, Diagnostics, Value};

pub async fn delete(
    clients: &AwsClients,
    ctx: &Context,
    prior_value: &Value,
    private: &[u8],
) -> ApplyResponse {
    let mut prior = AmiCopyState::from_cty(prior_value);
    if prior.skip_destroy == Some(true) {
        tracing::info!(image_id = ?prior.id, "skip_destroy: leaving the AMI copy in place");
        return ApplyResponse::default();
    }
    let fail = |summary: &str, detail: String| {
        ApplyResponse::failed(
            prior_value.clone(),
            private.to_vec(),
            Diagnostic::error(summary, detail).into(),
        )
    };
    let mut notes = Diagnostics::new();
    if let Some(attempts) = create::recorded(clients, &prior, private) {
        // Recorded without an id: find its copy with its own ClientToken before anything else.
        match create::resolve_for_destroy(clients, ctx, attempts).await {
            Ok((Some(id), warnings)) => {
                prior.id = Some(id);
                notes = warnings;
            }
            Ok((None, warnings)) => {
                return ApplyResponse {
                    diagnostics: warnings,
                    ..Default::default()
                }
            }
            Err(d) => {
                return ApplyResponse::failed(prior_value.clone(), private.to_vec(), d.into())
            }
        }
    }
    let id = prior.image_id().to_string();
    if id.is_empty() {
        return ApplyResponse::default();
    }
    // The state holds this id for this instance (or the token proved it, above).
    if let Err(why) = ownership::allow(Path::Destroy, Act::Deregister, &Proof::State) {
        return fail("Cannot delete AMI copy", why);
    }
    let region = prior.region_or(&clients.region).to_string();
    // Every call below gives up when Ctrl-C comes or `timeouts { delete }` runs out.
    let ctx = &ctx.with_timeout("delete", prior.timeout(Operation::Delete));

    let live = match image_ops::describe(clients, ctx, &region, &id).await {
        Ok(live) => live,
        Err(msg) => {
            return fail(
                "Cannot delete AMI copy",
                format!("Describing AMI {id} failed: {msg}. {KEPT}"),
            )
        }
    };
    let mut snapshots = snapshots_of(&prior, live.as_ref());
    if live.is_some() {
        match deregister_and_wait(clients, ctx, &region, &prior).await {
            Ok(deleted) => snapshots.retain(|s| !deleted.contains(s)),
            Err((summary, detail)) => return fail(summary, detail),
        }
    }

    let left = delete_snapshots(clients, ctx, &region, &snapshots).await;
    notes.extend(left.others_warnings());
    if left.failed.is_empty() {
        return ApplyResponse {
            diagnostics: notes,
            ..Default::default()
        };
    }
    let mut r = fail(
        "AMI copy deregistered, snapshots left behind",
        format!(
            "AMI {id} is deregistered but {} of its snapshots could not be deleted: {}. Run destroy again \
             to retry, or delete them yourself.",
            left.failed.len(),
            left.failed.join("; ")
        ),
    );
    // The image is gone; what is left is its snapshots, which the state still names.
    r.new_state
        .set(attr::state, Value::string(Lifecycle::Deregistered.as_str()));
    notes.extend(r.diagnostics);
    r.diagnostics = notes;
    r
}

/// DeregisterImage, then wait until the image is gone. Returns the snapshots EC2 deleted with
/// it, or the error's summary and detail.
async fn deregister_and_wait(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    prior: &AmiCopyState,
) -> Result<Vec<String>, (&'static str, String)> {
    let id = prior.image_id();
    let deleted = image_ops::deregister(clients, ctx, region, id)
        .await
        .map_err(|e| {
            (
                "Cannot deregister AMI copy",
                deregister_failed(id, prior, e),
            )
        })?;
    let wait = prior.timeout(Operation::Delete);
    wait_image(
        clients,
        region,
        id,
        WaitFor::Gone,
        ctx.budget(wait),
        &ctx.stop,
    )
    .await
    .map_err(|e| {
        (
            "AMI copy not deregistered",
            format!("{}. Run destroy again to finish.", sentence(e)),
        )
    })?;
    Ok(deleted)
}

/// What deleting the copy's snapshots left.
#[derive(Default)]
struct Left {
    /// Snapshots that could not be deleted, each with the reason: a retry may help.
    failed: Vec<String>,
    /// Snapshots another image uses, with that image: theirs now, left alone.
    in_use_by_others: Vec<(String, String)>,
}

impl Left {
    fn others_warnings(&self) -> Diagnostics {
        let mut d = Diagnostics::new();
        for (snapshot, users) in &self.in_use_by_others {
            d.warning(
                "Snapshot left to the image that uses it",
                format!(
                    "The copy's snapshot {snapshot} is used by {users}, registered from it outside \
                     this resource, so it belongs to that image now and was not deleted. Delete it \
                     once that image is deregistered."
                ),
            );
        }
        d
    }
}

/// Deletes `snapshots`; a snapshot another image uses is that image's and is left, with a
/// warning, not a failure that every later destroy would repeat.
async fn delete_snapshots(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    snapshots: &[String],
) -> Left {
    let mut left = Left::default();
    for s in snapshots {
        match image_ops::delete_snapshot(clients, ctx, region, s).await {
            Ok(()) => {}
            Err(image_ops::SnapshotNotDeleted::InUseBy(users)) => {
                left.in_use_by_others.push((s.clone(), users.join(", ")))
            }
            Err(image_ops::SnapshotNotDeleted::Other(msg)) => {
                left.failed.push(format!("{s} ({msg})"))
            }
        }
    }
    left
}

/// Snapshots to remove: the state's and the live image's (either may know more: the state
/// after a destroy that left some behind, the image when the state predates a refresh).
fn snapshots_of(prior: &AmiCopyState, live: Option<&Image>) -> Vec<String> {
    let mut snapshots = prior.snapshot_ids();
    for s in live.map(snapshot_ids).unwrap_or_default() {
        if !snapshots.contains(&s) {
            snapshots.push(s);
        }
    }
    snapshots
}

/// What a failed destroy leaves: said after every failure before the image is gone.
const KEPT: &str = "The copy stays in the state: the next destroy tries again.";

fn deregister_failed(id: &str, prior: &AmiCopyState, e: DeregisterError) -> String {
    if e.abandoned {
        // Interrupted or timed out: the message names the call.
        return format!("{}. {KEPT}", e.message);
    }
    let mut detail = format!("DeregisterImage {id} failed: {}", e.message);
    if e.protected || prior.protection().starts_with("enabled") {
        detail.push_str(
            ". If deregistration protection is on, set deregistration_protection = \"disabled\" and apply \
             before destroying (with a cooldown, EC2 refuses for 24 hours after disabling), or set \
             skip_destroy = true to leave the AMI in place.",
        );
    }
    detail
}
