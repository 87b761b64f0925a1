//! Refresh (A3): the image as EC2 describes it now, or null when it is gone.

use super::flatten::state_snapshot_ids;
use super::flatten::{flatten, FlattenEnv};
use super::plan::{DEREGISTERED, FAILED_STATES};
use super::region_of;
use crate::ec2::errors::{describe_sdk_error, is_image_not_found};
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::{Image, ImageAttributeName, ImageState};
use tfplugin::{Diagnostic, Diagnostics, Value};

/// DescribeImages by id: `Ok(None)` when the image is gone (NotFound, not listed, or
/// `deregistered`); malformed ids and every other error are errors.
pub async fn describe(
    clients: &AwsClients,
    region: &str,
    id: &str,
) -> Result<Option<Image>, String> {
    let out = clients
        .ec2(region)
        .describe_images()
        .image_ids(id)
        .send()
        .await;
    match out {
        Ok(out) => Ok(out
            .images()
            .iter()
            .find(|i| i.image_id() == Some(id) && i.state() != Some(&ImageState::Deregistered))
            .cloned()),
        Err(e) if is_image_not_found(&e) => Ok(None),
        Err(e) => Err(describe_sdk_error(&e)),
    }
}

/// DescribeImageAttribute `uefiData` (B10: never GetInstanceUefiData with an AMI id).
/// `Some(value)` on success; `None` when it could not be read, and the caller keeps what it had:
/// a missing permission for this one attribute must not break every refresh.
pub async fn uefi_data(clients: &AwsClients, region: &str, id: &str) -> Option<Option<String>> {
    let out = clients
        .ec2(region)
        .describe_image_attribute()
        .image_id(id)
        .attribute(ImageAttributeName::UefiData)
        .send()
        .await;
    match out {
        Ok(out) => Some(
            out.uefi_data()
                .and_then(|a| a.value())
                .filter(|v| !v.is_empty())
                .map(str::to_string),
        ),
        Err(e) => {
            tracing::warn!(image_id = id, error = %describe_sdk_error(&e), "could not read uefiData; keeping the previous value");
            None
        }
    }
}

pub fn env<'a>(clients: &'a AwsClients, region: &'a str) -> FlattenEnv<'a> {
    FlattenEnv {
        region,
        partition: &clients.partition,
        default_tags: &clients.default_tags,
        ignore_tags: &clients.ignore_tags,
    }
}

pub async fn read(clients: &AwsClients, current: &Value) -> Result<Value, Diagnostics> {
    let Some(id) = current.get("id").as_str().filter(|s| !s.is_empty()) else {
        return Ok(Value::Null);
    };
    let region = region_of(current, clients);
    let image = match describe(clients, &region, id).await {
        Ok(Some(i)) => i,
        Ok(None)
            if current.get("state").as_str() == Some(DEREGISTERED)
                && !state_snapshot_ids(current).is_empty() =>
        {
            // A destroy left snapshots behind: keep them known so the next destroy deletes them.
            return Ok(current.clone());
        }
        Ok(None) => {
            tracing::info!(
                image_id = id,
                "AMI copy is gone; removing it from the state"
            );
            return Ok(Value::Null);
        }
        Err(msg) => {
            return Err(Diagnostic::error(
                "Cannot read AMI copy",
                format!("Reading AMI {id} in {region} failed: {msg}"),
            )
            .into())
        }
    };
    let uefi = uefi_data(clients, &region, id).await;
    let mut v = flatten(&image, current, uefi, &env(clients, &region));
    // A copy recorded as pending (interrupted or timed out) stays pending until an apply has
    // resumed it and finished the create steps, even if EC2 finished copying meanwhile (B5).
    let live = v.get("state").as_str().unwrap_or_default().to_string();
    if current.get("state").as_str() == Some("pending") && !FAILED_STATES.contains(&live.as_str()) {
        v.set("state", Value::string("pending"));
    }
    Ok(v)
}
