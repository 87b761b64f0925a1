//! Keeps credentials out of Terraform's log (`TF_LOG`), through `tfplugin::redact`.
//!
//! - Before any SDK work, every secret the provider can know is registered, so it is masked
//!   wherever a library prints it: the block's keys and token, each `assume_role` `external_id`
//!   and `policy`, the web identity `policy` and token (inline or the file's content), and the same from the
//!   environment. Role ARNs, `policy_arns`, session names and tags are not secret: they stay
//!   readable, as they do in CloudTrail.
//! - The credential chain runs inside a `redact::sensitive` span: what it reads from profiles,
//!   the SSO cache or a `credential_process` (and the STS/SSO calls it makes) is never logged
//!   below WARN. The credentials it returns are registered before anyone else sees them.
//! - Second line of defence: the SDK modules that print profile values or credential details
//!   at DEBUG/TRACE are quiet below WARN everywhere (the profile parser also runs outside the
//!   chain, when the region or other settings are looked up).

use super::config::{ProviderConfig, WebIdentityToken};
use aws_credential_types::provider::{self, future, ProvideCredentials, SharedCredentialsProvider};
use aws_types::SdkConfig;
use std::fmt;
use tfplugin::redact;
use tracing::Instrument;

/// SDK modules that log profile contents or credential details below WARN.
const QUIET_SDK_MODULES: &[&str] = &[
    "aws_runtime::env_config",
    "aws_config::profile",
    "aws_config::sso",
    "aws_config::login",
    "aws_config::credential_process",
    "aws_config::web_identity_token",
    "aws_config::sts",
    "aws_config::ecs",
    "aws_config::imds::credentials",
];

/// Environment variables that hold a credential, and ones that name a file holding one.
const SECRET_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];
const SECRET_FILE_VARIABLES: &[&str] = &[
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// Registers every secret of the block and the environment; does nothing without a log.
pub fn register_configured(cfg: &ProviderConfig) {
    if !redact::enabled() {
        return;
    }
    for module in QUIET_SDK_MODULES {
        redact::quiet_module(module);
    }
    for value in configured_secrets(cfg, |k| std::env::var(k).ok()) {
        redact::register(&value);
    }
}

/// The secret values of the block and of `env`, token files read.
fn configured_secrets(cfg: &ProviderConfig, env: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Some(keys) = &cfg.static_keys {
        secrets.push(keys.access_key.0.clone());
        secrets.push(keys.secret_key.0.clone());
        secrets.extend(keys.token.as_ref().map(|t| t.0.clone()));
    }
    for role in &cfg.assume_roles {
        secrets.extend(role.external_id.clone());
        secrets.extend(role.policy.clone());
    }
    let mut token_files: Vec<String> = SECRET_FILE_VARIABLES
        .iter()
        .filter_map(|v| env(v))
        .collect();
    secrets.extend(cfg.web_identity.as_ref().and_then(|w| w.policy.clone()));
    match cfg.web_identity.as_ref().and_then(|w| w.token.as_ref()) {
        Some(WebIdentityToken::Inline(t)) => secrets.push(t.0.clone()),
        Some(WebIdentityToken::File(f)) => token_files.push(super::config::expand_home(f)),
        None => {}
    }
    secrets.extend(SECRET_VARIABLES.iter().filter_map(|v| env(v)));
    secrets.extend(
        token_files
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .map(|t| t.trim().to_string()),
    );
    secrets.retain(|s| !s.is_empty());
    secrets
}

/// `config` with its credentials provider run inside a sensitive span and its results
/// registered. Its Debug output (which the SDK traces with every call) names no inner provider,
/// so no role configuration reaches the log through it either.
pub fn guard(config: SdkConfig) -> SdkConfig {
    let Some(inner) = config.credentials_provider() else {
        return config;
    };
    config
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(GuardedCredentials(inner)))
        .build()
}

struct GuardedCredentials(SharedCredentialsProvider);

impl fmt::Debug for GuardedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GuardedCredentials")
    }
}

impl GuardedCredentials {
    async fn resolve(&self) -> provider::Result {
        let creds = self
            .0
            .provide_credentials()
            .instrument(redact::sensitive())
            .await?;
        redact::register(creds.access_key_id());
        redact::register(creds.secret_access_key());
        if let Some(token) = creds.session_token() {
            redact::register(token);
        }
        Ok(creds)
    }
}

impl ProvideCredentials for GuardedCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.resolve())
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::{AssumeRole, Secret, StaticKeys, WebIdentity};
    use super::*;
    use tfplugin::Value;

    #[test]
    fn finds_every_configured_secret_and_nothing_else() {
        let dir = tempfile::tempdir().expect("temp dir");
        let token_file = dir.path().join("token");
        std::fs::write(&token_file, "web-token-from-file\n").expect("write token");
        let env_file = dir.path().join("env-token");
        std::fs::write(&env_file, "web-token-from-env-file").expect("write token");
        let mut cfg = ProviderConfig::from_value(&Value::Null).expect("an empty block is valid");
        cfg.static_keys = Some(StaticKeys {
            access_key: Secret("AKIDBLOCK".into()),
            secret_key: Secret("block-secret".into()),
            token: Some(Secret("block-token".into())),
        });
        cfg.assume_roles = vec![AssumeRole {
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            external_id: Some("ext-id".into()),
            policy: Some("{\"Version\":\"2012-10-17\"}".into()),
            policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            session_name: Some("visible-session".into()),
            ..Default::default()
        }];
        cfg.web_identity = Some(WebIdentity {
            role_arn: "arn:aws:iam::123456789012:role/w".into(),
            session_name: None,
            token: Some(WebIdentityToken::File(token_file.display().to_string())),
            duration: None,
            policy: Some("{\"Statement\":[]}".into()),
            policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
        });
        let env_file_name = env_file.display().to_string();
        let env = |k: &str| match k {
            "AWS_SECRET_ACCESS_KEY" => Some("env-secret".to_string()),
            "AWS_SESSION_TOKEN" => Some(String::new()),
            "AWS_WEB_IDENTITY_TOKEN_FILE" => Some(env_file_name.clone()),
            "AWS_REGION" => Some("us-east-1".to_string()),
            _ => None,
        };
        let mut found = configured_secrets(&cfg, env);
        found.sort();
        let mut expected = vec![
            "AKIDBLOCK",
            "block-secret",
            "block-token",
            "ext-id",
            "{\"Version\":\"2012-10-17\"}",
            "{\"Statement\":[]}",
            "env-secret",
            "web-token-from-env-file",
            "web-token-from-file",
        ];
        expected.sort();
        assert_eq!(found, expected);
    }

    #[tokio::test]
    async fn guarded_credentials_hide_the_inner_provider() {
        let inner =
            aws_credential_types::Credentials::new("AKIDGUARD", "guard-secret", None, None, "test");
        let config = SdkConfig::builder()
            .credentials_provider(SharedCredentialsProvider::new(inner))
            .build();
        let guarded = guard(config);
        let provider = guarded.credentials_provider().expect("a provider");
        let shown = format!("{provider:?}");
        assert!(!shown.contains("AKIDGUARD"), "{shown}");
        let creds = provider.provide_credentials().await.expect("credentials");
        assert_eq!(creds.access_key_id(), "AKIDGUARD");
    }
}
