//! The provider block as typed Rust values. Built only from a block that passed
//! [`validate`](super::validate::validate); values still unknown at configure time are treated as
//! unset, as the Go provider does.

use super::validate::{self, blocks, parse_go_duration, parse_nullable_bool};
use crate::tags::{IgnoreTags, Tags};
use std::fmt;
use std::time::Duration;
use tfplugin::{Diagnostics, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryMode {
    Standard,
    Adaptive,
}

/// Secrets never reach a log or a diagnostic: their Debug output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticKeys {
    pub access_key: Secret,
    pub secret_key: Secret,
    pub token: Option<Secret>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub source_identity: Option<String>,
    pub tags: Tags,
    pub transitive_tag_keys: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebIdentityToken {
    Inline(Secret),
    File(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebIdentity {
    pub role_arn: String,
    pub session_name: Option<String>,
    /// `None`: fall back to `AWS_WEB_IDENTITY_TOKEN_FILE`.
    pub token: Option<WebIdentityToken>,
    pub duration: Option<Duration>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub static_keys: Option<StaticKeys>,
    pub shared_config_files: Vec<String>,
    pub shared_credentials_files: Vec<String>,
    /// In chain order: each role is assumed with the previous one's credentials.
    pub assume_roles: Vec<AssumeRole>,
    pub web_identity: Option<WebIdentity>,
    pub ec2_endpoint: Option<String>,
    pub sts_endpoint: Option<String>,
    /// `endpoints { kms }`: only for the plan-time check of `kms_key_id`.
    pub kms_endpoint: Option<String>,
    pub default_tags: Tags,
    pub ignore_tags: IgnoreTags,
    pub skip_credentials_validation: bool,
    pub skip_region_validation: bool,
    pub skip_requesting_account_id: bool,
    pub skip_metadata_api_check: bool,
    /// `None`: `AWS_MAX_ATTEMPTS` - 1, else 25 (see `sdk::max_retries`).
    pub max_retries: Option<u32>,
    /// `None`: `AWS_RETRY_MODE`, else standard.
    pub retry_mode: Option<RetryMode>,
    pub allowed_account_ids: Vec<String>,
    pub forbidden_account_ids: Vec<String>,
    pub insecure: bool,
    pub custom_ca_bundle: Option<String>,
    pub sts_region: Option<String>,
    /// `Some("")` is an explicit "no proxy" that also overrides the environment.
    pub http_proxy: Option<String>,
    pub https_proxy: Option<String>,
    pub no_proxy: Option<String>,
    pub use_fips_endpoint: bool,
    pub use_dualstack_endpoint: bool,
    pub ec2_metadata_service_endpoint: Option<String>,
    pub ec2_metadata_service_endpoint_mode: Option<ImdsMode>,
    pub token_bucket_rate_limiter_capacity: Option<u32>,
    /// Products appended to the SDK's User-Agent.
    pub user_agent: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImdsMode {
    IPv4,
    IPv6,
}

/// A known, non-empty string.
fn opt_str(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

fn flag(v: &Value) -> bool {
    v.as_bool().unwrap_or(false)
}

fn duration(v: &Value) -> Option<Duration> {
    v.as_str().and_then(|s| parse_go_duration(s).ok())
}

impl ProviderConfig {
    /// Checks `config` and converts it; the errors are the validation diagnostics.
    pub fn from_value(config: &Value) -> Result<ProviderConfig, Diagnostics> {
        let diags = validate::validate(config);
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(Self::convert(config))
    }

    /// A warning listing the arguments not known yet (treated as unset), if any.
    pub fn unknown_warning(config: &Value) -> Option<tfplugin::Diagnostic> {
        let paths = validate::unknown_paths(config);
        (!paths.is_empty()).then(|| {
            let names: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
            tfplugin::Diagnostic::warning(
                "Provider arguments not known yet",
                format!(
                    "{} depend on values known only after apply; the provider treats them as unset \
                     until then (for example, no role is assumed for an unknown role_arn).",
                    names.join(", ")
                ),
            )
        })
    }

    fn convert(c: &Value) -> ProviderConfig {
        let static_keys = match (opt_str(c.get("access_key")), opt_str(c.get("secret_key"))) {
            (Some(access_key), Some(secret_key)) => Some(StaticKeys {
                access_key: Secret(access_key),
                secret_key: Secret(secret_key),
                token: opt_str(c.get("token")).map(Secret),
            }),
            _ => None,
        };
        let first = |name: &str| blocks(c.get(name)).first().cloned().unwrap_or(Value::Null);
        let endpoints = first("endpoints");
        let ignore = first("ignore_tags");
        let max_retries = c
            .get("max_retries")
            .as_i64()
            .map(|n| n.clamp(0, i64::from(u32::MAX) - 1) as u32);
        ProviderConfig {
            region: opt_str(c.get("region")),
            profile: opt_str(c.get("profile")),
            static_keys,
            shared_config_files: c.get("shared_config_files").as_string_list(),
            shared_credentials_files: c.get("shared_credentials_files").as_string_list(),
            // A block without a role (e.g. `role_arn = var.role` left empty) assumes nothing,
            // as in the Go provider.
            assume_roles: blocks(c.get("assume_role"))
                .iter()
                .filter_map(assume_role)
                .collect(),
            web_identity: blocks(c.get("assume_role_with_web_identity"))
                .first()
                .and_then(web_identity),
            ec2_endpoint: opt_str(endpoints.get("ec2")),
            sts_endpoint: opt_str(endpoints.get("sts")),
            kms_endpoint: opt_str(endpoints.get("kms")),
            default_tags: first("default_tags").get("tags").as_string_map(),
            ignore_tags: IgnoreTags {
                keys: ignore.get("keys").as_string_list(),
                key_prefixes: ignore.get("key_prefixes").as_string_list(),
            },
            skip_credentials_validation: flag(c.get("skip_credentials_validation")),
            skip_region_validation: flag(c.get("skip_region_validation")),
            skip_requesting_account_id: flag(c.get("skip_requesting_account_id")),
            skip_metadata_api_check: c
                .get("skip_metadata_api_check")
                .as_str()
                .and_then(|v| parse_nullable_bool(v).ok().flatten())
                .unwrap_or(false),
            max_retries,
            retry_mode: match c.get("retry_mode").as_str() {
                Some("standard") => Some(RetryMode::Standard),
                Some("adaptive") => Some(RetryMode::Adaptive),
                _ => None,
            },
            allowed_account_ids: c.get("allowed_account_ids").as_string_list(),
            forbidden_account_ids: c.get("forbidden_account_ids").as_string_list(),
            insecure: flag(c.get("insecure")),
            custom_ca_bundle: opt_str(c.get("custom_ca_bundle")),
            sts_region: opt_str(c.get("sts_region")),
            http_proxy: c.get("http_proxy").as_str().map(str::to_string),
            https_proxy: c.get("https_proxy").as_str().map(str::to_string),
            no_proxy: c.get("no_proxy").as_str().map(str::to_string),
            use_fips_endpoint: flag(c.get("use_fips_endpoint")),
            use_dualstack_endpoint: flag(c.get("use_dualstack_endpoint")),
            ec2_metadata_service_endpoint: opt_str(c.get("ec2_metadata_service_endpoint")),
            ec2_metadata_service_endpoint_mode: c
                .get("ec2_metadata_service_endpoint_mode")
                .as_str()
                .and_then(|m| {
                    if m.eq_ignore_ascii_case("ipv6") {
                        Some(ImdsMode::IPv6)
                    } else if m.eq_ignore_ascii_case("ipv4") {
                        Some(ImdsMode::IPv4)
                    } else {
                        None
                    }
                }),
            token_bucket_rate_limiter_capacity: c
                .get("token_bucket_rate_limiter_capacity")
                .as_i64()
                .and_then(|n| u32::try_from(n).ok()),
            user_agent: c.get("user_agent").as_string_list(),
        }
    }
}

fn assume_role(b: &Value) -> Option<AssumeRole> {
    Some(AssumeRole {
        role_arn: opt_str(b.get("role_arn"))?,
        session_name: opt_str(b.get("session_name")),
        external_id: opt_str(b.get("external_id")),
        duration: duration(b.get("duration")),
        policy: opt_str(b.get("policy")),
        policy_arns: b.get("policy_arns").as_string_list(),
        source_identity: opt_str(b.get("source_identity")),
        tags: b.get("tags").as_string_map(),
        transitive_tag_keys: b.get("transitive_tag_keys").as_string_list(),
    })
}

fn web_identity(b: &Value) -> Option<WebIdentity> {
    let token = match (
        opt_str(b.get("web_identity_token")),
        opt_str(b.get("web_identity_token_file")),
    ) {
        (Some(t), _) => Some(WebIdentityToken::Inline(Secret(t))),
        (None, Some(f)) => Some(WebIdentityToken::File(f)),
        (None, None) => None,
    };
    Some(WebIdentity {
        role_arn: opt_str(b.get("role_arn"))?,
        session_name: opt_str(b.get("session_name")),
        token,
        duration: duration(b.get("duration")),
        policy: opt_str(b.get("policy")),
        policy_arns: b.get("policy_arns").as_string_list(),
    })
}

/// `~/x` → `$HOME/x`, as the AWS CLI and the Go provider accept in file paths.
pub fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if !home.is_empty() => {
            format!("{}/{rest}", home.trim_end_matches('/'))
        }
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn defaults_of_an_empty_block() {
        let c = ProviderConfig::from_value(&obj(vec![])).expect("valid");
        assert_eq!(c.max_retries, None);
        assert_eq!(c.retry_mode, None);
        assert!(c.static_keys.is_none() && c.assume_roles.is_empty() && c.web_identity.is_none());
        assert!(!c.skip_credentials_validation && !c.insecure);
    }

    #[test]
    fn converts_every_section() {
        let c = ProviderConfig::from_value(&obj(vec![
            ("region", Value::string("eu-west-1")),
            ("access_key", Value::string("AKID")),
            ("secret_key", Value::string("SECRET")),
            ("max_retries", Value::int(3)),
            ("retry_mode", Value::string("adaptive")),
            (
                "assume_role",
                Value::List(vec![
                    obj(vec![
                        (
                            "role_arn",
                            Value::string("arn:aws:iam::123456789012:role/a"),
                        ),
                        ("duration", Value::string("2h")),
                    ]),
                    obj(vec![("role_arn", Value::string(""))]),
                ]),
            ),
            (
                "endpoints",
                Value::List(vec![obj(vec![
                    ("ec2", Value::string("http://localhost:1")),
                    ("sts", Value::string("")),
                ])]),
            ),
            (
                "ignore_tags",
                Value::List(vec![obj(vec![(
                    "key_prefixes",
                    Value::List(vec![Value::string("k8s/")]),
                )])]),
            ),
        ]))
        .expect("valid");
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.max_retries, Some(3));
        assert_eq!(c.retry_mode, Some(RetryMode::Adaptive));
        assert_eq!(c.assume_roles.len(), 1, "the role-less block is skipped");
        assert_eq!(c.assume_roles[0].duration, Some(Duration::from_secs(7200)));
        assert_eq!(c.ec2_endpoint.as_deref(), Some("http://localhost:1"));
        assert_eq!(c.sts_endpoint, None);
        assert_eq!(c.ignore_tags.key_prefixes, vec!["k8s/".to_string()]);
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let c = ProviderConfig::from_value(&obj(vec![
            ("access_key", Value::string("AKIDVISIBLE")),
            ("secret_key", Value::string("very-secret-value")),
            ("token", Value::string("session-token-value")),
        ]))
        .expect("valid");
        let shown = format!("{c:?}");
        assert!(!shown.contains("very-secret-value") && !shown.contains("session-token-value"));
        assert!(!shown.contains("AKIDVISIBLE"));
    }

    #[test]
    fn invalid_block_is_refused() {
        let e = ProviderConfig::from_value(&obj(vec![("retry_mode", Value::string("x"))]));
        assert!(e.is_err());
    }

    #[test]
    fn unknown_values_count_as_unset() {
        let c = ProviderConfig::from_value(&obj(vec![
            ("region", Value::Unknown),
            ("max_retries", Value::Unknown),
        ]))
        .expect("valid");
        assert_eq!(c.region, None);
        assert_eq!(c.max_retries, None);
    }
}
