//! Reads of attributes the resource can live without (UEFI data today, any such call later).
//!
//! The client's retry policy (up to 25 retries with back-off up to 20 s) suits calls an apply
//! cannot do without. An optional read is different: when the backend cannot answer it (a
//! backend that does not implement the call answers 5xx, a missing permission, a timeout), the
//! attribute keeps its prior value and the apply goes on. So such a call gets its own short,
//! bounded retry and an overall time limit, and a failure is one warning line, not an error.

use super::errors::describe_sdk_error;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use std::time::Duration;

/// One retry: a dropped connection or a throttle gets a second chance, a backend that cannot
/// answer costs two quick calls, not twenty-six slow ones.
const MAX_ATTEMPTS: u32 = 2;
const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

/// The per-call override for an optional read:
/// `client.some_call()...customize().config_override(optional_read::config()).send()`.
pub fn config() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default()
        .retry_config(retry_config())
        .timeout_config(timeout_config())
}

/// The retry policy of an optional read, for clients of other services.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
}

/// The timeouts of an optional read, for clients of other services.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The value of an optional read, or `None` ("keep what you had") with one warning naming the
/// attribute, the image and why.
pub fn settle<T, E>(
    attribute: &str,
    image_id: &str,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Option<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(
                image_id,
                error = %describe_sdk_error(&e),
                "could not read {attribute}; keeping its previous value"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::operation::describe_image_attribute::DescribeImageAttributeError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    #[test]
    fn the_override_is_short_and_bounded() {
        let conf = config().build();
        let retry = conf.retry_config().expect("retry config");
        assert_eq!(retry.max_attempts(), MAX_ATTEMPTS);
        let timeouts = conf.timeout_config().expect("timeout config");
        assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
        assert_eq!(timeouts.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
    }

    #[test]
    fn a_failure_keeps_the_prior_value() {
        let err: SdkError<DescribeImageAttributeError, HttpResponse> = SdkError::service_error(
            DescribeImageAttributeError::generic(
                ErrorMetadata::builder().code("InternalError").build(),
            ),
            HttpResponse::new(StatusCode::try_from(500).expect("status"), SdkBody::empty()),
        );
        assert_eq!(settle::<u8, _>("uefi_data", "ami-1", Err(err)), None);
        assert_eq!(
            settle::<u8, DescribeImageAttributeError>("uefi_data", "ami-1", Ok(7)),
            Some(7)
        );
    }
}
