//! `aws_ami_copy` basics through the real Terraform CLI: a same-region copy and every attribute
//! the Go provider's `_basic` and `_enaSupport` acceptance tests check, plus what the emulator
//! sees (one CopyImage with a client token, an available image, a new snapshot).

use crate::support::{ami_id, call_param, map, state_map, state_snapshot_ids, Lane, Tf};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

#[test]
fn basic_copy_has_the_attributes_of_an_available_machine_image() {
    let tf = Tf::new("basic_copy");
    let source = tf.make_source_ami(REGION, "tfacc-basic-copy-source");
    let source_snap = tf
        .find_image(REGION, &source)
        .expect("source image")
        .block_device_mappings()[0]
        .ebs()
        .and_then(|e| e.snapshot_id())
        .expect("source snapshot")
        .to_string();
    let name = "tfacc-basic-copy";
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    tf.apply();

    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_ne!(id, source, "the copy must be a new image");
    assert_eq!(r["name"], name);
    assert_eq!(r["source_ami_id"], source.as_str());
    assert_eq!(r["source_ami_region"], REGION);
    assert_eq!(r["image_type"], "machine");
    assert_eq!(r["arn"], format!("arn:aws:ec2:{REGION}::image/{id}"));
    assert_eq!(r["usage_operation"], "RunInstances");
    assert_eq!(r["platform_details"], "Linux/UNIX");
    assert_eq!(r["hypervisor"], "xen");
    assert_eq!(r["owner_id"], ACCOUNT);
    assert_eq!(r["architecture"], "x86_64");
    assert_eq!(r["virtualization_type"], "hvm");
    assert_eq!(r["root_device_name"], "/dev/xvda");
    assert_eq!(r["manage_ebs_snapshots"], true);
    assert_eq!(r["encrypted"], false);
    assert_eq!(r["public"], false);

    let devices = r["ebs_block_device"]
        .as_array()
        .expect("ebs_block_device is a set");
    assert_eq!(devices.len(), 1, "one EBS mapping expected: {devices:?}");
    let dev = &devices[0];
    assert_eq!(dev["device_name"], "/dev/xvda");
    assert_eq!(dev["volume_size"], 8);
    assert_eq!(dev["volume_type"], "gp3");
    assert_eq!(dev["delete_on_termination"], true);
    let snap = dev["snapshot_id"]
        .as_str()
        .expect("snapshot id")
        .to_string();
    assert!(snap.starts_with("snap-"), "snapshot id {snap:?}");
    assert_ne!(snap, source_snap, "the copy needs its own snapshot");
    assert_eq!(r["root_snapshot_id"], snap.as_str());
    assert_eq!(
        r["ephemeral_block_device"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0),
        0
    );

    // What EC2 itself says.
    let image = tf.find_image(REGION, &id).expect("the copy exists");
    assert_eq!(
        image.state(),
        Some(&aws_sdk_ec2::types::ImageState::Available)
    );
    assert_eq!(image.name(), Some(name));
    assert!(
        tf.find_snapshot(REGION, &snap).is_some(),
        "the copy's snapshot exists"
    );

    // One CopyImage, with the arguments and an idempotency token.
    let copies = tf.calls(Some("CopyImage"));
    assert_eq!(copies.len(), 1, "exactly one CopyImage: {copies:?}");
    assert_eq!(call_param(&copies[0], "Name").as_deref(), Some(name));
    assert_eq!(
        call_param(&copies[0], "SourceImageId").as_deref(),
        Some(source.as_str())
    );
    assert_eq!(
        call_param(&copies[0], "SourceRegion").as_deref(),
        Some(REGION)
    );
    assert!(
        call_param(&copies[0], "ClientToken").is_some_and(|t| !t.is_empty()),
        "CopyImage needs a ClientToken: {:?}",
        copies[0]
    );
    // GetInstanceUefiData takes an instance id: an image's UEFI data is an image attribute.
    assert!(
        tf.calls(Some("GetInstanceUefiData")).is_empty(),
        "GetInstanceUefiData called with an AMI id"
    );

    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn ena_support_is_carried_over_from_the_source() {
    let tf = Tf::new("ena_support");
    let with_ena = tf.make_source_ami_with(REGION, "tfacc-ena-support-source-on", true);
    let without_ena = tf.make_source_ami_with(REGION, "tfacc-ena-support-source-off", false);
    tf.write(&format!(
        r#"{provider}
resource "aws_ami_copy" "on" {{
  name              = "tfacc-ena-support-on"
  source_ami_id     = "{with_ena}"
  source_ami_region = "{REGION}"
}}

resource "aws_ami_copy" "off" {{
  name              = "tfacc-ena-support-off"
  source_ami_id     = "{without_ena}"
  source_ami_region = "{REGION}"
}}
"#,
        provider = tf.provider_block(REGION, "")
    ));
    tf.apply();
    let on = tf.resource("aws_ami_copy.on");
    let off = tf.resource("aws_ami_copy.off");
    assert_eq!(on["ena_support"], true, "copy of an ENA source: {on}");
    assert_eq!(off["ena_support"], false, "copy of a non-ENA source: {off}");
    let img = tf.find_image(REGION, &ami_id(&on)).expect("copy exists");
    assert_eq!(img.ena_support(), Some(true));
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn the_copy_snapshot_is_recorded_and_apply_is_idempotent() {
    let tf = Tf::new("idempotent");
    let source = tf.make_source_ami(REGION, "tfacc-idempotent-source");
    tf.write(&tf.copy_config(
        REGION,
        "tfacc-idempotent",
        &source,
        "  description = \"first\"",
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["description"], "first");
    assert_eq!(state_snapshot_ids(&r).len(), 1);
    // A second apply changes nothing and copies nothing.
    tf.clear_calls();
    let out = tf.apply();
    assert!(
        out.stdout.contains("0 added, 0 changed, 0 destroyed"),
        "second apply was not a no-op:\n{}",
        out.text()
    );
    assert!(
        tf.calls(Some("CopyImage")).is_empty(),
        "a second apply copied again"
    );
    assert_eq!(ami_id(&tf.resource("aws_ami_copy.test")), id);
    tf.assert_plan_empty();
    tf.destroy();
}

/// A source with two EBS mappings (root and data) and an instance store mapping.
fn make_multi_device_source(tf: &Tf, name: &str) -> (String, Vec<String>) {
    use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice, VolumeType};
    let ec2 = tf.ec2(REGION);
    crate::support::rt().block_on(async {
        let mut snaps = Vec::new();
        for size in [8, 20] {
            let vol = ec2
                .create_volume()
                .availability_zone(format!("{REGION}a"))
                .size(size)
                .send()
                .await
                .expect("CreateVolume");
            let snap = ec2
                .create_snapshot()
                .volume_id(vol.volume_id().unwrap_or_default())
                .send()
                .await
                .expect("CreateSnapshot");
            snaps.push(snap.snapshot_id().unwrap_or_default().to_string());
        }
        let img = ec2
            .register_image()
            .name(name)
            .architecture(aws_sdk_ec2::types::ArchitectureValues::X8664)
            .virtualization_type("hvm")
            .root_device_name("/dev/xvda")
            .ena_support(true)
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(
                        EbsBlockDevice::builder()
                            .snapshot_id(&snaps[0])
                            .volume_size(8)
                            .volume_type(VolumeType::Gp3)
                            .delete_on_termination(true)
                            .build(),
                    )
                    .build(),
            )
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/sdb")
                    .ebs(
                        EbsBlockDevice::builder()
                            .snapshot_id(&snaps[1])
                            .volume_size(20)
                            .volume_type(VolumeType::Io1)
                            .iops(1000)
                            .delete_on_termination(false)
                            .build(),
                    )
                    .build(),
            )
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/sdc")
                    .virtual_name("ephemeral0")
                    .build(),
            )
            .send()
            .await
            .expect("RegisterImage");
        (img.image_id().expect("image id").to_string(), snaps)
    })
}

#[test]
fn every_mapping_of_the_source_is_copied_and_destroyed() {
    let tf = Tf::new("multi_device");
    let (source, source_snaps) = make_multi_device_source(&tf, "tfacc-multi-device-source");
    tf.write(&tf.copy_config(REGION, "tfacc-multi-device", &source, ""));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let devices = r["ebs_block_device"].as_array().expect("ebs_block_device");
    assert_eq!(devices.len(), 2, "{devices:?}");
    let by_name = |n: &str| {
        devices
            .iter()
            .find(|d| d["device_name"] == n)
            .cloned()
            .unwrap_or_default()
    };
    let root = by_name("/dev/xvda");
    let data = by_name("/dev/sdb");
    assert_eq!(root["volume_size"], 8);
    assert_eq!(data["volume_size"], 20);
    assert_eq!(data["volume_type"], "io1");
    assert_eq!(data["iops"], 1000);
    assert_eq!(data["delete_on_termination"], false);
    assert_eq!(r["root_snapshot_id"], root["snapshot_id"]);
    let ephemeral = r["ephemeral_block_device"]
        .as_array()
        .expect("ephemeral_block_device");
    assert_eq!(ephemeral.len(), 1, "{ephemeral:?}");
    assert_eq!(ephemeral[0]["device_name"], "/dev/sdc");
    assert_eq!(ephemeral[0]["virtual_name"], "ephemeral0");
    let snaps = state_snapshot_ids(&r);
    assert_eq!(snaps.len(), 2);
    for s in &snaps {
        assert!(
            !source_snaps.contains(s),
            "the copy reuses the source's snapshot {s}"
        );
        assert!(tf.find_snapshot(REGION, s).is_some());
    }
    tf.assert_plan_empty();
    tf.destroy();
    for s in &snaps {
        assert!(
            tf.find_snapshot(REGION, s).is_none(),
            "snapshot {s} of the copy left behind"
        );
    }
    for s in &source_snaps {
        assert!(
            tf.find_snapshot(REGION, s).is_some(),
            "the source's snapshot {s} was deleted"
        );
    }
}

#[test]
fn a_name_with_every_allowed_character_and_a_deleted_source_plan_clean() {
    let tf = Tf::new("name_chars");
    let source = tf.make_source_ami(REGION, "tfacc-name-chars-source");
    let name = "tfacc name (chars) [x] 'q'@w_v.u/t-s";
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["name"], name);
    assert_eq!(tf.find_image(REGION, &id).unwrap().name(), Some(name));
    tf.assert_plan_empty();

    // The source is cleaned up after the copy: the copy does not depend on it.
    tf.deregister_out_of_band(REGION, &source);
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.find_image(REGION, &id).is_none());
}

/// The registry page's example as a new user runs it: a copy from another region with one tag.
/// EC2 itself must show the tag (not only the state), and the next plan must be empty.
fn the_registry_example_copies_with_its_tags(lane: Lane) {
    let tf = Tf::in_lane(lane, "registry_example");
    let source = tf.make_source_ami("us-west-1", "tfacc-registry-example-source");
    tf.write(&format!(
        r#"{}
resource "aws_ami_copy" "example" {{
  name              = "terraform-example"
  source_ami_id     = "{source}"
  source_ami_region = "us-west-1"

  tags = {{
    Name = "HelloWorld"
  }}
}}
"#,
        tf.provider_block(REGION, "")
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.example");
    let id = ami_id(&r);
    assert_eq!(r["source_ami_region"], "us-west-1");
    assert_eq!(state_map(&r, "tags"), map(&[("Name", "HelloWorld")]));
    let image = tf.find_image(REGION, &id).expect("the copy exists in EC2");
    assert_eq!(
        image.state(),
        Some(&aws_sdk_ec2::types::ImageState::Available)
    );
    assert_eq!(
        tf.image_tags(REGION, &id),
        map(&[("Name", "HelloWorld")]),
        "EC2 must have the tag the configuration asked for"
    );
    tf.assert_plan_empty();
    tf.destroy();
    assert!(
        tf.find_image(REGION, &id).is_none(),
        "{id} left after destroy"
    );
}

both_lanes!(the_registry_example_copies_with_its_tags);
