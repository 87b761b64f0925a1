//! An image's UEFI variable store (DescribeImageAttribute `uefiData`; GetInstanceUefiData takes
//! an instance id, never an AMI id). Only images that boot with UEFI can have one, so no other
//! image costs a call; for those that can, the read is optional (see `optional_read`).

use super::optional_read;
use aws_sdk_ec2::types::{BootModeValues, Image, ImageAttributeName};

/// Boot mode `uefi` or `uefi-preferred`: the only images EC2 stores UEFI data for.
pub fn may_have_uefi_data(image: &Image) -> bool {
    matches!(
        image.boot_mode(),
        Some(BootModeValues::Uefi | BootModeValues::UefiPreferred)
    )
}

/// The image's UEFI data: `Some(None)` when it has none (without a call when its boot mode rules
/// it out), `Some(Some(base64))` when it has some, `None` when the backend could not say: keep
/// the previous value.
pub async fn uefi_data(client: &aws_sdk_ec2::Client, image: &Image) -> Option<Option<String>> {
    if !may_have_uefi_data(image) {
        return Some(None);
    }
    let id = image.image_id().unwrap_or_default();
    let result = client
        .describe_image_attribute()
        .image_id(id)
        .attribute(ImageAttributeName::UefiData)
        .customize()
        .config_override(optional_read::config())
        .send()
        .await;
    optional_read::settle("uefi_data", id, result).map(|out| {
        out.uefi_data()
            .and_then(|a| a.value())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    })
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
        assert_eq!(uefi_data(&client(&backend), &image).await, Some(None));
        assert_eq!(backend.0.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_backend_that_cannot_answer_costs_two_attempts_and_keeps_the_value() {
        let backend = Unimplemented::default();
        let image = with_boot_mode(Some(BootModeValues::Uefi));
        assert_eq!(uefi_data(&client(&backend), &image).await, None);
        assert_eq!(backend.0.load(Ordering::SeqCst), 2);
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
