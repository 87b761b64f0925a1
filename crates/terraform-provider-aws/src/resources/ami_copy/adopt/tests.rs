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
    // What is left after the SDK's retries may follow an attempt that was served.
    let busy = service_error(503, "Unavailable", "try later");
    assert!(is_unknown_outcome(&busy));
    let throttled = service_error(400, "RequestLimitExceeded", "slow down");
    assert!(matches!(
        CopyFailure::of(&throttled, "ami-1"),
        CopyFailure::Unknown(_)
    ));
    let lost: CopyErr = SdkError::timeout_error("slow");
    assert!(matches!(
        CopyFailure::of(&lost, "ami-1"),
        CopyFailure::Unknown(m) if m == "request timed out"
    ));
}
