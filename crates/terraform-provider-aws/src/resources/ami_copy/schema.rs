//! The whole `aws_ami_copy` schema in one place, plus the tables the planner and validator read:
//! which arguments force a new copy, which attributes are read-only, which have a default.

use tfplugin::{Attribute, Block, NestedBlock, Nesting, Schema, Type, Value};

/// Bumped only with an `upgrade_state` step; 0 matches the Go provider's states (B11).
pub const VERSION: i64 = 0;

/// Arguments whose change needs a new copy: CopyImage is the only call that can set them.
/// `destination_outpost_arn` is here although the Go provider forgot it (A1).
pub const REPLACE_ON_CHANGE: &[&str] = &[
    "name",
    "source_ami_id",
    "source_ami_region",
    "destination_outpost_arn",
    "encrypted",
    "kms_key_id",
    "region",
    "copy_tags",
    "snapshot_copy_completion_duration_minutes",
    "destination_availability_zone",
];

/// Optional booleans whose absence means `false`; planned as `false` when unset so that states
/// written before they existed (null) and states written with them agree.
pub const FALSE_BY_DEFAULT: &[&str] = &["encrypted", "copy_tags", "skip_destroy"];

/// Attributes read from the image that a configuration may not set. The Go provider's page says
/// "the full set of arguments from aws_ami"; on a copy they cannot be chosen (A1). They are
/// declared optional+computed only so that Terraform hands a configured value to `validate`,
/// which answers "is read-only on a copy" instead of Terraform's generic message.
pub const READ_ONLY: &[&str] = &[
    "architecture",
    "boot_mode",
    "ena_support",
    "hypervisor",
    "image_location",
    "image_owner_alias",
    "image_type",
    "imds_support",
    "kernel_id",
    "last_launched_time",
    "manage_ebs_snapshots",
    "owner_id",
    "platform",
    "platform_details",
    "public",
    "ramdisk_id",
    "root_device_name",
    "root_snapshot_id",
    "sriov_net_support",
    "tpm_support",
    "uefi_data",
    "usage_operation",
    "virtualization_type",
    "ebs_block_device",
    "ephemeral_block_device",
];

/// Values of `deregistration_protection` (see its description).
pub const DEREG_PROTECTION_VALUES: &[&str] = &["disabled", "enabled", "enabled-with-cooldown"];

pub fn ebs_block_device_type() -> Type {
    Type::Object(
        [
            ("delete_on_termination", Type::Bool),
            ("device_name", Type::String),
            ("encrypted", Type::Bool),
            ("iops", Type::Number),
            ("outpost_arn", Type::String),
            ("snapshot_id", Type::String),
            ("throughput", Type::Number),
            ("volume_size", Type::Number),
            ("volume_type", Type::String),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .collect(),
    )
}

pub fn ephemeral_block_device_type() -> Type {
    Type::Object(
        [
            ("device_name", Type::String),
            ("virtual_name", Type::String),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .collect(),
    )
}

fn computed_str(name: &str, description: &str) -> Attribute {
    Attribute::computed(name, Type::String, description)
}

fn read_only(name: &str, description: &str) -> Attribute {
    read_only_typed(name, Type::String, description)
}

/// See `READ_ONLY`: configurable in the schema, rejected by `validate`.
fn read_only_typed(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute::optional_computed(
        name,
        ty,
        &format!("{description} Read-only: set by EC2, setting it is an error."),
    )
}

pub fn schema() -> Schema {
    let s = Type::String;
    let block = Block::new("Copies an Amazon Machine Image (AMI), within a region or across regions, with its EBS snapshots, and waits until the copy is available.")
        // Arguments.
        .attr(Attribute::required("name", s.clone(), "Region-unique name of the new AMI: 3-128 characters, letters, digits and ( ) [ ] space . / - ' @ _. Changing it makes a new copy."))
        .attr(Attribute::required("source_ami_id", s.clone(), "ID of the AMI to copy (ami- followed by 8 or 17 hex digits), valid in source_ami_region. Changing it makes a new copy."))
        .attr(Attribute::required("source_ami_region", s.clone(), "Region the source AMI lives in; may equal the destination region. Changing it makes a new copy."))
        .attr(Attribute::optional("description", s.clone(), "Description of the new AMI (at most 255 characters). Updated in place."))
        .attr(Attribute::optional("deprecation_time", s.clone(), "When the AMI becomes deprecated, RFC 3339 (e.g. 2030-01-01T00:00:00Z). EC2 rounds it to the nearest minute: two times that round to the same UTC minute are equal. Updated in place; removing it cancels the deprecation."))
        .attr(Attribute::optional("destination_outpost_arn", s.clone(), "ARN of the Outpost to copy the AMI to (only for a copy from a Region to an Outpost of that Region). Changing it makes a new copy."))
        .attr(Attribute::optional("destination_availability_zone", s.clone(), "Local Zone to copy the AMI to. Conflicts with destination_outpost_arn. Changing it makes a new copy."))
        .attr(Attribute::optional_computed("encrypted", Type::Bool, "Whether the copy's snapshots are encrypted. Default false. Changing it makes a new copy."))
        .attr(Attribute::optional_computed("kms_key_id", s.clone(), "Full ARN of the KMS key encrypting the copy's snapshots; the account's default EBS key when unset. Changing it makes a new copy."))
        .attr(Attribute::optional_computed("copy_tags", Type::Bool, "Copy the source AMI's user tags to the new AMI (CopyImageTags). Default false. Tags copied this way are left alone by later updates. Changing it makes a new copy."))
        .attr(Attribute::optional("snapshot_copy_completion_duration_minutes", Type::Number, "Time-based copy: the copy's snapshots complete within this many minutes (15 to 2880, a multiple of 15). Changing it makes a new copy."))
        .attr(Attribute::optional("deregistration_protection", s.clone(), "Deregistration protection of the new AMI: \"enabled\", \"enabled-with-cooldown\" (after it is disabled, the AMI stays protected for 24 more hours) or \"disabled\". Unset means disabled. While enabled, destroy fails: set \"disabled\" and apply first (or use skip_destroy)."))
        .attr(Attribute::optional_computed("skip_destroy", Type::Bool, "When true, destroying the resource removes it from the state but leaves the AMI and its snapshots in the account. Default false."))
        .attr(Attribute::optional_computed("tags", Type::map(s.clone()), "Tags of the new AMI and of its snapshots, merged over the provider's default_tags. Unset is the same as {} (no tags)."))
        .attr(Attribute::optional_computed("region", s.clone(), "Region to create the copy in; defaults to the provider's region. Changing it makes a new copy."))
        // Read from the image.
        .attr(computed_str("id", "ID of the new AMI."))
        .attr(computed_str("arn", "ARN of the new AMI."))
        .attr(computed_str("state", "State of the copy: \"available\" once complete, \"pending\" while an interrupted or timed-out copy is still in progress (the next apply resumes waiting), \"failed\" when EC2 gave up (the next apply replaces it)."))
        .attr(Attribute::computed("tags_all", Type::map(s.clone()), "All tags of the AMI, including the provider's default_tags."))
        .attr(read_only("architecture", "Architecture of the AMI (e.g. x86_64)."))
        .attr(read_only("boot_mode", "Boot mode (legacy-bios, uefi, uefi-preferred)."))
        .attr(read_only_typed("ena_support", Type::Bool, "Whether enhanced networking with ENA is enabled."))
        .attr(read_only("hypervisor", "Hypervisor type of the AMI."))
        .attr(read_only("image_location", "Location of the AMI."))
        .attr(read_only("image_owner_alias", "Owner alias of the AMI (e.g. amazon), if any."))
        .attr(read_only("image_type", "Type of image (machine, kernel, ramdisk)."))
        .attr(read_only("imds_support", "IMDS version required by instances launched from the AMI (v2.0), if set."))
        .attr(read_only("kernel_id", "Kernel associated with the AMI, if any."))
        .attr(read_only("last_launched_time", "When the AMI was last used to launch an instance."))
        .attr(read_only_typed("manage_ebs_snapshots", Type::Bool, "Always true: the copy's snapshots are deleted with it."))
        .attr(read_only("owner_id", "AWS account ID of the AMI's owner."))
        .attr(read_only("platform", "windows for Windows AMIs; empty otherwise."))
        .attr(read_only("platform_details", "Platform details of the AMI (e.g. Linux/UNIX)."))
        .attr(read_only_typed("public", Type::Bool, "Whether the AMI has public launch permissions."))
        .attr(read_only("ramdisk_id", "RAM disk associated with the AMI, if any."))
        .attr(read_only("root_device_name", "Device name of the root device (e.g. /dev/xvda)."))
        .attr(read_only("root_snapshot_id", "Snapshot ID of the root device."))
        .attr(read_only("sriov_net_support", "Whether enhanced networking with the Intel 82599 VF is enabled (simple)."))
        .attr(read_only("tpm_support", "v2.0 when NitroTPM is enabled."))
        .attr(read_only("uefi_data", "Base64 UEFI variable store of the AMI, if any (read with DescribeImageAttribute)."))
        .attr(read_only("usage_operation", "Operation of the EC2 instance and billing code (e.g. RunInstances)."))
        .attr(read_only("virtualization_type", "Virtualization type (hvm, paravirtual)."))
        .attr(read_only_typed("ebs_block_device", Type::set(ebs_block_device_type()), "The AMI's EBS block device mappings (read-only)."))
        .attr(read_only_typed("ephemeral_block_device", Type::set(ephemeral_block_device_type()), "The AMI's instance store mappings (read-only)."))
        .block(NestedBlock::new(
            "timeouts",
            Nesting::Single,
            Block::new("How long to wait, as Go durations (\"40m\", \"1h30m\").")
                .attr(Attribute::optional("create", s.clone(), "Wait for the copy to become available (default 40m)."))
                .attr(Attribute::optional("update", s.clone(), "Wait for an update or a resumed copy (default 40m)."))
                .attr(Attribute::optional("delete", s, "Wait for the AMI to be gone (default 90m).")),
        ));
    Schema {
        version: VERSION,
        block,
    }
}

/// An object with every attribute and block of the schema null (e.g. an imported state).
pub fn null_state() -> Value {
    let b = schema().block;
    let mut v = Value::Map(Default::default());
    for a in &b.attributes {
        v.set(a.name.clone(), Value::Null);
    }
    for n in &b.blocks {
        v.set(n.type_name.clone(), Value::Null);
    }
    v
}

/// Optional strings the Go provider stores as `""` when unset.
const GO_EMPTY_STRINGS: &[&str] = &[
    "description",
    "deprecation_time",
    "destination_outpost_arn",
    "kms_key_id",
    "destination_availability_zone",
    "deregistration_protection",
];

/// Makes a stored state plan clean against an unchanged configuration: defaulted booleans that
/// are null become `false`; null `tags` become `{}` (planned for unset tags, see plan); for a
/// state written by the Go provider (`from_go`), `""` (its spelling of "unset") becomes null.
pub fn normalize_state(v: &mut Value, from_go: bool) {
    for name in FALSE_BY_DEFAULT {
        if v.get(name).is_null() {
            v.set(*name, Value::Bool(false));
        }
    }
    for name in ["tags", "tags_all"] {
        if v.get(name).is_null() {
            v.set(name, Value::Map(Default::default()));
        }
    }
    if !from_go {
        return;
    }
    for name in GO_EMPTY_STRINGS {
        if v.get(name).as_str() == Some("") {
            v.set(*name, Value::Null);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_name_real_attributes() {
        let b = schema().block;
        for name in REPLACE_ON_CHANGE
            .iter()
            .chain(FALSE_BY_DEFAULT)
            .chain(READ_ONLY)
        {
            assert!(b.attribute(name).is_some(), "{name} is not in the schema");
        }
        for name in READ_ONLY {
            let a = b.attribute(name).expect("attribute");
            assert!(
                a.computed && a.optional,
                "{name} must reach validate to be rejected there"
            );
        }
        for name in ["id", "arn", "state", "tags_all"] {
            let a = b.attribute(name).expect("attribute");
            assert!(a.computed && !a.optional, "{name} is computed only");
        }
        for name in FALSE_BY_DEFAULT {
            let a = b.attribute(name).expect("attribute");
            assert!(
                a.optional && a.computed,
                "{name} needs optional+computed to plan its default"
            );
        }
    }

    #[test]
    fn go_state_is_normalized() {
        let mut v = null_state();
        v.set("description", Value::string(""));
        v.set("kms_key_id", Value::string(""));
        v.set("tags", Value::Map(Default::default()));
        v.set("encrypted", Value::Bool(true));
        let mut ours = v.clone();
        ours.set("tags", Value::Null);
        normalize_state(&mut v, true);
        assert_eq!(v.get("description"), &Value::Null);
        assert_eq!(v.get("kms_key_id"), &Value::Null);
        assert_eq!(v.get("tags"), &Value::Map(Default::default()));
        assert_eq!(v.get("tags_all"), &Value::Map(Default::default()));
        assert_eq!(v.get("encrypted"), &Value::Bool(true));
        assert_eq!(v.get("skip_destroy"), &Value::Bool(false));
        assert_eq!(v.get("copy_tags"), &Value::Bool(false));
        // Our own states keep what was written ("" can only come from a configuration).
        normalize_state(&mut ours, false);
        assert_eq!(ours.get("description"), &Value::string(""));
        assert_eq!(ours.get("tags"), &Value::Map(Default::default()));
    }

    #[test]
    fn null_state_has_every_attribute() {
        let v = null_state();
        assert_eq!(
            v.as_map().map(|m| m.len()),
            Some(schema().block.attributes.len() + 1)
        );
    }

    #[test]
    fn names_are_unique() {
        let b = schema().block;
        let mut names: Vec<_> = b.attributes.iter().map(|a| a.name.as_str()).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }
}
