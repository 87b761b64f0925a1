//! The life of a copy beyond the happy path: a copy that fails, a create timeout shorter than the
//! copy, an interrupted apply, drift after an out-of-band deregistration, and how the wait polls.

use crate::support::{ami_id, call_param, call_param_list, Lane, Tf};
use serde_json::Value as Json;
use std::time::{Duration, Instant};

const REGION: &str = "us-east-1";

/// Whether `text` contains a percentage such as `42%`.
fn mentions_percentage(text: &str) -> bool {
    text.match_indices('%')
        .any(|(i, _)| text[..i].ends_with(|c: char| c.is_ascii_digit()))
}

fn image_state(tf: &Tf, id: &str) -> Option<aws_sdk_ec2::types::ImageState> {
    tf.find_image(REGION, id).and_then(|i| i.state().cloned())
}

#[test]
fn failed_copy_fails_apply_with_the_state_reason_and_keeps_the_id() {
    let tf = Tf::new("failed_copy");
    let source = tf.make_source_ami(REGION, "tfacc-failed-copy-source");
    let name = "tfacc-failed-copy";
    let reason = "Copy of snapshot snap-0000 failed: test-induced failure";
    tf.copy_fails(name, 1.0, reason);
    tf.write(&tf.copy_config(REGION, name, &source, ""));

    let out = tf.apply_fails();
    assert!(
        out.flat().contains(reason),
        "the error must carry the StateReason message:\n{}",
        out.text()
    );

    // Terraform knows the image: the id is in state and the resource is tainted.
    let entry = tf.resource_entry("aws_ami_copy.test");
    assert!(!entry.is_null(), "the failed copy must stay in state");
    let id = ami_id(&entry["values"]);
    assert_eq!(
        entry["tainted"], true,
        "a failed copy must be tainted: {entry}"
    );
    assert!(
        out.flat().contains(&id),
        "the error should name the image {id}:\n{}",
        out.text()
    );
    assert_eq!(
        image_state(&tf, &id),
        Some(aws_sdk_ec2::types::ImageState::Failed)
    );

    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(
        plan.stdout.contains("tainted"),
        "the plan must replace the tainted copy:\n{}",
        plan.stdout
    );

    // Destroy removes the failed image too.
    tf.destroy();
    assert!(
        tf.find_image(REGION, &id).is_none(),
        "the failed image was left behind"
    );
    assert!(tf.images_named(REGION, name).is_empty());
}

#[test]
fn create_timeout_shorter_than_the_copy_keeps_the_image_and_says_how_to_resume() {
    let tf = Tf::new("create_timeout");
    let source = tf.make_source_ami(REGION, "tfacc-create-timeout-source");
    let name = "tfacc-create-timeout";
    tf.copy_duration(name, 30.0);
    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        "  timeouts {\n    create = \"2s\"\n  }",
    ));

    let started = Instant::now();
    let out = tf.apply_fails();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(20),
        "apply took {took:?} with a 2s create timeout"
    );

    let entry = tf.resource_entry("aws_ami_copy.test");
    assert!(
        !entry.is_null(),
        "the copy must stay in state after a timeout"
    );
    let id = ami_id(&entry["values"]);
    let text = out.text();
    assert!(
        text.contains(&id),
        "the timeout error must name the image {id}:\n{text}"
    );
    assert!(
        text.contains("terraform untaint aws_ami_copy.test"),
        "the timeout error must say how to resume:\n{text}"
    );
    let has_percent = mentions_percentage(&text);
    assert!(
        has_percent,
        "the timeout error must give the copy's progress (a percentage):\n{text}"
    );
    // Not deregistered: the copy keeps going.
    assert_eq!(
        image_state(&tf, &id),
        Some(aws_sdk_ec2::types::ImageState::Pending)
    );
    assert!(
        tf.calls(Some("DeregisterImage")).is_empty(),
        "a timed-out copy must not be deregistered"
    );

    // Resume: untaint and apply again; the same image finishes, nothing is copied again.
    tf.copy_duration_for_image(&id, 0.0);
    tf.ok(&["untaint", "aws_ami_copy.test"]);
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id, "resuming must keep the same image");
    assert_eq!(r["state"], "available");
    assert_eq!(
        tf.calls(Some("CopyImage")).len(),
        1,
        "resuming must not copy again"
    );
    assert_eq!(
        image_state(&tf, &id),
        Some(aws_sdk_ec2::types::ImageState::Available)
    );
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn interrupt_during_the_wait_records_a_pending_copy_and_apply_resumes() {
    let tf = Tf::new("interrupt");
    let source = tf.make_source_ami(REGION, "tfacc-interrupt-source");
    let name = "tfacc-interrupt";
    tf.copy_duration(name, 60.0);
    tf.write(&tf.copy_config(REGION, name, &source, ""));

    let (out, took) = tf.apply_interrupted_after_copy_image(Duration::from_millis(1500));
    assert!(
        took < Duration::from_secs(6),
        "apply took {took:?} to stop after Ctrl-C:\n{}",
        out.text()
    );

    let entry = tf.resource_entry("aws_ami_copy.test");
    assert!(
        !entry.is_null(),
        "the interrupted copy must be in state:\n{}",
        out.text()
    );
    let id = ami_id(&entry["values"]);
    assert_eq!(entry["values"]["state"], "pending", "{entry}");
    assert_eq!(
        image_state(&tf, &id),
        Some(aws_sdk_ec2::types::ImageState::Pending)
    );
    assert!(tf.calls(Some("DeregisterImage")).is_empty());

    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(
        plan.stdout.contains("\"pending\" -> \"available\""),
        "the plan must show the pending copy being waited for:\n{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);

    tf.copy_duration_for_image(&id, 0.0);
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id);
    assert_eq!(r["state"], "available");
    assert_eq!(
        tf.calls(Some("CopyImage")).len(),
        1,
        "resuming must not copy again"
    );
    tf.assert_plan_empty();
    tf.destroy();
}

fn out_of_band_deregistration_is_drift_and_plans_a_create(lane: Lane) {
    let tf = Tf::in_lane(lane, "drift_deregistered");
    let source = tf.make_source_ami(REGION, "tfacc-drift-deregistered-source");
    let name = "tfacc-drift-deregistered";
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    tf.apply();
    let first = ami_id(&tf.resource("aws_ami_copy.test"));

    tf.deregister_out_of_band(REGION, &first);
    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("will be created"), "{}", plan.stdout);
    assert!(
        !plan.text().contains("Error"),
        "a vanished image is not an error:\n{}",
        plan.text()
    );

    tf.apply_refresh_only();
    assert!(
        tf.resource_entry("aws_ami_copy.test").is_null(),
        "refresh must drop the vanished copy"
    );

    tf.apply();
    let second = ami_id(&tf.resource("aws_ami_copy.test"));
    assert_ne!(first, second);
    tf.assert_plan_empty();

    // Destroy of an image already gone succeeds too.
    tf.deregister_out_of_band(REGION, &second);
    tf.destroy();
    assert!(tf.state_addresses().is_empty());
}

/// The ids a Describe call asked for, by `ImageId.N` / `SnapshotId.N` or by a `Filter.N` named
/// `image-id` / `snapshot-id`.
fn asked_ids(call: &Json, what: &str) -> Vec<String> {
    let (param, filter) = match what {
        "image" => ("ImageId.", "image-id"),
        _ => ("SnapshotId.", "snapshot-id"),
    };
    let mut ids = call_param_list(call, param, "");
    for n in 1..=10 {
        if call_param(call, &format!("Filter.{n}.Name")).as_deref() == Some(filter) {
            ids.extend(call_param_list(call, &format!("Filter.{n}.Value."), ""));
        }
    }
    ids
}

/// DescribeImages calls that asked for any of `ids`, with the ids each one asked for.
fn describe_polls(calls: &[Json], ids: &[String]) -> Vec<(f64, Vec<String>)> {
    calls
        .iter()
        .filter(|c| c["action"] == "DescribeImages")
        .map(|c| (c["time"].as_f64().unwrap_or(0.0), asked_ids(c, "image")))
        .filter(|(_, asked)| asked.iter().any(|a| ids.contains(a)))
        .collect()
}

#[test]
fn copies_waiting_together_share_one_poll() {
    let tf = Tf::new("batched_wait");
    let source = tf.make_source_ami(REGION, "tfacc-batched-wait-source");
    tf.copy_duration("tfacc-batched-wait", 3.0);
    let mut body = tf.provider_block(REGION, "");
    for n in 1..=3 {
        body.push_str(&format!(
            "\nresource \"aws_ami_copy\" \"c{n}\" {{\n  name              = \"tfacc-batched-wait-{n}\"\n  source_ami_id     = \"{source}\"\n  source_ami_region = \"{REGION}\"\n}}\n"
        ));
    }
    tf.write(&body);
    tf.apply();
    let ids: Vec<String> = (1..=3)
        .map(|n| ami_id(&tf.resource(&format!("aws_ami_copy.c{n}"))))
        .collect();
    let calls = tf.calls(None);
    let polls = describe_polls(&calls, &ids);
    // While all three are pending (after the last CopyImage, and before the first copy's 3 s are
    // up), every DescribeImages for them asks for all three: one shared poll per tick, never one
    // per copy.
    let copied: Vec<f64> = calls
        .iter()
        .filter(|c| c["action"] == "CopyImage")
        .map(|c| c["time"].as_f64().unwrap_or(0.0))
        .collect();
    assert_eq!(copied.len(), 3, "{copied:?}");
    let all_started = copied.iter().cloned().fold(f64::MIN, f64::max);
    let first_done = copied.iter().cloned().fold(f64::MAX, f64::min) + 3.0;
    let while_all_pending: Vec<&(f64, Vec<String>)> = polls
        .iter()
        .filter(|(t, _)| *t > all_started && *t < first_done)
        .collect();
    assert!(
        !while_all_pending.is_empty(),
        "no poll while all three copies were pending: {polls:?}"
    );
    assert!(
        while_all_pending
            .iter()
            .all(|(_, asked)| ids.iter().all(|i| asked.contains(i))),
        "a poll while all three were pending did not ask for all three: {while_all_pending:?}"
    );
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn the_first_poll_comes_within_a_second_and_a_quick_copy_finishes_quickly() {
    let tf = Tf::new("fast_detection");
    let source = tf.make_source_ami(REGION, "tfacc-fast-detection-source");
    let name = "tfacc-fast-detection";
    tf.copy_duration(name, 2.0);
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    tf.apply();
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    let calls = tf.calls(None);
    let copied_at = calls
        .iter()
        .find(|c| c["action"] == "CopyImage")
        .and_then(|c| c["time"].as_f64())
        .expect("CopyImage time");
    let polls = describe_polls(&calls, std::slice::from_ref(&id));
    let first = polls
        .iter()
        .map(|(t, _)| *t)
        .find(|t| *t >= copied_at)
        .expect("a poll after CopyImage");
    assert!(
        first - copied_at <= 1.0,
        "first poll {:.2}s after CopyImage",
        first - copied_at
    );
    // It became available 2 s after the copy; the wait noticed within 1.5 s of that.
    let seen = polls
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| *t >= copied_at + 2.0)
        .fold(f64::MAX, f64::min);
    assert!(
        seen - (copied_at + 2.0) <= 1.5,
        "available noticed {:.2}s late",
        seen - copied_at - 2.0
    );
    assert!(polls.len() <= 10, "{} polls for a 2 s copy", polls.len());
    tf.destroy();
}

#[test]
fn progress_is_logged_at_info_while_waiting() {
    let tf = Tf::new("progress_log");
    let source = tf.make_source_ami(REGION, "tfacc-progress-log-source");
    let name = "tfacc-progress-log";
    tf.copy_duration(name, 4.0);
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    let out = tf.run_env(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &[("TF_LOG_PROVIDER", "INFO")],
    );
    assert_eq!(out.code, 0, "{}", out.text());
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    let text = out.text();
    let progress_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(&id) && mentions_percentage(l))
        .collect();
    assert!(
        !progress_lines.is_empty(),
        "no INFO line with {id} and a percentage in the provider log:\n{text}"
    );
    let snaps = crate::support::state_snapshot_ids(&tf.resource("aws_ami_copy.test"));
    assert!(
        tf.calls(Some("DescribeSnapshots"))
            .iter()
            .any(|c| asked_ids(c, "snapshot").contains(&snaps[0])),
        "the progress must come from DescribeSnapshots of the copy's snapshot {}",
        snaps[0]
    );
    tf.destroy();
}

#[test]
fn transient_errors_while_copying_and_waiting_do_not_fail_the_apply() {
    let tf = Tf::new("transient_errors");
    let source = tf.make_source_ami(REGION, "tfacc-transient-errors-source");
    let name = "tfacc-transient-errors";
    tf.copy_duration(name, 2.0);
    tf.fault("CopyImage", "drop", Some(1));
    tf.fault("DescribeImages", "http503", Some(2));
    tf.fault("DescribeSnapshots", "throttle", Some(1));
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["state"], "available");
    let faulted = tf
        .calls(None)
        .iter()
        .filter(|c| !c["fault"].is_null())
        .count();
    assert!(faulted >= 3, "the injected faults did not fire ({faulted})");
    let named = tf.images_named(REGION, name);
    assert_eq!(
        named.len(),
        1,
        "retries must not make a second copy: {named:?}"
    );
    assert_eq!(named[0].image_id(), Some(id.as_str()));
    tf.assert_plan_empty();
    tf.destroy();
}

both_lanes!(out_of_band_deregistration_is_drift_and_plans_a_create);
