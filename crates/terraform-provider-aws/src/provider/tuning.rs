//! Per-client settings the shared SDK configuration cannot carry: the `user_agent` products
//! appended to every request's User-Agent, and the retry token bucket's capacity
//! (`token_bucket_rate_limiter_capacity`). Applied to every EC2 and STS client.

use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Clone, Debug, Default)]
pub struct ClientTuning {
    /// The products joined by spaces, e.g. `my-tool/1.2 (team x)`.
    user_agent: Option<String>,
    retry_partition: Option<RetryPartition>,
}

impl ClientTuning {
    pub fn new(user_agent: &[String], token_bucket_capacity: Option<u32>) -> Self {
        let products: Vec<&str> = user_agent
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .collect();
        ClientTuning {
            user_agent: (!products.is_empty()).then(|| products.join(" ")),
            retry_partition: token_bucket_capacity.map(|capacity| {
                RetryPartition::custom("terraform-provider-aws")
                    .token_bucket(TokenBucket::new(capacity as usize))
                    .build()
            }),
        }
    }

    pub fn ec2(&self, mut b: aws_sdk_ec2::config::Builder) -> aws_sdk_ec2::config::Builder {
        if let Some(ua) = &self.user_agent {
            b = b.interceptor(AppendUserAgent(ua.clone()));
        }
        if let Some(p) = &self.retry_partition {
            b = b.retry_partition(p.clone());
        }
        b
    }

    pub fn sts(&self, mut b: aws_sdk_sts::config::Builder) -> aws_sdk_sts::config::Builder {
        if let Some(ua) = &self.user_agent {
            b = b.interceptor(AppendUserAgent(ua.clone()));
        }
        if let Some(p) = &self.retry_partition {
            b = b.retry_partition(p.clone());
        }
        b
    }
}

/// Appends the products after the SDK has written its own User-Agent (the header is not part of
/// the SigV4 signature, so changing it after signing is safe).
#[derive(Debug)]
struct AppendUserAgent(String);

impl Intercept for AppendUserAgent {
    fn name(&self) -> &'static str {
        "AppendUserAgent"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        let value = match headers.get("user-agent") {
            Some(sdk) => format!("{sdk} {}", self.0),
            None => self.0.clone(),
        };
        headers.insert("user-agent", value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_are_joined_and_blank_ones_dropped() {
        let t = ClientTuning::new(&["a/1".into(), " ".into(), "b/2 (c)".into()], None);
        assert_eq!(t.user_agent.as_deref(), Some("a/1 b/2 (c)"));
        assert!(t.retry_partition.is_none());
        let t = ClientTuning::new(&[], Some(10));
        assert!(t.user_agent.is_none() && t.retry_partition.is_some());
    }
}
