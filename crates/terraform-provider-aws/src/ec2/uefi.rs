//! An image's UEFI variable store (DescribeImageAttribute `uefiData`; GetInstanceUefiData takes
//! an instance id, never an AMI id). Only images that boot with UEFI can have one, so no other
//! image costs a call; for those that can, the read is optional (see `optional_read`).
//!
//! EC2 fixes an image's UEFI data when the image is registered: no call changes it afterwards
//! (ModifyImageAttribute takes no `uefiData`), so a copy's is read once and then kept (the
//! resource remembers that in its private data). A backend that does not implement the read
//! (HTTP 500 without an error code, `InvalidAction`, ...) is remembered for the rest of the
//! process ([`Support`]): one failing read per process, not one per copy.

use super::optional_read;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::operation::describe_image_attribute::DescribeImageAttributeError;
use aws_sdk_ec2::types::{BootModeValues, Image, ImageAttributeName};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Boot mode `uefi` or `uefi-preferred`: the only images EC2 stores UEFI data for.
pub fn may_have_uefi_data(image: &Image) -> bool {
    matches!(
        image.boot_mode(),
        Some(BootModeValues::Uefi | BootModeValues::UefiPreferred)
    )
}

/// Whether a backend answers the read: unknown until one call has said (`None`). The first
/// caller asks while holding the lock, so that concurrent reads wait for its answer instead of
/// all failing at once against a backend that lacks the call.
#[derive(Debug, Default)]
pub struct Support(tokio::sync::Mutex<Option<bool>>);

impl Support {
    /// Whether the backend has shown it does not implement the read.
    pub async fn lacking(&self) -> bool {
        *self.0.lock().await == Some(false)
    }
}

/// The [`Support`] of one backend (provider configuration `owner`, and `region`), for the
/// process's life.
pub fn support(owner: usize, region: &str) -> Arc<Support> {
    type Backends = Mutex<HashMap<(usize, String), Arc<Support>>>;
    static ALL: OnceLock<Backends> = OnceLock::new();
    let mut all = super::lock(ALL.get_or_init(Default::default));
    Arc::clone(all.entry((owner, region.to_string())).or_default())
}

/// The image's UEFI data: `Some(None)` when it has none (without a call when its boot mode rules
/// it out), `Some(Some(base64))` when it has some, `None` when the backend could not say: keep
/// the previous value.
pub async fn uefi_data(
    client: &aws_sdk_ec2::Client,
    image: &Image,
    support: &Support,
) -> Option<Option<String>> {
    if !may_have_uefi_data(image) {
        return Some(None);
    }
    let mut known = support.0.lock().await;
    match *known {
        Some(false) => return None,
        // Answered before: no need to keep the others waiting.
        Some(true) => drop(known),
        None => {
            let result = read(client, image).await;
            if let Some(answers) = answers(&result) {
                *known = Some(answers);
            }
            return settle(image, result);
        }
    }
    settle(image, read(client, image).await)
}

type Answer = Result<
    aws_sdk_ec2::operation::describe_image_attribute::DescribeImageAttributeOutput,
    SdkError<DescribeImageAttributeError, HttpResponse>,
>;

async fn read(client: &aws_sdk_ec2::Client, image: &Image) -> Answer {
    client
        .describe_image_attribute()
        .image_id(image.image_id().unwrap_or_default())
        .attribute(ImageAttributeName::UefiData)
        .customize()
        // A backend without the read answers a bare 500: once is enough to know.
        .config_override(super::bare_500::limit_after::<DescribeImageAttributeError>(
            optional_read::config(),
            1,
        ))
        .send()
        .await
}

fn settle(image: &Image, result: Answer) -> Option<Option<String>> {
    let id = image.image_id().unwrap_or_default();
    optional_read::settle("uefi_data", id, result).map(|out| {
        out.uefi_data()
            .and_then(|a| a.value())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    })
}

/// What one read says about the backend: `Some(true)` it answers the call (an answer, or an
/// error EC2 gives, such as a denied permission), `Some(false)` it does not implement it, `None`
/// nothing certain (a timeout, a throttle, a dropped connection).
fn answers(result: &Answer) -> Option<bool> {
    let err = match result {
        Ok(_) => return Some(true),
        Err(e) => e,
    };
    let SdkError::ServiceError(ctx) = err else {
        return None;
    };
    let status = ctx.raw().status().as_u16();
    match err.code() {
        None if status == 500 || status == 501 => Some(false),
        Some("InvalidAction" | "NotImplemented" | "UnsupportedOperation") => Some(false),
        // EC2 knows `uefiData`: a backend that calls it an invalid value does not.
        Some("InvalidParameterValue") => Some(false),
        Some(code) if crate::ec2::errors::is_throttle_code(code) || status >= 500 => None,
        Some(_) => Some(true),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture};
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A backend that answers every call with HTTP 500, as stock moto does for uefiData.
    #[derive(Clone, Debug, Default)]
    struct Unimplemented(Arc<AtomicUsize>);

    impl HttpConnector for Unimplemented {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            self.0.fetch_add(1, Ordering::SeqCst);
            let status = StatusCode::try_from(500).expect("status");
            HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::from(""))))
        }
    }

    fn client(backend: &Unimplemented) -> aws_sdk_ec2::Client {
        // The provider's default: many retries. The optional read must not use them.
        let retry = aws_sdk_ec2::config::retry::RetryConfig::standard().with_max_attempts(26);
        crate::ec2::fake_client::client_for(backend, retry)
    }

    #[tokio::test]
    async fn no_call_for_an_image_that_cannot_have_uefi_data() {
        let backend = Unimplemented::default();
        let image = with_boot_mode(Some(BootModeValues::LegacyBios));
        assert_eq!(
            uefi_data(&client(&backend), &image, &Support::default()).await,
            Some(None)
        );
        assert_eq!(backend.0.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_backend_that_cannot_answer_costs_one_attempt_and_keeps_the_value() {
        let backend = Unimplemented::default();
        let image = with_boot_mode(Some(BootModeValues::Uefi));
        assert_eq!(
            uefi_data(&client(&backend), &image, &Support::default()).await,
            None
        );
        assert_eq!(
            backend.0.load(Ordering::SeqCst),
            1,
            "a bare 500 is not retried"
        );
    }

    #[tokio::test]
    async fn a_backend_without_the_read_is_asked_once_per_process() {
        let backend = Unimplemented::default();
        let support = Support::default();
        let image = with_boot_mode(Some(BootModeValues::Uefi));
        let c = client(&backend);
        // Ten copies read at once, as a wave of creates or refreshes does.
        let reads: Vec<_> = (0..10).map(|_| uefi_data(&c, &image, &support)).collect();
        for r in futures_util::future::join_all(reads).await {
            assert_eq!(r, None, "kept as it was");
        }
        assert_eq!(uefi_data(&c, &image, &support).await, None);
        assert_eq!(
            backend.0.load(Ordering::SeqCst),
            1,
            "one read for the whole process"
        );
    }

    fn with_boot_mode(mode: Option<BootModeValues>) -> Image {
        Image::builder()
            .image_id("ami-1")
            .set_boot_mode(mode)
            .build()
    }

    #[test]
    fn only_uefi_boot_modes_can_have_uefi_data() {
        assert!(may_have_uefi_data(&with_boot_mode(Some(
            BootModeValues::Uefi
        ))));
        assert!(may_have_uefi_data(&with_boot_mode(Some(
            BootModeValues::UefiPreferred
        ))));
        assert!(!may_have_uefi_data(&with_boot_mode(Some(
            BootModeValues::LegacyBios
        ))));
        assert!(!may_have_uefi_data(&with_boot_mode(None)));
    }
}
