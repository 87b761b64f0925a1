//! Reading Terraform's state back (`terraform show -json`) and comparing its values.

use super::Tf;
use serde_json::Value as Json;

impl Tf {
    /// `terraform show -json` of the current state.
    pub fn state(&self) -> Json {
        let r = self.ok(&["show", "-json", "-no-color"]);
        serde_json::from_str(&r.stdout).expect("show -json output")
    }

    /// The attribute values of one resource in state (`aws_ami_copy.test`), or Null if absent.
    pub fn resource(&self, address: &str) -> Json {
        let state = self.state();
        state["values"]["root_module"]["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["address"] == address))
            .map(|r| r["values"].clone())
            .unwrap_or(Json::Null)
    }

    /// The whole state entry of one resource (address, values, `tainted`, ...), or Null.
    pub fn resource_entry(&self, address: &str) -> Json {
        let state = self.state();
        state["values"]["root_module"]["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["address"] == address))
            .cloned()
            .unwrap_or(Json::Null)
    }

    /// The addresses of every resource in state.
    pub fn state_addresses(&self) -> Vec<String> {
        let state = self.state();
        state["values"]["root_module"]["resources"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .filter_map(|r| r["address"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The snapshot ids of `ebs_block_device` in a resource's state values.
pub fn state_snapshot_ids(values: &Json) -> Vec<String> {
    values["ebs_block_device"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .filter_map(|d| d["snapshot_id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The id of a resource's state values, asserting it looks like an AMI id.
pub fn ami_id(values: &Json) -> String {
    let id = values["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in state: {values}"));
    assert!(id.starts_with("ami-"), "id {id:?} is not an AMI id");
    id.to_string()
}

/// The map attribute `attr` of state values as a sorted map.
pub fn state_map(values: &Json, attr: &str) -> std::collections::BTreeMap<String, String> {
    values[attr]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// A sorted map from literal pairs, for comparisons.
pub fn map(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
