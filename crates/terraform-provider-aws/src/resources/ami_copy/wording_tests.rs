//! Every diagnostic of `aws_ami_copy` that is built without AWS, read once as a user would
//! (see `crate::wording`): each way a wait can end, for a create and for a resumed copy, and
//! every validation rule.

use super::check_config;
use super::lifecycle::{wait_outcome, Waiting};
use super::model::{AmiCopyState, Cty, Timeouts};
use crate::ec2::image_waiter::WaitError;
use crate::wording::assert_all_read_well;
use aws_sdk_ec2::types::{Image, ImageState};
use std::time::Duration;
use tfplugin::Diagnostic;

fn wait_errors() -> Vec<WaitError> {
    let last = || {
        Some(Box::new(
            Image::builder().state(ImageState::Pending).build(),
        ))
    };
    vec![
        WaitError::Stopped {
            image_id: "ami-1".into(),
            waiting_for: "become available",
            last: last(),
            progress: Some(40),
        },
        WaitError::Stopped {
            image_id: "ami-1".into(),
            waiting_for: "become available",
            last: None,
            progress: None,
        },
        WaitError::Timeout {
            image_id: "ami-1".into(),
            waiting_for: "become available",
            waited: Duration::from_secs(2400),
            last: last(),
            progress: Some(99),
        },
        WaitError::Failed {
            image_id: "ami-1".into(),
            state: "failed".into(),
            reason: Some("Client.InvalidKMSKey.NotFound: the key is gone".into()),
        },
        WaitError::Failed {
            image_id: "ami-1".into(),
            state: "error".into(),
            reason: None,
        },
        WaitError::NotFound {
            image_id: "ami-1".into(),
        },
        WaitError::Api("UnauthorizedOperation: You are not authorized (request id: r-1)".into()),
    ]
}

#[test]
fn every_way_a_wait_ends_reads_well() {
    let copy = AmiCopyState {
        id: Some("ami-1".into()),
        name: Some("golden-copy".into()),
        ..Default::default()
    };
    let mut diags: Vec<Diagnostic> = Vec::new();
    for e in wait_errors() {
        for waiting in [Waiting::Create, Waiting::Resume] {
            diags.push(wait_outcome(&e, &copy, waiting).1);
        }
    }
    assert_all_read_well(&diags);
    // The words the old text doubled.
    assert!(diags[0]
        .detail
        .starts_with("Terraform was interrupted while waiting for AMI ami-1"));
}

#[test]
fn every_validation_rule_reads_well() {
    let timeouts = Timeouts {
        create: Some("forever".into()),
        ..Default::default()
    };
    let bad = AmiCopyState {
        name: Some("x".into()),
        source_ami_id: Some("ami-XYZ".into()),
        source_ami_region: Some("mars-1".into()),
        description: Some("d".repeat(300)),
        deprecation_time: Some("tomorrow".into()),
        destination_outpost_arn: Some("arn:aws:outposts:nope".into()),
        destination_availability_zone: Some("zone?".into()),
        kms_key_id: Some("my-key".into()),
        snapshot_copy_completion_duration_minutes: Some(7),
        deregistration_protection: Some("maybe".into()),
        region: Some("nowhere".into()),
        architecture: Some("arm64".into()),
        timeouts: timeouts.to_cty(),
        tags: Some([("aws:reserved".to_string(), "v".to_string())].into()),
        ..Default::default()
    };
    let diags = check_config(&bad.to_cty());
    let all: Vec<&Diagnostic> = diags.0.iter().collect();
    assert!(all.len() >= 12, "every rule above fires: {all:#?}");
    assert_all_read_well(all);
}
