//! Refresh: the copy as EC2 describes it now, or null when it is gone.
//!
//! A copy recorded as pending may be one EC2 has just started and does not list yet (eventual
//! consistency: an apply interrupted right after CopyImage, then an immediate plan). Refresh
//! does not drop it at the first NotFound: it asks again for as long as the image waiter allows
//! a new copy to stay unlisted. If EC2 still does not list it, the copy is kept once more,
//! pending, with a warning, and the private data records when: Terraform forgetting a copy that
//! EC2 goes on making would cost a duplicate copy (or a failed apply on its name), while keeping
//! a copy that is really gone costs at most one apply, whose resume says it is gone. A later
//! refresh that finds it still unlisted removes it. Any other copy that is not listed is gone
//! at once, as in every Terraform provider.

use super::copy_state::Lifecycle;
use super::flatten::{observe, FlattenEnv};
use super::image_ops;
use super::model::{AmiCopyState, Cty};
use super::ownership::Status;
use super::private;
use super::schema::stored;
use crate::ec2::image_waiter::{wait_image, WaitError, WaitFor, NOT_FOUND_GRACE};
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::Image;
use tfplugin::{Context, Diagnostic, Diagnostics, Value};

/// What a refresh records: the state (null when the copy is gone), the private data and any
/// warning.
pub struct Refreshed {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub async fn read(
    clients: &AwsClients,
    ctx: &Context,
    current_value: &Value,
    private: &[u8],
) -> Result<Refreshed, Diagnostics> {
    let current = AmiCopyState::from_cty(current_value);
    let id = current.image_id();
    let unchanged = |diagnostics: Diagnostics| Refreshed {
        new_state: current_value.clone(),
        private: private.to_vec(),
        diagnostics,
    };
    if id.is_empty() {
        match super::create::recorded(clients, &current, private) {
            Some(a) if matches!(a.status(), Status::NothingMade(_)) => {
                // An apply proved that none of its requests made a copy: gone, so Terraform plans
                // a new one.
                tracing::info!(name = %a.request.name, "no copy was made; removing it from the state");
                return Ok(Refreshed {
                    new_state: Value::Null,
                    ..unchanged(Diagnostics::new())
                });
            }
            // Its copy's outcome is still unknown: only an apply, re-sending CopyImage with its
            // token, can resolve it. Kept as it is.
            Some(_) => return Ok(unchanged(Diagnostics::new())),
            None => {}
        }
        return Ok(Refreshed {
            new_state: Value::Null,
            ..unchanged(Diagnostics::new())
        });
    }
    let region = current.region_or(&clients.region);
    let read_error = |msg: String| -> Diagnostics {
        Diagnostic::error(
            "Cannot read AMI copy",
            // A failed read changes nothing.
            format!("Reading AMI {id} in {region} failed: {msg}. The state is left as it was."),
        )
        .into()
    };
    let pending = current.state == Some(Lifecycle::Pending);
    let image = match image_ops::describe_for_refresh(clients, ctx, region, id)
        .await
        .map_err(read_error)?
    {
        Some(i) => i,
        None if current.state == Some(Lifecycle::Deregistered)
            && !current.snapshot_ids().is_empty() =>
        {
            // A destroy left snapshots behind: keep them known so the next destroy deletes them.
            return Ok(unchanged(Diagnostics::new()));
        }
        None if pending && private::unlisted_since(private).is_none() => {
            match look_again(clients, ctx, region, id).await {
                Seen::Listed(i) => *i,
                Seen::Unknown => return Ok(unchanged(Diagnostics::new())),
                Seen::Error(msg) => return Err(read_error(msg)),
                Seen::Unlisted => {
                    let now = time::OffsetDateTime::now_utc().unix_timestamp();
                    return Ok(Refreshed {
                        private: private::with_unlisted_since(private, now),
                        ..unchanged(not_listed_yet(id).into())
                    });
                }
            }
        }
        None => {
            tracing::info!(
                image_id = id,
                "AMI copy is gone; removing it from the state"
            );
            let mut diagnostics = Diagnostics::new();
            if pending {
                diagnostics.push(forgotten(id, private::unlisted_since(private)));
            }
            return Ok(Refreshed {
                new_state: Value::Null,
                ..unchanged(diagnostics)
            });
        }
    };
    // Read once, then kept from the state: EC2 never changes an image's UEFI data.
    let uefi = if private::uefi_read(private) {
        None
    } else {
        image_ops::uefi_data(clients, ctx, region, &image).await
    };
    let uefi_known = image_ops::uefi_settled(clients, region, &uefi).await;
    let mut state = observe(&image, &current, uefi, &FlattenEnv::of(clients, region));
    // A copy recorded as pending (interrupted or timed out) stays pending until an apply has
    // resumed it and finished the create steps, even if EC2 finished copying meanwhile: only
    // that apply sets the deprecation and protection the configuration asks for.
    let failed = matches!(state.state, Some(Lifecycle::Failed(_)));
    if pending && !failed {
        state.state = Some(Lifecycle::Pending);
    }
    Ok(Refreshed {
        new_state: stored(state.to_cty()),
        private: if uefi_known {
            private::with_uefi_read(&private::without_unlisted(private))
        } else {
            private::without_unlisted(private)
        },
        diagnostics: Diagnostics::new(),
    })
}

/// What asking again for a pending copy found.
enum Seen {
    Listed(Box<Image>),
    /// Not listed for the whole grace.
    Unlisted,
    /// Interrupted (Ctrl-C) or out of time before an answer: the state stays as it was.
    Unknown,
    Error(String),
}

/// Asks again for `id` until EC2 lists it, for the grace the waiter gives a new copy (the same
/// shared poll loop, so concurrent refreshes still share their calls).
async fn look_again(clients: &AwsClients, ctx: &Context, region: &str, id: &str) -> Seen {
    // Any state will do: this only asks whether EC2 lists the image.
    let listed = WaitFor::matches(|_: &Image| true);
    // The waiter ends the wait itself once the grace is over; this only bounds a loop that
    // never answers.
    let bound = NOT_FOUND_GRACE * 3;
    match wait_image(clients, region, id, listed, bound, &ctx.stop).await {
        Ok(image) => Seen::Listed(Box::new(image)),
        Err(WaitError::NotFound { .. }) => Seen::Unlisted,
        // Listed, in a failure state: read it as it is.
        Err(WaitError::Failed { .. }) => {
            match image_ops::describe(clients, ctx, region, id).await {
                Ok(Some(i)) => Seen::Listed(Box::new(i)),
                Ok(None) => Seen::Unlisted,
                Err(msg) => Seen::Error(msg),
            }
        }
        Err(WaitError::Stopped { .. } | WaitError::Timeout { .. }) => Seen::Unknown,
        Err(e @ WaitError::Api(_)) => Seen::Error(e.to_string()),
    }
}

fn not_listed_yet(id: &str) -> Diagnostic {
    Diagnostic::warning(
        "Pending AMI copy not listed by EC2 yet",
        format!(
            "EC2 did not list the copy {id} within {}s. EC2 may list a new copy late, so it is \
             kept in the state as pending and its plan resumes waiting for it. If EC2 still does \
             not list it after that, the next refresh removes it from the state.",
            NOT_FOUND_GRACE.as_secs()
        ),
    )
}

fn forgotten(id: &str, since: Option<i64>) -> Diagnostic {
    let since = since
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .map(|t| format!(" since {t}"))
        .unwrap_or_default();
    Diagnostic::warning(
        "Pending AMI copy removed from the state",
        format!(
            "EC2 has not listed the copy {id}{since}: it is gone, and the plan makes a new copy."
        ),
    )
}
