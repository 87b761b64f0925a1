//! In-place updates of `aws_ami_copy`: description and deprecation_time change the image without
//! replacing it, and a plan after every step is empty.

use crate::support::{ami_id, call_param, Lane, Tf};

const REGION: &str = "us-east-1";

#[test]
fn description_changes_in_place() {
    let tf = Tf::new("description_update");
    let source = tf.make_source_ami(REGION, "tfacc-description-update-source");
    let name = "tfacc-description-update";

    tf.write(&tf.copy_config(REGION, name, &source, "  description = \"description1\""));
    tf.apply();
    let first = tf.resource("aws_ami_copy.test");
    let id = ami_id(&first);
    assert_eq!(first["description"], "description1");
    let copies = tf.calls(Some("CopyImage"));
    assert_eq!(
        call_param(&copies[0], "Description").as_deref(),
        Some("description1")
    );
    assert_eq!(
        tf.find_image(REGION, &id).unwrap().description(),
        Some("description1")
    );
    tf.assert_plan_empty();

    tf.write(&tf.copy_config(REGION, name, &source, "  description = \"description2\""));
    tf.clear_calls();
    let out = tf.apply();
    assert!(
        out.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "a description change must be an in-place update:\n{}",
        out.text()
    );
    let second = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&second), id, "the image was replaced");
    assert_eq!(second["description"], "description2");
    assert_eq!(
        tf.find_image(REGION, &id).unwrap().description(),
        Some("description2")
    );
    assert!(
        tf.calls(Some("CopyImage")).is_empty(),
        "an update must not copy again"
    );
    let modifies = tf.calls(Some("ModifyImageAttribute"));
    assert!(
        modifies
            .iter()
            .any(|c| call_param(c, "Description.Value").as_deref() == Some("description2")),
        "ModifyImageAttribute Description.Value=description2 expected: {modifies:?}"
    );
    tf.assert_plan_empty();

    // Removing the description clears it.
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    tf.apply();
    let third = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&third), id);
    let live = tf.find_image(REGION, &id).unwrap();
    assert!(
        live.description().unwrap_or("").is_empty(),
        "description still {:?} after removing it",
        live.description()
    );
    tf.assert_plan_empty();
    tf.destroy();
}

fn live_deprecation(tf: &Tf, id: &str) -> Option<String> {
    tf.find_image(REGION, id)
        .expect("image")
        .deprecation_time()
        .map(str::to_string)
}

#[test]
fn deprecation_time_set_changed_same_minute_and_removed() {
    let tf = Tf::new("deprecation_time");
    let source = tf.make_source_ami(REGION, "tfacc-deprecation-time-source");
    let name = "tfacc-deprecation-time";

    // Set at create: EnableImageDeprecation after the copy.
    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        "  deprecation_time = \"2030-01-01T10:00:00Z\"",
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["deprecation_time"], "2030-01-01T10:00:00Z");
    let live = live_deprecation(&tf, &id).expect("EC2 reports a deprecation time");
    assert!(
        live.starts_with("2030-01-01T10:00"),
        "DeprecationTime {live}"
    );
    let enables = tf.calls(Some("EnableImageDeprecation"));
    assert_eq!(enables.len(), 1, "{enables:?}");
    assert_eq!(
        call_param(&enables[0], "ImageId").as_deref(),
        Some(id.as_str())
    );
    tf.assert_plan_empty();

    // Another second of the same UTC minute, and the same instant in another offset: no diff.
    for same in ["2030-01-01T10:00:30Z", "2030-01-01T11:00:00+01:00"] {
        tf.write(&tf.copy_config(
            REGION,
            name,
            &source,
            &format!("  deprecation_time = \"{same}\""),
        ));
        tf.assert_plan_empty();
    }

    // A different minute: in-place update.
    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        "  deprecation_time = \"2031-06-15T08:30:00Z\"",
    ));
    tf.clear_calls();
    let out = tf.apply();
    assert!(
        out.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        out.text()
    );
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id, "the image was replaced");
    assert_eq!(r["deprecation_time"], "2031-06-15T08:30:00Z");
    let live = live_deprecation(&tf, &id).expect("deprecation time");
    assert!(
        live.starts_with("2031-06-15T08:30"),
        "DeprecationTime {live}"
    );
    assert_eq!(tf.calls(Some("EnableImageDeprecation")).len(), 1);
    tf.assert_plan_empty();

    // Removed: DisableImageDeprecation.
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    tf.clear_calls();
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id);
    assert!(
        r["deprecation_time"].is_null() || r["deprecation_time"] == "",
        "deprecation_time left in state: {}",
        r["deprecation_time"]
    );
    assert_eq!(tf.calls(Some("DisableImageDeprecation")).len(), 1);
    assert_eq!(
        live_deprecation(&tf, &id),
        None,
        "EC2 still reports a deprecation time"
    );
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn changing_name_replaces_the_copy() {
    let tf = Tf::new("name_replace");
    let source = tf.make_source_ami(REGION, "tfacc-name-replace-source");
    tf.write(&tf.copy_config(REGION, "tfacc-name-replace-a", &source, ""));
    tf.apply();
    let first = ami_id(&tf.resource("aws_ami_copy.test"));
    let first_snaps = crate::support::state_snapshot_ids(&tf.resource("aws_ami_copy.test"));

    tf.write(&tf.copy_config(REGION, "tfacc-name-replace-b", &source, ""));
    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    tf.apply();
    let second = ami_id(&tf.resource("aws_ami_copy.test"));
    assert_ne!(first, second, "a name change must make a new copy");
    assert!(
        tf.find_image(REGION, &first).is_none(),
        "the old copy was left behind"
    );
    for s in first_snaps {
        assert!(
            tf.find_snapshot(REGION, &s).is_none(),
            "the old copy's snapshot {s} was left behind"
        );
    }
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn out_of_band_changes_are_detected_and_reverted_in_place() {
    let tf = Tf::new("update_drift");
    let source = tf.make_source_ami(REGION, "tfacc-update-drift-source");
    let name = "tfacc-update-drift";
    tf.write(&tf.copy_config(
        REGION,
        name,
        &source,
        "  description      = \"managed\"\n  deprecation_time = \"2030-01-01T00:00:00Z\"",
    ));
    tf.apply();
    let id = ami_id(&tf.resource("aws_ami_copy.test"));

    // Someone changes the description and cancels the deprecation outside Terraform.
    let ec2 = tf.ec2(REGION);
    crate::support::rt().block_on(async {
        ec2.modify_image_attribute()
            .image_id(&id)
            .description(
                aws_sdk_ec2::types::AttributeValue::builder()
                    .value("hand-edited")
                    .build(),
            )
            .send()
            .await
            .expect("ModifyImageAttribute");
        ec2.disable_image_deprecation()
            .image_id(&id)
            .send()
            .await
            .expect("DisableImageDeprecation");
    });
    let plan = tf.plan_code();
    assert_eq!(
        plan.code,
        2,
        "drift must show in the plan:\n{}",
        plan.text()
    );
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("hand-edited"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);

    tf.apply();
    assert_eq!(ami_id(&tf.resource("aws_ami_copy.test")), id);
    let live = tf.find_image(REGION, &id).unwrap();
    assert_eq!(live.description(), Some("managed"));
    assert!(
        live.deprecation_time()
            .unwrap_or("")
            .starts_with("2030-01-01T00:00"),
        "{:?}",
        live.deprecation_time()
    );
    tf.assert_plan_empty();
    tf.destroy();
}

/// The source has a description and the configuration none. EC2 gives the copy the empty one
/// asked for: the plan is clean. Stock moto gives it the source's and ignores the
/// ModifyImageAttribute that would clear it: the apply waits a bounded while for the change to
/// show, then says so in a warning, instead of waiting out the update timeout.
fn a_copy_without_a_description_of_a_described_source_plans_clean(lane: Lane) {
    let test = format!("inherited_description_{lane:?}").to_ascii_lowercase();
    let tf = Tf::in_lane(lane, &test);
    let source = tf.make_described_source_ami(
        REGION,
        &format!("tfacc-{test}-source"),
        "the source's description",
    );
    tf.write(&tf.copy_config(REGION, &format!("tfacc-{test}"), &source, ""));
    tf.apply();
    match lane {
        Lane::Fidelity => {
            tf.assert_plan_empty();
            let out = tf.apply();
            assert!(
                out.stdout.contains("0 added, 0 changed, 0 destroyed"),
                "{}",
                out.text()
            );
        }
        Lane::Stock => {
            let out = tf.apply();
            assert!(
                out.flat().contains("AMI description not visible")
                    && out.flat().contains("did not show the change"),
                "{}",
                out.text()
            );
            let calls = tf.calls(Some("ModifyImageAttribute"));
            assert_eq!(calls.len(), 1, "{calls:?}");
        }
    }
    tf.destroy();
}

#[test]
fn deprecation_time_with_seconds_or_an_offset_plans_clean_after_create() {
    // EC2 rounds DeprecateAt to the nearest minute: 10:00:45 is stored as 10:01:00. Whatever EC2
    // keeps, the configured value must not turn into a diff after apply.
    let tf = Tf::new("deprecation_rounding");
    let source = tf.make_source_ami(REGION, "tfacc-deprecation-rounding-source");
    let mut body = tf.provider_block(REGION, "");
    for (n, when) in [
        (1, "2030-01-01T10:00:45Z"),
        (2, "2030-01-01T12:00:10+02:00"),
        (3, "2030-01-01T10:00:00.250Z"),
    ] {
        body.push_str(&format!(
            "\nresource \"aws_ami_copy\" \"d{n}\" {{\n  name              = \"tfacc-deprecation-rounding-{n}\"\n  source_ami_id     = \"{source}\"\n  source_ami_region = \"{REGION}\"\n  deprecation_time  = \"{when}\"\n  timeouts {{\n    create = \"60s\"\n  }}\n}}\n"
        ));
    }
    tf.write(&body);
    tf.apply();
    for (n, when) in [
        (1, "2030-01-01T10:00:45Z"),
        (2, "2030-01-01T12:00:10+02:00"),
        (3, "2030-01-01T10:00:00.250Z"),
    ] {
        let r = tf.resource(&format!("aws_ami_copy.d{n}"));
        assert_eq!(
            r["deprecation_time"], when,
            "state keeps the configured form"
        );
        let live = tf.find_image(REGION, &ami_id(&r)).unwrap();
        assert!(
            live.deprecation_time().is_some(),
            "d{n} not deprecated in EC2"
        );
    }
    tf.assert_plan_empty();
    tf.destroy();
}

both_lanes!(a_copy_without_a_description_of_a_described_source_plans_clean);
