//! Once CopyImage has given an id, the state must carry it whatever happens next: a copy that
//! exists but is in no state is orphaned (Terraform forgets it, the next apply fails on its
//! name). A panic in the work after CopyImage, or a state that does not fit the schema (which
//! Terraform would never receive), is answered with the smallest true state instead: the id,
//! the arn, `pending` and the planned values.

use super::copy_state::Lifecycle;
use super::lifecycle::resume_hint;
use super::model::{AmiCopyState, Cty};
use super::schema::{schema, stored};
use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use tfplugin::{ApplyResponse, Diagnostic, Diagnostics, Value};

/// Runs `work` (everything after CopyImage) and makes sure its answer records `copy`.
pub async fn keep_id(
    copy: &AmiCopyState,
    private: &[u8],
    work: impl Future<Output = ApplyResponse>,
) -> ApplyResponse {
    let id = copy.image_id();
    let hint = || resume_hint(id, copy.name.as_deref().unwrap_or_default());
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(response) => match fits_schema(&response.new_state) {
            Ok(()) => response,
            Err(e) => {
                tracing::error!(image_id = %id, error = %e, "the state after the copy does not fit the schema");
                let mut diagnostics = response.diagnostics;
                diagnostics.push(Diagnostic::error(
                    "Cannot record the AMI copy as described",
                    format!(
                        "The state read for the copy {id} does not fit the resource schema ({e}); \
                         this is a bug in the provider. The copy is recorded as pending with \
                         its id.\n\n{}",
                        hint()
                    ),
                ));
                smallest_state(copy, private, diagnostics)
            }
        },
        Err(payload) => {
            let msg = panic_message(payload.as_ref());
            tracing::error!(image_id = %id, panic = %msg, "provider panicked after the copy started");
            let d = Diagnostic::error(
                "Provider crashed after the AMI copy started",
                format!(
                    "The provider panicked after CopyImage made {id}: {msg}. This is a bug in the \
                     provider. The copy is recorded as pending with its id.\n\n{}",
                    hint()
                ),
            );
            smallest_state(copy, private, d.into())
        }
    }
}

/// The id, the arn, `pending` and the planned values: what is known for sure once CopyImage has
/// answered.
fn smallest_state(copy: &AmiCopyState, private: &[u8], diagnostics: Diagnostics) -> ApplyResponse {
    let state = AmiCopyState {
        state: Some(Lifecycle::Pending),
        ..copy.clone()
    };
    ApplyResponse {
        new_state: stored(state.to_cty()),
        private: private.to_vec(),
        diagnostics,
    }
}

/// Whether Terraform can be sent `state` (the plugin server encodes it with the schema's type).
fn fits_schema(state: &Value) -> Result<(), String> {
    tfplugin::codec::msgpack::encode(state, &schema().block.implied_type()).map(|_| ())
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::Severity;

    fn copy() -> AmiCopyState {
        AmiCopyState {
            id: Some("ami-0123456789abcdef0".into()),
            arn: Some("arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0".into()),
            name: Some("copy".into()),
            source_ami_id: Some("ami-11111111".into()),
            state: Some(Lifecycle::Pending),
            ..Default::default()
        }
    }

    fn recorded(response: &ApplyResponse) -> AmiCopyState {
        assert!(fits_schema(&response.new_state).is_ok());
        AmiCopyState::from_cty(&response.new_state)
    }

    #[tokio::test]
    async fn a_panic_after_copy_image_still_records_the_id() {
        let response = keep_id(&copy(), b"token", async {
            panic!("boom in finish");
        })
        .await;
        let state = recorded(&response);
        assert_eq!(state.id.as_deref(), Some("ami-0123456789abcdef0"));
        assert_eq!(state.arn, copy().arn);
        assert_eq!(state.state, Some(Lifecycle::Pending));
        assert_eq!(state.source_ami_id.as_deref(), Some("ami-11111111"));
        assert_eq!(response.private, b"token");
        let d = &response.diagnostics.0[0];
        assert_eq!(d.severity, Severity::Error);
        assert!(d.detail.contains("boom in finish") && d.detail.contains("ami-0123456789abcdef0"));
        assert!(d.detail.contains("terraform untaint"), "{}", d.detail);
    }

    #[tokio::test]
    async fn a_state_that_cannot_be_encoded_gives_way_to_the_smallest_state() {
        let response = keep_id(&copy(), b"", async {
            ApplyResponse {
                new_state: Value::string("not an object"),
                private: vec![],
                diagnostics: Diagnostic::warning("kept", "").into(),
            }
        })
        .await;
        let state = recorded(&response);
        assert_eq!(state.id.as_deref(), Some("ami-0123456789abcdef0"));
        let summaries: Vec<&str> = response
            .diagnostics
            .0
            .iter()
            .map(|d| d.summary.as_str())
            .collect();
        assert_eq!(
            summaries,
            ["kept", "Cannot record the AMI copy as described"]
        );
    }

    #[tokio::test]
    async fn a_good_answer_passes_unchanged() {
        let mut finished = copy();
        finished.state = Some(Lifecycle::Available);
        let state = stored(finished.to_cty());
        let response = keep_id(&copy(), b"", async {
            ApplyResponse {
                new_state: state.clone(),
                private: b"p".to_vec(),
                diagnostics: Diagnostics::new(),
            }
        })
        .await;
        assert_eq!(response.new_state, state);
        assert_eq!(response.private, b"p");
        assert!(response.diagnostics.0.is_empty());
    }
}
