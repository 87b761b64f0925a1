//! States shaped exactly as hashicorp/aws writes them for `aws_ami_copy` (schema version 0), for
//! the tests that hand such a state to this provider.

use serde_json::{json, Value as Json};

/// moto's one account.
const ACCOUNT: &str = "123456789012";

/// The private data the Go provider's SDK writes for a resource with create/update/delete
/// timeouts (40m, 40m, 90m in nanoseconds), base64 of its JSON.
pub const GO_TIMEOUTS_PRIVATE: &str = "eyJlMmJmYjczMC1lY2FhLTExZTYtOGY4OC0zNDM2M2JjN2M0YzAiOnsiY3JlYXRlIjoyNDAwMDAwMDAwMDAwLCJkZWxldGUiOjU0MDAwMDAwMDAwMDAsInVwZGF0ZSI6MjQwMDAwMDAwMDAwMH19";

fn s(v: Option<&str>) -> Json {
    Json::String(v.unwrap_or_default().to_string())
}

/// The attributes the Go provider (v6) records for `image`, a copy in `region` of `source` from
/// `source_region`.
pub fn go_attributes(
    image: &aws_sdk_ec2::types::Image,
    source: &str,
    source_region: &str,
    region: &str,
) -> Json {
    let id = image.image_id().expect("id");
    let ebs: Vec<Json> = image
        .block_device_mappings()
        .iter()
        .filter_map(|m| {
            let e = m.ebs()?;
            Some(json!({
                "delete_on_termination": e.delete_on_termination().unwrap_or(false),
                "device_name": m.device_name().unwrap_or_default(),
                "encrypted": e.encrypted().unwrap_or(false),
                "iops": e.iops().unwrap_or(0),
                "outpost_arn": e.outpost_arn().unwrap_or_default(),
                "snapshot_id": e.snapshot_id().unwrap_or_default(),
                "throughput": e.throughput().unwrap_or(0),
                "volume_size": e.volume_size().unwrap_or(0),
                "volume_type": e.volume_type().map(|t| t.as_str()).unwrap_or_default(),
            }))
        })
        .collect();
    let root_snapshot = image
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name() == image.root_device_name())
        .and_then(|m| m.ebs().and_then(|e| e.snapshot_id()))
        .unwrap_or_default();
    let tags: serde_json::Map<String, Json> = image
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default().to_string(), s(t.value())))
        .collect();
    json!({
        "architecture": image.architecture().map(|a| a.as_str()).unwrap_or_default(),
        "arn": format!("arn:aws:ec2:{region}::image/{id}"),
        "boot_mode": image.boot_mode().map(|b| b.as_str()).unwrap_or_default(),
        "deprecation_time": "",
        "description": image.description().unwrap_or_default(),
        "destination_outpost_arn": "",
        "ebs_block_device": ebs,
        "ena_support": image.ena_support().unwrap_or(false),
        "encrypted": false,
        "ephemeral_block_device": [],
        "hypervisor": image.hypervisor().map(|h| h.as_str()).unwrap_or_default(),
        "id": id,
        "image_location": image.image_location().unwrap_or_default(),
        "image_owner_alias": image.image_owner_alias().unwrap_or_default(),
        "image_type": image.image_type().map(|t| t.as_str()).unwrap_or_default(),
        "imds_support": image.imds_support().map(|t| t.as_str()).unwrap_or_default(),
        "kernel_id": image.kernel_id().unwrap_or_default(),
        "kms_key_id": "",
        "last_launched_time": image.last_launched_time().unwrap_or_default(),
        "manage_ebs_snapshots": true,
        "name": image.name().unwrap_or_default(),
        "owner_id": image.owner_id().unwrap_or(ACCOUNT),
        "platform": image.platform().map(|p| p.as_str()).unwrap_or_default(),
        "platform_details": image.platform_details().unwrap_or_default(),
        "public": image.public().unwrap_or(false),
        "ramdisk_id": image.ramdisk_id().unwrap_or_default(),
        "region": region,
        "root_device_name": image.root_device_name().unwrap_or_default(),
        "root_snapshot_id": root_snapshot,
        "source_ami_id": source,
        "source_ami_region": source_region,
        "sriov_net_support": image.sriov_net_support().unwrap_or_default(),
        "tags": tags.clone(),
        "tags_all": tags,
        "timeouts": null,
        "tpm_support": image.tpm_support().map(|t| t.as_str()).unwrap_or_default(),
        "uefi_data": "",
        "usage_operation": image.usage_operation().unwrap_or_default(),
        "virtualization_type": image.virtualization_type().map(|v| v.as_str()).unwrap_or_default(),
    })
}

/// A whole state file, as Terraform writes it, holding one `aws_ami_copy.NAME` of hashicorp/aws
/// with `attributes` and the Go SDK's private data.
pub fn go_state_file(name: &str, attributes: Json) -> Json {
    json!({
        "version": 4,
        "terraform_version": "1.9.8",
        "serial": 3,
        "lineage": "5b6e1c2a-0d7e-4c3e-9a51-3f2a8f0c9d11",
        "outputs": {},
        "resources": [{
            "mode": "managed",
            "type": "aws_ami_copy",
            "name": name,
            "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
            "instances": [{
                "schema_version": 0,
                "attributes": attributes,
                "sensitive_attributes": [],
                "private": GO_TIMEOUTS_PRIVATE,
            }],
        }],
        "check_results": null,
    })
}

/// What `go_copy_in_state` made.
pub struct GoCopy {
    pub source: String,
    pub id: String,
}

/// A copy as hashicorp/aws would have made and recorded it: a source AMI `{name}-source` in
/// `source_region`, a copy `name` in `region` with `description` and `tags` made directly in
/// EC2, and terraform.tfstate holding it as `aws_ami_copy.{resource}` of hashicorp/aws.
pub fn go_copy_in_state(
    tf: &super::Tf,
    resource: &str,
    (source_region, region): (&str, &str),
    name: &str,
    description: &str,
    tags: &[(&str, &str)],
) -> GoCopy {
    let source = tf.make_source_ami(source_region, &format!("{name}-source"));
    let id = tf.copy_image_directly(region, &source, source_region, name, Some(description));
    tf.wait_available(region, &id, 30);
    if !tags.is_empty() {
        let ec2 = tf.ec2(region);
        super::rt().block_on(async {
            let mut req = ec2.create_tags().resources(&id);
            for (k, v) in tags {
                req = req.tags(aws_sdk_ec2::types::Tag::builder().key(*k).value(*v).build());
            }
            req.send().await.expect("CreateTags");
        });
    }
    let image = tf.find_image(region, &id).expect("the copy");
    let state = go_state_file(
        resource,
        go_attributes(&image, &source, source_region, region),
    );
    std::fs::write(
        tf.path().join("terraform.tfstate"),
        serde_json::to_vec_pretty(&state).expect("state json"),
    )
    .expect("write state");
    GoCopy { source, id }
}
