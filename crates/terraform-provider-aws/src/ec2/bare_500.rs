//! Reads answered with HTTP 500 and no AWS error code. EC2 names every error it answers
//! (`InternalError`, `Unavailable`, ...); a bare 500 comes from a backend that does not implement
//! what was asked: moto answers a DescribeImages filter it lacks, or an attribute it does not
//! know, this way. The client's policy (up to 25 retries, back-off up to 20 s) would wait four
//! minutes for an answer that never comes, so on a read such an answer is retried only until
//! [`ATTEMPTS`] have failed so (about 7 s with the client's back-off of 1, 2 and 4 s at most),
//! and then reported as unanswered ([`describe`]). Errors with a code keep the client's policy.

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Attempts answered with a bare 500 before a read gives up.
pub const ATTEMPTS: u32 = 4;

/// Counts one operation call's bare-500 answers (an interceptor runs once per attempt, where a
/// classifier may run more than once) and stops its retries at [`ATTEMPTS`]. One instance per
/// call, hence [`limit`] at each call site; `E` is the operation's error type.
#[derive(Debug)]
struct Bare500Limit<E> {
    seen: Arc<AtomicU32>,
    attempts: u32,
    _error: PhantomData<fn() -> E>,
}

impl<E> Clone for Bare500Limit<E> {
    fn clone(&self) -> Self {
        Bare500Limit {
            seen: Arc::clone(&self.seen),
            attempts: self.attempts,
            _error: PhantomData,
        }
    }
}

/// Whether the attempt in `ctx` was answered with a bare 500.
fn bare<E>(ctx: &InterceptorContext) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    ctx.response().is_some_and(|r| r.status().as_u16() == 500)
        && ctx
            .output_or_error()
            .and_then(|r| r.err())
            .and_then(|e| e.as_operation_error())
            .and_then(|e| e.downcast_ref::<E>())
            .is_none_or(|e| e.code().is_none())
}

impl<E> Intercept for Bare500Limit<E>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn name(&self) -> &'static str {
        "bare HTTP 500 counter"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if bare::<E>(context.inner()) {
            self.seen.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

impl<E> ClassifyRetry for Bare500Limit<E>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        if bare::<E>(ctx) && self.seen.load(Ordering::SeqCst) >= self.attempts {
            RetryAction::RetryForbidden
        } else {
            // The other classifiers already call a 500 transient: retried with back-off.
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "bare HTTP 500 on a read"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// `config` (a per-call override) with the bare-500 limit for an operation whose error type is
/// `E`: `.customize().config_override(bare_500::limit::<DescribeImagesError>(Default::default()))`.
pub fn limit<E>(config: aws_sdk_ec2::config::Builder) -> aws_sdk_ec2::config::Builder
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    limit_after::<E>(config, ATTEMPTS)
}

/// [`limit`] for DescribeImages, the read most call sites make.
pub fn describe_images() -> aws_sdk_ec2::config::Builder {
    limit::<aws_sdk_ec2::operation::describe_images::DescribeImagesError>(Default::default())
}

/// [`limit`] after `attempts` bare 500s: 1 for an optional read, whose absence costs nothing.
pub fn limit_after<E>(
    config: aws_sdk_ec2::config::Builder,
    attempts: u32,
) -> aws_sdk_ec2::config::Builder
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let limit = Bare500Limit::<E> {
        seen: Arc::default(),
        attempts,
        _error: PhantomData,
    };
    config.interceptor(limit.clone()).retry_classifier(limit)
}

/// Whether `err` is a bare 500: an answer with no error code.
pub fn is_bare_500<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::ServiceError(ctx) => ctx.raw().status().as_u16() == 500 && err.code().is_none(),
        _ => false,
    }
}

/// What to say of a read that got only bare 500s: which endpoint, what was asked.
pub fn describe(endpoint: &str, action: &str, asked: &str) -> String {
    let asked = if asked.is_empty() {
        String::new()
    } else {
        format!(" {asked}")
    };
    format!(
        "the endpoint {endpoint} did not answer {action}{asked}: {ATTEMPTS} attempts got HTTP \
         500 with no error code, as a backend answers what it does not implement (EC2 itself \
         names its errors)"
    )
}

/// The endpoint EC2 calls go to in `region`, for [`describe`]: the configured one, else EC2's.
pub fn endpoint(clients: &crate::provider::clients::AwsClients, region: &str) -> String {
    clients
        .ec2_endpoint
        .clone()
        .unwrap_or_else(|| format!("EC2 in {region}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::operation::describe_images::DescribeImagesError;
    use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture};
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use std::sync::atomic::AtomicUsize;

    /// Answers every call with HTTP 500: bare, or with EC2's `InternalError`.
    #[derive(Clone, Debug)]
    struct Backend {
        calls: Arc<AtomicUsize>,
        coded: bool,
    }

    impl HttpConnector for Backend {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let status = StatusCode::try_from(500).expect("status");
            let body = if self.coded {
                "<Response><Errors><Error><Code>InternalError</Code><Message>x</Message></Error></Errors><RequestID>r</RequestID></Response>"
            } else {
                ""
            };
            HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::from(body))))
        }
    }

    async fn calls_until_it_gives_up(coded: bool) -> (usize, bool) {
        let backend = Backend {
            calls: Arc::default(),
            coded,
        };
        // Short back-off so that the test is quick; the count is what matters.
        let retry = aws_sdk_ec2::config::retry::RetryConfig::standard()
            .with_max_attempts(10)
            .with_initial_backoff(std::time::Duration::from_millis(1))
            .with_max_backoff(std::time::Duration::from_millis(2));
        let client = crate::ec2::fake_client::client_for(&backend, retry);
        let err = client
            .describe_images()
            .customize()
            .config_override(limit::<DescribeImagesError>(Default::default()))
            .send()
            .await
            .expect_err("every answer is a 500");
        (backend.calls.load(Ordering::SeqCst), is_bare_500(&err))
    }

    #[tokio::test]
    async fn a_bare_500_is_asked_four_times() {
        assert_eq!(
            calls_until_it_gives_up(false).await,
            (ATTEMPTS as usize, true)
        );
    }

    #[tokio::test]
    async fn an_ec2_error_keeps_the_clients_policy() {
        assert_eq!(calls_until_it_gives_up(true).await, (10, false));
    }

    #[test]
    fn the_report_names_the_endpoint_and_the_question() {
        let text = describe(
            "http://127.0.0.1:5000",
            "DescribeImages",
            "with filter block-device-mapping.volume-type",
        );
        assert!(text.contains("http://127.0.0.1:5000") && text.contains("volume-type"));
    }
}
