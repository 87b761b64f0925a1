//! The schema of the `provider "aws"` block (names and meanings as in the Go provider, so
//! existing configurations keep working).

use super::endpoint_keys::ENDPOINT_KEYS;
use tfplugin::{Attribute, Block, NestedBlock, Nesting, Schema, Type};

/// `max_retries` when the block does not set it.
pub const DEFAULT_MAX_RETRIES: u32 = 25;

pub fn provider_schema() -> Schema {
    let s = Type::String;
    let strings = || Type::list(Type::String);
    let string_set = || Type::set(Type::String);
    let block = Block::new("The AWS provider for `aws_ami_copy`: credentials, region, retries and tag settings.")
        .attr(Attribute::optional("region", s.clone(),
            "The AWS region, e.g. `us-east-1`. Defaults to `AWS_REGION`/`AWS_DEFAULT_REGION`, then the profile's region."))
        .attr(Attribute::optional("profile", s.clone(),
            "The named profile of the shared config/credentials files (defaults to `AWS_PROFILE`, then `default`). SSO, `credential_process` and `role_arn` profiles work."))
        .attr(Attribute::optional("access_key", s.clone(),
            "Static access key id. Prefer the environment, a profile or a role to keeping keys in configuration.").sensitive())
        .attr(Attribute::optional("secret_key", s.clone(),
            "Static secret access key; required together with `access_key`.").sensitive())
        .attr(Attribute::optional("token", s.clone(),
            "Session token for temporary static credentials.").sensitive())
        .attr(Attribute::optional("shared_config_files", strings(),
            "Shared config files to read instead of `~/.aws/config` (`~` is expanded)."))
        .attr(Attribute::optional("shared_credentials_files", strings(),
            "Shared credentials files to read instead of `~/.aws/credentials` (`~` is expanded)."))
        .attr(Attribute::optional("skip_credentials_validation", Type::Bool,
            "Skip checking the credentials with STS GetCallerIdentity. Default false."))
        .attr(Attribute::optional("skip_requesting_account_id", Type::Bool,
            "Do not ask STS for the account id (the partition is then derived from the region). Default false."))
        .attr(Attribute::optional("skip_metadata_api_check", s.clone(),
            "Never use the EC2 instance metadata service (IMDS) for credentials or region. A boolean written as a string (`\"true\"`, `\"false\"`), as upstream; `true` converts. Default false."))
        .attr(Attribute::optional("skip_region_validation", Type::Bool,
            "Accept a `region` that does not look like an AWS region name (for AWS-compatible endpoints). Default false."))
        .attr(Attribute::optional("max_retries", Type::Number,
            "How many times a failed, retryable AWS request is retried (attempts = max_retries + 1). Defaults to `AWS_MAX_ATTEMPTS` - 1, then 25."))
        .attr(Attribute::optional("retry_mode", s.clone(),
            "`standard` or `adaptive` (client-side rate limiting). Defaults to `AWS_RETRY_MODE`, then `standard`."))
        .attr(Attribute::optional("allowed_account_ids", string_set(),
            "Only these account ids may be used; configuring fails otherwise. Conflicts with `forbidden_account_ids`."))
        .attr(Attribute::optional("forbidden_account_ids", string_set(),
            "These account ids must not be used; configuring fails if the credentials belong to one. Conflicts with `allowed_account_ids`."))
        .attr(Attribute::optional("insecure", Type::Bool,
            "Skip TLS certificate verification of AWS endpoints (with a warning). Prefer `custom_ca_bundle`. Default false."))
        .attr(Attribute::optional("custom_ca_bundle", s.clone(),
            "A PEM file of extra CA certificates to trust for AWS endpoints (also read from `AWS_CA_BUNDLE`)."))
        .attr(Attribute::optional("sts_region", s.clone(),
            "The region of the STS endpoint used for GetCallerIdentity and AssumeRole. Defaults to `region`."))
        .attr(Attribute::optional("http_proxy", s.clone(),
            "Proxy URL for `http://` AWS endpoints. Defaults to `HTTP_PROXY`/`http_proxy`; an empty string means no proxy."))
        .attr(Attribute::optional("https_proxy", s.clone(),
            "Proxy URL for `https://` AWS endpoints. Defaults to `HTTPS_PROXY`/`https_proxy`; an empty string means no proxy."))
        .attr(Attribute::optional("no_proxy", s.clone(),
            "Comma-separated hosts (and `.domain` suffixes) reached without a proxy. Defaults to `NO_PROXY`/`no_proxy`."))
        .attr(Attribute::optional("use_fips_endpoint", Type::Bool,
            "Use the FIPS endpoints of EC2 and STS. Default false."))
        .attr(Attribute::optional("use_dualstack_endpoint", Type::Bool,
            "Use the dual-stack (IPv4 and IPv6) endpoints of EC2 and STS. Default false."))
        .attr(Attribute::optional("ec2_metadata_service_endpoint", s.clone(),
            "Address of the instance metadata service (IMDS) used for credentials and region. Defaults to `AWS_EC2_METADATA_SERVICE_ENDPOINT`."))
        .attr(Attribute::optional("ec2_metadata_service_endpoint_mode", s.clone(),
            "`IPv4` or `IPv6`: which default IMDS address to use. Defaults to `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`, then IPv4."))
        .attr(Attribute::optional("token_bucket_rate_limiter_capacity", Type::Number,
            "Capacity of the SDK's retry token bucket (each retry spends tokens; an empty bucket stops retrying). Default 500."))
        .attr(Attribute::optional("user_agent", strings(),
            "Product details (`name/version (comment)`) appended to the User-Agent of every AWS call."))
        .attr(Attribute::optional("s3_use_path_style", Type::Bool,
            "Accepted for compatibility with hashicorp/aws; this provider makes no S3 calls."))
        .attr(Attribute::optional("s3_us_east_1_regional_endpoint", s.clone(),
            "`legacy` or `regional`. Accepted for compatibility with hashicorp/aws; this provider makes no S3 calls."))
        .attr(Attribute::optional("tag_policy_compliance", s.clone(),
            "`error`, `warning` or `disabled`. Accepted for compatibility with hashicorp/aws; this provider does not check tag policies."))
        .block(NestedBlock::new("assume_role", Nesting::List, assume_role_block()))
        .block(NestedBlock::new("assume_role_with_web_identity", Nesting::List, web_identity_block()).max_items(1))
        // A set without a maximum, as upstream (which warns when there is more than one).
        .block(NestedBlock::new("endpoints", Nesting::Set, endpoints_block()))
        .block(NestedBlock::new("default_tags", Nesting::List, default_tags_block()).max_items(1))
        .block(NestedBlock::new("ignore_tags", Nesting::List, ignore_tags_block()).max_items(1));
    Schema { version: 0, block }
}

/// `terraform { provider_meta "aws" { user_agent = [...] } }`: accepted as upstream declares it,
/// so modules that set it keep working.
pub fn provider_meta_schema() -> Schema {
    let block = Block::new("Module-level settings for the AWS provider.").attr(Attribute::optional(
        "user_agent",
        Type::list(Type::String),
        "Product details for the User-Agent (accepted for compatibility; not sent by this provider).",
    ));
    Schema { version: 0, block }
}

fn assume_role_block() -> Block {
    let s = Type::String;
    Block::new("A role to assume with STS AssumeRole. Several blocks are chained in order, each assumed with the previous one's credentials.")
        .attr(Attribute::optional("role_arn", s.clone(), "ARN of the IAM role to assume."))
        .attr(Attribute::optional("session_name", s.clone(), "Role session name (visible in CloudTrail)."))
        .attr(Attribute::optional("external_id", s.clone(), "External id the role's trust policy requires.").sensitive())
        .attr(Attribute::optional("duration", s.clone(),
            "Session duration as a Go duration (`1h`, `15m30s`), between 15 minutes and 12 hours. Default 1 hour."))
        .attr(Attribute::optional("policy", s.clone(), "Inline session policy (JSON) further restricting the role."))
        .attr(Attribute::optional("policy_arns", Type::set(Type::String), "Managed policy ARNs restricting the session."))
        .attr(Attribute::optional("source_identity", s.clone(), "Source identity to set on the session."))
        .attr(Attribute::optional("tags", Type::map(Type::String), "Session tags."))
        .attr(Attribute::optional("transitive_tag_keys", Type::set(Type::String),
            "Session tag keys that pass on to roles assumed later in a chain."))
}

fn web_identity_block() -> Block {
    let s = Type::String;
    Block::new("A role to assume with STS AssumeRoleWithWebIdentity (OIDC token).")
        .attr(Attribute::optional("role_arn", s.clone(), "ARN of the IAM role to assume."))
        .attr(Attribute::optional("session_name", s.clone(), "Role session name."))
        .attr(Attribute::optional("web_identity_token", s.clone(),
            "The OIDC token itself. Conflicts with `web_identity_token_file`.").sensitive())
        .attr(Attribute::optional("web_identity_token_file", s.clone(),
            "A file holding the OIDC token, re-read at every refresh. Conflicts with `web_identity_token`."))
        .attr(Attribute::optional("duration", s.clone(),
            "Session duration as a Go duration (`1h`), between 15 minutes and 12 hours."))
        .attr(Attribute::optional("policy", s.clone(), "Inline session policy (JSON) further restricting the role."))
        .attr(Attribute::optional("policy_arns", Type::set(Type::String), "Managed policy ARNs restricting the session."))
}

fn endpoints_block() -> Block {
    let mut block = Block::new(
        "Custom service endpoints (e.g. a VPC endpoint or an emulator). Every key of hashicorp/aws is \
         accepted; `ec2` and `sts` are used, and `kms` for the plan-time check of `kms_key_id`.",
    );
    for key in ENDPOINT_KEYS {
        let description = match key {
            "ec2" => "EC2 endpoint URL (http or https). Defaults to `AWS_ENDPOINT_URL_EC2`.".to_string(),
            "sts" => "STS endpoint URL (http or https). Defaults to `AWS_ENDPOINT_URL_STS`.".to_string(),
            "kms" => "KMS endpoint URL (http or https), used only to check `kms_key_id` at plan time. Defaults to `AWS_ENDPOINT_URL_KMS`.".to_string(),
            other => format!(
                "Endpoint URL for `{other}`. Accepted for compatibility with hashicorp/aws; not used by this provider."
            ),
        };
        block = block.attr(Attribute::optional(key, Type::String, &description));
    }
    block
}

fn default_tags_block() -> Block {
    Block::new("Tags added to every resource that supports tags (a resource's own `tags` win).")
        .attr(Attribute::optional(
            "tags",
            Type::map(Type::String),
            "The default tags.",
        ))
}

fn ignore_tags_block() -> Block {
    Block::new("Tags Terraform neither reports nor manages (e.g. set by other tools).")
        .attr(Attribute::optional(
            "keys",
            Type::set(Type::String),
            "Exact tag keys to ignore.",
        ))
        .attr(Attribute::optional(
            "key_prefixes",
            Type::set(Type::String),
            "Tag key prefixes to ignore.",
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_attribute(block: &Block, out: &mut Vec<(String, String)>) {
        for a in &block.attributes {
            out.push((a.name.clone(), a.description.clone()));
        }
        for b in &block.blocks {
            out.push((b.type_name.clone(), b.block.description.clone()));
            every_attribute(&b.block, out);
        }
    }

    #[test]
    fn every_attribute_and_block_is_described() {
        let mut all = vec![];
        every_attribute(&provider_schema().block, &mut all);
        for (name, description) in all {
            assert!(!description.trim().is_empty(), "{name} has no description");
        }
    }

    include!("../../tests/fixtures/provider_block_fixtures.rs");

    fn fixtures() -> Vec<serde_json::Value> {
        provider_block_fixtures()
    }

    /// Every checked-in provider block (see `fixtures`): every name of each, with the same
    /// type, nesting and count, and the `endpoints` keys exactly their union.
    #[test]
    fn accepts_every_argument_block_and_endpoint_key_of_every_fixture_release() {
        let ours = provider_schema().block;
        let type_json = tfplugin::codec::types::type_to_json;
        let same_attrs = |block: &Block, want: &serde_json::Value, at: &str| {
            for (name, ty) in want.as_object().expect("attributes") {
                let a = block
                    .attribute(name)
                    .unwrap_or_else(|| panic!("{at}{name} missing"));
                assert_eq!(&type_json(&a.ty), ty, "{at}{name} type");
            }
        };
        let mut union: Vec<String> = vec![];
        for fixture in fixtures() {
            let from = &fixture["source"]["generated_from"];
            same_attrs(&ours, &fixture["attributes"], "");
            for (name, want) in fixture["blocks"].as_object().expect("blocks") {
                let b = ours
                    .nested(name)
                    .unwrap_or_else(|| panic!("block {name} of {from} missing"));
                let nesting = match b.nesting {
                    Nesting::List => "list",
                    Nesting::Set => "set",
                    _ => "other",
                };
                assert_eq!(nesting, want["nesting"], "{name} nesting ({from})");
                assert_eq!(
                    Some(b.max_items).filter(|n| *n > 0),
                    want["max_items"].as_i64(),
                    "{name} max_items ({from})"
                );
                if name == "endpoints" {
                    union.extend(
                        want["keys"]
                            .as_array()
                            .expect("keys")
                            .iter()
                            .filter_map(|k| k.as_str().map(str::to_string)),
                    );
                } else {
                    same_attrs(&b.block, &want["attributes"], &format!("{name}."));
                }
            }
            let meta = provider_meta_schema().block;
            same_attrs(&meta, &fixture["provider_meta"], "provider_meta.");
        }
        union.sort();
        union.dedup();
        assert_eq!(union, ENDPOINT_KEYS.to_vec());
        let endpoints = ours.nested("endpoints").expect("endpoints block");
        assert_eq!(endpoints.block.attributes.len(), union.len());
        // The union is not just 6.x: the keys 6.0 dropped, which tflocal still writes, are in,
        // and so are the keys of the newest fixture, 6.62.0.
        for key in [
            "iotanalytics",
            "iotevents",
            "accountaccess",
            "uxc",
            "s3files",
        ] {
            assert!(endpoints.block.attribute(key).is_some(), "endpoints.{key}");
        }
    }

    #[test]
    fn credentials_are_sensitive() {
        let b = provider_schema().block;
        for name in ["access_key", "secret_key", "token"] {
            assert!(b.attribute(name).is_some_and(|a| a.sensitive), "{name}");
        }
        let wi = b.nested("assume_role_with_web_identity").map(|n| &n.block);
        assert!(wi
            .and_then(|b| b.attribute("web_identity_token"))
            .is_some_and(|a| a.sensitive));
        let role = b.nested("assume_role").map(|n| &n.block);
        assert!(role
            .and_then(|b| b.attribute("external_id"))
            .is_some_and(|a| a.sensitive));
    }

    #[test]
    fn every_attribute_is_optional() {
        // A provider block may be empty: everything can come from the environment.
        let mut stack = vec![provider_schema().block];
        while let Some(b) = stack.pop() {
            assert!(b.attributes.iter().all(|a| a.optional && !a.required));
            stack.extend(b.blocks.into_iter().map(|n| n.block));
        }
    }
}
