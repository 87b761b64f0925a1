//! The `provider "aws"` block through the real Terraform CLI: its schema, plan-time validation of
//! its arguments, and configuration against the EC2/STS emulator (credential check, account
//! allow/deny lists, retries, skips).
//!
//! Terraform only validates and configures a provider that some resource uses, so the tests that
//! need ValidateProviderConfig or ConfigureProvider declare one `aws_ami_copy` and stop at plan.

use crate::support::Tf;
use serde_json::Value as Json;

const REGION: &str = "us-east-1";
/// The account the emulator answers GetCallerIdentity with.
const ACCOUNT: &str = "123456789012";

/// A copy to plan (never applied here): it makes Terraform validate and configure the provider.
fn planned_copy(source: &str) -> String {
    format!(
        r#"
resource "aws_ami_copy" "test" {{
  name              = "tfacc-provider-block"
  source_ami_id     = "{source}"
  source_ami_region = "{REGION}"
}}
"#
    )
}

fn provider_schema(tf: &Tf) -> Json {
    let r = tf.ok(&["providers", "schema", "-json"]);
    let all: Json = serde_json::from_str(&r.stdout).expect("providers schema -json output");
    all["provider_schemas"]["registry.terraform.io/amicopy/aws"].clone()
}

#[test]
fn schema_shows_the_provider_block() {
    let tf = Tf::new("provider_schema");
    tf.write("");
    let schema = provider_schema(&tf);
    let block = &schema["provider"]["block"];
    let attrs = block["attributes"]
        .as_object()
        .expect("provider attributes");
    for name in [
        "region",
        "profile",
        "access_key",
        "secret_key",
        "token",
        "shared_config_files",
        "shared_credentials_files",
        "skip_credentials_validation",
        "skip_requesting_account_id",
        "skip_metadata_api_check",
        "skip_region_validation",
        "max_retries",
        "retry_mode",
        "allowed_account_ids",
        "forbidden_account_ids",
        "insecure",
        "custom_ca_bundle",
        "sts_region",
    ] {
        let a = &attrs
            .get(name)
            .unwrap_or_else(|| panic!("provider attribute {name} missing"));
        assert_eq!(a["optional"], true, "{name} must be optional");
        assert!(
            a["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name} has no description"
        );
    }
    for secret in ["access_key", "secret_key", "token"] {
        assert_eq!(
            attrs[secret]["sensitive"], true,
            "{secret} must be sensitive"
        );
    }
    assert_eq!(attrs["max_retries"]["type"], "number");
    assert_eq!(
        attrs["allowed_account_ids"]["type"],
        serde_json::json!(["set", "string"])
    );

    let blocks = block["block_types"]
        .as_object()
        .expect("provider nested blocks");
    let nested = |b: &str| blocks.get(b).unwrap_or_else(|| panic!("block {b} missing"));
    let assume = nested("assume_role")["block"]["attributes"]
        .as_object()
        .expect("assume_role attrs")
        .clone();
    for name in [
        "role_arn",
        "session_name",
        "external_id",
        "duration",
        "policy",
        "policy_arns",
        "source_identity",
        "tags",
        "transitive_tag_keys",
    ] {
        assert!(assume.contains_key(name), "assume_role.{name} missing");
    }
    let web = &nested("assume_role_with_web_identity")["block"]["attributes"];
    assert_eq!(web["web_identity_token"]["sensitive"], true);
    for (b, names) in [
        ("endpoints", &["ec2", "sts"][..]),
        ("default_tags", &["tags"][..]),
        ("ignore_tags", &["keys", "key_prefixes"][..]),
    ] {
        for name in names {
            assert!(
                !nested(b)["block"]["attributes"][name].is_null(),
                "{b}.{name} missing"
            );
        }
    }
}

#[test]
fn invalid_provider_arguments_fail_validate() {
    let tf = Tf::new("provider_invalid_args");
    tf.write(&format!(
        r#"
provider "aws" {{
  region                = "{REGION}"
  retry_mode            = "sometimes"
  max_retries           = -1
  allowed_account_ids   = ["{ACCOUNT}"]
  forbidden_account_ids = ["210987654321"]
  endpoints {{
    ec2 = "not a url"
  }}
  assume_role {{
    role_arn = "deploy-role"
    duration = "forever"
  }}
}}
{}"#,
        planned_copy("ami-12345678")
    ));
    let r = tf.run(&["validate", "-no-color"]);
    let out = r.flat();
    assert_eq!(r.code, 1, "validate must fail:\n{out}");
    for (argument, rule) in [
        ("retry_mode", "\"standard\" or \"adaptive\""),
        ("max_retries", "must not be negative"),
        ("forbidden_account_ids", "conflict"),
        ("endpoints[0].ec2", "http:// or https:// URL"),
        ("assume_role[0].role_arn", "not an ARN"),
        ("assume_role[0].duration", "not a duration"),
    ] {
        assert!(
            out.contains(&format!("Invalid provider argument {argument}")),
            "{argument} not named:\n{out}"
        );
        assert!(out.contains(rule), "rule {rule:?} not stated:\n{out}");
    }
    // Nothing may reach AWS when the block is invalid.
    assert!(
        tf.calls(None).is_empty(),
        "calls made: {:?}",
        tf.calls(None)
    );
}

#[test]
fn region_shape_is_checked_unless_skipped() {
    let tf = Tf::new("provider_region_shape");
    tf.write(&format!(
        "{}{}",
        tf.provider_block("useast1", ""),
        planned_copy("ami-12345678")
    ));
    let r = tf.run(&["validate", "-no-color"]);
    assert_eq!(r.code, 1, "{}", r.text());
    assert!(
        r.flat().contains("Invalid provider argument region"),
        "{}",
        r.text()
    );

    tf.write(&format!(
        "{}{}",
        tf.provider_block("useast1", "  skip_region_validation = true"),
        planned_copy("ami-12345678")
    ));
    tf.ok(&["validate", "-no-color"]);
}

#[test]
fn empty_configuration_plans_and_applies() {
    let tf = Tf::new("provider_empty_config");
    tf.write(&tf.provider_block(REGION, ""));
    tf.apply();
    tf.assert_plan_empty();
}

#[test]
fn configures_against_the_emulator_with_tag_settings() {
    let tf = Tf::new("provider_configures");
    let source = tf.make_source_ami(REGION, "tfacc-provider-configures-source");
    let extra = r#"
  max_retries = 3
  retry_mode  = "adaptive"
  allowed_account_ids = ["123456789012"]
  default_tags {
    tags = { Environment = "test", Owner = "provider-block" }
  }
  ignore_tags {
    keys         = ["LastScanned"]
    key_prefixes = ["kubernetes.io/"]
  }"#;
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, extra),
        planned_copy(&source)
    ));
    let r = tf.plan_code();
    assert_eq!(
        r.code,
        2,
        "plan should show the copy to create:\n{}",
        r.text()
    );
    let sts = tf.calls(Some("GetCallerIdentity"));
    assert!(
        !sts.is_empty(),
        "the provider must check its credentials with STS"
    );
}

#[test]
fn forbidden_or_not_allowed_account_fails_configure() {
    let tf = Tf::new("provider_account_lists");
    let cases = [
        (
            format!("  forbidden_account_ids = [\"{ACCOUNT}\"]"),
            "forbidden_account_ids",
        ),
        (
            "  allowed_account_ids = [\"111111111111\"]".to_string(),
            "allowed_account_ids",
        ),
    ];
    for (extra, argument) in cases {
        tf.write(&format!(
            "{}{}",
            tf.provider_block(REGION, &extra),
            planned_copy("ami-12345678")
        ));
        let r = tf.plan_code();
        let out = r.flat();
        assert_eq!(r.code, 1, "plan must fail for {argument}:\n{out}");
        assert!(
            out.contains(argument) && out.contains(ACCOUNT),
            "{argument} / account not named:\n{out}"
        );
    }
}

#[test]
fn skipping_validation_and_account_id_makes_no_sts_call() {
    let tf = Tf::new("provider_skip_sts");
    let source = tf.make_source_ami(REGION, "tfacc-provider-skip-sts-source");
    let extra = "  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true";
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, extra),
        planned_copy(&source)
    ));
    let r = tf.plan_code();
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(
        tf.calls(Some("GetCallerIdentity")).is_empty(),
        "no STS call expected"
    );
}

#[test]
fn sts_failure_is_reported_after_max_retries() {
    let tf = Tf::new("provider_sts_failure");
    tf.control(
        "faults",
        serde_json::json!({"action": "GetCallerIdentity", "kind": "http500"}),
    );
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, "  max_retries = 2"),
        planned_copy("ami-12345678")
    ));
    let r = tf.plan_code();
    let out = r.flat();
    assert_eq!(r.code, 1, "{out}");
    assert!(
        out.contains("Invalid AWS credentials") && out.contains("GetCallerIdentity"),
        "{out}"
    );
    assert!(
        !out.contains("test-secret"),
        "the secret key must never be echoed:\n{out}"
    );
    assert_eq!(
        tf.calls(Some("GetCallerIdentity")).len(),
        3,
        "max_retries = 2 means 3 attempts"
    );
}

#[test]
fn insecure_and_custom_ca_bundle() {
    let tf = Tf::new("provider_tls_options");
    // Every endpoint is plain HTTP here: insecure has nothing to skip and only warns.
    let source = tf.make_source_ami(REGION, "tfacc-provider-tls-source");
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, "  insecure = true"),
        planned_copy(&source)
    ));
    let r = tf.plan_code();
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(r.flat().contains("insecure has no effect"), "{}", r.text());

    let not_pem = tf.path().join("not-a-bundle.pem");
    std::fs::write(&not_pem, "hello").expect("write file");
    let extra = format!("  custom_ca_bundle = \"{}\"", not_pem.display());
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, &extra),
        planned_copy(&source)
    ));
    let r = tf.plan_code();
    assert_eq!(r.code, 1, "{}", r.text());
    assert!(r.flat().contains("Invalid CA bundle"), "{}", r.text());
}

#[test]
fn assume_role_sends_every_argument_to_sts() {
    let tf = Tf::new("provider_assume_role");
    let source = tf.make_source_ami(REGION, "tfacc-provider-assume-role-source");
    let extra = r#"
  assume_role {
    role_arn            = "arn:aws:iam::123456789012:role/tfacc"
    session_name        = "tfacc-session"
    external_id         = "ext-123"
    duration            = "1h30m"
    source_identity     = "tfacc-source"
    policy_arns         = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    tags                = { team = "ami" }
    transitive_tag_keys = ["team"]
  }"#;
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, extra),
        planned_copy(&source)
    ));
    let r = tf.plan_code();
    assert_eq!(r.code, 2, "{}", r.text());
    // Signed with the block's static keys, so the call is in this test's log.
    let calls = tf.calls(Some("AssumeRole"));
    assert!(!calls.is_empty(), "AssumeRole not called");
    // Everything after it is signed with the role's credentials, not with the block's keys.
    assert!(
        tf.calls(Some("GetCallerIdentity")).is_empty(),
        "GetCallerIdentity must use the assumed role's credentials"
    );
    let p = &calls[0]["params"];
    let param = |k: &str| {
        p[k].as_str()
            .map(str::to_string)
            .or_else(|| p[k][0].as_str().map(str::to_string))
    };
    assert_eq!(
        param("RoleArn").as_deref(),
        Some("arn:aws:iam::123456789012:role/tfacc"),
        "{p}"
    );
    assert_eq!(
        param("RoleSessionName").as_deref(),
        Some("tfacc-session"),
        "{p}"
    );
    assert_eq!(param("ExternalId").as_deref(), Some("ext-123"), "{p}");
    assert_eq!(param("DurationSeconds").as_deref(), Some("5400"), "{p}");
    assert_eq!(
        param("SourceIdentity").as_deref(),
        Some("tfacc-source"),
        "{p}"
    );
    assert_eq!(param("Tags.member.1.Key").as_deref(), Some("team"), "{p}");
    assert_eq!(
        param("TransitiveTagKeys.member.1").as_deref(),
        Some("team"),
        "{p}"
    );
    assert_eq!(
        param("PolicyArns.member.1.arn").as_deref(),
        Some("arn:aws:iam::aws:policy/ReadOnlyAccess"),
        "{p}"
    );
}

#[test]
fn arguments_unknown_at_plan_are_named_in_a_warning() {
    let tf = Tf::new("provider_unknown_args");
    let source = tf.make_source_ami(REGION, "tfacc-provider-unknown-source");
    tf.write(&format!(
        "resource \"terraform_data\" \"session\" {{\n  input = \"tfacc\"\n}}\n{}{}",
        tf.provider_block(
            REGION,
            "  max_retries = length(terraform_data.session.output)"
        ),
        planned_copy(&source)
    ));
    let r = tf.plan_code();
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(
        r.flat().contains("Provider arguments not known yet") && r.flat().contains("max_retries"),
        "{}",
        r.text()
    );
}
