//! Waiting for AMIs: a copy to become available (a NotFound right after CopyImage is eventual
//! consistency, not the end), a change to become visible, a deregistered image to be gone.
//!
//! Every image waited on in this process and region shares one poll loop, so API calls grow with
//! the number of copies, not with copies times polls: a tokio task that makes one DescribeImages
//! call per tick for all pending ids, plus one DescribeSnapshots call for the copy progress of the
//! images still `pending` (logged at INFO, so a long copy shows a percentage). Polls follow the
//! back-off, except that a copy's progress readings, when they tell when it ends, let the loop
//! skip polls before that moment and poll densely around it (`copy_eta`). The task exists only while something
//! waits; the first waiter of a region starts it, the last one to leave stops it. Callers enforce
//! their own timeout and watch their own stop token, so Ctrl-C returns at once and the copy is
//! kept.

use super::backoff::{Backoff, BackoffConfig};
use super::copy_eta::{self, EndWindow, ProgressHistory};
use super::errors::{describe_sdk_error, is_transient};
use super::lock;
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::{Filter, Image, ImageState};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// EC2 accepts at most 200 values per filter; stay well under it.
const MAX_IDS_PER_CALL: usize = 100;
/// A brand-new image may be invisible to DescribeImages for a while (eventual consistency).
pub const NOT_FOUND_GRACE: Duration = Duration::from_secs(20);
/// ... and the grace lasts at least this many polls, whatever their spacing.
const NOT_FOUND_MIN_POLLS: u32 = 3;
/// Non-transient DescribeImages failures in a row before the waiters give up.
const MAX_API_FAILURES: u32 = 3;
/// Progress is logged when it changes, and at least this often while it does not.
const PROGRESS_LOG_EVERY: Duration = Duration::from_secs(60);
/// The loop polls this long before the earliest waiter's deadline, so a timeout reports fresh
/// state and progress.
const DEADLINE_LEAD: Duration = Duration::from_millis(250);
/// One poll's calls (DescribeImages, DescribeSnapshots) are abandoned after one attempt's time:
/// every waiter of the region waits on the poll, so a call that hangs must not hold them longer
/// than that; the next tick simply polls again.
const POLL_CALL_TIMEOUT: Duration = crate::provider::sdk::ATTEMPT_TIMEOUT;

/// What a waiter waits for.
#[derive(Clone)]
pub enum WaitFor {
    /// State `available`. `pending` keeps waiting; `failed`, `error`, `invalid` end the wait.
    Available,
    /// Deregistered or no longer listed.
    Gone,
    /// The predicate holds (e.g. the new description or deprecation time is visible).
    Matches(Arc<dyn Fn(&Image) -> bool + Send + Sync>),
}

impl WaitFor {
    pub fn matches(pred: impl Fn(&Image) -> bool + Send + Sync + 'static) -> Self {
        WaitFor::Matches(Arc::new(pred))
    }

    /// For messages: "... waiting for AMI ami-x to {this}".
    pub fn describe(&self) -> &'static str {
        match self {
            WaitFor::Available => "become available",
            WaitFor::Gone => "be deregistered",
            WaitFor::Matches(_) => "show the requested change",
        }
    }
}

impl fmt::Debug for WaitFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitFor::Available => f.write_str("Available"),
            WaitFor::Gone => f.write_str("Gone"),
            WaitFor::Matches(_) => f.write_str("Matches(..)"),
        }
    }
}

/// What one DescribeImages answer means for one waiter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The target is reached.
    Done,
    /// Not yet: poll again.
    Pending,
    /// The image reached a terminal failure state.
    Failed {
        state: String,
        reason: Option<String>,
    },
    /// The image is not in the answer: not created yet as far as this endpoint knows (eventual
    /// consistency), or gone. The loop decides which after a grace period.
    Missing,
    /// The image is listed as `deregistered` while something other than `Gone` was awaited.
    Deregistered,
}

/// Why a wait for `available` ends on a disabled image.
pub const DISABLED_REASON: &str =
    "it was disabled (DisableImage); `aws ec2 enable-image` makes it available again";

fn is_failure_state(state: &ImageState) -> bool {
    super::image_state::is_failure(state)
}

fn failed(image: &Image) -> Outcome {
    Outcome::Failed {
        state: image
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        reason: image
            .state_reason()
            .and_then(|r| r.message().or(r.code()))
            .filter(|m| !m.is_empty())
            .map(str::to_string),
    }
}

/// Interprets one image (or its absence from the answer) against what is awaited. Pure.
pub fn classify(image: Option<&Image>, target: &WaitFor) -> Outcome {
    let Some(image) = image else {
        return match target {
            WaitFor::Gone => Outcome::Done,
            _ => Outcome::Missing,
        };
    };
    let state = image.state();
    match target {
        WaitFor::Gone => match state {
            Some(ImageState::Deregistered) => Outcome::Done,
            _ => Outcome::Pending,
        },
        WaitFor::Available => match state {
            Some(ImageState::Available) => Outcome::Done,
            Some(ImageState::Deregistered) => Outcome::Deregistered,
            Some(s) if is_failure_state(s) => failed(image),
            // Disabled by someone: it will not become available by waiting.
            Some(ImageState::Disabled) => Outcome::Failed {
                state: ImageState::Disabled.as_str().to_string(),
                reason: Some(DISABLED_REASON.to_string()),
            },
            // pending, transient, unknown future states: keep waiting (bounded by the caller's
            // timeout).
            _ => Outcome::Pending,
        },
        WaitFor::Matches(pred) => match state {
            Some(ImageState::Deregistered) => Outcome::Deregistered,
            Some(s) if is_failure_state(s) => failed(image),
            _ if pred(image) => Outcome::Done,
            _ => Outcome::Pending,
        },
    }
}

/// The snapshot ids of an image's EBS mappings, in mapping order, without duplicates.
pub fn snapshot_ids(image: &Image) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in image
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()))
    {
        if !id.is_empty() && !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    }
    out
}

/// DescribeSnapshots' `Progress` ("45%") as a number, clamped to 0..=100.
pub fn parse_progress(text: &str) -> Option<u8> {
    let n: f64 = text.trim().trim_end_matches('%').trim().parse().ok()?;
    if !n.is_finite() {
        return None;
    }
    Some(n.clamp(0.0, 100.0).floor() as u8)
}

/// An image's copy progress: the least advanced of its snapshots that have a known progress.
pub fn image_progress(image: &Image, snapshot_progress: &HashMap<String, u8>) -> Option<u8> {
    snapshot_ids(image)
        .iter()
        .filter_map(|id| snapshot_progress.get(id).copied())
        .min()
}

/// Why a wait ended without reaching its target.
#[derive(Debug)]
pub enum WaitError {
    /// The image reached `failed`, `error` or `invalid`; `reason` is its StateReason.
    Failed {
        image_id: String,
        state: String,
        reason: Option<String>,
    },
    /// The image is not listed (after the eventual-consistency grace) or is `deregistered`.
    NotFound { image_id: String },
    /// The caller's timeout passed. `last` is the image as last seen, `progress` the copy's
    /// snapshot progress in percent when known.
    Timeout {
        image_id: String,
        waiting_for: &'static str,
        waited: Duration,
        last: Option<Box<Image>>,
        progress: Option<u8>,
    },
    /// The stop token was cancelled (Terraform's StopProvider, Ctrl-C).
    Stopped {
        image_id: String,
        waiting_for: &'static str,
        last: Option<Box<Image>>,
        progress: Option<u8>,
    },
    /// DescribeImages kept failing with an error that retrying does not fix ("CODE: message").
    Api(String),
}

impl WaitError {
    /// The image as last seen, for timeouts and stops.
    pub fn last_image(&self) -> Option<&Image> {
        match self {
            WaitError::Timeout { last, .. } | WaitError::Stopped { last, .. } => last.as_deref(),
            _ => None,
        }
    }

    /// The copy progress in percent, for timeouts and stops.
    #[cfg(test)]
    pub fn progress(&self) -> Option<u8> {
        match self {
            WaitError::Timeout { progress, .. } | WaitError::Stopped { progress, .. } => *progress,
            _ => None,
        }
    }
}

/// " (last state: pending, copy progress: 45%)" or "" when nothing is known.
fn status_suffix(last: &Option<Box<Image>>, progress: &Option<u8>) -> String {
    let mut parts = Vec::new();
    if let Some(state) = last.as_ref().and_then(|i| i.state()) {
        parts.push(format!("last state: {}", state.as_str()));
    }
    if let Some(p) = progress {
        parts.push(format!("copy progress: {p}%"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match (secs / 3600, (secs % 3600) / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, m, s) => format!("{h}h{m}m{s}s"),
    }
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::Failed {
                image_id,
                state,
                reason,
            } => {
                write!(f, "AMI {image_id} entered state \"{state}\"")?;
                match reason {
                    Some(r) => write!(f, ": {r}"),
                    None => f.write_str(" (EC2 gave no reason)"),
                }
            }
            WaitError::NotFound { image_id } => write!(
                f,
                "AMI {image_id} was not found: it does not exist or has been deregistered"
            ),
            WaitError::Timeout {
                image_id,
                waiting_for,
                waited,
                last,
                progress,
            } => write!(
                f,
                "timed out after {} waiting for AMI {image_id} to {waiting_for}{}",
                format_duration(*waited),
                status_suffix(last, progress)
            ),
            WaitError::Stopped {
                image_id,
                waiting_for,
                last,
                progress,
            } => write!(
                f,
                "interrupted while waiting for AMI {image_id} to {waiting_for}{}",
                status_suffix(last, progress)
            ),
            WaitError::Api(msg) => write!(f, "describing AMIs failed: {msg}"),
        }
    }
}

impl std::error::Error for WaitError {}

/// Tuning of a poll loop and its waiters; the defaults are what the provider uses.
#[derive(Clone, Copy, Debug)]
pub struct WaitOptions {
    pub backoff: BackoffConfig,
    /// How long an image may stay unlisted before the wait ends with NotFound.
    pub not_found_grace: Duration,
    /// ... and for at least this many polls.
    pub not_found_min_polls: u32,
    /// A poll call that has not answered by then is abandoned (a transient failure).
    pub call_timeout: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            backoff: BackoffConfig::default(),
            not_found_grace: NOT_FOUND_GRACE,
            not_found_min_polls: NOT_FOUND_MIN_POLLS,
            call_timeout: POLL_CALL_TIMEOUT,
        }
    }
}

/// Waits until `image_id` in `region` reaches `target`, sharing the region's poll loop with
/// every other wait in this process. Returns the image as last described (for `Gone`: the
/// `deregistered` image if EC2 still listed it, else a stub with only the id and that state).
pub async fn wait_image(
    clients: &AwsClients,
    region: &str,
    image_id: &str,
    target: WaitFor,
    timeout: Duration,
    stop: &CancellationToken,
) -> Result<Image, WaitError> {
    // Loops are per client configuration as well as per region: two provider configurations in
    // one process (tests) must not poll with each other's credentials or endpoints. The address
    // is stable and unique while the caller's borrow keeps the clients alive, and a loop exists
    // only while some caller is waiting.
    let key = LoopKey {
        owner: clients as *const AwsClients as usize,
        region: region.to_string(),
    };
    let make_client = || clients.ec2(region);
    wait_on(
        key,
        make_client,
        image_id,
        target,
        timeout,
        stop,
        WaitOptions::default(),
    )
    .await
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct LoopKey {
    owner: usize,
    region: String,
}

/// One region's poll loop, shared by its waiters.
struct RegionLoop {
    key: LoopKey,
    /// Time zero of the progress readings' clock.
    origin: Instant,
    client: aws_sdk_ec2::Client,
    options: WaitOptions,
    waiters: Mutex<BTreeMap<u64, Arc<Waiter>>>,
    /// Signalled when a waiter joins: poll soon.
    wake: Notify,
    /// Cancelled when the last waiter leaves: the task ends.
    shutdown: CancellationToken,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

struct Waiter {
    image_id: String,
    target: WaitFor,
    deadline: Instant,
    /// When the wait began: the copy had started by then.
    joined: Instant,
    status: Mutex<WaiterStatus>,
}

#[derive(Default)]
struct WaiterStatus {
    last: Option<Image>,
    progress: Option<u8>,
    missing_since: Option<Instant>,
    missing_polls: u32,
    /// The copy's progress readings, for the estimate of its end.
    history: Option<ProgressHistory>,
    /// Taken when the loop delivers the result; `None` means finished.
    done: Option<oneshot::Sender<Result<Image, WaitError>>>,
}

type Registry = Mutex<HashMap<LoopKey, Arc<RegionLoop>>>;

fn registry() -> &'static Registry {
    static LOOPS: OnceLock<Registry> = OnceLock::new();
    LOOPS.get_or_init(|| Mutex::new(HashMap::new()))
}

static NEXT_WAITER: AtomicU64 = AtomicU64::new(1);

/// Removes its waiter when the wait ends for any reason (result, timeout, stop, or the caller's
/// future being dropped), and stops the loop when it was the last one.
struct Registration {
    region_loop: Arc<RegionLoop>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Same lock order as `register`: registry, then the loop's waiters. Holding the registry
        // lock makes "last waiter leaves" and "new waiter joins" mutually exclusive, so nobody
        // joins a loop that is shutting down.
        let mut loops = lock(registry());
        let mut waiters = lock(&self.region_loop.waiters);
        waiters.remove(&self.id);
        if waiters.is_empty() {
            if let Some(current) = loops.get(&self.region_loop.key) {
                if Arc::ptr_eq(current, &self.region_loop) {
                    loops.remove(&self.region_loop.key);
                }
            }
            self.region_loop.shutdown.cancel();
        }
    }
}

fn register(
    key: LoopKey,
    make_client: impl FnOnce() -> aws_sdk_ec2::Client,
    waiter: Arc<Waiter>,
    options: WaitOptions,
) -> Registration {
    let id = NEXT_WAITER.fetch_add(1, Ordering::Relaxed);
    let mut loops = lock(registry());
    let existing = loops.get(&key).filter(|l| {
        // A loop whose task is gone (its runtime shut down) cannot serve anyone.
        !l.shutdown.is_cancelled() && !lock(&l.task).as_ref().is_some_and(|t| t.is_finished())
    });
    let region_loop = match existing {
        Some(l) => {
            let l = Arc::clone(l);
            lock(&l.waiters).insert(id, waiter);
            l.wake.notify_one();
            l
        }
        None => {
            let l = Arc::new(RegionLoop {
                key: key.clone(),
                origin: Instant::now(),
                client: make_client(),
                options,
                waiters: Mutex::new(BTreeMap::from([(id, waiter)])),
                wake: Notify::new(),
                shutdown: CancellationToken::new(),
                task: Mutex::new(None),
            });
            let handle = tokio::spawn(run_loop(Arc::clone(&l)));
            *lock(&l.task) = Some(handle);
            loops.insert(key, Arc::clone(&l));
            l
        }
    };
    Registration { region_loop, id }
}

/// [`wait_image`] with an explicit loop key, client and tuning (tests use a fake client).
async fn wait_on(
    key: LoopKey,
    make_client: impl FnOnce() -> aws_sdk_ec2::Client,
    image_id: &str,
    target: WaitFor,
    timeout: Duration,
    stop: &CancellationToken,
    options: WaitOptions,
) -> Result<Image, WaitError> {
    let waiting_for = target.describe();
    let started = Instant::now();
    // A huge timeout ("no limit") must not overflow the clock.
    let deadline = started
        .checked_add(timeout)
        .unwrap_or_else(|| started + Duration::from_secs(100 * 365 * 24 * 3600));
    if !looks_like_image_id(image_id) {
        // Caught here rather than by EC2 so one bad id cannot fail the shared batch call for
        // every other waiter.
        return Err(WaitError::Api(format!(
            "InvalidAMIID.Malformed: {image_id:?} is not an AMI id (expected ami-...)"
        )));
    }
    if stop.is_cancelled() {
        return Err(WaitError::Stopped {
            image_id: image_id.to_string(),
            waiting_for,
            last: None,
            progress: None,
        });
    }
    let (tx, rx) = oneshot::channel();
    let waiter = Arc::new(Waiter {
        image_id: image_id.to_string(),
        target,
        deadline,
        joined: started,
        status: Mutex::new(WaiterStatus {
            done: Some(tx),
            ..WaiterStatus::default()
        }),
    });
    let _registration = register(key, make_client, Arc::clone(&waiter), options);

    let snapshot = |w: &Waiter| {
        let s = lock(&w.status);
        (s.last.clone().map(Box::new), s.progress)
    };
    tokio::select! {
        // Stop first: after Ctrl-C nothing else matters, and it must return at once.
        biased;
        _ = stop.cancelled() => {
            let (last, progress) = snapshot(&waiter);
            Err(WaitError::Stopped { image_id: image_id.to_string(), waiting_for, last, progress })
        }
        result = rx => match result {
            Ok(r) => r,
            // Not expected: the sender lives as long as `waiter`, and a dying loop answers.
            Err(_) => Err(WaitError::Api("the AMI poll loop ended unexpectedly".to_string())),
        },
        _ = tokio::time::sleep_until(deadline) => {
            let (last, progress) = snapshot(&waiter);
            Err(WaitError::Timeout {
                image_id: image_id.to_string(),
                waiting_for,
                waited: started.elapsed(),
                last,
                progress,
            })
        }
    }
}

/// `ami-` and letters/digits: what EC2 could ever answer for.
pub fn looks_like_image_id(id: &str) -> bool {
    id.strip_prefix("ami-")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Ends the waits still registered when the loop task ends other than by having no waiters
/// (a panic, or the runtime shutting down), so that nobody waits for a loop that is gone.
struct LoopExit(Arc<RegionLoop>);

impl Drop for LoopExit {
    fn drop(&mut self) {
        // Later waiters start a new loop instead of joining this one.
        self.0.shutdown.cancel();
        let waiters: Vec<Arc<Waiter>> = lock(&self.0.waiters).values().cloned().collect();
        for w in waiters {
            finish(
                &w,
                Err(WaitError::Api(
                    "the AMI poll loop ended unexpectedly".to_string(),
                )),
            );
        }
    }
}

async fn run_loop(lp: Arc<RegionLoop>) {
    let _exit = LoopExit(Arc::clone(&lp));
    let mut backoff = Backoff::new(lp.options.backoff);
    let mut next_poll = Instant::now() + backoff.next_delay();
    let mut api_failures = 0u32;
    loop {
        tokio::select! {
            _ = lp.shutdown.cancelled() => return,
            _ = lp.wake.notified() => {
                // A new waiter may be a quick copy: start the sequence over and poll soon, but
                // never later than already planned.
                backoff.reset();
                next_poll = next_poll.min(Instant::now() + backoff.next_delay());
                continue;
            }
            _ = tokio::time::sleep_until(next_poll) => {}
        }
        tokio::select! {
            _ = lp.shutdown.cancelled() => return,
            _ = poll_once(&lp, &mut api_failures) => {}
        }
        let now = Instant::now();
        let windows: Vec<Option<EndWindow>> = active_waiters(&lp)
            .iter()
            .map(|w| {
                lock(&w.status)
                    .history
                    .as_ref()
                    .and_then(ProgressHistory::end_window)
            })
            .collect();
        let now_s = seconds_since(lp.origin, now);
        let at = copy_eta::next_poll(now_s, backoff.next_delay().as_secs_f64(), &windows);
        let mut delay = Duration::from_secs_f64((at - now_s).clamp(0.0, 1.0e6));
        // Poll once more just before the earliest deadline so a timeout reports fresh state.
        let remaining = active_waiters(&lp)
            .iter()
            .filter_map(|w| w.deadline.checked_sub(DEADLINE_LEAD))
            .filter(|t| *t > now)
            .min()
            .map(|t| t - now);
        if let Some(r) = remaining {
            delay = delay.min(r);
        }
        next_poll = now + delay;
    }
}

/// `at` on the clock that starts at `origin`, in seconds (negative before it).
fn seconds_since(origin: Instant, at: Instant) -> f64 {
    if at >= origin {
        (at - origin).as_secs_f64()
    } else {
        -(origin - at).as_secs_f64()
    }
}

fn active_waiters(lp: &RegionLoop) -> Vec<Arc<Waiter>> {
    lock(&lp.waiters)
        .values()
        .filter(|w| lock(&w.status).done.is_some())
        .cloned()
        .collect()
}

fn finish(w: &Waiter, result: Result<Image, WaitError>) {
    if let Some(tx) = lock(&w.status).done.take() {
        // The caller may have gone (timeout, stop) in the meantime; nothing to do then.
        let _ = tx.send(result);
    }
}

/// DescribeImages for `ids`, by filter so that one unknown id does not fail the whole call (with
/// ImageIds it would: InvalidAMIID.NotFound). Deprecated and disabled images are asked for
/// explicitly since they are still ours to wait on.
async fn describe_images(
    client: &aws_sdk_ec2::Client,
    ids: &[String],
) -> Result<HashMap<String, Image>, (bool, String)> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(MAX_IDS_PER_CALL) {
        let mut token: Option<String> = None;
        loop {
            // Only the account's own images: copies are, and nothing else is waited on.
            let out = client
                .describe_images()
                .owners("self")
                .filters(
                    Filter::builder()
                        .name("image-id")
                        .set_values(Some(chunk.to_vec()))
                        .build(),
                )
                .include_deprecated(true)
                .include_disabled(true)
                .set_next_token(token.take())
                .customize()
                .config_override(crate::ec2::bare_500::describe_images())
                .send()
                .await
                .map_err(|e| (is_transient(&e), describe_sdk_error(&e)))?;
            for image in out.images() {
                if let Some(id) = image.image_id() {
                    found.insert(id.to_string(), image.clone());
                }
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
    }
    Ok(found)
}

/// DescribeSnapshots' progress for `ids`, by filter (an unknown id is simply not listed).
async fn describe_snapshot_progress(
    client: &aws_sdk_ec2::Client,
    ids: &[String],
) -> Result<HashMap<String, u8>, String> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(MAX_IDS_PER_CALL) {
        let mut token: Option<String> = None;
        loop {
            let out = client
                .describe_snapshots()
                .owner_ids("self")
                .filters(
                    Filter::builder()
                        .name("snapshot-id")
                        .set_values(Some(chunk.to_vec()))
                        .build(),
                )
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| describe_sdk_error(&e))?;
            for snap in out.snapshots() {
                if let (Some(id), Some(p)) = (snap.snapshot_id(), snap.progress()) {
                    if let Some(p) = parse_progress(p) {
                        found.insert(id.to_string(), p);
                    }
                }
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
    }
    Ok(found)
}

/// One tick: one DescribeImages for every waiting id, then one DescribeSnapshots for the copies
/// still pending.
async fn poll_once(lp: &RegionLoop, api_failures: &mut u32) {
    let waiters = active_waiters(lp);
    if waiters.is_empty() {
        return;
    }
    let ids: Vec<String> = waiters
        .iter()
        .map(|w| w.image_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let bounded = tokio::time::timeout(lp.options.call_timeout, describe_images(&lp.client, &ids));
    let answer = bounded.await.unwrap_or_else(|_| {
        Err((
            true,
            format!("no answer in {:?}; abandoned", lp.options.call_timeout),
        ))
    });
    let images = match answer {
        Ok(images) => {
            *api_failures = 0;
            images
        }
        Err((true, msg)) => {
            // Throttling, 5xx, network, a call that hung: the SDK has already retried; try again
            // next tick.
            tracing::debug!(region = %lp.key.region, "DescribeImages failed, will retry: {msg}");
            return;
        }
        Err((false, msg)) => {
            *api_failures += 1;
            tracing::warn!(region = %lp.key.region, failures = *api_failures, "DescribeImages failed: {msg}");
            if *api_failures >= MAX_API_FAILURES {
                for w in &waiters {
                    finish(w, Err(WaitError::Api(msg.clone())));
                }
                *api_failures = 0;
            }
            return;
        }
    };

    let now = Instant::now();
    let mut copying: Vec<(Arc<Waiter>, Image)> = Vec::new();
    for w in &waiters {
        let image = images.get(&w.image_id);
        let outcome = classify(image, &w.target);
        if outcome != Outcome::Pending {
            // The copy is over one way or another: its progress will not be logged again.
            lock(progress_log()).remove(&w.image_id);
        }
        match outcome {
            Outcome::Done => {
                let image = image.cloned().unwrap_or_else(|| {
                    Image::builder()
                        .image_id(w.image_id.clone())
                        .state(ImageState::Deregistered)
                        .build()
                });
                finish(w, Ok(image));
            }
            Outcome::Pending => {
                let Some(image) = image else { continue };
                {
                    let mut s = lock(&w.status);
                    s.last = Some(image.clone());
                    s.missing_since = None;
                    s.missing_polls = 0;
                }
                if image.state() == Some(&ImageState::Pending) {
                    copying.push((Arc::clone(w), image.clone()));
                }
            }
            Outcome::Failed { state, reason } => finish(
                w,
                Err(WaitError::Failed {
                    image_id: w.image_id.clone(),
                    state,
                    reason,
                }),
            ),
            Outcome::Deregistered => finish(
                w,
                Err(WaitError::NotFound {
                    image_id: w.image_id.clone(),
                }),
            ),
            Outcome::Missing => {
                let gone = {
                    let mut s = lock(&w.status);
                    let since = *s.missing_since.get_or_insert(now);
                    s.missing_polls += 1;
                    now.duration_since(since) >= lp.options.not_found_grace
                        && s.missing_polls >= lp.options.not_found_min_polls
                };
                if gone {
                    finish(
                        w,
                        Err(WaitError::NotFound {
                            image_id: w.image_id.clone(),
                        }),
                    );
                }
            }
        }
    }
    report_progress(lp, &copying).await;
}

/// Per-image "last logged" memory, so progress is logged on change or once a minute.
fn progress_log() -> &'static Mutex<HashMap<String, (u8, std::time::Instant)>> {
    static LOG: OnceLock<Mutex<HashMap<String, (u8, std::time::Instant)>>> = OnceLock::new();
    LOG.get_or_init(|| Mutex::new(HashMap::new()))
}

async fn report_progress(lp: &RegionLoop, copying: &[(Arc<Waiter>, Image)]) {
    let snap_ids: Vec<String> = copying
        .iter()
        .flat_map(|(_, image)| snapshot_ids(image))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if snap_ids.is_empty() {
        return;
    }
    let asked = Instant::now();
    let call = describe_snapshot_progress(&lp.client, &snap_ids);
    let answer = tokio::time::timeout(lp.options.call_timeout, call)
        .await
        .unwrap_or_else(|_| Err("no answer; abandoned".to_string()));
    let progress = match answer {
        Ok(p) => p,
        Err(msg) => {
            // Progress is informational; the wait itself goes on.
            tracing::debug!(region = %lp.key.region, "DescribeSnapshots failed: {msg}");
            return;
        }
    };
    // The readings were taken somewhere between the request and the answer.
    let answered = Instant::now();
    let read_at = (seconds_since(lp.origin, asked) + seconds_since(lp.origin, answered)) / 2.0;
    let mut logged: BTreeSet<&str> = BTreeSet::new();
    for (w, image) in copying {
        let Some(pct) = image_progress(image, &progress) else {
            continue;
        };
        {
            let mut s = lock(&w.status);
            s.progress = Some(pct);
            s.history
                .get_or_insert_with(|| ProgressHistory::new(seconds_since(lp.origin, w.joined)))
                .record(read_at, pct);
        }
        if !logged.insert(w.image_id.as_str()) {
            continue;
        }
        let now = std::time::Instant::now();
        let due = {
            let mut log = lock(progress_log());
            // Finished images are removed in `poll_once`; this bounds what abandoned waits leave.
            if log.len() > 1000 {
                log.clear();
            }
            let due = match log.get(&w.image_id) {
                Some((p, at)) => *p != pct || now.duration_since(*at) >= PROGRESS_LOG_EVERY,
                None => true,
            };
            if due {
                log.insert(w.image_id.clone(), (pct, now));
            }
            due
        };
        if due {
            let detail: Vec<String> = snapshot_ids(image)
                .into_iter()
                .map(|s| match progress.get(&s) {
                    Some(p) => format!("{s} {p}%"),
                    None => s,
                })
                .collect();
            tracing::info!(
                region = %lp.key.region,
                "{} copying: {pct}% ({})",
                w.image_id,
                detail.join(", ")
            );
        }
    }
}

#[cfg(test)]
mod emulator_tests;
#[cfg(test)]
mod tests;
