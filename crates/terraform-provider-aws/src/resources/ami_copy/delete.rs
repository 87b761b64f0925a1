//! Destroy (A5, B4, B9): deregister the copy and delete its snapshots, leaving nothing behind;
//! or, with `skip_destroy`, forget it.

use super::flatten::{snapshot_ids, state_snapshot_ids};
use super::plan::DEREGISTERED;
use super::read::describe;
use super::{region_of, timeout};
use crate::ec2::errors::{
    describe_sdk_error, error_code, is_image_not_found, is_snapshot_in_use, is_snapshot_not_found,
};
use crate::ec2::image_waiter::{wait_image, WaitFor};
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::SnapshotReturnCodes;
use std::time::Duration;
use tfplugin::{ApplyResponse, Context, Diagnostics, Value};

/// A snapshot can stay "in use" for a short while after its image is deregistered.
const IN_USE_RETRIES: u32 = 5;

pub async fn delete(clients: &AwsClients, ctx: &Context, prior: &Value) -> ApplyResponse {
    if prior.get("skip_destroy").as_bool() == Some(true) {
        tracing::info!(image_id = ?prior.get("id").as_str(), "skip_destroy: leaving the AMI copy in place");
        return ApplyResponse::default();
    }
    let Some(id) = prior
        .get("id")
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
    else {
        return ApplyResponse::default();
    };
    let region = region_of(prior, clients);
    // On failure the state keeps the resource, so that the next destroy finishes the job (B4).
    let fail = |summary: &str, detail: String| {
        let mut diagnostics = Diagnostics::new();
        diagnostics.error(summary, detail);
        ApplyResponse {
            new_state: prior.clone(),
            private: vec![],
            diagnostics,
        }
    };

    // Snapshots to remove: the live image's and the state's (either may know more, B4).
    let mut snapshots = state_snapshot_ids(prior);
    let live = match describe(clients, &region, &id).await {
        Ok(live) => live,
        Err(msg) => {
            return fail(
                "Cannot delete AMI copy",
                format!("Describing AMI {id} failed: {msg}"),
            )
        }
    };
    if let Some(image) = &live {
        for s in snapshot_ids(image) {
            if !snapshots.contains(&s) {
                snapshots.push(s);
            }
        }
    }

    if live.is_some() {
        let out = clients
            .ec2(&region)
            .deregister_image()
            .image_id(&id)
            .delete_associated_snapshots(true)
            .send()
            .await;
        match out {
            Ok(out) => {
                for r in out.delete_snapshot_results() {
                    if r.return_code() == Some(&SnapshotReturnCodes::Success) {
                        if let Some(s) = r.snapshot_id() {
                            snapshots.retain(|x| x != s);
                        }
                    }
                }
            }
            Err(e) if is_image_not_found(&e) => {}
            Err(e) => {
                let mut detail = format!("DeregisterImage {id} failed: {}", describe_sdk_error(&e));
                if error_code(&e).as_deref() == Some("OperationNotPermitted")
                    || prior
                        .get("deregistration_protection")
                        .as_str()
                        .is_some_and(|p| p.starts_with("enabled"))
                {
                    detail.push_str(
                        ". If deregistration protection is on, set deregistration_protection = \"disabled\" and apply \
                         before destroying (with a cooldown, EC2 refuses for 24 hours after disabling), or set \
                         skip_destroy = true to leave the AMI in place.",
                    );
                }
                return fail("Cannot deregister AMI copy", detail);
            }
        }
        match wait_image(
            clients,
            &region,
            &id,
            WaitFor::Gone,
            timeout(prior, "delete"),
            &ctx.stop,
        )
        .await
        {
            Ok(_) => {}
            Err(e) => {
                return fail(
                    "AMI copy not deregistered",
                    format!("Waiting for AMI {id}: {e}. Run destroy again to finish."),
                )
            }
        }
    }

    let mut left: Vec<String> = Vec::new();
    for s in &snapshots {
        if let Err(msg) = delete_snapshot(clients, &region, s, &ctx.stop).await {
            left.push(format!("{s} ({msg})"));
        }
    }
    if !left.is_empty() {
        let mut r = fail(
            "AMI copy deregistered, snapshots left behind",
            format!(
                "AMI {id} is deregistered but {} of its snapshots could not be deleted: {}. Run destroy again \
                 to retry, or delete them yourself.",
                left.len(),
                left.join("; ")
            ),
        );
        // The image is gone; what is left is its snapshots, which the state still names.
        r.new_state.set("state", Value::string(DEREGISTERED));
        return r;
    }
    ApplyResponse::default()
}

/// Deletes one snapshot; gone already counts as done.
async fn delete_snapshot(
    clients: &AwsClients,
    region: &str,
    snapshot_id: &str,
    stop: &tokio_util::sync::CancellationToken,
) -> Result<(), String> {
    let mut delay = Duration::from_millis(500);
    let mut attempt = 0;
    loop {
        match clients
            .ec2(region)
            .delete_snapshot()
            .snapshot_id(snapshot_id)
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if is_snapshot_not_found(&e) => return Ok(()),
            Err(e) if is_snapshot_in_use(&e) && attempt < IN_USE_RETRIES => {
                attempt += 1;
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stop.cancelled() => return Err("interrupted".to_string()),
                }
                delay *= 2;
            }
            Err(e) => return Err(describe_sdk_error(&e)),
        }
    }
}
