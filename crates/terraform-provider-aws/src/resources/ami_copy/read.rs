//! Refresh (A3): the image as EC2 describes it now, or null when it is gone.

use super::flatten::state_snapshot_ids;
use super::flatten::{flatten, FlattenEnv};
use super::plan::{DEREGISTERED, FAILED_STATES};
use super::region_of;
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::Image;
use tfplugin::{Diagnostic, Diagnostics, Value};

/// DescribeImages by id (batched with the reads arriving at the same time): `Ok(None)` when the
/// image is gone (NotFound, not listed, or `deregistered`); malformed ids and every other error
/// are errors.
pub async fn describe(
    clients: &AwsClients,
    region: &str,
    id: &str,
) -> Result<Option<Image>, String> {
    crate::ec2::image_reader::describe_image(clients, region, id).await
}

/// The image's UEFI data, read only when its boot mode allows it; `None` keeps the prior value.
pub async fn uefi_data(
    clients: &AwsClients,
    region: &str,
    image: &Image,
) -> Option<Option<String>> {
    crate::ec2::uefi::uefi_data(&clients.ec2(region), image).await
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
    let uefi = uefi_data(clients, &region, &image).await;
    let mut v = flatten(&image, current, uefi, &env(clients, &region));
    // A copy recorded as pending (interrupted or timed out) stays pending until an apply has
    // resumed it and finished the create steps, even if EC2 finished copying meanwhile (B5).
    let live = v.get("state").as_str().unwrap_or_default().to_string();
    if current.get("state").as_str() == Some("pending") && !FAILED_STATES.contains(&live.as_str()) {
        v.set("state", Value::string("pending"));
    }
    Ok(v)
}
