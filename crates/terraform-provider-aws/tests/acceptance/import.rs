//! Import of an existing copy by AMI id, with an `import {}` block and with `terraform import`:
//! source id and region are read back from the image, so the imported copy plans clean.

use crate::support::{ami_copy, ami_id, cli_has, map, state_map, Lane, Tf};

const REGION: &str = "us-east-1";

fn import_block_by_ami_id_plans_clean(lane: Lane) {
    if !cli_has((1, 5, 0), "import blocks") {
        return;
    }
    let tf = Tf::in_lane(lane, "import_block");
    let source = tf.make_source_ami(REGION, "tfacc-import-block-source");
    let name = "tfacc-import-block";
    let id = tf.copy_image_directly(
        REGION,
        &source,
        REGION,
        name,
        Some("made outside terraform"),
    );
    tf.wait_available(REGION, &id, 30);
    let ec2 = tf.ec2(REGION);
    crate::support::rt().block_on(async {
        ec2.create_tags()
            .resources(&id)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("Name")
                    .value("imported")
                    .build(),
            )
            .send()
            .await
            .expect("CreateTags");
    });

    tf.write(&format!(
        "{}\nimport {{\n  to = aws_ami_copy.test\n  id = \"{id}\"\n}}\n{}",
        tf.provider_block(REGION, ""),
        ami_copy(
            name,
            &source,
            REGION,
            "  description = \"made outside terraform\"\n  tags = {\n    Name = \"imported\"\n  }"
        )
    ));
    import_changing_nothing(&tf, "an import of a matching copy must change nothing");
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id);
    assert_eq!(r["source_ami_id"], source.as_str());
    assert_eq!(r["source_ami_region"], REGION);
    assert_eq!(r["name"], name);
    assert_eq!(state_map(&r, "tags"), map(&[("Name", "imported")]));
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.find_image(REGION, &id).is_none());
}

fn terraform_import_of_a_cross_region_copy_plans_clean(lane: Lane) {
    let tf = Tf::in_lane(lane, "import_cli");
    let source = tf.make_source_ami("us-west-1", "tfacc-import-cli-source");
    let name = "tfacc-import-cli";
    let id = tf.copy_image_directly(REGION, &source, "us-west-1", name, None);
    tf.wait_available(REGION, &id, 30);

    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, ""),
        ami_copy(name, &source, "us-west-1", "")
    ));
    let out = tf.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "aws_ami_copy.test",
        &id,
    ]);
    assert!(out.stdout.contains("Import successful"), "{}", out.text());
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id);
    assert_eq!(r["manage_ebs_snapshots"], true);
    assert_eq!(r["arn"], format!("arn:aws:ec2:{REGION}::image/{id}"));
    if lane == Lane::Stock {
        // Stock moto does not report SourceImageId/SourceImageRegion: the import cannot know
        // the source, and the next apply records the configured one in place, with no
        // replacement and no call that changes EC2.
        assert!(r["source_ami_id"].is_null(), "{}", r["source_ami_id"]);
        let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
        assert!(
            plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
            "{}",
            plan.stdout
        );
        tf.clear_calls();
        tf.apply();
        let changing = tf.mutating_calls();
        assert!(changing.is_empty(), "{changing:?}");
    }
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["source_ami_id"], source.as_str());
    assert_eq!(r["source_ami_region"], "us-west-1");
    tf.assert_plan_empty();
    tf.destroy();
}

/// Plans the import, which must change nothing (`why` says what that means here), then applies
/// it, which must not copy.
fn import_changing_nothing(tf: &Tf, why: &str) {
    let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
    // On stock moto, which does not report the source, the configured source is recorded in
    // place (see `terraform_import_of_a_cross_region_copy_plans_clean`).
    let changed = if tf.lane == Lane::Stock { 1 } else { 0 };
    assert!(
        plan.stdout.contains(&format!(
            "1 to import, 0 to add, {changed} to change, 0 to destroy"
        )),
        "{why}:\n{}",
        plan.stdout
    );
    tf.clear_calls();
    tf.apply();
    assert!(
        tf.calls(Some("CopyImage")).is_empty(),
        "import must not copy"
    );
}

#[test]
fn importing_an_image_that_does_not_exist_fails() {
    let tf = Tf::new("import_missing");
    let missing = "ami-0123456789abcdef0";
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, ""),
        ami_copy(
            "tfacc-import-missing",
            "ami-0fedcba9876543210",
            "us-west-1",
            ""
        )
    ));
    let out = tf.run(&[
        "import",
        "-input=false",
        "-no-color",
        "aws_ami_copy.test",
        missing,
    ]);
    assert_ne!(
        out.code,
        0,
        "importing a missing image must fail:\n{}",
        out.text()
    );
    assert!(out.flat().contains("non-existent"), "{}", out.text());
    assert!(tf.state_addresses().is_empty());
}

#[test]
fn importing_a_malformed_id_fails_with_an_error_naming_it() {
    let tf = Tf::new("import_malformed");
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, ""),
        ami_copy(
            "tfacc-import-malformed",
            "ami-0fedcba9876543210",
            "us-west-1",
            ""
        )
    ));
    let out = tf.run(&[
        "import",
        "-input=false",
        "-no-color",
        "aws_ami_copy.test",
        "not-an-ami",
    ]);
    assert_ne!(out.code, 0, "{}", out.text());
    assert!(out.flat().contains("not-an-ami"), "{}", out.text());
    assert!(tf.state_addresses().is_empty());
}

#[test]
fn import_of_an_encrypted_deprecated_copy_plans_clean() {
    if !cli_has((1, 5, 0), "import blocks") {
        return;
    }
    let tf = Tf::new("import_encrypted");
    let source = tf.make_source_ami(REGION, "tfacc-import-encrypted-source");
    let key = tf.create_kms_key(REGION);
    let name = "tfacc-import-encrypted";
    let ec2 = tf.ec2(REGION);
    let id = crate::support::rt().block_on(async {
        let out = ec2
            .copy_image()
            .name(name)
            .source_image_id(&source)
            .source_region(REGION)
            .encrypted(true)
            .kms_key_id(&key)
            .send()
            .await
            .expect("CopyImage");
        out.image_id().expect("id").to_string()
    });
    tf.wait_available(REGION, &id, 30);
    crate::support::rt().block_on(async {
        ec2.enable_image_deprecation()
            .image_id(&id)
            .deprecate_at(aws_smithy_types::DateTime::from_secs(1_893_456_000)) // 2030-01-01T00:00:00Z
            .send()
            .await
            .expect("EnableImageDeprecation");
    });

    tf.write(&format!(
        "{}\nimport {{\n  to = aws_ami_copy.test\n  id = \"{id}\"\n}}\n{}",
        tf.provider_block(REGION, ""),
        ami_copy(
            name,
            &source,
            REGION,
            &format!(
                "  encrypted        = true\n  kms_key_id       = \"{key}\"\n  deprecation_time = \"2030-01-01T00:00:00Z\""
            )
        )
    ));
    let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
    assert!(
        plan.stdout
            .contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "an import of a matching encrypted copy must change nothing:\n{}",
        plan.stdout
    );
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["encrypted"], true);
    assert_eq!(r["kms_key_id"], key.as_str());
    tf.assert_plan_empty();
    tf.destroy();
}

/// `plan -generate-config-out` writes the resource block for an import: what a user runs to adopt
/// copies made elsewhere. The written block must be accepted as it stands and plan clean.
#[test]
fn generated_configuration_of_an_import_plans_clean() {
    if !cli_has((1, 5, 0), "import blocks and -generate-config-out") {
        return;
    }
    let tf = Tf::new("import_generate");
    let source = tf.make_source_ami(REGION, "tfacc-import-generate-source");
    let name = "tfacc-import-generate";
    let id = tf.copy_image_directly(REGION, &source, REGION, name, Some("adopted"));
    tf.wait_available(REGION, &id, 30);
    tf.write(&format!(
        "{}\nimport {{\n  to = aws_ami_copy.test\n  id = \"{id}\"\n}}\n",
        tf.provider_block(REGION, "")
    ));
    tf.ok(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ]);
    let generated =
        std::fs::read_to_string(tf.path().join("generated.tf")).expect("generated.tf written");
    assert!(
        generated.contains("resource \"aws_ami_copy\" \"test\""),
        "{generated}"
    );
    assert!(generated.contains(&format!("\"{source}\"")), "{generated}");
    assert!(generated.contains(&format!("\"{name}\"")), "{generated}");
    import_changing_nothing(
        &tf,
        &format!("the generated block must match the image:\n{generated}"),
    );
    assert_eq!(ami_id(&tf.resource("aws_ami_copy.test")), id);
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.find_image(REGION, &id).is_none());
}

both_lanes!(
    import_block_by_ami_id_plans_clean,
    terraform_import_of_a_cross_region_copy_plans_clean
);
