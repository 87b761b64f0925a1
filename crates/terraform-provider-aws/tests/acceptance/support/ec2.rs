//! EC2 through the AWS SDK, beside Terraform: set-up (source images, keys) and checks of what
//! EC2 itself reports.

use super::Tf;
use serde_json::Value as Json;
use std::sync::OnceLock;

/// A runtime for the AWS SDK calls the tests make to set up sources and check the emulator.
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// An EC2 client with the caller's AWS credentials chain, for tests against real AWS.
fn real_aws_ec2(region: &str) -> aws_sdk_ec2::Client {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let conf = rt().block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new(region.to_string()))
            .http_client(https)
            .load(),
    );
    aws_sdk_ec2::Client::new(&conf)
}

impl Tf {
    /// An EC2 client for checks and set-up, with this test's credentials, against the emulator.
    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        if self.real_aws {
            return real_aws_ec2(region);
        }
        let creds = aws_credential_types::Credentials::new(
            self.access_key.clone(),
            "test-secret",
            None,
            None,
            "acceptance-test",
        );
        let conf = aws_sdk_ec2::config::Builder::new()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new(region.to_string()))
            .credentials_provider(creds)
            .endpoint_url(&self.emulator)
            // The emulator speaks plain HTTP; the SDK is built without a default client.
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        aws_sdk_ec2::Client::from_conf(conf)
    }

    /// Makes a realistic source AMI in `region`: a volume, its snapshot, and an image registered
    /// from it (EBS root on /dev/xvda, hvm, x86_64, ENA). Returns the image id.
    pub fn make_source_ami(&self, region: &str, name: &str) -> String {
        self.make_source_ami_with(region, name, true)
    }

    /// DescribeImages by id: the image, or None when EC2 says it does not exist (NotFound, empty,
    /// or `deregistered`).
    pub fn find_image(&self, region: &str, image_id: &str) -> Option<aws_sdk_ec2::types::Image> {
        let ec2 = self.ec2(region);
        rt().block_on(async {
            match ec2.describe_images().image_ids(image_id).send().await {
                Ok(out) => out
                    .images()
                    .iter()
                    .find(|i| {
                        i.image_id() == Some(image_id)
                            && i.state() != Some(&aws_sdk_ec2::types::ImageState::Deregistered)
                    })
                    .cloned(),
                Err(e) => {
                    let code = aws_sdk_ec2::error::ProvideErrorMetadata::code(&e).unwrap_or("");
                    assert_eq!(
                        code, "InvalidAMIID.NotFound",
                        "DescribeImages {image_id}: {e:?}"
                    );
                    None
                }
            }
        })
    }

    /// Images (not deregistered) whose name is `name`, in `region`.
    pub fn images_named(&self, region: &str, name: &str) -> Vec<aws_sdk_ec2::types::Image> {
        let ec2 = self.ec2(region);
        rt().block_on(async {
            let out = ec2
                .describe_images()
                .owners("self")
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("name")
                        .values(name)
                        .build(),
                )
                .send()
                .await
                .expect("DescribeImages by name");
            out.images()
                .iter()
                .filter(|i| i.state() != Some(&aws_sdk_ec2::types::ImageState::Deregistered))
                .cloned()
                .collect()
        })
    }

    /// DescribeSnapshots by id: the snapshot, or None when it does not exist.
    pub fn find_snapshot(
        &self,
        region: &str,
        snapshot_id: &str,
    ) -> Option<aws_sdk_ec2::types::Snapshot> {
        let ec2 = self.ec2(region);
        rt().block_on(async {
            match ec2
                .describe_snapshots()
                .snapshot_ids(snapshot_id)
                .send()
                .await
            {
                Ok(out) => out
                    .snapshots()
                    .iter()
                    .find(|s| s.snapshot_id() == Some(snapshot_id))
                    .cloned(),
                Err(e) => {
                    let code = aws_sdk_ec2::error::ProvideErrorMetadata::code(&e).unwrap_or("");
                    assert_eq!(
                        code, "InvalidSnapshot.NotFound",
                        "DescribeSnapshots {snapshot_id}: {e:?}"
                    );
                    None
                }
            }
        })
    }

    /// Tags of an image as EC2 reports them.
    pub fn image_tags(
        &self,
        region: &str,
        image_id: &str,
    ) -> std::collections::BTreeMap<String, String> {
        let img = self
            .find_image(region, image_id)
            .unwrap_or_else(|| panic!("{image_id} not found"));
        img.tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// Tags of a snapshot as EC2 reports them.
    pub fn snapshot_tags(
        &self,
        region: &str,
        snapshot_id: &str,
    ) -> std::collections::BTreeMap<String, String> {
        let s = self
            .find_snapshot(region, snapshot_id)
            .unwrap_or_else(|| panic!("{snapshot_id} not found"));
        s.tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// Deregisters an image behind Terraform's back.
    pub fn deregister_out_of_band(&self, region: &str, image_id: &str) {
        let ec2 = self.ec2(region);
        rt().block_on(async {
            ec2.deregister_image()
                .image_id(image_id)
                .send()
                .await
                .expect("DeregisterImage");
        });
    }

    /// Copies an image directly with the SDK (not through Terraform), e.g. to import it.
    pub fn copy_image_directly(
        &self,
        region: &str,
        source_id: &str,
        source_region: &str,
        name: &str,
        description: Option<&str>,
    ) -> String {
        let ec2 = self.ec2(region);
        rt().block_on(async {
            let out = ec2
                .copy_image()
                .name(name)
                .source_image_id(source_id)
                .source_region(source_region)
                .set_description(description.map(str::to_string))
                .send()
                .await
                .expect("CopyImage");
            out.image_id().expect("image id").to_string()
        })
    }

    /// Polls until the image is `available` (or panics after `secs`).
    pub fn wait_available(&self, region: &str, image_id: &str, secs: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let state = self
                .find_image(region, image_id)
                .and_then(|i| i.state().cloned());
            if state == Some(aws_sdk_ec2::types::ImageState::Available) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{image_id} not available after {secs}s: {state:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// A call to the emulator's KMS (moto): `TrentService.<action>` with a JSON `body`.
    pub fn kms(&self, region: &str, action: &str, body: &str) -> Json {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/20260101/{region}/kms/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=0000",
            self.access_key
        );
        let mut resp = ureq::post(&format!("{}/", self.emulator))
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", &format!("TrentService.{action}"))
            .header("X-Amz-Date", "20260101T000000Z")
            .header("Authorization", &auth)
            .send(body)
            .unwrap_or_else(|e| panic!("KMS {action}: {e}"));
        resp.body_mut().read_json().unwrap_or(Json::Null)
    }

    /// Creates a symmetric KMS key through the emulator's KMS (moto); returns its ARN.
    pub fn create_kms_key(&self, region: &str) -> String {
        let v = self.kms(
            region,
            "CreateKey",
            "{\"Description\":\"amicopy acceptance test\"}",
        );
        v["KeyMetadata"]["Arn"]
            .as_str()
            .expect("key arn")
            .to_string()
    }

    /// `make_source_ami` with a choice of ENA support.
    pub fn make_source_ami_with(&self, region: &str, name: &str, ena: bool) -> String {
        self.make_source(region, name, ena, None)
    }

    /// `make_source_ami` registered with a description (stock moto ignores one set later).
    pub fn make_described_source_ami(&self, region: &str, name: &str, description: &str) -> String {
        self.make_source(region, name, true, Some(description))
    }

    fn make_source(
        &self,
        region: &str,
        name: &str,
        ena: bool,
        description: Option<&str>,
    ) -> String {
        use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice};
        let ec2 = self.ec2(region);
        rt().block_on(async {
            let az = format!("{region}a");
            let vol = ec2
                .create_volume()
                .availability_zone(az)
                .size(8)
                .send()
                .await
                .expect("CreateVolume");
            let snap = ec2
                .create_snapshot()
                .volume_id(vol.volume_id().unwrap_or_default())
                .send()
                .await
                .expect("CreateSnapshot");
            let img = ec2
                .register_image()
                .name(name)
                .set_description(description.map(str::to_string))
                .architecture(aws_sdk_ec2::types::ArchitectureValues::X8664)
                .virtualization_type("hvm")
                .root_device_name("/dev/xvda")
                .ena_support(ena)
                .block_device_mappings(
                    BlockDeviceMapping::builder()
                        .device_name("/dev/xvda")
                        .ebs(
                            EbsBlockDevice::builder()
                                .snapshot_id(snap.snapshot_id().unwrap_or_default())
                                .volume_size(8)
                                .volume_type(aws_sdk_ec2::types::VolumeType::Gp3)
                                .delete_on_termination(true)
                                .build(),
                        )
                        .build(),
                )
                .send()
                .await
                .expect("RegisterImage");
            img.image_id().expect("image id").to_string()
        })
    }
}
