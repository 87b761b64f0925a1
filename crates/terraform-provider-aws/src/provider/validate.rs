//! Static checks of the provider block: every rule an argument must satisfy, checked without
//! any network call. Unknown values (known only at apply) are skipped; each diagnostic names the
//! argument's path and the rule it breaks.

use crate::validators;
use std::time::Duration;
use tfplugin::{AttributePath, Diagnostics, Value};

/// The session duration range STS accepts for AssumeRole and AssumeRoleWithWebIdentity.
pub const MIN_SESSION: Duration = Duration::from_secs(15 * 60);
pub const MAX_SESSION: Duration = Duration::from_secs(12 * 60 * 60);

pub const RETRY_MODES: [&str; 2] = ["standard", "adaptive"];

/// Checks the whole provider block.
pub fn validate(config: &Value) -> Diagnostics {
    let mut c = Checker::default();
    c.top_level(config);
    for (i, block) in blocks(config.get("assume_role")).iter().enumerate() {
        c.assume_role(block, AttributePath::root("assume_role").index(i as i64));
    }
    for (i, block) in blocks(config.get("assume_role_with_web_identity"))
        .iter()
        .enumerate()
    {
        c.web_identity(
            block,
            AttributePath::root("assume_role_with_web_identity").index(i as i64),
        );
    }
    let endpoint_blocks = blocks(config.get("endpoints"));
    if endpoint_blocks.len() > 1 {
        // Upstream warns (a future error there); only the first block is used here.
        c.diags.push(
            tfplugin::Diagnostic::warning(
                "Invalid Attribute Value",
                format!(
                    "endpoints should have at most 1 element, got {}; only the first is used.",
                    endpoint_blocks.len()
                ),
            )
            .at(AttributePath::root("endpoints")),
        );
    }
    for (i, block) in endpoint_blocks.iter().enumerate() {
        let at = AttributePath::root("endpoints").index(i as i64);
        for service in ["ec2", "sts"] {
            c.with_str(
                block.get(service),
                at.clone().attr(service),
                check_endpoint_url,
            );
        }
    }
    for (i, block) in blocks(config.get("default_tags")).iter().enumerate() {
        c.tag_map(
            block.get("tags"),
            AttributePath::root("default_tags")
                .index(i as i64)
                .attr("tags"),
        );
    }
    for (i, block) in blocks(config.get("ignore_tags")).iter().enumerate() {
        let at = AttributePath::root("ignore_tags").index(i as i64);
        for name in ["keys", "key_prefixes"] {
            c.each_str(block.get(name), at.clone().attr(name), |s| {
                non_empty(s, "an ignored tag key or prefix")
            });
        }
    }
    c.diags
}

/// The paths of the arguments whose value is not known yet (they depend on resources not yet
/// applied). Configure treats them as unset, so the user is told which ones.
pub fn unknown_paths(config: &Value) -> Vec<AttributePath> {
    fn walk(v: &Value, at: AttributePath, out: &mut Vec<AttributePath>) {
        match v {
            Value::Unknown => out.push(at),
            Value::Map(m) if at.0.len() < 3 => {
                for (k, e) in m {
                    walk(e, at.clone().attr(k), out);
                }
            }
            // Only nested blocks are walked into; a list argument is named as a whole.
            Value::List(l) if at.0.len() == 1 && l.iter().all(|e| matches!(e, Value::Map(_))) => {
                for (i, e) in l.iter().enumerate() {
                    walk(e, at.clone().index(i as i64), out);
                }
            }
            _ if v.contains_unknown() => out.push(at),
            _ => {}
        }
    }
    let mut out = vec![];
    for (k, v) in config.as_map().into_iter().flatten() {
        walk(v, AttributePath::root(k), &mut out);
    }
    out
}

/// The elements of a list-nested block (empty when null or unknown).
pub fn blocks(v: &Value) -> &[Value] {
    v.as_list().unwrap_or(&[])
}

#[derive(Default)]
struct Checker {
    diags: Diagnostics,
}

impl Checker {
    fn fail(&mut self, at: AttributePath, rule: String) {
        self.diags
            .attr_error(at.clone(), format!("Invalid provider argument {at}"), rule);
    }

    /// Applies `rule` to a known string value.
    fn with_str(
        &mut self,
        v: &Value,
        at: AttributePath,
        rule: impl Fn(&str) -> Result<(), String>,
    ) {
        if let Some(s) = v.as_str() {
            if let Err(e) = rule(s) {
                self.fail(at, e);
            }
        }
    }

    /// Applies `rule` to every known string of a list or set.
    fn each_str(
        &mut self,
        v: &Value,
        at: AttributePath,
        rule: impl Fn(&str) -> Result<(), String>,
    ) {
        for (i, e) in v.as_list().unwrap_or(&[]).iter().enumerate() {
            if let Some(s) = e.as_str() {
                if let Err(e) = rule(s) {
                    // Sets have no stable index: name the offending value instead.
                    self.fail(at.clone(), format!("element {i}: {e}"));
                }
            }
        }
    }

    fn top_level(&mut self, config: &Value) {
        let skip_region_check = config.get("skip_region_validation");
        // Only a known `false` (or null) lets us hold the region to the AWS naming rule.
        if skip_region_check.as_bool() != Some(true) && !skip_region_check.is_unknown() {
            for name in ["region", "sts_region"] {
                self.with_str(config.get(name), AttributePath::root(name), check_region);
            }
        }
        self.with_str(config.get("profile"), AttributePath::root("profile"), |s| {
            non_empty(s, "a profile name")
        });
        self.with_str(
            config.get("custom_ca_bundle"),
            AttributePath::root("custom_ca_bundle"),
            |s| non_empty(s, "a path to a PEM file"),
        );
        for name in ["shared_config_files", "shared_credentials_files"] {
            self.each_str(config.get(name), AttributePath::root(name), |s| {
                non_empty(s, "a file path")
            });
        }

        // Static keys come in pairs; a token alone means nothing.
        let set = |name: &str| !config.get(name).is_null();
        if set("access_key") && !set("secret_key") {
            self.fail(
                AttributePath::root("secret_key"),
                "secret_key is required when access_key is set.".into(),
            );
        }
        if set("secret_key") && !set("access_key") {
            self.fail(
                AttributePath::root("access_key"),
                "access_key is required when secret_key is set.".into(),
            );
        }
        if set("token") && !(set("access_key") && set("secret_key")) {
            self.fail(
                AttributePath::root("token"),
                "token is only used together with access_key and secret_key.".into(),
            );
        }

        if let Value::Number(n) = config.get("max_retries") {
            let at = AttributePath::root("max_retries");
            match n.as_i64() {
                Some(i) if i < 0 => {
                    self.fail(at, format!("max_retries must not be negative (got {i})."))
                }
                // The SDK counts attempts (retries + 1) in a u32.
                Some(i) if i < i64::from(u32::MAX) => {}
                Some(_) => self.fail(at, "max_retries is too large.".into()),
                None => self.fail(at, "max_retries must be a whole number ≥ 0.".into()),
            }
        }
        self.with_str(
            config.get("retry_mode"),
            AttributePath::root("retry_mode"),
            check_retry_mode,
        );

        self.with_str(
            config.get("skip_metadata_api_check"),
            AttributePath::root("skip_metadata_api_check"),
            |s| parse_nullable_bool(s).map(|_| ()),
        );
        for name in ["http_proxy", "https_proxy", "ec2_metadata_service_endpoint"] {
            self.with_str(
                config.get(name),
                AttributePath::root(name),
                check_endpoint_url,
            );
        }
        self.with_str(
            config.get("ec2_metadata_service_endpoint_mode"),
            AttributePath::root("ec2_metadata_service_endpoint_mode"),
            |s| one_of(s, &["IPv4", "IPv6"], true),
        );
        self.with_str(
            config.get("s3_us_east_1_regional_endpoint"),
            AttributePath::root("s3_us_east_1_regional_endpoint"),
            |s| one_of(s.trim(), &["legacy", "regional"], true),
        );
        self.with_str(
            config.get("tag_policy_compliance"),
            AttributePath::root("tag_policy_compliance"),
            |s| one_of(s, &["error", "warning", "disabled"], false),
        );
        if let Value::Number(n) = config.get("token_bucket_rate_limiter_capacity") {
            if !n
                .as_i64()
                .is_some_and(|i| (0..=i64::from(u32::MAX)).contains(&i))
            {
                self.fail(
                    AttributePath::root("token_bucket_rate_limiter_capacity"),
                    "token_bucket_rate_limiter_capacity must be a whole number ≥ 0.".into(),
                );
            }
        }
        self.each_str(
            config.get("user_agent"),
            AttributePath::root("user_agent"),
            check_user_agent_product,
        );

        let allowed = config.get("allowed_account_ids");
        let forbidden = config.get("forbidden_account_ids");
        if !allowed.is_null() && !forbidden.is_null() {
            self.fail(
                AttributePath::root("forbidden_account_ids"),
                "allowed_account_ids and forbidden_account_ids conflict: set only one of them."
                    .into(),
            );
        }
        self.each_str(
            allowed,
            AttributePath::root("allowed_account_ids"),
            check_account_id,
        );
        self.each_str(
            forbidden,
            AttributePath::root("forbidden_account_ids"),
            check_account_id,
        );
    }

    /// What both role blocks share: the role, the session name and duration, the session policies.
    fn role_session(&mut self, block: &Value, at: &AttributePath) {
        self.with_str(
            block.get("role_arn"),
            at.clone().attr("role_arn"),
            check_role_arn,
        );
        self.with_str(
            block.get("session_name"),
            at.clone().attr("session_name"),
            |s| check_sts_name(s, "session_name", 64),
        );
        self.with_str(
            block.get("duration"),
            at.clone().attr("duration"),
            check_session_duration,
        );
        self.with_str(
            block.get("policy"),
            at.clone().attr("policy"),
            check_policy_json,
        );
        self.each_str(
            block.get("policy_arns"),
            at.clone().attr("policy_arns"),
            check_arn,
        );
    }

    fn assume_role(&mut self, block: &Value, at: AttributePath) {
        self.role_session(block, &at);
        self.with_str(
            block.get("source_identity"),
            at.clone().attr("source_identity"),
            |s| check_sts_name(s, "source_identity", 64),
        );
        self.with_str(
            block.get("external_id"),
            at.clone().attr("external_id"),
            check_external_id,
        );
        self.tag_map(block.get("tags"), at.clone().attr("tags"));
        // STS refuses a transitive key that is not one of the session tags.
        let tags = block.get("tags");
        if !tags.contains_unknown() {
            let tags = tags.as_string_map();
            self.each_str(
                block.get("transitive_tag_keys"),
                at.attr("transitive_tag_keys"),
                |k| {
                    if tags.contains_key(k) {
                        Ok(())
                    } else {
                        Err("a transitive tag key must also be a key of this block's tags.".into())
                    }
                },
            );
        }
    }

    fn web_identity(&mut self, block: &Value, at: AttributePath) {
        self.role_session(block, &at);
        self.with_str(
            block.get("web_identity_token"),
            at.clone().attr("web_identity_token"),
            |s| {
                // STS's limits; the token itself is never echoed.
                if (4..=20000).contains(&s.len()) {
                    Ok(())
                } else {
                    Err(format!(
                        "a web identity token is 4 to 20000 characters (got {}).",
                        s.len()
                    ))
                }
            },
        );
        self.with_str(
            block.get("web_identity_token_file"),
            at.clone().attr("web_identity_token_file"),
            |s| non_empty(s, "a file path"),
        );
        if !block.get("web_identity_token").is_null()
            && !block.get("web_identity_token_file").is_null()
        {
            self.fail(
                at.attr("web_identity_token_file"),
                "web_identity_token and web_identity_token_file conflict: set only one of them."
                    .into(),
            );
        }
    }

    fn tag_map(&mut self, v: &Value, at: AttributePath) {
        for (k, val) in v.as_map().into_iter().flatten() {
            if let Err(e) = check_tag_key(k) {
                self.fail(at.clone().key(k), e);
            }
            if let Some(s) = val.as_str() {
                if s.chars().count() > 256 {
                    self.fail(
                        at.clone().key(k),
                        "a tag value is at most 256 characters.".into(),
                    );
                }
            }
        }
    }
}

/// One of `allowed` (ignoring ASCII case when `any_case`, as upstream parses those values).
fn one_of(s: &str, allowed: &[&str], any_case: bool) -> Result<(), String> {
    let same = |a: &&str| {
        if any_case {
            a.eq_ignore_ascii_case(s)
        } else {
            *a == s
        }
    };
    if allowed.iter().any(same) {
        Ok(())
    } else {
        let names: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
        Err(format!("must be one of {}, not {s:?}.", names.join(", ")))
    }
}

/// A boolean written as a string, as Go's `strconv.ParseBool` reads it; "" is unset.
pub fn parse_nullable_bool(s: &str) -> Result<Option<bool>, String> {
    match s {
        "" => Ok(None),
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Some(true)),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Some(false)),
        _ => Err(format!(
            "must be \"true\" or \"false\" (or empty), not {s:?}."
        )),
    }
}

/// A User-Agent product: `name`, `name/version` or either followed by ` (comment)`.
fn check_user_agent_product(s: &str) -> Result<(), String> {
    let product = s.split(" (").next().unwrap_or_default();
    if s.trim().is_empty() || product.is_empty() || product.contains(char::is_whitespace) {
        Err(format!(
            "a User-Agent product is \"name\", \"name/version\" or \"name/version (comment)\", not {s:?}."
        ))
    } else {
        Ok(())
    }
}

fn non_empty(s: &str, what: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        Err(format!("must be {what}, not an empty string."))
    } else {
        Ok(())
    }
}

/// The region rule every region argument shares (see `validators::region`), with the way out
/// that only the provider block has.
pub fn check_region(s: &str) -> Result<(), String> {
    validators::region(s)
        .map_err(|e| format!("{e} (set skip_region_validation = true for other endpoints)"))
}

pub fn check_retry_mode(s: &str) -> Result<(), String> {
    if RETRY_MODES.contains(&s) {
        Ok(())
    } else {
        Err(format!(
            "retry_mode must be \"standard\" or \"adaptive\", not {s:?}."
        ))
    }
}

pub fn check_account_id(s: &str) -> Result<(), String> {
    validators::account_id(s)
}

/// An endpoint must be an absolute http(s) URL with a host; "" means "not set" (as in the Go
/// provider, so `ec2 = var.endpoint` with an empty default works).
pub fn check_endpoint_url(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    match host {
        Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) && !h.starts_with(':') => {
            Ok(())
        }
        _ => Err(format!(
            "an endpoint must be an http:// or https:// URL with a host, not {s:?}."
        )),
    }
}

/// A generic ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
pub fn check_arn(s: &str) -> Result<(), String> {
    validators::arn(s).map(|_| ())
}

/// An IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/NAME`. "" means "no role" (the block is
/// then ignored, so `role_arn = var.role` with an empty default disables it).
pub fn check_role_arn(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    check_arn(s)?;
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    if parts[2] == "iam" && check_account_id(parts[4]).is_ok() && parts[5].starts_with("role/") {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)."
        ))
    }
}

/// STS names (session name, source identity): 2..=max of letters, digits and `_+=,.@-`.
fn check_sts_name(s: &str, what: &str, max: usize) -> Result<(), String> {
    let ok = (2..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} must be 2 to {max} characters of letters, digits and _+=,.@- (got {s:?})."
        ))
    }
}

fn check_external_id(s: &str) -> Result<(), String> {
    let ok = (2..=1224).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@:/-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err("external_id must be 2 to 1224 characters of letters, digits and _+=,.@:/-.".into())
    }
}

fn check_policy_json(s: &str) -> Result<(), String> {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err("policy must be a JSON policy document (an object).".into()),
        Err(e) => Err(format!("policy is not valid JSON: {e}.")),
    }
}

fn check_tag_key(k: &str) -> Result<(), String> {
    validators::tag_key(k)
}

pub fn check_session_duration(s: &str) -> Result<(), String> {
    let d = parse_go_duration(s)?;
    if d < MIN_SESSION || d > MAX_SESSION {
        Err(format!("duration must be between 15m and 12h (got {s:?})."))
    } else {
        Ok(())
    }
}

pub use crate::validators::go_duration as parse_go_duration;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<BTreeMap<_, _>>(),
        )
    }
    fn s(v: &str) -> Value {
        Value::string(v)
    }
    fn set(v: &[&str]) -> Value {
        Value::List(v.iter().map(|x| s(x)).collect())
    }
    /// The paths of the errors, rendered as Terraform shows them.
    fn paths(config: &Value) -> Vec<String> {
        validate(config)
            .0
            .iter()
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect()
    }

    #[test]
    fn empty_block_is_valid() {
        assert!(validate(&Value::Null).is_empty());
        assert!(validate(&obj(vec![])).is_empty());
    }

    #[test]
    fn a_full_valid_block_passes() {
        let config = obj(vec![
            ("region", s("us-gov-west-1")),
            ("sts_region", s("us-east-1")),
            ("access_key", s("AKID")),
            ("secret_key", s("secret")),
            ("token", s("tok")),
            ("max_retries", Value::int(0)),
            ("retry_mode", s("adaptive")),
            ("allowed_account_ids", set(&["123456789012"])),
            (
                "assume_role",
                Value::List(vec![obj(vec![
                    ("role_arn", s("arn:aws:iam::123456789012:role/deploy")),
                    ("session_name", s("tf-session")),
                    ("duration", s("1h30m")),
                    ("policy", s(r#"{"Version":"2012-10-17","Statement":[]}"#)),
                    (
                        "policy_arns",
                        set(&["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
                    ),
                    ("tags", Value::string_map([("team", "a")])),
                    ("transitive_tag_keys", set(&["team"])),
                ])]),
            ),
            (
                "endpoints",
                Value::List(vec![obj(vec![
                    ("ec2", s("http://127.0.0.1:5000")),
                    ("sts", s("")),
                ])]),
            ),
            (
                "default_tags",
                Value::List(vec![obj(vec![(
                    "tags",
                    Value::string_map([("Env", "prod")]),
                )])]),
            ),
        ]);
        assert!(validate(&config).is_empty(), "{:?}", validate(&config));
    }

    #[test]
    fn retry_mode_and_max_retries() {
        assert_eq!(
            paths(&obj(vec![("retry_mode", s("sometimes"))])),
            vec!["retry_mode"]
        );
        assert_eq!(
            paths(&obj(vec![("max_retries", Value::int(-1))])),
            vec!["max_retries"]
        );
        assert_eq!(
            paths(&obj(vec![(
                "max_retries",
                Value::Number(tfplugin::Number::Float(1.5))
            )])),
            vec!["max_retries"]
        );
        let d = validate(&obj(vec![("retry_mode", s("sometimes"))]));
        assert!(d.0[0].detail.contains("standard") && d.0[0].detail.contains("sometimes"));
    }

    #[test]
    fn allowed_and_forbidden_conflict() {
        let both = obj(vec![
            ("allowed_account_ids", set(&["123456789012"])),
            ("forbidden_account_ids", set(&["210987654321"])),
        ]);
        assert_eq!(paths(&both), vec!["forbidden_account_ids"]);
        assert_eq!(
            paths(&obj(vec![("allowed_account_ids", set(&["12345"]))])),
            vec!["allowed_account_ids"]
        );
    }

    #[test]
    fn endpoints_must_be_urls() {
        let cfg = obj(vec![(
            "endpoints",
            Value::List(vec![obj(vec![
                ("ec2", s("not a url")),
                ("sts", s("ftp://x")),
            ])]),
        )]);
        assert_eq!(paths(&cfg), vec!["endpoints[0].ec2", "endpoints[0].sts"]);
        assert!(check_endpoint_url("https://ec2.us-east-1.amazonaws.com").is_ok());
        assert!(check_endpoint_url("http://localhost:4566/").is_ok());
        assert!(check_endpoint_url("http://").is_err());
        assert!(check_endpoint_url("http://:80").is_err());
        assert!(check_endpoint_url("ec2.amazonaws.com").is_err());
    }

    #[test]
    fn arguments_kept_for_hashicorp_aws_follow_its_rules() {
        let good = obj(vec![
            ("skip_metadata_api_check", s("true")),
            ("http_proxy", s("http://proxy.internal:3128")),
            ("https_proxy", s("")),
            ("ec2_metadata_service_endpoint", s("http://169.254.169.254")),
            ("ec2_metadata_service_endpoint_mode", s("ipv6")),
            ("s3_us_east_1_regional_endpoint", s("Regional")),
            ("tag_policy_compliance", s("warning")),
            ("token_bucket_rate_limiter_capacity", Value::int(500)),
            (
                "user_agent",
                Value::List(vec![s("tool/1.0 (ci)"), s("other")]),
            ),
        ]);
        assert!(validate(&good).is_empty(), "{:?}", validate(&good));
        let bad = obj(vec![
            ("skip_metadata_api_check", s("yes")),
            ("http_proxy", s("proxy:3128")),
            ("ec2_metadata_service_endpoint_mode", s("IPv5")),
            ("s3_us_east_1_regional_endpoint", s("global")),
            ("tag_policy_compliance", s("Error")),
            ("token_bucket_rate_limiter_capacity", Value::int(-1)),
            ("user_agent", Value::List(vec![s("two words/1")])),
        ]);
        let mut got = paths(&bad);
        got.sort();
        assert_eq!(
            got,
            vec![
                "ec2_metadata_service_endpoint_mode",
                "http_proxy",
                "s3_us_east_1_regional_endpoint",
                "skip_metadata_api_check",
                "tag_policy_compliance",
                "token_bucket_rate_limiter_capacity",
                "user_agent",
            ]
        );
        assert_eq!(parse_nullable_bool("F"), Ok(Some(false)));
        assert_eq!(parse_nullable_bool(""), Ok(None));
    }

    #[test]
    fn every_rule_reads_well() {
        let role = |pairs| Value::List(vec![obj(pairs)]);
        let configs = [
            obj(vec![
                ("region", s("useast1")),
                ("retry_mode", s("sometimes")),
                ("max_retries", Value::int(-1)),
                ("access_key", s("a")),
                ("token", s("t")),
                ("allowed_account_ids", set(&["12"])),
                ("forbidden_account_ids", set(&["210987654321"])),
                ("skip_metadata_api_check", s("yes")),
                ("http_proxy", s("proxy:3128")),
                ("ec2_metadata_service_endpoint_mode", s("IPv5")),
                ("s3_us_east_1_regional_endpoint", s("global")),
                ("tag_policy_compliance", s("Error")),
                ("token_bucket_rate_limiter_capacity", Value::int(-1)),
                ("user_agent", Value::List(vec![s("two words/1")])),
                (
                    "endpoints",
                    Value::List(vec![
                        obj(vec![("ec2", s("not a url")), ("sts", s("ftp://x"))]),
                        obj(vec![]),
                    ]),
                ),
                (
                    "assume_role",
                    role(vec![
                        ("role_arn", s("arn:nope")),
                        ("duration", s("1 hour")),
                        ("policy", s("{not json")),
                    ]),
                ),
                (
                    "assume_role_with_web_identity",
                    role(vec![
                        ("web_identity_token", s("abc")),
                        ("policy_arns", Value::List(vec![s("not-an-arn")])),
                    ]),
                ),
            ]),
            obj(vec![("secret_key", s("a"))]),
        ];
        let diags: Vec<_> = configs.iter().flat_map(|c| validate(c).0).collect();
        assert!(diags.len() >= 15, "every rule above fires: {diags:#?}");
        crate::wording::assert_all_read_well(&diags);
    }

    #[test]
    fn web_identity_session_policies_are_checked() {
        let cfg = obj(vec![(
            "assume_role_with_web_identity",
            Value::List(vec![obj(vec![
                ("policy", s("{not json")),
                ("policy_arns", Value::List(vec![s("not-an-arn")])),
            ])]),
        )]);
        assert_eq!(
            paths(&cfg),
            vec![
                "assume_role_with_web_identity[0].policy",
                "assume_role_with_web_identity[0].policy_arns"
            ]
        );
    }

    #[test]
    fn web_identity_token_length() {
        let cfg = obj(vec![(
            "assume_role_with_web_identity",
            Value::List(vec![obj(vec![("web_identity_token", s("abc"))])]),
        )]);
        assert_eq!(
            paths(&cfg),
            vec!["assume_role_with_web_identity[0].web_identity_token"]
        );
    }

    #[test]
    fn more_than_one_endpoints_block_only_warns() {
        let block = || obj(vec![("ec2", s("http://a:1"))]);
        let d = validate(&obj(vec![(
            "endpoints",
            Value::List(vec![block(), block()]),
        )]));
        assert_eq!(d.0.len(), 1);
        assert!(!d.has_errors());
    }

    #[test]
    fn region_shape_unless_skipped() {
        assert_eq!(paths(&obj(vec![("region", s("useast1"))])), vec!["region"]);
        assert!(paths(&obj(vec![
            ("region", s("useast1")),
            ("skip_region_validation", Value::Bool(true))
        ]))
        .is_empty());
        assert!(paths(&obj(vec![
            ("region", s("useast1")),
            ("skip_region_validation", Value::Unknown)
        ]))
        .is_empty());
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-north-1",
            "eusc-de-east-1",
            "us-isob-east-1",
        ] {
            assert!(check_region(ok).is_ok(), "{ok}");
        }
        for bad in ["", "us-east", "US-EAST-1", "us-east-1a", "us--1", "-east-1"] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credential_pairs() {
        assert_eq!(
            paths(&obj(vec![("access_key", s("a"))])),
            vec!["secret_key"]
        );
        assert_eq!(
            paths(&obj(vec![("secret_key", s("a"))])),
            vec!["access_key"]
        );
        assert_eq!(paths(&obj(vec![("token", s("a"))])), vec!["token"]);
        // Unknown counts as set: no false alarm before apply.
        assert!(paths(&obj(vec![
            ("access_key", Value::Unknown),
            ("secret_key", s("x"))
        ]))
        .is_empty());
    }

    #[test]
    fn assume_role_rules() {
        let cfg = obj(vec![(
            "assume_role",
            Value::List(vec![obj(vec![
                ("role_arn", s("role/deploy")),
                ("duration", s("10 minutes")),
                ("session_name", s("has space")),
                ("policy", s("{not json")),
                ("tags", Value::string_map([("a", "1")])),
                ("transitive_tag_keys", set(&["b"])),
            ])]),
        )]);
        assert_eq!(
            paths(&cfg),
            vec![
                "assume_role[0].role_arn",
                "assume_role[0].session_name",
                "assume_role[0].duration",
                "assume_role[0].policy",
                "assume_role[0].transitive_tag_keys",
            ]
        );
    }

    #[test]
    fn web_identity_token_conflict() {
        let cfg = obj(vec![(
            "assume_role_with_web_identity",
            Value::List(vec![obj(vec![
                ("role_arn", s("arn:aws:iam::123456789012:role/ci")),
                ("web_identity_token", s("token")),
                ("web_identity_token_file", s("/tmp/t")),
            ])]),
        )]);
        assert_eq!(
            paths(&cfg),
            vec!["assume_role_with_web_identity[0].web_identity_token_file"]
        );
    }

    #[test]
    fn default_tags_reject_aws_keys() {
        let cfg = obj(vec![(
            "default_tags",
            Value::List(vec![obj(vec![(
                "tags",
                Value::string_map([("aws:x", "1"), ("ok", "2")]),
            )])]),
        )]);
        assert_eq!(paths(&cfg), vec!["default_tags[0].tags[\"aws:x\"]"]);
    }

    #[test]
    fn unknown_values_are_skipped() {
        let cfg = obj(vec![
            ("region", Value::Unknown),
            ("retry_mode", Value::Unknown),
            ("max_retries", Value::Unknown),
            ("endpoints", Value::Unknown),
            (
                "assume_role",
                Value::List(vec![obj(vec![
                    ("role_arn", Value::Unknown),
                    ("duration", Value::Unknown),
                ])]),
            ),
        ]);
        assert!(validate(&cfg).is_empty());
    }

    #[test]
    fn unknown_arguments_are_listed() {
        let cfg = obj(vec![
            ("region", s("us-east-1")),
            ("profile", Value::Unknown),
            (
                "allowed_account_ids",
                Value::List(vec![s("123456789012"), Value::Unknown]),
            ),
            (
                "assume_role",
                Value::List(vec![obj(vec![
                    ("role_arn", Value::Unknown),
                    ("tags", Value::Map(Default::default())),
                ])]),
            ),
        ]);
        let shown: Vec<String> = unknown_paths(&cfg).iter().map(|p| p.to_string()).collect();
        assert_eq!(
            shown,
            vec!["allowed_account_ids", "assume_role[0].role_arn", "profile"]
        );
        assert!(unknown_paths(&obj(vec![("region", s("x"))])).is_empty());
    }

    #[test]
    fn session_durations() {
        // The Go-duration syntax itself is tested in `validators`.
        assert!(check_session_duration("14m").is_err());
        assert!(check_session_duration("15m").is_ok());
        assert!(check_session_duration("12h").is_ok());
        assert!(check_session_duration("12h1s").is_err());
    }

    #[test]
    fn arns() {
        assert!(check_role_arn("arn:aws:iam::123456789012:role/a/b").is_ok());
        assert!(check_role_arn("arn:aws-cn:iam::123456789012:role/x").is_ok());
        assert!(check_role_arn("arn:aws:iam::123456789012:user/x").is_err());
        assert!(check_role_arn("arn:aws:s3:::bucket").is_err());
        assert!(check_arn("arn:aws:iam::aws:policy/ReadOnlyAccess").is_ok());
        assert!(check_arn("not-an-arn").is_err());
    }
}
