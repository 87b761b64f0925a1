//! A copy's attempts: everything this resource instance knows of its own CopyImage requests, in
//! one record that every resolution reads and extends. The ClientToken, the request exactly as
//! it was sent (so that a re-send is the same request and EC2 answers it with the image the
//! first one made), and each send with when it left, when it ended and what became of it.
//!
//! The record lives in the state (`copy_attempts`) while the copy's outcome is not known, because
//! that is the only thing Terraform keeps for an instance across taint, replacement, a new process
//! and a new machine: the plan of a tainted instance gets no private data, and the destroy half of
//! a replacement gets the new copy's. Once an answer names the image, the id is the proof and the
//! record is cleared.
//!
//! What the sends prove ([`Attempts::status`]):
//! - an answer with an image id: that image is this instance's copy (the token proof);
//! - a refusal is definite for its own send. `InvalidAMIName.Duplicate` also settles every
//!   earlier send under the token: had one of them made an image, EC2 would have answered this one
//!   with it (within the token's idempotency period);
//! - a send whose answer was lost, cut off or timed out is unknown, and stays so until a later
//!   answer settles it. Nothing was made only when no unknown send is left.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// How long EC2 answers a re-sent request with the first one's result. AWS documents a period
/// only for RunInstances (at least 24 hours after the instance ends) and none for CopyImage, so
/// 24 hours from the first send is what the provider relies on; after that a re-send could start
/// a new copy instead of naming the old one, and resolving is left to the user.
pub const IDEMPOTENCY_PERIOD: time::Duration = time::Duration::hours(24);

/// EC2's code for "an image of yours in this region already has that name".
pub const NAME_TAKEN: &str = "InvalidAMIName.Duplicate";

/// The record (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempts {
    /// The CopyImage ClientToken: one for the copy's whole life.
    pub token: String,
    /// The destination region the request went to.
    pub region: String,
    /// The request as sent.
    pub request: CopyRequest,
    /// Every send under the token, oldest first (each of the SDK's retries is a send).
    #[serde(default)]
    pub sends: Vec<Send>,
}

/// The CopyImage parameters, as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyRequest {
    pub name: String,
    pub source_image_id: String,
    pub source_region: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub encrypted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_outpost_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_availability_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_copy_completion_duration_minutes: Option<i32>,
    #[serde(default)]
    pub copy_image_tags: bool,
    /// The tags at birth, on the image and its snapshots.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// One send of the request: when it left and ended (this machine's clock) and what came back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Send {
    #[serde(with = "rfc3339")]
    pub sent: OffsetDateTime,
    #[serde(with = "rfc3339")]
    pub ended: OffsetDateTime,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What became of one send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// EC2 answered with this image id.
    Answered { image_id: String },
    /// EC2 refused it with this code and message: nothing was made by this send.
    Refused { code: String, message: String },
    /// No answer tells: the request may or may not have been carried out.
    Unknown { why: String },
}

/// What the sends prove, together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status<'a> {
    /// EC2 answered a send under the token with this image: this instance's copy.
    Ours(&'a str),
    /// Nothing of this instance's exists: every send was refused, or a Duplicate settled the
    /// ones before it. The last refusal, if any send was made at all.
    NothingMade(Option<&'a Send>),
    /// A send's outcome is unknown and nothing settled it.
    Unknown,
}

impl Attempts {
    /// A record for `request` under `token`, nothing sent yet.
    pub fn new(token: String, region: String, request: CopyRequest) -> Attempts {
        Attempts {
            token,
            region,
            request,
            sends: Vec::new(),
        }
    }

    /// What the sends prove (see the module documentation).
    pub fn status(&self) -> Status<'_> {
        if let Some(id) = self.sends.iter().rev().find_map(|s| match &s.outcome {
            Outcome::Answered { image_id } => Some(image_id.as_str()),
            _ => None,
        }) {
            return Status::Ours(id);
        }
        if self.unsettled().next().is_some() {
            return Status::Unknown;
        }
        Status::NothingMade(self.sends.last())
    }

    /// The unknown sends that no later Duplicate settled: the only ones that may have made an
    /// image.
    pub fn unsettled(&self) -> impl Iterator<Item = &Send> {
        let settled_before = self
            .sends
            .iter()
            .rposition(|s| self.settles(s))
            .map_or(0, |i| i + 1);
        self.sends[settled_before..]
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Unknown { .. }))
    }

    /// Whether `send` proves that no earlier send under the token made an image: a Duplicate
    /// within the token's idempotency period.
    fn settles(&self, send: &Send) -> bool {
        let duplicate =
            matches!(&send.outcome, Outcome::Refused { code, .. } if code == NAME_TAKEN);
        duplicate
            && self
                .first_sent()
                .is_some_and(|f| send.sent <= f + IDEMPOTENCY_PERIOD)
    }

    /// When the first send left, if one did.
    pub fn first_sent(&self) -> Option<OffsetDateTime> {
        self.sends.first().map(|s| s.sent)
    }

    /// Whether EC2 may have forgotten the token by `now`: a re-send could then start a new copy
    /// instead of naming the old one.
    pub fn expired(&self, now: OffsetDateTime) -> bool {
        self.first_sent()
            .is_some_and(|f| now > f + IDEMPOTENCY_PERIOD)
    }

    /// The record as the state keeps it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The record the state keeps, if it holds one.
    pub fn from_json(text: &str) -> Option<Attempts> {
        if text.is_empty() {
            return None;
        }
        serde_json::from_str(text).ok()
    }
}

impl Send {
    /// The refusal's code, for a refused send.
    pub fn refusal_code(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Times as RFC 3339 in the state, readable by whoever looks at it.
mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        let text = t.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(d)?;
        OffsetDateTime::parse(&text, &Rfc3339).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-12-06 10:00:00.500 UTC);

    fn send(after_s: i64, outcome: Outcome) -> Send {
        let sent = T0 + time::Duration::seconds(after_s);
        Send {
            sent,
            ended: sent + time::Duration::milliseconds(300),
            outcome,
        }
    }

    fn unknown() -> Outcome {
        Outcome::Unknown {
            why: "connection closed".into(),
        }
    }

    fn refused(code: &str) -> Outcome {
        Outcome::Refused {
            code: code.into(),
            message: "no".into(),
        }
    }

    fn record(sends: Vec<Send>) -> Attempts {
        let mut a = Attempts::new("tok".into(), "eu-west-1".into(), CopyRequest::default());
        a.sends = sends;
        a
    }

    #[test]
    fn what_the_sends_prove() {
        let answered = Outcome::Answered {
            image_id: "ami-1".into(),
        };
        struct Case {
            what: &'static str,
            sends: Vec<Send>,
            status: Status<'static>,
        }
        let cases = [
            Case {
                what: "nothing sent (Ctrl-C came first)",
                sends: vec![],
                status: Status::NothingMade(None),
            },
            Case {
                what: "an answer",
                sends: vec![send(0, answered.clone())],
                status: Status::Ours("ami-1"),
            },
            Case {
                what: "a lost answer, then the re-send answered",
                sends: vec![send(0, unknown()), send(1, answered.clone())],
                status: Status::Ours("ami-1"),
            },
            Case {
                what: "a definite refusal with no unknown before it",
                sends: vec![send(0, refused(NAME_TAKEN))],
                status: Status::NothingMade(None),
            },
            Case {
                what: "a lost answer, then a Duplicate: had the first made the copy, EC2 would \
                       have answered with it",
                sends: vec![send(0, unknown()), send(1, refused(NAME_TAKEN))],
                status: Status::NothingMade(None),
            },
            Case {
                what: "a lost answer, then an auth failure: the first may have made it",
                sends: vec![send(0, unknown()), send(1, refused("AuthFailure"))],
                status: Status::Unknown,
            },
            Case {
                what: "a lost answer, then the re-send lost too",
                sends: vec![send(0, unknown()), send(5, unknown())],
                status: Status::Unknown,
            },
            Case {
                what: "a Duplicate, then a send whose answer was lost",
                sends: vec![send(0, refused(NAME_TAKEN)), send(9, unknown())],
                status: Status::Unknown,
            },
            Case {
                what: "a Duplicate after the idempotency period settles nothing",
                sends: vec![send(0, unknown()), send(25 * 3600, refused(NAME_TAKEN))],
                status: Status::Unknown,
            },
        ];
        for c in cases {
            let a = record(c.sends);
            let got = a.status();
            // Compare without the borrowed send in NothingMade.
            let same = match (&got, &c.status) {
                (Status::NothingMade(_), Status::NothingMade(_)) => true,
                (g, w) => g == w,
            };
            assert!(same, "{}: {got:?}", c.what);
        }
    }

    #[test]
    fn only_unsettled_unknown_sends_count() {
        let a = record(vec![
            send(0, unknown()),
            send(1, refused(NAME_TAKEN)),
            send(2, refused("Throttling")),
            send(3, unknown()),
        ]);
        let left: Vec<_> = a.unsettled().map(|s| s.sent).collect();
        assert_eq!(left, vec![T0 + time::Duration::seconds(3)]);
    }

    #[test]
    fn the_record_survives_the_state() {
        let mut a = record(vec![send(0, unknown()), send(1, refused("AuthFailure"))]);
        a.request.name = "copy".into();
        a.request.tags.insert("Team".into(), "a".into());
        let text = a.to_json();
        assert!(text.contains("2026-12-06T10:00:00.5Z"), "{text}");
        assert_eq!(Attempts::from_json(&text), Some(a));
        assert_eq!(Attempts::from_json(""), None);
        assert_eq!(Attempts::from_json("junk"), None);
    }

    #[test]
    fn expiry_counts_from_the_first_send() {
        let a = record(vec![send(0, unknown())]);
        assert!(!a.expired(T0 + time::Duration::hours(23)));
        assert!(a.expired(T0 + time::Duration::hours(25)));
        assert!(!record(vec![]).expired(T0 + time::Duration::days(9)));
    }
}
