//! The whole `aws_ami_copy` schema in one place. Each attribute carries its rules: replace on
//! change, default, read-only, validators, and whether the Go provider stored `""` for it when
//! unset. The planner, the validator and the state upgrade read them from here.

use super::model::{attr, ebs_attr, ephemeral_attr, timeouts_attr};
use super::validate as check;
use tfplugin::{Attribute, Block, NestedBlock, Nesting, Schema, Type, Value};

/// Bumped only with an `upgrade_state` step; 0 matches the Go provider's states, so they load
/// here unchanged.
pub const VERSION: i64 = 0;

// The rules as lists, derived from the declarations: the tests and the design notes read them;
// the code reads each attribute's own declaration.

/// The names of the attributes declared with `rule`, in schema order.
#[cfg(test)]
fn names(rule: impl Fn(&Attribute) -> bool) -> Vec<String> {
    schema()
        .block
        .attributes
        .iter()
        .filter(|a| rule(a))
        .map(|a| a.name.clone())
        .collect()
}

/// Arguments whose change needs a new copy: CopyImage is the only call that can set them.
#[cfg(test)]
pub fn replace_on_change() -> Vec<String> {
    names(|a| a.replace_on_change)
}

/// Attributes read from the image that a configuration may not set (see `set_by_ec2_typed`).
#[cfg(test)]
pub fn read_only() -> Vec<String> {
    names(|a| a.read_only)
}

/// Optional booleans whose absence means `false`.
#[cfg(test)]
pub fn false_by_default() -> Vec<String> {
    names(|a| a.default == Some(Value::Bool(false)))
}

/// Optional strings the Go provider stores as `""` when unset.
#[cfg(test)]
pub fn go_empty_strings() -> Vec<String> {
    names(|a| a.empty_string_is_null)
}

pub fn ebs_block_device_type() -> Type {
    Type::Object(
        [
            (ebs_attr::delete_on_termination, Type::Bool),
            (ebs_attr::device_name, Type::String),
            (ebs_attr::encrypted, Type::Bool),
            (ebs_attr::iops, Type::Number),
            (ebs_attr::outpost_arn, Type::String),
            (ebs_attr::snapshot_id, Type::String),
            (ebs_attr::throughput, Type::Number),
            (ebs_attr::volume_size, Type::Number),
            (ebs_attr::volume_type, Type::String),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .collect(),
    )
}

pub fn ephemeral_block_device_type() -> Type {
    Type::Object(
        [
            (ephemeral_attr::device_name, Type::String),
            (ephemeral_attr::virtual_name, Type::String),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .collect(),
    )
}

/// A set of nested blocks that only EC2 fills in: one computed attribute per field of `ty`.
fn computed_set_block(name: &str, description: &str, ty: Type) -> NestedBlock {
    let mut block = Block::new(description);
    if let Type::Object(fields) = ty {
        for (field, ty) in fields {
            block = block.attr(Attribute::read_only(&field, ty, ""));
        }
    }
    NestedBlock::new(name, Nesting::Set, block)
}

fn computed_str(name: &str, description: &str) -> Attribute {
    Attribute::computed(name, Type::String, description)
}

fn set_by_ec2(name: &str, description: &str) -> Attribute {
    set_by_ec2_typed(name, Type::String, description)
}

/// An attribute EC2 sets on the image. The Go provider's page says a copy has "the full set of
/// arguments from aws_ami", but on a copy they cannot be chosen: computed only, as upstream, so
/// `plan -generate-config-out` leaves them out. Terraform itself lets a configured value through
/// to the provider, which refuses it at validate time with a message that says why.
fn set_by_ec2_typed(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute::read_only(name, ty, &format!("{description} Read-only: set by EC2."))
        .validate(check::read_only_on_copy)
}

/// An optional boolean that is `false` when unset: planned as `false`, so that states written
/// before it existed (null) and states written with it agree. Computed, because Terraform only
/// lets a provider fill in computed attributes.
fn bool_false_by_default(name: &str, description: &str) -> Attribute {
    Attribute::optional_computed(name, Type::Bool, description).default(Value::Bool(false))
}

/// An optional string that is `""` when unset, as the Go provider stores it (and as modules
/// pass "unset"): planned as `""`, so it interpolates like any string. Computed, because
/// Terraform only lets a provider fill in computed attributes.
fn go_optional_str(name: &str, description: &str) -> Attribute {
    Attribute::optional_computed(name, Type::String, description)
        .empty_string_is_null()
        .default(Value::string(""))
}

pub fn schema() -> Schema {
    let s = Type::String;
    let block = Block::new("Copies an Amazon Machine Image (AMI), within a region or across regions, with its EBS snapshots, and waits until the copy is available.")
        // Arguments.
        .attr(Attribute::required(attr::name, s.clone(), "Region-unique name of the new AMI: 3-128 characters, letters, digits and ( ) [ ] space . / - ' @ _. Changing it makes a new copy.").replace_on_change().validate(check::ami_name))
        .attr(Attribute::required(attr::source_ami_id, s.clone(), "ID of the AMI to copy (ami- followed by 8 or 17 hex digits), valid in source_ami_region. Changing it makes a new copy.").replace_on_change().validate(check::ami_id))
        .attr(Attribute::required(attr::source_ami_region, s.clone(), "Region the source AMI lives in; may equal the destination region. Changing it makes a new copy.").replace_on_change())
        .attr(go_optional_str(attr::description, "Description of the new AMI (at most 255 characters). Updated in place.").validate(check::description))
        .attr(go_optional_str(attr::deprecation_time, "When the AMI becomes deprecated, RFC 3339 (e.g. 2030-01-01T00:00:00Z). EC2 rounds it to the nearest minute: two times that round to the same UTC minute are equal. Updated in place; removing it cancels the deprecation.").validate(check::rfc3339))
        // The Go provider forgot to replace on this one; CopyImage is still the only way to set it.
        .attr(go_optional_str(attr::destination_outpost_arn, "ARN of the Outpost to copy the AMI to (only for a copy from a Region to an Outpost of that Region). Changing it makes a new copy.").replace_on_change().validate(check::outpost_arn))
        .attr(go_optional_str(attr::destination_availability_zone, "Local Zone to copy the AMI to. Conflicts with destination_outpost_arn. Changing it makes a new copy.").replace_on_change().validate(check::zone))
        .attr(bool_false_by_default(attr::encrypted, "Whether the copy's snapshots are encrypted. Default false. Changing it makes a new copy.").replace_on_change())
        // No default: unset means "the key EC2 picks", which it then reports.
        .attr(Attribute::optional_computed(attr::kms_key_id, s.clone(), "Full ARN of the KMS key encrypting the copy's snapshots; the account's default EBS key when unset (or \"\"). Changing it makes a new copy.").replace_on_change().empty_string_is_null().validate(check::kms_key_arn))
        .attr(bool_false_by_default(attr::copy_tags, "Copy the source AMI's user tags to the new AMI (CopyImageTags). Default false. Tags copied this way are left alone by later updates. Changing it makes a new copy.").replace_on_change())
        .attr(Attribute::optional(attr::snapshot_copy_completion_duration_minutes, Type::Number, "Time-based copy: the copy's snapshots complete within this many minutes (15 to 2880, a multiple of 15). Changing it makes a new copy.").replace_on_change().validate(check::completion_minutes))
        .attr(go_optional_str(attr::deregistration_protection, "Deregistration protection of the new AMI: \"enabled\", \"enabled-with-cooldown\" (after it is disabled, the AMI stays protected for 24 more hours) or \"disabled\". Unset means disabled. While enabled, destroy fails: set \"disabled\" and apply first (or use skip_destroy).").validate(check::protection))
        .attr(bool_false_by_default(attr::skip_destroy, "When true, destroying the resource removes it from the state but leaves the AMI and its snapshots in the account. Default false."))
        // Never null: a configured `{}` must plan `{}`, and no tags must equal `tags = {}`.
        .attr(Attribute::optional_computed(attr::tags, Type::map(s.clone()), "Tags of the new AMI and of its snapshots, merged over the provider's default_tags. Unset is the same as {} (no tags).").default(Value::Map(Default::default())).validate(check::tags))
        .attr(Attribute::optional_computed(attr::region, s.clone(), "Region to create the copy in; defaults to the provider's region. Changing it makes a new copy.").replace_on_change())
        // Read from the image.
        .attr(computed_str(attr::id, "ID of the new AMI."))
        .attr(computed_str(attr::arn, "ARN of the new AMI."))
        .attr(computed_str(attr::state, "State of the copy: \"available\" once complete, \"pending\" while an interrupted or timed-out copy is still in progress (the next apply resumes waiting), \"failed\" (or \"error\", \"invalid\") when EC2 gave up (the next apply replaces it), \"disabled\" when disabled outside Terraform, \"deregistered\" when a destroy left snapshots (the next destroy finishes), or any other state EC2 reports."))
        .attr(Attribute::computed(attr::tags_all, Type::map(s.clone()), "All tags of the AMI, including the provider's default_tags."))
        // The only place Terraform keeps for an instance across taint and replacement: the
        // plan of a tainted instance gets no private data (see ownership::attempts).
        .attr(computed_str(attr::copy_attempts, "Empty once the copy's id is known. While an apply could not learn what became of its CopyImage (an answer lost, Ctrl-C while it was in flight), the request as sent, its ClientToken and when each send left and ended, as JSON: the next apply sends it again with the same token, and EC2 answers with the copy the first request made."))
        .attr(set_by_ec2(attr::architecture, "Architecture of the AMI (e.g. x86_64)."))
        .attr(set_by_ec2(attr::boot_mode, "Boot mode (legacy-bios, uefi, uefi-preferred)."))
        .attr(set_by_ec2_typed(attr::ena_support, Type::Bool, "Whether enhanced networking with ENA is enabled."))
        .attr(set_by_ec2(attr::hypervisor, "Hypervisor type of the AMI: `xen` or `ovm`."))
        .attr(set_by_ec2(attr::image_location, "Location of the AMI."))
        .attr(set_by_ec2(attr::image_owner_alias, "Owner alias of the AMI (e.g. amazon), if any."))
        .attr(set_by_ec2(attr::image_type, "Type of image (machine, kernel, ramdisk)."))
        .attr(set_by_ec2(attr::imds_support, "IMDS version required by instances launched from the AMI (v2.0), if set."))
        .attr(set_by_ec2(attr::kernel_id, "Kernel associated with the AMI, if any."))
        .attr(set_by_ec2(attr::last_launched_time, "When the AMI was last used to launch an instance."))
        // A copy's snapshots belong to it: known before the copy exists.
        .attr(set_by_ec2_typed(attr::manage_ebs_snapshots, Type::Bool, "Always true: the copy's snapshots are deleted with it.").default(Value::Bool(true)))
        .attr(set_by_ec2(attr::owner_id, "AWS account ID of the AMI's owner."))
        .attr(set_by_ec2(attr::platform, "windows for Windows AMIs; empty otherwise."))
        .attr(set_by_ec2(attr::platform_details, "Platform details of the AMI (e.g. Linux/UNIX)."))
        .attr(set_by_ec2_typed(attr::public, Type::Bool, "Whether the AMI has public launch permissions."))
        .attr(set_by_ec2(attr::ramdisk_id, "RAM disk associated with the AMI, if any."))
        .attr(set_by_ec2(attr::root_device_name, "Device name of the root device (e.g. /dev/xvda)."))
        .attr(set_by_ec2(attr::root_snapshot_id, "Snapshot ID of the root device."))
        .attr(set_by_ec2(attr::sriov_net_support, "Whether enhanced networking with the Intel 82599 VF is enabled (simple)."))
        .attr(set_by_ec2(attr::tpm_support, "v2.0 when NitroTPM is enabled."))
        .attr(set_by_ec2(attr::uefi_data, "Base64 UEFI variable store of the AMI, if any (read with DescribeImageAttribute)."))
        .attr(set_by_ec2(attr::usage_operation, "Operation of the EC2 instance and billing code (e.g. RunInstances)."))
        .attr(set_by_ec2(attr::virtualization_type, "Virtualization type (hvm, paravirtual)."))
        // Set blocks of computed attributes, as upstream, so `dynamic` blocks and plans match.
        .block(computed_set_block(attr::ebs_block_device, "The AMI's EBS block device mappings (read-only).", ebs_block_device_type()))
        .block(computed_set_block(attr::ephemeral_block_device, "The AMI's instance store mappings (read-only).", ephemeral_block_device_type()))
        .block(NestedBlock::new(
            attr::timeouts,
            Nesting::Single,
            Block::new("How long to wait, as Go durations (\"40m\", \"1h30m\").")
                .attr(Attribute::optional(timeouts_attr::create, s.clone(), "Wait for the copy to become available (default 40m).").validate(check::timeout))
                .attr(Attribute::optional(timeouts_attr::update, s.clone(), "Wait for an update or a resumed copy (default 40m).").validate(check::timeout))
                .attr(Attribute::optional(timeouts_attr::delete, s, "Wait for the AMI to be gone (default 90m).").validate(check::timeout)),
        ));
    Schema {
        version: VERSION,
        block,
    }
}

/// The state an operation hands back to Terraform: nothing unknown left (what EC2 did not tell
/// us is absent), absent values spelled as the Go provider spells them.
pub fn stored(mut v: Value) -> Value {
    tfplugin::apply_result::resolve_unknowns(&mut v);
    schema().block.spell_like_sdkv2(&mut v);
    v
}

/// Makes a stored state plan clean against an unchanged configuration: null defaulted
/// attributes get their default (`false`, `{}`, `""`), a null `tags_all` becomes `{}` like
/// `tags`, absent values are spelled as the Go provider spells them (`""`, zeros in the block
/// devices). A state written by the Go provider (`from_go`) has no `state` of ours: it only ever
/// recorded finished copies.
pub fn normalize_state(v: &mut Value, from_go: bool) {
    let block = schema().block;
    block.fill_defaults(v);
    block.spell_like_sdkv2(v);
    if v.get(attr::tags_all).is_null() {
        v.set(attr::tags_all, Value::Map(Default::default()));
    }
    if from_go && v.get(attr::state).as_str().is_none_or(str::is_empty) {
        v.set(attr::state, Value::string("available"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules as they were listed by hand before each attribute declared its own.
    #[test]
    fn derived_lists_are_the_documented_ones() {
        assert_eq!(
            replace_on_change(),
            [
                "name",
                "source_ami_id",
                "source_ami_region",
                "destination_outpost_arn",
                "destination_availability_zone",
                "encrypted",
                "kms_key_id",
                "copy_tags",
                "snapshot_copy_completion_duration_minutes",
                "region",
            ]
        );
        assert_eq!(
            false_by_default(),
            ["encrypted", "copy_tags", "skip_destroy"]
        );
        assert_eq!(
            go_empty_strings(),
            [
                "description",
                "deprecation_time",
                "destination_outpost_arn",
                "destination_availability_zone",
                "kms_key_id",
                "deregistration_protection",
            ]
        );
        assert_eq!(read_only().len(), 23);
        for name in ["architecture", "uefi_data", "manage_ebs_snapshots"] {
            assert!(read_only().iter().any(|n| n == name), "{name}");
        }
    }

    #[test]
    fn tables_name_real_attributes() {
        let b = schema().block;
        for name in read_only() {
            let a = b.attribute(&name).expect("attribute");
            assert!(
                a.computed && !a.optional,
                "{name} is computed only: Terraform refuses a configured value"
            );
        }
        for name in ["id", "arn", "state", "tags_all"] {
            let a = b.attribute(name).expect("attribute");
            assert!(a.computed && !a.optional, "{name} is computed only");
        }
        for name in false_by_default() {
            let a = b.attribute(&name).expect("attribute");
            assert!(
                a.optional && a.computed,
                "{name} needs optional+computed to plan its default"
            );
        }
    }

    #[test]
    fn go_state_is_normalized() {
        let mut v = schema().block.null_value();
        v.set("description", Value::string(""));
        v.set("kms_key_id", Value::string(""));
        v.set("tags", Value::Null);
        v.set("encrypted", Value::Bool(true));
        let mut ebs = Value::Null;
        ebs.set("snapshot_id", Value::string("snap-1"));
        v.set("ebs_block_device", Value::List(vec![ebs]));
        let mut ours = v.clone();
        normalize_state(&mut v, true);
        // The Go provider's spelling stays: "" for unset strings, zeros in the block devices.
        assert_eq!(v.get("description"), &Value::string(""));
        assert_eq!(v.get("kms_key_id"), &Value::string(""));
        assert_eq!(v.get("deprecation_time"), &Value::string(""));
        assert_eq!(v.get("kernel_id"), &Value::string(""));
        let ebs = &v.get("ebs_block_device").as_list().expect("blocks")[0];
        assert_eq!(ebs.get("iops"), &Value::int(0));
        assert_eq!(ebs.get("outpost_arn"), &Value::string(""));
        assert_eq!(ebs.get("encrypted"), &Value::Bool(false));
        assert_eq!(v.get("ephemeral_block_device"), &Value::List(vec![]));
        // What it lacks gets our defaults; it only recorded finished copies.
        assert_eq!(v.get("tags"), &Value::Map(Default::default()));
        assert_eq!(v.get("tags_all"), &Value::Map(Default::default()));
        assert_eq!(v.get("encrypted"), &Value::Bool(true));
        assert_eq!(v.get("skip_destroy"), &Value::Bool(false));
        assert_eq!(v.get("copy_tags"), &Value::Bool(false));
        assert_eq!(v.get("state"), &Value::string("available"));
        // Our own states record their own lifecycle.
        normalize_state(&mut ours, false);
        assert_eq!(ours.get("description"), &Value::string(""));
        assert_eq!(ours.get("state"), &Value::string(""));
    }

    #[test]
    fn null_state_has_every_attribute() {
        let v = schema().block.null_value();
        assert_eq!(
            v.as_map().map(|m| m.len()),
            Some(schema().block.attributes.len() + schema().block.blocks.len())
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
