//! Copies between regions, the per-resource `region`, and encrypted copies with a KMS key.

use crate::support::{ami_copy, ami_id, call_param, state_snapshot_ids, Tf};

const DEST: &str = "us-east-1";
const SOURCE_REGION: &str = "us-west-1";

#[test]
fn cross_region_copy_lands_in_the_provider_region() {
    let tf = Tf::new("cross_region");
    let source = tf.make_source_ami(SOURCE_REGION, "tfacc-cross-region-source");
    let name = "tfacc-cross-region";
    tf.write(&format!(
        "{}{}",
        tf.provider_block(DEST, ""),
        ami_copy(name, &source, SOURCE_REGION, "")
    ));
    tf.apply();

    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["source_ami_region"], SOURCE_REGION);
    assert_eq!(r["source_ami_id"], source.as_str());
    assert_eq!(r["arn"], format!("arn:aws:ec2:{DEST}::image/{id}"));
    assert_eq!(r["region"], DEST);
    let img = tf
        .find_image(DEST, &id)
        .expect("the copy is in the destination region");
    assert_eq!(
        img.state(),
        Some(&aws_sdk_ec2::types::ImageState::Available)
    );
    assert!(
        tf.find_image(SOURCE_REGION, &id).is_none(),
        "the copy must not be in the source region"
    );
    let snaps = state_snapshot_ids(&r);
    assert_eq!(snaps.len(), 1);
    assert!(
        tf.find_snapshot(DEST, &snaps[0]).is_some(),
        "snapshot in the destination region"
    );

    let copies = tf.calls(Some("CopyImage"));
    assert_eq!(copies.len(), 1);
    assert_eq!(
        copies[0]["region"], DEST,
        "CopyImage is sent to the destination region"
    );
    assert_eq!(
        call_param(&copies[0], "SourceRegion").as_deref(),
        Some(SOURCE_REGION)
    );
    tf.assert_plan_empty();

    tf.destroy();
    assert!(tf.find_image(DEST, &id).is_none());
    assert!(tf.find_snapshot(DEST, &snaps[0]).is_none());
    assert!(
        tf.find_image(SOURCE_REGION, &source).is_some(),
        "destroy must not touch the source"
    );
}

#[test]
fn resource_region_overrides_the_provider_region() {
    let tf = Tf::new("resource_region");
    let source = tf.make_source_ami(SOURCE_REGION, "tfacc-resource-region-source");
    tf.write(&format!(
        "{}{}",
        tf.provider_block(DEST, ""),
        ami_copy(
            "tfacc-resource-region",
            &source,
            SOURCE_REGION,
            "  region = \"us-west-2\""
        )
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["region"], "us-west-2");
    assert_eq!(r["arn"], format!("arn:aws:ec2:us-west-2::image/{id}"));
    assert!(
        tf.find_image("us-west-2", &id).is_some(),
        "copy in us-west-2"
    );
    assert!(
        tf.find_image(DEST, &id).is_none(),
        "copy must not be in the provider region"
    );
    assert_eq!(tf.calls(Some("CopyImage"))[0]["region"], "us-west-2");
    tf.assert_plan_empty();

    // Changing the region replaces the copy.
    tf.write(&format!(
        "{}{}",
        tf.provider_block(DEST, ""),
        ami_copy(
            "tfacc-resource-region",
            &source,
            SOURCE_REGION,
            "  region = \"eu-west-1\""
        )
    ));
    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    tf.destroy();
    assert!(tf.find_image("us-west-2", &id).is_none());
}

#[test]
fn encrypted_copy_with_a_kms_key() {
    let tf = Tf::new("encrypted_kms");
    let source = tf.make_source_ami(SOURCE_REGION, "tfacc-encrypted-kms-source");
    let key = tf.create_kms_key(DEST);
    assert!(
        key.starts_with("arn:aws:kms:us-east-1:"),
        "KMS key ARN {key}"
    );
    tf.write(&format!(
        "{}{}",
        tf.provider_block(DEST, ""),
        ami_copy(
            "tfacc-encrypted-kms",
            &source,
            SOURCE_REGION,
            &format!("  encrypted  = true\n  kms_key_id = \"{key}\"")
        )
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["encrypted"], true);
    assert_eq!(r["kms_key_id"], key.as_str());
    let devs = r["ebs_block_device"].as_array().expect("ebs_block_device");
    assert_eq!(devs.len(), 1);
    assert_eq!(
        devs[0]["encrypted"], true,
        "the copy's snapshot is encrypted: {}",
        devs[0]
    );
    let snaps = state_snapshot_ids(&r);
    let snap = tf.find_snapshot(DEST, &snaps[0]).expect("snapshot");
    assert_eq!(snap.encrypted(), Some(true));
    assert_eq!(
        snap.kms_key_id(),
        Some(key.as_str()),
        "snapshot encrypted with the given key"
    );

    let copy = &tf.calls(Some("CopyImage"))[0];
    assert_eq!(call_param(copy, "Encrypted").as_deref(), Some("true"));
    assert_eq!(call_param(copy, "KmsKeyId").as_deref(), Some(key.as_str()));
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.find_snapshot(DEST, &snaps[0]).is_none());
}

#[test]
fn encrypted_copy_with_the_default_key_plans_clean() {
    let tf = Tf::new("encrypted_default");
    let source = tf.make_source_ami(DEST, "tfacc-encrypted-default-source");
    tf.write(&format!(
        "{}{}",
        tf.provider_block(DEST, ""),
        ami_copy(
            "tfacc-encrypted-default",
            &source,
            DEST,
            "  encrypted = true"
        )
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["encrypted"], true);
    let snaps = state_snapshot_ids(&r);
    let snap = tf.find_snapshot(DEST, &snaps[0]).expect("snapshot");
    assert_eq!(snap.encrypted(), Some(true));
    let copy = &tf.calls(Some("CopyImage"))[0];
    assert_eq!(
        call_param(copy, "KmsKeyId"),
        None,
        "no key given, none sent"
    );
    tf.assert_plan_empty();

    // Encryption can only be chosen by CopyImage: turning it off replaces the copy.
    tf.write(&format!(
        "{}{}",
        tf.provider_block(DEST, ""),
        ami_copy(
            "tfacc-encrypted-default",
            &source,
            DEST,
            "  encrypted = false"
        )
    ));
    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    tf.destroy();
}

#[test]
fn two_copies_of_one_source_in_two_regions() {
    let tf = Tf::new("two_regions");
    let source = tf.make_source_ami(SOURCE_REGION, "tfacc-two-regions-source");
    tf.write(&format!(
        r#"{provider}
resource "aws_ami_copy" "east" {{
  name              = "tfacc-two-regions"
  source_ami_id     = "{source}"
  source_ami_region = "{SOURCE_REGION}"
}}

resource "aws_ami_copy" "eu" {{
  region            = "eu-central-1"
  name              = "tfacc-two-regions"
  source_ami_id     = "{source}"
  source_ami_region = "{SOURCE_REGION}"
}}
"#,
        provider = tf.provider_block(DEST, "")
    ));
    tf.apply();
    let east = ami_id(&tf.resource("aws_ami_copy.east"));
    let eu = ami_id(&tf.resource("aws_ami_copy.eu"));
    assert!(tf.find_image(DEST, &east).is_some());
    assert!(tf.find_image("eu-central-1", &eu).is_some());
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.images_named(DEST, "tfacc-two-regions").is_empty());
    assert!(tf
        .images_named("eu-central-1", "tfacc-two-regions")
        .is_empty());
}
