//! The acceptance scenarios that need no emulator controls, against real AWS, on request only:
//! `AMICOPY_ACC_AWS=1 make testacc-aws` with the usual AWS credentials and region (as provider
//! projects gate theirs behind TF_ACC). The scenarios are `#[ignore]`d, so `make test` and CI
//! compile them and report them as ignored, never as passed; `make testacc-aws` runs them with
//! `--ignored`, and a scenario run without AMICOPY_ACC_AWS=1 fails instead of passing unrun.
//!
//! Each test names its images `tfacc-amicopy-<random>-...` and tags them and their snapshots
//! with that prefix; a guard removes whatever carries it when the test ends, passed or failed.
//! The source is the newest Amazon Linux 2023 minimal image of the region, or
//! `AMICOPY_ACC_SOURCE_AMI`. Copies take minutes; the scenarios run in parallel.

use crate::support;

use aws_sdk_ec2::types::{Filter, ImageState, ResourceType, Tag, TagSpecification};
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};
use support::{ami_copy, ami_id, map, rt, state_map, state_snapshot_ids, Tf};

const OPT_IN: &str =
    "set AMICOPY_ACC_AWS=1 (with AWS credentials) to run against real AWS: make testacc-aws";
/// The tag every image and snapshot of a test carries, valued with the test's prefix.
const RUN_TAG: &str = "tfacc-amicopy-run";

fn region() -> String {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "us-east-1".to_string())
}

/// `tfacc-amicopy-<random>-`: unique per test, so a cleanup never touches another run's images.
fn unique_prefix() -> String {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("tfacc-amicopy-{:08x}-", random as u32)
}

/// One test's working directory against real AWS, its unique name prefix and its source image.
/// Dropping it removes every image named with the prefix and every snapshot tagged with it, also
/// while a failed assertion unwinds.
struct Scenario {
    tf: Tf,
    region: String,
    prefix: String,
    source: String,
    /// The copy's name: the prefix and the test's name.
    name: String,
}

impl Scenario {
    /// Panics unless AMICOPY_ACC_AWS=1: a scenario asked for by `--ignored` must not pass unrun.
    fn start(test: &str) -> Scenario {
        let Some(tf) = Tf::real_aws(test) else {
            panic!("{OPT_IN}");
        };
        let region = region();
        let prefix = unique_prefix();
        let source = source_image(&tf, &region);
        Scenario {
            name: format!("{prefix}{test}"),
            tf,
            region,
            prefix,
            source,
        }
    }

    /// The tags every copy of the test gets: a Name, and the run tag the cleanup looks for.
    fn tags(&self) -> [(&str, &str); 2] {
        [("Name", &self.name), (RUN_TAG, &self.prefix)]
    }

    /// The provider block for the region and one `aws_ami_copy.test` of the source, with tags.
    fn config(&self, description: &str) -> String {
        format!(
            "{}{}",
            self.tf.provider_block(&self.region, ""),
            ami_copy(
                &self.name,
                &self.source,
                &self.region,
                &format!(
                    "  description = \"{description}\"\n{}",
                    tags_block(&self.tags())
                )
            )
        )
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        let left = sweep(&self.tf, &self.region, &self.prefix);
        if !left.is_empty() {
            eprintln!(
                "cleanup of {}*: could not remove {} in {}; delete them by hand",
                self.prefix,
                left.join(", "),
                self.region
            );
        }
    }
}

/// Deregisters the prefix's images and deletes their snapshots; returns what is still there.
fn sweep(tf: &Tf, region: &str, prefix: &str) -> Vec<String> {
    let ec2 = tf.ec2(region);
    rt().block_on(async {
        let mut snapshots = Vec::new();
        let images = ec2
            .describe_images()
            .owners("self")
            .filters(
                Filter::builder()
                    .name("name")
                    .values(format!("{prefix}*"))
                    .build(),
            )
            .send()
            .await;
        for image in images.iter().flat_map(|out| out.images()) {
            let Some(id) = image.image_id() else { continue };
            snapshots.extend(
                image
                    .block_device_mappings()
                    .iter()
                    .filter_map(|m| m.ebs()?.snapshot_id().map(str::to_string)),
            );
            // A test may have left protection on; it must not keep the image alive.
            let _ = ec2
                .disable_image_deregistration_protection()
                .image_id(id)
                .send()
                .await;
            let _ = ec2.deregister_image().image_id(id).send().await;
        }
        let tagged = ec2
            .describe_snapshots()
            .owner_ids("self")
            .filters(
                Filter::builder()
                    .name(format!("tag:{RUN_TAG}"))
                    .values(prefix)
                    .build(),
            )
            .send()
            .await;
        snapshots.extend(
            tagged
                .iter()
                .flat_map(|out| out.snapshots())
                .filter_map(|s| s.snapshot_id().map(str::to_string)),
        );
        snapshots.sort();
        snapshots.dedup();
        // Snapshots of a copy that was still running stay in use for a while after deregistration.
        for _ in 0..8 {
            let mut left = Vec::new();
            for id in &snapshots {
                if let Err(e) = ec2.delete_snapshot().snapshot_id(id).send().await {
                    let code = aws_sdk_ec2::error::ProvideErrorMetadata::code(&e).unwrap_or("");
                    if code != "InvalidSnapshot.NotFound" {
                        left.push(id.clone());
                    }
                }
            }
            if left.is_empty() {
                return left;
            }
            snapshots = left;
            tokio::time::sleep(Duration::from_secs(15)).await;
        }
        snapshots
    })
}

/// The source image: AMICOPY_ACC_SOURCE_AMI, else the region's newest Amazon Linux 2023 minimal.
fn source_image(tf: &Tf, region: &str) -> String {
    if let Ok(id) = std::env::var("AMICOPY_ACC_SOURCE_AMI") {
        return id;
    }
    let ec2 = tf.ec2(region);
    rt().block_on(async {
        let out = ec2
            .describe_images()
            .owners("amazon")
            .filters(
                Filter::builder()
                    .name("name")
                    .values("al2023-ami-minimal-*-x86_64")
                    .build(),
            )
            .filters(Filter::builder().name("state").values("available").build())
            .send()
            .await
            .expect("DescribeImages for an Amazon Linux 2023 source (are AWS credentials set?)");
        out.images()
            .iter()
            .max_by_key(|i| i.creation_date().unwrap_or_default().to_string())
            .and_then(|i| i.image_id())
            .expect("no Amazon Linux 2023 minimal image in this region: set AMICOPY_ACC_SOURCE_AMI")
            .to_string()
    })
}

/// Polls at a pace real EC2 tolerates until the image is available.
fn wait_available(tf: &Tf, region: &str, image_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(45 * 60);
    loop {
        let state = tf
            .find_image(region, image_id)
            .and_then(|i| i.state().cloned());
        match state {
            Some(ImageState::Available) => return,
            Some(ImageState::Failed) | Some(ImageState::Error) | None => {
                panic!("{image_id} will not become available: {state:?}")
            }
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "{image_id} not available after 45 minutes"
        );
        std::thread::sleep(Duration::from_secs(15));
    }
}

fn tags_block(tags: &[(&str, &str)]) -> String {
    let body: String = tags
        .iter()
        .map(|(k, v)| format!("    \"{k}\" = \"{v}\"\n"))
        .collect();
    format!("  tags = {{\n{body}  }}\n")
}

/// Asserts that neither the image nor any of `snapshots` exists any more.
fn assert_gone(tf: &Tf, region: &str, image_id: &str, snapshots: &[String]) {
    assert!(
        tf.find_image(region, image_id).is_none(),
        "{image_id} still registered"
    );
    for s in snapshots {
        assert!(
            tf.find_snapshot(region, s).is_none(),
            "snapshot {s} left behind"
        );
    }
}

#[test]
#[ignore = "real AWS: AMICOPY_ACC_AWS=1 make testacc-aws"]
fn copy_with_tags_update_description_and_destroy_leave_nothing() {
    let sc = Scenario::start("lifecycle");
    let (tf, region, tags) = (&sc.tf, &sc.region, map(&sc.tags()));
    tf.write(&sc.config("amicopy acceptance test"));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["state"], "available");
    assert_eq!(state_map(&r, "tags"), tags);
    let snapshots = state_snapshot_ids(&r);
    assert!(!snapshots.is_empty(), "no snapshots in state: {r}");
    // Tags at birth: on the image and on every snapshot of the copy.
    assert_eq!(tf.image_tags(region, &id), tags);
    for s in &snapshots {
        assert_eq!(tf.snapshot_tags(region, s), tags, "snapshot {s}");
    }
    tf.assert_plan_empty();

    tf.write(&sc.config("amicopy acceptance test, updated"));
    tf.apply();
    let image = tf.find_image(region, &id).expect("the copy");
    assert_eq!(
        image.description(),
        Some("amicopy acceptance test, updated")
    );
    assert_eq!(
        ami_id(&tf.resource("aws_ami_copy.test")),
        id,
        "updated in place"
    );
    tf.assert_plan_empty();

    tf.destroy();
    assert_gone(tf, region, &id, &snapshots);
}

#[test]
#[ignore = "real AWS: AMICOPY_ACC_AWS=1 make testacc-aws"]
fn import_of_a_copy_made_outside_terraform_plans_clean_and_destroys() {
    let sc = Scenario::start("import");
    let (tf, region) = (&sc.tf, &sc.region);
    let description = "amicopy import test";
    let ec2 = tf.ec2(region);
    let id = rt().block_on(async {
        let spec = |kind: ResourceType| {
            let mut b = TagSpecification::builder().resource_type(kind);
            for (k, v) in sc.tags() {
                b = b.tags(Tag::builder().key(k).value(v).build());
            }
            b.build()
        };
        ec2.copy_image()
            .name(&sc.name)
            .description(description)
            .source_image_id(&sc.source)
            .source_region(region)
            .tag_specifications(spec(ResourceType::Image))
            .tag_specifications(spec(ResourceType::Snapshot))
            .send()
            .await
            .expect("CopyImage")
            .image_id()
            .expect("image id")
            .to_string()
    });
    wait_available(tf, region, &id);

    tf.write(&sc.config(description));
    tf.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "aws_ami_copy.test",
        &id,
    ]);
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id);
    assert_eq!(r["source_ami_id"], sc.source.as_str());
    assert_eq!(r["source_ami_region"], region.as_str());
    tf.assert_plan_empty();

    let snapshots = state_snapshot_ids(&r);
    tf.destroy();
    assert_gone(tf, region, &id, &snapshots);
}

/// The opt-in guards the real-AWS harness itself: without AMICOPY_ACC_AWS=1 there is no real-AWS
/// working directory to run Terraform in. (With the opt-in set, this run is meant for AWS, and
/// the check cannot be made: it says so as skipped.)
#[test]
fn without_the_opt_in_there_is_no_real_aws_harness() {
    if std::env::var("AMICOPY_ACC_AWS").as_deref() == Ok("1") {
        support::skip("AMICOPY_ACC_AWS=1 is set");
        return;
    }
    assert!(Tf::real_aws("gate").is_none(), "{OPT_IN}");
}
