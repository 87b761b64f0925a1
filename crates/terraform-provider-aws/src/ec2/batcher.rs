//! Gathering reads that arrive together into one call. Terraform plans and refreshes resources
//! concurrently, handing out its parallelism slots one by one as earlier work finishes, so
//! concurrent reads arrive spread over a few milliseconds. A batch is sent when no new read has
//! joined it for [`IDLE_GAP`] (everyone who was coming has come), after [`WINDOW`] at the most
//! (a steady trickle must not hold the first read), or at once when it is full.

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
}

impl<K, T, R> Batcher<K, T, R>
where
    K: Clone + Eq + Hash + Send + Sync + 'static,
    T: Clone + Send + 'static,
    R: Send + 'static,
{
    /// A batcher sending at most `max` reads in one batch.
    pub fn new(max: usize) -> Self {
        Batcher {
            open: Mutex::new(HashMap::new()),
            max,
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
        let max = self.max;
        tokio::spawn(async move {
            gather(&batch, max).await;
            {
                // Close the batch unless a full batch already did (then a newer one may be open).
                let mut open = lock(&self.open);
                if open.get(&key).is_some_and(|b| Arc::ptr_eq(b, &batch)) {
                    open.remove(&key);
                }
            }
            let waiting = std::mem::take(&mut *lock(&batch.waiting));
            let (items, senders): (Vec<T>, Vec<oneshot::Sender<R>>) = waiting.into_iter().unzip();
            let answers = send(items).await;
            for (tx, r) in senders.into_iter().zip(answers) {
                // The reader may have gone (Ctrl-C); nothing to do then.
                let _ = tx.send(r);
            }
        });
    }
}

/// Waits until the batch should go: full, idle for [`IDLE_GAP`], or [`WINDOW`] after it opened.
async fn gather<T, R>(batch: &Batch<T, R>, max: usize) {
    let opened = Instant::now();
    loop {
        if lock(&batch.waiting).len() >= max {
            return;
        }
        let idle_until = *lock(&batch.last_join) + IDLE_GAP;
        let until = idle_until.min(opened + WINDOW);
        if Instant::now() >= until {
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
}
