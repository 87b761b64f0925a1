//! The soak's ownership steps, under the same faults as the rest: two root modules applying the
//! same names at the same moment, and copies left unresolved and tainted, then resolved (after
//! `untaint`) or replaced. Each uses names of its own, outside the main copies' prefix, so the
//! main invariants are not disturbed, and cleans up after itself.

use super::commands::{self, Running};
use super::{world, Soak, REGION};
use crate::support::Tf;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

impl Soak {
    /// How many copies each ownership step makes: a few, so that `make test` stays short.
    fn ownership_copies(&self) -> usize {
        (self.copies / 4).clamp(2, 8)
    }

    /// Names of their own for one step: `tfacc-soak-XXXXt-000` for tag `t`.
    fn step_prefix(&self, tag: &str) -> String {
        format!("{}{tag}-", self.prefix.trim_end_matches('-'))
    }

    /// A root module in its own directory whose provider uses the soak's key (its faults), with
    /// `provider_args`, and holds `n` copies named `prefix000`...
    fn root_module(&self, dir: &str, prefix: &str, n: usize, provider_args: &str) -> Tf {
        let tf = Tf::new(dir);
        self.write_root_module(&tf, prefix, n, provider_args);
        tf
    }

    /// (Re)writes a root module's configuration (see [`Self::root_module`]).
    fn write_root_module(&self, tf: &Tf, prefix: &str, n: usize, provider_args: &str) {
        tf.write(&format!(
            "{}{}",
            self.tf.provider_block(REGION, provider_args),
            super::copies_block(n, prefix, &self.source, "")
        ));
    }

    /// Two root modules with the same names, applied at the same moment (two pipelines), then
    /// each applied once more to settle what the faults left unknown. No image may be held by
    /// both states or by neither, no state may hold a deregistered image, and the loser's
    /// destroy must leave the winner's copies live.
    pub fn two_root_modules_at_once(&mut self, label: &str) {
        let prefix = self.step_prefix("t");
        let n = self.ownership_copies();
        let both = [
            self.root_module("soak_together_x", &prefix, n, ""),
            self.root_module("soak_together_y", &prefix, n, ""),
        ];
        let apply = ["apply", "-auto-approve", "-input=false", "-no-color"];
        let started: Vec<Running> = both.iter().map(|tf| Running::start(tf, &apply)).collect();
        for (i, running) in started.into_iter().enumerate() {
            self.finish(&format!("{label}: apply {}", ["x", "y"][i]), running);
        }
        for (i, tf) in both.iter().enumerate() {
            let running = Running::start(tf, &apply);
            self.finish(&format!("{label}: apply {} again", ["x", "y"][i]), running);
        }
        let images = world::images(&self.checker, REGION, &prefix);
        let held: Vec<BTreeMap<String, world::Entry>> =
            both.iter().map(world::state_entries).collect();
        let mut broken = Vec::new();
        for img in &images {
            let holders: Vec<&str> = held
                .iter()
                .zip(["x", "y"])
                .filter(|(entries, _)| entries.values().any(|e| e.id == img.id))
                .map(|(_, which)| which)
                .collect();
            if holders.len() != 1 {
                broken.push(format!(
                    "one state per image: after {label}, {} ({}) is held by {holders:?}",
                    img.id, img.name
                ));
            }
        }
        let listed: Vec<&str> = images.iter().map(|i| i.id.as_str()).collect();
        for (entries, which) in held.iter().zip(["x", "y"]) {
            for (addr, e) in entries {
                if !e.id.is_empty() && !listed.contains(&e.id.as_str()) {
                    broken.push(format!(
                        "no state holds a deregistered image: after {label}, {which}'s {addr} holds {}",
                        e.id
                    ));
                }
            }
        }
        // The loser's destroy first: the winner's copies must survive it.
        let (winner, loser) = if held[0].values().filter(|e| !e.id.is_empty()).count()
            >= held[1].values().filter(|e| !e.id.is_empty()).count()
        {
            (0, 1)
        } else {
            (1, 0)
        };
        self.destroy_root_module(&both[loser], &format!("{label}: destroy the loser"));
        for e in held[winner].values().filter(|e| !e.id.is_empty()) {
            if self.checker.find_image(REGION, &e.id).is_none() {
                broken.push(format!(
                    "a destroy never deletes another state's image: after {label}, {} ({}) is gone",
                    e.id, e.name
                ));
            }
        }
        self.destroy_root_module(&both[winner], &format!("{label}: destroy the winner"));
        self.nothing_left_under(&prefix, label, &mut broken);
        for b in broken {
            self.violation(b);
        }
    }

    /// Copies whose every CopyImage answer is lost while every lookup is refused: each stays in
    /// its state unresolved and tainted. Half are untainted: the next apply must keep the very
    /// image their lost request made, sending the recorded token. The others are replaced: their
    /// destroy re-sends the recorded token and deregisters that image, and a new copy is made.
    pub fn unresolved_copies_tainted(&mut self, label: &str) {
        let prefix = self.step_prefix("u");
        let n = self.ownership_copies();
        // Few retries: every CopyImage answer is lost here, and 25 retries with back-off would
        // spend minutes before the resolution that this step is about. No STS call: with so few
        // retries the background faults would fail the provider's configuration now and then
        // (a 503 three times), before any copy, which is not what this step is about.
        let no_sts = "  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n";
        let tf = self.root_module(
            "soak_unresolved",
            &prefix,
            n,
            &format!("  max_retries = 2\n{no_sts}"),
        );
        let lost =
            self.add_fault(json!({"action": "CopyImage", "kind": "drop_after", "rate": 1.0}));
        let refused = self
            .add_fault(json!({"action": "DescribeImages", "kind": "unauthorized", "rate": 1.0}));
        let apply = ["apply", "-auto-approve", "-input=false", "-no-color"];
        let run = self.finish(&format!("{label}: apply"), Running::start(&tf, &apply));
        self.remove_fault(lost);
        self.remove_fault(refused);
        // The usual retries again for the recovery: with 2, the soak's background faults (20 %
        // throttling, 5 % 503 on every call, STS included) fail about one call in fifty outright,
        // which is the soak's noise, not what this step checks. The copies plan no change for it.
        self.write_root_module(&tf, &prefix, n, no_sts);
        let mut broken = Vec::new();
        if run.code == 0 {
            broken.push(format!(
                "{label}: the apply should fail with unknown outcomes"
            ));
        } else if !run.flat().contains("AMI copy outcome unknown") {
            let e = commands::errors(&run);
            broken.push(format!(
                "{label}: the apply failed, but not with unknown outcomes: {e}"
            ));
        }
        let first = world::state_entries(&tf);
        let tokens = recorded_tokens(&tf);
        let made: BTreeMap<String, String> = world::images(&self.checker, REGION, &prefix)
            .into_iter()
            .map(|i| (i.name, i.id))
            .collect();
        for (addr, e) in &first {
            if !e.id.is_empty() || !e.tainted || !tokens.contains_key(addr) {
                broken.push(format!(
                    "{label}: {addr} should be unresolved and tainted, with its token: {e:?}"
                ));
            }
        }
        let keep: Vec<String> = (0..n)
            .step_by(2)
            .map(|i| format!("aws_ami_copy.c[{i}]"))
            .collect();
        for addr in &keep {
            let r = tf.run(&["untaint", addr]);
            if r.code != 0 {
                broken.push(format!("{label}: untaint {addr} failed: {}", r.flat()));
            }
        }
        let since = super::unix_seconds();
        let run = self.finish(
            &format!("{label}: apply again"),
            Running::start(&tf, &apply),
        );
        if run.code != 0 {
            let e = commands::errors(&run);
            broken.push(format!("{label}: the apply after recovery failed: {e}"));
        }
        let after = world::state_entries(&tf);
        for (addr, e) in &after {
            let was = made.get(&e.name);
            if keep.contains(addr) && was != Some(&e.id) {
                broken.push(format!(
                    "an untainted unresolved copy keeps its image: {addr} holds {}, its request made {was:?}",
                    e.id
                ));
            }
            if !keep.contains(addr) {
                if was == Some(&e.id) || e.id.is_empty() {
                    broken.push(format!(
                        "a tainted copy is replaced: {addr} holds {:?}",
                        e.id
                    ));
                }
                if let Some(old) = was {
                    if self.checker.find_image(REGION, old).is_some() {
                        broken.push(format!(
                            "the replaced copy's image is deregistered: {addr}'s {old} is still there"
                        ));
                    }
                }
            }
        }
        // Each name's first CopyImage after recovery carries the token its state recorded.
        let calls = self.tf.calls(Some("CopyImage"));
        for (addr, token) in &tokens {
            let Some(name) = first.get(addr).map(|e| e.name.clone()) else {
                continue;
            };
            let sent = calls
                .iter()
                .filter(|c| c["time"].as_f64().unwrap_or_default() >= since)
                .find(|c| c["params"]["Name"] == name.as_str())
                .and_then(|c| c["params"]["ClientToken"].as_str());
            if sent != Some(token.as_str()) {
                broken.push(format!(
                    "one token for a copy's life: {addr}'s first CopyImage after recovery sent {sent:?}, its state recorded {token}"
                ));
            }
        }
        let images = world::images(&self.checker, REGION, &prefix);
        if images.len() != n {
            let ids: Vec<&str> = images.iter().map(|i| i.id.as_str()).collect();
            broken.push(format!(
                "{label}: {n} names, {} images: {ids:?}",
                images.len()
            ));
        }
        self.destroy_root_module(&tf, &format!("{label}: destroy"));
        self.nothing_left_under(&prefix, label, &mut broken);
        for b in broken {
            self.violation(b);
        }
    }

    fn destroy_root_module(&mut self, tf: &Tf, label: &str) {
        let args = ["destroy", "-auto-approve", "-input=false", "-no-color"];
        let run = self.finish(label, Running::start(tf, &args));
        if run.code != 0 {
            let e = commands::errors(&run);
            self.violation(format!("{label} failed (exit {}): {e}", run.code));
        }
    }

    fn nothing_left_under(&self, prefix: &str, label: &str, broken: &mut Vec<String>) {
        for img in world::images(&self.checker, REGION, prefix) {
            broken.push(format!(
                "0 images left: after {label}, {} ({}) is still in EC2",
                img.id, img.name
            ));
        }
    }

    /// A fault on the soak's key; its id, to remove it alone later.
    fn add_fault(&self, mut spec: Json) -> u64 {
        spec["access_key_id"] = Json::String(self.tf.access_key.clone());
        let url = format!("{}/_ec2emu/faults", self.tf.emulator);
        let mut resp = ureq::post(&url)
            .send_json(&spec)
            .unwrap_or_else(|e| panic!("add fault {spec}: {e}"));
        let fault: Json = resp.body_mut().read_json().expect("fault json");
        fault["id"].as_u64().expect("a fault id")
    }

    fn remove_fault(&self, id: u64) {
        let url = format!("{}/_ec2emu/faults?id={id}", self.tf.emulator);
        ureq::delete(&url)
            .call()
            .unwrap_or_else(|e| panic!("remove fault {id}: {e}"));
    }
}

/// The token each unresolved instance's record holds, by address.
fn recorded_tokens(tf: &Tf) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(tf.path().join("terraform.tfstate")) else {
        return BTreeMap::new();
    };
    let state: Json = serde_json::from_str(&text).expect("terraform.tfstate is JSON");
    let mut out = BTreeMap::new();
    for r in state["resources"].as_array().into_iter().flatten() {
        for i in r["instances"].as_array().into_iter().flatten() {
            let record: Option<Json> = i["attributes"]["copy_attempts"]
                .as_str()
                .and_then(|t| serde_json::from_str(t).ok());
            if let Some(token) = record.as_ref().and_then(|r| r["token"].as_str()) {
                out.insert(
                    format!("aws_ami_copy.c[{}]", i["index_key"]),
                    token.to_string(),
                );
            }
        }
    }
    out
}
