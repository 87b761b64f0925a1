//! The waiter over real HTTP against the EC2 emulator (`make test` exports AMICOPY_EMULATOR_URL;
//! without it these tests do nothing). Checks what the fake cannot: that the emulator accepts the
//! batched filter calls and that copies are seen pending, with progress, then available.

use super::*;
use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice};
use serde_json::{json, Value as Json};

const REGION: &str = "us-east-1";

fn emulator() -> Option<String> {
    std::env::var("AMICOPY_EMULATOR_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A client signing with an access key id of its own, which scopes the emulator's controls and
/// call log to this test.
fn client(url: &str, access_key: &str) -> aws_sdk_ec2::Client {
    let conf = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_sdk_ec2::config::Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            access_key, "secret", None, None, "test",
        ))
        // The emulator speaks plain HTTP; the SDK is built without a default client.
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}

fn control(url: &str, path: &str, body: Json) {
    ureq::post(&format!("{url}/_ec2emu/{path}"))
        .send_json(&body)
        .unwrap_or_else(|e| panic!("emulator control {path}: {e}"));
}

fn calls(url: &str, access_key: &str, action: &str) -> Vec<Json> {
    let mut resp = ureq::get(&format!(
        "{url}/_ec2emu/calls?access_key_id={access_key}&action={action}"
    ))
    .call()
    .unwrap_or_else(|e| panic!("emulator calls: {e}"));
    resp.body_mut()
        .read_json::<Vec<Json>>()
        .expect("calls json")
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}{}{nanos}", std::process::id())
}

/// A registered source image backed by a fresh snapshot.
async fn source_image(ec2: &aws_sdk_ec2::Client, name: &str) -> String {
    let vol = ec2
        .create_volume()
        .size(8)
        .availability_zone(format!("{REGION}a"))
        .send()
        .await
        .expect("CreateVolume");
    let snap = ec2
        .create_snapshot()
        .volume_id(vol.volume_id().unwrap_or_default())
        .send()
        .await
        .expect("CreateSnapshot");
    ec2.register_image()
        .name(name)
        .root_device_name("/dev/xvda")
        .block_device_mappings(
            BlockDeviceMapping::builder()
                .device_name("/dev/xvda")
                .ebs(
                    EbsBlockDevice::builder()
                        .snapshot_id(snap.snapshot_id().unwrap_or_default())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("RegisterImage")
        .image_id()
        .unwrap_or_default()
        .to_string()
}

async fn copy(ec2: &aws_sdk_ec2::Client, source: &str, name: &str) -> String {
    ec2.copy_image()
        .name(name)
        .source_image_id(source)
        .source_region(REGION)
        .send()
        .await
        .expect("CopyImage")
        .image_id()
        .unwrap_or_default()
        .to_string()
}

fn key() -> LoopKey {
    static N: AtomicU64 = AtomicU64::new(1);
    LoopKey {
        owner: usize::MAX / 2 - N.fetch_add(1, Ordering::Relaxed) as usize,
        region: REGION.to_string(),
    }
}

#[tokio::test]
async fn emulator_batched_wait_with_progress() {
    let Some(url) = emulator() else { return };
    let access_key = unique("AKIDWAIT");
    let ec2 = client(&url, &access_key);
    let name = unique("waiter-src-");
    let source = source_image(&ec2, &name).await;
    // Copies named after this test take 3 s.
    control(
        &url,
        "copy-rules",
        json!({"access_key_id": access_key, "name_prefix": format!("{name}-copy"),
               "duration_seconds": 3.0}),
    );
    let a = copy(&ec2, &source, &format!("{name}-copy-a")).await;
    let b = copy(&ec2, &source, &format!("{name}-copy-b")).await;

    let key = key();
    let stop = CancellationToken::new();
    let started = Instant::now();
    let wait = |id: String| {
        let key = key.clone();
        let ec2 = ec2.clone();
        let stop = stop.clone();
        async move {
            wait_on(
                key,
                || ec2,
                &id,
                WaitFor::Available,
                Duration::from_secs(60),
                &stop,
                WaitOptions::default(),
            )
            .await
        }
    };
    let (ra, rb) = tokio::join!(wait(a.clone()), wait(b.clone()));
    let took = started.elapsed();
    assert_eq!(
        ra.expect("a available").state(),
        Some(&ImageState::Available)
    );
    assert_eq!(
        rb.expect("b available").state(),
        Some(&ImageState::Available)
    );
    // Seen within one capped back-off step of the copy finishing.
    assert!(took < Duration::from_secs(3 + 6), "{took:?}");

    let described = calls(&url, &access_key, "DescribeImages");
    assert!(!described.is_empty());
    for call in &described {
        let params = &call["params"];
        assert_eq!(params["Filter.1.Name"], "image-id", "{call}");
        let mut ids = vec![
            params["Filter.1.Value.1"].as_str().unwrap_or_default(),
            params["Filter.1.Value.2"].as_str().unwrap_or_default(),
        ];
        ids.sort();
        let mut want = vec![a.as_str(), b.as_str()];
        want.sort();
        assert_eq!(ids, want, "one call per tick for both copies: {call}");
    }
    assert!(!calls(&url, &access_key, "DescribeSnapshots").is_empty());

    // Gone after deregistering; an unknown id is gone at once.
    ec2.deregister_image()
        .image_id(&a)
        .send()
        .await
        .expect("DeregisterImage");
    let r = wait_on(
        key.clone(),
        || ec2.clone(),
        &a,
        WaitFor::Gone,
        Duration::from_secs(30),
        &stop,
        WaitOptions::default(),
    )
    .await;
    assert!(r.is_ok(), "{r:?}");
}

#[tokio::test]
async fn emulator_stop_reports_progress() {
    let Some(url) = emulator() else { return };
    let access_key = unique("AKIDSTOP");
    let ec2 = client(&url, &access_key);
    let name = unique("waiter-stop-");
    let source = source_image(&ec2, &name).await;
    control(
        &url,
        "copy-rules",
        json!({"access_key_id": access_key, "name_prefix": format!("{name}-copy"),
               "duration_seconds": 30.0}),
    );
    let id = copy(&ec2, &source, &format!("{name}-copy")).await;
    let stop = CancellationToken::new();
    let s2 = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        s2.cancel();
    });
    let err = wait_on(
        key(),
        || ec2.clone(),
        &id,
        WaitFor::Available,
        Duration::from_secs(60),
        &stop,
        WaitOptions::default(),
    )
    .await
    .expect_err("stopped");
    match &err {
        WaitError::Stopped { last, progress, .. } => {
            assert_eq!(
                last.as_ref().and_then(|i| i.state()),
                Some(&ImageState::Pending)
            );
            assert!(progress.is_some_and(|p| p < 100), "{progress:?}");
        }
        other => panic!("unexpected {other:?}"),
    }
    // The copy goes on; clean up so the emulator does not keep it.
    let _ = ec2.deregister_image().image_id(&id).send().await;
}
