//! What the provider asks EC2, counted from the emulator's call log: no attribute read an image
//! cannot need, optional reads that give up quickly, and refreshes gathered into one call.

use crate::support;

use serde_json::Value as Json;
use support::{ami_id, rt, Tf};

const REGION: &str = "us-east-1";

/// A source AMI with boot mode `uefi` and a UEFI variable store, as a Windows or Secure Boot
/// image has, registered from the snapshot of an ordinary source.
fn uefi_source(tf: &Tf, name: &str, uefi_data: &str) -> String {
    use aws_sdk_ec2::types::{BlockDeviceMapping, BootModeValues, EbsBlockDevice};
    let plain = tf.make_source_ami(REGION, &format!("{name}-plain"));
    let snapshot = tf
        .find_image(REGION, &plain)
        .and_then(|i| {
            i.block_device_mappings()
                .first()
                .and_then(|m| m.ebs())
                .and_then(|e| e.snapshot_id())
                .map(str::to_string)
        })
        .expect("the plain source's snapshot");
    let ec2 = tf.ec2(REGION);
    rt().block_on(
        ec2.register_image()
            .name(name)
            .architecture(aws_sdk_ec2::types::ArchitectureValues::X8664)
            .virtualization_type("hvm")
            .root_device_name("/dev/xvda")
            .boot_mode(BootModeValues::Uefi)
            .uefi_data(uefi_data)
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(
                        EbsBlockDevice::builder()
                            .snapshot_id(snapshot)
                            .volume_size(8)
                            .build(),
                    )
                    .build(),
            )
            .send(),
    )
    .expect("RegisterImage")
    .image_id()
    .expect("image id")
    .to_string()
}

fn count(calls: &[Json], action: &str) -> usize {
    calls.iter().filter(|c| c["action"] == action).count()
}

#[test]
fn a_copy_without_uefi_boot_mode_reads_no_uefi_data() {
    let tf = Tf::new("eff_no_uefi");
    let source = tf.make_source_ami(REGION, "tfacc-eff-no-uefi-source");
    tf.write(&tf.copy_config(REGION, "tfacc-eff-no-uefi", &source, ""));
    tf.clear_calls();
    tf.apply();
    tf.assert_plan_empty();

    let calls = tf.ec2_calls();
    assert_eq!(
        count(&calls, "DescribeImageAttribute"),
        0,
        "an image without a UEFI boot mode has no UEFI data to read: {calls:?}"
    );
    assert_eq!(tf.resource("aws_ami_copy.test")["uefi_data"], "");
    tf.destroy();
}

#[test]
fn a_uefi_copy_reads_its_uefi_data_once_per_read() {
    let tf = Tf::new("eff_uefi");
    let source = uefi_source(&tf, "tfacc-eff-uefi-source", "QU1JAA==");
    tf.write(&tf.copy_config(REGION, "tfacc-eff-uefi", &source, ""));
    tf.clear_calls();
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["boot_mode"], "uefi");
    assert_eq!(r["uefi_data"], "QU1JAA==");
    assert_eq!(
        count(&tf.ec2_calls(), "DescribeImageAttribute"),
        1,
        "create reads uefiData once"
    );
    tf.destroy();
}

/// EC2 fixes an image's UEFI data at registration: read at create, then kept from the state. A
/// refresh asks nothing, even of a backend that now answers the read with HTTP 500.
#[test]
fn a_uefi_copys_data_is_read_at_create_only() {
    let tf = Tf::new("eff_uefi_500");
    let source = uefi_source(&tf, "tfacc-eff-uefi-500-source", "QU1JAA==");
    tf.write(&tf.copy_config(REGION, "tfacc-eff-uefi-500", &source, ""));
    tf.apply();
    assert_eq!(tf.resource("aws_ami_copy.test")["uefi_data"], "QU1JAA==");

    tf.fault("DescribeImageAttribute", "http500", None);
    tf.clear_calls();
    let plan = tf.plan_code();
    assert_eq!(plan.code, 0, "plan: {}", plan.text());
    assert_eq!(
        count(&tf.calls(None), "DescribeImageAttribute"),
        0,
        "a refresh reads no UEFI data"
    );
    tf.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    assert_eq!(tf.resource("aws_ami_copy.test")["uefi_data"], "QU1JAA==");
    tf.destroy();
}

/// The calls of UEFI copies, counted on both backends: the create of five costs one
/// DescribeImageAttribute each where the backend answers it (fidelity), one in all where it does
/// not (stock moto answers HTTP 500, remembered for the process); a refresh costs none.
fn uefi_copies_cost_their_reads_once(lane: support::Lane) {
    const N: usize = 5;
    let test = format!("eff_uefi_many_{lane:?}").to_ascii_lowercase();
    let tf = Tf::in_lane(lane, &test);
    let source = uefi_source(&tf, &format!("tfacc-{test}-source"), "QU1JAA==");
    tf.write(&copies_config(&tf, N, &format!("tfacc-{test}"), &source));
    tf.clear_calls();
    tf.apply();
    let create = count(&tf.calls(None), "DescribeImageAttribute");
    match lane {
        support::Lane::Fidelity => assert_eq!(create, N, "one read per copy"),
        support::Lane::Stock => assert!(create <= 1, "one failing read per process: {create}"),
    }
    for _ in 0..2 {
        tf.clear_calls();
        tf.assert_plan_empty();
        assert_eq!(
            count(&tf.calls(None), "DescribeImageAttribute"),
            0,
            "a refresh of UEFI copies reads no UEFI data"
        );
    }
    tf.destroy();
}

both_lanes!(uefi_copies_cost_their_reads_once);

fn copies_config(tf: &Tf, n: usize, prefix: &str, source: &str) -> String {
    format!(
        "{}\nresource \"aws_ami_copy\" \"many\" {{\n  count             = {n}\n  name              = \"{prefix}-${{count.index}}\"\n  source_ami_id     = \"{source}\"\n  source_ami_region = \"{REGION}\"\n}}\n",
        tf.provider_block(REGION, "")
    )
}

#[test]
fn refresh_of_many_copies_is_gathered_into_few_describe_images() {
    const N: usize = 12;
    let tf = Tf::new("eff_batch_refresh");
    let source = tf.make_source_ami(REGION, "tfacc-eff-batch-source");
    tf.write(&copies_config(&tf, N, "tfacc-eff-batch", &source));
    tf.ok(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=12",
    ]);

    tf.clear_calls();
    let plan = tf.run(&[
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        "-parallelism=12",
    ]);
    assert_eq!(plan.code, 0, "plan: {}", plan.text());
    let calls = tf.ec2_calls();
    let describes = count(&calls, "DescribeImages");
    // Terraform starts the 12 reads together; one call per read would be 12.
    assert!(
        describes <= N / 3,
        "{describes} DescribeImages for {N} reads: not batched"
    );
    assert_eq!(count(&calls, "DescribeImageAttribute"), 0, "{calls:?}");
    tf.destroy();
}

#[test]
fn a_copy_that_never_existed_does_not_fail_the_batch_it_is_read_in() {
    const N: usize = 6;
    let tf = Tf::new("eff_batch_missing");
    let source = tf.make_source_ami(REGION, "tfacc-eff-missing-source");
    tf.write(&copies_config(&tf, N, "tfacc-eff-missing", &source));
    tf.ok(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=6",
    ]);
    let kept: Vec<String> = (1..N)
        .map(|i| ami_id(&tf.resource(&format!("aws_ami_copy.many[{i}]"))))
        .collect();

    // One copy's id in the state never existed in EC2 (InvalidAMIID.NotFound for any call that
    // names it), the others are fine.
    let path = tf.path().join("terraform.tfstate");
    let mut state: Json =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("json");
    let bogus = "ami-0badbadbadbadbad0";
    for r in state["resources"].as_array_mut().expect("resources") {
        for inst in r["instances"].as_array_mut().expect("instances") {
            if inst["index_key"] == 0 {
                inst["attributes"]["id"] = Json::from(bogus);
            }
        }
    }
    state["serial"] = Json::from(state["serial"].as_u64().unwrap_or(0) + 1);
    std::fs::write(&path, serde_json::to_string(&state).expect("json")).expect("write state");

    tf.ok(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-no-color",
        "-parallelism=6",
    ]);
    // The missing copy left the state as a single read would have it; the others stayed.
    let addresses = tf.state_addresses();
    assert!(
        !addresses.contains(&"aws_ami_copy.many[0]".to_string()),
        "{addresses:?}"
    );
    for (i, id) in kept.iter().enumerate() {
        assert_eq!(
            &ami_id(&tf.resource(&format!("aws_ami_copy.many[{}]", i + 1))),
            id
        );
    }
    tf.destroy();
}
