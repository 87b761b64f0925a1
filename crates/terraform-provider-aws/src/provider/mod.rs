//! The `provider "aws"` block: schema, validation, configuration into `AwsClients`.
//!
//! `AwsProvider::new` does no work at all: Terraform launches the plugin several times per run,
//! and everything AWS-related waits for ConfigureProvider.

mod assume;
pub mod clients;
pub mod config;
mod endpoint_keys;
mod http;
pub mod identity;
pub mod schema;
pub mod sdk;
mod secrets;
mod tuning;
pub mod validate;

use async_trait::async_trait;
use clients::{AwsClients, ProviderState};
use config::ProviderConfig;
use std::sync::{Arc, Mutex};
use tfplugin::{ConfigureRequest, Context, Diagnostic, Diagnostics, Resource, Schema, Value};

pub struct AwsProvider {
    state: Arc<ProviderState>,
}

impl AwsProvider {
    pub fn new() -> Self {
        AwsProvider {
            state: Arc::new(ProviderState::default()),
        }
    }
}

impl Default for AwsProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl tfplugin::Provider for AwsProvider {
    fn schema(&self) -> Schema {
        schema::provider_schema()
    }

    fn meta_schema(&self) -> Option<Schema> {
        Some(schema::provider_meta_schema())
    }

    fn resources(&self) -> Vec<(String, Arc<dyn Resource>)> {
        crate::resources::all(self.state.clone())
    }

    fn data_sources(&self) -> Vec<(String, Arc<dyn tfplugin::DataSource>)> {
        crate::data_sources::all(self.state.clone())
    }

    fn list_resources(&self) -> Vec<(String, Arc<dyn tfplugin::ListResource>)> {
        crate::resources::lists(self.state.clone())
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate::validate(config)
    }

    async fn configure(&self, ctx: &Context, req: ConfigureRequest) -> Diagnostics {
        let cfg = match ProviderConfig::from_value(&req.config) {
            Ok(c) => c,
            Err(diags) => return diags,
        };
        let mut diags = Diagnostics::new();
        if let Some(w) = ProviderConfig::unknown_warning(&req.config) {
            diags.push(w);
        }
        let outcome = tokio::select! {
            r = configure(&cfg, &mut diags) => r,
            _ = ctx.stop.cancelled() => Err(Diagnostic::error(
                "Provider configuration interrupted",
                "Terraform was interrupted while the provider was being configured (loading \
                 credentials, or the STS GetCallerIdentity call that checks them, was in flight). \
                 Nothing was changed.",
            )),
        };
        match outcome {
            Ok(clients) => self.state.set(clients),
            Err(d) => diags.push(d),
        }
        diags
    }
}

/// Builds the SDK configuration, learns the caller's identity and assembles the clients.
async fn configure(
    cfg: &ProviderConfig,
    diags: &mut Diagnostics,
) -> Result<AwsClients, Diagnostic> {
    secrets::register_configured(cfg);
    let sdk = sdk::build(cfg, diags).await?;
    let identity = if cfg.skip_credentials_validation && cfg.skip_requesting_account_id {
        identity::Identity {
            account_id: None,
            partition: identity::partition_for_region(&sdk.region).to_string(),
        }
    } else {
        match identity::caller_identity(&sdk.sts()).await {
            Ok(id) => id,
            // Only the account id was wanted: go on without it, as the Go provider does.
            Err(e) if cfg.skip_credentials_validation => {
                diags.push(Diagnostic::warning(
                    "Could not get the AWS account id",
                    format!("STS GetCallerIdentity failed; continuing without the account id: {e}"),
                ));
                identity::Identity {
                    account_id: None,
                    partition: identity::partition_for_region(&sdk.region).to_string(),
                }
            }
            Err(e) => {
                return Err(Diagnostic::error(
                    "Invalid AWS credentials",
                    format!(
                    "Validating the credentials with STS GetCallerIdentity (region {}) failed: {e}",
                    sdk.sts_region
                ),
                ))
            }
        }
    };
    let account_id = if cfg.skip_requesting_account_id {
        None
    } else {
        identity.account_id
    };
    identity::check_account(
        account_id.as_deref(),
        &cfg.allowed_account_ids,
        &cfg.forbidden_account_ids,
    )?;
    tracing::debug!(region = %sdk.region, partition = %identity.partition, "AWS provider configured");
    Ok(AwsClients {
        region: sdk.region,
        partition: identity.partition,
        account_id,
        default_tags: cfg.default_tags.clone(),
        ignore_tags: cfg.ignore_tags.clone(),
        skip_region_validation: cfg.skip_region_validation,
        sdk_config: sdk.config,
        ec2_endpoint: sdk.ec2_endpoint,
        kms_endpoint: sdk.kms_endpoint,
        tuning: sdk.tuning,
        ec2_clients: Mutex::new(Default::default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::Provider;

    fn block(pairs: Vec<(&str, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    async fn configure(p: &AwsProvider, config: Value) -> Diagnostics {
        let req = ConfigureRequest {
            terraform_version: "1.15.5".into(),
            config,
        };
        p.configure(&Context::default(), req).await
    }

    #[tokio::test]
    async fn configures_offline_when_sts_is_skipped() {
        let p = AwsProvider::new();
        assert!(
            p.state.clients().is_err(),
            "nothing is configured before ConfigureProvider"
        );
        let d = configure(
            &p,
            block(vec![
                ("region", Value::string("us-gov-west-1")),
                ("access_key", Value::string("AKIDUNIT")),
                ("secret_key", Value::string("unit-secret")),
                ("skip_credentials_validation", Value::Bool(true)),
                ("skip_requesting_account_id", Value::Bool(true)),
                (
                    "default_tags",
                    Value::List(vec![block(vec![(
                        "tags",
                        Value::string_map([("Env", "t")]),
                    )])]),
                ),
                (
                    "ignore_tags",
                    Value::List(vec![block(vec![(
                        "keys",
                        Value::List(vec![Value::string("X")]),
                    )])]),
                ),
            ]),
        )
        .await;
        assert!(!d.has_errors(), "{d:?}");
        let c = p.state.clients().expect("configured");
        assert_eq!(c.region, "us-gov-west-1");
        assert_eq!(c.partition, "aws-us-gov");
        assert_eq!(c.account_id, None);
        assert_eq!(c.default_tags.get("Env").map(String::as_str), Some("t"));
        assert!(c.ignore_tags.ignores("X"));
    }

    #[tokio::test]
    async fn invalid_block_is_refused_before_any_work() {
        let p = AwsProvider::new();
        let d = configure(&p, block(vec![("retry_mode", Value::string("sometimes"))])).await;
        assert!(d.has_errors());
        assert!(p.state.clients().is_err());
    }

    #[tokio::test]
    async fn allowed_accounts_need_the_account_id() {
        let p = AwsProvider::new();
        let d = configure(
            &p,
            block(vec![
                ("region", Value::string("us-east-1")),
                ("access_key", Value::string("AKIDUNIT")),
                ("secret_key", Value::string("unit-secret")),
                ("skip_credentials_validation", Value::Bool(true)),
                ("skip_requesting_account_id", Value::Bool(true)),
                (
                    "allowed_account_ids",
                    Value::List(vec![Value::string("123456789012")]),
                ),
            ]),
        )
        .await;
        assert!(d.has_errors());
        assert!(format!("{d:?}").contains("allowed_account_ids"));
    }
}
