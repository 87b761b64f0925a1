//! Refresh and EC2's eventual consistency: a copy recorded pending that EC2 does not list yet is
//! asked for again rather than forgotten; one that stays unlisted is kept once, then removed;
//! a copy that is not pending and is gone is removed at once.

use crate::support::{ami_id, call_param, Tf};
use serde_json::Value as Json;
use std::time::Duration;

const REGION: &str = "us-east-1";

/// Copies named `name_prefix`… take `seconds` and stay unlisted for `invisible_seconds` after
/// CopyImage (for this test's key only).
fn slow_invisible_copies(tf: &Tf, name_prefix: &str, seconds: f64, invisible_seconds: f64) {
    tf.control(
        "copy-rules",
        serde_json::json!({
            "name_prefix": name_prefix,
            "duration_seconds": seconds,
            "invisible_seconds": invisible_seconds,
        }),
    );
}

/// The DescribeImages calls that asked for `id` by ImageId (as refresh does), with their status.
fn reads_by_id(tf: &Tf, id: &str) -> Vec<Json> {
    tf.calls(Some("DescribeImages"))
        .into_iter()
        .filter(|c| call_param(c, "ImageId.1").as_deref() == Some(id))
        .collect()
}

/// The DescribeImages calls that asked for `id` through the `image-id` filter (as waits do).
fn polls_of(tf: &Tf, id: &str) -> Vec<Json> {
    tf.calls(Some("DescribeImages"))
        .into_iter()
        .filter(|c| {
            call_param(c, "Filter.1.Name").as_deref() == Some("image-id")
                && crate::support::call_param_list(c, "Filter.1.Value.", "").contains(&id.into())
        })
        .collect()
}

#[test]
fn a_plan_right_after_ctrl_c_keeps_the_copy_ec2_does_not_list_yet_and_apply_resumes_it() {
    let tf = Tf::new("refresh_grace_invisible");
    let source = tf.make_source_ami(REGION, "tfacc-refresh-grace-invisible-source");
    let name = "tfacc-refresh-grace-invisible";
    // Unlisted for 10 s after CopyImage: the interrupted apply and the plan both fall in it.
    slow_invisible_copies(&tf, name, 120.0, 10.0);
    tf.write(&tf.copy_config(REGION, name, &source, ""));

    let out = tf
        .apply_interrupted_after_copy_image(Duration::from_millis(200))
        .0;
    let entry = tf.resource_entry("aws_ami_copy.test");
    assert!(
        !entry.is_null(),
        "the interrupted copy must be in state:\n{}",
        out.text()
    );
    assert_eq!(entry["values"]["state"], "pending", "{entry}");
    let id = ami_id(&entry["values"]);
    tf.clear_calls();

    let plan = tf.plan_code();
    // The refresh did meet the NotFound of a copy EC2 does not list yet.
    let reads = reads_by_id(&tf, &id);
    assert!(
        reads.iter().any(|c| c["status"] != 200),
        "the plan's refresh never saw the copy unlisted (is the emulator rule in effect?): {reads:?}"
    );
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(
        !plan.stdout.contains("will be created") && !plan.stdout.contains("must be replaced"),
        "the plan must not make a new copy while EC2 does not list this one yet:\n{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("\"pending\" -> \"available\"")
            && plan.stdout.contains("updated in-place"),
        "the plan must resume the pending copy in place:\n{}",
        plan.stdout
    );
    assert!(
        !plan.text().contains("Error"),
        "an unlisted new copy is not an error:\n{}",
        plan.text()
    );
    assert_eq!(
        tf.resource_entry("aws_ami_copy.test")["values"]["state"],
        "pending"
    );

    tf.copy_duration_for_image(&id, 0.0);
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id, "the apply must resume the same copy");
    assert_eq!(r["state"], "available");
    assert!(
        tf.calls(Some("CopyImage")).is_empty(),
        "resuming must not copy again"
    );
    assert_eq!(tf.images_named(REGION, name).len(), 1);
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn a_pending_copy_that_stays_unlisted_is_kept_once_then_removed() {
    let tf = Tf::new("refresh_grace_gone");
    let source = tf.make_source_ami(REGION, "tfacc-refresh-grace-gone-source");
    let name = "tfacc-refresh-grace-gone";
    tf.copy_duration(name, 120.0);
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    let out = tf
        .apply_interrupted_after_copy_image(Duration::from_millis(1500))
        .0;
    let entry = tf.resource_entry("aws_ami_copy.test");
    assert_eq!(entry["values"]["state"], "pending", "{}", out.text());
    let id = ami_id(&entry["values"]);
    // Gone behind Terraform's back while it copies.
    tf.deregister_out_of_band(REGION, &id);

    // First refresh: kept, pending, with a warning; the plan resumes it rather than copying.
    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    let flat = plan.flat();
    assert!(
        flat.contains("Pending AMI copy not listed by EC2 yet") && flat.contains(&id),
        "the plan must warn that the pending copy is not listed:\n{}",
        plan.text()
    );
    assert!(
        plan.stdout.contains("\"pending\" -> \"available\""),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("will be created"), "{}", plan.stdout);

    // The apply's resume finds it gone and says so; the copy stays recorded (that is what an
    // update that fails does).
    let failed = tf.apply_fails();
    assert!(
        failed.flat().contains("AMI copy is gone"),
        "{}",
        failed.text()
    );
    assert!(!tf.resource_entry("aws_ami_copy.test").is_null());

    // The refresh after that removes it, at once, and the plan makes a new copy.
    tf.clear_calls();
    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(
        plan.stdout.contains("will be created"),
        "the second refresh must drop the copy that stayed unlisted:\n{}",
        plan.stdout
    );
    assert!(
        plan.flat()
            .contains("Pending AMI copy removed from the state"),
        "{}",
        plan.text()
    );
    assert!(
        polls_of(&tf, &id).is_empty(),
        "the second refresh must not wait for it again"
    );
    assert_eq!(tf.calls(Some("CopyImage")).len(), 0, "a plan never copies");
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_ne!(ami_id(&r), id);
    tf.copy_duration_for_image(&ami_id(&r), 0.0);
    tf.destroy();
}

#[test]
fn a_copy_that_is_not_pending_and_gone_is_removed_at_once() {
    let tf = Tf::new("refresh_grace_not_pending");
    let source = tf.make_source_ami(REGION, "tfacc-refresh-grace-not-pending-source");
    let name = "tfacc-refresh-grace-not-pending";
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    tf.apply();
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    tf.deregister_out_of_band(REGION, &id);
    tf.clear_calls();

    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("will be created"), "{}", plan.stdout);
    assert!(!plan.text().contains("Warning: Pending"), "{}", plan.text());
    // One read, no grace: no second look and no poll.
    assert_eq!(
        reads_by_id(&tf, &id).len(),
        1,
        "{:?}",
        tf.calls(Some("DescribeImages"))
    );
    assert!(polls_of(&tf, &id).is_empty());
    tf.destroy();
}
