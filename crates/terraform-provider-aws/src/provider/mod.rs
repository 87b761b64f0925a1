//! The `provider "aws"` block: schema, validation, configuration into `AwsClients`.
//!
//! `AwsProvider::new` does no work at all: Terraform launches the plugin several times per run,
//! and everything AWS-related waits for ConfigureProvider.

mod assume;
pub mod clients;
pub mod config;
pub mod identity;
pub mod schema;
pub mod sdk;
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

    fn resources(&self) -> Vec<(String, Arc<dyn Resource>)> {
        crate::resources::all(self.state.clone())
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
        let outcome = tokio::select! {
            r = configure(&cfg, &mut diags) => r,
            _ = ctx.stop.cancelled() => Err(Diagnostic::error(
                "Provider configuration interrupted",
                "Terraform asked the provider to stop while it was configuring.",
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
        sdk_config: sdk.config,
        ec2_endpoint: sdk.ec2_endpoint,
        ec2_clients: Mutex::new(Default::default()),
    })
}
