//! Destroy leaves nothing of the copy behind (image and snapshots), never touches the source,
//! survives a failed first attempt, and `skip_destroy` keeps the image.

use crate::support::{ami_copy, ami_id, cli_has, state_snapshot_ids, Lane, Tf};

const REGION: &str = "us-east-1";

fn source_snapshots(tf: &Tf, source: &str) -> Vec<String> {
    tf.find_image(REGION, source)
        .expect("source")
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
        .collect()
}

fn destroy_leaves_no_image_and_no_snapshot_of_the_copy(lane: Lane) {
    let tf = Tf::in_lane(lane, "destroy_clean");
    let source = tf.make_source_ami(REGION, "tfacc-destroy-clean-source");
    let source_snaps = source_snapshots(&tf, &source);
    let name = "tfacc-destroy-clean";
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    let snaps = state_snapshot_ids(&r);
    assert!(!snaps.is_empty());
    for s in &snaps {
        assert!(tf.find_snapshot(REGION, s).is_some());
    }

    tf.clear_calls();
    tf.destroy();
    assert!(
        tf.find_image(REGION, &id).is_none(),
        "the copy {id} is still registered"
    );
    assert!(
        tf.images_named(REGION, name).is_empty(),
        "an image named {name} is left"
    );
    for s in &snaps {
        assert!(
            tf.find_snapshot(REGION, s).is_none(),
            "the copy's snapshot {s} is left"
        );
    }
    // Nothing else in the region is a snapshot made from the copy.
    let ec2 = tf.ec2(REGION);
    let leftovers = crate::support::rt().block_on(async {
        ec2.describe_snapshots()
            .owner_ids("self")
            .send()
            .await
            .expect("DescribeSnapshots")
    });
    for s in leftovers.snapshots() {
        let desc = s.description().unwrap_or_default();
        assert!(
            !desc.contains(&id),
            "snapshot {:?} ({desc}) of the copy is left",
            s.snapshot_id()
        );
    }
    let deregisters = tf.calls(Some("DeregisterImage"));
    assert!(!deregisters.is_empty(), "DeregisterImage expected");
    // The source and its snapshot are untouched.
    assert!(
        tf.find_image(REGION, &source).is_some(),
        "destroy removed the source image"
    );
    for s in &source_snaps {
        assert!(
            tf.find_snapshot(REGION, s).is_some(),
            "destroy removed the source's snapshot {s}"
        );
    }
    assert!(tf.state_addresses().is_empty());
}

#[test]
fn a_failed_destroy_can_be_retried_and_leaves_nothing() {
    let tf = Tf::new("destroy_retry");
    let source = tf.make_source_ami(REGION, "tfacc-destroy-retry-source");
    let name = "tfacc-destroy-retry";
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, "  max_retries = 1"),
        ami_copy(name, &source, REGION, "")
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    let snaps = state_snapshot_ids(&r);

    // DeregisterImage keeps failing with a server error: destroy fails, state keeps the copy.
    tf.fault("DeregisterImage", "http500", None);
    let out = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(
        out.code,
        0,
        "destroy must fail while DeregisterImage fails:\n{}",
        out.text()
    );
    assert!(
        out.flat().contains(&id),
        "the error should name the image:\n{}",
        out.text()
    );
    assert!(
        !tf.resource_entry("aws_ami_copy.test").is_null(),
        "the copy must stay in state"
    );
    assert!(tf.find_image(REGION, &id).is_some());

    // The fault clears; a second destroy removes everything.
    let url = format!(
        "{}/_ec2emu/faults?access_key_id={}",
        tf.emulator, tf.access_key
    );
    ureq::delete(&url).call().expect("clear faults");
    tf.destroy();
    assert!(tf.find_image(REGION, &id).is_none());
    for s in &snaps {
        assert!(
            tf.find_snapshot(REGION, s).is_none(),
            "snapshot {s} left after the retried destroy"
        );
    }
}

#[test]
fn destroy_survives_throttling() {
    let tf = Tf::new("destroy_throttled");
    let source = tf.make_source_ami(REGION, "tfacc-destroy-throttled-source");
    tf.write(&tf.copy_config(REGION, "tfacc-destroy-throttled", &source, ""));
    tf.fault("CopyImage", "throttle", Some(2));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(
        tf.images_named(REGION, "tfacc-destroy-throttled").len(),
        1,
        "retries made duplicates"
    );
    tf.fault("DeregisterImage", "throttle", Some(2));
    tf.fault("DescribeImages", "throttle", Some(2));
    tf.destroy();
    assert!(tf.find_image(REGION, &id).is_none());
    for s in state_snapshot_ids(&r) {
        assert!(tf.find_snapshot(REGION, &s).is_none(), "snapshot {s} left");
    }
}

#[test]
fn skip_destroy_forgets_the_copy_but_keeps_the_image() {
    let tf = Tf::new("skip_destroy");
    let source = tf.make_source_ami(REGION, "tfacc-skip-destroy-source");
    tf.write(&tf.copy_config(
        REGION,
        "tfacc-skip-destroy",
        &source,
        "  skip_destroy = true",
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["skip_destroy"], true);
    tf.assert_plan_empty();
    tf.clear_calls();
    tf.destroy();
    assert!(tf.state_addresses().is_empty());
    assert!(
        tf.calls(Some("DeregisterImage")).is_empty(),
        "skip_destroy must not deregister"
    );
    assert!(
        tf.calls(Some("DeleteSnapshot")).is_empty(),
        "skip_destroy must not delete snapshots"
    );
    let img = tf.find_image(REGION, &id).expect("the image is kept");
    assert_eq!(
        img.state(),
        Some(&aws_sdk_ec2::types::ImageState::Available)
    );
    for s in state_snapshot_ids(&r) {
        assert!(
            tf.find_snapshot(REGION, &s).is_some(),
            "snapshot {s} of the kept image is gone"
        );
    }
}

#[test]
fn destroy_deletes_the_snapshots_of_the_live_image_even_if_state_lost_them() {
    let tf = Tf::new("destroy_live_snapshots");
    let source = tf.make_source_ami(REGION, "tfacc-destroy-live-snapshots-source");
    let name = "tfacc-destroy-live-snapshots";
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    let snaps = state_snapshot_ids(&r);
    assert_eq!(snaps.len(), 1);

    // The state forgets the snapshots (as an old or hand-edited state might).
    let path = tf.path().join("terraform.tfstate");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read state")).expect("state json");
    let attrs = &mut state["resources"][0]["instances"][0]["attributes"];
    attrs["ebs_block_device"] = serde_json::json!([]);
    attrs["root_snapshot_id"] = serde_json::json!("");
    state["serial"] = serde_json::json!(state["serial"].as_u64().unwrap_or(1) + 1);
    std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).expect("write state");

    tf.clear_calls();
    tf.ok(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-refresh=false",
    ]);
    assert!(tf.find_image(REGION, &id).is_none());
    assert!(
        tf.find_snapshot(REGION, &snaps[0]).is_none(),
        "the live image's snapshot {} was orphaned",
        snaps[0]
    );
}

#[test]
fn destroy_asks_ec2_to_delete_the_associated_snapshots() {
    let tf = Tf::new("destroy_associated");
    let source = tf.make_source_ami(REGION, "tfacc-destroy-associated-source");
    tf.write(&tf.copy_config(REGION, "tfacc-destroy-associated", &source, ""));
    tf.apply();
    tf.clear_calls();
    tf.destroy();
    let deregisters = tf.calls(Some("DeregisterImage"));
    assert!(
        deregisters.iter().any(
            |c| crate::support::call_param(c, "DeleteAssociatedSnapshots").as_deref()
                == Some("true")
        ),
        "DeregisterImage should use DeleteAssociatedSnapshots: {deregisters:?}"
    );
}

/// Registers another image on top of `snapshot`, so that the snapshot is in use.
fn register_on_snapshot(tf: &Tf, name: &str, snapshot: &str) -> String {
    use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice};
    let ec2 = tf.ec2(REGION);
    crate::support::rt().block_on(async {
        let out = ec2
            .register_image()
            .name(name)
            .root_device_name("/dev/xvda")
            .virtualization_type("hvm")
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(EbsBlockDevice::builder().snapshot_id(snapshot).build())
                    .build(),
            )
            .send()
            .await
            .expect("RegisterImage");
        out.image_id().expect("id").to_string()
    })
}

/// Another image was registered from the copy's snapshot: the snapshot is that image's now.
/// Destroy succeeds, leaves it with a warning naming it and its user, and forgets the copy; it
/// is never stuck on what is no longer its own.
#[test]
fn a_snapshot_another_image_uses_is_left_to_it_with_a_warning() {
    let tf = Tf::new("destroy_snapshot_in_use");
    let source = tf.make_source_ami(REGION, "tfacc-destroy-snapshot-in-use-source");
    let name = "tfacc-destroy-snapshot-in-use";
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, "  max_retries = 1"),
        ami_copy(name, &source, REGION, "")
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    let snaps = state_snapshot_ids(&r);
    assert_eq!(snaps.len(), 1);

    let other = register_on_snapshot(&tf, "tfacc-destroy-snapshot-in-use-other", &snaps[0]);
    let out = tf.destroy();
    let text = out.flat();
    assert!(
        text.contains("Snapshot left to the image that uses it")
            && text.contains(&snaps[0])
            && text.contains(&other),
        "the warning names {} and {other}:\n{}",
        snaps[0],
        out.text()
    );
    assert!(!text.contains("Run destroy again"), "{text}");
    assert!(tf.find_image(REGION, &id).is_none());
    assert!(
        tf.find_snapshot(REGION, &snaps[0]).is_some(),
        "left to {other}"
    );
    assert!(tf.find_image(REGION, &other).is_some());
    assert!(tf.state_addresses().is_empty());
    tf.deregister_out_of_band(REGION, &other);
}

/// A snapshot that EC2 still reports pending (`IncorrectState`) is deleted again until it can
/// be, within `timeouts { delete }`: destroy then succeeds.
#[test]
fn a_snapshot_still_pending_is_retried_until_it_can_be_deleted() {
    let tf = Tf::new("destroy_snapshot_pending");
    let source = tf.make_source_ami(REGION, "tfacc-destroy-snapshot-pending-source");
    let name = "tfacc-destroy-snapshot-pending";
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, ""),
        ami_copy(
            name,
            &source,
            REGION,
            "  timeouts {\n    delete = \"2m\"\n  }"
        )
    ));
    tf.apply();
    let snaps = state_snapshot_ids(&tf.resource("aws_ami_copy.test"));
    tf.control(
        "snapshot-rules",
        serde_json::json!({
            "snapshot_ids": snaps,
            "error_code": "IncorrectState",
            "error_message": "The snapshot is in a pending state.",
        }),
    );
    let destroy = tf.spawn(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    // Until the rule goes, every DeleteSnapshot is refused as pending.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while tf.calls(Some("DeleteSnapshot")).len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "no DeleteSnapshot retry"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let url = format!(
        "{}/_ec2emu/snapshot-rules?access_key_id={}",
        crate::support::emulator_url(),
        tf.access_key
    );
    ureq::delete(&url).call().expect("delete snapshot rule");
    let out = destroy.wait();
    assert_eq!(out.code, 0, "{}", out.text());
    assert!(tf.find_snapshot(REGION, &snaps[0]).is_none());
    assert!(tf.state_addresses().is_empty());
}

/// Thirty copies in one configuration apply together, plan clean, and destroy leaves no image
/// and no snapshot of any of them.
fn thirty_copies_apply_and_destroy_leaves_nothing(lane: Lane) {
    const COPIES: usize = 30;
    let tf = Tf::in_lane(lane, "thirty_copies");
    let source = tf.make_source_ami(REGION, "tfacc-thirty-copies-source");
    let source_snaps = source_snapshots(&tf, &source);
    tf.write(&format!(
        r#"{}
resource "aws_ami_copy" "many" {{
  count             = {COPIES}
  name              = "tfacc-thirty-copies-${{count.index}}"
  source_ami_id     = "{source}"
  source_ami_region = "{REGION}"
  tags = {{
    Index = count.index
  }}
}}
"#,
        tf.provider_block(REGION, "")
    ));
    tf.apply();
    let mut copies = Vec::new();
    for i in 0..COPIES {
        let r = tf.resource(&format!("aws_ami_copy.many[{i}]"));
        let id = ami_id(&r);
        assert_eq!(r["name"], format!("tfacc-thirty-copies-{i}"));
        assert_eq!(
            tf.image_tags(REGION, &id).get("Index").map(String::as_str),
            Some(i.to_string().as_str()),
            "copy {i} ({id}) in EC2"
        );
        copies.push((id, state_snapshot_ids(&r)));
    }
    let mut ids: Vec<&String> = copies.iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), COPIES, "thirty distinct images expected");
    tf.assert_plan_empty();

    tf.destroy();
    assert!(tf.state_addresses().is_empty());
    for (id, snaps) in &copies {
        assert!(
            tf.find_image(REGION, id).is_none(),
            "{id} is still registered"
        );
        for s in snaps {
            assert!(
                tf.find_snapshot(REGION, s).is_none(),
                "snapshot {s} of {id} is left"
            );
        }
    }
    for i in 0..COPIES {
        let name = format!("tfacc-thirty-copies-{i}");
        assert!(
            tf.images_named(REGION, &name).is_empty(),
            "an image named {name} is left"
        );
    }
    assert!(
        tf.find_image(REGION, &source).is_some(),
        "destroy removed the source"
    );
    for s in &source_snaps {
        assert!(
            tf.find_snapshot(REGION, s).is_some(),
            "destroy removed the source's snapshot {s}"
        );
    }
}

/// A `removed` block with `destroy = false` stops managing a copy and keeps the image in EC2:
/// how a user hands a copy over to another configuration.
#[test]
fn removed_block_forgets_the_copy_and_keeps_the_image() {
    if !cli_has((1, 7, 0), "removed blocks") {
        return;
    }
    let tf = Tf::new("removed_block");
    let source = tf.make_source_ami(REGION, "tfacc-removed-block-source");
    tf.write(&tf.copy_config(REGION, "tfacc-removed-block", &source, ""));
    tf.apply();
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    tf.write(&format!(
        "{}\nremoved {{\n  from = aws_ami_copy.test\n  lifecycle {{\n    destroy = false\n  }}\n}}\n",
        tf.provider_block(REGION, "")
    ));
    tf.clear_calls();
    tf.apply();
    assert!(tf.state_addresses().is_empty(), "the copy is still managed");
    assert!(
        tf.find_image(REGION, &id).is_some(),
        "a removed block with destroy = false must keep {id}"
    );
    assert!(
        tf.calls(Some("DeregisterImage")).is_empty(),
        "nothing may be deregistered"
    );
}

both_lanes!(
    destroy_leaves_no_image_and_no_snapshot_of_the_copy,
    thirty_copies_apply_and_destroy_leaves_nothing,
);
