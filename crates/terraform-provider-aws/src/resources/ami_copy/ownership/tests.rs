use super::*;
use time::macros::datetime;

/// This instance's first CopyImage left at 10:00:00.500 and ended at 10:00:00.800 (this
/// machine's clock) with `first`; `later` are the sends after it.
fn record(first: Outcome, later: Vec<Send>) -> Attempts {
    let mut a = Attempts::new(
        "tok".into(),
        "eu-west-1".into(),
        CopyRequest {
            name: "copy".into(),
            source_image_id: "ami-11111111".into(),
            source_region: "eu-west-1".into(),
            ..Default::default()
        },
    );
    a.sends.push(Send {
        sent: datetime!(2026-12-06 10:00:00.500 UTC),
        ended: datetime!(2026-12-06 10:00:00.800 UTC),
        outcome: first,
    });
    a.sends.extend(later);
    a
}

fn lost() -> Outcome {
    Outcome::Unknown {
        why: "connection closed".into(),
    }
}

fn answered(id: &str) -> Outcome {
    Outcome::Answered {
        image_id: id.into(),
    }
}

fn duplicate() -> Outcome {
    Outcome::Refused {
        code: NAME_TAKEN.into(),
        message: "in use".into(),
    }
}

/// A send at `at` (this machine's clock) lasting a quarter second.
fn send_at(at: OffsetDateTime, outcome: Outcome) -> Send {
    Send {
        sent: at,
        ended: at + time::Duration::milliseconds(250),
        outcome,
    }
}

const SAME_CLOCK: Skew = Skew {
    server_minus_local_ms: 0,
};

fn image(id: &str, created: &str, source: Option<(&str, &str)>, state: ImageState) -> Image {
    let mut b = Image::builder()
        .image_id(id)
        .name("copy")
        .creation_date(created)
        .state(state);
    if let Some((src, region)) = source {
        b = b.source_image_id(src).source_image_region(region);
    }
    b.build()
}

const SRC: Option<(&str, &str)> = Some(("ami-11111111", "eu-west-1"));

#[test]
fn the_table() {
    use ImageState::*;
    struct Case {
        what: &'static str,
        image: Image,
        attempts: Attempts,
        skew: Option<Skew>,
        ours: bool,
    }
    let ahead_5min = Skew {
        server_minus_local_ms: 300_000,
    };
    let behind_5min = Skew {
        server_minus_local_ms: -300_000,
    };
    let cases = [
        Case {
            what: "token answer, even made long before and with no clock",
            image: image("ami-a", "2020-01-01T00:00:00.000Z", SRC, Available),
            attempts: record(
                lost(),
                vec![send_at(
                    datetime!(2026-12-06 10:00:05 UTC),
                    answered("ami-a"),
                )],
            ),
            skew: None,
            ours: true,
        },
        Case {
            what: "another id than the token answer, created during the lost send",
            image: image("ami-b", "2026-12-06T10:00:00.600Z", SRC, Available),
            attempts: record(
                lost(),
                vec![send_at(
                    datetime!(2026-12-06 10:00:05 UTC),
                    answered("ami-a"),
                )],
            ),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "created while the lost send was in flight",
            image: image("ami-c", "2026-12-06T10:00:00.600Z", SRC, Pending),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: true,
        },
        Case {
            what: "whole-second creation date, same second as the lost send",
            image: image("ami-c", "2026-12-06T10:00:00Z", SRC, Pending),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: true,
        },
        Case {
            what: "same second, but the only send was answered Duplicate: a definite answer, no \
                   unknown send, so the holder is someone else's (two applies started together)",
            image: image("ami-c", "2026-12-06T10:00:00Z", SRC, Available),
            attempts: record(duplicate(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "same second as a lost send that a later Duplicate settled",
            image: image("ami-c", "2026-12-06T10:00:00.600Z", SRC, Available),
            attempts: record(
                lost(),
                vec![send_at(datetime!(2026-12-06 10:00:03 UTC), duplicate())],
            ),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "created two seconds before the send (a replacement keeping its name)",
            image: image("ami-d", "2026-12-06T09:59:58.400Z", SRC, Available),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "created an hour before (another state's copy)",
            image: image("ami-d", "2026-12-06T09:00:00.000Z", SRC, Available),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "created three seconds after the lost send ended (a later workspace's copy)",
            image: image("ami-l", "2026-12-06T10:00:03.800Z", SRC, Pending),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "created a day later, when a re-send was refused (an unresolved copy meeting a \
                   later image)",
            image: image("ami-l", "2026-12-07T09:00:00.000Z", SRC, Available),
            attempts: record(
                lost(),
                vec![send_at(
                    datetime!(2026-12-07 10:00:00 UTC),
                    Outcome::Refused {
                        code: "AuthFailure".into(),
                        message: "expired".into(),
                    },
                )],
            ),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "created between two lost sends, in neither",
            image: image("ami-m", "2026-12-06T10:00:20.000Z", SRC, Pending),
            attempts: record(
                lost(),
                vec![send_at(datetime!(2026-12-06 10:01:00 UTC), lost())],
            ),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "created during the second of two lost sends",
            image: image("ami-m", "2026-12-06T10:01:00.100Z", SRC, Pending),
            attempts: record(
                lost(),
                vec![send_at(datetime!(2026-12-06 10:01:00 UTC), lost())],
            ),
            skew: Some(SAME_CLOCK),
            ours: true,
        },
        Case {
            what: "EC2's clock 5 min ahead: its 10:05:00.6 is our 10:00:00.6",
            image: image("ami-e", "2026-12-06T10:05:00.600Z", SRC, Pending),
            attempts: record(lost(), vec![]),
            skew: Some(ahead_5min),
            ours: true,
        },
        Case {
            what: "EC2's clock 5 min ahead: its 10:00:00.6 is long before the send",
            image: image("ami-e", "2026-12-06T10:00:00.600Z", SRC, Available),
            attempts: record(lost(), vec![]),
            skew: Some(ahead_5min),
            ours: false,
        },
        Case {
            what: "EC2's clock 5 min behind: its 09:55:00.7 is our 10:00:00.7",
            image: image("ami-f", "2026-12-06T09:55:00.700Z", SRC, Pending),
            attempts: record(lost(), vec![]),
            skew: Some(behind_5min),
            ours: true,
        },
        Case {
            what: "no clock to compare with: unproven",
            image: image("ami-g", "2026-12-06T10:00:00.600Z", SRC, Pending),
            attempts: record(lost(), vec![]),
            skew: None,
            ours: false,
        },
        Case {
            what: "no source reported (stock moto), in the window",
            image: image("ami-h", "2026-12-06T10:00:00.600Z", None, Available),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: true,
        },
        Case {
            what: "no source reported, created before",
            image: image("ami-h", "2026-12-06T09:58:00.000Z", None, Available),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "another source image, in the window",
            image: image(
                "ami-i",
                "2026-12-06T10:00:00.600Z",
                Some(("ami-22222222", "eu-west-1")),
                Pending,
            ),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "another source region, in the window",
            image: image(
                "ami-i",
                "2026-12-06T10:00:00.600Z",
                Some(("ami-11111111", "us-west-2")),
                Pending,
            ),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "disabled, in the window",
            image: image("ami-j", "2026-12-06T10:00:00.600Z", SRC, Disabled),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "failed, in the window",
            image: image("ami-j", "2026-12-06T10:00:00.600Z", SRC, Failed),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "no creation date",
            image: Image::builder()
                .image_id("ami-k")
                .name("copy")
                .state(Pending)
                .build(),
            attempts: record(lost(), vec![]),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
    ];
    for c in cases {
        let verdict = judge(&c.image, &c.attempts, c.skew);
        assert_eq!(verdict.is_ok(), c.ours, "{}: {verdict:?}", c.what);
    }
}

#[test]
fn reasons_and_proofs_say_why() {
    let a = record(lost(), vec![]);
    let before = image(
        "ami-d",
        "2026-12-06T09:00:00.000Z",
        SRC,
        ImageState::Available,
    );
    assert!(matches!(
        judge(&before, &a, Some(SAME_CLOCK)),
        Err(NotOurs::CreatedBefore { created, .. }) if created == "2026-12-06T09:00:00.000Z"
    ));
    let after = image(
        "ami-d",
        "2026-12-06T11:00:00.000Z",
        SRC,
        ImageState::Available,
    );
    assert!(matches!(
        judge(&after, &a, Some(SAME_CLOCK)),
        Err(NotOurs::CreatedOutside { .. })
    ));
    let other_name = Image::builder().image_id("ami-x").name("other").build();
    assert_eq!(
        judge(&other_name, &a, Some(SAME_CLOCK)),
        Err(NotOurs::OtherName)
    );
    let moto = image(
        "ami-h",
        "2026-12-06T10:00:00.600Z",
        None,
        ImageState::Available,
    );
    let proof = judge(&moto, &a, Some(SAME_CLOCK)).expect("ours");
    let text = proof.describe();
    assert!(text.contains("reports no source image"), "{text}");
    assert!(
        text.contains("2026-12-06T09:59:59.5Z") && text.contains("2026-12-06T10:00:01.8Z"),
        "both ends of the window: {text}"
    );
    assert!(Proof::Token.describe().contains("ClientToken"));
}

#[test]
fn several_candidates_adopt_none_unless_one_is_the_token_answer() {
    use ImageState::*;
    let a = image("ami-a", "2026-12-06T10:00:00.600Z", None, Available);
    let b = image("ami-b", "2026-12-06T10:00:00.700Z", None, Available);
    let old = image("ami-o", "2026-12-01T00:00:00.000Z", None, Available);
    let lost_once = record(lost(), vec![]);
    let w = Some(SAME_CLOCK);
    assert!(
        matches!(pick(vec![a.clone(), b.clone()], &lost_once, w), Verdict::Several(v) if v.len() == 2)
    );
    let token_b = record(
        lost(),
        vec![send_at(
            datetime!(2026-12-06 10:00:05 UTC),
            answered("ami-b"),
        )],
    );
    assert!(matches!(
        pick(vec![a.clone(), b.clone()], &token_b, w),
        Verdict::One(i, Proof::Token) if i.image_id() == Some("ami-b")
    ));
    // Only an older holder: nothing adopted, the holder named.
    assert!(matches!(
        pick(vec![old.clone()], &lost_once, w),
        Verdict::None { holders } if holders.len() == 1
    ));
    assert_eq!(
        describe_holder(&old),
        "ami-o (no source image reported, created 2026-12-01T00:00:00.000Z)"
    );
    assert!(
        matches!(pick(vec![a, old], &lost_once, w), Verdict::One(i, Proof::Window { .. }) if i.image_id() == Some("ami-a"))
    );
}

/// DESIGN.md's table of paths and proofs, as the gate holds it.
#[test]
fn each_path_accepts_its_proofs_only() {
    let window = Proof::Window {
        created: "c".into(),
        from: "f".into(),
        to: "t".into(),
        source_reported: true,
    };
    let proofs = [
        ("state", Proof::State),
        ("token", Proof::Token),
        ("window", window),
        ("named", Proof::Named),
        ("dry run", Proof::DryRunAnswer),
    ];
    let table: &[(Path, Act, &[&str])] = &[
        (Path::Create, Act::Adopt, &["token", "window"]),
        (Path::Create, Act::Modify, &["state", "token", "window"]),
        (Path::Create, Act::Deregister, &[]),
        (Path::Update, Act::Adopt, &[]),
        (Path::Update, Act::Modify, &["state"]),
        (Path::Update, Act::Deregister, &[]),
        (Path::Destroy, Act::Adopt, &[]),
        (Path::Destroy, Act::Modify, &[]),
        (Path::Destroy, Act::Deregister, &["state", "token"]),
        (Path::Import, Act::Adopt, &["named"]),
        (Path::Import, Act::Deregister, &[]),
        (Path::DryRun, Act::Deregister, &["dry run"]),
        (Path::DryRun, Act::Adopt, &[]),
    ];
    for (path, act, accepted) in table {
        for (name, proof) in &proofs {
            assert_eq!(
                allow(*path, *act, proof).is_ok(),
                accepted.contains(name),
                "{act:?} on {path:?} with the {name} proof"
            );
        }
    }
}

#[test]
fn import_keeps_only_a_holder_of_the_same_source() {
    let same = image("ami-1", "x", SRC, ImageState::Available);
    let other = image(
        "ami-1",
        "x",
        Some(("ami-22222222", "eu-west-1")),
        ImageState::Available,
    );
    let unreported = image("ami-1", "x", None, ImageState::Available);
    assert!(import_keeps(&same, "ami-11111111", "eu-west-1"));
    assert!(!import_keeps(&other, "ami-11111111", "eu-west-1"));
    assert!(!import_keeps(&same, "ami-11111111", "us-east-1"));
    assert!(import_keeps(&unreported, "ami-11111111", "eu-west-1"));
}
