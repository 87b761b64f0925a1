//! Tests of the waiter: the pure interpretation with SDK-built images, and the poll loop against
//! an in-process fake of the two EC2 calls it makes (no network).

use super::*;
use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice, StateReason};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use std::sync::MutexGuard;

fn image(id: &str, state: ImageState) -> Image {
    Image::builder().image_id(id).state(state).build()
}

fn with_snapshots(id: &str, state: ImageState, snaps: &[&str]) -> Image {
    let mut b = Image::builder().image_id(id).state(state);
    for (i, s) in snaps.iter().enumerate() {
        b = b.block_device_mappings(
            BlockDeviceMapping::builder()
                .device_name(format!("/dev/xvd{}", (b'a' + i as u8) as char))
                .ebs(EbsBlockDevice::builder().snapshot_id(*s).build())
                .build(),
        );
    }
    // An ephemeral mapping has no snapshot and must be skipped.
    b.block_device_mappings(
        BlockDeviceMapping::builder()
            .device_name("/dev/sdb")
            .virtual_name("ephemeral0")
            .build(),
    )
    .build()
}

#[test]
fn classify_available() {
    let t = WaitFor::Available;
    assert_eq!(
        classify(Some(&image("ami-1", ImageState::Available)), &t),
        Outcome::Done
    );
    assert_eq!(
        classify(Some(&image("ami-1", ImageState::Pending)), &t),
        Outcome::Pending
    );
    assert_eq!(
        classify(Some(&image("ami-1", ImageState::Transient)), &t),
        Outcome::Pending
    );
    assert_eq!(classify(None, &t), Outcome::Missing);
    assert_eq!(
        classify(Some(&image("ami-1", ImageState::Deregistered)), &t),
        Outcome::Deregistered
    );
    let failed = Image::builder()
        .image_id("ami-1")
        .state(ImageState::Failed)
        .state_reason(
            StateReason::builder()
                .code("Client.CopyImageFailed")
                .message("Snapshot copy failed")
                .build(),
        )
        .build();
    assert_eq!(
        classify(Some(&failed), &t),
        Outcome::Failed {
            state: "failed".into(),
            reason: Some("Snapshot copy failed".into())
        }
    );
    for s in [ImageState::Error, ImageState::Invalid] {
        assert!(matches!(
            classify(Some(&image("ami-1", s)), &t),
            Outcome::Failed { reason: None, .. }
        ));
    }
}

#[test]
fn classify_gone() {
    let t = WaitFor::Gone;
    assert_eq!(classify(None, &t), Outcome::Done);
    assert_eq!(
        classify(Some(&image("ami-1", ImageState::Deregistered)), &t),
        Outcome::Done
    );
    assert_eq!(
        classify(Some(&image("ami-1", ImageState::Available)), &t),
        Outcome::Pending
    );
    // A failed image still exists until deregistered.
    assert_eq!(
        classify(Some(&image("ami-1", ImageState::Failed)), &t),
        Outcome::Pending
    );
}

#[test]
fn classify_matches() {
    let t = WaitFor::matches(|i| i.description() == Some("two"));
    let one = Image::builder()
        .image_id("ami-1")
        .state(ImageState::Available)
        .description("one")
        .build();
    let two = Image::builder()
        .image_id("ami-1")
        .state(ImageState::Available)
        .description("two")
        .build();
    assert_eq!(classify(Some(&one), &t), Outcome::Pending);
    assert_eq!(classify(Some(&two), &t), Outcome::Done);
    assert_eq!(classify(None, &t), Outcome::Missing);
    assert_eq!(
        classify(Some(&image("ami-1", ImageState::Deregistered)), &t),
        Outcome::Deregistered
    );
    assert!(matches!(
        classify(Some(&image("ami-1", ImageState::Error)), &t),
        Outcome::Failed { .. }
    ));
}

#[test]
fn progress_parsing_and_minimum() {
    assert_eq!(parse_progress("45%"), Some(45));
    assert_eq!(parse_progress(" 100% "), Some(100));
    assert_eq!(parse_progress("0"), Some(0));
    assert_eq!(parse_progress("99.9%"), Some(99));
    assert_eq!(parse_progress("250%"), Some(100));
    assert_eq!(parse_progress(""), None);
    assert_eq!(parse_progress("n/a"), None);
    assert_eq!(parse_progress("NaN%"), None);

    let img = with_snapshots(
        "ami-1",
        ImageState::Pending,
        &["snap-a", "snap-b", "snap-a"],
    );
    assert_eq!(
        snapshot_ids(&img),
        vec!["snap-a".to_string(), "snap-b".to_string()]
    );
    let mut p = HashMap::new();
    assert_eq!(image_progress(&img, &p), None);
    p.insert("snap-a".to_string(), 80);
    assert_eq!(image_progress(&img, &p), Some(80));
    p.insert("snap-b".to_string(), 12);
    assert_eq!(image_progress(&img, &p), Some(12));
}

#[test]
fn error_messages() {
    let e = WaitError::Failed {
        image_id: "ami-1".into(),
        state: "failed".into(),
        reason: Some("Snapshot copy failed".into()),
    };
    assert_eq!(
        e.to_string(),
        "AMI ami-1 entered state \"failed\": Snapshot copy failed"
    );
    let e = WaitError::Timeout {
        image_id: "ami-1".into(),
        waiting_for: WaitFor::Available.describe(),
        waited: Duration::from_secs(40 * 60 + 3),
        last: Some(Box::new(image("ami-1", ImageState::Pending))),
        progress: Some(45),
    };
    assert_eq!(
        e.to_string(),
        "timed out after 40m3s waiting for AMI ami-1 to become available \
         (last state: pending, copy progress: 45%)"
    );
    assert_eq!(e.progress(), Some(45));
    assert!(e.last_image().is_some());
    let e = WaitError::Stopped {
        image_id: "ami-1".into(),
        waiting_for: WaitFor::Gone.describe(),
        last: None,
        progress: None,
    };
    assert_eq!(
        e.to_string(),
        "interrupted while waiting for AMI ami-1 to be deregistered"
    );
    assert!(WaitError::NotFound {
        image_id: "ami-9".into()
    }
    .to_string()
    .contains("ami-9 was not found"));
    assert_eq!(
        WaitError::Api("AuthFailure: nope".into()).to_string(),
        "describing AMIs failed: AuthFailure: nope"
    );
    assert_eq!(format_duration(Duration::from_secs(3 * 3600 + 5)), "3h0m5s");
    assert_eq!(format_duration(Duration::from_millis(900)), "0s");
}

// ---- the poll loop against a fake EC2 ----

#[derive(Debug, Clone)]
struct FakeImage {
    state: String,
    reason: Option<String>,
    description: Option<String>,
    snapshots: Vec<String>,
}

#[derive(Debug, Default)]
struct FakeState {
    images: HashMap<String, FakeImage>,
    snapshot_progress: HashMap<String, String>,
    /// Ids asked for, per DescribeImages call.
    image_calls: Vec<Vec<String>>,
    snapshot_calls: usize,
    /// Answer DescribeImages with this (HTTP status, code) instead.
    fail_images: Option<(u16, String)>,
    /// The next this many DescribeImages calls never answer (a silent connection).
    hang_images: u32,
}

#[derive(Debug, Clone, Default)]
struct FakeEc2(Arc<Mutex<FakeState>>);

impl FakeEc2 {
    fn state(&self) -> MutexGuard<'_, FakeState> {
        lock(&self.0)
    }
    fn put(&self, id: &str, state: &str, snapshots: &[&str]) {
        self.state().images.insert(
            id.to_string(),
            FakeImage {
                state: state.to_string(),
                reason: None,
                description: None,
                snapshots: snapshots.iter().map(|s| s.to_string()).collect(),
            },
        );
    }
    fn set_state(&self, id: &str, state: &str, reason: Option<&str>) {
        if let Some(i) = self.state().images.get_mut(id) {
            i.state = state.to_string();
            i.reason = reason.map(str::to_string);
        }
    }
    fn client(&self) -> aws_sdk_ec2::Client {
        crate::ec2::fake_client::client_for(
            self,
            aws_sdk_ec2::config::retry::RetryConfig::disabled(),
        )
    }

    fn answer(&self, form: &HashMap<String, String>) -> (u16, String) {
        let mut st = self.state();
        let values: Vec<String> = (1..)
            .map_while(|n| form.get(&format!("Filter.1.Value.{n}")).cloned())
            .collect();
        match form.get("Action").map(String::as_str) {
            Some("DescribeImages") => {
                st.image_calls.push(values.clone());
                if let Some((status, code)) = st.fail_images.clone() {
                    return (status, error_xml(&code));
                }
                let mut items = String::new();
                for id in &values {
                    let Some(i) = st.images.get(id) else { continue };
                    items.push_str(&format!(
                        "<item><imageId>{id}</imageId><imageState>{}</imageState>",
                        i.state
                    ));
                    if let Some(r) = &i.reason {
                        items.push_str(&format!(
                            "<stateReason><code>Client.Fail</code><message>{r}</message></stateReason>"
                        ));
                    }
                    if let Some(d) = &i.description {
                        items.push_str(&format!("<description>{d}</description>"));
                    }
                    items.push_str("<blockDeviceMapping>");
                    for s in &i.snapshots {
                        items.push_str(&format!(
                            "<item><deviceName>/dev/xvda</deviceName><ebs><snapshotId>{s}</snapshotId></ebs></item>"
                        ));
                    }
                    items.push_str("</blockDeviceMapping></item>");
                }
                (
                    200,
                    format!(
                        "<DescribeImagesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
                         <requestId>r1</requestId><imagesSet>{items}</imagesSet></DescribeImagesResponse>"
                    ),
                )
            }
            Some("DescribeSnapshots") => {
                st.snapshot_calls += 1;
                let mut items = String::new();
                for id in &values {
                    if let Some(p) = st.snapshot_progress.get(id) {
                        items.push_str(&format!(
                            "<item><snapshotId>{id}</snapshotId><status>pending</status><progress>{p}</progress></item>"
                        ));
                    }
                }
                (
                    200,
                    format!(
                        "<DescribeSnapshotsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
                         <requestId>r2</requestId><snapshotSet>{items}</snapshotSet></DescribeSnapshotsResponse>"
                    ),
                )
            }
            _ => (400, error_xml("InvalidAction")),
        }
    }
}

fn error_xml(code: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>\
         <Message>fake {code}</Message></Error></Errors><RequestID>req-1</RequestID></Response>"
    )
}

/// Decodes `application/x-www-form-urlencoded` well enough for ids and action names.
fn parse_form(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let mut out = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    text.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

impl HttpConnector for FakeEc2 {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let form = parse_form(request.body().bytes().unwrap_or_default());
        if form.get("Action").map(String::as_str) == Some("DescribeImages") {
            let mut st = self.state();
            if st.hang_images > 0 {
                st.hang_images -= 1;
                return HttpConnectorFuture::new(std::future::pending());
            }
        }
        let (status, body) = self.answer(&form);
        let status = StatusCode::try_from(status).expect("fake uses valid statuses");
        HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::from(body))))
    }
}

fn fast_options() -> WaitOptions {
    WaitOptions {
        backoff: BackoffConfig {
            initial: Duration::from_millis(20),
            factor: 1.5,
            cap: Duration::from_millis(80),
        },
        not_found_grace: Duration::from_millis(300),
        not_found_min_polls: 3,
        call_timeout: Duration::from_millis(300),
    }
}

/// A loop key no other test uses, so parallel tests get separate loops.
fn unique_key() -> LoopKey {
    static N: AtomicU64 = AtomicU64::new(1);
    LoopKey {
        owner: usize::MAX - N.fetch_add(1, Ordering::Relaxed) as usize,
        region: "us-test-1".to_string(),
    }
}

async fn wait(
    fake: &FakeEc2,
    key: &LoopKey,
    id: &str,
    target: WaitFor,
    timeout: Duration,
    stop: &CancellationToken,
) -> Result<Image, WaitError> {
    wait_on(
        key.clone(),
        || fake.client(),
        id,
        target,
        timeout,
        stop,
        fast_options(),
    )
    .await
}

fn loop_exists(key: &LoopKey) -> bool {
    lock(registry()).contains_key(key)
}

#[tokio::test(start_paused = true)]
async fn pending_then_available() {
    let fake = FakeEc2::default();
    fake.put("ami-1", "pending", &["snap-1"]);
    fake.state()
        .snapshot_progress
        .insert("snap-1".into(), "45%".into());
    let key = unique_key();
    let f2 = fake.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        f2.set_state("ami-1", "available", None);
    });
    let stop = CancellationToken::new();
    let img = wait(
        &fake,
        &key,
        "ami-1",
        WaitFor::Available,
        Duration::from_secs(10),
        &stop,
    )
    .await
    .expect("becomes available");
    assert_eq!(img.state(), Some(&ImageState::Available));
    assert_eq!(img.image_id(), Some("ami-1"));
    assert!(fake.state().snapshot_calls >= 1, "progress was asked for");
    // The last waiter left: the loop is gone.
    assert!(!loop_exists(&key));
}

#[tokio::test(start_paused = true)]
async fn first_poll_is_quick() {
    let fake = FakeEc2::default();
    fake.put("ami-1", "available", &[]);
    let key = unique_key();
    let started = Instant::now();
    // Default tuning (first poll at 0.5 s), as the provider uses it.
    let r = wait_on(
        key,
        || fake.client(),
        "ami-1",
        WaitFor::Available,
        Duration::from_secs(10),
        &CancellationToken::new(),
        WaitOptions::default(),
    )
    .await;
    assert!(r.is_ok());
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_reports_last_state_and_progress() {
    let fake = FakeEc2::default();
    fake.put("ami-1", "pending", &["snap-1", "snap-2"]);
    {
        let mut st = fake.state();
        st.snapshot_progress.insert("snap-1".into(), "70%".into());
        st.snapshot_progress.insert("snap-2".into(), "30%".into());
    }
    let key = unique_key();
    let err = wait(
        &fake,
        &key,
        "ami-1",
        WaitFor::Available,
        Duration::from_millis(500),
        &CancellationToken::new(),
    )
    .await
    .expect_err("times out");
    match &err {
        WaitError::Timeout { progress, last, .. } => {
            assert_eq!(*progress, Some(30));
            assert_eq!(
                last.as_ref().and_then(|i| i.state()),
                Some(&ImageState::Pending)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("copy progress: 30%"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn stop_returns_promptly() {
    let fake = FakeEc2::default();
    fake.put("ami-1", "pending", &[]);
    let key = unique_key();
    let stop = CancellationToken::new();
    let s2 = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        s2.cancel();
    });
    let started = Instant::now();
    let err = wait(
        &fake,
        &key,
        "ami-1",
        WaitFor::Available,
        Duration::from_secs(60),
        &stop,
    )
    .await
    .expect_err("stopped");
    assert!(matches!(err, WaitError::Stopped { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1000));
    // Already cancelled: returns without registering.
    let err = wait(
        &fake,
        &key,
        "ami-1",
        WaitFor::Available,
        Duration::from_secs(60),
        &stop,
    )
    .await
    .expect_err("stopped");
    assert!(matches!(err, WaitError::Stopped { last: None, .. }));
    assert!(!loop_exists(&key));
}

#[tokio::test(start_paused = true)]
async fn failed_state_ends_wait_with_reason() {
    let fake = FakeEc2::default();
    fake.put("ami-1", "pending", &[]);
    let f2 = fake.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        f2.set_state("ami-1", "failed", Some("Copy failed: KMS key disabled"));
    });
    let err = wait(
        &fake,
        &unique_key(),
        "ami-1",
        WaitFor::Available,
        Duration::from_secs(10),
        &CancellationToken::new(),
    )
    .await
    .expect_err("fails");
    assert_eq!(
        err.to_string(),
        "AMI ami-1 entered state \"failed\": Copy failed: KMS key disabled"
    );
}

#[tokio::test(start_paused = true)]
async fn not_found_after_grace_but_late_appearance_is_fine() {
    let fake = FakeEc2::default();
    let key = unique_key();
    let started = Instant::now();
    let err = wait(
        &fake,
        &key,
        "ami-missing",
        WaitFor::Available,
        Duration::from_secs(10),
        &CancellationToken::new(),
    )
    .await
    .expect_err("not found");
    assert!(matches!(err, WaitError::NotFound { .. }), "{err:?}");
    assert!(started.elapsed() >= fast_options().not_found_grace);

    // Invisible at first (eventual consistency), then listed: not an error.
    let f2 = fake.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        f2.put("ami-late", "available", &[]);
    });
    wait(
        &fake,
        &key,
        "ami-late",
        WaitFor::Available,
        Duration::from_secs(10),
        &CancellationToken::new(),
    )
    .await
    .expect("found after a while");
}

#[tokio::test(start_paused = true)]
async fn gone_and_matches() {
    let fake = FakeEc2::default();
    fake.put("ami-1", "available", &[]);
    fake.put("ami-2", "available", &[]);
    let key = unique_key();
    let f2 = fake.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        f2.set_state("ami-1", "deregistered", None);
        f2.state().images.remove("ami-2");
    });
    let stop = CancellationToken::new();
    let (a, b) = tokio::join!(
        wait(
            &fake,
            &key,
            "ami-1",
            WaitFor::Gone,
            Duration::from_secs(10),
            &stop
        ),
        wait(
            &fake,
            &key,
            "ami-2",
            WaitFor::Gone,
            Duration::from_secs(10),
            &stop
        ),
    );
    assert_eq!(a.expect("gone").state(), Some(&ImageState::Deregistered));
    assert_eq!(b.expect("gone").image_id(), Some("ami-2"));

    fake.put("ami-3", "available", &[]);
    let f3 = fake.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Some(i) = f3.state().images.get_mut("ami-3") {
            i.description = Some("new text".into());
        }
    });
    let img = wait(
        &fake,
        &key,
        "ami-3",
        WaitFor::matches(|i| i.description() == Some("new text")),
        Duration::from_secs(10),
        &stop,
    )
    .await
    .expect("matches");
    assert_eq!(img.description(), Some("new text"));
}

#[tokio::test(start_paused = true)]
async fn waits_share_one_describe_call_per_tick() {
    let fake = FakeEc2::default();
    let ids: Vec<String> = (0..6).map(|n| format!("ami-{n}")).collect();
    for id in &ids {
        fake.put(id, "pending", &[]);
    }
    let key = unique_key();
    let f2 = fake.clone();
    let all = ids.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        for id in &all {
            f2.set_state(id, "available", None);
        }
    });
    let stop = CancellationToken::new();
    let waits = ids.iter().map(|id| {
        wait(
            &fake,
            &key,
            id,
            WaitFor::Available,
            Duration::from_secs(10),
            &stop,
        )
    });
    let results = futures_join_all(waits).await;
    assert!(results.iter().all(|r| r.is_ok()));
    let st = fake.state();
    // Every call asked for every id at once; ticks, not waiters, drive the call count.
    assert!(st.image_calls.iter().any(|c| c.len() == ids.len()));
    let polls_with_all = st
        .image_calls
        .iter()
        .filter(|c| c.len() == ids.len())
        .count();
    assert!(polls_with_all >= 2);
    assert!(
        st.image_calls.len() < polls_with_all + ids.len(),
        "{:?}",
        st.image_calls
    );
}

#[tokio::test(start_paused = true)]
async fn a_poll_that_hangs_is_abandoned_and_every_waiter_goes_on() {
    let fake = FakeEc2::default();
    fake.put("ami-a", "available", &[]);
    fake.put("ami-b", "available", &[]);
    fake.state().hang_images = 1;
    let key = unique_key();
    let stop = CancellationToken::new();
    let waits = ["ami-a", "ami-b"].into_iter().map(|id| {
        wait(
            &fake,
            &key,
            id,
            WaitFor::Available,
            Duration::from_secs(20),
            &stop,
        )
    });
    // Without abandoning the first poll, both would wait out their 20 s and time out.
    let results = futures_join_all(waits).await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    let st = fake.state();
    assert_eq!(st.hang_images, 0, "the first poll hung");
    assert!(!st.image_calls.is_empty(), "a later poll answered");
}

#[tokio::test(start_paused = true)]
async fn stop_ends_a_wait_while_its_poll_hangs() {
    let fake = FakeEc2::default();
    fake.put("ami-a", "pending", &[]);
    fake.state().hang_images = 100;
    let key = unique_key();
    let stop = CancellationToken::new();
    let s2 = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        s2.cancel();
    });
    let r = wait(
        &fake,
        &key,
        "ami-a",
        WaitFor::Available,
        Duration::from_secs(60),
        &stop,
    )
    .await;
    assert!(matches!(r, Err(WaitError::Stopped { .. })), "{r:?}");
}

/// `join_all` without pulling in the futures crate: spawn-free, polls all in one task.
async fn futures_join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futs.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

#[tokio::test(start_paused = true)]
async fn persistent_api_error_ends_wait_transient_does_not() {
    let fake = FakeEc2::default();
    fake.put("ami-1", "available", &[]);
    fake.state().fail_images = Some((403, "UnauthorizedOperation".into()));
    let key = unique_key();
    let err = wait(
        &fake,
        &key,
        "ami-1",
        WaitFor::Available,
        Duration::from_secs(10),
        &CancellationToken::new(),
    )
    .await
    .expect_err("api error");
    match &err {
        WaitError::Api(msg) => assert!(msg.starts_with("UnauthorizedOperation: fake"), "{msg}"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(fake.state().image_calls.len(), MAX_API_FAILURES as usize);

    // Throttling (after the SDK's own retries) only delays the answer.
    fake.state().fail_images = Some((503, "RequestLimitExceeded".into()));
    let f2 = fake.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        f2.state().fail_images = None;
    });
    wait(
        &fake,
        &key,
        "ami-1",
        WaitFor::Available,
        Duration::from_secs(10),
        &CancellationToken::new(),
    )
    .await
    .expect("recovers after throttling");
}

#[tokio::test(start_paused = true)]
async fn new_waiter_resets_backoff() {
    let fake = FakeEc2::default();
    fake.put("ami-slow", "pending", &[]);
    fake.put("ami-quick", "available", &[]);
    let key = unique_key();
    let opts = WaitOptions {
        backoff: BackoffConfig {
            initial: Duration::from_millis(50),
            factor: 4.0,
            cap: Duration::from_secs(5),
        },
        ..fast_options()
    };
    let stop = CancellationToken::new();
    let slow = wait_on(
        key.clone(),
        || fake.client(),
        "ami-slow",
        WaitFor::Available,
        Duration::from_secs(20),
        &stop,
        opts,
    );
    let quick = async {
        // By now the slow waiter's loop is in a multi-second sleep.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let joined = Instant::now();
        let r = wait_on(
            key.clone(),
            || fake.client(),
            "ami-quick",
            WaitFor::Available,
            Duration::from_secs(20),
            &stop,
            opts,
        )
        .await;
        let took = joined.elapsed();
        stop.cancel();
        (r, took)
    };
    let (slow_r, (quick_r, took)) = tokio::join!(slow, quick);
    assert!(quick_r.is_ok());
    // Without the reset the next poll would be ~3 s away.
    assert!(took < Duration::from_millis(1000), "{took:?}");
    assert!(matches!(slow_r, Err(WaitError::Stopped { .. })));
}

#[test]
fn image_id_shape() {
    assert!(looks_like_image_id("ami-0123456789abcdef0"));
    assert!(looks_like_image_id("ami-12345678"));
    assert!(!looks_like_image_id("ami-"));
    assert!(!looks_like_image_id("snap-12345678"));
    assert!(!looks_like_image_id("ami-12,ami-34"));
}

#[tokio::test(start_paused = true)]
async fn malformed_id_is_rejected_without_a_call() {
    let fake = FakeEc2::default();
    let err = wait(
        &fake,
        &unique_key(),
        "not-an-ami",
        WaitFor::Available,
        Duration::MAX,
        &CancellationToken::new(),
    )
    .await
    .expect_err("malformed");
    assert!(err.to_string().contains("InvalidAMIID.Malformed"), "{err}");
    assert!(fake.state().image_calls.is_empty());
}

#[tokio::test(start_paused = true)]
async fn huge_timeout_does_not_overflow() {
    let fake = FakeEc2::default();
    fake.put("ami-1", "available", &[]);
    let r = wait(
        &fake,
        &unique_key(),
        "ami-1",
        WaitFor::Available,
        Duration::MAX,
        &CancellationToken::new(),
    )
    .await;
    assert!(r.is_ok());
}

/// Collects the formatted messages of INFO events on this thread.
struct CaptureInfo(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for CaptureInfo {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        if *event.metadata().level() == tracing::Level::INFO {
            let mut m = Message(String::new());
            event.record(&mut m);
            lock(&self.0).push(m.0);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(start_paused = true)]
async fn progress_is_logged_at_info() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    // Thread-local: this test's runtime is single-threaded, so the loop task logs here too.
    let _guard = tracing::subscriber::set_default(CaptureInfo(Arc::clone(&lines)));
    let fake = FakeEc2::default();
    fake.put("ami-log", "pending", &["snap-l1", "snap-l2"]);
    {
        let mut st = fake.state();
        st.snapshot_progress.insert("snap-l1".into(), "45%".into());
        st.snapshot_progress.insert("snap-l2".into(), "90%".into());
    }
    let _ = wait(
        &fake,
        &unique_key(),
        "ami-log",
        WaitFor::Available,
        Duration::from_millis(300),
        &CancellationToken::new(),
    )
    .await;
    let lines = lock(&lines).clone();
    assert!(
        lines
            .iter()
            .any(|l| l == "ami-log copying: 45% (snap-l1 45%, snap-l2 90%)"),
        "{lines:?}"
    );
    // Logged on change (or once a minute), not on every tick.
    assert_eq!(lines.len(), 1, "{lines:?}");
}
