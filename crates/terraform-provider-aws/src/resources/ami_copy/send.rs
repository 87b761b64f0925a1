//! Sending CopyImage under a copy's token, every attempt recorded in its [`Attempts`].
//!
//! The SDK retries a failed attempt by itself and reports only the last one; an earlier attempt
//! may have been served although its answer was lost. So each attempt is recorded as it happens
//! (an interceptor on the call): when it left, when it ended and what came back. A call abandoned
//! by Ctrl-C or the deadline leaves its attempt open: it is closed as unknown, since the request
//! may still be carried out.

use super::lifecycle::asked_tags;
use super::model::AmiCopyState;
use super::ownership::{Attempts, CopyRequest, Outcome, Send};
use crate::ec2::call::{bounded, CallError};
use crate::ec2::errors::{describe_sdk_error, is_throttle_code};
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::operation::copy_image::builders::CopyImageFluentBuilder;
use aws_sdk_ec2::operation::copy_image::{CopyImageError, CopyImageOutput};
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::sync::{Arc, Mutex};
use tfplugin::Context;
use time::OffsetDateTime;

impl CopyRequest {
    /// The request a planned copy makes: every argument the configuration gives, and the tags at
    /// birth for the image and its snapshots (the provider's default tags merged in).
    pub fn of(clients: &AwsClients, planned: &AmiCopyState) -> CopyRequest {
        CopyRequest {
            name: planned.name.clone().unwrap_or_default(),
            source_image_id: planned.source_ami_id.clone().unwrap_or_default(),
            source_region: planned.source_ami_region.clone().unwrap_or_default(),
            description: planned.description.clone().unwrap_or_default(),
            encrypted: planned.encrypted.unwrap_or(false),
            kms_key_id: set(&planned.kms_key_id),
            destination_outpost_arn: set(&planned.destination_outpost_arn),
            destination_availability_zone: set(&planned.destination_availability_zone),
            snapshot_copy_completion_duration_minutes: planned
                .snapshot_copy_completion_duration_minutes
                .and_then(|m| i32::try_from(m).ok()),
            copy_image_tags: planned.copy_tags == Some(true),
            tags: asked_tags(clients, planned).into_iter().collect(),
        }
    }

    /// This request for `region`, without its ClientToken (the plan-time dry run sends it so).
    pub fn builder(&self, clients: &AwsClients, region: &str) -> CopyImageFluentBuilder {
        let mut req = clients
            .ec2(region)
            .copy_image()
            .name(&self.name)
            .source_image_id(&self.source_image_id)
            .source_region(&self.source_region)
            .encrypted(self.encrypted)
            // Always sent, "" when unset (as the Go provider does): without it EC2 gives the copy
            // the source's description, which the configuration does not have.
            .description(&self.description)
            .set_kms_key_id(self.kms_key_id.clone())
            .set_destination_outpost_arn(self.destination_outpost_arn.clone())
            .set_destination_availability_zone(self.destination_availability_zone.clone())
            .set_snapshot_copy_completion_duration_minutes(
                self.snapshot_copy_completion_duration_minutes
                    .map(i64::from),
            );
        if self.copy_image_tags {
            req = req.copy_image_tags(true);
        }
        if !self.tags.is_empty() {
            req = req
                .tag_specifications(self.tag_spec(ResourceType::Image))
                .tag_specifications(self.tag_spec(ResourceType::Snapshot));
        }
        req
    }

    fn tag_spec(&self, kind: ResourceType) -> TagSpecification {
        let mut spec = TagSpecification::builder().resource_type(kind);
        for (k, v) in &self.tags {
            spec = spec.tags(Tag::builder().key(k).value(v).build());
        }
        spec.build()
    }

    /// The parameters that differ from `other`, by name ("description", "tags").
    pub fn differences(&self, other: &CopyRequest) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut differ = |name: &'static str, same: bool| {
            if !same {
                out.push(name);
            }
        };
        differ("name", self.name == other.name);
        differ(
            "source_ami_id",
            self.source_image_id == other.source_image_id,
        );
        differ(
            "source_ami_region",
            self.source_region == other.source_region,
        );
        differ("description", self.description == other.description);
        differ("encrypted", self.encrypted == other.encrypted);
        differ("kms_key_id", self.kms_key_id == other.kms_key_id);
        differ(
            "destination_outpost_arn",
            self.destination_outpost_arn == other.destination_outpost_arn,
        );
        differ(
            "destination_availability_zone",
            self.destination_availability_zone == other.destination_availability_zone,
        );
        differ(
            "snapshot_copy_completion_duration_minutes",
            self.snapshot_copy_completion_duration_minutes
                == other.snapshot_copy_completion_duration_minutes,
        );
        differ("copy_tags", self.copy_image_tags == other.copy_image_tags);
        differ("tags", self.tags == other.tags);
        out
    }
}

fn set(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.is_empty())
}

/// Which retry policy a send uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// The client's own (the provider's `max_retries`): the first send of a create.
    Full,
    /// A re-send while resolving: a few quick attempts (a throttle or a 5xx gets another
    /// chance, as it must for a destroy to prove its copy), each attempt short, all within the
    /// resolution's own bound.
    Short,
}

/// Sends `attempts`' request under its token, recording each attempt. Ok with the image id EC2
/// answered; Err with what went wrong, in words, when no answer named one (the record says
/// whether anything may have been made).
pub async fn send(
    clients: &AwsClients,
    ctx: &Context,
    attempts: &mut Attempts,
    policy: Policy,
) -> Result<String, String> {
    let log = SendLog::default();
    let req = attempts
        .request
        .builder(clients, &attempts.region)
        .client_token(&attempts.token)
        .customize()
        .interceptor(log.clone());
    let req = match policy {
        Policy::Full => req,
        Policy::Short => req.config_override(resend_config()),
    };
    let what = format!("CopyImage of {}", attempts.request.source_image_id);
    let result = bounded(ctx, what, req.send()).await;
    let abandoned = match &result {
        Err(e) => e.why_abandoned(),
        Ok(_) => None,
    };
    attempts.sends.extend(log.finish(abandoned.as_deref()));
    match result {
        Ok(out) => match out.image_id().filter(|id| !id.is_empty()) {
            Some(id) => Ok(id.to_string()),
            None => Err("EC2 answered without an image id".to_string()),
        },
        Err(CallError::Failed(e)) => Err(describe_sdk_error(&e)),
        Err(e) => Err(e.why_abandoned().unwrap_or_default()),
    }
}

/// The re-send's policy: up to [`RESEND_ATTEMPTS`] attempts of at most 5 s each, backing off from
/// 200 ms; the resolution's bound (15 s, 5 s after Ctrl-C) cuts it shorter.
fn resend_config() -> aws_sdk_ec2::config::Builder {
    use aws_smithy_types::retry::RetryConfig;
    use aws_smithy_types::timeout::TimeoutConfig;
    use std::time::Duration;
    aws_sdk_ec2::config::Builder::default()
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(RESEND_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(200)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(5))
                .build(),
        )
}

/// Four attempts: a backend throttling one call in five throttles all four one time in 625.
pub const RESEND_ATTEMPTS: u32 = 4;

/// What one attempt's answer says of it.
pub fn classify(
    status: Option<u16>,
    code: Option<&str>,
    message: Option<&str>,
    answered_id: Option<&str>,
    failure: &str,
) -> Outcome {
    if let Some(id) = answered_id.filter(|id| !id.is_empty()) {
        return Outcome::Answered {
            image_id: id.to_string(),
        };
    }
    match (status, code) {
        // EC2 refused it: a client error, or "slow down" (a throttled request is not carried
        // out).
        (Some(s), Some(code)) if (400..500).contains(&s) || is_throttle_code(code) => {
            Outcome::Refused {
                code: code.to_string(),
                message: message.unwrap_or_default().to_string(),
            }
        }
        // A 5xx, an answer without a code or without an id, no answer at all: it may have been
        // carried out.
        _ => Outcome::Unknown {
            why: failure.to_string(),
        },
    }
}

/// The attempts of one call, as the SDK makes them.
#[derive(Clone, Debug, Default)]
struct SendLog(Arc<Mutex<Vec<Open>>>);

#[derive(Debug)]
struct Open {
    sent: OffsetDateTime,
    ended: Option<(OffsetDateTime, Outcome)>,
}

impl SendLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Open>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The recorded sends; one still open (the SDK gave up on it, or the call was abandoned)
    /// ends now, unknown.
    fn finish(&self, abandoned: Option<&str>) -> Vec<Send> {
        let now = OffsetDateTime::now_utc();
        let why = abandoned.unwrap_or("no answer came before the call ended");
        self.lock()
            .drain(..)
            .map(|open| {
                let (ended, outcome) = open.ended.unwrap_or_else(|| {
                    (
                        now,
                        Outcome::Unknown {
                            why: why.to_string(),
                        },
                    )
                });
                Send {
                    sent: open.sent,
                    ended,
                    outcome,
                }
            })
            .collect()
    }
}

impl Intercept for SendLog {
    fn name(&self) -> &'static str {
        "CopyImageSendLog"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let now = OffsetDateTime::now_utc();
        let mut sends = self.lock();
        // An attempt the SDK abandoned (its attempt timeout) never reports its end.
        for open in sends.iter_mut().filter(|o| o.ended.is_none()) {
            open.ended = Some((
                now,
                Outcome::Unknown {
                    why: "no answer within the attempt timeout".to_string(),
                },
            ));
        }
        sends.push(Open {
            sent: now,
            ended: None,
        });
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let now = OffsetDateTime::now_utc();
        let status = context.response().map(|r| r.status().as_u16());
        let outcome = match context.output_or_error() {
            Some(Ok(out)) => {
                let id = out
                    .downcast_ref::<CopyImageOutput>()
                    .and_then(|o| o.image_id());
                classify(status, None, None, id, "EC2 answered without an image id")
            }
            Some(Err(err)) => {
                let op = err
                    .as_operation_error()
                    .and_then(|e| e.downcast_ref::<CopyImageError>());
                let failure = match op {
                    Some(op) => op.meta().to_string(),
                    None => err.to_string(),
                };
                classify(
                    status,
                    op.and_then(|e| e.code()),
                    op.and_then(|e| e.message()),
                    None,
                    &failure,
                )
            }
            None => classify(status, None, None, None, "no answer"),
        };
        if let Some(open) = self.lock().iter_mut().rev().find(|o| o.ended.is_none()) {
            open.ended = Some((now, outcome));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_answer_is_classified() {
        let c = |status, code, id| classify(status, code, Some("m"), id, "lost");
        assert_eq!(
            c(Some(200), None, Some("ami-1")),
            Outcome::Answered {
                image_id: "ami-1".into()
            }
        );
        assert!(matches!(c(Some(200), None, None), Outcome::Unknown { .. }));
        assert!(matches!(
            c(Some(400), Some("InvalidAMIName.Duplicate"), None),
            Outcome::Refused { code, .. } if code == "InvalidAMIName.Duplicate"
        ));
        assert!(matches!(
            c(Some(401), Some("AuthFailure"), None),
            Outcome::Refused { .. }
        ));
        assert!(matches!(
            c(Some(503), Some("RequestLimitExceeded"), None),
            Outcome::Refused { .. }
        ));
        assert!(matches!(
            c(Some(500), Some("InternalError"), None),
            Outcome::Unknown { .. }
        ));
        assert!(matches!(
            c(Some(503), Some("Unavailable"), None),
            Outcome::Unknown { .. }
        ));
        assert!(matches!(c(Some(500), None, None), Outcome::Unknown { .. }));
        assert!(matches!(c(None, None, None), Outcome::Unknown { why } if why == "lost"));
    }

    #[test]
    fn an_open_attempt_ends_unknown() {
        let log = SendLog::default();
        log.lock().push(Open {
            sent: OffsetDateTime::now_utc(),
            ended: None,
        });
        let sends = log.finish(Some("Terraform was interrupted while it was in flight"));
        assert_eq!(sends.len(), 1);
        assert!(
            matches!(&sends[0].outcome, Outcome::Unknown { why } if why.contains("interrupted"))
        );
        assert!(log.finish(None).is_empty(), "drained");
    }

    #[test]
    fn differences_name_the_parameters() {
        let a = CopyRequest {
            name: "n".into(),
            description: "d1".into(),
            ..Default::default()
        };
        let mut b = a.clone();
        assert!(a.differences(&b).is_empty());
        b.description = "d2".into();
        b.tags.insert("k".into(), "v".into());
        assert_eq!(a.differences(&b), vec!["description", "tags"]);
    }
}
