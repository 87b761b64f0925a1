//! Resilience against what real EC2 does and a happy-path emulator does not: a fresh copy that
//! DescribeImages does not list yet (EC2 is eventually consistent), a CopyImage whose response is
//! lost after EC2 made the copy (the ClientToken makes the retry return the same image instead of
//! a second copy), and snapshots that cannot be deleted on destroy (the state keeps what is left,
//! so nothing is orphaned).

use crate::support::{ami_id, call_param, state_snapshot_ids, Tf};
use serde_json::{json, Value as Json};

const REGION: &str = "us-east-1";

/// Whether a logged DescribeImages call asked about `image_id` (by ImageId.N or by a filter value).
fn asks_about(call: &Json, image_id: &str) -> bool {
    call["params"].as_object().is_some_and(|p| {
        p.values().any(|v| match v {
            Json::String(s) => s == image_id,
            Json::Array(a) => a.iter().any(|x| x.as_str() == Some(image_id)),
            _ => false,
        })
    })
}

/// The DescribeImages calls about `image_id` made after the (last) CopyImage call.
fn polls_after_copy(tf: &Tf, image_id: &str) -> Vec<Json> {
    let calls = tf.calls(None);
    let copied = calls
        .iter()
        .rposition(|c| c["action"] == "CopyImage")
        .expect("a CopyImage call in the log");
    calls[copied + 1..]
        .iter()
        .filter(|c| c["action"] == "DescribeImages" && asks_about(c, image_id))
        .cloned()
        .collect()
}

fn write_copy(tf: &Tf, name: &str, source: &str) {
    tf.write(&tf.copy_config(REGION, name, source, ""));
}

#[test]
fn apply_waits_for_a_copy_describe_images_does_not_list_yet() {
    let tf = Tf::new("resilience_invisible_polls");
    let source = tf.make_source_ami(REGION, "tfacc-resilience-invisible-polls-source");
    let name = "tfacc-resilience-invisible-polls";
    // The copy is available at once, but the first 4 describes that would list it do not.
    tf.control(
        "copy-rules",
        json!({"name_prefix": name, "duration_seconds": 0, "invisible_polls": 4}),
    );
    write_copy(&tf, name, &source);
    tf.apply();

    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["state"], "available", "state after apply: {r}");
    assert_eq!(
        tf.images_named(REGION, name)
            .iter()
            .filter_map(|i| i.image_id().map(str::to_string))
            .collect::<Vec<_>>(),
        vec![id.clone()],
        "exactly the one copy in state must exist"
    );
    assert_eq!(tf.calls(Some("CopyImage")).len(), 1, "one CopyImage only");
    // 4 polls found nothing, then at least one saw it: the NotFound was waited out.
    let polls = polls_after_copy(&tf, &id);
    assert!(
        polls.len() >= 5,
        "expected >= 5 DescribeImages for {id} after CopyImage (4 unseen + 1), got {}",
        polls.len()
    );
    assert!(!state_snapshot_ids(&r).is_empty(), "snapshots read: {r}");
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.find_image(REGION, &id).is_none());
}

#[test]
fn apply_waits_for_a_copy_unseen_for_its_first_seconds() {
    let tf = Tf::new("resilience_invisible_seconds");
    let source = tf.make_source_ami(REGION, "tfacc-resilience-invisible-seconds-source");
    let name = "tfacc-resilience-invisible-seconds";
    // Unseen by DescribeImages, DescribeImageAttribute and DescribeSnapshots for 3 s.
    tf.control(
        "copy-rules",
        json!({"name_prefix": name, "duration_seconds": 0, "invisible_seconds": 3.0}),
    );
    write_copy(&tf, name, &source);
    let started = std::time::Instant::now();
    tf.apply();
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(3),
        "apply cannot have seen the copy before 3 s"
    );

    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["state"], "available", "state after apply: {r}");
    let polls = polls_after_copy(&tf, &id);
    assert!(
        polls.len() >= 2,
        "expected the wait to poll past the unseen copy, got {} DescribeImages",
        polls.len()
    );
    assert_eq!(tf.images_named(REGION, name).len(), 1);
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.images_named(REGION, name).is_empty());
}

#[test]
fn a_lost_copy_image_response_still_makes_exactly_one_copy() {
    let tf = Tf::new("resilience_lost_response");
    let source = tf.make_source_ami(REGION, "tfacc-resilience-lost-response-source");
    let name = "tfacc-resilience-lost-response";
    // EC2 makes the copy, but its answer never reaches the provider (once).
    tf.fault("CopyImage", "drop_after", Some(1));
    write_copy(&tf, name, &source);
    tf.apply();

    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    let copies = tf.calls(Some("CopyImage"));
    assert_eq!(
        copies
            .iter()
            .map(|c| c["fault"].as_str().unwrap_or("none").to_string())
            .collect::<Vec<_>>(),
        vec!["drop_after", "none"],
        "the lost CopyImage must be retried once"
    );
    let tokens: Vec<Option<String>> = copies
        .iter()
        .map(|c| call_param(c, "ClientToken"))
        .collect();
    assert!(
        tokens[0].is_some() && tokens[0] == tokens[1],
        "the retry must reuse the ClientToken: {tokens:?}"
    );
    let images: Vec<String> = tf
        .images_named(REGION, name)
        .iter()
        .filter_map(|i| i.image_id().map(str::to_string))
        .collect();
    assert_eq!(
        images,
        vec![id.clone()],
        "exactly one copy, the one in state"
    );
    let snaps = state_snapshot_ids(&r);
    assert!(!snaps.is_empty());
    tf.assert_plan_empty();

    tf.destroy();
    assert!(tf.find_image(REGION, &id).is_none(), "{id} left registered");
    assert!(tf.images_named(REGION, name).is_empty(), "a copy is left");
    for s in &snaps {
        assert!(tf.find_snapshot(REGION, s).is_none(), "snapshot {s} left");
    }
    assert!(tf.state_addresses().is_empty());
}

/// A source image with `n` EBS volumes (/dev/xvda, /dev/xvdb, ...), each from its own snapshot.
fn make_source_with_volumes(tf: &Tf, name: &str, n: usize) -> String {
    use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice};
    let ec2 = tf.ec2(REGION);
    crate::support::rt().block_on(async {
        let mut mappings = Vec::new();
        for i in 0..n {
            let vol = ec2
                .create_volume()
                .availability_zone(format!("{REGION}a"))
                .size(8)
                .send()
                .await
                .expect("CreateVolume");
            let snap = ec2
                .create_snapshot()
                .volume_id(vol.volume_id().unwrap_or_default())
                .send()
                .await
                .expect("CreateSnapshot");
            let device = format!("/dev/xvd{}", (b'a' + i as u8) as char);
            mappings.push(
                BlockDeviceMapping::builder()
                    .device_name(device)
                    .ebs(
                        EbsBlockDevice::builder()
                            .snapshot_id(snap.snapshot_id().unwrap_or_default())
                            .volume_size(8)
                            .volume_type(aws_sdk_ec2::types::VolumeType::Gp3)
                            .delete_on_termination(true)
                            .build(),
                    )
                    .build(),
            );
        }
        let img = ec2
            .register_image()
            .name(name)
            .architecture(aws_sdk_ec2::types::ArchitectureValues::X8664)
            .virtualization_type("hvm")
            .root_device_name("/dev/xvda")
            .ena_support(true)
            .set_block_device_mappings(Some(mappings))
            .send()
            .await
            .expect("RegisterImage");
        img.image_id().expect("image id").to_string()
    })
}

#[test]
fn snapshots_that_cannot_be_deleted_are_named_in_one_error_and_a_second_destroy_removes_them() {
    let tf = Tf::new("resilience_undeletable_snapshots");
    let source = make_source_with_volumes(&tf, "tfacc-resilience-undeletable-source", 3);
    let name = "tfacc-resilience-undeletable";
    write_copy(&tf, name, &source);
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    let snaps = state_snapshot_ids(&r);
    assert_eq!(snaps.len(), 3, "one snapshot per volume of the source: {r}");
    let (refused, deletable) = (vec![snaps[0].clone(), snaps[2].clone()], &snaps[1]);

    // An IAM policy denies deleting two of the three snapshots (UnauthorizedOperation).
    tf.control("snapshot-rules", json!({"snapshot_ids": refused}));
    let out = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(
        out.code,
        0,
        "destroy must fail while snapshots cannot be deleted:\n{}",
        out.text()
    );
    let flat = out.flat();
    assert_eq!(
        flat.matches("Error: ").count(),
        1,
        "expected exactly one error diagnostic:\n{}",
        out.text()
    );
    let error = &flat[flat.find("Error: ").expect("an error")..];
    for s in &refused {
        assert!(
            error.contains(s.as_str()),
            "the error must name the snapshot left behind {s}:\n{}",
            out.text()
        );
        assert!(
            tf.find_snapshot(REGION, s).is_some(),
            "{s} must still exist"
        );
    }
    assert!(
        !error.contains(deletable.as_str()),
        "the error names {deletable}, which was deleted:\n{}",
        out.text()
    );
    assert!(
        tf.find_snapshot(REGION, deletable).is_none(),
        "the deletable snapshot {deletable} must be gone"
    );
    assert!(
        tf.find_image(REGION, &id).is_none(),
        "{id} must be deregistered"
    );
    assert_eq!(
        tf.state_addresses(),
        vec!["aws_ami_copy.test".to_string()],
        "the state must still know what is left, or it would be orphaned"
    );

    // The policy is lifted: a second destroy removes what is left, and nothing remains.
    let url = format!(
        "{}/_ec2emu/snapshot-rules?access_key_id={}",
        tf.emulator, tf.access_key
    );
    ureq::delete(&url).call().expect("clear snapshot rules");
    tf.destroy();
    for s in &snaps {
        assert!(tf.find_snapshot(REGION, s).is_none(), "snapshot {s} left");
    }
    assert!(tf.images_named(REGION, name).is_empty(), "a copy is left");
    assert!(tf.state_addresses().is_empty());
}
