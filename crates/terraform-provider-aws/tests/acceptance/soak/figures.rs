//! The soak's figures, from the emulator's call log and fault store: calls per action, how many
//! of them a fault hit (each such call is retried by the SDK), faults fired per kind, and the
//! wall time of each step; rendered as Markdown.

use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// The fault kinds that fail a call (latency only slows it down).
const FAILURE_KINDS: [&str; 6] = [
    "throttle",
    "http503",
    "drop_after",
    "http500",
    "drop",
    "unauthorized",
];

/// One step of the soak: what ran, how long it took, its exit code.
pub struct Step {
    pub label: String,
    pub took: Duration,
    pub code: i32,
    /// When it ran, in the call log's clock (seconds since the epoch): start, end.
    pub between: (f64, f64),
}

/// Calls of one action: all of them, and those a failure fault hit, per kind.
#[derive(Default)]
struct ActionCount {
    calls: usize,
    faulted: BTreeMap<String, usize>,
}

pub struct Figures {
    pub copies: usize,
    pub parallelism: usize,
    /// The faults' seed (`AMICOPY_SOAK_SEED` replays it).
    pub seed: u64,
    pub fault_mix: String,
    pub steps: Vec<Step>,
    /// Images EC2 ever listed under the soak's names, and their snapshots.
    pub images_made: usize,
    /// The distinct names among them: fewer than `images_made` means a name was copied twice.
    pub names_made: usize,
    pub snapshots_made: usize,
    /// After each interrupted apply: images EC2 had that the state did not record yet.
    pub untracked_after_interrupts: Vec<usize>,
    pub images_left: usize,
    pub snapshots_left: usize,
    pub violations: Vec<String>,
}

/// Whether a failure fault hit the call (the SDK then retries it).
fn failed(call: &Json) -> bool {
    call["fault"]
        .as_str()
        .is_some_and(|k| FAILURE_KINDS.contains(&k))
}

/// `fired` per kind for the faults scoped to `access_key`.
pub fn fired_per_kind(faults: &[Json], access_key: &str) -> BTreeMap<String, u64> {
    let mut fired = BTreeMap::new();
    for f in faults.iter().filter(|f| f["access_key_id"] == access_key) {
        let kind = f["kind"].as_str().unwrap_or("?").to_string();
        *fired.entry(kind).or_insert(0) += f["fired"].as_u64().unwrap_or(0);
    }
    fired
}

impl Figures {
    pub fn markdown(&self, calls: &[Json], fired: &BTreeMap<String, u64>) -> String {
        let mut by_action: BTreeMap<String, ActionCount> = BTreeMap::new();
        for c in calls {
            let action = c["action"].as_str().unwrap_or("?").to_string();
            let entry = by_action.entry(action).or_default();
            entry.calls += 1;
            if failed(c) {
                let kind = c["fault"].as_str().unwrap_or_default().to_string();
                *entry.faulted.entry(kind).or_insert(0) += 1;
            }
        }
        let total: usize = by_action.values().map(|a| a.calls).sum();
        let retried: usize = by_action
            .values()
            .map(|a| a.faulted.values().sum::<usize>())
            .sum();
        let wall: Duration = self.steps.iter().map(|s| s.took).sum();

        let mut md = String::new();
        let _ = writeln!(
            md,
            "Soak: {} copies, `-parallelism={}`; faults on every call of the provider's key: {}; \
             the first CopyImage calls lose their answer. Fault seed {} (replay with \
             `AMICOPY_SOAK_SEED={}`).\n",
            self.copies, self.parallelism, self.fault_mix, self.seed, self.seed
        );
        let _ = writeln!(
            md,
            "| step | wall time | exit | calls | retried |\n|---|---:|---:|---:|---:|"
        );
        for s in &self.steps {
            let during: Vec<&Json> = calls
                .iter()
                .filter(|c| {
                    c["time"]
                        .as_f64()
                        .is_some_and(|t| t >= s.between.0 && t <= s.between.1)
                })
                .collect();
            let faulted = during.iter().filter(|c| failed(c)).count();
            let _ = writeln!(
                md,
                "| {} | {:.1} s | {} | {} | {faulted} |",
                s.label,
                s.took.as_secs_f64(),
                s.code,
                during.len()
            );
        }
        let _ = writeln!(
            md,
            "| **all steps** | {:.1} s | | {total} | {retried} |\n",
            wall.as_secs_f64()
        );

        let _ = writeln!(
            md,
            "| action | calls | retried (a fault failed the call) | throttle | 503 | lost response |\n|---|---:|---:|---:|---:|---:|"
        );
        for (action, a) in &by_action {
            let kind = |k: &str| a.faulted.get(k).copied().unwrap_or(0);
            let _ = writeln!(
                md,
                "| {action} | {} | {} | {} | {} | {} |",
                a.calls,
                a.faulted.values().sum::<usize>(),
                kind("throttle"),
                kind("http503"),
                kind("drop_after")
            );
        }
        let _ = writeln!(md, "| **all** | {total} | {retried} | | | |\n");

        let _ = writeln!(md, "| fault kind | fired |\n|---|---:|");
        for (kind, n) in fired {
            let _ = writeln!(md, "| {kind} | {n} |");
        }
        let _ = writeln!(md);

        let _ = writeln!(
            md,
            "Images made: {} under {} names ({} duplicates), {} snapshots; untracked by the state \
             right after each Ctrl-C: {:?}; left after destroy: {} images, {} snapshots.\n",
            self.images_made,
            self.names_made,
            self.images_made - self.names_made,
            self.snapshots_made,
            self.untracked_after_interrupts,
            self.images_left,
            self.snapshots_left
        );
        if self.violations.is_empty() {
            let _ = writeln!(md, "Invariants: all held.");
        } else {
            let _ = writeln!(md, "Invariants broken ({}):\n", self.violations.len());
            for v in &self.violations {
                let _ = writeln!(md, "- {v}");
            }
        }
        md
    }
}
