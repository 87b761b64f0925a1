//! A CopyImage that came back without an image id: find out, with proof, whether this resource
//! instance's copy exists, and never take an image that is not proven its own (`ownership`).
//!
//! - **Unknown outcome** (a lost answer, a timeout, a connection failure, a 5xx or throttling
//!   left after the SDK's retries, Ctrl-C or the deadline while CopyImage was in flight): the
//!   request is sent again with the same ClientToken. EC2 answers with the image the first
//!   request made, or makes it now: either way the id is this instance's. This one resolution
//!   runs even after Ctrl-C or the deadline, bounded by [`RESOLVE_LIMIT`], so that an image EC2
//!   made is in the state rather than orphaned (5 s once stopping, so that Ctrl-C still ends the
//!   CLI within seconds). If that answer is lost too, the account's images
//!   under the name are judged by the time window (`ownership`).
//! - **`InvalidAMIName.Duplicate`**: the holder is adopted only if the time window proves it is
//!   this instance's (a backend that ignores the token made it for an earlier attempt). Anything
//!   else is an error naming the holder and the import block that would take it over on purpose.
//! - Still unknown: the caller keeps the instance in the state with its token and first attempt,
//!   so that the next apply can prove it (see `create`).

use super::ownership::{self, describe_holder, Claim, Verdict};
use crate::ec2::call::bounded;
use crate::ec2::errors::{describe_sdk_error, is_transient};
use crate::ec2::server_clock::{DateHeader, Skew};
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::operation::copy_image::CopyImageError;
use aws_sdk_ec2::types::{Filter, Image};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use std::future::Future;
use std::time::Duration;
use tfplugin::{Context, Diagnostic, Diagnostics};

/// EC2's code for "an image of yours in this region already has that name".
pub const NAME_TAKEN: &str = "InvalidAMIName.Duplicate";

/// The most resolving an unknown outcome may take; after Ctrl-C or the deadline,
/// [`RESOLVE_LIMIT_STOPPING`], so that the CLI still stops within seconds.
pub const RESOLVE_LIMIT: Duration = Duration::from_secs(15);
pub const RESOLVE_LIMIT_STOPPING: Duration = Duration::from_secs(5);

/// How long to look for a copy EC2 may not list yet (DescribeImages is eventually consistent):
/// the pauses between lookups, about 6 s in all.
const LOOKUP_PAUSES_MS: &[u64] = &[500, 1000, 1500, 3000];

/// Why CopyImage gave no image id.
#[derive(Debug)]
pub enum CopyFailure {
    /// EC2 refused the copy (or the request was never sent): no copy was made.
    Refused(Diagnostic),
    /// `InvalidAMIName.Duplicate`, with EC2's message.
    NameTaken(String),
    /// The request may have reached EC2 and made the copy, but no answer says so; says what
    /// happened.
    Unknown(String),
}

impl CopyFailure {
    /// Sorts a CopyImage error; `source` is the image being copied, for the message.
    pub fn of(err: &SdkError<CopyImageError, HttpResponse>, source: &str) -> CopyFailure {
        if is_unknown_outcome(err) {
            // The SDK's words for a broken connection say the request "could not be sent",
            // which is just what is not known here.
            let what = describe_sdk_error(err);
            let what = what
                .strip_prefix("request could not be sent: ")
                .unwrap_or(&what);
            CopyFailure::Unknown(what.to_string())
        } else if err.code() == Some(NAME_TAKEN) {
            CopyFailure::NameTaken(describe_sdk_error(err))
        } else {
            CopyFailure::Refused(Diagnostic::error(
                "Cannot copy AMI",
                format!("CopyImage of {source} failed: {}", describe_sdk_error(err)),
            ))
        }
    }
}

/// Whether a failed call may nonetheless have been carried out. Only an error raised before
/// anything could be sent, or a service's definite answer, says for sure. A connection that could
/// not be opened, a 5xx or a throttle count as unknown too: the SDK reports the last attempt
/// only, and an earlier attempt may have been served before its answer was lost.
pub fn is_unknown_outcome<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::DispatchFailure(f) => !f.is_user(),
        _ => is_transient(err),
    }
}

/// The copy that was asked for: where it goes and where it comes from.
#[derive(Clone, Copy, Debug)]
pub struct Wanted<'a> {
    pub region: &'a str,
    pub name: &'a str,
    pub source_id: &'a str,
    pub source_region: &'a str,
}

/// What became of a CopyImage whose answer had no image id.
pub enum Resolution {
    /// This instance's copy, with warnings that say how it is known to be.
    Ours { id: String, warnings: Diagnostics },
    /// Nothing of this instance's was made: EC2 refused, or the name is held by an image this
    /// instance did not make.
    Refused(Diagnostic),
    /// Still not known: the caller keeps the token and first attempt in the state.
    Unknown(Diagnostic),
}

/// The context for resolving, given the operation's: never stopped by Ctrl-C, bounded by
/// [`RESOLVE_LIMIT`], or [`RESOLVE_LIMIT_STOPPING`] once the operation is stopping.
pub fn resolve_context(op: &Context) -> Context {
    let stopping = op.stop.is_cancelled() || op.remaining() == Some(Duration::ZERO);
    let limit = if stopping {
        RESOLVE_LIMIT_STOPPING
    } else {
        RESOLVE_LIMIT
    };
    Context::default().with_timeout("create", limit)
}

/// Resolves `failure`, the answer to this instance's CopyImage first sent at `first_attempt`;
/// `resend` sends it again with the same ClientToken, bounded by the context it is given.
pub async fn resolve<F, Fut>(
    clients: &AwsClients,
    op: &Context,
    wanted: Wanted<'_>,
    first_attempt: time::OffsetDateTime,
    failure: CopyFailure,
    resend: F,
) -> Resolution
where
    F: FnOnce(Context) -> Fut,
    Fut: Future<Output = Result<String, CopyFailure>>,
{
    let ctx = resolve_context(op);
    let claim = Claim {
        name: wanted.name,
        source_id: wanted.source_id,
        source_region: wanted.source_region,
        first_attempt,
        token_answer: None,
    };
    let why = match failure {
        CopyFailure::Refused(d) => return Resolution::Refused(d),
        CopyFailure::NameTaken(ec2_says) => {
            return name_taken(clients, &ctx, wanted, claim, &ec2_says).await
        }
        CopyFailure::Unknown(why) => why,
    };
    tracing::info!(name = wanted.name, %why, "CopyImage outcome unknown; sending it again with the same ClientToken");
    match resend(ctx.clone()).await {
        Ok(id) => {
            let mut warnings = Diagnostics::from(Diagnostic::warning(
                CONFIRMED,
                format!(
                    "CopyImage's answer was lost ({why}). Sent again with the same ClientToken, it \
                     was answered with {id}, which is recorded in the state as this resource."
                ),
            ));
            let claim = Claim {
                token_answer: Some(&id),
                ..claim
            };
            if let Some(w) = also_named(clients, &ctx, wanted, claim, &id).await {
                warnings.push(w);
            }
            Resolution::Ours { id, warnings }
        }
        Err(CopyFailure::NameTaken(ec2_says)) => {
            name_taken(clients, &ctx, wanted, claim, &ec2_says).await
        }
        Err(CopyFailure::Unknown(again)) => {
            let lost = format!(
                "CopyImage of {} was sent, but its answer was lost ({why}); sent again with the same \
                 ClientToken, its answer was lost too ({again})",
                wanted.source_id
            );
            by_window(clients, &ctx, wanted, claim, &lost, |text| {
                Resolution::Unknown(Diagnostic::error(UNKNOWN, text))
            })
            .await
        }
        Err(CopyFailure::Refused(d)) => {
            let refused = d.clone();
            let lost = format!(
                "CopyImage of {} was sent, but its answer was lost ({why}); sent again, it was \
                 refused: {}",
                wanted.source_id, d.detail
            );
            by_window(clients, &ctx, wanted, claim, &lost, move |_| {
                Resolution::Refused(refused)
            })
            .await
        }
    }
}

const CONFIRMED: &str = "AMI copy confirmed after a lost answer";
const ADOPTED: &str = "Adopted an existing AMI copy";
const UNKNOWN: &str = "AMI copy outcome unknown";

/// The account's images under the name, judged by the time window: one proven copy is adopted;
/// otherwise `otherwise` words the outcome from `happened` and what the lookup found.
async fn by_window(
    clients: &AwsClients,
    ctx: &Context,
    wanted: Wanted<'_>,
    claim: Claim<'_>,
    happened: &str,
    otherwise: impl FnOnce(String) -> Resolution,
) -> Resolution {
    match look_up(clients, ctx, wanted, claim).await {
        Ok(Verdict::One(image, proof)) => adopted(&image, happened, &proof),
        Ok(Verdict::Several(images)) => otherwise(format!(
            "{happened}. Several images could be this resource's copy, so none was adopted: {}. \
             Import the one to keep with\n\n  {}\n\nand deregister the others.",
            describe_all(&images),
            import_command(clients, wanted, "ID")
        )),
        Ok(Verdict::None { holders }) => otherwise(format!(
            "{happened}. No image named {:?} made since this resource's first CopyImage is listed in \
             {}{}. EC2 may list a new copy only after a while: check with `aws ec2 describe-images \
             --owners self --region {} --filters Name=name,Values={:?}`.",
            wanted.name,
            wanted.region,
            held_by(&holders),
            wanted.region,
            wanted.name,
        )),
        Err(e) => otherwise(format!("{happened}. Looking for the copy failed: {e}.")),
    }
}

/// CopyImage said the name is taken: adopt the holder only with proof.
async fn name_taken(
    clients: &AwsClients,
    ctx: &Context,
    wanted: Wanted<'_>,
    claim: Claim<'_>,
    ec2_says: &str,
) -> Resolution {
    let happened = format!("CopyImage of {} failed: {ec2_says}", wanted.source_id);
    match look_up(clients, ctx, wanted, claim).await {
        Ok(Verdict::One(image, proof)) => adopted(&image, &happened, &proof),
        Ok(Verdict::Several(images)) => Resolution::Unknown(Diagnostic::error(
            UNKNOWN,
            format!(
                "{happened}. Several images made since this resource's first CopyImage hold the \
                 name, so none was adopted: {}. Import the one to keep with\n\n  {}\n\nand \
                 deregister the others.",
                describe_all(&images),
                import_command(clients, wanted, "ID")
            ),
        )),
        Ok(Verdict::None { holders }) if !holders.is_empty() => {
            let id = holders[0].image_id().unwrap_or("ID").to_string();
            Resolution::Refused(Diagnostic::error(
                "AMI name already in use",
                format!(
                    "{happened}. The name {:?} is held by {}, which this resource did not make \
                     (it existed before this resource first sent CopyImage), so it is left as it \
                     is. Choose another name, or deregister that image, or take it over on \
                     purpose with an import block:\n\n{}\n\nor `{}`. A create_before_destroy \
                     replacement needs a new name: AMI names are unique in a region.",
                    wanted.name,
                    describe_all(&holders),
                    import_block(clients, wanted, &id),
                    import_command(clients, wanted, &id),
                ),
            ))
        }
        Ok(Verdict::None { .. }) => Resolution::Refused(Diagnostic::error(
            "AMI name already in use",
            format!(
                "{happened}. The image holding the name is not listed among the account's images \
                 in {}.",
                wanted.region
            ),
        )),
        Err(e) => Resolution::Refused(Diagnostic::error(
            "AMI name already in use",
            format!("{happened}. Looking for the image holding the name failed: {e}."),
        )),
    }
}

fn adopted(image: &Image, happened: &str, proof: &ownership::Proof) -> Resolution {
    let id = image.image_id().unwrap_or_default().to_string();
    let warning = Diagnostic::warning(
        ADOPTED,
        format!(
            "{happened}. {} is this resource's copy: {}. It is recorded in the state as this \
             resource.",
            describe_holder(image),
            proof.describe()
        ),
    );
    Resolution::Ours {
        id,
        warnings: warning.into(),
    }
}

/// After a token answer `id`: other images under the name made since the first attempt, which a
/// backend that ignores the token may have made for the earlier attempts. Named, never touched.
async fn also_named(
    clients: &AwsClients,
    ctx: &Context,
    wanted: Wanted<'_>,
    claim: Claim<'_>,
    id: &str,
) -> Option<Diagnostic> {
    let (images, skew) = images_named(clients, ctx, wanted).await.ok()?;
    let since = claim.window_start(skew);
    let others: Vec<Image> = images
        .into_iter()
        .filter(|i| i.image_id() != Some(id))
        .filter(|i| {
            ownership::judge(
                i,
                &Claim {
                    token_answer: None,
                    ..claim
                },
                since,
            )
            .is_ok()
        })
        .collect();
    if others.is_empty() {
        return None;
    }
    Some(Diagnostic::warning(
        "Another image under the same name",
        format!(
            "Besides {id}, {} under the name {:?} since this resource's first CopyImage: the \
             backend seems to ignore ClientToken, so an earlier attempt may have made it. It is not \
             in the state and nothing was done to it; deregister it if it is not someone else's.",
            if others.len() == 1 {
                format!("{} was made", describe_all(&others))
            } else {
                format!("{} were made", describe_all(&others))
            },
            wanted.name
        ),
    ))
}

/// Looks for the wanted copy, a few times over a few seconds while nothing is listed under the
/// name (a new copy may not be listed yet).
async fn look_up(
    clients: &AwsClients,
    ctx: &Context,
    wanted: Wanted<'_>,
    claim: Claim<'_>,
) -> Result<Verdict, String> {
    let mut pauses = LOOKUP_PAUSES_MS.iter();
    loop {
        let found = images_named(clients, ctx, wanted).await;
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
            return Ok(ownership::pick(images, &claim, claim.window_start(skew)));
        };
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(*ms)) => {}
            _ = ctx.stop.cancelled() => {
                let (images, skew) = found?;
                return Ok(ownership::pick(images, &claim, claim.window_start(skew)));
            }
        }
    }
}

/// The account's images in the destination region named `wanted.name` (disabled ones included,
/// deregistered ones not), and EC2's clock as the answer showed it.
async fn images_named(
    clients: &AwsClients,
    ctx: &Context,
    wanted: Wanted<'_>,
) -> Result<(Vec<Image>, Option<Skew>), String> {
    let date = DateHeader::default();
    let call = clients
        .ec2(wanted.region)
        .describe_images()
        .owners("self")
        .include_disabled(true)
        .filters(Filter::builder().name("name").values(wanted.name).build())
        .customize()
        .interceptor(date.clone())
        .send();
    let what = format!("DescribeImages of the images named {:?}", wanted.name);
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
fn import_command(clients: &AwsClients, wanted: Wanted<'_>, id: &str) -> String {
    format!(
        "terraform import {} {}",
        address(wanted),
        import_id(clients, wanted, id)
    )
}

/// The same as an `import` block, each line on its own (Terraform wraps diagnostic text).
fn import_block(clients: &AwsClients, wanted: Wanted<'_>, id: &str) -> String {
    format!(
        "  import {{\n    to = {}\n    id = \"{}\"\n  }}",
        address(wanted),
        import_id(clients, wanted, id)
    )
}

fn address(wanted: Wanted<'_>) -> String {
    super::address::guess(wanted.name).unwrap_or_else(|| "ADDRESS".to_string())
}

fn import_id(clients: &AwsClients, wanted: Wanted<'_>, id: &str) -> String {
    if wanted.region == clients.region {
        id.to_string()
    } else {
        format!("{id}@{}", wanted.region)
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

#[cfg(test)]
mod tests;
