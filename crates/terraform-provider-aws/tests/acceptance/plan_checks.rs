//! Checks at plan time: a plan that creates or replaces a copy says what would make CopyImage
//! fail (source, name, permission, key, region, time), with read-only calls only, and never
//! fails for a check it could not make. A plan with nothing to create makes no extra call.

use crate::support::{ami_copy, ami_id, call_param, rt, Diag, Lane, Tf};
use serde_json::Value as Json;

const REGION: &str = "us-east-1";

fn test_name(base: &str, lane: Lane) -> String {
    format!("{base}_{lane:?}").to_ascii_lowercase()
}

/// A test's working directory in `lane`, its name and a source image made for it.
fn with_source(base: &str, lane: Lane) -> (Tf, String, String) {
    let test = test_name(base, lane);
    let tf = Tf::in_lane(lane, &test);
    let source = tf.make_source_ami(REGION, &format!("tfacc-{test}-source"));
    (tf, test, source)
}

/// `terraform plan -json`: its exit code and the one diagnostic named `summary` (which must
/// exist), after checking that the plan changed nothing in EC2.
fn plan_with(tf: &Tf, summary: &str) -> (i32, Diag) {
    tf.clear_calls();
    let (code, diags) = tf.plan_json();
    let found = diags
        .iter()
        .find(|d| d.summary == summary)
        .unwrap_or_else(|| panic!("no {summary:?} among {diags:?}"))
        .clone();
    let changed = tf.mutating_calls();
    assert!(
        changed.is_empty(),
        "the plan changed something: {changed:?}"
    );
    (code, found)
}

fn source_not_found_is_an_error_at_source_ami_id(lane: Lane) {
    let tf = Tf::in_lane(lane, &test_name("checks_source_missing", lane));
    tf.write(&tf.copy_config(
        REGION,
        &test_name("tfacc-checks-source-missing", lane),
        "ami-0123456789abcdef0",
        "",
    ));
    let (code, d) = plan_with(&tf, "Source AMI not found");
    assert_eq!(code, 1);
    assert_eq!(d.severity, "error");
    assert!(
        d.snippet.contains("source_ami_id"),
        "at source_ami_id: {d:?}"
    );
    assert!(
        d.detail.contains("ami-0123456789abcdef0") && d.detail.contains(REGION),
        "{d:?}"
    );
}

/// The id is in the provider's region, the configuration names another: the error says so.
#[test]
fn a_source_in_the_providers_region_is_hinted_at() {
    let tf = Tf::new("checks_source_elsewhere");
    let source = tf.make_source_ami(REGION, "tfacc-checks-source-elsewhere-source");
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, ""),
        ami_copy("tfacc-checks-source-elsewhere", &source, "us-west-2", "")
    ));
    let (code, d) = plan_with(&tf, "Source AMI not found");
    assert_eq!(code, 1);
    assert!(
        d.detail.contains("source_ami_region = \"us-east-1\""),
        "{d:?}"
    );
}

fn a_disabled_source_is_an_error(lane: Lane) {
    let (tf, test, source) = with_source("checks_source_disabled", lane);
    let ec2 = tf.ec2(REGION);
    rt().block_on(ec2.disable_image().image_id(&source).send())
        .unwrap_or_else(|e| panic!("DisableImage: {e:?}"));
    tf.write(&tf.copy_config(REGION, &format!("tfacc-{test}"), &source, ""));
    let (code, d) = plan_with(&tf, "Source AMI cannot be copied");
    assert_eq!(code, 1);
    assert!(
        d.detail.contains("disabled") && d.snippet.contains("source_ami_id"),
        "{d:?}"
    );
}

/// A source still being made (a copy in progress) is a warning: it may be done by the apply.
#[test]
fn a_pending_source_is_a_warning() {
    let tf = Tf::new("checks_source_pending");
    let base = tf.make_source_ami(REGION, "tfacc-checks-source-pending-base");
    let pending_name = "tfacc-checks-source-pending-source";
    tf.copy_duration(pending_name, 120.0);
    let source = tf.copy_image_directly(REGION, &base, REGION, pending_name, None);
    tf.write(&tf.copy_config(REGION, "tfacc-checks-source-pending", &source, ""));
    let (code, d) = plan_with(&tf, "Source AMI not available yet");
    assert_eq!(code, 0, "a warning only");
    assert_eq!(d.severity, "warning");
}

/// A source whose deprecation time has passed is a warning with the date.
#[test]
fn a_deprecated_source_is_a_warning_with_the_date() {
    let tf = Tf::new("checks_source_deprecated");
    let source = tf.make_source_ami(REGION, "tfacc-checks-source-deprecated-source");
    // EC2 rounds DeprecateAt to the nearest minute and refuses a past minute: "now" in the first
    // half of a minute rounds down to its start, which has passed.
    while time::OffsetDateTime::now_utc().second() >= 25 {
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    rt().block_on(
        tf.ec2(REGION)
            .enable_image_deprecation()
            .image_id(&source)
            .deprecate_at(aws_smithy_types::DateTime::from_secs(now))
            .send(),
    )
    .unwrap_or_else(|e| panic!("EnableImageDeprecation: {e:?}"));
    tf.write(&tf.copy_config(REGION, "tfacc-checks-source-deprecated", &source, ""));
    let (code, d) = plan_with(&tf, "Source AMI is deprecated");
    assert_eq!(code, 0, "a warning only");
    assert!(d.detail.contains("deprecated since 20"), "{d:?}");
}

fn a_name_in_use_is_a_warning_naming_the_holder(lane: Lane) {
    let (tf, test, source) = with_source("checks_name_held", lane);
    let name = format!("tfacc-{test}");
    let holder = tf.copy_image_directly(REGION, &source, REGION, &name, None);
    tf.write(&tf.copy_config(REGION, &name, &source, ""));
    let (code, d) = plan_with(&tf, "AMI name already in use");
    assert_eq!(code, 0, "a warning only");
    assert!(d.snippet.contains("name"), "at name: {d:?}");
    for words in [holder.as_str(), "import {", "CopyImage will fail"] {
        assert!(d.detail.contains(words), "{words:?} in {d:?}");
    }
    // Held by a copy of another source (on a backend that reports sources): importing would
    // replace it, so the advice is not to import.
    if lane == Lane::Fidelity {
        let other = tf.make_source_ami(REGION, &format!("tfacc-{test}-other"));
        tf.write(&tf.copy_config(REGION, &name, &other, ""));
        let (_, d) = plan_with(&tf, "AMI name already in use");
        assert!(
            !d.detail.contains("import {") && d.detail.contains("would not keep it"),
            "{d:?}"
        );
    }
    tf.deregister_out_of_band(REGION, &holder);
}

/// A change that replaces the copy (here `encrypted`) and keeps its name: the warning says
/// what that means with `create_before_destroy`. (A replacement forced with `-replace` is not
/// told to the provider, and Terraform shows only the errors of a replacement's second plan.)
fn a_replacement_keeping_its_name_explains_create_before_destroy(lane: Lane) {
    let (tf, test, source) = with_source("checks_replace_name", lane);
    tf.write(&tf.copy_config(REGION, &format!("tfacc-{test}"), &source, ""));
    tf.apply();
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    tf.write(&tf.copy_config(
        REGION,
        &format!("tfacc-{test}"),
        &source,
        "  encrypted = true",
    ));
    let (code, d) = plan_with(&tf, "AMI name already in use");
    assert_eq!(code, 0, "a warning only");
    assert!(
        d.detail.contains("create_before_destroy")
            && d.detail.contains(&id)
            && !d.detail.contains("import {"),
        "{d:?}"
    );
    tf.destroy();
}

/// A dry run refused for lack of permission is a warning: a pipeline that plans with a read-only
/// role and applies with another keeps planning, and its apply (here: the real CopyImage is
/// allowed) goes on. The dry run never carries the planned name.
fn a_denied_dry_run_is_a_warning_and_the_apply_decides(lane: Lane) {
    let (tf, test, source) = with_source("checks_dry_run_denied", lane);
    let name = format!("tfacc-{test}");
    tf.write(&tf.copy_config(REGION, &name, &source, "  tags = { Team = \"a\" }"));
    tf.control(
        "faults",
        serde_json::json!({"action": "CopyImage", "kind": "unauthorized", "dry_run": true}),
    );
    let (code, d) = plan_with(&tf, "Not allowed to copy the AMI");
    assert_eq!(code, 0, "a warning only: {d:?}");
    assert_eq!(d.severity, "warning");
    for words in [
        "UnauthorizedOperation",
        "ec2:CreateTags",
        "decode-authorization-message",
        "read-only role",
    ] {
        assert!(d.detail.contains(words), "{words:?} in {d:?}");
    }
    let dry_runs = tf.calls_with_dry_runs(Some("CopyImage"));
    assert!(
        !dry_runs.is_empty()
            && dry_runs.iter().all(|c| {
                call_param(c, "DryRun").as_deref() == Some("true")
                    && call_param(c, "Name")
                        .is_some_and(|n| n.starts_with("tf-amicopy-dry-run-") && n != name)
            }),
        "dry runs with a throwaway name: {dry_runs:?}"
    );
    let run = tf.apply();
    assert!(
        run.flat().contains("Not allowed to copy the AMI"),
        "{}",
        run.text()
    );
    assert!(tf
        .find_image(REGION, &ami_id(&tf.resource("aws_ami_copy.test")))
        .is_some());
    tf.destroy();
}

/// A backend that carries the dry run out makes a copy under the throwaway name only; that
/// copy, shown by EC2 under that name and made after the send, is deregistered; the image that
/// holds the real name, made outside Terraform, is untouched. (The emulators' `ignore_dry_run`
/// fault plays such a backend.)
fn a_dry_run_carried_out_removes_only_its_throwaway_copy(lane: Lane) {
    let (tf, test, source) = with_source("checks_dry_run_ignored", lane);
    let name = format!("tfacc-{test}");
    let holder = tf.copy_image_directly(REGION, &source, REGION, &name, None);
    tf.write(&tf.copy_config(REGION, &name, &source, ""));
    tf.control(
        "faults",
        serde_json::json!({"action": "CopyImage", "kind": "ignore_dry_run", "dry_run": true}),
    );
    tf.clear_calls();
    let (code, diags) = tf.plan_json();
    assert_eq!(code, 0, "{diags:?}");
    let d = diags
        .iter()
        .find(|d| d.summary == "The backend ignores DryRun")
        .unwrap_or_else(|| panic!("no warning: {diags:?}"));
    assert!(d.detail.contains("deregistered at once"), "{d:?}");
    let made = tf
        .calls_with_dry_runs(Some("CopyImage"))
        .iter()
        .filter_map(|c| call_param(c, "Name"))
        .collect::<Vec<_>>();
    assert!(
        !made.is_empty() && made.iter().all(|n| n.starts_with("tf-amicopy-dry-run-")),
        "{made:?}"
    );
    let deregistered: Vec<String> = tf
        .calls(Some("DeregisterImage"))
        .iter()
        .filter_map(|c| call_param(c, "ImageId"))
        .collect();
    assert!(
        !deregistered.is_empty() && !deregistered.contains(&holder),
        "{deregistered:?}"
    );
    assert!(tf.find_image(REGION, &holder).is_some(), "the holder stays");
    for n in &made {
        assert!(tf.images_named(REGION, n).is_empty(), "{n} is left");
    }
    tf.deregister_out_of_band(REGION, &holder);
}

/// Two copies asking for one name in one plan both hear that it is held.
fn both_askers_of_a_held_name_are_told(lane: Lane) {
    let (tf, test, source) = with_source("checks_name_twice", lane);
    let name = format!("tfacc-{test}");
    let holder = tf.copy_image_directly(REGION, &source, REGION, &name, None);
    let mut body = tf.provider_block(REGION, "");
    for r in ["a", "b"] {
        body.push_str(&format!(
            "\nresource \"aws_ami_copy\" \"{r}\" {{\n  name              = \"{name}\"\n  source_ami_id     = \"{source}\"\n  source_ami_region = \"{REGION}\"\n}}\n"
        ));
    }
    tf.write(&body);
    let (code, diags) = tf.plan_json();
    assert_eq!(code, 0, "{diags:?}");
    let told: Vec<&Diag> = diags
        .iter()
        .filter(|d| d.summary == "AMI name already in use" && d.detail.contains(&holder))
        .collect();
    assert_eq!(told.len(), 2, "each copy is told: {diags:?}");
    tf.deregister_out_of_band(REGION, &holder);
}

fn a_disabled_or_missing_key_is_an_error_at_kms_key_id(lane: Lane) {
    let (tf, test, source) = with_source("checks_kms", lane);
    let key = tf.create_kms_key(REGION);
    // moto's DisableKey takes the key id, not the ARN.
    let key_id = key.rsplit('/').next().unwrap_or_default();
    tf.kms(REGION, "DisableKey", &format!("{{\"KeyId\":\"{key_id}\"}}"));
    let with_key = |k: &str| format!("  encrypted  = true\n  kms_key_id = \"{k}\"");
    tf.write(&tf.copy_config(REGION, &format!("tfacc-{test}"), &source, &with_key(&key)));
    let (code, d) = plan_with(&tf, "KMS key not usable");
    assert_eq!(code, 1);
    assert!(
        d.detail.contains("Disabled") && d.snippet.contains("kms_key_id"),
        "{d:?}"
    );

    let missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000";
    tf.write(&tf.copy_config(
        REGION,
        &format!("tfacc-{test}"),
        &source,
        &with_key(missing),
    ));
    let (code, d) = plan_with(&tf, "KMS key not found");
    assert_eq!(code, 1);
    assert!(d.snippet.contains("kms_key_id"), "{d:?}");
}

fn a_region_not_enabled_is_an_error_at_region(lane: Lane) {
    let (tf, test, source) = with_source("checks_region", lane);
    // The emulator (as moto) reports ap-east-1 as not opted in, as EC2 does for a new account.
    tf.write(&tf.copy_config(
        REGION,
        &format!("tfacc-{test}"),
        &source,
        "  region = \"ap-east-1\"",
    ));
    let (code, d) = plan_with(&tf, "Region not enabled");
    assert_eq!(code, 1);
    assert!(
        d.detail.contains("ap-east-1") && d.snippet.contains("region"),
        "{d:?}"
    );
}

fn a_time_based_copy_longer_than_the_create_timeout_is_a_warning(lane: Lane) {
    let (tf, test, source) = with_source("checks_time", lane);
    let extra =
        "  snapshot_copy_completion_duration_minutes = 60\n  timeouts {\n    create = \"30m\"\n  }";
    tf.write(&tf.copy_config(REGION, &format!("tfacc-{test}"), &source, extra));
    let (code, d) = plan_with(&tf, "Copy takes longer than the create timeout");
    assert_eq!(code, 0);
    assert!(d.detail.contains("60m"), "{d:?}");
}

/// A plan with nothing to create only refreshes (one DescribeImages by id); a plan of new
/// copies asks each question once for all of them.
fn checks_cost_nothing_without_a_new_copy_and_are_shared_by_a_fan_out(lane: Lane) {
    let (tf, test, source) = with_source("checks_budget", lane);
    let mut body = tf.provider_block(REGION, "");
    body.push_str(&format!(
        "\nresource \"aws_ami_copy\" \"c\" {{\n  count             = 5\n  name              = \"tfacc-{test}-${{count.index}}\"\n  source_ami_id     = \"{source}\"\n  source_ami_region = \"{REGION}\"\n}}\n"
    ));
    tf.write(&body);
    tf.clear_calls();
    let (code, diags) = tf.plan_json();
    assert_eq!(code, 0, "{diags:?}");
    let calls = tf.calls_with_dry_runs(None);
    let count = |action: &str| calls.iter().filter(|c| c["action"] == action).count();
    assert_eq!(
        count("CopyImage"),
        1,
        "one dry run for five identical requests: {calls:?}"
    );
    assert_eq!(count("DescribeRegions"), 1, "{calls:?}");
    assert!(tf.mutating_calls().is_empty());

    // `terraform apply` plans twice (plan walk, apply walk): the questions are asked once.
    tf.clear_calls();
    tf.apply();
    let calls = tf.calls_with_dry_runs(None);
    let count = |action: &str| calls.iter().filter(|c| c["action"] == action).count();
    let dry_runs = calls
        .iter()
        .filter(|c| call_param(c, "DryRun").as_deref() == Some("true"))
        .count();
    assert_eq!(dry_runs, 1, "one dry run in the whole apply: {calls:?}");
    assert_eq!(count("DescribeRegions"), 1, "{calls:?}");
    tf.clear_calls();
    tf.assert_plan_empty();
    let checks: Vec<Json> = tf
        .calls_with_dry_runs(None)
        .into_iter()
        .filter(|c| {
            let a = c["action"].as_str().unwrap_or_default();
            a == "CopyImage" || a == "DescribeRegions"
        })
        .collect();
    assert!(checks.is_empty(), "no check without a new copy: {checks:?}");
    let by_name = tf
        .ec2_calls()
        .iter()
        .filter(|c| call_param(c, "Filter.1.Name").as_deref() == Some("name"))
        .count();
    assert_eq!(by_name, 0, "no name check without a new copy");
    tf.destroy();
}

/// A check whose read is denied says nothing: the plan goes on.
fn a_denied_read_skips_its_check(lane: Lane) {
    let tf = Tf::in_lane(lane, &test_name("checks_denied_read", lane));
    tf.write(&tf.copy_config(
        REGION,
        &test_name("tfacc-checks-denied-read", lane),
        "ami-0123456789abcdef0",
        "",
    ));
    tf.control(
        "faults",
        serde_json::json!({"action": "DescribeImages", "kind": "unauthorized"}),
    );
    tf.clear_calls();
    let (code, diags) = tf.plan_json();
    assert_eq!(code, 0, "the source check was skipped: {diags:?}");
    assert!(diags.iter().all(|d| d.severity != "error"), "{diags:?}");
    assert!(tf.mutating_calls().is_empty());
}

both_lanes!(
    source_not_found_is_an_error_at_source_ami_id,
    a_disabled_source_is_an_error,
    a_name_in_use_is_a_warning_naming_the_holder,
    a_replacement_keeping_its_name_explains_create_before_destroy,
    a_denied_dry_run_is_a_warning_and_the_apply_decides,
    a_dry_run_carried_out_removes_only_its_throwaway_copy,
    both_askers_of_a_held_name_are_told,
    a_disabled_or_missing_key_is_an_error_at_kms_key_id,
    a_region_not_enabled_is_an_error_at_region,
    a_time_based_copy_longer_than_the_create_timeout_is_a_warning,
    checks_cost_nothing_without_a_new_copy_and_are_shared_by_a_fan_out,
    a_denied_read_skips_its_check,
);
