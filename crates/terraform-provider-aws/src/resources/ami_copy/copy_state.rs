//! The copy's states and what each means for the next plan, and when two deprecation times are
//! the same. Pure, and a leaf: the model, the planner, the EC2 operations and the lifecycle all
//! read it.

use crate::validators;
use aws_sdk_ec2::types::{Image, ImageState};

/// The `state` attribute: EC2's image state, plus two of the resource's own.
///
/// ```text
///   create ──► pending ──(wait)──► available ◄──(update resumes the wait)── pending
///                 │                     │
///                 └──► failed ◄─────────┘ (EC2 gave up: the next plan replaces it)
///   destroy that deregistered the image but left snapshots ──► deregistered (replaced)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    /// Copied and usable.
    Available,
    /// Still copying, or copied but the create steps after it (deprecation, protection) are
    /// not done: an apply was interrupted or timed out. The next plan resumes it in place.
    Pending,
    /// EC2 gave up on the copy (`failed`, `error`, `invalid`); the next plan replaces it.
    Failed(String),
    /// A destroy deregistered the image but could not delete all its snapshots. The state is
    /// kept so that the next destroy (or replacement) deletes what is left.
    Deregistered,
    /// Any other state EC2 may report (`transient`, `disabled`, ...), kept as it is.
    Other(String),
}

impl Lifecycle {
    /// From the state's (or EC2's) spelling.
    pub fn parse(s: &str) -> Lifecycle {
        let ec2 = ImageState::from(s);
        match ec2 {
            ImageState::Available => Lifecycle::Available,
            ImageState::Pending => Lifecycle::Pending,
            ImageState::Deregistered => Lifecycle::Deregistered,
            _ if crate::ec2::image_state::is_failure(&ec2) => Lifecycle::Failed(s.to_string()),
            _ => Lifecycle::Other(s.to_string()),
        }
    }

    /// The state's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Lifecycle::Available => "available",
            Lifecycle::Pending => "pending",
            Lifecycle::Deregistered => "deregistered",
            Lifecycle::Failed(s) | Lifecycle::Other(s) => s,
        }
    }

    /// The state an image's EC2 state maps to.
    pub fn of_image(image: &Image) -> Option<Lifecycle> {
        image.state().map(|s| Lifecycle::parse(s.as_str()))
    }

    /// A copy that cannot become available any more: a plan replaces it.
    pub fn needs_replacement(&self) -> bool {
        matches!(self, Lifecycle::Failed(_) | Lifecycle::Deregistered)
    }
}

/// `t` rounded to the nearest UTC minute, as EC2 stores a deprecation time (…:29.999 down, …:30
/// up). `None` when `t` is not RFC 3339 or out of range.
pub fn nearest_utc_minute(t: &str) -> Option<time::OffsetDateTime> {
    const MINUTE: i128 = 60_000_000_000;
    let nanos = validators::rfc3339(t).ok()?.unix_timestamp_nanos();
    let minute = (nanos + MINUTE / 2).div_euclid(MINUTE);
    time::OffsetDateTime::from_unix_timestamp_nanos(minute * MINUTE).ok()
}

/// Two deprecation times that mean the same to a user: in the same UTC minute (a user who
/// writes 10:00:45 means "10:00"), or alike once rounded to the nearest minute, as EC2 stores
/// them (10:00:45 reads back as 10:01). The one equivalence used by plan, read and the wait
/// after EnableImageDeprecation.
pub fn same_deprecation_time(a: &str, b: &str) -> bool {
    let minute = |t: &str| {
        validators::rfc3339(t)
            .ok()
            .map(|t| t.unix_timestamp().div_euclid(60))
    };
    let same_minute = matches!((minute(a), minute(b)), (Some(x), Some(y)) if x == y);
    let same_rounded =
        matches!((nearest_utc_minute(a), nearest_utc_minute(b)), (Some(x), Some(y)) if x == y);
    same_minute || same_rounded
}

/// Whether a change from `old` to `new` deprecation time is a change to EC2.
pub fn deprecation_changes(old: Option<&str>, new: Option<&str>) -> bool {
    match (old, new) {
        (Some(a), Some(b)) => !same_deprecation_time(a, b),
        (a, b) => a != b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_and_print() {
        for (s, want) in [
            ("available", Lifecycle::Available),
            ("pending", Lifecycle::Pending),
            ("deregistered", Lifecycle::Deregistered),
            ("failed", Lifecycle::Failed("failed".into())),
            ("error", Lifecycle::Failed("error".into())),
            ("invalid", Lifecycle::Failed("invalid".into())),
            ("transient", Lifecycle::Other("transient".into())),
        ] {
            assert_eq!(Lifecycle::parse(s), want, "{s}");
            assert_eq!(want.as_str(), s);
        }
        assert!(Lifecycle::parse("failed").needs_replacement());
        assert!(Lifecycle::Deregistered.needs_replacement());
        assert!(!Lifecycle::Pending.needs_replacement());
    }

    #[test]
    fn deprecation_times_equal_in_the_same_minute_or_rounded_alike() {
        let same = same_deprecation_time;
        assert!(same("2030-01-01T10:00:00Z", "2030-01-01T10:00:29Z"));
        assert!(same("2030-01-01T10:00:00Z", "2030-01-01T10:00:29.999Z"));
        // The same UTC minute is equal even where rounding would differ.
        assert!(same("2030-01-01T10:00:00Z", "2030-01-01T10:00:30Z"));
        assert!(same("2030-01-01T10:00:59Z", "2030-01-01T10:00:00Z"));
        assert!(!same("2030-01-01T10:00:29Z", "2030-01-01T10:01:00Z"));
        assert!(!same("2030-01-01T10:00:00Z", "2030-01-01T10:01:29Z"));
        assert!(same("2030-01-01T10:01:00Z", "2030-01-01T10:00:30Z"));
        assert!(same("2030-01-01T10:01:00.000Z", "2030-01-01T10:00:45Z"));
        assert!(same("2030-01-01T10:00:00Z", "2030-01-01T09:59:30Z"));
        assert!(!same("2030-01-01T10:00:00Z", "2030-01-01T09:59:29Z"));
        // Offsets: the same instant elsewhere; rounding is on the UTC instant.
        assert!(same("2030-01-01T10:00:00Z", "2030-01-01T12:00:10+02:00"));
        assert!(same("2030-01-01T10:01:00Z", "2030-01-01T04:30:40-05:30"));
        assert!(same("2030-01-01T00:00:00Z", "2029-12-31T23:59:45-00:00"));
        // Fractional seconds.
        assert!(same("2030-01-01T10:00:00Z", "2030-01-01T10:00:00.250Z"));
        assert!(same(
            "2030-01-01T10:01:00Z",
            "2030-01-01T10:00:30.000000001Z"
        ));
        assert!(same("2030-01-01T10:00:00.000Z", "2030-01-01T10:00:00Z"));
        assert!(!same("junk", "junk"));
        assert!(!same("2030-01-01T10:00:00Z", "junk"));
        assert_eq!(
            nearest_utc_minute("2030-01-01T12:00:45+02:00"),
            Some(time::macros::datetime!(2030-01-01 10:01 UTC))
        );
        assert_eq!(nearest_utc_minute("2030-13-01T00:00:00Z"), None);
        assert!(!deprecation_changes(
            Some("2030-01-01T10:00:00Z"),
            Some("2030-01-01T10:00:10Z")
        ));
        assert!(deprecation_changes(None, Some("2030-01-01T10:00:00Z")));
        assert!(!deprecation_changes(None, None));
    }
}
