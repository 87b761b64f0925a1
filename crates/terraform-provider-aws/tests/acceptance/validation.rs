//! Bad input never reaches AWS: every bad argument fails `terraform validate` (or at the latest
//! `plan`) with a diagnostic pointing at the attribute. A configuration that fails validate is
//! never handed to a configured provider (Terraform stops first), so nothing can reach AWS; one
//! that only `plan` rejects is checked against the emulator's call log: the provider was
//! configured (its STS call is there) and made no EC2 call.

use crate::support::{Diag, Lane, Tf};

const REGION: &str = "us-east-1";
const GOOD_SOURCE: &str = "ami-0123456789abcdef0";

/// Writes a copy whose block contains `args` (required arguments not in `args` get good values),
/// expects `validate` (or else `plan`) to fail with an error pointing at or naming `attr` and
/// mentioning each of `must_mention`, checks no EC2 call was made where the provider was
/// configured (a plan-time error), and returns the errors.
fn expect_invalid(
    lane: Lane,
    test: &str,
    attr: &str,
    args: &str,
    must_mention: &[&str],
) -> Vec<Diag> {
    let tf = Tf::in_lane(lane, test);
    let mut body = String::from("resource \"aws_ami_copy\" \"test\" {\n");
    let has = |k: &str| {
        args.lines()
            .any(|l| l.trim_start().starts_with(&format!("{k} ")))
    };
    if !has("name") {
        body.push_str(&format!(
            "  name              = \"tfacc-{}\"\n",
            test.replace('_', "-")
        ));
    }
    if !has("source_ami_id") {
        body.push_str(&format!("  source_ami_id     = \"{GOOD_SOURCE}\"\n"));
    }
    if !has("source_ami_region") {
        body.push_str("  source_ami_region = \"us-west-1\"\n");
    }
    body.push_str(args);
    body.push_str("\n}\n");
    tf.write(&format!("{}\n{body}", tf.provider_block(REGION, "")));

    // The line of main.tf where `attr` is set.
    let text = std::fs::read_to_string(tf.path().join("main.tf")).expect("main.tf");
    let attr_line = text
        .lines()
        .position(|l| {
            let t = l.trim_start();
            t.starts_with(&format!("{attr} ")) || t.starts_with(&format!("{attr}="))
        })
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("{attr} not in main.tf:\n{text}"));

    let (valid, mut diags) = tf.validate_json();
    let mut stage = "validate";
    if valid {
        let (code, plan_diags) = tf.plan_json();
        assert_ne!(
            code, 0,
            "neither validate nor plan rejected {attr}:\n{text}"
        );
        diags = plan_diags;
        stage = "plan";
    }
    let errors: Vec<Diag> = diags
        .into_iter()
        .filter(|d| d.severity == "error")
        .collect();
    assert!(
        !errors.is_empty(),
        "{stage} failed without an error diagnostic"
    );
    let about_attr: Vec<&Diag> = errors
        .iter()
        .filter(|d| d.line == Some(attr_line) || mentions_word(&d.text(), attr))
        .collect();
    assert!(
        !about_attr.is_empty(),
        "no {stage} error names `{attr}` (set on line {attr_line}): {errors:#?}"
    );
    for word in must_mention {
        assert!(
            about_attr
                .iter()
                .any(|d| d.text().to_lowercase().contains(&word.to_lowercase())),
            "the error about `{attr}` should say {word:?}: {about_attr:#?}"
        );
    }
    if stage == "plan" {
        // The call log can show an EC2 call only if the provider was configured: it was.
        assert!(
            !tf.calls(Some("GetCallerIdentity")).is_empty(),
            "the plan never configured the provider"
        );
        let ec2 = tf.ec2_calls();
        assert!(ec2.is_empty(), "bad input reached EC2: {ec2:?}");
    }
    errors
}

/// Whether `text` contains `word` as a whole identifier (not inside `source_ami_name` etc.).
fn mentions_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

fn name_too_short(lane: Lane) {
    expect_invalid(lane, "invalid_name_short", "name", "  name = \"ab\"", &[]);
}

fn name_too_long(lane: Lane) {
    let long = "n".repeat(129);
    expect_invalid(
        lane,
        "invalid_name_long",
        "name",
        &format!("  name = \"{long}\""),
        &[],
    );
}

fn name_with_forbidden_characters(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_name_chars",
        "name",
        "  name = \"bad*name!\"",
        &[],
    );
}

fn source_ami_id_malformed(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_source_short",
        "source_ami_id",
        "  source_ami_id = \"ami-123\"",
        &[],
    );
}

fn source_ami_id_not_an_ami(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_source_snap",
        "source_ami_id",
        "  source_ami_id = \"snap-0123456789abcdef0\"",
        &[],
    );
}

fn deprecation_time_not_rfc3339(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_deprecation",
        "deprecation_time",
        "  deprecation_time = \"next tuesday\"",
        &[],
    );
}

fn kms_key_id_not_an_arn(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_kms",
        "kms_key_id",
        "  encrypted  = true\n  kms_key_id = \"not-an-arn\"",
        &[],
    );
}

fn description_too_long(lane: Lane) {
    let long = "d".repeat(256);
    expect_invalid(
        lane,
        "invalid_description",
        "description",
        &format!("  description = \"{long}\""),
        &[],
    );
}

fn destination_outpost_arn_not_an_arn(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_outpost",
        "destination_outpost_arn",
        "  destination_outpost_arn = \"outpost-123\"",
        &[],
    );
}

fn snapshot_copy_completion_duration_not_a_step_of_15(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_completion_step",
        "snapshot_copy_completion_duration_minutes",
        "  snapshot_copy_completion_duration_minutes = 20",
        &[],
    );
}

fn snapshot_copy_completion_duration_out_of_range(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_completion_range",
        "snapshot_copy_completion_duration_minutes",
        "  snapshot_copy_completion_duration_minutes = 2895",
        &[],
    );
}

fn destination_availability_zone_conflicts_with_outpost(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_az_outpost",
        "destination_availability_zone",
        "  destination_availability_zone = \"us-east-1-bos-1a\"\n  destination_outpost_arn = \"arn:aws:outposts:us-east-1:123456789012:outpost/op-0123456789abcdef0\"",
        &[],
    );
}

fn kms_key_id_without_encrypted(lane: Lane) {
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    expect_invalid(
        lane,
        "invalid_kms_unencrypted",
        "kms_key_id",
        &format!("  kms_key_id = \"{key}\""),
        &["encrypted"],
    );
}

fn source_ami_region_not_a_region(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_source_region",
        "source_ami_region",
        "  source_ami_region = \"Not A Region\"",
        &[],
    );
}

fn reserved_aws_tag_key(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_tag_key",
        "tags",
        "  tags = { \"aws:owner\" = \"me\" }",
        &["aws:"],
    );
}

fn deregistration_protection_unknown_value(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_protection",
        "deregistration_protection",
        "  deregistration_protection = \"maybe\"",
        &[],
    );
}

fn timeouts_not_a_duration(lane: Lane) {
    expect_invalid(
        lane,
        "invalid_timeout",
        "create",
        "  timeouts {\n    create = \"forever\"\n  }",
        &[],
    );
}

fn architecture_is_read_only_on_a_copy(lane: Lane) {
    expect_invalid(
        lane,
        "readonly_architecture",
        "architecture",
        "  architecture = \"x86_64\"",
        &["read-only"],
    );
}

fn ena_support_is_read_only_on_a_copy(lane: Lane) {
    expect_invalid(
        lane,
        "readonly_ena",
        "ena_support",
        "  ena_support = true",
        &["read-only"],
    );
}

fn root_device_name_is_read_only_on_a_copy(lane: Lane) {
    expect_invalid(
        lane,
        "readonly_root_device",
        "root_device_name",
        "  root_device_name = \"/dev/xvda\"",
        &["read-only"],
    );
}

fn a_valid_configuration_passes_validate(lane: Lane) {
    // The counterpart: the rules above must not reject a good configuration.
    let tf = Tf::in_lane(lane, "valid_config");
    tf.write(&format!(
        r#"{}
resource "aws_ami_copy" "test" {{
  name              = "tfacc valid (config) [1] 'a'@b_c.d/e-f"
  source_ami_id     = "ami-12345678"
  source_ami_region = "us-west-1"
  description       = "ok"
  deprecation_time  = "2030-01-01T00:00:00Z"
  encrypted         = true
  kms_key_id        = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  snapshot_copy_completion_duration_minutes = 2880
  tags = {{
    Name = "x"
  }}
  timeouts {{
    create = "10m"
  }}
}}
"#,
        tf.provider_block(REGION, "")
    ));
    let (valid, diags) = tf.validate_json();
    assert!(valid, "a valid configuration was rejected: {diags:#?}");
}

both_lanes!(
    name_too_short,
    name_too_long,
    name_with_forbidden_characters,
    source_ami_id_malformed,
    source_ami_id_not_an_ami,
    deprecation_time_not_rfc3339,
    kms_key_id_not_an_arn,
    description_too_long,
    destination_outpost_arn_not_an_arn,
    snapshot_copy_completion_duration_not_a_step_of_15,
    snapshot_copy_completion_duration_out_of_range,
    destination_availability_zone_conflicts_with_outpost,
    kms_key_id_without_encrypted,
    source_ami_region_not_a_region,
    reserved_aws_tag_key,
    deregistration_protection_unknown_value,
    timeouts_not_a_duration,
    architecture_is_read_only_on_a_copy,
    ena_support_is_read_only_on_a_copy,
    root_device_name_is_read_only_on_a_copy,
    a_valid_configuration_passes_validate,
);
