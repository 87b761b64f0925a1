//! An EC2 `Image` (DescribeImages) → the copy's state.
//!
//! Pure. Arguments only EC2 knows at creation (`encrypted`, `copy_tags`, ...) are kept from the
//! base state; what the image says replaces everything else. On import (no base values) the
//! source id and region come from SourceImageId / SourceImageRegion, so that an imported copy
//! plans clean against its configuration.

use super::copy_state::{same_deprecation_time, Lifecycle};
#[cfg(test)]
use super::model::Cty;
use super::model::{AmiCopyState, EbsBlockDevice, EphemeralBlockDevice};
use crate::provider::clients::AwsClients;
use crate::tags::{tags_from_remote, IgnoreTags, Tags};
use aws_sdk_ec2::types::Image;
#[cfg(test)]
use tfplugin::Value;

/// What the state of a copy depends on besides the image.
pub struct FlattenEnv<'a> {
    /// The copy's region (the resource's `region`).
    pub region: &'a str,
    pub partition: &'a str,
    pub default_tags: &'a Tags,
    pub ignore_tags: &'a IgnoreTags,
}

impl<'a> FlattenEnv<'a> {
    /// The provider's settings, for a copy in `region`.
    pub fn of(clients: &'a AwsClients, region: &'a str) -> Self {
        FlattenEnv {
            region,
            partition: &clients.partition,
            default_tags: &clients.default_tags,
            ignore_tags: &clients.ignore_tags,
        }
    }
}

/// `arn:<partition>:ec2:<region>::image/<id>` (images have no account in their ARN).
pub fn image_arn(partition: &str, region: &str, id: &str) -> String {
    format!("arn:{partition}:ec2:{region}::image/{id}")
}

/// EC2's deregistration protection → this resource's value. `disabled-until ...` (cooldown
/// after disabling) is disabled as far as the configuration goes.
pub fn protection_from_ec2(s: &str) -> &'static str {
    match s {
        "enabled-with-cooldown" => "enabled-with-cooldown",
        s if s.starts_with("enabled") => "enabled",
        _ => "disabled",
    }
}

/// EC2 sends "" for some unset fields; the state says null for both.
fn s<T: AsRef<str>>(v: Option<T>) -> Option<String> {
    v.map(|x| x.as_ref().to_string()).filter(|x| !x.is_empty())
}

/// EC2 has no "no description": absent and "" are the same, null in the state, except that a
/// state holding `""` (configured `description = ""`) keeps it, so that configuration plans clean.
fn description(live: Option<&str>, base: &AmiCopyState) -> Option<String> {
    match live {
        Some(d) if !d.is_empty() => Some(d.to_string()),
        _ if base.description.as_deref() == Some("") => Some(String::new()),
        _ => None,
    }
}

fn ebs_element(device: Option<&str>, ebs: &aws_sdk_ec2::types::EbsBlockDevice) -> EbsBlockDevice {
    EbsBlockDevice {
        delete_on_termination: ebs.delete_on_termination(),
        device_name: s(device),
        encrypted: ebs.encrypted(),
        iops: ebs.iops().map(i64::from),
        outpost_arn: s(ebs.outpost_arn()),
        snapshot_id: s(ebs.snapshot_id()),
        throughput: ebs.throughput().map(i64::from),
        volume_size: ebs.volume_size().map(i64::from),
        volume_type: s(ebs.volume_type().map(|t| t.as_str())),
    }
}

/// The tags an image carries, as DescribeImages shows them.
pub fn shown_tags(image: &Image) -> Tags {
    image
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// The copy's own EBS snapshot ids, from its block device mappings.
pub fn snapshot_ids(image: &Image) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for m in image.block_device_mappings() {
        if let Some(id) = m.ebs().and_then(|e| e.snapshot_id()) {
            if !id.is_empty() && !ids.iter().any(|x| x == id) {
                ids.push(id.to_string());
            }
        }
    }
    ids
}

/// The snapshot ids recorded in a state's `ebs_block_device` set and `root_snapshot_id`.
#[cfg(test)]
pub fn state_snapshot_ids(state: &Value) -> Vec<String> {
    AmiCopyState::from_cty(state).snapshot_ids()
}

/// [`observe`] on cty values, for tests written against the state as Terraform sees it.
#[cfg(test)]
pub fn flatten(
    image: &Image,
    base: &Value,
    uefi_data: Option<Option<String>>,
    env: &FlattenEnv,
) -> Value {
    observe(image, &AmiCopyState::from_cty(base), uefi_data, env).to_cty()
}

/// The state for `image`, starting from `base` (prior state, planned state, or empty on
/// import). `uefi_data` is read separately (DescribeImageAttribute); `None` keeps the base's.
pub fn observe(
    image: &Image,
    base: &AmiCopyState,
    uefi_data: Option<Option<String>>,
    env: &FlattenEnv,
) -> AmiCopyState {
    let mut v = base.clone();
    image_attributes(&mut v, image, env);
    if let Some(u) = uefi_data {
        v.uefi_data = s(u);
    }
    let disks = block_devices(&mut v, image);
    creation_arguments(&mut v, image, disks);
    deprecation_time(&mut v, base, image);
    deregistration_protection(&mut v, base, image);
    set_tags(&mut v, base, image, env);
    v
}

/// What DescribeImages says about the image itself.
fn image_attributes(v: &mut AmiCopyState, image: &Image, env: &FlattenEnv) {
    let id = image.image_id().unwrap_or_default().to_string();
    v.arn = Some(image_arn(env.partition, env.region, &id));
    v.id = Some(id);
    // `region` stays as recorded: hashicorp/aws 5.x recorded none ("" is the provider's), and
    // filling it in here would show as a change made outside Terraform.
    v.name = s(image.name());
    v.description = description(image.description(), v);
    v.state = Lifecycle::of_image(image);
    v.architecture = s(image.architecture().map(|x| x.as_str()));
    v.boot_mode = s(image.boot_mode().map(|x| x.as_str()));
    // Absent means not enabled; the Go provider stores false, and so do we, so that its states
    // plan clean here.
    v.ena_support = Some(image.ena_support().unwrap_or(false));
    v.hypervisor = s(image.hypervisor().map(|x| x.as_str()));
    v.image_location = s(image.image_location());
    v.image_owner_alias = s(image.image_owner_alias());
    v.image_type = s(image.image_type().map(|x| x.as_str()));
    v.imds_support = s(image.imds_support().map(|x| x.as_str()));
    v.kernel_id = s(image.kernel_id());
    v.last_launched_time = s(image.last_launched_time());
    v.manage_ebs_snapshots = Some(true);
    v.owner_id = s(image.owner_id());
    v.platform = s(image.platform().map(|x| x.as_str()));
    v.platform_details = s(image.platform_details());
    v.public = Some(image.public().unwrap_or(false));
    v.ramdisk_id = s(image.ramdisk_id());
    v.root_device_name = s(image.root_device_name());
    v.sriov_net_support = s(image.sriov_net_support());
    v.tpm_support = s(image.tpm_support().map(|x| x.as_str()));
    v.usage_operation = s(image.usage_operation());
    v.virtualization_type = s(image.virtualization_type().map(|x| x.as_str()));
}

/// What the block device mappings tell about encryption, for a state that does not know it.
struct Disks {
    kms_key: Option<String>,
    any_encrypted: bool,
}

/// The EBS and instance store mappings and the root snapshot.
fn block_devices(v: &mut AmiCopyState, image: &Image) -> Disks {
    let root = image.root_device_name().unwrap_or_default();
    let mut ebs = Vec::new();
    let mut ephemeral = Vec::new();
    let mut disks = Disks {
        kms_key: None,
        any_encrypted: false,
    };
    v.root_snapshot_id = None;
    for m in image.block_device_mappings() {
        if let Some(e) = m.ebs() {
            if !root.is_empty() && m.device_name() == Some(root) {
                v.root_snapshot_id = s(e.snapshot_id());
            }
            disks.kms_key = disks.kms_key.or(s(e.kms_key_id()));
            disks.any_encrypted |= e.encrypted() == Some(true);
            ebs.push(ebs_element(m.device_name(), e));
        } else if m.no_device().is_none() {
            ephemeral.push(EphemeralBlockDevice {
                device_name: s(m.device_name()),
                virtual_name: s(m.virtual_name()),
            });
        }
    }
    v.ebs_block_device = Some(ebs);
    v.ephemeral_block_device = Some(ephemeral);
    disks
}

/// Creation arguments: what the image shows when the state has nothing (import).
fn creation_arguments(v: &mut AmiCopyState, image: &Image, disks: Disks) {
    v.kms_key_id = v.kms_key_id.take().or(disks.kms_key);
    v.encrypted = v.encrypted.or(Some(disks.any_encrypted));
    v.source_ami_id = v.source_ami_id.take().or(s(image.source_image_id()));
    v.source_ami_region = v
        .source_ami_region
        .take()
        .or(s(image.source_image_region()));
    v.copy_tags = v.copy_tags.or(Some(false));
    v.skip_destroy = v.skip_destroy.or(Some(false));
}

/// The same minute to EC2 (it answers the rounded "...:00.000Z"): keep the state's spelling.
fn deprecation_time(v: &mut AmiCopyState, base: &AmiCopyState, image: &Image) {
    let live = image.deprecation_time().filter(|t| !t.is_empty());
    let keep = match (base.deprecation_time.as_deref(), live) {
        (Some(old), Some(new)) => same_deprecation_time(old, new),
        _ => false,
    };
    if !keep {
        v.deprecation_time = s(live);
    }
}

fn deregistration_protection(v: &mut AmiCopyState, base: &AmiCopyState, image: &Image) {
    if let Some(p) = image.deregistration_protection().filter(|p| !p.is_empty()) {
        let p = protection_from_ec2(p);
        // Unset in the configuration means disabled: keep the null then.
        if !(p == "disabled" && base.deregistration_protection.is_none()) {
            v.deregistration_protection = Some(p.to_string());
        }
    }
}

fn set_tags(v: &mut AmiCopyState, base: &AmiCopyState, image: &Image, env: &FlattenEnv) {
    let remote = shown_tags(image);
    let split = tags_from_remote(
        &remote,
        env.default_tags,
        env.ignore_tags,
        base.tags.as_ref(),
    );
    let mut tags = split.tags;
    if base.copy_tags == Some(true) {
        // Tags copied from the source are not the configuration's: only configured keys count.
        let keys = base.tags.clone().unwrap_or_default();
        tags.retain(|k, _| keys.contains_key(k));
    }
    // Never null, even with no tags: `tags` is planned `{}` when unset (see plan), so no tags and
    // `tags = {}` are the same state.
    v.tags = Some(tags);
    v.tags_all = Some(split.tags_all);
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{
        ArchitectureValues, BlockDeviceMapping, EbsBlockDevice, HypervisorType, ImageState,
        ImageTypeValues, Tag, VirtualizationType, VolumeType,
    };

    fn image() -> Image {
        Image::builder()
            .image_id("ami-0123456789abcdef0")
            .name("copy")
            .description("desc")
            .state(ImageState::Available)
            .architecture(ArchitectureValues::X8664)
            .ena_support(true)
            .hypervisor(HypervisorType::Xen)
            .image_type(ImageTypeValues::Machine)
            .owner_id("123456789012")
            .platform_details("Linux/UNIX")
            .usage_operation("RunInstances")
            .public(false)
            .root_device_name("/dev/xvda")
            .virtualization_type(VirtualizationType::Hvm)
            .source_image_id("ami-0a0b0c0d")
            .source_image_region("us-west-1")
            .deregistration_protection("disabled")
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(
                        EbsBlockDevice::builder()
                            .snapshot_id("snap-root")
                            .volume_size(8)
                            .volume_type(VolumeType::Gp3)
                            .delete_on_termination(true)
                            .encrypted(true)
                            .kms_key_id("arn:aws:kms:us-east-1:123456789012:key/k")
                            .build(),
                    )
                    .build(),
            )
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/sdb")
                    .ebs(EbsBlockDevice::builder().snapshot_id("snap-data").build())
                    .build(),
            )
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/sdc")
                    .virtual_name("ephemeral0")
                    .build(),
            )
            .tags(Tag::builder().key("Name").value("n").build())
            .tags(Tag::builder().key("Env").value("prod").build())
            .tags(Tag::builder().key("aws:backup").value("x").build())
            .build()
    }

    fn env<'a>(defaults: &'a Tags, ignore: &'a IgnoreTags) -> FlattenEnv<'a> {
        FlattenEnv {
            region: "us-east-1",
            partition: "aws",
            default_tags: defaults,
            ignore_tags: ignore,
        }
    }

    #[test]
    fn import_reads_everything() {
        let d: Tags = [("Env".to_string(), "prod".to_string())].into();
        let ig = IgnoreTags::default();
        let v = flatten(
            &image(),
            &Value::Null,
            Some(Some("QU1JAA==".into())),
            &env(&d, &ig),
        );
        assert_eq!(v.get("id"), &Value::string("ami-0123456789abcdef0"));
        assert_eq!(
            v.get("arn"),
            &Value::string("arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0")
        );
        assert_eq!(v.get("source_ami_id"), &Value::string("ami-0a0b0c0d"));
        assert_eq!(v.get("source_ami_region"), &Value::string("us-west-1"));
        assert_eq!(v.get("root_snapshot_id"), &Value::string("snap-root"));
        assert_eq!(v.get("architecture"), &Value::string("x86_64"));
        assert_eq!(v.get("hypervisor"), &Value::string("xen"));
        assert_eq!(v.get("ena_support"), &Value::Bool(true));
        assert_eq!(v.get("state"), &Value::string("available"));
        assert_eq!(v.get("uefi_data"), &Value::string("QU1JAA=="));
        assert_eq!(v.get("encrypted"), &Value::Bool(true));
        assert_eq!(
            v.get("kms_key_id"),
            &Value::string("arn:aws:kms:us-east-1:123456789012:key/k")
        );
        assert_eq!(v.get("manage_ebs_snapshots"), &Value::Bool(true));
        assert_eq!(v.get("skip_destroy"), &Value::Bool(false));
        assert_eq!(v.get("deregistration_protection"), &Value::Null);
        assert_eq!(v.get("platform"), &Value::Null);
        assert_eq!(v.get("tags"), &Value::string_map([("Name", "n")]));
        assert_eq!(
            v.get("tags_all"),
            &Value::string_map([("Env", "prod"), ("Name", "n")])
        );
        let ebs = v.get("ebs_block_device").as_list().expect("list");
        assert_eq!(ebs.len(), 2);
        assert_eq!(ebs[0].get("volume_size"), &Value::int(8));
        assert_eq!(ebs[0].get("volume_type"), &Value::string("gp3"));
        assert_eq!(ebs[1].get("iops"), &Value::Null);
        let eph = v.get("ephemeral_block_device").as_list().expect("list");
        assert_eq!(eph.len(), 1);
        assert_eq!(eph[0].get("virtual_name"), &Value::string("ephemeral0"));
        assert_eq!(snapshot_ids(&image()), vec!["snap-root", "snap-data"]);
        assert_eq!(state_snapshot_ids(&v), vec!["snap-root", "snap-data"]);
    }

    #[test]
    fn refresh_keeps_creation_arguments_and_spelling() {
        let mut base = Value::Null;
        base.set("source_ami_id", Value::string("ami-99998888"));
        base.set("encrypted", Value::Bool(false));
        base.set("kms_key_id", Value::Null);
        base.set("deprecation_time", Value::string("2030-01-01T00:00:29Z"));
        base.set("tags", Value::string_map(Tags::new()));
        base.set("uefi_data", Value::string("old"));
        let img = image()
            .to_builder_like()
            .deprecation_time("2030-01-01T00:00:00.000Z")
            .build();
        let d = Tags::new();
        let ig = IgnoreTags {
            keys: vec!["Name".into()],
            key_prefixes: vec![],
        };
        let v = flatten(&img, &base, None, &env(&d, &ig));
        assert_eq!(
            v.get("source_ami_id"),
            &Value::string("ami-99998888"),
            "state wins over SourceImageId"
        );
        assert_eq!(v.get("encrypted"), &Value::Bool(false));
        assert_eq!(
            v.get("deprecation_time"),
            &Value::string("2030-01-01T00:00:29Z")
        );
        assert_eq!(v.get("uefi_data"), &Value::string("old"));
        assert_eq!(v.get("tags"), &Value::string_map([("Env", "prod")]));
        assert_eq!(v.get("tags_all"), &Value::string_map([("Env", "prod")]));
        // EC2's 00:01 is not the state's 00:00:29 (rounds to 00:00), but is 00:00:30's.
        for (state, kept) in [
            ("2030-01-01T00:00:29Z", false),
            ("2030-01-01T00:00:30Z", true),
        ] {
            let mut base = base.clone();
            base.set("deprecation_time", Value::string(state));
            let img = image()
                .to_builder_like()
                .deprecation_time("2030-01-01T00:01:00.000Z")
                .build();
            let got = flatten(&img, &base, None, &env(&d, &ig));
            let want = if kept {
                state
            } else {
                "2030-01-01T00:01:00.000Z"
            };
            assert_eq!(got.get("deprecation_time"), &Value::string(want));
        }
        // A deprecation time changed outside Terraform shows.
        let img = image()
            .to_builder_like()
            .deprecation_time("2031-01-01T00:00:00.000Z")
            .build();
        assert_eq!(
            flatten(&img, &base, None, &env(&d, &ig)).get("deprecation_time"),
            &Value::string("2031-01-01T00:00:00.000Z")
        );
    }

    #[test]
    fn no_description_is_stored_as_an_empty_string() {
        let d = Tags::new();
        let ig = IgnoreTags::default();
        let mut base = Value::Null;
        for live in [None, Some("")] {
            let img = image()
                .to_builder_like()
                .set_description(live.map(str::to_string))
                .build();
            for configured in [Value::Null, Value::string("")] {
                base.set("description", configured);
                let v = super::super::schema::stored(flatten(&img, &base, None, &env(&d, &ig)));
                assert_eq!(v.get("description"), &Value::string(""), "{live:?}");
            }
        }
        base.set("description", Value::string(""));
        assert_eq!(
            flatten(&image(), &base, None, &env(&d, &ig)).get("description"),
            &Value::string("desc"),
            "a description set outside Terraform shows"
        );
    }

    #[test]
    fn protection_mapping() {
        assert_eq!(protection_from_ec2("enabled-without-cooldown"), "enabled");
        assert_eq!(
            protection_from_ec2("enabled-with-cooldown"),
            "enabled-with-cooldown"
        );
        assert_eq!(
            protection_from_ec2("disabled-until 2030-01-01T00:00:00.000Z"),
            "disabled"
        );
        let d = Tags::new();
        let ig = IgnoreTags::default();
        let img = image()
            .to_builder_like()
            .deregistration_protection("enabled-without-cooldown")
            .build();
        assert_eq!(
            flatten(&img, &Value::Null, None, &env(&d, &ig)).get("deregistration_protection"),
            &Value::string("enabled")
        );
        let mut base = Value::Null;
        base.set("deregistration_protection", Value::string("enabled"));
        assert_eq!(
            flatten(&image(), &base, None, &env(&d, &ig)).get("deregistration_protection"),
            &Value::string("disabled")
        );
    }

    #[test]
    fn no_user_tags_is_an_empty_map_not_null() {
        // Only a default tag and an aws: tag on the image.
        let img = image()
            .to_builder_like()
            .set_tags(Some(vec![
                Tag::builder().key("Env").value("prod").build(),
                Tag::builder().key("aws:backup").value("x").build(),
            ]))
            .build();
        let d: Tags = [("Env".to_string(), "prod".to_string())].into();
        let ig = IgnoreTags::default();
        let mut prior = Value::Null;
        prior.set("tags", Value::string_map(Tags::new()));
        for base in [Value::Null, prior] {
            let v = flatten(&img, &base, None, &env(&d, &ig));
            assert_eq!(v.get("tags"), &Value::string_map(Tags::new()), "{base:?}");
            assert_eq!(v.get("tags_all"), &Value::string_map([("Env", "prod")]));
        }
    }

    #[test]
    fn copied_tags_stay_out_of_tags() {
        let mut base = Value::Null;
        base.set("copy_tags", Value::Bool(true));
        base.set("tags", Value::string_map([("Name", "n")]));
        let d = Tags::new();
        let ig = IgnoreTags::default();
        let v = flatten(&image(), &base, None, &env(&d, &ig));
        assert_eq!(v.get("tags"), &Value::string_map([("Name", "n")]));
        assert_eq!(
            v.get("tags_all"),
            &Value::string_map([("Env", "prod"), ("Name", "n")])
        );
    }

    /// The SDK's `Image` has no `to_builder`; rebuild the test image with one more field.
    trait ToBuilderLike {
        fn to_builder_like(&self) -> aws_sdk_ec2::types::builders::ImageBuilder;
    }
    impl ToBuilderLike for Image {
        fn to_builder_like(&self) -> aws_sdk_ec2::types::builders::ImageBuilder {
            Image::builder()
                .set_image_id(self.image_id().map(str::to_string))
                .set_name(self.name().map(str::to_string))
                .set_state(self.state().cloned())
                .set_root_device_name(self.root_device_name().map(str::to_string))
                .set_block_device_mappings(Some(self.block_device_mappings().to_vec()))
                .set_tags(Some(self.tags().to_vec()))
                .set_deregistration_protection(self.deregistration_protection().map(str::to_string))
        }
    }
}
