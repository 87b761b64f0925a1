//! The EC2 emulator's test controls and call log (see emulator/README.md), scoped to one test's
//! access key id so tests running in parallel never see each other's rules, faults or calls.

use super::Tf;
use serde_json::Value as Json;
use std::sync::OnceLock;

/// Which emulator a test runs against. Both are started by `scripts/with-emulator.sh`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// The emulator with its fidelity layer: EC2's behaviour in detail (pending copies,
    /// deprecation, protection, faults that need the layer).
    Fidelity,
    /// Stock moto 5.2.5 (`ec2emu --no-fidelity`): what LocalStack's EC2 is built on and what many
    /// teams point Terraform at in CI. It answers some calls with HTTP 500 and drops others'
    /// parameters, so a scenario that passes here passes against a plainer backend too.
    Stock,
}

impl Lane {
    /// The environment variable holding this lane's emulator URL.
    pub fn url_variable(self) -> &'static str {
        match self {
            Lane::Fidelity => "AMICOPY_EMULATOR_URL",
            Lane::Stock => "AMICOPY_STOCK_EMULATOR_URL",
        }
    }

    /// This lane's emulator base URL; tests cannot run without it.
    pub fn url(self) -> String {
        let var = self.url_variable();
        std::env::var(var).unwrap_or_else(|_| {
            panic!(
                "{var} is not set: run the acceptance tests with `make test` \
                 (or scripts/with-emulator.sh cargo test)"
            )
        })
    }
}

/// The fidelity emulator's base URL.
pub fn emulator_url() -> String {
    Lane::Fidelity.url()
}

impl Tf {
    fn control_url(&self, path: &str) -> String {
        format!("{}/_ec2emu/{path}", self.emulator)
    }

    /// POSTs a control document; `access_key_id` is added so it applies to this test only.
    pub fn control(&self, path: &str, mut body: Json) {
        body["access_key_id"] = Json::String(self.access_key.clone());
        ureq::post(&self.control_url(path))
            .send_json(&body)
            .unwrap_or_else(|e| panic!("emulator control {path}: {e}"));
    }

    /// The calls this test's provider made, optionally of one action, oldest first; the
    /// plan-time dry runs (`DryRun=true`, which change nothing) are left out: tests count what
    /// the provider does. [`Tf::calls_with_dry_runs`] has them too.
    pub fn calls(&self, action: Option<&str>) -> Vec<Json> {
        self.calls_with_dry_runs(action)
            .into_iter()
            .filter(|c| call_param(c, "DryRun").as_deref() != Some("true"))
            .collect()
    }

    /// Every call this test's provider made, dry runs included.
    pub fn calls_with_dry_runs(&self, action: Option<&str>) -> Vec<Json> {
        let mut url = format!(
            "{}?access_key_id={}",
            self.control_url("calls"),
            self.access_key
        );
        if let Some(a) = action {
            url.push_str(&format!("&action={a}"));
        }
        let mut resp = ureq::get(&url)
            .call()
            .unwrap_or_else(|e| panic!("emulator calls: {e}"));
        resp.body_mut()
            .read_json::<Vec<Json>>()
            .expect("calls json")
    }

    /// Forgets this test's calls, faults and copy rules.
    pub fn reset_emulator_scope(&self) {
        let url = format!(
            "{}?access_key_id={}",
            self.control_url("calls"),
            self.access_key
        );
        let _ = ureq::delete(&url).call();
        let url = format!(
            "{}?access_key_id={}",
            self.control_url("faults"),
            self.access_key
        );
        let _ = ureq::delete(&url).call();
    }

    /// The EC2 calls this test made through the provider (STS and other services left out).
    pub fn ec2_calls(&self) -> Vec<Json> {
        self.calls(None).into_iter().filter(is_ec2_call).collect()
    }

    /// The EC2 calls this test's provider made that can change something: all but the
    /// describes (and the dry runs, which `calls` leaves out).
    pub fn mutating_calls(&self) -> Vec<Json> {
        self.ec2_calls()
            .into_iter()
            .filter(|c| {
                !c["action"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("Describe")
            })
            .collect()
    }

    /// Forgets this test's call log (keeps rules and faults).
    pub fn clear_calls(&self) {
        let url = format!(
            "{}?access_key_id={}",
            self.control_url("calls"),
            self.access_key
        );
        ureq::delete(&url)
            .call()
            .unwrap_or_else(|e| panic!("emulator clear calls: {e}"));
    }

    /// Copy rule: copies whose name starts with `name_prefix` (made with this test's key) take
    /// `seconds` to become available.
    pub fn copy_duration(&self, name_prefix: &str, seconds: f64) {
        self.control(
            "copy-rules",
            serde_json::json!({"name_prefix": name_prefix, "duration_seconds": seconds}),
        );
    }

    /// Copy rule for an existing image id (e.g. to finish a pending copy now).
    pub fn copy_duration_for_image(&self, image_id: &str, seconds: f64) {
        self.control(
            "copy-rules",
            serde_json::json!({"image_id": image_id, "duration_seconds": seconds}),
        );
    }

    /// Copy rule: copies whose name starts with `name_prefix` end `failed` with this StateReason.
    pub fn copy_fails(&self, name_prefix: &str, seconds: f64, message: &str) {
        self.control(
            "copy-rules",
            serde_json::json!({
                "name_prefix": name_prefix,
                "duration_seconds": seconds,
                "fail_message": message,
                "fail_code": "Client.CopyFailed",
            }),
        );
    }

    /// Injects a fault for one EC2 action for this test's key (see emulator/README.md).
    pub fn fault(&self, action: &str, kind: &str, count: Option<u32>) {
        let mut body = serde_json::json!({"action": action, "kind": kind});
        if let Some(c) = count {
            body["count"] = Json::from(c);
        }
        self.control("faults", body);
    }
}

/// The EC2 actions a provider may call; anything else in the call log (STS, KMS) is not EC2.
pub fn is_ec2_call(call: &Json) -> bool {
    let service = call["service"].as_str().unwrap_or("ec2");
    let action = call["action"].as_str().unwrap_or("");
    service.eq_ignore_ascii_case("ec2") && action != "GetCallerIdentity"
}

/// The request parameters of one logged call (query-protocol names, e.g. `Tag.1.Key`).
pub fn call_params(call: &Json) -> &serde_json::Map<String, Json> {
    static EMPTY: OnceLock<serde_json::Map<String, Json>> = OnceLock::new();
    call["params"]
        .as_object()
        .unwrap_or_else(|| EMPTY.get_or_init(serde_json::Map::new))
}

/// The first value of a parameter (a logged value may be a string or a one-element list).
pub fn call_param(call: &Json, name: &str) -> Option<String> {
    match call_params(call).get(name)? {
        Json::String(s) => Some(s.clone()),
        Json::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_string),
        Json::Null => None,
        other => Some(other.to_string()),
    }
}

/// The values of every parameter whose name matches `prefix` + N + `suffix` (e.g. `Tag.`, `.Key`),
/// in the order of N.
pub fn call_param_list(call: &Json, prefix: &str, suffix: &str) -> Vec<String> {
    let mut found: Vec<(u32, String)> = call_params(call)
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix(prefix)?.strip_suffix(suffix)?;
            let n: u32 = rest.parse().ok()?;
            let v = match v {
                Json::String(s) => s.clone(),
                Json::Array(a) => a.first()?.as_str()?.to_string(),
                other => other.to_string(),
            };
            Some((n, v))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, v)| v).collect()
}
