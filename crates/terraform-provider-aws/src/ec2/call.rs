//! One EC2 call made on behalf of a Terraform operation, bounded twice over: by the client's own
//! timeouts (see `provider::sdk::timeout_config`) and by the operation, which abandons the call
//! when Terraform asks the provider to stop (Ctrl-C) or when what is left of the resource's
//! `timeouts` runs out. Abandoning means dropping the request future: the connection is closed
//! and the answer, if one ever comes, is not read, so EC2 may or may not have done what was asked.

use super::errors::describe_sdk_error;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use std::future::Future;
use std::time::Duration;
use tfplugin::Context;

/// Why a bounded call did not come back with an answer. `X` is the call's own error: an SDK
/// error for one EC2 call, a message for a batched read.
#[derive(Debug)]
pub enum CallError<X> {
    /// The call failed by itself: EC2 answered with an error, or the SDK gave up (its own
    /// timeouts, connection failures).
    Failed(X),
    /// Terraform asked the provider to stop while the call was in flight.
    Interrupted { what: String },
    /// The operation's time limit ran out while the call was in flight.
    TimedOut {
        what: String,
        /// How long the call had been in flight.
        after: Duration,
        /// The limit as configured and its name (`update` for `timeouts { update }`).
        limit: Duration,
        name: &'static str,
    },
}

/// `fut` (an SDK `send()`, or any call), abandoned as soon as `ctx.stop` is cancelled or `ctx`'s
/// deadline passes. `what` names the call for messages ("DeregisterImage ami-0123").
pub async fn bounded<T, X>(
    ctx: &Context,
    what: impl Into<String>,
    fut: impl Future<Output = Result<T, X>>,
) -> Result<T, CallError<X>> {
    if ctx.stop.is_cancelled() {
        return Err(CallError::Interrupted { what: what.into() });
    }
    let started = tokio::time::Instant::now();
    let deadline = ctx.deadline;
    let expired = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d.at)).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        // Stop first: after Ctrl-C nothing else matters.
        biased;
        _ = ctx.stop.cancelled() => Err(CallError::Interrupted { what: what.into() }),
        r = fut => r.map_err(CallError::Failed),
        _ = expired => {
            let (limit, name) = deadline.map(|d| (d.limit, d.name)).unwrap_or_default();
            Err(CallError::TimedOut { what: what.into(), after: started.elapsed(), limit, name })
        }
    }
}

impl<X> CallError<X> {
    /// Why the call was abandoned, in a few words ("Terraform was interrupted while it was in
    /// flight"); `None` when it failed by itself.
    pub fn why_abandoned(&self) -> Option<String> {
        match self {
            CallError::Failed(_) => None,
            CallError::Interrupted { .. } => {
                Some("Terraform was interrupted while it was in flight".to_string())
            }
            CallError::TimedOut {
                after, limit, name, ..
            } => Some(format!(
                "no answer in {}, when timeouts {{ {name} = \"{}\" }} ran out",
                short_duration(*after),
                short_duration(*limit),
            )),
        }
    }

    /// One line for a diagnostic; `failed` words the call's own error.
    pub fn message(&self, failed: impl FnOnce(&X) -> String) -> String {
        match self {
            CallError::Failed(x) => failed(x),
            CallError::Interrupted { what } => format!(
                "Terraform was interrupted while {what} was in flight; the provider stopped \
                 waiting for its answer{}",
                unknown_effect(what)
            ),
            CallError::TimedOut {
                what,
                after,
                limit,
                name,
            } => format!(
                "{what} got no answer in {}, when timeouts {{ {name} = \"{}\" }} ran out{}",
                short_duration(*after),
                short_duration(*limit),
                unknown_effect(what)
            ),
        }
    }
}

impl<E> CallError<SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    /// One line for a diagnostic (EC2's code and message when EC2 answered).
    pub fn describe(&self) -> String {
        self.message(describe_sdk_error)
    }

    /// `"{call}: {EC2's error}"` when the call failed by itself; the interruption or timeout,
    /// which names the call already, otherwise.
    pub fn detail(&self, call: impl std::fmt::Display) -> String {
        self.message(|e| format!("{call}: {}", describe_sdk_error(e)))
    }
}

impl CallError<String> {
    /// One line for a diagnostic.
    pub fn describe(&self) -> String {
        self.message(String::clone)
    }
}

/// What an abandoned call may have done: nothing for a read (EC2's Describe and Get actions
/// change nothing), anything for the others.
fn unknown_effect(what: &str) -> &'static str {
    if what.starts_with("Describe") || what.starts_with("Get") {
        ""
    } else {
        ", so EC2 may or may not have carried it out"
    }
}

/// `20s`, `1m30s`, `2h0m5s`; under a second as `0.4s`.
pub fn short_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match (secs / 3600, (secs % 3600) / 60, secs % 60) {
        (0, 0, 0) => format!("{:.1}s", d.as_secs_f64()),
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, m, s) => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::operation::create_tags::CreateTagsError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    type Sent = Result<(), SdkError<CreateTagsError, HttpResponse>>;
    type SdkCallError<E> = CallError<SdkError<E, HttpResponse>>;

    fn refused() -> SdkError<CreateTagsError, HttpResponse> {
        SdkError::service_error(
            CreateTagsError::generic(ErrorMetadata::builder().code("InvalidParameter").build()),
            HttpResponse::new(StatusCode::try_from(400).expect("status"), SdkBody::empty()),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_that_answers_is_passed_through() {
        let ctx = Context::default().with_timeout("update", Duration::from_secs(20));
        let answered: Result<u8, SdkError<CreateTagsError, HttpResponse>> = Ok(7);
        let r = bounded(&ctx, "CreateTags ami-1", async { answered }).await;
        assert!(matches!(r, Ok(7)));
        let r: Result<(), SdkCallError<CreateTagsError>> =
            bounded(&ctx, "CreateTags ami-1", async { Err(refused()) }).await;
        let e = r.expect_err("refused");
        assert_eq!(e.why_abandoned(), None, "EC2 answered");
        assert!(matches!(e, CallError::Failed(_)));
        assert!(e.describe().starts_with("InvalidParameter"), "{e:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_call_ends_at_the_deadline() {
        let ctx = Context::default().with_timeout("update", Duration::from_millis(200));
        let hang = std::future::pending::<Sent>();
        let e = bounded(&ctx, "CreateTags ami-1", hang)
            .await
            .expect_err("timed out");
        assert!(e.why_abandoned().is_some());
        match &e {
            CallError::TimedOut { after, name, .. } => {
                assert!(*after >= Duration::from_millis(150), "{after:?}");
                assert_eq!(*name, "update");
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    #[test]
    fn a_timeout_names_the_call_and_the_limit() {
        let e: SdkCallError<CreateTagsError> = CallError::TimedOut {
            what: "CreateTags on ami-1".into(),
            after: Duration::from_millis(20_300),
            limit: Duration::from_secs(20),
            name: "update",
        };
        let text = e.describe();
        assert!(
            text.contains("CreateTags on ami-1 got no answer in 20s")
                && text.contains("timeouts { update = \"20s\" }"),
            "{text}"
        );
        assert_eq!(
            e.why_abandoned().as_deref(),
            Some("no answer in 20s, when timeouts { update = \"20s\" } ran out")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stop_abandons_the_call_at_once() {
        let ctx = Context::default();
        let stop = ctx.stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            stop.cancel();
        });
        // The call never answers: returning at all is the stop's doing.
        let e = bounded(
            &ctx,
            "DeregisterImage ami-1",
            std::future::pending::<Sent>(),
        )
        .await
        .expect_err("interrupted");
        assert!(matches!(e, CallError::Interrupted { .. }));
        assert_eq!(
            e.why_abandoned().as_deref(),
            Some("Terraform was interrupted while it was in flight")
        );
        assert!(e
            .describe()
            .contains("interrupted while DeregisterImage ami-1 was in flight"));
        // Already stopped: the call is not even started.
        let answered: Sent = Ok(());
        let e = bounded(&ctx, "x", async { answered }).await;
        assert!(matches!(e, Err(CallError::Interrupted { .. })));
    }

    #[test]
    fn only_calls_that_change_something_have_an_unknown_effect() {
        let said = |what: &str| {
            let e: CallError<String> = CallError::Interrupted { what: what.into() };
            e.describe()
        };
        assert!(said("DeregisterImage ami-1").ends_with("may or may not have carried it out"));
        assert!(said("DescribeImages of ami-1").ends_with("stopped waiting for its answer"));
    }

    #[test]
    fn durations_read_like_terraform_timeouts() {
        assert_eq!(short_duration(Duration::from_secs(20)), "20s");
        assert_eq!(short_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(short_duration(Duration::from_secs(7205)), "2h0m5s");
        assert_eq!(short_duration(Duration::from_millis(400)), "0.4s");
    }
}
