//! Refresh: the copy as EC2 describes it now, or null when it is gone.

use super::copy_state::Lifecycle;
use super::flatten::{observe, FlattenEnv};
use super::image_ops;
use super::model::{AmiCopyState, Cty};
use super::schema::stored;
use crate::provider::clients::AwsClients;
use tfplugin::{Diagnostic, Diagnostics, Value};

pub async fn read(clients: &AwsClients, current_value: &Value) -> Result<Value, Diagnostics> {
    let current = AmiCopyState::from_cty(current_value);
    let id = current.image_id();
    if id.is_empty() {
        return Ok(Value::Null);
    }
    let region = current.region_or(&clients.region);
    let image = match image_ops::describe(clients, region, id).await {
        Ok(Some(i)) => i,
        Ok(None)
            if current.state == Some(Lifecycle::Deregistered)
                && !current.snapshot_ids().is_empty() =>
        {
            // A destroy left snapshots behind: keep them known so the next destroy deletes them.
            return Ok(current_value.clone());
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
    let uefi = image_ops::uefi_data(clients, region, &image).await;
    let mut state = observe(&image, &current, uefi, &FlattenEnv::of(clients, region));
    // A copy recorded as pending (interrupted or timed out) stays pending until an apply has
    // resumed it and finished the create steps, even if EC2 finished copying meanwhile: only
    // that apply sets the deprecation and protection the configuration asks for.
    let failed = matches!(state.state, Some(Lifecycle::Failed(_)));
    if current.state == Some(Lifecycle::Pending) && !failed {
        state.state = Some(Lifecycle::Pending);
    }
    Ok(stored(state.to_cty()))
}
