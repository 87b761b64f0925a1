//! EC2 error codes: the ones resources branch on (an image or snapshot that is gone, a snapshot
//! still in use, throttling) and how an SDK error is shown to a user.

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_types::request_id::RequestId;

pub const IMAGE_NOT_FOUND: &str = "InvalidAMIID.NotFound";
pub const IMAGE_UNAVAILABLE: &str = "InvalidAMIID.Unavailable";
pub const SNAPSHOT_NOT_FOUND: &str = "InvalidSnapshot.NotFound";
pub const SNAPSHOT_IN_USE: &str = "InvalidSnapshot.InUse";

/// Codes AWS services use for "slow down"; EC2 itself says `RequestLimitExceeded`.
const THROTTLE_CODES: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
    "BandwidthLimitExceeded",
    "EC2ThrottledException",
    "PriorRequestNotComplete",
];

/// Server-side codes that say "try again later" rather than "your request is wrong".
const SERVER_BUSY_CODES: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// The service error code (`InvalidAMIID.NotFound`, ...) of a failed call, if the service sent one.
pub fn error_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<String> {
    err.code().map(str::to_string)
}

fn code_is<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>, codes: &[&str]) -> bool {
    err.code().is_some_and(|c| codes.contains(&c))
}

/// The image does not exist (or no longer exists): deregistered, never existed, or not ours to see.
pub fn is_image_not_found<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    code_is(err, &[IMAGE_NOT_FOUND, IMAGE_UNAVAILABLE])
}

pub fn is_snapshot_not_found<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    code_is(err, &[SNAPSHOT_NOT_FOUND])
}

pub fn is_snapshot_in_use<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    code_is(err, &[SNAPSHOT_IN_USE])
}

pub fn is_throttle_code(code: &str) -> bool {
    THROTTLE_CODES.contains(&code)
}

/// Worth trying again later: throttling, server-side trouble (5xx or a "busy" code), or a
/// network-level failure (timeout, connection reset, bad response). Errors in the request itself
/// (bad parameter, no permission, unknown id) are not.
pub fn is_transient<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(ctx) => {
            let busy = err
                .code()
                .is_some_and(|c| is_throttle_code(c) || SERVER_BUSY_CODES.contains(&c));
            busy || ctx.raw().status().is_server_error()
        }
        // A request that could not even be built (bad input or missing configuration) will not
        // get better by itself.
        _ => false,
    }
}

/// One line for a diagnostic: `CODE: message (request id ...)` for a service error, a short
/// description of the failure otherwise. Built only from the error's code, message, request id,
/// HTTP status and error chain, none of which carry credentials.
pub fn describe_sdk_error<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let mut out = match (err.code(), err.message()) {
                (Some(code), Some(msg)) if !msg.is_empty() => format!("{code}: {msg}"),
                (Some(code), _) => code.to_string(),
                (None, Some(msg)) if !msg.is_empty() => format!("HTTP {status}: {msg}"),
                (None, _) => format!("HTTP {status} with no error code"),
            };
            if let Some(id) = err.request_id() {
                out.push_str(&format!(" (request id: {id})"));
            }
            out
        }
        SdkError::TimeoutError(_) => "request timed out".to_string(),
        SdkError::DispatchFailure(_) => {
            format!("request could not be sent: {}", source_chain(err))
        }
        SdkError::ResponseError(ctx) => format!(
            "unreadable response (HTTP {}): {}",
            ctx.raw().status().as_u16(),
            source_chain(err)
        ),
        _ => format!("request could not be built: {}", source_chain(err)),
    }
}

/// The messages of an error's causes, outermost first (the SDK's own top-level text, such as
/// "dispatch failure", says less than its causes, so it is left out).
fn source_chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = err.source();
    while let Some(e) = next {
        let text = e.to_string();
        // Wrappers often repeat their cause's text; say it once.
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::operation::describe_images::DescribeImagesError;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn service_error(
        status: u16,
        code: Option<&str>,
        msg: Option<&str>,
    ) -> SdkError<DescribeImagesError, HttpResponse> {
        let mut meta = ErrorMetadata::builder();
        if let Some(c) = code {
            meta = meta.code(c);
        }
        if let Some(m) = msg {
            meta = meta.message(m);
        }
        let status = StatusCode::try_from(status).expect("valid test status");
        SdkError::service_error(
            DescribeImagesError::generic(meta.build()),
            HttpResponse::new(status, SdkBody::empty()),
        )
    }

    fn err_is_throttle(e: &SdkError<DescribeImagesError, HttpResponse>) -> bool {
        e.code().is_some_and(is_throttle_code)
    }

    #[test]
    fn codes_and_predicates() {
        let nf = service_error(
            400,
            Some(IMAGE_NOT_FOUND),
            Some("The image id '[ami-1]' does not exist"),
        );
        assert_eq!(error_code(&nf).as_deref(), Some(IMAGE_NOT_FOUND));
        assert!(is_image_not_found(&nf));
        assert!(!err_is_throttle(&nf));
        assert!(!is_transient(&nf));

        let unavailable = service_error(400, Some(IMAGE_UNAVAILABLE), None);
        assert!(is_image_not_found(&unavailable));

        let malformed = service_error(400, Some("InvalidAMIID.Malformed"), None);
        assert!(!is_image_not_found(&malformed));
        assert!(!is_transient(&malformed));

        let throttled = service_error(
            503,
            Some("RequestLimitExceeded"),
            Some("Request limit exceeded."),
        );
        assert!(err_is_throttle(&throttled));
        assert!(is_transient(&throttled));

        let internal = service_error(500, None, None);
        assert_eq!(error_code(&internal), None);
        assert!(is_transient(&internal));

        let snap = service_error(400, Some(SNAPSHOT_IN_USE), None);
        assert!(is_snapshot_in_use(&snap));
        assert!(!is_snapshot_not_found(&snap));
    }

    #[test]
    fn network_failures_are_transient_and_have_no_code() {
        let err: SdkError<DescribeImagesError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io("connection reset".into()));
        assert_eq!(error_code(&err), None);
        assert!(is_transient(&err));
        assert!(describe_sdk_error(&err).contains("connection reset"));

        let err: SdkError<DescribeImagesError, HttpResponse> = SdkError::timeout_error("slow");
        assert!(is_transient(&err));
        assert_eq!(describe_sdk_error(&err), "request timed out");

        let err: SdkError<DescribeImagesError, HttpResponse> =
            SdkError::construction_failure("no region");
        assert!(!is_transient(&err));
        assert!(describe_sdk_error(&err).starts_with("request could not be built"));
    }

    #[test]
    fn description_is_code_and_message() {
        let e = service_error(
            403,
            Some("UnauthorizedOperation"),
            Some("You are not authorized to perform this operation."),
        );
        assert_eq!(
            describe_sdk_error(&e),
            "UnauthorizedOperation: You are not authorized to perform this operation."
        );
        assert_eq!(
            describe_sdk_error(&service_error(400, Some(SNAPSHOT_NOT_FOUND), Some(""))),
            SNAPSHOT_NOT_FOUND
        );
        assert_eq!(
            describe_sdk_error(&service_error(502, None, None)),
            "HTTP 502 with no error code"
        );
    }
}
