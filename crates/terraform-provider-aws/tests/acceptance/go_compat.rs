//! Configurations and states as users of `hashicorp/aws` bring them: values spelled as the Go
//! provider (SDKv2) writes them, the usual module defaults, generated configuration, and states
//! written by its 5.x and 6.x releases moved over with `state replace-provider`.

use crate::support::go_state::{go_attributes, go_state_file};
use crate::support::{self, Tf};
use serde_json::{json, Value as Json};

const REGION: &str = "us-east-1";
const SOURCE_REGION: &str = "us-west-1";

/// String attributes of `aws_ami_copy` the Go provider always stores as strings ("" when unset).
const STRING_ATTRIBUTES: &[&str] = &[
    "architecture",
    "arn",
    "boot_mode",
    "deprecation_time",
    "description",
    "destination_outpost_arn",
    "hypervisor",
    "id",
    "image_location",
    "image_owner_alias",
    "image_type",
    "imds_support",
    "kernel_id",
    "kms_key_id",
    "last_launched_time",
    "name",
    "owner_id",
    "platform",
    "platform_details",
    "ramdisk_id",
    "region",
    "root_device_name",
    "root_snapshot_id",
    "source_ami_id",
    "source_ami_region",
    "sriov_net_support",
    "tpm_support",
    "uefi_data",
    "usage_operation",
    "virtualization_type",
];

#[test]
fn unset_strings_are_empty_strings_users_can_interpolate() {
    let tf = Tf::new("go_empty_strings");
    let source = tf.make_source_ami(REGION, "tfacc-go-empty-src");
    tf.write(&format!(
        "{}\n{}",
        tf.copy_config(REGION, "tfacc-go-empty", &source, ""),
        r#"
output "kernel" {
  value = "${aws_ami_copy.test.kernel_id}"
}
output "ramdisk_length" {
  value = length(aws_ami_copy.test.ramdisk_id)
}
output "described" {
  value = "[${aws_ami_copy.test.description}]"
}
output "owner_and_platform" {
  value = "${aws_ami_copy.test.image_owner_alias}/${aws_ami_copy.test.platform}"
}
"#
    ));
    tf.apply();
    let outputs: Json =
        serde_json::from_str(&tf.ok(&["output", "-json"]).stdout).expect("output -json");
    assert_eq!(outputs["kernel"]["value"], "");
    assert_eq!(outputs["ramdisk_length"]["value"], 0);
    assert_eq!(outputs["described"]["value"], "[]");
    assert_eq!(outputs["owner_and_platform"]["value"], "/");

    let r = tf.resource("aws_ami_copy.test");
    for name in STRING_ATTRIBUTES {
        assert!(
            r[name].is_string(),
            "{name} is {} in state, not a string",
            r[name]
        );
    }
    let ebs = r["ebs_block_device"].as_array().expect("ebs_block_device");
    assert!(!ebs.is_empty());
    for d in ebs {
        for name in ["device_name", "outpost_arn", "snapshot_id", "volume_type"] {
            assert!(
                d[name].is_string(),
                "ebs_block_device.{name} is {}",
                d[name]
            );
        }
        for name in ["iops", "throughput", "volume_size"] {
            assert!(
                d[name].is_number(),
                "ebs_block_device.{name} is {}",
                d[name]
            );
        }
        for name in ["delete_on_termination", "encrypted"] {
            assert!(
                d[name].is_boolean(),
                "ebs_block_device.{name} is {}",
                d[name]
            );
        }
    }
    tf.assert_plan_empty();
}

#[test]
fn empty_kms_key_and_outpost_mean_unset() {
    let tf = Tf::new("go_empty_module_defaults");
    let source = tf.make_source_ami(REGION, "tfacc-go-defaults-src");
    tf.write(&tf.copy_config(
        REGION,
        "tfacc-go-defaults",
        &source,
        "  kms_key_id              = \"\"\n  destination_outpost_arn = \"\"\n  description             = \"\"",
    ));
    let (valid, diags) = tf.validate_json();
    assert!(valid, "validate failed: {diags:?}");
    tf.apply();
    let copies = tf.calls(Some("CopyImage"));
    assert_eq!(copies.len(), 1, "{copies:?}");
    let params = support::call_params(&copies[0]);
    for absent in ["KmsKeyId", "DestinationOutpostArn"] {
        assert!(
            !params.contains_key(absent),
            "CopyImage sent {absent}: {params:?}"
        );
    }
    tf.assert_plan_empty();
}

#[test]
fn block_devices_are_set_blocks_and_image_attributes_computed_only() {
    let tf = Tf::new("go_schema_shape");
    tf.write(&tf.provider_block(REGION, ""));
    let schema: Json = serde_json::from_str(&tf.ok(&["providers", "schema", "-json"]).stdout)
        .expect("schema json");
    let block = schema["provider_schemas"]
        .as_object()
        .and_then(|m| m.values().next())
        .map(|p| p["resource_schemas"]["aws_ami_copy"]["block"].clone())
        .expect("aws_ami_copy schema");
    for name in ["ebs_block_device", "ephemeral_block_device"] {
        let b = &block["block_types"][name];
        assert_eq!(b["nesting_mode"], "set", "{name}: {b}");
        for (attr, a) in b["block"]["attributes"].as_object().expect("attributes") {
            assert_eq!(a["computed"], true, "{name}.{attr} must be computed");
            assert!(
                a["optional"].is_null(),
                "{name}.{attr} must not be optional"
            );
        }
        assert!(
            block["attributes"][name].is_null(),
            "{name} is also an attribute"
        );
    }
    for name in STRING_ATTRIBUTES
        .iter()
        .chain(&["ena_support", "public", "manage_ebs_snapshots"])
    {
        if [
            "deprecation_time",
            "description",
            "destination_outpost_arn",
            "kms_key_id",
            "name",
            "region",
            "source_ami_id",
            "source_ami_region",
        ]
        .contains(name)
        {
            continue;
        }
        let a = &block["attributes"][name];
        assert_eq!(a["computed"], true, "{name}: {a}");
        assert!(
            a["optional"].is_null() && a["required"].is_null(),
            "{name} is settable: {a}"
        );
    }
}

#[test]
fn generated_configuration_validates_and_plans_clean() {
    let tf = Tf::new("go_generate_config");
    let source = tf.make_source_ami(SOURCE_REGION, "tfacc-go-gen-src");
    let id = tf.copy_image_directly(
        REGION,
        &source,
        SOURCE_REGION,
        "tfacc-go-gen",
        Some("made elsewhere"),
    );
    tf.wait_available(REGION, &id, 30);
    tf.write(&format!(
        "{}\nimport {{\n  to = aws_ami_copy.test\n  id = \"{id}\"\n}}\n",
        tf.provider_block(REGION, "")
    ));
    tf.ok(&[
        "plan",
        "-generate-config-out=generated.tf",
        "-input=false",
        "-no-color",
    ]);
    let generated = std::fs::read_to_string(tf.path().join("generated.tf")).expect("generated.tf");
    let (valid, diags) = tf.validate_json();
    assert!(
        valid,
        "generated configuration does not validate: {diags:?}\n{generated}"
    );
    let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
    assert!(
        plan.flat()
            .contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}\n{generated}",
        plan.text()
    );
    tf.apply();
    tf.assert_plan_empty();
}

/// How a copy was configured, for the state the Go provider would have written for it.
struct Shape<'a> {
    major: u32,
    description: Option<&'a str>,
    tags: Option<&'a [(&'a str, &'a str)]>,
    /// Encrypted with a customer key made for the test.
    encrypted: bool,
}

/// The attributes hashicorp/aws `major`.x records for `image`, a copy of `source`: the shared
/// 6.x builder, shaped for what this copy was configured with and for what 5.x lacks.
fn shaped_go_attributes(
    image: &aws_sdk_ec2::types::Image,
    source: &str,
    shape: &Shape,
    kms_key: Option<&str>,
) -> Json {
    let mut v = go_attributes(image, source, SOURCE_REGION, REGION);
    // SDKv2 stores a tags map that was never configured as null.
    if shape.tags.is_none() {
        v["tags"] = Json::Null;
    }
    v["encrypted"] = json!(kms_key.is_some());
    v["kms_key_id"] = json!(kms_key.unwrap_or_default());
    if let Some(o) = v.as_object_mut().filter(|_| shape.major < 6) {
        // Attributes 5.x does not have: the per-resource region, and two image fields.
        for name in ["region", "last_launched_time", "uefi_data"] {
            o.remove(name);
        }
    }
    v
}

/// Makes the copy out of band, writes the state hashicorp/aws would have written for it, moves
/// it with `state replace-provider`, and checks that plans with and without refresh, and a
/// refresh-only plan, are all empty, making no call that changes EC2.
fn moved_state_plans_clean(test: &str, shape: Shape) {
    let tf = Tf::new(test);
    let source = tf.make_source_ami(SOURCE_REGION, &format!("tfacc-{test}-src"));
    let name = format!("tfacc-{test}");
    let kms_key = shape.encrypted.then(|| tf.create_kms_key(REGION));
    let kms_key = kms_key.as_deref();
    let ec2 = tf.ec2(REGION);
    let id = support::rt().block_on(async {
        ec2.copy_image()
            .name(&name)
            .source_image_id(&source)
            .source_region(SOURCE_REGION)
            .description(shape.description.unwrap_or_default())
            .set_encrypted(kms_key.map(|_| true))
            .set_kms_key_id(kms_key.map(str::to_string))
            .send()
            .await
            .expect("CopyImage")
            .image_id()
            .expect("image id")
            .to_string()
    });
    tf.wait_available(REGION, &id, 30);
    if let Some(pairs) = shape.tags {
        support::rt().block_on(async {
            let mut call = ec2.create_tags().resources(&id);
            for (k, v) in pairs {
                call = call.tags(aws_sdk_ec2::types::Tag::builder().key(*k).value(*v).build());
            }
            call.send().await.expect("CreateTags");
        });
    }
    let image = tf.find_image(REGION, &id).expect("image");
    let state = go_state_file(
        "test",
        shaped_go_attributes(&image, &source, &shape, kms_key),
    );
    std::fs::write(
        tf.path().join("terraform.tfstate"),
        serde_json::to_vec_pretty(&state).expect("state json"),
    )
    .expect("write state");

    let mut extra = String::new();
    if let Some(d) = shape.description {
        extra.push_str(&format!("  description = \"{d}\"\n"));
    }
    if let Some(key) = kms_key {
        extra.push_str(&format!("  encrypted  = true\n  kms_key_id = \"{key}\"\n"));
    }
    if let Some(pairs) = shape.tags {
        extra.push_str("  tags = {\n");
        for (k, v) in pairs {
            extra.push_str(&format!("    {k} = \"{v}\"\n"));
        }
        extra.push_str("  }\n");
    }
    tf.write(&tf.copy_config(REGION, &name, &source, &extra).replace(
        &format!("source_ami_region = \"{REGION}\""),
        &format!("source_ami_region = \"{SOURCE_REGION}\""),
    ));
    tf.ok(&[
        "state",
        "replace-provider",
        "-auto-approve",
        "registry.terraform.io/hashicorp/aws",
        "registry.terraform.io/amicopy/aws",
    ]);
    tf.clear_calls();
    crate::import_identity::first_refresh_records_only_the_identity(&tf);
    for args in [
        &["plan", "-refresh=false"][..],
        &["plan"][..],
        &["plan", "-refresh-only"][..],
    ] {
        let mut full = args.to_vec();
        full.extend(["-detailed-exitcode", "-input=false", "-no-color"]);
        let r = tf.run(&full);
        assert_eq!(r.code, 0, "terraform {args:?} is not empty:\n{}", r.text());
    }
    let changing = tf.mutating_calls();
    assert!(changing.is_empty(), "plans changed EC2: {changing:?}");
    assert_eq!(tf.resource("aws_ami_copy.test")["id"], id.as_str());
}

#[test]
fn v5_state_plain_copy_plans_clean() {
    moved_state_plans_clean(
        "go5_plain",
        Shape {
            major: 5,
            description: None,
            tags: None,
            encrypted: false,
        },
    );
}

#[test]
fn v5_state_tagged_described_copy_plans_clean() {
    moved_state_plans_clean(
        "go5_tagged",
        Shape {
            major: 5,
            description: Some("from hashicorp/aws 5"),
            tags: Some(&[("Name", "compat"), ("Team", "images")]),
            encrypted: false,
        },
    );
}

#[test]
fn v6_state_plain_copy_plans_clean() {
    moved_state_plans_clean(
        "go6_plain",
        Shape {
            major: 6,
            description: None,
            tags: None,
            encrypted: false,
        },
    );
}

#[test]
fn v6_state_tagged_described_copy_plans_clean() {
    moved_state_plans_clean(
        "go6_tagged",
        Shape {
            major: 6,
            description: Some("from hashicorp/aws 6"),
            tags: Some(&[("Name", "compat")]),
            encrypted: false,
        },
    );
}

#[test]
fn v5_state_encrypted_copy_with_a_key_plans_clean() {
    moved_state_plans_clean(
        "go5_encrypted",
        Shape {
            major: 5,
            description: None,
            tags: None,
            encrypted: true,
        },
    );
}

#[test]
fn v6_state_encrypted_copy_with_a_key_plans_clean() {
    moved_state_plans_clean(
        "go6_encrypted",
        Shape {
            major: 6,
            description: None,
            tags: None,
            encrypted: true,
        },
    );
}
