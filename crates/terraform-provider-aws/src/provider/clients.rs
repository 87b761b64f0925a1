//! What a configured provider hands to its resources: AWS clients per region, the caller's
//! account and partition, and the provider-level tag settings.

use crate::tags::IgnoreTags;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub struct AwsClients {
    /// The provider's region (`region`, `AWS_REGION`, profile); a resource's default region.
    pub region: String,
    /// `aws`, `aws-cn`, `aws-us-gov`, ...: from STS (or derived from the region when skipped).
    pub partition: String,
    /// The caller's account id; `None` when `skip_requesting_account_id` is set.
    #[allow(dead_code)] // Part of the resources' interface; aws_ami_copy does not need it yet.
    pub account_id: Option<String>,
    /// `default_tags { tags }`.
    pub default_tags: BTreeMap<String, String>,
    /// `ignore_tags { keys, key_prefixes }`.
    pub ignore_tags: IgnoreTags,
    /// `skip_region_validation`: resources skip the region name shape check too.
    pub skip_region_validation: bool,
    /// The shared SDK configuration (credentials, retries, endpoints) the clients are built from.
    pub(crate) sdk_config: aws_types::SdkConfig,
    /// `endpoints { ec2 }` or `AWS_ENDPOINT_URL_EC2`, applied to every EC2 client.
    pub(crate) ec2_endpoint: Option<String>,
    /// `endpoints { kms }` or `AWS_ENDPOINT_URL_KMS`, for the KMS client.
    pub(crate) kms_endpoint: Option<String>,
    /// `user_agent` and the retry token bucket, applied to every EC2 client.
    pub(crate) tuning: super::tuning::ClientTuning,
    pub(crate) ec2_clients: Mutex<BTreeMap<String, aws_sdk_ec2::Client>>,
}

impl AwsClients {
    /// The EC2 client for `region` (built once per region and cached).
    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        let mut cache = self.ec2_clients.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(region.to_string())
            .or_insert_with(|| {
                let mut b = aws_sdk_ec2::config::Builder::from(&self.sdk_config)
                    .region(aws_types::region::Region::new(region.to_string()));
                if let Some(url) = &self.ec2_endpoint {
                    // An explicit endpoint wins over FIPS and dual-stack, as in the Go provider
                    // (the SDK would otherwise refuse the combination).
                    b = b.endpoint_url(url).use_fips(false).use_dual_stack(false);
                }
                aws_sdk_ec2::Client::from_conf(self.tuning.ec2(b).build())
            })
            .clone()
    }

    /// A KMS client for `region` (only the plan-time key check uses one), with the short
    /// retry policy of optional reads: a backend without KMS must not slow a plan.
    pub fn kms(&self, region: &str) -> aws_sdk_kms::Client {
        let mut b = aws_sdk_kms::config::Builder::from(&self.sdk_config)
            .region(aws_types::region::Region::new(region.to_string()))
            .retry_config(crate::ec2::optional_read::retry_config())
            .timeout_config(crate::ec2::optional_read::timeout_config());
        if let Some(url) = &self.kms_endpoint {
            b = b.endpoint_url(url).use_fips(false).use_dual_stack(false);
        }
        aws_sdk_kms::Client::from_conf(b.build())
    }
}

/// Shared by the provider and its resources: empty until ConfigureProvider succeeds.
#[derive(Default)]
pub struct ProviderState(tfplugin::Configured<AwsClients>);

impl ProviderState {
    pub fn set(&self, clients: AwsClients) {
        self.0.set(clients);
    }
    /// The configured clients, or tfplugin's "provider not configured" error.
    pub fn clients(&self) -> Result<Arc<AwsClients>, tfplugin::Diagnostics> {
        self.0.get()
    }
}
