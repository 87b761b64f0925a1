//! The CopyImage options beyond the basics: destination Outpost (replaces on change, unlike the
//! Go provider), time-based copies, Local Zones, and deregistration protection.

use crate::support::{ami_id, call_param, state_snapshot_ids, Tf};

const REGION: &str = "us-east-1";
const OUTPOST_A: &str = "arn:aws:outposts:us-east-1:123456789012:outpost/op-0123456789abcdef0";
const OUTPOST_B: &str = "arn:aws:outposts:us-east-1:123456789012:outpost/op-0fedcba9876543210";

#[test]
fn destination_outpost_is_recorded_and_replaces_on_change() {
    let tf = Tf::new("destination_outpost");
    let source = tf.make_source_ami(REGION, "tfacc-destination-outpost-source");
    let name = "tfacc-destination-outpost";
    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        &format!("  destination_outpost_arn = \"{OUTPOST_A}\""),
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["destination_outpost_arn"], OUTPOST_A);
    let devs = r["ebs_block_device"].as_array().expect("ebs_block_device");
    assert_eq!(devs[0]["outpost_arn"], OUTPOST_A, "{}", devs[0]);
    let copy = &tf.calls(Some("CopyImage"))[0];
    assert_eq!(
        call_param(copy, "DestinationOutpostArn").as_deref(),
        Some(OUTPOST_A)
    );
    tf.assert_plan_empty();

    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        &format!("  destination_outpost_arn = \"{OUTPOST_B}\""),
    ));
    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(
        plan.stdout.contains("must be replaced") && plan.stdout.contains("destination_outpost_arn"),
        "changing the Outpost must replace the copy:\n{}",
        plan.stdout
    );
    tf.apply();
    let second = ami_id(&tf.resource("aws_ami_copy.test"));
    assert_ne!(second, id);
    assert!(
        tf.find_image(REGION, &id).is_none(),
        "the old copy was left behind"
    );
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn time_based_copy_passes_the_completion_duration() {
    let tf = Tf::new("time_based_copy");
    let source = tf.make_source_ami(REGION, "tfacc-time-based-copy-source");
    let name = "tfacc-time-based-copy";
    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        "  snapshot_copy_completion_duration_minutes = 15",
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["snapshot_copy_completion_duration_minutes"], 15);
    let copy = &tf.calls(Some("CopyImage"))[0];
    assert_eq!(
        call_param(copy, "SnapshotCopyCompletionDurationMinutes").as_deref(),
        Some("15")
    );
    let snap = tf
        .find_snapshot(REGION, &state_snapshot_ids(&r)[0])
        .expect("snapshot");
    assert_eq!(snap.completion_duration_minutes(), Some(15));
    tf.assert_plan_empty();

    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        "  snapshot_copy_completion_duration_minutes = 30",
    ));
    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    tf.destroy();
}

#[test]
fn destination_availability_zone_is_passed_and_plans_clean() {
    let tf = Tf::new("destination_az");
    let source = tf.make_source_ami(REGION, "tfacc-destination-az-source");
    tf.write(&tf.copy_config(
        REGION,
        "tfacc-destination-az",
        &source,
        "  destination_availability_zone = \"us-east-1-bos-1a\"",
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["destination_availability_zone"], "us-east-1-bos-1a");
    let copy = &tf.calls(Some("CopyImage"))[0];
    assert_eq!(
        call_param(copy, "DestinationAvailabilityZone").as_deref(),
        Some("us-east-1-bos-1a")
    );
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn deregistration_protection_blocks_destroy_until_disabled() {
    let tf = Tf::new("dereg_protection");
    let source = tf.make_source_ami(REGION, "tfacc-dereg-protection-source");
    let name = "tfacc-dereg-protection";
    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        "  deregistration_protection = \"enabled\"",
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["deregistration_protection"], "enabled");
    let live = tf.find_image(REGION, &id).unwrap();
    assert!(
        live.deregistration_protection()
            .unwrap_or("")
            .starts_with("enabled"),
        "{:?}",
        live.deregistration_protection()
    );
    assert_eq!(
        tf.calls(Some("EnableImageDeregistrationProtection")).len(),
        1
    );
    tf.assert_plan_empty();

    // While protected, destroy fails and keeps the copy in state.
    let out = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(
        out.code,
        0,
        "destroy of a protected copy must fail:\n{}",
        out.text()
    );
    assert!(
        out.flat().contains("deregistration_protection"),
        "say how to proceed:\n{}",
        out.text()
    );
    assert!(!tf.resource_entry("aws_ami_copy.test").is_null());
    assert!(tf.find_image(REGION, &id).is_some());

    // Disabled in place, then destroy works.
    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        "  deregistration_protection = \"disabled\"",
    ));
    tf.apply();
    assert_eq!(ami_id(&tf.resource("aws_ami_copy.test")), id);
    assert_eq!(
        tf.find_image(REGION, &id)
            .unwrap()
            .deregistration_protection(),
        Some("disabled")
    );
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.find_image(REGION, &id).is_none());
}

#[test]
fn deregistration_protection_with_cooldown_plans_clean_while_cooling_down() {
    let tf = Tf::new("dereg_cooldown");
    let source = tf.make_source_ami(REGION, "tfacc-dereg-cooldown-source");
    let name = "tfacc-dereg-cooldown";
    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        "  deregistration_protection = \"enabled-with-cooldown\"",
    ));
    tf.apply();
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    assert_eq!(
        tf.find_image(REGION, &id)
            .unwrap()
            .deregistration_protection(),
        Some("enabled-with-cooldown")
    );
    let enables = tf.calls(Some("EnableImageDeregistrationProtection"));
    assert_eq!(
        call_param(&enables[0], "WithCooldown").as_deref(),
        Some("true"),
        "{enables:?}"
    );
    tf.assert_plan_empty();

    // Disabled: EC2 reports "disabled-until <time>" for 24 hours; that is what was asked for.
    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        "  deregistration_protection = \"disabled\"",
    ));
    tf.apply();
    let live = tf.find_image(REGION, &id).unwrap();
    assert!(
        live.deregistration_protection()
            .unwrap_or("")
            .starts_with("disabled-until"),
        "{:?}",
        live.deregistration_protection()
    );
    tf.assert_plan_empty();

    // The image cannot be deregistered for a day; forget it instead.
    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        "  deregistration_protection = \"disabled\"\n  skip_destroy = true",
    ));
    tf.apply();
    tf.destroy();
    assert!(tf.state_addresses().is_empty());
}
