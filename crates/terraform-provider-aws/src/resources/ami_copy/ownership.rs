//! Is this image this resource instance's own copy, and why? The one place that decides what
//! the provider may adopt into the state (and so later tag, modify or deregister).
//!
//! Two proofs count, nothing else:
//! - **The token.** EC2 answered a CopyImage carrying this instance's ClientToken with the
//!   image's id. EC2 keeps CopyImage idempotent per token: a re-sent request returns the image
//!   the first one made (or makes it now), never someone else's.
//! - **The time window**, for backends that ignore the token (stock moto): an image under the
//!   planned name, live (pending or available), that reports the planned source where the backend
//!   reports one, created no earlier than this instance's first CopyImage attempt, moved onto
//!   EC2's clock with the skew its `Date` header shows, less [`ALLOWANCE`].
//!
//! The same name and source alone prove nothing: a `create_before_destroy` replacement that keeps
//! its name, a second state or workspace with the same names and an image baked again all match
//! them, and all were created before this instance's first attempt.

use crate::ec2::server_clock::Skew;
use aws_sdk_ec2::types::{Image, ImageState};
use time::OffsetDateTime;

/// What the window allows beyond the measured skew: `Date` and `CreationDate` may be whole
/// seconds, rounded down, so an image made just after the first attempt may read up to a second
/// earlier. Kept small: an image made more than this before the attempt is never ours.
pub const ALLOWANCE: time::Duration = time::Duration::seconds(1);

/// What this instance knows of its own CopyImage.
#[derive(Clone, Copy, Debug)]
pub struct Claim<'a> {
    pub name: &'a str,
    pub source_id: &'a str,
    pub source_region: &'a str,
    /// When this instance first sent CopyImage, on this machine's clock.
    pub first_attempt: OffsetDateTime,
    /// The id EC2 gave for a CopyImage with this instance's token, if it answered.
    pub token_answer: Option<&'a str>,
}

impl Claim<'_> {
    /// The earliest creation time (EC2's clock) of an image this instance may have made; `None`
    /// when EC2's clock is unknown (no answer with a `Date` came), so no time proof is possible.
    pub fn window_start(&self, skew: Option<Skew>) -> Option<OffsetDateTime> {
        skew.map(|s| s.on_server_clock(self.first_attempt) - ALLOWANCE)
    }
}

/// Why an image is this instance's copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// EC2 gave this id for this instance's ClientToken.
    Token,
    /// Created at `created`, not before `since` (the first attempt on EC2's clock);
    /// `source_reported`: whether the backend reported the source that matched.
    Window {
        created: String,
        since: String,
        source_reported: bool,
    },
}

impl Proof {
    /// For a warning: "EC2 returned it for this copy's ClientToken" and the like.
    pub fn describe(&self) -> String {
        match self {
            Proof::Token => "EC2 returned it for this copy's CopyImage ClientToken".to_string(),
            Proof::Window {
                created,
                since,
                source_reported,
            } => format!(
                "it was created at {created}, after this copy's first CopyImage request ({since} on \
                 EC2's clock), under its name{} (the backend does not answer by ClientToken)",
                if *source_reported {
                    " and from its source"
                } else {
                    "; the backend reports no source image"
                }
            ),
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
    /// Created before this instance's first CopyImage attempt.
    CreatedBefore {
        created: String,
        since: String,
    },
    /// No creation date, or no clock to compare it with: nothing proves it.
    Unproven,
}

/// Whether `image` is this instance's copy: the proof, or why not.
pub fn judge(
    image: &Image,
    claim: &Claim<'_>,
    window_start: Option<OffsetDateTime>,
) -> Result<Proof, NotOurs> {
    if claim.token_answer.is_some() && image.image_id() == claim.token_answer {
        return Ok(Proof::Token);
    }
    if image.name() != Some(claim.name) {
        return Err(NotOurs::OtherName);
    }
    match image.state() {
        Some(ImageState::Pending | ImageState::Available) | None => {}
        Some(other) => return Err(NotOurs::NotLive(other.as_str().to_string())),
    }
    let source = reported(image.source_image_id());
    if source.is_some_and(|s| s != claim.source_id)
        || reported(image.source_image_region()).is_some_and(|r| r != claim.source_region)
    {
        return Err(NotOurs::OtherSource);
    }
    let created = reported(image.creation_date());
    let (Some(created), Some(since)) = (created, window_start) else {
        return Err(NotOurs::Unproven);
    };
    let Ok(at) = crate::validators::rfc3339(created) else {
        return Err(NotOurs::Unproven);
    };
    let since_text = rfc3339(since);
    if at < since {
        return Err(NotOurs::CreatedBefore {
            created: created.to_string(),
            since: since_text,
        });
    }
    Ok(Proof::Window {
        created: created.to_string(),
        since: since_text,
        source_reported: source.is_some(),
    })
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
pub fn pick(
    images: Vec<Image>,
    claim: &Claim<'_>,
    window_start: Option<OffsetDateTime>,
) -> Verdict {
    let (mut ours, holders): (Vec<(Image, Proof)>, Vec<Image>) = {
        let mut ours = Vec::new();
        let mut holders = Vec::new();
        for image in images {
            match judge(&image, claim, window_start) {
                Ok(proof) => ours.push((image, proof)),
                Err(NotOurs::OtherName) => {}
                Err(_) => holders.push(image),
            }
        }
        (ours, holders)
    };
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

/// A value EC2 reported: absent and empty alike mean it said nothing.
fn reported(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests;
