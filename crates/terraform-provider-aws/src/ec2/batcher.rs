//! Gathering reads that arrive together into one call. Terraform plans and refreshes resources
//! concurrently, handing out its parallelism slots one by one as earlier work finishes, so
//! concurrent reads arrive spread over a few milliseconds. A batch is sent at once when it is
//! full, and at the latest [`WINDOW`] after its first read (a steady trickle must not hold the
//! first read). Otherwise it goes:
//! - for reads Terraform announced (a refresh; see `tfplugin::expected_reads`), as soon as no
//!   announced read is still on its way: every read that is coming has joined;
//! - for every other read, when no new read has joined it for [`IDLE_GAP`] (everyone who was
//!   coming has probably come).
//!
//! Timing alone splits Terraform's rounds on a loaded machine (a round of ten plans or reads
//! arrives spread over more than the gap). So a batcher remembers, for each key, the most reads
//! it has had in flight at once (batches sent and not answered yet): the size of the round
//! Terraform's parallelism lets through, even when timing split that round into two batches.
//! Once it knows one, a batch waits until a round has joined, up to [`ROUND_WINDOW`] after its
//! first read. The last, smaller round of a walk waits that long at most.

use super::lock;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

/// A batch goes once no read has joined it for this long.
pub const IDLE_GAP: Duration = Duration::from_millis(3);
/// And at the latest this long after its first read.
pub const WINDOW: Duration = Duration::from_millis(20);
/// How long a batch waits for a round of the size seen before to join.
pub const ROUND_WINDOW: Duration = Duration::from_millis(100);
/// How often a batch of announced reads looks again whether more are on their way (an
/// announcement can also lapse or be taken by a read of another batch, which does not wake it).
const LOOK_AGAIN: Duration = Duration::from_millis(1);

/// The reads gathered so far for one key.
struct Batch<T, R> {
    waiting: Mutex<Vec<(T, oneshot::Sender<R>)>>,
    last_join: Mutex<Instant>,
    /// Signalled on every join.
    joined: Notify,
}

/// Open batches by key (a region and client, say): one per kind of read.
pub struct Batcher<K, T, R> {
    open: Mutex<HashMap<K, Arc<Batch<T, R>>>>,
    max: usize,
    /// For announced reads: whether any announced read is still on its way.
    more_coming: Option<fn() -> bool>,
    /// The most reads in flight at once so far, by key: the round size.
    rounds: Mutex<HashMap<K, usize>>,
    /// Reads sent and not answered yet, by key.
    in_flight: Mutex<HashMap<K, usize>>,
}

impl<K, T, R> Batcher<K, T, R>
where
    K: Clone + Eq + Hash + Send + Sync + 'static,
    T: Clone + Send + 'static,
    R: Send + 'static,
{
    /// A batcher sending at most `max` reads in one batch, once no read has joined it for
    /// [`IDLE_GAP`].
    pub fn new(max: usize) -> Self {
        Batcher {
            open: Mutex::new(HashMap::new()),
            max,
            more_coming: None,
            rounds: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// A batcher of announced reads, sending at most `max` in one batch, as soon as
    /// `more_coming` says no announced read is still on its way.
    pub fn announced(max: usize, more_coming: fn() -> bool) -> Self {
        Batcher {
            more_coming: Some(more_coming),
            ..Batcher::new(max)
        }
    }

    /// Adds `item` to the open batch of `key`, or opens one; `send` (called once per batch, with
    /// its items) answers every item, in order. The answer comes through `tx`.
    pub fn join<F, Fut>(&'static self, key: K, item: T, tx: oneshot::Sender<R>, send: F)
    where
        F: FnOnce(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<R>> + Send,
    {
        let mut open = lock(&self.open);
        if let Some(batch) = open.get(&key).cloned() {
            let full = {
                let mut waiting = lock(&batch.waiting);
                waiting.push((item, tx));
                waiting.len() >= self.max
            };
            *lock(&batch.last_join) = Instant::now();
            if full {
                // Later reads start a new batch; this one goes now.
                open.remove(&key);
            }
            batch.joined.notify_one();
            return;
        }
        let batch = Arc::new(Batch {
            waiting: Mutex::new(vec![(item, tx)]),
            last_join: Mutex::new(Instant::now()),
            joined: Notify::new(),
        });
        open.insert(key.clone(), Arc::clone(&batch));
        drop(open);
        let (max, more_coming) = (self.max, self.more_coming);
        let round = lock(&self.rounds).get(&key).copied().unwrap_or(0);
        tokio::spawn(async move {
            gather(&batch, max, more_coming, round).await;
            {
                // Close the batch unless a full batch already did (then a newer one may be open).
                let mut open = lock(&self.open);
                if open.get(&key).is_some_and(|b| Arc::ptr_eq(b, &batch)) {
                    open.remove(&key);
                }
            }
            let waiting = std::mem::take(&mut *lock(&batch.waiting));
            let (items, senders): (Vec<T>, Vec<oneshot::Sender<R>>) = waiting.into_iter().unzip();
            let sent = items.len();
            {
                let mut in_flight = lock(&self.in_flight);
                let now = in_flight.entry(key.clone()).or_insert(0);
                *now += sent;
                let mut rounds = lock(&self.rounds);
                let seen = rounds.entry(key.clone()).or_insert(0);
                *seen = (*seen).max(*now);
            }
            let answered = Answered {
                in_flight: &self.in_flight,
                key: &key,
                sent,
            };
            let answers = send(items).await;
            drop(answered);
            for (tx, r) in senders.into_iter().zip(answers) {
                // The reader may have gone (Ctrl-C); nothing to do then.
                let _ = tx.send(r);
            }
        });
    }
}

/// Takes a batch's reads out of the in-flight count when it is answered (or its task ends).
struct Answered<'a, K: Eq + Hash> {
    in_flight: &'a Mutex<HashMap<K, usize>>,
    key: &'a K,
    sent: usize,
}

impl<K: Eq + Hash> Drop for Answered<'_, K> {
    fn drop(&mut self) {
        if let Some(now) = lock(self.in_flight).get_mut(self.key) {
            *now = now.saturating_sub(self.sent);
        }
    }
}

/// Waits until the batch should go: full, or a `round` (when one is known: not 0) has joined or
/// [`ROUND_WINDOW`] has passed; without a round, [`WINDOW`] after it opened, or else when no
/// announced read is on its way (`more_coming`) or it has been idle for [`IDLE_GAP`] (without
/// it).
async fn gather<T, R>(
    batch: &Batch<T, R>,
    max: usize,
    more_coming: Option<fn() -> bool>,
    round: usize,
) {
    let opened = Instant::now();
    loop {
        let joined = lock(&batch.waiting).len();
        if joined >= max || (round > 0 && joined >= round) {
            return;
        }
        let now = Instant::now();
        let until = if round > 0 {
            opened + ROUND_WINDOW
        } else {
            match more_coming {
                Some(more_coming) if !more_coming() => return,
                Some(_) => now + LOOK_AGAIN,
                None => *lock(&batch.last_join) + IDLE_GAP,
            }
            .min(opened + WINDOW)
        };
        if now >= until {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(until) => {}
            _ = batch.joined.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::OnceLock;

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    fn batcher() -> &'static Batcher<u8, u32, u32> {
        static B: OnceLock<Batcher<u8, u32, u32>> = OnceLock::new();
        B.get_or_init(|| Batcher::new(3))
    }

    fn ask(key: u8, item: u32) -> oneshot::Receiver<u32> {
        let (tx, rx) = oneshot::channel();
        batcher().join(key, item, tx, |items: Vec<u32>| async move {
            CALLS.fetch_add(1, Ordering::SeqCst);
            items.into_iter().map(|i| i * 10).collect::<Vec<_>>()
        });
        rx
    }

    #[tokio::test(start_paused = true)]
    async fn reads_together_share_a_call_full_batches_go_at_once_and_idle_ones_soon() {
        let before = CALLS.load(Ordering::SeqCst);
        // Two reads 1 ms apart: one call, sent once the batch has been idle for the gap.
        let a = ask(1, 1);
        tokio::time::sleep(Duration::from_millis(1)).await;
        let b = ask(1, 2);
        let started = Instant::now();
        assert_eq!((a.await.ok(), b.await.ok()), (Some(10), Some(20)));
        assert!(started.elapsed() <= IDLE_GAP + Duration::from_millis(1));
        assert_eq!(CALLS.load(Ordering::SeqCst) - before, 1);

        // A full batch goes without waiting; the read after it opens the next one.
        let before = CALLS.load(Ordering::SeqCst);
        let (x, y, z, w) = (ask(2, 1), ask(2, 2), ask(2, 3), ask(2, 4));
        let started = Instant::now();
        assert_eq!(x.await.ok(), Some(10));
        assert_eq!((y.await.ok(), z.await.ok()), (Some(20), Some(30)));
        assert!(started.elapsed() < IDLE_GAP);
        assert_eq!(w.await.ok(), Some(40));
        assert_eq!(CALLS.load(Ordering::SeqCst) - before, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_trickle_is_cut_at_the_window() {
        static BIG: OnceLock<Batcher<u8, u32, u32>> = OnceLock::new();
        let big = BIG.get_or_init(|| Batcher::new(100));
        let ask = |item: u32| {
            let (tx, rx) = oneshot::channel();
            big.join(0, item, tx, |items: Vec<u32>| async move { items });
            rx
        };
        // One read every 2 ms, inside the idle gap, for twice the window.
        let started = Instant::now();
        let first = ask(0);
        let mut rest = Vec::new();
        for i in 1..20 {
            tokio::time::sleep(Duration::from_millis(2)).await;
            rest.push(ask(i));
        }
        let mut first = first;
        assert_eq!(first.try_recv().ok(), Some(0), "answered within the window");
        assert!(started.elapsed() >= WINDOW);
        for (i, r) in rest.into_iter().enumerate() {
            assert_eq!(r.await.ok(), Some(i as u32 + 1));
        }
    }

    /// Announced reads still on their way, for the test below.
    static COMING: AtomicUsize = AtomicUsize::new(0);

    #[tokio::test(start_paused = true)]
    async fn announced_reads_go_once_the_last_announced_one_has_joined() {
        static ANNOUNCED: OnceLock<Batcher<u8, u32, u32>> = OnceLock::new();
        let batcher =
            ANNOUNCED.get_or_init(|| Batcher::announced(100, || COMING.load(Ordering::SeqCst) > 0));
        let calls = std::sync::Arc::new(AtomicUsize::new(0));
        let ask = |key: u8, item: u32| {
            let (tx, rx) = oneshot::channel();
            let calls = calls.clone();
            // Like the provider: the read is no longer "on its way" once it arrives.
            COMING.fetch_sub(1, Ordering::SeqCst);
            batcher.join(key, item, tx, move |items: Vec<u32>| async move {
                calls.fetch_add(1, Ordering::SeqCst);
                items
            });
            rx
        };
        // Two reads announced; the second arrives well after the idle gap, and still shares
        // the first one's call, sent as soon as it joined.
        COMING.store(2, Ordering::SeqCst);
        let mut a = ask(0, 1);
        tokio::time::sleep(IDLE_GAP * 2).await;
        assert!(a.try_recv().is_err(), "waits for the announced read");
        let b = ask(0, 2);
        let joined = Instant::now();
        assert_eq!((a.await.ok(), b.await.ok()), (Some(1), Some(2)));
        assert!(
            joined.elapsed() <= LOOK_AGAIN,
            "no idle gap once nothing more is coming"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // An announced read that never comes holds a batch no longer than the window (a key
        // without a round yet).
        COMING.store(2, Ordering::SeqCst);
        let started = Instant::now();
        assert_eq!(ask(1, 3).await.ok(), Some(3));
        assert!(started.elapsed() >= WINDOW && started.elapsed() <= WINDOW + LOOK_AGAIN);
        COMING.store(0, Ordering::SeqCst);
    }

    #[tokio::test(start_paused = true)]
    async fn once_a_round_size_is_known_a_batch_waits_for_a_round() {
        static ROUNDS: OnceLock<Batcher<u8, u32, u32>> = OnceLock::new();
        let batcher = ROUNDS.get_or_init(|| Batcher::new(100));
        let calls = std::sync::Arc::new(AtomicUsize::new(0));
        let ask = |item: u32| {
            let (tx, rx) = oneshot::channel();
            let calls = calls.clone();
            batcher.join(0, item, tx, move |items: Vec<u32>| async move {
                calls.fetch_add(1, Ordering::SeqCst);
                items
            });
            rx
        };
        // The first round: three reads together.
        let first = [ask(1), ask(2), ask(3)];
        for r in first {
            assert!(r.await.is_ok());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // The next round arrives spread far beyond the idle gap (a loaded machine): still one
        // call, sent the moment the third read joins.
        let a = ask(4);
        tokio::time::sleep(IDLE_GAP * 5).await;
        let b = ask(5);
        tokio::time::sleep(IDLE_GAP * 5).await;
        let joined = Instant::now();
        let c = ask(6);
        assert_eq!(
            (a.await.ok(), b.await.ok(), c.await.ok()),
            (Some(4), Some(5), Some(6))
        );
        assert!(joined.elapsed() < IDLE_GAP, "no wait once the round is in");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // A last, smaller round waits no longer than the round window.
        let started = Instant::now();
        assert_eq!(ask(7).await.ok(), Some(7));
        assert!(started.elapsed() >= ROUND_WINDOW && started.elapsed() <= ROUND_WINDOW + IDLE_GAP);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_round_split_in_two_batches_is_learned_whole() {
        static SPLIT: OnceLock<Batcher<u8, u32, u32>> = OnceLock::new();
        let batcher = SPLIT.get_or_init(|| Batcher::new(100));
        let calls = std::sync::Arc::new(AtomicUsize::new(0));
        let ask = |item: u32| {
            let (tx, rx) = oneshot::channel();
            let calls = calls.clone();
            batcher.join(0, item, tx, move |items: Vec<u32>| async move {
                calls.fetch_add(1, Ordering::SeqCst);
                // The backend takes 50 ms: both batches of the first round are in flight at once.
                tokio::time::sleep(Duration::from_millis(50)).await;
                items
            });
            rx
        };
        // A first round of four, split by a pause longer than the window.
        let a = [ask(1), ask(2)];
        tokio::time::sleep(WINDOW + IDLE_GAP).await;
        let b = [ask(3), ask(4)];
        for r in a.into_iter().chain(b) {
            assert!(r.await.is_ok());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // The next round of four, spread out: one call, since the round was learned as four.
        let mut next = Vec::new();
        for i in 5..9 {
            next.push(ask(i));
            tokio::time::sleep(WINDOW).await;
        }
        for r in next {
            assert!(r.await.is_ok());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
