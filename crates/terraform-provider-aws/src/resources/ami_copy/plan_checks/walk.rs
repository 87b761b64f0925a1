//! Which walk of a `terraform apply` this process serves, so that the checks cost each question
//! once per apply. Terraform plans every resource twice in one `terraform apply`: the plan walk,
//! whose findings the user sees before approving, then the apply walk, which plans each resource
//! again right before applying it. Each walk starts its own provider process, and the apply walk
//! hands a create nothing of the first plan (its prior private data is empty), so no answer can
//! travel inside the protocol. What both walks share is their parent: the one Terraform process.
//!
//! So a process that runs the checks of a copy records that copy's question (a hash of its
//! configuration) in a mark named after its parent (pid and start time, from `/proc`, so that a
//! reused pid never matches), and a later process of the same parent, the apply walk, skips the
//! copies its plan walk already checked. A copy whose values were unknown in the plan walk has
//! another question once they are known, and is checked then. A process that has applied
//! anything is an apply walk too (on systems without `/proc`, only this holds: the apply walk
//! checks its first round again). The mark only ever skips checks: the worst a wrong one can do
//! is leave an error to CopyImage itself, which reports it at apply.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// Marks older than this are removed when a new one is written (a `terraform apply` is over).
const MARK_LIFETIME: Duration = Duration::from_secs(24 * 3600);

static APPLYING: AtomicBool = AtomicBool::new(false);

/// Records that this process applies changes: it serves an apply walk.
pub fn applying() {
    APPLYING.store(true, Ordering::Relaxed);
}

/// Whether the checks of the copy asking `question` were made already in this
/// `terraform apply`.
pub fn checked_already(question: u64) -> bool {
    if APPLYING.load(Ordering::Relaxed) {
        return true;
    }
    // Read once per process: the plan walk has ended when the apply walk starts.
    static EARLIER: OnceLock<HashSet<u64>> = OnceLock::new();
    EARLIER
        .get_or_init(|| {
            mark()
                .and_then(|m| std::fs::read_to_string(m).ok())
                .map(|text| text.lines().filter_map(|l| l.parse().ok()).collect())
                .unwrap_or_default()
        })
        .contains(&question)
}

/// Records in the parent's mark that the checks of the copy asking `question` were made
/// (failures are ignored: the next walk then checks again).
pub fn checks_made(question: u64) {
    static WRITING: Mutex<bool> = Mutex::new(false);
    let mut ready = crate::ec2::lock(&WRITING);
    let Some(mark) = mark() else { return };
    if !*ready {
        let Some(dir) = mark.parent() else { return };
        if create_private_dir(dir).is_err() {
            return;
        }
        forget_old(dir);
        *ready = true;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&mark);
    if let Ok(mut f) = file {
        let _ = writeln!(f, "{question}");
    }
}

/// The question a copy's checks answer: a hash of what they read from its planned state and
/// configuration, stable between the two walks (one binary, the same values).
pub fn question(parts: &[&str]) -> u64 {
    use std::hash::{Hash, Hasher};
    // `DefaultHasher::new` has fixed keys: the same in every process of this binary.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// The mark's path for this process's parent: `<tmp>/amicopy-aws-<uid>/<ppid>-<start>`.
#[cfg(not(unix))]
fn mark() -> Option<PathBuf> {
    None
}

/// The mark's path for this process's parent: `<tmp>/amicopy-aws-<uid>/<ppid>-<start>`.
#[cfg(unix)]
fn mark() -> Option<PathBuf> {
    let ppid = std::os::unix::process::parent_id();
    let start = start_time(ppid)?;
    let uid = uid()?;
    Some(
        std::env::temp_dir()
            .join(format!("amicopy-aws-{uid}"))
            .join(format!("{ppid}-{start}")),
    )
}

/// A process's start time in clock ticks since boot: field 22 of `/proc/<pid>/stat`, counted
/// after the command name (which may hold spaces and parentheses).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_start_time(&stat)
}

fn parse_start_time(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Fields from the state (field 3) on: the start time is field 22.
    after_name.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// This process's real user id, from `/proc/self/status`.
fn uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(not(unix))]
fn create_private_dir(_dir: &std::path::Path) -> std::io::Result<()> {
    Err(std::io::Error::other("no marks here"))
}

/// The marks' folder, readable by its owner only; one another user made is not used.
#[cfg(unix)]
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let meta = std::fs::symlink_metadata(dir)?;
            if meta.is_dir() && Some(meta.uid()) == uid() && meta.mode() & 0o077 == 0 {
                Ok(())
            } else {
                Err(std::io::Error::other("not this user's private folder"))
            }
        }
        Err(e) => Err(e),
    }
}

/// Removes marks older than [`MARK_LIFETIME`].
fn forget_old(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > MARK_LIFETIME);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_time_is_read_after_the_command_name() {
        let stat =
            "4242 (terraform (x) y) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 9 0 987654 1 2";
        assert_eq!(parse_start_time(stat), Some(987654));
        assert_eq!(parse_start_time("garbage"), None);
    }

    #[cfg(unix)]
    #[test]
    fn this_processs_parent_has_a_start_time_on_linux() {
        if std::path::Path::new("/proc/self/stat").exists() {
            let ppid = std::os::unix::process::parent_id();
            assert!(start_time(ppid).is_some_and(|t| t > 0));
            assert!(uid().is_some());
        }
    }
}
