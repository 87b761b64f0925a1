//! Adopting a copy whose CopyImage answer never arrived, or whose name CopyImage says is taken.
//!
//! A CopyImage can succeed in EC2 while its answer is lost (a dropped connection, a timeout, an
//! unreadable response), even after every SDK retry. Returning no state then would orphan the
//! copy: Terraform forgets it and the next apply fails with `InvalidAMIName.Duplicate`. So when
//! the outcome is unknown, the copy is looked for (owner self, the destination region, the
//! planned name, the planned source) and adopted into the state; the same when CopyImage says the
//! name is taken by an image that this configuration's CopyImage made (its state was lost).
//! Adopting says so in a warning. A name held by anything else stays an error that names it.

use crate::ec2::call::bounded;
use crate::ec2::errors::describe_sdk_error;
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::operation::copy_image::CopyImageError;
use aws_sdk_ec2::types::{Filter, Image, ImageState};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use std::time::Duration;
use tfplugin::{Context, Diagnostic};

/// EC2's code for "an image of yours in this region already has that name".
pub const NAME_TAKEN: &str = "InvalidAMIName.Duplicate";

/// How long to look for a copy EC2 may not list yet (DescribeImages is eventually consistent):
/// the pauses between lookups, about 6 s in all.
const LOOKUP_PAUSES_MS: &[u64] = &[500, 1000, 1500, 3000];

/// Why CopyImage gave no image id.
#[derive(Debug)]
pub enum CopyFailure {
    /// EC2 refused the copy (or the request was never sent): no copy was made.
    Refused(Diagnostic),
    /// `InvalidAMIName.Duplicate`, with EC2's message: perhaps this configuration's own copy.
    NameTaken(String),
    /// The request may have reached EC2 and made the copy, but no answer came; says what
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

/// Whether a failed call may nonetheless have been carried out: the request may have reached
/// the service, but its answer was lost (a connection closed or reset, an unreadable response,
/// a timeout). Only an error raised before anything could be sent (a request that cannot be
/// built or sent at all) or a service's own answer says for sure. A connection that could not
/// even be opened counts as unknown too: the SDK reports the last attempt only, and an earlier
/// attempt may have been served before its answer was lost.
pub fn is_unknown_outcome<E>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(f) => !f.is_user(),
        _ => false,
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

/// An adopted copy: its id and the warning that says why it was adopted.
pub struct Adopted {
    pub id: String,
    pub warning: Diagnostic,
}

const ADOPTED: &str = "Adopted an existing AMI copy";

/// After a failed CopyImage: the copy to adopt, or the error to show.
pub async fn recover(
    clients: &AwsClients,
    ctx: &Context,
    wanted: Wanted<'_>,
    failure: CopyFailure,
) -> Result<Adopted, Diagnostic> {
    match failure {
        CopyFailure::Refused(d) => Err(d),
        CopyFailure::Unknown(why) => adopt_unknown(clients, ctx, wanted, &why).await,
        CopyFailure::NameTaken(ec2_says) => {
            adopt_name_holder(clients, ctx, wanted, &ec2_says).await
        }
    }
}

async fn adopt_unknown(
    clients: &AwsClients,
    ctx: &Context,
    wanted: Wanted<'_>,
    why: &str,
) -> Result<Adopted, Diagnostic> {
    let found = look_up(clients, ctx, wanted, Strictness::SourceIfReported).await;
    let unknown = |what: String| {
        Diagnostic::error(
            "AMI copy outcome unknown",
            format!(
                "CopyImage of {} was sent, but its answer was lost ({why}), so EC2 may or may not \
                 have made the copy. {what}",
                wanted.source_id
            ),
        )
    };
    match found {
        Found::One(image) => Ok(adopted(&image, |id| {
            format!(
                "CopyImage's answer was lost ({why}), but EC2 made the copy: {id}, named {:?}{}, \
                 is recorded in the state as this resource.",
                wanted.name,
                matched_by(&image)
            )
        })),
        Found::Several(images) => Err(unknown(format!(
            "Several images match (name {:?}, copied from {}): {}. Keep one, with\n\n  {}\n\n\
             and deregister the others.",
            wanted.name,
            wanted.source_id,
            ids(&images),
            import_command(clients, wanted, "ID"),
        ))),
        Found::None {
            others,
            lookup_error,
        } => Err(unknown(format!(
            "No image named {:?} copied from {} was found in {}{}{}. EC2 may list a new copy only \
             after a while: check with `aws ec2 describe-images --owners self --region {} \
             --filters Name=name,Values={:?}`. If the copy is there, import it with\n\n  {}\n\n\
             and if not, apply again.",
            wanted.name,
            wanted.source_id,
            wanted.region,
            not_ours(&others),
            lookup_error
                .map(|e| format!(" (the last lookup failed: {e})"))
                .unwrap_or_default(),
            wanted.region,
            wanted.name,
            import_command(clients, wanted, "ID"),
        ))),
    }
}

async fn adopt_name_holder(
    clients: &AwsClients,
    ctx: &Context,
    wanted: Wanted<'_>,
    ec2_says: &str,
) -> Result<Adopted, Diagnostic> {
    let refused = |what: String| {
        Diagnostic::error(
            "Cannot copy AMI",
            format!(
                "CopyImage of {} failed: {ec2_says}. {what}",
                wanted.source_id
            ),
        )
    };
    match look_up(clients, ctx, wanted, Strictness::SourceRequired).await {
        Found::One(image) => Ok(adopted(&image, |id| {
            format!(
                "CopyImage said {NAME_TAKEN}: the name {:?} is held by {id}, a copy of {} from {} \
                 made earlier (by an apply whose state was lost, for instance). It is recorded in \
                 the state as this resource instead of failing.",
                wanted.name, wanted.source_id, wanted.source_region
            )
        })),
        Found::Several(images) => Err(refused(format!(
            "Several copies of {} hold that name: {}. Import the one to keep with\n\n  {}",
            wanted.source_id,
            ids(&images),
            import_command(clients, wanted, "ID"),
        ))),
        Found::None {
            others,
            lookup_error,
        } => Err(refused(match (others.is_empty(), lookup_error) {
            (false, _) => format!(
                "The name {:?} is held by{}, so it is not this configuration's copy of {} from {}: \
                 choose another name, or deregister that image, or import it if this resource \
                 should manage it.",
                wanted.name,
                describe_all(&others),
                wanted.source_id,
                wanted.source_region
            ),
            (true, Some(e)) => format!("Looking for the image holding the name failed: {e}"),
            (true, None) => "The image holding the name is not listed among the account's \
                             images in this region."
                .to_string(),
        })),
    }
}

/// `image` adopted, with the warning `detail(id)` says.
fn adopted(image: &Image, detail: impl FnOnce(&str) -> String) -> Adopted {
    let id = image_id(image);
    Adopted {
        warning: Diagnostic::warning(ADOPTED, detail(&id)),
        id,
    }
}

/// How closely an image must show that it was copied from the wanted source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strictness {
    /// Backends that do not report an image's source (stock moto) are matched by name alone.
    SourceIfReported,
    /// Only an image that says it is a copy of the wanted source.
    SourceRequired,
}

/// Whether `image` can be the wanted copy: its name, a live state, and the source it reports.
fn is_wanted(image: &Image, wanted: Wanted<'_>, strictness: Strictness) -> bool {
    let live = !matches!(
        image.state(),
        Some(ImageState::Deregistered | ImageState::Disabled)
    );
    let source_ok = match reported(image.source_image_id()) {
        Some(id) => id == wanted.source_id,
        None => strictness == Strictness::SourceIfReported,
    };
    let region_ok = reported(image.source_image_region()).is_none_or(|r| r == wanted.source_region);
    live && image.name() == Some(wanted.name) && source_ok && region_ok
}

/// What a lookup by name found.
enum Found {
    One(Box<Image>),
    Several(Vec<Image>),
    /// None of the wanted copy; `others` hold the name but are not it.
    None {
        others: Vec<Image>,
        lookup_error: Option<String>,
    },
}

/// Looks for the wanted copy, a few times over a few seconds while none is listed (a new copy
/// may not be listed yet); stops early on Ctrl-C.
async fn look_up(
    clients: &AwsClients,
    ctx: &Context,
    wanted: Wanted<'_>,
    strictness: Strictness,
) -> Found {
    let mut pauses = LOOKUP_PAUSES_MS.iter();
    loop {
        let (mut ours, others, lookup_error) = match images_named(clients, ctx, wanted).await {
            Ok(images) => {
                let (ours, others): (Vec<Image>, Vec<Image>) = images
                    .into_iter()
                    .partition(|i| is_wanted(i, wanted, strictness));
                (ours, others, None)
            }
            Err(e) => (vec![], vec![], Some(e)),
        };
        match ours.len() {
            1 => return Found::One(Box::new(ours.remove(0))),
            n if n > 1 => return Found::Several(ours),
            _ => {}
        }
        // Someone else's image holding the name will not turn into ours.
        let give_up = Found::None {
            others: others.clone(),
            lookup_error: lookup_error.clone(),
        };
        if !others.is_empty() {
            return give_up;
        }
        let Some(ms) = pauses.next() else {
            return give_up;
        };
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(*ms)) => {}
            _ = ctx.stop.cancelled() => return give_up,
        }
    }
}

/// The account's images in the destination region named `wanted.name` (deregistered ones left
/// out).
async fn images_named(
    clients: &AwsClients,
    ctx: &Context,
    wanted: Wanted<'_>,
) -> Result<Vec<Image>, String> {
    let call = clients
        .ec2(wanted.region)
        .describe_images()
        .owners("self")
        .filters(Filter::builder().name("name").values(wanted.name).build())
        .send();
    let what = format!("DescribeImages of the images named {:?}", wanted.name);
    let out = bounded(ctx, what, call).await.map_err(|e| e.describe())?;
    Ok(out
        .images()
        .iter()
        .filter(|i| i.state() != Some(&ImageState::Deregistered))
        .cloned()
        .collect())
}

/// A value EC2 reported: absent and empty alike mean it said nothing.
fn reported(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

fn image_id(image: &Image) -> String {
    image.image_id().unwrap_or_default().to_string()
}

/// The import command for the copy, on a line of its own (Terraform wraps diagnostic text, which
/// could split it): the resource's address when the name gives it away, and the id with its
/// region when that is not the provider's.
fn import_command(clients: &AwsClients, wanted: Wanted<'_>, id: &str) -> String {
    let address = super::address::guess(wanted.name).unwrap_or_else(|| "ADDRESS".to_string());
    if wanted.region == clients.region {
        format!("terraform import {address} {id}")
    } else {
        format!("terraform import {address} {id}@{}", wanted.region)
    }
}

fn ids(images: &[Image]) -> String {
    images.iter().map(image_id).collect::<Vec<_>>().join(", ")
}

/// How an adopted copy was recognised, for the warning.
fn matched_by(image: &Image) -> String {
    match reported(image.source_image_id()) {
        Some(src) => format!(", a copy of {src}"),
        None => {
            " (the backend reports no source image, so it was recognised by its name)".to_string()
        }
    }
}

/// " ami-1 (a copy of ami-2 from us-east-1)" for each image holding the name.
fn describe_all(images: &[Image]) -> String {
    let parts: Vec<String> = images.iter().map(describe_holder).collect();
    format!(" {}", parts.join(", "))
}

fn describe_holder(image: &Image) -> String {
    let id = image_id(image);
    match (
        reported(image.source_image_id()),
        reported(image.source_image_region()),
    ) {
        (Some(src), Some(region)) => format!("{id} (a copy of {src} from {region})"),
        (Some(src), None) => format!("{id} (a copy of {src})"),
        (None, _) => format!("{id} (not a copy: EC2 reports no source image)"),
    }
}

/// Images holding the name that are not the wanted copy, for the "not found" message.
fn not_ours(others: &[Image]) -> String {
    if others.is_empty() {
        String::new()
    } else {
        format!(" (the name is held by{})", describe_all(others))
    }
}

#[cfg(test)]
mod tests;
