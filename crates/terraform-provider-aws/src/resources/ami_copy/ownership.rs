//! Is this image this resource instance's own copy, and may the provider act on it? The one place
//! that decides what the provider may adopt into the state, change or deregister.
//!
//! A copy's requests are one record, [`Attempts`] (token, request, every send and its outcome).
//! Proofs that an image is this instance's:
//! - **the state**: Terraform's state holds the id for this instance;
//! - **the token**: EC2 answered a CopyImage carrying this instance's ClientToken with the id.
//!   EC2 keeps CopyImage idempotent per token: a re-sent request returns the image the first one
//!   made (or makes it now), never someone else's;
//! - **the window**, only where a send's outcome is unknown and nothing settled it (every answer
//!   lost, or a backend that ignores the token): an image under the name, live, reporting the
//!   request's source where the backend reports one, and created while such a send was in
//!   flight: between the moment it left and the moment it ended, moved onto EC2's clock with the
//!   skew its `Date` header shows, each end widened by [`ALLOWANCE`]. Both ends count: an image
//!   made later is someone else's (a second workspace, a later apply);
//! - **named**: the user imported it; **dry-run answer**: the id a backend gave this provider's
//!   own dry run, under its throwaway name.
//!
//! Which proof each path accepts is [`allow`]'s table (and DESIGN.md's). The same name and
//! source alone prove nothing: a `create_before_destroy` replacement that keeps its name, a
//! second state with the same names and an image baked again all match them.

mod attempts;

pub use attempts::{Attempts, CopyRequest, Outcome, Send, Status, IDEMPOTENCY_PERIOD, NAME_TAKEN};

use crate::ec2::server_clock::Skew;
use aws_sdk_ec2::types::{Image, ImageState};
use time::OffsetDateTime;

/// What the window allows beyond the measured skew at each end: `Date` and `CreationDate` may
/// be whole seconds, rounded down, so an image made just after a send left may read up to a
/// second earlier. Kept small: an image made more than this outside every unknown send is never
/// this instance's.
pub const ALLOWANCE: time::Duration = time::Duration::seconds(1);

/// Why an image is this instance's copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// Terraform's state holds it for this instance.
    State,
    /// EC2 gave this id for this instance's ClientToken.
    Token,
    /// Created at `created`, within `[from, to]` (EC2's clock), while a send of this instance's
    /// with an unknown outcome was in flight; `source_reported`: whether the backend reported
    /// the source that matched.
    Window {
        created: String,
        from: String,
        to: String,
        source_reported: bool,
    },
    /// The user named it: `terraform import` or an `import` block.
    Named,
    /// A backend carried out this provider's dry run: the id it answered, under the dry run's
    /// throwaway name.
    DryRunAnswer,
}

impl Proof {
    /// For a warning: "EC2 returned it for this copy's ClientToken" and the like.
    pub fn describe(&self) -> String {
        match self {
            Proof::State => "Terraform's state holds it for this resource".to_string(),
            Proof::Token => "EC2 returned it for this copy's CopyImage ClientToken".to_string(),
            Proof::Window {
                created,
                from,
                to,
                source_reported,
            } => format!(
                "it was created at {created}, while a CopyImage request of this copy whose answer \
                 was lost was in flight ({from} to {to} on EC2's clock), under its name{}",
                if *source_reported {
                    " and from its source"
                } else {
                    "; the backend reports no source image"
                }
            ),
            Proof::Named => "it was named in an import".to_string(),
            Proof::DryRunAnswer => {
                "a backend answered this provider's dry run with it, under the dry run's name"
                    .to_string()
            }
        }
    }
}

/// Why an image is not this instance's copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotOurs {
    OtherName,
    /// It reports another source image or region.
    OtherSource,
    /// Deregistered, disabled, failed: not a copy in progress or done.
    NotLive(String),
    /// Created before the first send of this instance's that could have made it.
    CreatedBefore {
        created: String,
        since: String,
    },
    /// Created after (or between) the sends of this instance's that could have made it.
    CreatedOutside {
        created: String,
    },
    /// No creation date, no clock to compare it with, or no send whose outcome is unknown:
    /// nothing proves it.
    Unproven,
    /// EC2 answered this instance's token with another image.
    NotTheTokenAnswer,
}

/// Whether `image` is the copy `attempts` made: the proof, or why not. `skew` is EC2's clock
/// against this machine's, as an answer's `Date` header showed it.
pub fn judge(image: &Image, attempts: &Attempts, skew: Option<Skew>) -> Result<Proof, NotOurs> {
    if let Status::Ours(id) = attempts.status() {
        // EC2 named the copy: any other image is not it (a backend that ignores the token may
        // have made one for an earlier send; `by_window` says which, to name them).
        return if image.image_id() == Some(id) {
            Ok(Proof::Token)
        } else {
            Err(NotOurs::NotTheTokenAnswer)
        };
    }
    by_window(image, attempts, skew)
}

/// The window proof alone (see the module documentation): whether `image` was made while a send
/// of `attempts` with an unknown outcome was in flight.
pub fn by_window(image: &Image, attempts: &Attempts, skew: Option<Skew>) -> Result<Proof, NotOurs> {
    let request = &attempts.request;
    if image.name() != Some(request.name.as_str()) {
        return Err(NotOurs::OtherName);
    }
    match image.state() {
        Some(ImageState::Pending | ImageState::Available) | None => {}
        Some(other) => return Err(NotOurs::NotLive(other.as_str().to_string())),
    }
    let source = reported(image.source_image_id());
    if source.is_some_and(|s| s != request.source_image_id)
        || reported(image.source_image_region()).is_some_and(|r| r != request.source_region)
    {
        return Err(NotOurs::OtherSource);
    }
    let spans = window(attempts, skew);
    let created = reported(image.creation_date());
    let (Some(created), Some(first)) = (created, spans.first()) else {
        return Err(NotOurs::Unproven);
    };
    let Ok(at) = crate::validators::rfc3339(created) else {
        return Err(NotOurs::Unproven);
    };
    if let Some((from, to)) = spans.iter().find(|(from, to)| *from <= at && at <= *to) {
        return Ok(Proof::Window {
            created: created.to_string(),
            from: rfc3339(*from),
            to: rfc3339(*to),
            source_reported: source.is_some(),
        });
    }
    if at < first.0 {
        return Err(NotOurs::CreatedBefore {
            created: created.to_string(),
            since: rfc3339(first.0),
        });
    }
    Err(NotOurs::CreatedOutside {
        created: created.to_string(),
    })
}

/// The spans (EC2's clock) in which a send of `attempts` with an unknown outcome was in flight,
/// each widened by [`ALLOWANCE`]; none without a clock to line them up with.
pub fn window(attempts: &Attempts, skew: Option<Skew>) -> Vec<(OffsetDateTime, OffsetDateTime)> {
    let Some(skew) = skew else {
        return Vec::new();
    };
    let mut spans: Vec<_> = attempts
        .unsettled()
        .map(|s| {
            (
                skew.on_server_clock(s.sent) - ALLOWANCE,
                skew.on_server_clock(s.ended) + ALLOWANCE,
            )
        })
        .collect();
    spans.sort();
    spans
}

/// What a lookup's images come to.
#[derive(Debug)]
pub enum Verdict {
    /// Exactly one image is this instance's copy.
    One(Box<Image>, Proof),
    /// More than one could be: none is adopted.
    Several(Vec<Image>),
    /// None is; `holders` are the images under the name, none of them proven ours.
    None { holders: Vec<Image> },
}

/// Judges every image; adopts only a single proven one. A token answer among them wins.
pub fn pick(images: Vec<Image>, attempts: &Attempts, skew: Option<Skew>) -> Verdict {
    let mut ours: Vec<(Image, Proof)> = Vec::new();
    let mut holders = Vec::new();
    for image in images {
        match judge(&image, attempts, skew) {
            Ok(proof) => ours.push((image, proof)),
            Err(NotOurs::OtherName) => {}
            Err(_) => holders.push(image),
        }
    }
    if let Some(i) = ours.iter().position(|(_, p)| *p == Proof::Token) {
        let (image, proof) = ours.swap_remove(i);
        return Verdict::One(Box::new(image), proof);
    }
    match ours.len() {
        0 => Verdict::None { holders },
        1 => {
            let (image, proof) = ours.remove(0);
            Verdict::One(Box::new(image), proof)
        }
        _ => Verdict::Several(ours.into_iter().map(|(i, _)| i).collect()),
    }
}

/// What the provider is about to do to an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// Record it in the state as this instance.
    Adopt,
    /// Tag it, describe it, deprecate or protect it.
    Modify,
    /// Deregister it and delete its snapshots.
    Deregister,
}

/// Where the provider is: which Terraform operation it serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// A create, or the update that resolves a copy an earlier apply could not (after untaint).
    Create,
    /// An in-place update of a copy the state holds.
    Update,
    /// `terraform destroy`, a deposed object's destroy, the destroy half of a replacement
    /// (tainted or not): Terraform calls the provider the same way for all of them.
    Destroy,
    /// `terraform import` or an `import` block.
    Import,
    /// The plan-time CopyImage dry run, on a backend that carried it out.
    DryRun,
}

/// The one gate every adopt, change and deregistration goes through: whether `proof` allows
/// `act` on `path`. Destroy paths accept no window: an image the provider cannot prove it made
/// by the state or the token is left as it is, however well it fits.
pub fn allow(path: Path, act: Act, proof: &Proof) -> Result<(), String> {
    use Proof::*;
    let allowed = match (path, act) {
        (Path::Create, Act::Adopt) => matches!(proof, Token | Window { .. }),
        (Path::Create, Act::Modify) => matches!(proof, State | Token | Window { .. }),
        (Path::Update, Act::Modify) => matches!(proof, State),
        (Path::Destroy, Act::Deregister) => matches!(proof, State | Token),
        (Path::Import, Act::Adopt) => matches!(proof, Named),
        (Path::DryRun, Act::Deregister) => matches!(proof, DryRunAnswer),
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(format!(
            "{act:?} on {path:?} is not allowed by this proof: {}",
            proof.describe()
        ))
    }
}

/// "ami-1 (a copy of ami-2 from us-west-2, created 2026-12-01T10:00:00.000Z)".
pub fn describe_holder(image: &Image) -> String {
    let id = image.image_id().unwrap_or_default();
    let what = match (
        reported(image.source_image_id()),
        reported(image.source_image_region()),
    ) {
        (Some(src), Some(region)) => format!("a copy of {src} from {region}"),
        (Some(src), None) => format!("a copy of {src}"),
        (None, _) => "no source image reported".to_string(),
    };
    let created = reported(image.creation_date())
        .map(|c| format!(", created {c}"))
        .unwrap_or_default();
    format!("{id} ({what}{created})")
}

/// Whether importing `holder` as a copy of `request` keeps it: only when it reports the same
/// source image and region (a backend that reports none cannot say, and the configuration's
/// source is then taken for it). Otherwise the next plan replaces the imported image.
pub fn import_keeps(holder: &Image, source_id: &str, source_region: &str) -> bool {
    reported(holder.source_image_id()).is_none_or(|s| s == source_id)
        && reported(holder.source_image_region()).is_none_or(|r| r == source_region)
}

/// A value EC2 reported: absent and empty alike mean it said nothing.
fn reported(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

/// RFC 3339 to the millisecond, as EC2 writes creation dates.
fn rfc3339(t: OffsetDateTime) -> String {
    let ms = t
        .replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(t);
    ms.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests;
