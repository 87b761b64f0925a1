//! An EC2 `Image` → the data source's state, spelled as hashicorp/aws writes it: strings EC2
//! left out are `""`, booleans `false`, `ebs` a map of strings, `state_reason` always holding
//! `code` and `message` (`UNSET` without a reason), the configured arguments as configured.
//! Pure.

use crate::tags::IgnoreTags;
use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice, Image};
use tfplugin::Value;

/// What the state depends on besides the image and the configuration.
pub struct Env<'a> {
    /// The region searched (also the state's `region`).
    pub region: &'a str,
    pub partition: &'a str,
    pub ignore_tags: &'a IgnoreTags,
    /// The image's UEFI variable store when it was read, else `None`.
    pub uefi_data: Option<String>,
}

/// A string as upstream stores it: `""` for absent.
fn s<T: AsRef<str>>(v: Option<T>) -> Value {
    Value::string(v.as_ref().map(AsRef::as_ref).unwrap_or_default())
}

fn ebs(e: &EbsBlockDevice) -> Value {
    let bool_text = |b: Option<bool>| b.unwrap_or(false).to_string();
    let int_text = |n: Option<i32>| n.unwrap_or(0).to_string();
    Value::string_map([
        (
            "delete_on_termination",
            bool_text(e.delete_on_termination()),
        ),
        ("encrypted", bool_text(e.encrypted())),
        ("iops", int_text(e.iops())),
        (
            "snapshot_id",
            e.snapshot_id().unwrap_or_default().to_string(),
        ),
        ("throughput", int_text(e.throughput())),
        ("volume_size", int_text(e.volume_size())),
        (
            "volume_type",
            e.volume_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
        ),
    ])
}

fn block_device_mapping(m: &BlockDeviceMapping) -> Value {
    let mut v = Value::Null;
    v.set("device_name", s(m.device_name()));
    // Upstream leaves `ebs` empty for instance-store mappings and never fills `no_device`.
    v.set(
        "ebs",
        m.ebs()
            .map(ebs)
            .unwrap_or_else(|| Value::Map(Default::default())),
    );
    v.set("no_device", Value::string(""));
    v.set("virtual_name", s(m.virtual_name()));
    v
}

fn root_snapshot_id(image: &Image) -> Value {
    let root = image.root_device_name();
    let snapshot = image
        .block_device_mappings()
        .iter()
        .filter(|m| root.is_some() && m.device_name() == root)
        .find_map(|m| m.ebs().and_then(|e| e.snapshot_id()));
    s(snapshot)
}

fn state_reason(image: &Image) -> Value {
    match image.state_reason() {
        Some(r) => Value::string_map([
            ("code", r.code().unwrap_or_default()),
            ("message", r.message().unwrap_or_default()),
        ]),
        None => Value::string_map([("code", "UNSET"), ("message", "UNSET")]),
    }
}

/// The state: the configuration's arguments, the image's attributes.
pub fn flatten(image: &Image, config: &Value, env: &Env) -> Value {
    let mut v = config.clone();
    let id = image.image_id().unwrap_or_default();
    v.set("id", Value::string(id));
    v.set("image_id", Value::string(id));
    v.set(
        "arn",
        Value::string(format!(
            "arn:{}:ec2:{}::image/{id}",
            env.partition, env.region
        )),
    );
    v.set("region", Value::string(env.region));
    v.set("architecture", s(image.architecture().map(|a| a.as_str())));
    v.set(
        "block_device_mappings",
        Value::List(
            image
                .block_device_mappings()
                .iter()
                .map(block_device_mapping)
                .collect(),
        ),
    );
    v.set("boot_mode", s(image.boot_mode().map(|m| m.as_str())));
    v.set("creation_date", s(image.creation_date()));
    v.set("deprecation_time", s(image.deprecation_time()));
    v.set("description", s(image.description()));
    v.set(
        "ena_support",
        Value::Bool(image.ena_support().unwrap_or(false)),
    );
    v.set("hypervisor", s(image.hypervisor().map(|h| h.as_str())));
    v.set("image_location", s(image.image_location()));
    v.set("image_owner_alias", s(image.image_owner_alias()));
    v.set("image_type", s(image.image_type().map(|t| t.as_str())));
    v.set("imds_support", s(image.imds_support().map(|i| i.as_str())));
    v.set("kernel_id", s(image.kernel_id()));
    v.set("last_launched_time", s(image.last_launched_time()));
    v.set("name", s(image.name()));
    v.set("owner_id", s(image.owner_id()));
    v.set("platform", s(image.platform().map(|p| p.as_str())));
    v.set("platform_details", s(image.platform_details()));
    v.set(
        "product_codes",
        Value::List(
            image
                .product_codes()
                .iter()
                .map(|c| {
                    let mut pc = Value::Null;
                    pc.set("product_code_id", s(c.product_code_id()));
                    pc.set(
                        "product_code_type",
                        s(c.product_code_type().map(|t| t.as_str())),
                    );
                    pc
                })
                .collect(),
        ),
    );
    v.set("public", Value::Bool(image.public().unwrap_or(false)));
    v.set("ramdisk_id", s(image.ramdisk_id()));
    v.set("root_device_name", s(image.root_device_name()));
    v.set(
        "root_device_type",
        s(image.root_device_type().map(|t| t.as_str())),
    );
    v.set("root_snapshot_id", root_snapshot_id(image));
    v.set("sriov_net_support", s(image.sriov_net_support()));
    v.set("state", s(image.state().map(|t| t.as_str())));
    v.set("state_reason", state_reason(image));
    v.set(
        "tags",
        Value::string_map(
            image
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
                .filter(|(k, _)| !env.ignore_tags.ignores(k)),
        ),
    );
    v.set("tpm_support", s(image.tpm_support().map(|t| t.as_str())));
    v.set("usage_operation", s(image.usage_operation()));
    v.set(
        "virtualization_type",
        s(image.virtualization_type().map(|t| t.as_str())),
    );
    // The configured value stays; otherwise what was read (a non-UEFI image has none).
    if config.get("uefi_data").is_null() {
        v.set("uefi_data", s(env.uefi_data.as_deref()));
    }
    // Upstream's defaults for the optional flags.
    for flag in ["include_deprecated", "most_recent"] {
        if config.get(flag).is_null() {
            v.set(flag, Value::Bool(false));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{
        ArchitectureValues, BootModeValues, ImageState, ProductCode, ProductCodeValues,
        StateReason, Tag, VolumeType,
    };

    fn image() -> Image {
        Image::builder()
            .image_id("ami-0123456789abcdef0")
            .name("golden-001")
            .architecture(ArchitectureValues::X8664)
            .creation_date("2025-03-01T10:00:00.000Z")
            .root_device_name("/dev/xvda")
            .state(ImageState::Available)
            .boot_mode(BootModeValues::Uefi)
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(
                        EbsBlockDevice::builder()
                            .snapshot_id("snap-1")
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
                    .virtual_name("ephemeral0")
                    .build(),
            )
            .product_codes(
                ProductCode::builder()
                    .product_code_id("pc-1")
                    .product_code_type(ProductCodeValues::Marketplace)
                    .build(),
            )
            .tags(Tag::builder().key("Team").value("a").build())
            .tags(Tag::builder().key("aws:internal").value("x").build())
            .tags(Tag::builder().key("Ignored").value("y").build())
            .build()
    }

    fn env(ignore: &IgnoreTags) -> Env<'_> {
        Env {
            region: "eu-west-1",
            partition: "aws",
            ignore_tags: ignore,
            uefi_data: Some("QUJD".into()),
        }
    }

    #[test]
    fn absent_values_are_spelled_as_upstream() {
        let ignore = IgnoreTags {
            keys: vec!["Ignored".into()],
            key_prefixes: vec![],
        };
        let mut config = Value::Null;
        config.set("owners", Value::List(vec![Value::string("self")]));
        config.set("most_recent", Value::Null);
        let v = flatten(&image(), &config, &env(&ignore));
        assert_eq!(v.get("id").as_str(), Some("ami-0123456789abcdef0"));
        assert_eq!(v.get("image_id"), v.get("id"));
        assert_eq!(
            v.get("arn").as_str(),
            Some("arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef0")
        );
        assert_eq!(v.get("region").as_str(), Some("eu-west-1"));
        assert_eq!(v.get("owners"), config.get("owners"));
        assert_eq!(v.get("most_recent"), &Value::Bool(false));
        assert_eq!(v.get("include_deprecated"), &Value::Bool(false));
        for unset in [
            "description",
            "kernel_id",
            "platform",
            "deprecation_time",
            "imds_support",
        ] {
            assert_eq!(v.get(unset).as_str(), Some(""), "{unset}");
        }
        assert_eq!(v.get("ena_support"), &Value::Bool(false));
        assert_eq!(v.get("public"), &Value::Bool(false));
        assert_eq!(v.get("root_snapshot_id").as_str(), Some("snap-1"));
        assert_eq!(v.get("boot_mode").as_str(), Some("uefi"));
        assert_eq!(v.get("uefi_data").as_str(), Some("QUJD"));
        assert_eq!(
            v.get("state_reason").as_string_map(),
            [("code", "UNSET"), ("message", "UNSET")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into()
        );
        assert_eq!(
            v.get("tags").as_string_map(),
            [("Team".to_string(), "a".to_string())].into()
        );
        let mappings = v.get("block_device_mappings").as_list().unwrap();
        assert_eq!(mappings.len(), 2);
        let ebs = mappings[0].get("ebs").as_string_map();
        assert_eq!(ebs["delete_on_termination"], "true");
        assert_eq!(ebs["encrypted"], "false");
        assert_eq!(ebs["iops"], "0");
        assert_eq!(ebs["volume_size"], "8");
        assert_eq!(ebs["volume_type"], "gp3");
        assert_eq!(ebs["snapshot_id"], "snap-1");
        assert_eq!(mappings[1].get("virtual_name").as_str(), Some("ephemeral0"));
        assert_eq!(mappings[1].get("ebs"), &Value::Map(Default::default()));
        assert_eq!(mappings[1].get("no_device").as_str(), Some(""));
        let codes = v.get("product_codes").as_list().unwrap();
        assert_eq!(
            codes[0].get("product_code_type").as_str(),
            Some("marketplace")
        );
    }

    #[test]
    fn state_reason_and_configured_values_are_kept() {
        let mut failed = image();
        failed.state_reason = Some(
            StateReason::builder()
                .code("Client.Failed")
                .message("broken")
                .build(),
        );
        let mut config = Value::Null;
        config.set("uefi_data", Value::string("configured"));
        config.set("most_recent", Value::Bool(true));
        let v = flatten(&failed, &config, &env(&IgnoreTags::default()));
        assert_eq!(
            v.get("state_reason").as_string_map()["code"],
            "Client.Failed"
        );
        assert_eq!(v.get("state_reason").as_string_map()["message"], "broken");
        assert_eq!(v.get("uefi_data").as_str(), Some("configured"));
        assert_eq!(v.get("most_recent"), &Value::Bool(true));
    }
}
