use super::*;
use aws_sdk_ec2::operation::copy_image::CopyImageError;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;

type CopyErr = SdkError<CopyImageError, HttpResponse>;

fn service_error(status: u16, code: &str, msg: &str) -> CopyErr {
    let meta = ErrorMetadata::builder().code(code).message(msg).build();
    let status = StatusCode::try_from(status).expect("valid test status");
    SdkError::service_error(
        CopyImageError::generic(meta),
        HttpResponse::new(status, SdkBody::empty()),
    )
}

#[test]
fn lost_answers_and_timeouts_are_unknown_outcomes() {
    let closed: CopyErr = SdkError::dispatch_failure(ConnectorError::other(
        "connection closed before message completed".into(),
        None,
    ));
    assert!(is_unknown_outcome(&closed));
    let reset: CopyErr =
        SdkError::dispatch_failure(ConnectorError::io("connection reset by peer".into()));
    assert!(is_unknown_outcome(&reset));
    let timed_out: CopyErr =
        SdkError::dispatch_failure(ConnectorError::timeout("read timed out".into()));
    assert!(is_unknown_outcome(&timed_out));
    let operation_timeout: CopyErr = SdkError::timeout_error("operation timed out");
    assert!(is_unknown_outcome(&operation_timeout));
    let unreadable: CopyErr = SdkError::response_error(
        "truncated body",
        HttpResponse::new(StatusCode::try_from(200).expect("status"), SdkBody::empty()),
    );
    assert!(is_unknown_outcome(&unreadable));
}

#[test]
fn answers_and_unsendable_requests_are_known_outcomes() {
    let never_sent: CopyErr =
        SdkError::dispatch_failure(ConnectorError::user("invalid endpoint URI".into()));
    assert!(!is_unknown_outcome(&never_sent));
    let unbuilt: CopyErr = SdkError::construction_failure("no region");
    assert!(!is_unknown_outcome(&unbuilt));
    let refused = service_error(400, "InvalidAMIID.NotFound", "no such image");
    assert!(!is_unknown_outcome(&refused));
    assert!(matches!(
        CopyFailure::of(&refused, "ami-1"),
        CopyFailure::Refused(d) if d.detail.contains("CopyImage of ami-1 failed: InvalidAMIID.NotFound")
    ));
    let taken = service_error(400, NAME_TAKEN, "AMI name x is already in use by AMI ami-2");
    assert!(matches!(
        CopyFailure::of(&taken, "ami-1"),
        CopyFailure::NameTaken(m) if m.contains("ami-2") && m.contains(NAME_TAKEN)
    ));
    let lost: CopyErr = SdkError::timeout_error("slow");
    assert!(matches!(
        CopyFailure::of(&lost, "ami-1"),
        CopyFailure::Unknown(m) if m == "request timed out"
    ));
}

const WANTED: Wanted<'static> = Wanted {
    region: "us-east-1",
    name: "copy",
    source_id: "ami-11111111",
    source_region: "eu-west-1",
};

fn image(name: &str, source: Option<(&str, Option<&str>)>, state: ImageState) -> Image {
    let mut b = Image::builder()
        .image_id("ami-99999999")
        .name(name)
        .state(state);
    if let Some((id, region)) = source {
        b = b
            .source_image_id(id)
            .set_source_image_region(region.map(str::to_string));
    }
    b.build()
}

#[test]
fn a_copy_is_wanted_by_name_source_and_live_state() {
    use ImageState::*;
    use Strictness::*;
    let ours = image("copy", Some(("ami-11111111", Some("eu-west-1"))), Pending);
    assert!(is_wanted(&ours, WANTED, SourceRequired));
    assert!(is_wanted(&ours, WANTED, SourceIfReported));
    // EC2 may report the source id without its region.
    let no_region = image("copy", Some(("ami-11111111", None)), Available);
    assert!(is_wanted(&no_region, WANTED, SourceRequired));
    // Another name, source, source region, or a dead image: never.
    for other in [
        image(
            "copy2",
            Some(("ami-11111111", Some("eu-west-1"))),
            Available,
        ),
        image("copy", Some(("ami-22222222", Some("eu-west-1"))), Available),
        image("copy", Some(("ami-11111111", Some("us-west-2"))), Available),
        image(
            "copy",
            Some(("ami-11111111", Some("eu-west-1"))),
            Deregistered,
        ),
    ] {
        assert!(!is_wanted(&other, WANTED, SourceIfReported), "{other:?}");
        assert!(!is_wanted(&other, WANTED, SourceRequired), "{other:?}");
    }
    // No source reported (stock moto, or an image that is no copy): by name only when lenient.
    let unknown_source = image("copy", None, Available);
    assert!(is_wanted(&unknown_source, WANTED, SourceIfReported));
    assert!(!is_wanted(&unknown_source, WANTED, SourceRequired));
}

#[test]
fn holders_are_described_by_their_source() {
    use ImageState::*;
    let copy = image("copy", Some(("ami-22222222", Some("us-west-2"))), Available);
    assert_eq!(
        describe_holder(&copy),
        "ami-99999999 (a copy of ami-22222222 from us-west-2)"
    );
    let registered = image("copy", None, Available);
    assert_eq!(
        describe_holder(&registered),
        "ami-99999999 (not a copy: EC2 reports no source image)"
    );
    assert_eq!(not_ours(&[]), "");
    assert!(not_ours(&[copy]).contains("held by ami-99999999"));
}
