//! What the soak compares: Terraform's state file, and the images and snapshots EC2 reports to
//! an access key without faults (so a check is never itself throttled or lost).

use crate::support::{rt, Tf};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// One `aws_ami_copy` instance in the state file.
#[derive(Clone, Debug)]
pub struct Entry {
    pub id: String,
    pub name: String,
    pub state: String,
    pub tainted: bool,
}

/// The `aws_ami_copy` instances of the local state, by address (`aws_ami_copy.c[3]`).
pub fn state_entries(tf: &Tf) -> BTreeMap<String, Entry> {
    let Ok(text) = std::fs::read_to_string(tf.path().join("terraform.tfstate")) else {
        return BTreeMap::new();
    };
    let state: Json = serde_json::from_str(&text).expect("terraform.tfstate is JSON");
    let mut entries = BTreeMap::new();
    for r in state["resources"].as_array().into_iter().flatten() {
        if r["mode"] != "managed" || r["type"] != "aws_ami_copy" {
            continue;
        }
        let name = r["name"].as_str().unwrap_or_default();
        for i in r["instances"].as_array().into_iter().flatten() {
            let index = match &i["index_key"] {
                Json::Null => String::new(),
                k => format!("[{k}]"),
            };
            let a = &i["attributes"];
            let text = |k: &str| a[k].as_str().unwrap_or_default().to_string();
            entries.insert(
                format!("aws_ami_copy.{name}{index}"),
                Entry {
                    id: text("id"),
                    name: text("name"),
                    state: text("state"),
                    tainted: i["status"] == "tainted",
                },
            );
        }
    }
    entries
}

/// One image as EC2 lists it.
#[derive(Clone, Debug)]
pub struct Image {
    pub id: String,
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub snapshots: Vec<String>,
}

/// The images of the account in `region` whose name starts with `prefix` (deregistered ones
/// left out), as `checker` sees them.
pub fn images(checker: &Tf, region: &str, prefix: &str) -> Vec<Image> {
    let ec2 = checker.ec2(region);
    let out = rt()
        .block_on(ec2.describe_images().owners("self").send())
        .expect("DescribeImages owner self");
    out.images()
        .iter()
        .filter(|i| i.state() != Some(&aws_sdk_ec2::types::ImageState::Deregistered))
        .filter(|i| i.name().is_some_and(|n| n.starts_with(prefix)))
        .map(|i| Image {
            id: i.image_id().unwrap_or_default().to_string(),
            name: i.name().unwrap_or_default().to_string(),
            tags: tag_map(i.tags()),
            snapshots: i
                .block_device_mappings()
                .iter()
                .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
                .collect(),
        })
        .collect()
}

/// The account's snapshots in `region` that a copy of `source_id` made (EC2 describes them as
/// "Copied for DestinationAmi ... from SourceAmi <source>") or whose id is in `known`: id → tags.
pub fn copy_snapshots(
    checker: &Tf,
    region: &str,
    source_id: &str,
    known: &BTreeSet<String>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let ec2 = checker.ec2(region);
    let out = rt()
        .block_on(ec2.describe_snapshots().owner_ids("self").send())
        .expect("DescribeSnapshots owner self");
    let from_source = format!("from SourceAmi {source_id} ");
    out.snapshots()
        .iter()
        .filter(|s| {
            s.description().is_some_and(|d| d.contains(&from_source))
                || s.snapshot_id().is_some_and(|id| known.contains(id))
        })
        .map(|s| {
            (
                s.snapshot_id().unwrap_or_default().to_string(),
                tag_map(s.tags()),
            )
        })
        .collect()
}

fn tag_map(tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// One `planned_change` of `terraform plan -json`: address → action (`create`, `update`,
/// `replace`, `delete`, ...).
pub fn planned_changes(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|m| m["type"] == "planned_change")
        .map(|m| {
            (
                m["change"]["resource"]["addr"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                m["change"]["action"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// The error diagnostics of `terraform plan -json` (summary: detail).
pub fn plan_errors(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|m| m["type"] == "diagnostic" && m["diagnostic"]["severity"] == "error")
        .map(|m| {
            format!(
                "{}: {}",
                m["diagnostic"]["summary"].as_str().unwrap_or_default(),
                m["diagnostic"]["detail"].as_str().unwrap_or_default()
            )
        })
        .collect()
}
