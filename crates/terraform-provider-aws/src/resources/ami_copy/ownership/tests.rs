use super::*;
use time::macros::datetime;

/// This instance: first CopyImage at 10:00:00.500 on this machine's clock.
fn claim(token_answer: Option<&'static str>) -> Claim<'static> {
    Claim {
        name: "copy",
        source_id: "ami-11111111",
        source_region: "eu-west-1",
        first_attempt: datetime!(2026-12-06 10:00:00.500 UTC),
        token_answer,
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
        token_answer: Option<&'static str>,
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
            token_answer: Some("ami-a"),
            skew: None,
            ours: true,
        },
        Case {
            what: "another id than the token answer, created before",
            image: image("ami-b", "2026-12-06T09:59:00.000Z", SRC, Available),
            token_answer: Some("ami-a"),
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "created just after the first attempt",
            image: image("ami-c", "2026-12-06T10:00:00.600Z", SRC, Pending),
            token_answer: None,
            skew: Some(SAME_CLOCK),
            ours: true,
        },
        Case {
            what: "whole-second creation date, same second as the attempt",
            image: image("ami-c", "2026-12-06T10:00:00Z", SRC, Pending),
            token_answer: None,
            skew: Some(SAME_CLOCK),
            ours: true,
        },
        Case {
            what: "created two seconds before the attempt (a replacement keeping its name)",
            image: image("ami-d", "2026-12-06T09:59:58.400Z", SRC, Available),
            token_answer: None,
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "created an hour before (another state's copy)",
            image: image("ami-d", "2026-12-06T09:00:00.000Z", SRC, Available),
            token_answer: None,
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "EC2's clock 5 min ahead: its 10:05:01 is our 10:00:01",
            image: image("ami-e", "2026-12-06T10:05:01.000Z", SRC, Pending),
            token_answer: None,
            skew: Some(ahead_5min),
            ours: true,
        },
        Case {
            what: "EC2's clock 5 min ahead: its 10:03 is before our first attempt",
            image: image("ami-e", "2026-12-06T10:03:00.000Z", SRC, Available),
            token_answer: None,
            skew: Some(ahead_5min),
            ours: false,
        },
        Case {
            what: "EC2's clock 5 min behind: its 09:55:01 is our 10:00:01",
            image: image("ami-f", "2026-12-06T09:55:01.000Z", SRC, Pending),
            token_answer: None,
            skew: Some(behind_5min),
            ours: true,
        },
        Case {
            what: "no clock to compare with: unproven",
            image: image("ami-g", "2026-12-06T10:00:01.000Z", SRC, Pending),
            token_answer: None,
            skew: None,
            ours: false,
        },
        Case {
            what: "no source reported (stock moto), in the window",
            image: image("ami-h", "2026-12-06T10:00:01.000Z", None, Available),
            token_answer: None,
            skew: Some(SAME_CLOCK),
            ours: true,
        },
        Case {
            what: "no source reported, created before",
            image: image("ami-h", "2026-12-06T09:58:00.000Z", None, Available),
            token_answer: None,
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "another source image, in the window",
            image: image(
                "ami-i",
                "2026-12-06T10:00:01.000Z",
                Some(("ami-22222222", "eu-west-1")),
                Pending,
            ),
            token_answer: None,
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "another source region, in the window",
            image: image(
                "ami-i",
                "2026-12-06T10:00:01.000Z",
                Some(("ami-11111111", "us-west-2")),
                Pending,
            ),
            token_answer: None,
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "disabled, in the window",
            image: image("ami-j", "2026-12-06T10:00:01.000Z", SRC, Disabled),
            token_answer: None,
            skew: Some(SAME_CLOCK),
            ours: false,
        },
        Case {
            what: "failed, in the window",
            image: image("ami-j", "2026-12-06T10:00:01.000Z", SRC, Failed),
            token_answer: None,
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
            token_answer: None,
            skew: Some(SAME_CLOCK),
            ours: false,
        },
    ];
    for c in cases {
        let claim = claim(c.token_answer);
        let verdict = judge(&c.image, &claim, claim.window_start(c.skew));
        assert_eq!(verdict.is_ok(), c.ours, "{}: {verdict:?}", c.what);
    }
}

#[test]
fn reasons_and_proofs_say_why() {
    let c = claim(None);
    let before = image(
        "ami-d",
        "2026-12-06T09:00:00.000Z",
        SRC,
        ImageState::Available,
    );
    assert!(matches!(
        judge(&before, &c, c.window_start(Some(SAME_CLOCK))),
        Err(NotOurs::CreatedBefore { created, .. }) if created == "2026-12-06T09:00:00.000Z"
    ));
    let other_name = Image::builder().image_id("ami-x").name("other").build();
    assert_eq!(
        judge(&other_name, &c, c.window_start(Some(SAME_CLOCK))),
        Err(NotOurs::OtherName)
    );
    let moto = image(
        "ami-h",
        "2026-12-06T10:00:01.000Z",
        None,
        ImageState::Available,
    );
    let proof = judge(&moto, &c, c.window_start(Some(SAME_CLOCK))).expect("ours");
    assert!(
        proof.describe().contains("reports no source image"),
        "{}",
        proof.describe()
    );
    assert!(Proof::Token.describe().contains("ClientToken"));
}

#[test]
fn several_candidates_adopt_none_unless_one_is_the_token_answer() {
    use ImageState::*;
    let a = image("ami-a", "2026-12-06T10:00:01.000Z", None, Available);
    let b = image("ami-b", "2026-12-06T10:00:02.000Z", None, Available);
    let old = image("ami-o", "2026-12-01T00:00:00.000Z", None, Available);
    let c = claim(None);
    let w = c.window_start(Some(SAME_CLOCK));
    assert!(matches!(pick(vec![a.clone(), b.clone()], &c, w), Verdict::Several(v) if v.len() == 2));
    let c = claim(Some("ami-b"));
    assert!(matches!(
        pick(vec![a.clone(), b.clone()], &c, w),
        Verdict::One(i, Proof::Token) if i.image_id() == Some("ami-b")
    ));
    // Only an older holder: nothing adopted, the holder named.
    let c = claim(None);
    assert!(matches!(
        pick(vec![old.clone()], &c, w),
        Verdict::None { holders } if holders.len() == 1
    ));
    assert_eq!(
        describe_holder(&old),
        "ami-o (no source image reported, created 2026-12-01T00:00:00.000Z)"
    );
    assert!(
        matches!(pick(vec![a, old], &c, w), Verdict::One(i, Proof::Window { .. }) if i.image_id() == Some("ami-a"))
    );
}
