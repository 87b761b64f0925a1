//! For unit tests: an EC2 client whose HTTP calls go to an in-process fake.

use aws_sdk_ec2::config::retry::RetryConfig;
use aws_smithy_runtime_api::client::http::{http_client_fn, HttpConnector, SharedHttpConnector};

/// A client in region `us-test-1` with static test keys, answering through `fake`.
pub fn client_for<C>(fake: &C, retry: RetryConfig) -> aws_sdk_ec2::Client
where
    C: HttpConnector + Clone + 'static,
{
    let fake = fake.clone();
    let http = http_client_fn(move |_, _| SharedHttpConnector::new(fake.clone()));
    let conf = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_sdk_ec2::config::Region::new("us-test-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .http_client(http)
        .retry_config(retry)
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}
