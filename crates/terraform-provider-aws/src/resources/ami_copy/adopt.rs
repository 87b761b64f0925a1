//! A copy whose CopyImage gave no image id: find out, with proof, what became of it, from its
//! [`Attempts`] and one more send under the same token. Never take an image that is not proven
//! this instance's (`ownership`).
//!
//! - **A definite answer is final.** With no send of unknown outcome left, nothing of this
//!   instance's exists: a Duplicate names a holder that is someone else's (the error names it and
//!   says whether importing would keep it); nothing is adopted.
//! - **An unknown outcome** (a lost answer, a timeout, a connection failure, a 5xx, Ctrl-C or the
//!   deadline while CopyImage was in flight) is resolved by sending the request again with the
//!   same ClientToken and the same parameters: EC2 answers with the image the first request made,
//!   or makes it now; a Duplicate means no earlier send made one. This one re-send runs even
//!   after Ctrl-C or the deadline, bounded by [`RESOLVE_LIMIT`] (5 s once stopping, so that
//!   Ctrl-C still ends the CLI within seconds).
//! - **Still unknown** (the re-send lost or refused too): a create or the update that resolves a
//!   copy may adopt one image under the name made while an unknown send was in flight (the time
//!   window); a destroy never adopts by window. Otherwise the outcome stays unknown and the
//!   caller keeps the instance, its record in the state.
//! - **Older than the token's idempotency period**: no re-send (it could start a new copy), no
//!   window: the user resolves it, with the candidates named.

use super::ownership::{
    self, describe_holder, import_keeps, Attempts, Outcome, Proof, Status, Verdict, NAME_TAKEN,
};
use super::send::{send, Policy};
use crate::ec2::call::bounded;
use crate::ec2::errors::is_throttle_code;
use crate::ec2::server_clock::{DateHeader, Skew};
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::{Filter, Image};
use std::time::Duration;
use tfplugin::{Context, Diagnostic, Diagnostics};

/// The most resolving an unknown outcome may take; after Ctrl-C or the deadline,
/// [`RESOLVE_LIMIT_STOPPING`], so that the CLI still stops within seconds.
pub const RESOLVE_LIMIT: Duration = Duration::from_secs(15);
pub const RESOLVE_LIMIT_STOPPING: Duration = Duration::from_secs(5);

/// How long to look for a copy EC2 may not list yet (DescribeImages is eventually consistent):
/// the pauses between lookups, about 6 s in all.
const LOOKUP_PAUSES_MS: &[u64] = &[500, 1000, 1500, 3000];

const CONFIRMED: &str = "AMI copy confirmed after a lost answer";
const ADOPTED: &str = "Adopted an existing AMI copy";
pub const UNKNOWN: &str = "AMI copy outcome unknown";
const NAME_IN_USE: &str = "AMI name already in use";

/// What the caller will do with the copy once resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Keep it: a create, or the update that resolves a copy (adoption by token or window).
    Keep,
    /// Deregister it: a destroy of any kind (the token only).
    Destroy,
}

/// What became of a copy's requests.
#[derive(Debug)]
pub enum Resolution {
    /// This instance's copy, the proof, and warnings that say how it is known.
    Ours {
        id: String,
        proof: Proof,
        warnings: Diagnostics,
    },
    /// Nothing of this instance's exists: EC2 refused every send, or a Duplicate settled them.
    /// An error for a create or update, a warning for a destroy.
    NothingMade(Diagnostic),
    /// A destroy that cannot prove any image its own: EC2 is left as it is and the instance is
    /// dropped; the warning names what may be left and how to import it.
    Left(Diagnostic),
    /// Still not known: the caller keeps the instance with its record.
    Unknown(Diagnostic),
}

/// The context for resolving, given the operation's: not stopped by Ctrl-C at once, bounded by
/// [`RESOLVE_LIMIT`], or [`RESOLVE_LIMIT_STOPPING`] once the operation is stopping. A Ctrl-C
/// that comes during the resolution leaves it [`RESOLVE_LIMIT_STOPPING`] more, not the rest of
/// [`RESOLVE_LIMIT`]: then its own stop is cancelled, so that the CLI stops within seconds.
pub fn resolve_context(op: &Context) -> Context {
    let stopping = op.stop.is_cancelled() || op.remaining() == Some(Duration::ZERO);
    if stopping {
        return Context::default().with_timeout("create", RESOLVE_LIMIT_STOPPING);
    }
    let ctx = Context::default().with_timeout("create", RESOLVE_LIMIT);
    let (interrupted, own) = (op.stop.clone(), ctx.stop.clone());
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupted.cancelled() => {
                tokio::time::sleep(RESOLVE_LIMIT_STOPPING).await;
                own.cancel();
            }
            // Past its limit the resolution has ended anyway.
            _ = tokio::time::sleep(RESOLVE_LIMIT) => {}
        }
    });
    ctx
}

/// Resolves the copy `attempts` records; `failure` words what the last call came to. Re-sends
/// the request once (unless the record already decides), recording it in `attempts`.
pub async fn resolve(
    clients: &AwsClients,
    op: &Context,
    attempts: &mut Attempts,
    purpose: Purpose,
    failure: &str,
) -> Resolution {
    let ctx = &resolve_context(op);
    match attempts.status() {
        Status::Ours(id) => {
            let id = id.to_string();
            return ours_by_token(clients, ctx, attempts, id, failure).await;
        }
        Status::NothingMade(_) => return nothing_made(clients, ctx, attempts, purpose).await,
        Status::Unknown => {}
    }
    if attempts.expired(time::OffsetDateTime::now_utc()) {
        return too_old(clients, ctx, attempts, purpose).await;
    }
    tracing::info!(name = %attempts.request.name, why = %failure, "CopyImage outcome unknown; sending it again with the same ClientToken");
    let again = send(clients, ctx, attempts, Policy::Short).await;
    match attempts.status() {
        Status::Ours(id) => {
            let id = id.to_string();
            ours_by_token(clients, ctx, attempts, id, failure).await
        }
        Status::NothingMade(_) => nothing_made(clients, ctx, attempts, purpose).await,
        Status::Unknown => {
            let again = again.err().unwrap_or_default();
            let happened = format!(
                "CopyImage of {} was sent, but what became of it is not known ({failure}); sent \
                 again with the same ClientToken, it came to: {again}",
                attempts.request.source_image_id
            );
            match purpose {
                Purpose::Keep => by_window(clients, ctx, attempts, &happened).await,
                Purpose::Destroy => {
                    still_unknown_at_destroy(clients, ctx, attempts, &happened).await
                }
            }
        }
    }
}

/// EC2 answered the token with `id`. Other images under the name made while an unknown send was
/// in flight (a backend that ignores the token made one per send) are named, never touched.
async fn ours_by_token(
    clients: &AwsClients,
    ctx: &Context,
    attempts: &Attempts,
    id: String,
    failure: &str,
) -> Resolution {
    let mut warnings = Diagnostics::from(Diagnostic::warning(
        CONFIRMED,
        format!(
            "CopyImage's answer was lost ({failure}). Sent again with the same ClientToken, it was \
             answered with {id}, which is this resource's copy."
        ),
    ));
    if let Ok((images, skew)) = images_named(clients, ctx, attempts).await {
        let others: Vec<Image> = images
            .into_iter()
            .filter(|i| i.image_id() != Some(id.as_str()))
            .filter(|i| ownership::by_window(i, attempts, skew).is_ok())
            .collect();
        if !others.is_empty() {
            warnings.push(Diagnostic::warning(
                "Another image under the same name",
                format!(
                    "Besides {id}, {} under the name {:?} while a request of this resource whose \
                     answer was lost was in flight: the backend seems to ignore ClientToken, so \
                     that request may have made it. It is not in the state and nothing was done \
                     to it; deregister it if it is not someone else's.",
                    describe_all(&others),
                    attempts.request.name
                ),
            ));
        }
    }
    Resolution::Ours {
        id,
        proof: Proof::Token,
        warnings,
    }
}

/// Every send was refused, or a Duplicate settled them: nothing of this instance's exists.
async fn nothing_made(
    clients: &AwsClients,
    ctx: &Context,
    attempts: &Attempts,
    purpose: Purpose,
) -> Resolution {
    let last = attempts.sends.last();
    let (summary, detail) = match last.and_then(|s| s.refusal_code()) {
        Some(NAME_TAKEN) => (NAME_IN_USE, name_taken(clients, ctx, attempts).await),
        _ => (
            "Cannot copy AMI",
            format!(
                "CopyImage of {} was refused: {}",
                attempts.request.source_image_id,
                last.map(refusal)
                    .unwrap_or_else(|| "it was never sent".to_string())
            ),
        ),
    };
    match purpose {
        Purpose::Keep => Resolution::NothingMade(Diagnostic::error(summary, detail)),
        Purpose::Destroy => Resolution::NothingMade(Diagnostic::warning(
            "No AMI copy to destroy",
            format!(
                "This resource was recorded without an image id. Sending its CopyImage again with \
                 its ClientToken showed that no copy of its own exists, so nothing was deregistered: \
                 {detail}"
            ),
        )),
    }
}

/// The words for a Duplicate: the holder, why it is not this instance's, and what would take it
/// over on purpose (importing keeps it only if it is a copy of the same source).
async fn name_taken(clients: &AwsClients, ctx: &Context, attempts: &Attempts) -> String {
    let request = &attempts.request;
    let said = attempts.sends.last().map(refusal).unwrap_or_default();
    let happened = format!(
        "CopyImage of {} was answered {said}. EC2 answers a request sent again with its \
         ClientToken with the image the first one made, so no request of this resource made \
         that image",
        request.source_image_id
    );
    let (holders, skew) = match images_named(clients, ctx, attempts).await {
        Ok(found) => found,
        Err(e) => {
            return format!("{happened}. Looking for the image holding the name failed: {e}.")
        }
    };
    let Some(holder) = holders.first() else {
        return format!(
            "{happened}. The image holding the name is not listed among the account's images in {}.",
            attempts.region
        );
    };
    let id = holder.image_id().unwrap_or("ID");
    let advice = if import_keeps(holder, &request.source_image_id, &request.source_region) {
        format!(
            "Choose another name, or deregister that image, or take it over on purpose with an \
             import block:\n\n{}\n\nor `{}`",
            import_block(clients, attempts, id),
            import_command(clients, attempts, id)
        )
    } else {
        format!(
            "Choose another name, or deregister that image. Importing it would not keep it: it is \
             not a copy of {} from {}, so the next plan would replace it",
            request.source_image_id, request.source_region
        )
    };
    let mut text = format!(
        "{happened}. The name {:?} is held by {}, which is left as it is. {advice}. A \
         create_before_destroy replacement needs a new name: AMI names are unique in a region.",
        request.name,
        describe_all(&holders)
    );
    if holders
        .iter()
        .any(|h| made_during_a_settled_send(h, attempts, skew))
    {
        text.push_str(
            " (It was created while an earlier request of this resource, whose answer was lost, \
             was in flight. On an endpoint that ignores ClientToken, as some emulators do, it may \
             be that request's copy: if so, import it.)",
        );
    }
    text
}

/// Whether `image` was created while a send that a later Duplicate settled was in flight: on a
/// backend that honours the token it is someone else's, on one that ignores it it may be ours.
fn made_during_a_settled_send(image: &Image, attempts: &Attempts, skew: Option<Skew>) -> bool {
    let unknown_sends = attempts
        .sends
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Unknown { .. }));
    let as_if_unsettled = Attempts {
        sends: unknown_sends.cloned().collect(),
        ..attempts.clone()
    };
    ownership::by_window(image, &as_if_unsettled, skew).is_ok()
}

/// The account's images under the name, judged by the time window: one proven copy is adopted;
/// otherwise the outcome stays unknown.
async fn by_window(
    clients: &AwsClients,
    ctx: &Context,
    attempts: &Attempts,
    happened: &str,
) -> Resolution {
    let unknown = |text: String| Resolution::Unknown(Diagnostic::error(UNKNOWN, text));
    match look_up(clients, ctx, attempts).await {
        Ok(Verdict::One(image, proof)) => {
            if let Err(why) =
                ownership::allow(ownership::Path::Create, ownership::Act::Adopt, &proof)
            {
                return unknown(format!("{happened}. {why}"));
            }
            let id = image.image_id().unwrap_or_default().to_string();
            let warning = Diagnostic::warning(
                ADOPTED,
                format!(
                    "{happened}. {} is this resource's copy: {}. It is recorded in the state as \
                     this resource.",
                    describe_holder(&image),
                    proof.describe()
                ),
            );
            Resolution::Ours {
                id,
                proof,
                warnings: warning.into(),
            }
        }
        Ok(Verdict::Several(images)) => unknown(format!(
            "{happened}. Several images could be this resource's copy, so none was adopted: {}. \
             Import the one to keep with\n\n  {}\n\nand deregister the others.",
            describe_all(&images),
            import_command(clients, attempts, "ID")
        )),
        Ok(Verdict::None { holders }) => unknown(format!(
            "{happened}. No image named {:?} made while this resource's requests were in flight is \
             listed in {}{}. EC2 may list a new copy only after a while: check with `aws ec2 \
             describe-images --owners self --region {} --filters Name=name,Values={:?}`.",
            attempts.request.name,
            attempts.region,
            held_by(&holders),
            attempts.region,
            attempts.request.name,
        )),
        Err(e) => unknown(format!("{happened}. Looking for the copy failed: {e}.")),
    }
}

/// A destroy whose re-send did not name an image. If the re-send was refused outright, it made
/// nothing, and what the earlier sends made cannot be proven: EC2 is left as it is, the instance
/// dropped, the candidates named. If its outcome is unknown too, it may just have made the copy:
/// the instance stays, and the next destroy sends the same token again.
async fn still_unknown_at_destroy(
    clients: &AwsClients,
    ctx: &Context,
    attempts: &Attempts,
    happened: &str,
) -> Resolution {
    // Refused outright: not "slow down", which only says that the request was not served yet.
    let re_send_refused = attempts
        .sends
        .last()
        .and_then(|s| s.refusal_code())
        .is_some_and(|code| !is_throttle_code(code));
    if !re_send_refused {
        return Resolution::Unknown(Diagnostic::error(
            UNKNOWN,
            format!(
                "{happened}. That request may have made the copy just now, so this resource stays \
                 in the state: run destroy again, and it sends the same request once more (EC2 \
                 answers it with the copy, which is then deregistered). To give up on it instead, \
                 `terraform state rm` it and check `aws ec2 describe-images --owners self --region \
                 {} --filters Name=name,Values={:?}` for a copy left behind.",
                attempts.region, attempts.request.name
            ),
        ));
    }
    Resolution::Left(left_behind(clients, ctx, attempts, happened).await)
}

/// Resolving is the user's once the token may be forgotten: no re-send, no window.
async fn too_old(
    clients: &AwsClients,
    ctx: &Context,
    attempts: &Attempts,
    purpose: Purpose,
) -> Resolution {
    let first = attempts
        .first_sent()
        .map(|t| t.to_string())
        .unwrap_or_default();
    let happened = format!(
        "This resource's CopyImage was first sent at {first} and its outcome never became known. \
         That is longer ago than EC2 is relied on to answer a re-sent request with the first one's \
         image ({} hours), so it is not sent again (it could start another copy)",
        ownership::IDEMPOTENCY_PERIOD.whole_hours()
    );
    match purpose {
        Purpose::Destroy => Resolution::Left(left_behind(clients, ctx, attempts, &happened).await),
        Purpose::Keep => Resolution::Unknown(Diagnostic::error(
            UNKNOWN,
            format!(
                "{happened}. Import the copy if it exists ({}), or remove this resource from the \
                 state with `terraform state rm` and apply again to make a new copy.{}",
                import_command(clients, attempts, "ID"),
                candidates(clients, ctx, attempts).await
            ),
        )),
    }
}

/// The warning of a destroy that leaves EC2 as it is: what may be left, and how to import it.
async fn left_behind(
    clients: &AwsClients,
    ctx: &Context,
    attempts: &Attempts,
    happened: &str,
) -> Diagnostic {
    Diagnostic::warning(
        "AMI copy not proven: nothing deregistered",
        format!(
            "{happened}. No image is proven this resource's copy, so nothing was deregistered and \
             the resource is removed from the state.{} If one of them is this resource's copy, \
             import it (`{}`) and destroy it, or deregister it yourself.",
            candidates(clients, ctx, attempts).await,
            import_command(clients, attempts, "ID")
        ),
    )
}

/// " Images under the name made while its requests were in flight: ..." (or none listed).
async fn candidates(clients: &AwsClients, ctx: &Context, attempts: &Attempts) -> String {
    match images_named(clients, ctx, attempts).await {
        Ok((images, skew)) => {
            let in_window: Vec<Image> = images
                .into_iter()
                .filter(|i| ownership::by_window(i, attempts, skew).is_ok())
                .collect();
            if in_window.is_empty() {
                format!(
                    " No image named {:?} made while its requests were in flight is listed in {}.",
                    attempts.request.name, attempts.region
                )
            } else {
                format!(
                    " Images named {:?} made while its requests were in flight: {}.",
                    attempts.request.name,
                    describe_all(&in_window)
                )
            }
        }
        Err(e) => format!(" Listing the images under its name failed: {e}."),
    }
}

fn refusal(send: &ownership::Send) -> String {
    match &send.outcome {
        Outcome::Refused { code, message } if message.is_empty() => code.clone(),
        Outcome::Refused { code, message } => format!("{code}: {message}"),
        Outcome::Answered { image_id } => format!("answered with {image_id}"),
        Outcome::Unknown { why } => why.clone(),
    }
}

/// Looks for the copy, a few times over a few seconds while nothing is listed under the name (a
/// new copy may not be listed yet).
async fn look_up(
    clients: &AwsClients,
    ctx: &Context,
    attempts: &Attempts,
) -> Result<Verdict, String> {
    let mut pauses = LOOKUP_PAUSES_MS.iter();
    loop {
        let found = images_named(clients, ctx, attempts).await;
        let retry = match &found {
            Ok((images, _)) => images.is_empty(),
            Err(_) => true,
        };
        // No pause that would outlast the resolution's own bound.
        let pause = pauses.next().filter(|ms| {
            retry && ctx.budget(Duration::from_millis(**ms)) == Duration::from_millis(**ms)
        });
        let Some(ms) = pause else {
            let (images, skew) = found?;
            return Ok(ownership::pick(images, attempts, skew));
        };
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(*ms)) => {}
            _ = ctx.stop.cancelled() => {
                let (images, skew) = found?;
                return Ok(ownership::pick(images, attempts, skew));
            }
        }
    }
}

/// The account's images in the destination region under the request's name (disabled ones
/// included, deregistered ones not), and EC2's clock as the answer showed it.
async fn images_named(
    clients: &AwsClients,
    ctx: &Context,
    attempts: &Attempts,
) -> Result<(Vec<Image>, Option<Skew>), String> {
    let date = DateHeader::default();
    let name = &attempts.request.name;
    let call = clients
        .ec2(&attempts.region)
        .describe_images()
        .owners("self")
        .include_disabled(true)
        .filters(Filter::builder().name("name").values(name).build())
        .customize()
        .config_override(crate::ec2::bare_500::limit::<
            aws_sdk_ec2::operation::describe_images::DescribeImagesError,
        >(crate::ec2::optional_read::config()))
        .interceptor(date.clone())
        .send();
    let what = format!("DescribeImages of the images named {name:?}");
    let out = bounded(ctx, what, call).await.map_err(|e| e.describe())?;
    let images = out
        .images()
        .iter()
        .filter(|i| i.state() != Some(&aws_sdk_ec2::types::ImageState::Deregistered))
        .cloned()
        .collect();
    Ok((images, date.skew()))
}

/// The import command for the copy: the resource's address when the name gives it away, and
/// the id with its region when that is not the provider's.
fn import_command(clients: &AwsClients, attempts: &Attempts, id: &str) -> String {
    format!(
        "terraform import {} {}",
        address(attempts),
        import_id(clients, attempts, id)
    )
}

/// The same as an `import` block, each line on its own (Terraform wraps diagnostic text).
fn import_block(clients: &AwsClients, attempts: &Attempts, id: &str) -> String {
    format!(
        "  import {{\n    to = {}\n    id = \"{}\"\n  }}",
        address(attempts),
        import_id(clients, attempts, id)
    )
}

fn address(attempts: &Attempts) -> String {
    super::address::guess(&attempts.request.name).unwrap_or_else(|| "ADDRESS".to_string())
}

fn import_id(clients: &AwsClients, attempts: &Attempts, id: &str) -> String {
    if attempts.region == clients.region {
        id.to_string()
    } else {
        format!("{id}@{}", attempts.region)
    }
}

/// "ami-1 (a copy of ami-2 from us-east-1, created ...), ami-3 (...)".
fn describe_all(images: &[Image]) -> String {
    images
        .iter()
        .map(describe_holder)
        .collect::<Vec<_>>()
        .join(", ")
}

/// " (the name is held by ...)" for the images under the name that are not this resource's.
fn held_by(holders: &[Image]) -> String {
    if holders.is_empty() {
        String::new()
    } else {
        format!(
            " (the name is held by {}, not made by this resource)",
            describe_all(holders)
        )
    }
}
