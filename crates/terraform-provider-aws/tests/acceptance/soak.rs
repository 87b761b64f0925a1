//! A long soak: many copies of varied durations made through the real CLI while EC2 throttles,
//! answers 503, loses responses and is slow on every call. The apply is interrupted twice with
//! Ctrl-C and resumed, the tags of every copy change, and everything is destroyed. Every plan
//! between the steps must be the expected one; the emulator must show that every copy EC2 made
//! was in state until destroy, that no name was copied twice, and that nothing is left. Before
//! destroy, a `create_before_destroy` replacement keeping its name and a second state with the
//! same names must both fail on the names, and no image the state holds may be deleted. Then
//! (`soak/ownership.rs`) two root modules apply the same names at the same moment, and copies
//! left unresolved and tainted are resolved or replaced with their recorded tokens.
//!
//! The faults' random choices start from a seed, printed and written to the report:
//! `AMICOPY_SOAK_SEED=N` replays a run's fault decisions (the same calls arriving in the same
//! order meet the same faults). The first CopyImage calls always lose their answer, so every
//! run resolves some copies by their token.
//!
//! `AMICOPY_SOAK_COPIES` sets the number of copies: unset, 8 (what `make test` runs), and
//! `make soak` runs 50. The figures (calls per action, retries, faults fired, wall time per step)
//! are printed, and written to the file `AMICOPY_SOAK_REPORT` names when it is set. A broken
//! invariant does not stop the soak: every one is collected, naming the step and the ids, and
//! the test fails at the end with all of them, after destroy has cleaned up.

mod commands;
mod figures;
mod ownership;
mod world;

use crate::support::{rt, terraform_version, Tf};
use commands::Running;
use figures::{Figures, Step};
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// No other test copies into this region, so what the soak finds there is its own.
const REGION: &str = "ap-southeast-2";
const SOURCE_REGION: &str = "us-east-1";
const COPIES_VARIABLE: &str = "AMICOPY_SOAK_COPIES";
const REPORT_VARIABLE: &str = "AMICOPY_SOAK_REPORT";
const SEED_VARIABLE: &str = "AMICOPY_SOAK_SEED";
/// Small enough that `make test` pays about a minute for it on a loaded 2-core machine
/// (53 to 80 s measured).
const DEFAULT_COPIES: usize = 8;
/// Every call waits a random time in this range (ms), so calls overtake each other.
const LATENCY_MS: (u32, u32) = (5, 250);
/// The share of calls each failure fault hits.
const THROTTLED: f64 = 0.20;
const UNAVAILABLE: f64 = 0.05;
const LOST: f64 = 0.02;
/// How long every fifth copy stays unlisted after its CopyImage (well within the provider's
/// patience for a new copy while it waits).
const UNLISTED_SECONDS: f64 = 6.0;
/// An interrupted apply that has not reached its Ctrl-C point by then is interrupted anyway.
const INTERRUPT_AT_THE_LATEST: Duration = Duration::from_secs(300);

/// The emulator's call log is stamped in seconds since the epoch.
fn unix_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// The faults' seed: `AMICOPY_SOAK_SEED`, else one from the clock.
fn seed() -> u64 {
    match std::env::var(SEED_VARIABLE) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{SEED_VARIABLE}={v:?}: give a whole number")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64 % 1_000_000_007)
            .unwrap_or_default(),
    }
}

fn copies() -> usize {
    match std::env::var(COPIES_VARIABLE) {
        Err(_) => DEFAULT_COPIES,
        Ok(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .unwrap_or_else(|| {
                panic!("{COPIES_VARIABLE}={v:?}: give a number of copies, 1 to 500")
            }),
    }
}

/// `n` copies of `source` named `prefix` and a three-digit counter, with `body` (tags, a
/// lifecycle block) inside.
fn copies_block(n: usize, prefix: &str, source: &str, body: &str) -> String {
    format!(
        r#"resource "aws_ami_copy" "c" {{
  count             = {n}
  name              = format("{prefix}%03d", count.index)
  source_ami_id     = "{source}"
  source_ami_region = "{SOURCE_REGION}"
{body}}}
"#
    )
}

/// A copy's duration in the emulator: 2 to 18.5 s, spread so that neighbours differ.
fn duration_of(i: usize) -> f64 {
    2.0 + ((i * 7) % 12) as f64 * 1.5
}

struct Soak {
    /// The provider's access key: the faults and copy rules are scoped to it.
    tf: Tf,
    /// Another key, without faults: set-up and every check.
    checker: Tf,
    copies: usize,
    parallelism: usize,
    /// The faults' random choices start from it.
    seed: u64,
    prefix: String,
    source: String,
    steps: Vec<Step>,
    violations: Vec<String>,
    /// Every image EC2 ever listed under the soak's names: id → name.
    seen: BTreeMap<String, String>,
    snapshots: BTreeSet<String>,
    untracked_after_interrupts: Vec<usize>,
}

impl Soak {
    fn new(copies: usize) -> Soak {
        let tf = Tf::new("soak");
        let checker = Tf::new("soak_check");
        // Unique per run, so a second run against the same emulator meets no old names.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let prefix = format!("tfacc-soak-{:x}{:05x}-", std::process::id(), nanos >> 12);
        let source = checker.make_source_ami(SOURCE_REGION, &format!("{prefix}source"));
        Soak {
            tf,
            checker,
            copies,
            // A quarter of the copies at a time: each Ctrl-C then lands while some copies are
            // being made and others are not started yet.
            parallelism: (copies / 4).max(2),
            seed: seed(),
            prefix,
            source,
            steps: Vec::new(),
            violations: Vec::new(),
            seen: BTreeMap::new(),
            snapshots: BTreeSet::new(),
            untracked_after_interrupts: Vec::new(),
        }
    }

    fn name(&self, i: usize) -> String {
        format!("{}{i:03}", self.prefix)
    }

    fn tags(&self, generation: u32) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::from([
            ("soak".to_string(), self.prefix.clone()),
            ("generation".to_string(), generation.to_string()),
        ]);
        // One key only in each generation: the change adds a tag and deletes one.
        tags.insert(format!("only_in_{generation}"), "yes".to_string());
        tags
    }

    fn write_config(&self, generation: u32, lifecycle: &str) {
        let text = self.config(&self.tf, self.copies, generation, lifecycle);
        self.tf.write(&text);
    }

    /// The soak's configuration for `tf`: `n` copies under the soak's names, tagged for
    /// `generation`, with `lifecycle` (a `lifecycle` block, or nothing) in each.
    fn config(&self, tf: &Tf, n: usize, generation: u32, lifecycle: &str) -> String {
        let tags: String = self
            .tags(generation)
            .iter()
            .map(|(k, v)| format!("    {k} = \"{v}\"\n"))
            .collect();
        let body = format!("  tags = {{\n{tags}  }}\n{lifecycle}");
        format!(
            "{}{}",
            tf.provider_block(REGION, ""),
            copies_block(n, &self.prefix, &self.source, &body)
        )
    }

    /// The image ids the soak's state holds now.
    fn state_ids(&self) -> Vec<String> {
        let state = self.tf.state();
        state["values"]["root_module"]["resources"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .filter_map(|r| r["values"]["id"].as_str().map(str::to_string))
                    .filter(|id| !id.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every image the state holds is still there: nothing took it over and deleted it.
    fn check_state_images_live(&mut self, after: &str) {
        for id in self.state_ids() {
            let live = self
                .checker
                .find_image(REGION, &id)
                .is_some_and(|i| i.state() != Some(&aws_sdk_ec2::types::ImageState::Deregistered));
            if !live {
                self.violation(format!(
                    "after {after}: the state holds {id}, which EC2 no longer has"
                ));
            }
        }
    }

    /// `-replace` of one copy that keeps its name, with `create_before_destroy`: the new copy
    /// cannot have the name while the old one holds it. The apply must fail naming the name in
    /// use, and the state must keep the old copy, live: never adopt it as the new one, which the
    /// replacement would then destroy.
    fn replace_keeping_the_name(&mut self, label: &str) {
        self.write_config(2, "  lifecycle {\n    create_before_destroy = true\n  }\n");
        let before = self.state_ids();
        let p = self.parallelism_arg();
        let run = self.step(
            label,
            &[
                "apply",
                "-auto-approve",
                "-input=false",
                "-no-color",
                &p,
                "-replace=aws_ami_copy.c[0]",
            ],
        );
        if run.code == 0 {
            self.violation(format!(
                "{label}: succeeded, so the new copy got a name EC2 keeps unique"
            ));
        } else if !run.flat().contains("AMI name already in use") {
            let e = commands::errors(&run);
            self.violation(format!("{label}: failed for another reason: {e}"));
        }
        let after = self.state_ids();
        if before != after {
            self.violation(format!(
                "{label}: the state changed from {before:?} to {after:?}"
            ));
        }
        self.check_state_images_live(label);
        self.write_config(2, "");
    }

    /// A second root module with the same names (a second state or workspace): its apply must
    /// fail on the names, and its destroy must delete nothing of the first's.
    fn second_state_with_the_same_names(&mut self, label: &str) {
        let second = Tf::new("soak_second_state");
        second.write(&self.config(&second, self.copies.min(3), 2, ""));
        let apply = second.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let taken: Vec<String> = second.state_addresses();
        if apply.code == 0 || !apply.flat().contains("AMI name already in use") {
            let e = commands::errors(&apply);
            self.violation(format!(
                "{label}: the apply should fail on the names in use (exit {}): {e}",
                apply.code
            ));
        }
        if !taken.is_empty() {
            self.violation(format!("{label}: the second state took {taken:?}"));
        }
        let destroy = second.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        if destroy.code != 0 {
            let e = commands::errors(&destroy);
            self.violation(format!("{label}: its destroy failed: {e}"));
        }
        self.check_state_images_live(label);
    }

    /// Copy durations per name, and for every fifth copy a few seconds in which EC2 does not
    /// list it yet (eventual consistency right after CopyImage): long enough that the plan
    /// right after a Ctrl-C refreshes such a copy before EC2 lists it.
    fn copy_rules(&self) {
        for i in 0..self.copies {
            let mut rule = json!({"name": self.name(i), "duration_seconds": duration_of(i)});
            if i % 5 == 2 {
                rule["invisible_seconds"] = json!(UNLISTED_SECONDS);
            }
            self.tf.control("copy-rules", rule);
        }
    }

    /// The faults, on every action of the provider's key. The emulator tries failure faults in
    /// order and stops at the first that fires, so each later rate is conditional on the earlier
    /// ones not firing: these give 20 %, 5 % and 2 % of all calls.
    fn inject_faults(&self) {
        self.tf.control("faults-seed", json!({ "seed": self.seed }));
        // The first CopyImage calls lose their answer, whatever the dice say: every run then
        // resolves copies by their token (EC2 served them; the SDK's retry or the re-send learns
        // the id).
        self.tf.control(
            "faults",
            json!({"action": "CopyImage", "kind": "drop_after",
                   "count": self.copies.div_ceil(8)}),
        );
        let unavailable = UNAVAILABLE / (1.0 - THROTTLED);
        let lost = LOST / (1.0 - THROTTLED - UNAVAILABLE);
        for (kind, rate) in [
            ("throttle", THROTTLED),
            ("http503", unavailable),
            ("drop_after", lost),
        ] {
            self.tf
                .control("faults", json!({"action": "*", "kind": kind, "rate": rate}));
        }
        self.tf.control(
            "faults",
            json!({"action": "*", "kind": "latency", "rate": 1.0,
                   "latency_ms": LATENCY_MS.0, "latency_ms_max": LATENCY_MS.1}),
        );
    }

    fn fault_mix() -> String {
        format!(
            "{:.0} % throttling, {:.0} % 503, {:.0} % lost responses, latency {}–{} ms",
            THROTTLED * 100.0,
            UNAVAILABLE * 100.0,
            LOST * 100.0,
            LATENCY_MS.0,
            LATENCY_MS.1
        )
    }

    fn violation(&mut self, text: String) {
        eprintln!("soak: invariant broken: {text}");
        self.violations.push(text);
    }

    fn parallelism_arg(&self) -> String {
        format!("-parallelism={}", self.parallelism)
    }

    /// Runs one command to its end, timed as a step.
    fn step(&mut self, label: &str, args: &[&str]) -> crate::support::Run {
        let running = Running::start(&self.tf, args);
        self.finish(label, running)
    }

    fn finish(&mut self, label: &str, running: Running) -> crate::support::Run {
        let started = unix_seconds() - running.started.elapsed().as_secs_f64();
        let (run, took) = running.finish(&mut self.violations, label);
        eprintln!("soak: {label}: exit {} in {took:.1?}", run.code);
        self.steps.push(Step {
            label: label.to_string(),
            took,
            code: run.code,
            between: (started, unix_seconds()),
        });
        run
    }

    fn apply(&mut self, label: &str) -> bool {
        let p = self.parallelism_arg();
        let run = self.step(
            label,
            &["apply", "-auto-approve", "-input=false", "-no-color", &p],
        );
        if run.code != 0 {
            let e = commands::errors(&run);
            self.violation(format!("{label}: apply failed (exit {}): {e}", run.code));
        }
        run.code == 0
    }

    /// The main copies' names whose CopyImage EC2 served (answered 200, or served and lost
    /// the answer).
    fn copied_names(&self) -> BTreeSet<String> {
        self.tf
            .calls(Some("CopyImage"))
            .iter()
            .filter(|c| c["status"] == 200 || c["fault"] == "drop_after")
            .filter_map(|c| c["params"]["Name"].as_str().map(str::to_string))
            .filter(|n| n.starts_with(&self.prefix))
            .collect()
    }

    /// The main copies' CopyImage calls whose answer was lost.
    fn lost_copy_answers(&self) -> usize {
        self.tf
            .calls(Some("CopyImage"))
            .iter()
            .filter(|c| c["fault"] == "drop_after")
            .filter(|c| {
                c["params"]["Name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(&self.prefix))
            })
            .count()
    }

    /// An apply interrupted with Ctrl-C once EC2 has served CopyImage for `interrupt_at` names.
    fn apply_interrupted(&mut self, label: &str, interrupt_at: usize) {
        let p = self.parallelism_arg();
        let mut running = Running::start(
            &self.tf,
            &["apply", "-auto-approve", "-input=false", "-no-color", &p],
        );
        let mut interrupted = false;
        while running.running() {
            let late = running.started.elapsed() > INTERRUPT_AT_THE_LATEST;
            if late || self.copied_names().len() >= interrupt_at {
                running.interrupt();
                interrupted = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let run = self.finish(label, running);
        if !interrupted {
            let e = commands::errors(&run);
            self.violation(format!(
                "{label}: apply ended (exit {}) before {interrupt_at} copies were made, so Ctrl-C never landed: {e}",
                run.code
            ));
        }
    }

    /// Lists the soak's images in EC2 and compares them with the state. `complete`: after an
    /// apply that ended, when every copy EC2 ever made must be in state.
    fn observe(&mut self, after: &str, complete: bool) -> BTreeMap<String, world::Image> {
        let images = world::images(&self.checker, REGION, &self.prefix);
        let entries = world::state_entries(&self.tf);
        let in_state: BTreeMap<&str, &str> = entries
            .iter()
            .map(|(addr, e)| (e.id.as_str(), addr.as_str()))
            .collect();
        let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for img in &images {
            by_name.entry(&img.name).or_default().push(&img.id);
            self.seen.insert(img.id.clone(), img.name.clone());
            self.snapshots.extend(img.snapshots.iter().cloned());
        }
        let mut broken = Vec::new();
        for (name, ids) in &by_name {
            if ids.len() > 1 {
                broken.push(format!(
                    "0 duplicate copies: after {after}, EC2 has {} images named {name}: {ids:?}",
                    ids.len()
                ));
            }
        }
        for (addr, e) in &entries {
            if e.tainted {
                broken.push(format!(
                    "no copy tainted: after {after}, {addr} ({}) is tainted",
                    e.id
                ));
            }
        }
        let untracked: Vec<(&String, &String)> = self
            .seen
            .iter()
            .filter(|(id, _)| !in_state.contains_key(id.as_str()))
            .collect();
        if complete {
            for (id, name) in &untracked {
                broken.push(format!(
                    "every copy made is in state: after {after}, {id} ({name}) is in EC2 but not in state"
                ));
            }
            let listed: BTreeSet<&str> = images.iter().map(|i| i.id.as_str()).collect();
            for (addr, e) in &entries {
                if !listed.contains(e.id.as_str()) {
                    broken.push(format!(
                        "state matches EC2: after {after}, {addr} records {} ({}), which EC2 does not list",
                        e.id, e.name
                    ));
                }
            }
            if entries.len() != self.copies {
                broken.push(format!(
                    "all copies in state: after {after}, {} of {} are",
                    entries.len(),
                    self.copies
                ));
            }
        } else {
            eprintln!(
                "soak: after {after}: {} images, {} in state, untracked: {untracked:?}",
                images.len(),
                entries.len()
            );
            self.untracked_after_interrupts.push(untracked.len());
        }
        for b in broken {
            self.violation(b);
        }
        images.into_iter().map(|i| (i.id.clone(), i)).collect()
    }

    /// `plan -json -detailed-exitcode`: its exit code and planned changes (address → action).
    fn plan(&mut self, label: &str) -> Option<(i32, BTreeMap<String, String>)> {
        let p = self.parallelism_arg();
        let run = self.step(
            label,
            &[
                "plan",
                "-json",
                "-detailed-exitcode",
                "-input=false",
                "-no-color",
                &p,
            ],
        );
        if run.code == 1 || run.code < 0 {
            let errors = world::plan_errors(&run.stdout);
            let e = if errors.is_empty() {
                commands::errors(&run)
            } else {
                errors.join(" | ")
            };
            self.violation(format!("{label}: plan failed (exit {}): {e}", run.code));
            return None;
        }
        Some((run.code, world::planned_changes(&run.stdout)))
    }

    /// After Ctrl-C the plan may only create what is not in state and update (finish waiting
    /// for) what is pending; nothing is replaced or destroyed. A copy pending in the state file
    /// may have finished since, and then plans no change.
    fn check_plan_resumes(&mut self, label: &str) {
        let Some((_, changes)) = self.plan(label) else {
            return;
        };
        let entries = world::state_entries(&self.tf);
        let mut broken = Vec::new();
        for i in 0..self.copies {
            let addr = format!("aws_ami_copy.c[{i}]");
            let action = changes.get(&addr).map(String::as_str);
            let allowed: &[Option<&str>] = match entries.get(&addr) {
                None => &[Some("create")],
                Some(e) if e.state == "pending" => &[Some("update"), None],
                Some(_) => &[None],
            };
            if !allowed.contains(&action) {
                let recorded = entries
                    .get(&addr)
                    .map(|e| format!("{} {}", e.id, e.state))
                    .unwrap_or_else(|| "not in state".to_string());
                let why = if action == Some("create") && entries.contains_key(&addr) {
                    ": the refresh forgot a copy the state records"
                } else {
                    ""
                };
                broken.push(format!(
                    "plan as expected: {label} plans {action:?} for {addr} ({recorded}), expected one of {allowed:?}{why}"
                ));
            }
        }
        for (addr, action) in &changes {
            if !addr.starts_with("aws_ami_copy.c[") {
                broken.push(format!(
                    "plan as expected: {label} plans {action} for {addr}"
                ));
            }
        }
        for b in broken {
            self.violation(b);
        }
    }

    /// After an apply that ended: the plan is empty.
    fn check_plan_empty(&mut self, label: &str) {
        if let Some((code, changes)) = self.plan(label) {
            if code != 0 || !changes.is_empty() {
                self.violation(format!(
                    "plan as expected: {label} should be empty, exited {code} with {changes:?}"
                ));
            }
        }
    }

    /// After the tags changed in the configuration: every copy updated in place, nothing else.
    fn check_plan_updates_all(&mut self, label: &str) {
        if let Some((code, changes)) = self.plan(label) {
            let expected: BTreeMap<String, String> = (0..self.copies)
                .map(|i| (format!("aws_ami_copy.c[{i}]"), "update".to_string()))
                .collect();
            if code != 2 || changes != expected {
                let differing: BTreeMap<&String, &String> = changes
                    .iter()
                    .filter(|(a, act)| expected.get(*a) != Some(*act))
                    .collect();
                self.violation(format!(
                    "plan as expected: {label} exited {code}; {} of {} copies updated in place, other changes: {differing:?}",
                    changes.values().filter(|a| *a == "update").count(),
                    self.copies
                ));
            }
        }
    }

    /// After the tags apply: every image and its snapshots carry exactly the new tags.
    fn check_tags(&mut self, images: &BTreeMap<String, world::Image>, generation: u32) {
        let want = self.tags(generation);
        let snapshots = world::copy_snapshots(&self.checker, REGION, &self.source, &self.snapshots);
        let mut broken = Vec::new();
        for img in images.values() {
            if img.tags != want {
                broken.push(format!(
                    "tags applied: {} ({}) has {:?}, expected {want:?}",
                    img.id, img.name, img.tags
                ));
            }
            for s in &img.snapshots {
                match snapshots.get(s) {
                    Some(tags) if *tags == want => {}
                    other => broken.push(format!(
                        "tags applied: snapshot {s} of {} has {other:?}, expected {want:?}",
                        img.id
                    )),
                }
            }
        }
        for b in broken {
            self.violation(b);
        }
    }

    /// After destroy: no image or snapshot of the soak is left, the state is empty, and every
    /// name EC2 served a CopyImage for had its image seen (so the checks covered every copy).
    fn check_nothing_left(&mut self) -> (usize, usize) {
        let images = world::images(&self.checker, REGION, &self.prefix);
        let snapshots = world::copy_snapshots(&self.checker, REGION, &self.source, &self.snapshots);
        let entries = world::state_entries(&self.tf);
        let mut broken = Vec::new();
        for img in &images {
            let known = if self.seen.contains_key(&img.id) {
                "seen earlier"
            } else {
                "never seen before"
            };
            broken.push(format!(
                "0 images left: {} ({}) is still in EC2 after destroy ({known})",
                img.id, img.name
            ));
        }
        for s in snapshots.keys() {
            broken.push(format!(
                "0 snapshots left: {s} is still in EC2 after destroy"
            ));
        }
        if !entries.is_empty() {
            broken.push(format!(
                "empty state after destroy: {:?}",
                entries.keys().collect::<Vec<_>>()
            ));
        }
        let seen_names: BTreeSet<&String> = self.seen.values().collect();
        for name in self.copied_names() {
            if !seen_names.contains(&name) {
                broken.push(format!(
                    "every copy made was seen: EC2 served CopyImage for {name}, but no image of that name was ever listed"
                ));
            }
        }
        for b in broken {
            self.violation(b);
        }
        (images.len(), snapshots.len())
    }

    /// What a broken soak left behind is removed, counted already, so the emulator other tests
    /// share does not carry it.
    fn remove_leftovers(&self) {
        let ec2 = self.checker.ec2(REGION);
        for img in world::images(&self.checker, REGION, &self.prefix) {
            let _ = rt().block_on(ec2.deregister_image().image_id(&img.id).send());
        }
        let left = world::copy_snapshots(&self.checker, REGION, &self.source, &self.snapshots);
        for id in left.keys() {
            let _ = rt().block_on(ec2.delete_snapshot().snapshot_id(id).send());
        }
    }

    fn faults_listing(&self) -> Vec<Json> {
        let url = format!("{}/_ec2emu/faults", self.tf.emulator);
        let mut resp = ureq::get(&url)
            .call()
            .unwrap_or_else(|e| panic!("emulator faults: {e}"));
        resp.body_mut().read_json().expect("faults json")
    }
}

#[test]
fn soak_copies_under_faults_interrupted_twice_retagged_and_destroyed() {
    let copies = copies();
    let mut soak = Soak::new(copies);
    soak.copy_rules();
    soak.write_config(1, "");
    soak.inject_faults();
    eprintln!(
        "soak: {copies} copies named {}NNN into {REGION}, -parallelism={}, fault seed {} \
         (replay: {SEED_VARIABLE}={})",
        soak.prefix, soak.parallelism, soak.seed, soak.seed
    );

    // A quarter of the copies made, Ctrl-C; then a quarter more, Ctrl-C again.
    let quarter = copies.div_ceil(4);
    soak.apply_interrupted("apply, Ctrl-C #1", quarter);
    soak.observe("Ctrl-C #1", false);
    soak.check_plan_resumes("plan after Ctrl-C #1");
    let second = (soak.copied_names().len() + quarter).min(copies);
    soak.apply_interrupted("apply, Ctrl-C #2", second);
    soak.observe("Ctrl-C #2", false);
    soak.check_plan_resumes("plan after Ctrl-C #2");

    soak.apply("apply, resumed to the end");
    soak.observe("the resumed apply", true);
    soak.check_plan_empty("plan after the resumed apply");

    soak.write_config(2, "");
    soak.check_plan_updates_all("plan of the tags change");
    soak.apply("apply of the tags change");
    let images = soak.observe("the tags apply", true);
    soak.check_tags(&images, 2);
    soak.check_plan_empty("plan after the tags apply");

    // Nothing of the user's is taken over: a replacement keeping its name, a second state with
    // the same names.
    soak.replace_keeping_the_name("apply -replace keeping the name (create_before_destroy)");
    soak.second_state_with_the_same_names("a second state with the same names");
    soak.two_root_modules_at_once("two root modules with the same names at once");
    soak.unresolved_copies_tainted("unresolved copies, tainted");
    soak.check_plan_empty("plan after the name checks");

    let p = soak.parallelism_arg();
    let destroy = soak.step(
        "destroy",
        &["destroy", "-auto-approve", "-input=false", "-no-color", &p],
    );
    if destroy.code != 0 {
        let e = commands::errors(&destroy);
        soak.violation(format!("destroy failed (exit {}): {e}", destroy.code));
    }
    let (images_left, snapshots_left) = soak.check_nothing_left();
    soak.remove_leftovers();

    let calls = soak.tf.calls(None);
    let fired = figures::fired_per_kind(&soak.faults_listing(), &soak.tf.access_key);
    let lost_copy_answers = soak.lost_copy_answers();
    let report = Figures {
        copies,
        parallelism: soak.parallelism,
        seed: soak.seed,
        fault_mix: Soak::fault_mix(),
        steps: std::mem::take(&mut soak.steps),
        images_made: soak.seen.len(),
        names_made: soak.seen.values().collect::<BTreeSet<_>>().len(),
        snapshots_made: soak.snapshots.len(),
        untracked_after_interrupts: soak.untracked_after_interrupts.clone(),
        images_left,
        snapshots_left,
        violations: soak.violations.clone(),
    }
    .markdown(&calls, &fired);
    println!("{report}");
    if let Ok(path) = std::env::var(REPORT_VARIABLE) {
        let (major, minor, patch) = terraform_version();
        let file = format!(
            "# Soak figures\n\nWritten by `make soak` (`tests/acceptance/soak.rs`, \
             {COPIES_VARIABLE}={copies}), Terraform {major}.{minor}.{patch}, the emulator with \
             its fidelity layer.\n\n{report}"
        );
        std::fs::write(&path, file).unwrap_or_else(|e| panic!("write {path}: {e}"));
    }
    // The faults must have fired, or the soak measured a quiet EC2.
    assert!(
        lost_copy_answers > 0,
        "no CopyImage of the main copies lost its answer: nothing was resolved by its token"
    );
    for kind in ["throttle", "http503", "latency"] {
        assert!(
            fired.get(kind).copied().unwrap_or(0) > 0,
            "the {kind} fault never fired: {fired:?}"
        );
    }
    assert!(
        soak.violations.is_empty(),
        "{} soak invariants broken:\n{}",
        soak.violations.len(),
        soak.violations.join("\n")
    );
}
