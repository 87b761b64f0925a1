//! The EC2 calls on one image, each with its own error wording: describe, UEFI data,
//! deprecation, deregistration protection, tags (image and snapshots), deregistration and
//! snapshot deletion. The verb files (`create`, `read`, `update`, `delete`) only order them.

use super::copy_state::{nearest_utc_minute, same_deprecation_time};
use super::model::attr;
use crate::ec2::errors::{
    describe_sdk_error, error_code, is_image_not_found, is_snapshot_in_use, is_snapshot_not_found,
};
use crate::ec2::image_waiter::{wait_image, WaitFor};
use crate::provider::clients::AwsClients;
use crate::tags::{TagDiff, Tags};
use aws_sdk_ec2::types::{AttributeValue, Image, SnapshotReturnCodes, Tag};
use std::time::Duration;
use tfplugin::{AttributePath, Context, Diagnostic};

/// A snapshot can stay "in use" for a short while after its image is deregistered.
const IN_USE_RETRIES: u32 = 5;

/// DescribeImages of the copy, batched with the reads of other copies that arrive at the same
/// time (see `ec2::image_reader`): `Ok(None)` when it is gone (NotFound, not listed, or
/// `deregistered`); malformed ids and every other error are errors.
pub async fn describe(
    clients: &AwsClients,
    region: &str,
    id: &str,
) -> Result<Option<Image>, String> {
    crate::ec2::image_reader::describe_image(clients, region, id).await
}

/// The copy's UEFI data, read only when its boot mode allows it and as an optional read (see
/// `ec2::uefi`): `None` when it could not be read, and the caller keeps what it had.
pub async fn uefi_data(
    clients: &AwsClients,
    region: &str,
    image: &Image,
) -> Option<Option<String>> {
    crate::ec2::uefi::uefi_data(&clients.ec2(region), image).await
}

/// ModifyImageAttribute `description` (`""` clears it), then wait until DescribeImages shows it.
pub async fn set_description(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
    description: &str,
    wait_for: Duration,
) -> Result<Image, Diagnostic> {
    let path = AttributePath::root(attr::description);
    clients
        .ec2(region)
        .modify_image_attribute()
        .image_id(id)
        .description(AttributeValue::builder().value(description).build())
        .send()
        .await
        .map_err(|e| {
            Diagnostic::error(
                "Cannot update the AMI description",
                format!("ModifyImageAttribute on {id}: {}", describe_sdk_error(&e)),
            )
            .at(path.clone())
        })?;
    let want = description.to_string();
    let visible = WaitFor::matches(move |i: &Image| i.description().unwrap_or_default() == want);
    wait_image(clients, region, id, visible, wait_for, &ctx.stop)
        .await
        .map_err(|e| {
            Diagnostic::error(
                "AMI description not visible",
                format!("After ModifyImageAttribute: {e}."),
            )
            .at(path)
        })
}

/// Enable (`Some`) or disable (`None`) deprecation, then wait until DescribeImages shows it.
pub async fn set_deprecation(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
    when: Option<&str>,
    wait_for: Duration,
) -> Result<Image, Diagnostic> {
    let ec2 = clients.ec2(region);
    let path = AttributePath::root(attr::deprecation_time);
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
            ec2.enable_image_deprecation()
                .image_id(id)
                .deprecate_at(at)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| describe_sdk_error(&e))
        }
        None => ec2
            .disable_image_deprecation()
            .image_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| describe_sdk_error(&e)),
    };
    if let Err(msg) = result {
        let op = if when.is_some() {
            "EnableImageDeprecation"
        } else {
            "DisableImageDeprecation"
        };
        return Err(Diagnostic::error(
            "Cannot set the AMI deprecation time",
            format!("{op} on {id}: {msg}"),
        )
        .at(path));
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
    wait_image(clients, region, id, visible, wait_for, &ctx.stop)
        .await
        .map_err(|e| {
            Diagnostic::error(
                "AMI deprecation not visible",
                format!("After setting the deprecation time: {e}."),
            )
            .at(path)
        })
}

/// Deregistration protection to `want` ("enabled", "enabled-with-cooldown", "disabled").
pub async fn set_protection(
    clients: &AwsClients,
    region: &str,
    id: &str,
    want: &str,
) -> Result<(), Diagnostic> {
    let ec2 = clients.ec2(region);
    let result = match want {
        "enabled" | "enabled-with-cooldown" => ec2
            .enable_image_deregistration_protection()
            .image_id(id)
            .with_cooldown(want == "enabled-with-cooldown")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| describe_sdk_error(&e)),
        _ => ec2
            .disable_image_deregistration_protection()
            .image_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| describe_sdk_error(&e)),
    };
    result.map_err(|msg| {
        Diagnostic::error(
            "Cannot set deregistration protection",
            format!("Setting it to {want:?} on {id}: {msg}"),
        )
        .at(AttributePath::root(attr::deregistration_protection))
    })
}

/// Changes the tags of the image and of its snapshots (`resources`, the image first) from
/// `old` to `new`: only the keys that change are touched.
pub async fn retag(
    clients: &AwsClients,
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
    let err = |op: &str, msg: String| {
        Diagnostic::error(
            "Cannot update tags",
            format!("{op} on {}: {msg}", resources.join(", ")),
        )
        .at(AttributePath::root(attr::tags))
    };
    if !diff.to_delete.is_empty() {
        let mut req = ec2.delete_tags().set_resources(Some(resources.to_vec()));
        for k in &diff.to_delete {
            req = req.tags(Tag::builder().key(k).build());
        }
        req.send()
            .await
            .map_err(|e| err("DeleteTags", describe_sdk_error(&e)))?;
    }
    if !diff.to_set.is_empty() {
        create_tags(clients, region, resources, &diff.to_set)
            .await
            .map_err(|msg| err("CreateTags", msg))?;
    }
    Ok(())
}

/// One CreateTags call setting `tags` on every resource in `resources`.
pub async fn create_tags(
    clients: &AwsClients,
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
    req.send()
        .await
        .map(|_| ())
        .map_err(|e| describe_sdk_error(&e))
}

/// Why DeregisterImage failed.
pub struct DeregisterError {
    /// EC2's words.
    pub message: String,
    /// EC2 refused because deregistration protection is on.
    pub protected: bool,
}

/// DeregisterImage with its snapshots; returns the snapshots EC2 deleted. An image already
/// gone is not an error.
pub async fn deregister(
    clients: &AwsClients,
    region: &str,
    id: &str,
) -> Result<Vec<String>, DeregisterError> {
    let out = clients
        .ec2(region)
        .deregister_image()
        .image_id(id)
        .delete_associated_snapshots(true)
        .send()
        .await;
    match out {
        Ok(out) => Ok(out
            .delete_snapshot_results()
            .iter()
            .filter(|r| r.return_code() == Some(&SnapshotReturnCodes::Success))
            .filter_map(|r| r.snapshot_id().map(str::to_string))
            .collect()),
        Err(e) if is_image_not_found(&e) => Ok(vec![]),
        Err(e) => Err(DeregisterError {
            message: describe_sdk_error(&e),
            protected: error_code(&e).as_deref() == Some("OperationNotPermitted"),
        }),
    }
}

/// Deletes one snapshot, retrying while it is still "in use" by the image just deregistered;
/// gone already counts as done.
pub async fn delete_snapshot(
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
