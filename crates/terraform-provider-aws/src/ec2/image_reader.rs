//! Reading images by id (refresh, plan-time checks of sources) and the account's images by name
//! (plan-time checks of names), batched: Terraform plans and refreshes resources concurrently, so
//! the reads that arrive within a few milliseconds of each other in one region (and client
//! configuration) are answered by one DescribeImages with up to [`MAX_IDS_PER_CALL`] ids (or
//! names) instead of one call each (see `ec2::batcher` for when a batch goes).
//!
//! Each caller gets exactly what a DescribeImages of its id alone would have told it: the image,
//! `None` when it is gone, or the error. DescribeImages with ImageIds fails as a whole
//! (`InvalidAMIID.NotFound`) when one id does not exist; the ids the error names are answered
//! "gone" and the call is repeated without them, and when it names none each id is asked alone.
//! A malformed id never joins a batch, so it cannot fail the others.

use super::batcher::Batcher;
use super::errors::{describe_sdk_error, error_code, is_image_not_found};
use super::image_waiter::looks_like_image_id;
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::{Image, ImageState};
use std::collections::{HashMap, VecDeque};
use std::sync::OnceLock;
use tokio::sync::oneshot;

/// DescribeImages takes up to 200 ids; stay well under it.
pub const MAX_IDS_PER_CALL: usize = 100;
/// Names in one DescribeImages `name` filter (EC2 takes up to 200 filter values).
pub const MAX_NAMES_PER_CALL: usize = 100;

/// What a read of one id comes to: the live image, `None` when it is gone, or an error line.
pub type ReadResult = Result<Option<Image>, String>;

/// What a lookup of one name comes to: the account's images holding it (disabled ones included,
/// deregistered ones not), or an error line.
pub type NamedResult = Result<Vec<Image>, String>;

/// DescribeImages of `id` in `region`, batched with the other reads arriving at the same time.
/// `announced`: a refresh read (Terraform announces them: `tfplugin::expected_reads`); its batch
/// goes as soon as every announced read has joined, or a round has (see `ec2::batcher`).
pub async fn describe_image(
    clients: &AwsClients,
    region: &str,
    id: &str,
    announced: bool,
) -> ReadResult {
    if !looks_like_image_id(id) {
        // EC2 answers for it alone (InvalidAMIID.Malformed), as before batching.
        return describe_batch(&clients.ec2(region), &[id.to_string()])
            .await
            .remove(id)
            .unwrap_or(Ok(None));
    }
    let (tx, rx) = oneshot::channel();
    join(
        key(clients, region),
        || clients.ec2(region),
        id,
        announced,
        tx,
    );
    rx.await
        .unwrap_or_else(|_| Err("the batched DescribeImages ended unexpectedly".to_string()))
}

/// The account's images named `name` in `region`, batched with the other lookups by name
/// arriving at the same time (one DescribeImages with a `name` filter for all of them).
pub async fn images_named(clients: &AwsClients, region: &str, name: &str) -> NamedResult {
    static BY_NAME: OnceLock<Batcher<BatchKey, String, NamedResult>> = OnceLock::new();
    let batcher = BY_NAME.get_or_init(|| Batcher::new(MAX_NAMES_PER_CALL));
    let client = clients.ec2(region);
    let (tx, rx) = oneshot::channel();
    batcher.join(
        key(clients, region),
        name.to_string(),
        tx,
        move |names| async move {
            match describe_named(&client, &names).await {
                // `get`, not `remove`: two copies asking for one name in one batch both get it.
                Ok(found) => names
                    .iter()
                    .map(|n| Ok(found.get(n).cloned().unwrap_or_default()))
                    .collect(),
                Err(e) => names.iter().map(|_| Err(e.clone())).collect(),
            }
        },
    );
    rx.await
        .unwrap_or_else(|_| Err("the batched DescribeImages ended unexpectedly".to_string()))
}

/// One DescribeImages (every page) for the account's images with any of `names`.
async fn describe_named(
    client: &aws_sdk_ec2::Client,
    names: &[String],
) -> Result<HashMap<String, Vec<Image>>, String> {
    let mut found: HashMap<String, Vec<Image>> = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_images()
            .owners("self")
            .include_disabled(true)
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("name")
                    .set_values(Some(names.to_vec()))
                    .build(),
            )
            .set_next_token(token.take())
            .customize()
            .config_override(crate::ec2::bare_500::describe_images())
            .send()
            .await
            .map_err(|e| describe_sdk_error(&e))?;
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        for image in page.images() {
            if image.state() == Some(&ImageState::Deregistered) {
                continue;
            }
            if let Some(n) = image.name() {
                found.entry(n.to_string()).or_default().push(image.clone());
            }
        }
        if token.is_none() {
            break;
        }
    }
    Ok(found)
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct BatchKey {
    owner: usize,
    region: String,
}

/// Reads batch per provider configuration (its clients) and region.
fn key(clients: &AwsClients, region: &str) -> BatchKey {
    BatchKey {
        owner: clients as *const AwsClients as usize,
        region: region.to_string(),
    }
}

/// Adds a read of `id` to the open batch of `key`, or opens one (see `ec2::batcher`); announced
/// reads batch apart from the others, since their batches go by another rule.
fn join(
    key: BatchKey,
    make_client: impl FnOnce() -> aws_sdk_ec2::Client,
    id: &str,
    announced: bool,
    tx: oneshot::Sender<ReadResult>,
) {
    static BY_ID: OnceLock<Batcher<BatchKey, String, ReadResult>> = OnceLock::new();
    static ANNOUNCED_BY_ID: OnceLock<Batcher<BatchKey, String, ReadResult>> = OnceLock::new();
    let batcher = if announced {
        ANNOUNCED_BY_ID.get_or_init(|| {
            Batcher::announced(MAX_IDS_PER_CALL, || {
                tfplugin::expected_reads::outstanding() > 0
            })
        })
    } else {
        BY_ID.get_or_init(|| Batcher::new(MAX_IDS_PER_CALL))
    };
    let client = make_client();
    batcher.join(key, id.to_string(), tx, move |ids| async move {
        let results = describe_batch(&client, &ids).await;
        ids.iter()
            .map(|id| {
                results
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| Err(format!("no answer for {id}")))
            })
            .collect()
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
            .customize()
            .config_override(crate::ec2::bare_500::describe_images())
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
