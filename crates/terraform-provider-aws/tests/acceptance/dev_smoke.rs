//! End-to-end checks of `aws_ami_copy` details the scenario suites do not cover yet:
//! a state written by the Go provider plans clean after `terraform state replace-provider`, so
//! users can switch providers without recreating their images.

use crate::support::{ami_copy, rt, Tf};
use serde_json::json;

const REGION: &str = "us-east-1";

/// The attributes the Go provider (hashicorp/aws v6) stores for an aws_ami_copy: `""` for unset
/// strings, zeros for unset numbers, no `copy_tags`/`skip_destroy`/`state`/`deregistration_protection`.
fn go_attributes(
    tf: &Tf,
    id: &str,
    name: &str,
    source: &str,
    tags: serde_json::Value,
) -> serde_json::Value {
    let image = tf.find_image(REGION, id).expect("copy exists");
    let snap = image.block_device_mappings()[0]
        .ebs()
        .and_then(|e| e.snapshot_id())
        .expect("snapshot")
        .to_string();
    let device = image.block_device_mappings()[0]
        .device_name()
        .unwrap_or_default()
        .to_string();
    let tags_all = if tags.is_null() {
        json!({})
    } else {
        tags.clone()
    };
    json!({
        "architecture": "x86_64",
        "arn": format!("arn:aws:ec2:{REGION}::image/{id}"),
        "boot_mode": "",
        "deprecation_time": "",
        "description": "",
        "destination_outpost_arn": "",
        "ebs_block_device": [{
            "delete_on_termination": true,
            "device_name": device,
            "encrypted": false,
            "iops": 0,
            "outpost_arn": "",
            "snapshot_id": snap,
            "throughput": 0,
            "volume_size": 8,
            "volume_type": "gp3"
        }],
        "ena_support": true,
        "encrypted": false,
        "ephemeral_block_device": [],
        "hypervisor": "xen",
        "id": id,
        "image_location": "",
        "image_owner_alias": "",
        "image_type": "machine",
        "imds_support": "",
        "kernel_id": "",
        "kms_key_id": "",
        "last_launched_time": "",
        "manage_ebs_snapshots": true,
        "name": name,
        "owner_id": "123456789012",
        "platform": "",
        "platform_details": "Linux/UNIX",
        "public": false,
        "ramdisk_id": "",
        "region": REGION,
        "root_device_name": device,
        "root_snapshot_id": snap,
        "source_ami_id": source,
        "source_ami_region": REGION,
        "sriov_net_support": "",
        "tags": tags,
        "tags_all": tags_all,
        "timeouts": null,
        "tpm_support": "",
        "uefi_data": "",
        "usage_operation": "RunInstances",
        "virtualization_type": "hvm"
    })
}

#[test]
fn go_provider_state_plans_clean_after_replace_provider() {
    let tf = Tf::new("dev_smoke_go_state");
    let source = tf.make_source_ami(REGION, "tfacc-go-state-source");
    let tagged = tf.copy_image_directly(REGION, &source, REGION, "tfacc-go-state-tagged", None);
    let bare = tf.copy_image_directly(REGION, &source, REGION, "tfacc-go-state-bare", None);
    tf.wait_available(REGION, &tagged, 30);
    tf.wait_available(REGION, &bare, 30);
    let ec2 = tf.ec2(REGION);
    rt().block_on(async {
        ec2.create_tags()
            .resources(&tagged)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("Name")
                    .value("x")
                    .build(),
            )
            .send()
            .await
            .expect("CreateTags");
    });

    tf.write(&format!(
        "{}{}{}",
        tf.provider_block(REGION, ""),
        ami_copy(
            "tfacc-go-state-tagged",
            &source,
            REGION,
            "  tags = {\n    Name = \"x\"\n  }"
        ),
        ami_copy("tfacc-go-state-bare", &source, REGION, "").replace("\"test\"", "\"bare\"")
    ));
    // The Go provider's timeouts in private data (SDKv2's meta), carried through untouched.
    let private =
        "eyJlMmJmYjczMC1lY2FhLTExZTYtOGY4OC0zNDM2M2JjN2M0YzAiOnsiY3JlYXRlIjoyNDAwMDAwMDAwMDAwfX0=";
    let instance = |attrs: serde_json::Value| json!({ "schema_version": 0, "attributes": attrs, "sensitive_attributes": [], "private": private });
    let state = json!({
        "version": 4,
        "terraform_version": "1.9.8",
        "serial": 7,
        "lineage": "3f1c9d1e-2a4b-4c5d-8e6f-7a8b9c0d1e2f",
        "outputs": {},
        "resources": [
            {
                "mode": "managed", "type": "aws_ami_copy", "name": "test",
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [instance(go_attributes(&tf, &tagged, "tfacc-go-state-tagged", &source, json!({"Name": "x"})))]
            },
            {
                "mode": "managed", "type": "aws_ami_copy", "name": "bare",
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [instance(go_attributes(&tf, &bare, "tfacc-go-state-bare", &source, serde_json::Value::Null))]
            }
        ],
        "check_results": null
    });
    std::fs::write(
        tf.path().join("terraform.tfstate"),
        serde_json::to_string_pretty(&state).expect("json"),
    )
    .expect("write state");

    tf.ok(&[
        "state",
        "replace-provider",
        "-auto-approve",
        "registry.terraform.io/hashicorp/aws",
        "registry.terraform.io/amicopy/aws",
    ]);
    tf.assert_plan_empty();
    // The refreshed state is ours now, and a destroy cleans up both.
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["state"], "available");
    assert_eq!(r["skip_destroy"], false);
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.find_image(REGION, &tagged).is_none());
    assert!(tf.find_image(REGION, &bare).is_none());
}

/// An interrupted create resumes on the next apply instead of copying again (a second copy would
/// cost a full copy time and leave an orphan), and then does what the create had left: deprecation
/// and deregistration protection. Tags were there from the start, set in the CopyImage call.
#[test]
fn resumed_copy_finishes_the_create_steps() {
    use std::time::Duration;
    let tf = Tf::new("dev_smoke_resume_steps");
    let source = tf.make_source_ami(REGION, "tfacc-resume-steps-source");
    let name = "tfacc-resume-steps";
    tf.copy_duration(name, 60.0);
    let extra = "  deprecation_time = \"2030-06-01T00:00:00Z\"\n  deregistration_protection = \"enabled\"\n  tags = {\n    Name = \"r\"\n  }";
    tf.write(&tf.copy_config(REGION, name, &source, extra));

    let (out, _) = tf.apply_interrupted_after_copy_image(Duration::from_millis(1000));
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["state"], "pending", "{}", out.text());
    let id = r["id"].as_str().expect("id").to_string();
    assert_eq!(
        tf.image_tags(REGION, &id).get("Name").map(String::as_str),
        Some("r"),
        "tagged at birth"
    );
    assert!(tf.calls(Some("EnableImageDeprecation")).is_empty());

    tf.copy_duration_for_image(&id, 0.0);
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["state"], "available");
    assert_eq!(r["deregistration_protection"], "enabled");
    let live = tf.find_image(REGION, &id).expect("image");
    assert!(
        live.deprecation_time()
            .is_some_and(|t| t.starts_with("2030-06-01T00:00")),
        "{live:?}"
    );
    assert_eq!(
        live.deregistration_protection(),
        Some("enabled-without-cooldown")
    );
    tf.assert_plan_empty();

    // Protection blocks destroy until disabled.
    let refused = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.text().contains("deregistration_protection"),
        "{}",
        refused.text()
    );
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, ""),
        ami_copy(
            name,
            &source,
            REGION,
            &extra.replace("\"enabled\"", "\"disabled\"")
        )
    ));
    tf.apply();
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.find_image(REGION, &id).is_none());
}
