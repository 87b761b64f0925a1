//! The schema of `data "aws_ami"`: hashicorp/aws 6.x's, attribute for attribute (the unit test
//! compares it with `upstream_schema.txt`, taken from the published bindings).

use tfplugin::{Attribute, Block, NestedBlock, Nesting, Schema, Type};

fn computed(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute::computed(name, ty, description)
}

fn text(name: &str, description: &str) -> Attribute {
    computed(name, Type::String, description)
}

fn strings() -> Type {
    Type::list(Type::String)
}

fn string_map() -> Type {
    Type::map(Type::String)
}

fn object(fields: &[(&str, Type)]) -> Type {
    Type::Object(
        fields
            .iter()
            .map(|(n, t)| (n.to_string(), t.clone()))
            .collect(),
    )
}

/// One block device mapping of the image; `ebs` is a map of strings, as upstream writes it.
fn block_device_mapping() -> Type {
    object(&[
        ("device_name", Type::String),
        ("ebs", string_map()),
        ("no_device", Type::String),
        ("virtual_name", Type::String),
    ])
}

fn product_code() -> Type {
    object(&[
        ("product_code_id", Type::String),
        ("product_code_type", Type::String),
    ])
}

pub fn schema() -> Schema {
    let arguments = Block::new("Finds one Amazon Machine Image (AMI) by owner, filters and name, as `hashicorp/aws`'s `aws_ami` does.")
        .attr(Attribute::optional("allow_unsafe_filter", Type::Bool, "With `most_recent = true` and neither `owners` nor an `image-id`/`owner-id` filter, warn instead of failing."))
        .attr(Attribute::optional("executable_users", strings(), "Only images these accounts may launch (`self` or account ids)."))
        .attr(Attribute::optional_computed("id", Type::String, "The image's id."))
        .attr(Attribute::optional("include_deprecated", Type::Bool, "Also list deprecated images (EC2 always lists your own). Default `false`."))
        .attr(Attribute::optional("most_recent", Type::Bool, "When several images match, take the one created last instead of failing. Default `false`."))
        .attr(Attribute::optional("name_regex", Type::String, "A regular expression the image name must match (applied to what EC2 returned)."))
        .attr(Attribute::optional("owners", strings(), "Image owners: account ids, `self`, or an alias such as `amazon`."))
        .attr(Attribute::optional_computed("region", Type::String, "Region to search; default the provider's."))
        .attr(Attribute::optional_computed("tags", string_map(), "The image's tags."))
        .attr(Attribute::optional("uefi_data", Type::String, "The image's UEFI variable store (base64), read for UEFI images."))
        .block(NestedBlock::new(
            "filter",
            Nesting::Set,
            Block::new("A DescribeImages filter.")
                .attr(Attribute::required("name", Type::String, "Filter name, e.g. `name`, `owner-alias`, `tag:Team`."))
                .attr(Attribute::required("values", Type::set(Type::String), "Accepted values; `*` and `?` are wildcards.")),
        ))
        .block(NestedBlock::new(
            "timeouts",
            Nesting::Single,
            Block::new("").attr(Attribute::optional("read", Type::String, "How long the lookup may take (Go duration, default `20m`).")),
        ));
    let exported = [
        text("architecture", "`x86_64`, `arm64`, ..."),
        text("arn", "The image's ARN."),
        computed("block_device_mappings", Type::set(block_device_mapping()), "The image's block device mappings; `ebs` holds `delete_on_termination`, `encrypted`, `iops`, `snapshot_id`, `throughput`, `volume_size` and `volume_type` as strings."),
        text("boot_mode", "`legacy-bios`, `uefi`, `uefi-preferred` or `\"\"`."),
        text("creation_date", "When the image was created (RFC 3339, as EC2 writes it)."),
        text("deprecation_time", "When the image is or was deprecated, or `\"\"`."),
        text("description", "The image's description."),
        computed("ena_support", Type::Bool, "Whether enhanced networking with ENA is enabled."),
        text("hypervisor", "`xen` or `ovm`."),
        text("image_id", "The image's id."),
        text("image_location", "The image's location (owner/name)."),
        text("image_owner_alias", "`amazon`, `aws-marketplace` or `\"\"`."),
        text("image_type", "`machine`, `kernel` or `ramdisk`."),
        text("imds_support", "`v2.0` when instances must use IMDSv2, else `\"\"`."),
        text("kernel_id", "The kernel id, or `\"\"`."),
        text("last_launched_time", "When an instance was last launched from it, or `\"\"`."),
        text("name", "The image's name."),
        text("owner_id", "The owner's account id."),
        text("platform", "`windows` or `\"\"`."),
        text("platform_details", "Platform details, e.g. `Linux/UNIX`."),
        computed("product_codes", Type::set(product_code()), "The image's product codes."),
        computed("public", Type::Bool, "Whether everyone may launch it."),
        text("ramdisk_id", "The RAM disk id, or `\"\"`."),
        text("root_device_name", "The root device, e.g. `/dev/xvda`."),
        text("root_device_type", "`ebs` or `instance-store`."),
        text("root_snapshot_id", "The snapshot of the root device, or `\"\"`."),
        text("sriov_net_support", "`simple` or `\"\"`."),
        text("state", "`available`, `pending`, ..."),
        computed("state_reason", string_map(), "`code` and `message` of the last state change (`UNSET` when EC2 gave none)."),
        text("tpm_support", "`v2.0` or `\"\"`."),
        text("usage_operation", "The billing operation, e.g. `RunInstances`."),
        text("virtualization_type", "`hvm` or `paravirtual`."),
    ];
    Schema {
        version: 0,
        block: exported.into_iter().fold(arguments, Block::attr),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_name(t: &Type) -> String {
        match t {
            Type::String => "string".into(),
            Type::Bool => "bool".into(),
            Type::Number => "number".into(),
            Type::List(e) => format!("list({})", type_name(e)),
            Type::Set(e) => format!("set({})", type_name(e)),
            Type::Map(e) => format!("map({})", type_name(e)),
            Type::Object(_) => "object".into(),
            other => format!("{other:?}"),
        }
    }

    fn mode(a: &Attribute) -> String {
        [
            ("required", a.required),
            ("optional", a.optional),
            ("computed", a.computed),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join("+")
    }

    /// Our schema in the fixture's `PATH TYPE MODE` lines.
    fn lines(block: &Block, prefix: &str, out: &mut Vec<String>) {
        for a in &block.attributes {
            let path = format!("{prefix}{}", a.name);
            out.push(format!("{path} {} {}", type_name(&a.ty), mode(a)));
            if let Type::Set(e) | Type::List(e) = &a.ty {
                if let Type::Object(fields) = e.as_ref() {
                    for (n, t) in fields {
                        out.push(format!("{path}.{n} {} {}", type_name(t), mode(a)));
                    }
                }
            }
        }
        for b in &block.blocks {
            let kind = match b.nesting {
                Nesting::Set => "block:set",
                Nesting::Single => "block:single",
                Nesting::List => "block:list",
                Nesting::Map => "block:map",
                Nesting::Group => "block:group",
            };
            let mode = if b.min_items > 0 {
                "required"
            } else {
                "optional"
            };
            out.push(format!("{prefix}{} {kind} {mode}", b.type_name));
            lines(&b.block, &format!("{prefix}{}.", b.type_name), out);
        }
    }

    #[test]
    fn schema_is_hashicorp_aws_6() {
        let upstream: Vec<String> = include_str!("upstream_schema.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        let mut ours = Vec::new();
        lines(&schema().block, "", &mut ours);
        ours.sort();
        assert_eq!(ours, upstream);
    }
}
