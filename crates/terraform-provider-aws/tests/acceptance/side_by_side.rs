//! This provider beside `hashicorp/aws` in one configuration (local name `awscopy`, chosen per
//! resource with `provider = awscopy`), and moving one existing copy from `hashicorp/aws` to it
//! with a `removed` block (destroy = false) and then an `import` block, without touching EC2.
//!
//! Both sources point at this binary with `dev_overrides`; in the move test the state is shaped
//! as the Go provider writes it, so only what Terraform does with it is under test.

use crate::support;

use serde_json::{json, Value as Json};
use support::Tf;

const REGION: &str = "us-east-1";
const HASHICORP: &str = "registry.terraform.io/hashicorp/aws";
const AMICOPY: &str = "registry.terraform.io/amicopy/aws";

/// A working directory where both `hashicorp/aws` and `amicopy/aws` resolve to this binary.
fn side_by_side(test: &str) -> Tf {
    let tf = Tf::new(test);
    let dir = support::provider_dir();
    std::fs::write(
        tf.path().join("cli.tfrc"),
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"amicopy/aws\" = \"{d}\"\n    \"hashicorp/aws\" = \"{d}\"\n  }}\n  direct {{}}\n}}\n",
            d = dir.display()
        ),
    )
    .expect("write cli config");
    tf
}

/// main.tf: both providers in required_providers, a block for each, then `body`.
fn write_both(tf: &Tf, body: &str) {
    let aws = tf.provider_block(REGION, "");
    let awscopy = aws.replacen("provider \"aws\"", "provider \"awscopy\"", 1);
    let text = format!(
        r#"terraform {{
  required_providers {{
    aws     = {{ source = "hashicorp/aws" }}
    awscopy = {{ source = "amicopy/aws" }}
  }}
}}

{aws}
{awscopy}
{body}"#
    );
    std::fs::write(tf.path().join("main.tf"), text).expect("write main.tf");
}

fn copy_resource(name: &str, ami_name: &str, source: &str) -> String {
    format!(
        r#"
resource "aws_ami_copy" "{name}" {{
  provider          = awscopy
  name              = "{ami_name}"
  description       = "side by side"
  source_ami_id     = "{source}"
  source_ami_region = "{REGION}"
}}
"#
    )
}

fn provider_of(tf: &Tf, address: &str) -> String {
    tf.resource_entry(address)["provider_name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn awscopy_beside_hashicorp_aws() {
    let tf = side_by_side("side_by_side");
    let source = tf.make_source_ami(REGION, "tfacc-side-by-side-source");
    write_both(&tf, &copy_resource("copy", "tfacc-side-by-side", &source));
    tf.apply();
    assert_eq!(provider_of(&tf, "aws_ami_copy.copy"), AMICOPY);
    assert!(!tf.calls(Some("CopyImage")).is_empty());
    tf.assert_plan_empty();
    tf.destroy();
}

/// The attributes `hashicorp/aws` 6.x stores for a plain copy: every string set (`""` when
/// EC2 has no value), no `timeouts`, empty nested lists.
fn go_state(image: &aws_sdk_ec2::types::Image, source: &str) -> Json {
    let id = image.image_id().unwrap_or_default();
    let mut attrs = serde_json::Map::new();
    for name in [
        "boot_mode",
        "deprecation_time",
        "destination_outpost_arn",
        "image_owner_alias",
        "imds_support",
        "kernel_id",
        "kms_key_id",
        "last_launched_time",
        "platform",
        "ramdisk_id",
        "tpm_support",
        "uefi_data",
    ] {
        attrs.insert(name.into(), json!(""));
    }
    let more = json!({
        "architecture": image.architecture().map(|a| a.as_str()).unwrap_or_default(),
        "arn": format!("arn:aws:ec2:{REGION}::image/{id}"),
        "description": image.description().unwrap_or_default(),
        "ebs_block_device": [],
        "ena_support": image.ena_support().unwrap_or(false),
        "encrypted": false,
        "ephemeral_block_device": [],
        "hypervisor": image.hypervisor().map(|h| h.as_str()).unwrap_or_default(),
        "id": id,
        "image_location": image.image_location().unwrap_or_default(),
        "image_type": image.image_type().map(|t| t.as_str()).unwrap_or_default(),
        "manage_ebs_snapshots": true,
        "name": image.name().unwrap_or_default(),
        "owner_id": image.owner_id().unwrap_or_default(),
        "platform_details": image.platform_details().unwrap_or_default(),
        "public": false,
        "region": REGION,
        "root_device_name": image.root_device_name().unwrap_or_default(),
        "root_snapshot_id": "",
        "source_ami_id": source,
        "source_ami_region": REGION,
        "sriov_net_support": image.sriov_net_support().unwrap_or_default(),
        "tags": null,
        "tags_all": {},
        "timeouts": null,
        "usage_operation": image.usage_operation().unwrap_or_default(),
        "virtualization_type": image.virtualization_type().map(|v| v.as_str()).unwrap_or_default(),
    });
    attrs.extend(more.as_object().cloned().unwrap_or_default());
    json!({
        "version": 4,
        "terraform_version": "1.9.8",
        "serial": 1,
        "lineage": "0f4c2a61-7e0b-4b8e-9d3a-5c1e2f3a4b5c",
        "outputs": {},
        "resources": [{
            "mode": "managed",
            "type": "aws_ami_copy",
            "name": "example",
            "provider": format!("provider[\"{HASHICORP}\"]"),
            "instances": [{
                "schema_version": 0,
                "attributes": attrs,
                "sensitive_attributes": [],
            }],
        }],
        "check_results": null,
    })
}

/// EC2 actions that change something; none may happen while a copy changes providers.
fn mutating_calls(tf: &Tf) -> Vec<String> {
    tf.calls(None)
        .iter()
        .filter_map(|c| c["action"].as_str().map(str::to_string))
        .filter(|a| !(a.starts_with("Describe") || a.starts_with("Get")))
        .collect()
}

#[test]
fn moving_one_copy_over_with_removed_and_import() {
    let tf = side_by_side("side_by_side_move");
    let source = tf.make_source_ami(REGION, "tfacc-side-move-source");
    let name = "tfacc-side-move";
    let id = tf.copy_image_directly(REGION, &source, REGION, name, Some("side by side"));
    tf.wait_available(REGION, &id, 30);
    let image = tf.find_image(REGION, &id).expect("image");
    std::fs::write(
        tf.path().join("terraform.tfstate"),
        serde_json::to_vec_pretty(&go_state(&image, &source)).expect("state JSON"),
    )
    .expect("write state");
    assert_eq!(provider_of(&tf, "aws_ami_copy.example"), HASHICORP);
    tf.clear_calls();

    // Step 1: hashicorp/aws forgets the copy; nothing is destroyed.
    write_both(
        &tf,
        "\nremoved {\n  from = aws_ami_copy.example\n  lifecycle {\n    destroy = false\n  }\n}\n",
    );
    let out = tf.apply();
    assert!(out.flat().contains("0 destroyed"), "{}", out.text());
    assert!(
        tf.state_addresses().is_empty(),
        "{:?}",
        tf.state_addresses()
    );

    // Step 2: this provider imports it under the same address.
    write_both(
        &tf,
        &format!(
            "\nimport {{\n  to       = aws_ami_copy.example\n  provider = awscopy\n  id       = \"{id}\"\n}}\n{}",
            copy_resource("example", name, &source)
        ),
    );
    let out = tf.apply();
    assert!(
        out.flat()
            .contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{}",
        out.text()
    );
    assert_eq!(provider_of(&tf, "aws_ami_copy.example"), AMICOPY);
    assert_eq!(support::ami_id(&tf.resource("aws_ami_copy.example")), id);
    tf.assert_plan_empty();

    assert!(
        mutating_calls(&tf).is_empty(),
        "EC2 was changed during the move: {:?}",
        mutating_calls(&tf)
    );
    assert!(
        tf.find_image(REGION, &id).is_some(),
        "the copy must survive"
    );
    tf.destroy();
}
