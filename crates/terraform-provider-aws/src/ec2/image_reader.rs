//! Reading images by id, batched: Terraform refreshes resources concurrently, so the reads that
//! arrive within a few milliseconds of each other in one region (and client configuration) are
//! answered by one DescribeImages with up to [`MAX_IDS_PER_CALL`] ids instead of one call each.
//!
//! Each caller gets exactly what a DescribeImages of its id alone would have told it: the image,
//! `None` when it is gone, or the error. DescribeImages with ImageIds fails as a whole
//! (`InvalidAMIID.NotFound`) when one id does not exist; the ids the error names are answered
//! "gone" and the call is repeated without them, and when it names none each id is asked alone.
//! A malformed id never joins a batch, so it cannot fail the others.

use super::errors::{describe_sdk_error, error_code, is_image_not_found};
use super::image_waiter::looks_like_image_id;
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::{Image, ImageState};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tokio::sync::{oneshot, Notify};

/// DescribeImages takes up to 200 ids; stay well under it.
pub const MAX_IDS_PER_CALL: usize = 100;
/// How long the first read of a batch waits for others. Terraform hands out its parallelism
/// slots one by one as earlier reads finish, so concurrent reads arrive spread over a few
/// milliseconds: 5 ms gathered about 3 reads per call for a plan of 50 copies, 20 ms about 8
/// (and the plan got faster); a refresh barely notices 20 ms.
const GATHER_WINDOW: Duration = Duration::from_millis(20);

/// What a read of one id comes to: the live image, `None` when it is gone, or an error line.
pub type ReadResult = Result<Option<Image>, String>;

/// DescribeImages of `id` in `region`, batched with the other reads arriving at the same time.
pub async fn describe_image(clients: &AwsClients, region: &str, id: &str) -> ReadResult {
    if !looks_like_image_id(id) {
        // EC2 answers for it alone (InvalidAMIID.Malformed), as before batching.
        return describe_batch(&clients.ec2(region), &[id.to_string()])
            .await
            .remove(id)
            .unwrap_or(Ok(None));
    }
    let key = BatchKey {
        owner: clients as *const AwsClients as usize,
        region: region.to_string(),
    };
    let (tx, rx) = oneshot::channel();
    join(key, || clients.ec2(region), id, tx);
    rx.await
        .unwrap_or_else(|_| Err("the batched DescribeImages ended unexpectedly".to_string()))
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct BatchKey {
    owner: usize,
    region: String,
}

/// The reads gathered so far for one key.
struct Batch {
    waiting: Mutex<Vec<(String, oneshot::Sender<ReadResult>)>>,
    /// Signalled when the batch is full: send it now.
    full: Notify,
}

type Open = Mutex<HashMap<BatchKey, Arc<Batch>>>;

fn open_batches() -> &'static Open {
    static OPEN: OnceLock<Open> = OnceLock::new();
    OPEN.get_or_init(|| Mutex::new(HashMap::new()))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data (a list of senders) stays usable after a panic elsewhere.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Adds a read to the open batch of `key`, or opens one and sends it after the gather window
/// (or as soon as it is full).
fn join(
    key: BatchKey,
    make_client: impl FnOnce() -> aws_sdk_ec2::Client,
    id: &str,
    tx: oneshot::Sender<ReadResult>,
) {
    let mut open = lock(open_batches());
    if let Some(batch) = open.get(&key) {
        let mut waiting = lock(&batch.waiting);
        waiting.push((id.to_string(), tx));
        if waiting.len() >= MAX_IDS_PER_CALL {
            // Later reads start a new batch; this one goes now.
            batch.full.notify_one();
            drop(waiting);
            open.remove(&key);
        }
        return;
    }
    let batch = Arc::new(Batch {
        waiting: Mutex::new(vec![(id.to_string(), tx)]),
        full: Notify::new(),
    });
    open.insert(key.clone(), Arc::clone(&batch));
    drop(open);
    let client = make_client();
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::time::sleep(GATHER_WINDOW) => {}
            _ = batch.full.notified() => {}
        }
        {
            // Close the batch unless a full batch already did (then a newer one may be open).
            let mut open = lock(open_batches());
            if open.get(&key).is_some_and(|b| Arc::ptr_eq(b, &batch)) {
                open.remove(&key);
            }
        }
        let waiting = std::mem::take(&mut *lock(&batch.waiting));
        let ids: Vec<String> = waiting.iter().map(|(id, _)| id.clone()).collect();
        let mut results = describe_batch(&client, &ids).await;
        for (id, tx) in waiting {
            let r = results
                .get(&id)
                .cloned()
                .unwrap_or_else(|| Err(format!("no answer for {id}")));
            // The reader may have gone (Ctrl-C); nothing to do then.
            let _ = tx.send(r);
        }
        results.clear();
    });
}

/// The AMI ids an error message names, among `asked` (EC2: "The image ids '[ami-1, ami-2]' do
/// not exist").
pub fn ids_named(message: &str, asked: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in message.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        if asked.iter().any(|a| a == token) && !out.iter().any(|o| o == token) {
            out.push(token.to_string());
        }
    }
    out
}

/// What to do after DescribeImages of `chunk` failed as a whole.
#[derive(Debug, PartialEq, Eq)]
pub enum Split {
    /// These ids are gone; ask again for the rest.
    Gone(Vec<String>),
    /// Ask for each id alone.
    Singles,
    /// The error is every id's answer.
    Fail,
}

/// Chooses how to go on after a failed batch call, from the error's code and message.
pub fn split_after_error(chunk: &[String], code: Option<&str>, message: &str) -> Split {
    if chunk.len() < 2 {
        return Split::Fail;
    }
    match code {
        Some("InvalidAMIID.NotFound" | "InvalidAMIID.Unavailable") => {
            let named = ids_named(message, chunk);
            if named.is_empty() {
                Split::Singles
            } else {
                Split::Gone(named)
            }
        }
        // One bad id the local check let through: find it by asking alone.
        Some("InvalidAMIID.Malformed") => Split::Singles,
        _ => Split::Fail,
    }
}

/// DescribeImages (ImageIds) for `ids`, answering each id as a call for it alone would.
pub async fn describe_batch(
    client: &aws_sdk_ec2::Client,
    ids: &[String],
) -> HashMap<String, ReadResult> {
    let mut unique: Vec<String> = Vec::new();
    for id in ids {
        if !unique.contains(id) {
            unique.push(id.clone());
        }
    }
    let mut results: HashMap<String, ReadResult> = HashMap::new();
    let mut todo: VecDeque<Vec<String>> = unique
        .chunks(MAX_IDS_PER_CALL)
        .map(<[String]>::to_vec)
        .collect();
    // Every retry asks for fewer ids than the call before it, so this ends.
    while let Some(chunk) = todo.pop_front() {
        let out = client
            .describe_images()
            .set_image_ids(Some(chunk.clone()))
            // EC2 leaves disabled images out unless asked: a copy disabled outside Terraform is
            // still there, and still in the state.
            .include_disabled(true)
            .send()
            .await;
        match out {
            Ok(out) => {
                for id in &chunk {
                    let live = out
                        .images()
                        .iter()
                        .find(|i| {
                            i.image_id() == Some(id.as_str())
                                && i.state() != Some(&ImageState::Deregistered)
                        })
                        .cloned();
                    results.insert(id.clone(), Ok(live));
                }
            }
            Err(e) => {
                let code = error_code(&e);
                let message = aws_sdk_ec2::error::ProvideErrorMetadata::message(&e)
                    .unwrap_or_default()
                    .to_string();
                match split_after_error(&chunk, code.as_deref(), &message) {
                    Split::Gone(gone) => {
                        let rest: Vec<String> =
                            chunk.into_iter().filter(|id| !gone.contains(id)).collect();
                        for id in gone {
                            results.insert(id, Ok(None));
                        }
                        if !rest.is_empty() {
                            todo.push_back(rest);
                        }
                    }
                    Split::Singles => todo.extend(chunk.into_iter().map(|id| vec![id])),
                    Split::Fail if is_image_not_found(&e) => {
                        for id in chunk {
                            results.insert(id, Ok(None));
                        }
                    }
                    Split::Fail => {
                        let msg = describe_sdk_error(&e);
                        for id in chunk {
                            results.insert(id, Err(msg.clone()));
                        }
                    }
                }
            }
        }
    }
    results
}

#[cfg(test)]
mod tests;
