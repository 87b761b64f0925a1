//! The acceptance-test harness: runs the real Terraform CLI against our provider binary and the
//! EC2 emulator (started by `make test` / `scripts/with-emulator.sh`, URL in AMICOPY_EMULATOR_URL).
//!
//! Each test gets its own working directory and its own static access key id; the emulator keeps
//! a call log and test controls per access key, so tests run in parallel without sharing state.
#![allow(dead_code)]

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The emulator's base URL; tests cannot run without it.
pub fn emulator_url() -> String {
    std::env::var("AMICOPY_EMULATOR_URL").expect(
        "AMICOPY_EMULATOR_URL is not set: run the acceptance tests with `make test` \
         (or scripts/with-emulator.sh cargo test)",
    )
}

/// The Terraform CLI: $TERRAFORM, else `terraform` on PATH, else the one `make tools` bundles.
pub fn terraform_bin() -> PathBuf {
    if let Ok(t) = std::env::var("TERRAFORM") {
        return PathBuf::from(t);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("terraform");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    repo_root().join(".tools/bin/terraform")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-aws"))
}

/// A directory holding only the provider binary, for `dev_overrides`. Pointing Terraform at
/// target/debug itself is unreliable: it may pick `terraform-provider-aws.d` (cargo's dep-info
/// file) and fail with "permission denied". A hard link also keeps this test process on the
/// binary it was built with while another build replaces target/debug's copy.
pub fn provider_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("provider-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("provider dir");
        let dest = dir.join("terraform-provider-aws");
        if std::fs::hard_link(provider_binary(), &dest).is_err() {
            std::fs::copy(provider_binary(), &dest).expect("copy provider binary");
        }
        dir
    })
    .clone()
}

/// A runtime for the AWS SDK calls the tests make to set up sources and check the emulator.
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// A Terraform working directory for one test.
pub struct Tf {
    dir: tempfile::TempDir,
    /// Unique per test: scopes the emulator's call log, faults and copy rules.
    pub access_key: String,
    pub emulator: String,
    /// Against real AWS (see `Tf::real_aws`): no endpoints, the caller's own credentials.
    pub real_aws: bool,
}

/// The outcome of one CLI command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
    /// stdout and stderr together, for matching messages wherever Terraform printed them.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Tf {
    /// `test` names the test; it becomes the access key id (upper-cased, alphanumerics only).
    pub fn new(test: &str) -> Tf {
        let key: String = test.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        let access_key = format!("AKID{}", key.to_ascii_uppercase());
        let dir = tempfile::Builder::new()
            .prefix(&format!("tfacc-{test}-"))
            .tempdir()
            .expect("temp dir");
        let bin_dir = provider_dir();
        let cli_config = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"amicopy/aws\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            bin_dir.display()
        );
        std::fs::write(dir.path().join("cli.tfrc"), cli_config).expect("write cli config");
        let tf = Tf {
            dir,
            access_key,
            emulator: emulator_url(),
            real_aws: false,
        };
        tf.reset_emulator_scope();
        tf
    }

    /// A working directory against real AWS, only when `AMICOPY_ACC_AWS=1` (None otherwise):
    /// the provider block names just the region, and Terraform, the provider and `ec2()` use
    /// the caller's AWS environment (profile, keys, SSO, role) as users run them.
    pub fn real_aws(test: &str) -> Option<Tf> {
        if std::env::var("AMICOPY_ACC_AWS").as_deref() != Ok("1") {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("tfacc-aws-{test}-"))
            .tempdir()
            .expect("temp dir");
        let cli_config = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"amicopy/aws\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            provider_dir().display()
        );
        std::fs::write(dir.path().join("cli.tfrc"), cli_config).expect("write cli config");
        Some(Tf {
            dir,
            access_key: String::new(),
            emulator: String::new(),
            real_aws: true,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The provider block pointing at the emulator with this test's credentials; `extra` is
    /// inserted inside it (e.g. `default_tags { ... }`).
    pub fn provider_block(&self, region: &str, extra: &str) -> String {
        if self.real_aws {
            return format!("provider \"aws\" {{\n  region = \"{region}\"\n{extra}\n}}\n");
        }
        format!(
            r#"provider "aws" {{
  region     = "{region}"
  access_key = "{key}"
  secret_key = "test-secret"
  endpoints {{
    ec2 = "{url}"
    sts = "{url}"
  }}
{extra}
}}
"#,
            key = self.access_key,
            url = self.emulator
        )
    }

    /// The configuration most tests use: this test's provider block in `region` and one
    /// `aws_ami_copy.test` (see `ami_copy`) copying `source` from the same region.
    pub fn copy_config(&self, region: &str, name: &str, source: &str, extra: &str) -> String {
        format!(
            "{}{}",
            self.provider_block(region, ""),
            ami_copy(name, source, region, extra)
        )
    }

    /// Writes main.tf: the required_providers block plus `body`.
    pub fn write(&self, body: &str) {
        let text = format!(
            "terraform {{\n  required_providers {{\n    aws = {{\n      source = \"amicopy/aws\"\n    }}\n  }}\n}}\n\n{body}"
        );
        std::fs::write(self.path().join("main.tf"), text).expect("write main.tf");
    }

    /// Runs `terraform ARGS` in the working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run terraform"))
    }

    /// Runs a command that must succeed; returns its output.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code,
            0,
            "terraform {args:?} failed (exit {}):\n{}",
            r.code,
            r.text()
        );
        r
    }

    pub fn apply(&self) -> Run {
        self.ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    pub fn destroy(&self) -> Run {
        self.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `plan -detailed-exitcode`: 0 no changes, 2 changes, 1 error.
    pub fn plan_code(&self) -> Run {
        self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])
    }

    /// Asserts that a fresh plan shows no changes.
    pub fn assert_plan_empty(&self) {
        let r = self.plan_code();
        assert_eq!(
            r.code,
            0,
            "expected an empty plan, got exit {}:\n{}",
            r.code,
            r.text()
        );
    }

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

    /// An EC2 client for checks and set-up, with this test's credentials, against the emulator.
    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        if self.real_aws {
            return real_aws_ec2(region);
        }
        let creds = aws_credential_types::Credentials::new(
            self.access_key.clone(),
            "test-secret",
            None,
            None,
            "acceptance-test",
        );
        let conf = aws_sdk_ec2::config::Builder::new()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new(region.to_string()))
            .credentials_provider(creds)
            .endpoint_url(&self.emulator)
            // The emulator speaks plain HTTP; the SDK is built without a default client.
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        aws_sdk_ec2::Client::from_conf(conf)
    }

    /// Makes a realistic source AMI in `region`: a volume, its snapshot, and an image registered
    /// from it (EBS root on /dev/xvda, hvm, x86_64, ENA). Returns the image id.
    pub fn make_source_ami(&self, region: &str, name: &str) -> String {
        self.make_source_ami_with(region, name, true)
    }

    // --- The emulator's test controls (see emulator/README.md), scoped to this test's key. ---

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

    /// The EC2 calls this test's provider made, optionally of one action, oldest first.
    pub fn calls(&self, action: Option<&str>) -> Vec<Json> {
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
}

/// An EC2 client with the caller's AWS credentials chain, for tests against real AWS.
fn real_aws_ec2(region: &str) -> aws_sdk_ec2::Client {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let conf = rt().block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new(region.to_string()))
            .http_client(https)
            .load(),
    );
    aws_sdk_ec2::Client::new(&conf)
}

// --- Helpers added for the aws_ami_copy acceptance tests. ---

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

/// One diagnostic from `terraform validate -json` / `plan -json`.
#[derive(Debug, Clone)]
pub struct Diag {
    pub severity: String,
    pub summary: String,
    pub detail: String,
    /// The line of main.tf the diagnostic points at, if any.
    pub line: Option<u64>,
    pub snippet: String,
}

impl Diag {
    fn from_json(d: &Json) -> Diag {
        Diag {
            severity: d["severity"].as_str().unwrap_or("").to_string(),
            summary: d["summary"].as_str().unwrap_or("").to_string(),
            detail: d["detail"].as_str().unwrap_or("").to_string(),
            line: d["range"]["start"]["line"].as_u64(),
            snippet: d["snippet"]["code"].as_str().unwrap_or("").to_string(),
        }
    }
    pub fn text(&self) -> String {
        format!("{}: {}", self.summary, self.detail)
    }
}

/// A Terraform command running in the background (see `Tf::spawn`).
pub struct Spawned {
    pub child: std::process::Child,
}

impl Spawned {
    /// Sends SIGINT to the whole process group (as Ctrl-C in a terminal does).
    pub fn interrupt(&self) {
        let pgid = format!("-{}", self.child.id());
        let status = Command::new("kill")
            .args(["-INT", "--", &pgid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -INT {pgid} failed");
    }

    pub fn wait(self) -> Run {
        Run::from(self.child.wait_with_output().expect("wait for terraform"))
    }
}

impl Tf {
    /// `terraform ARGS` in the working directory, with the CLI config and a clean environment:
    /// the provider must get everything from its block, not from the developer's environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(terraform_bin());
        cmd.args(args)
            .current_dir(self.path())
            .env("TF_CLI_CONFIG_FILE", self.path().join("cli.tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("NO_COLOR", "1");
        for (k, _) in std::env::vars() {
            let aws = k.starts_with("AWS_") && !self.real_aws;
            if aws || k == "TF_LOG" || k == "TF_LOG_PROVIDER" {
                cmd.env_remove(k);
            }
        }
        if !self.real_aws {
            cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        }
        cmd
    }

    /// Runs `terraform ARGS` with extra environment variables (e.g. `TF_LOG_PROVIDER`).
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("run terraform"))
    }

    /// Starts `terraform ARGS` in its own process group, output captured, without waiting.
    pub fn spawn(&self, args: &[&str]) -> Spawned {
        use std::os::unix::process::CommandExt;
        let mut cmd = self.command(args);
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0);
        Spawned {
            child: cmd.spawn().expect("spawn terraform"),
        }
    }

    /// `apply` expected to fail: returns its output (asserting a non-zero exit).
    pub fn apply_fails(&self) -> Run {
        let r = self.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        assert_ne!(
            r.code,
            0,
            "expected apply to fail, but it succeeded:\n{}",
            r.text()
        );
        r
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

    /// Diagnostics of `terraform validate -json`, and whether it passed.
    pub fn validate_json(&self) -> (bool, Vec<Diag>) {
        let r = self.run(&["validate", "-json", "-no-color"]);
        let v: Json = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("validate -json output ({e}):\n{}", r.text()));
        let diags = v["diagnostics"]
            .as_array()
            .map(|ds| ds.iter().map(Diag::from_json).collect())
            .unwrap_or_default();
        (v["valid"].as_bool().unwrap_or(false) && r.code == 0, diags)
    }

    /// Diagnostics of `terraform plan -json` (machine-readable UI), and its exit code.
    pub fn plan_json(&self) -> (i32, Vec<Diag>) {
        let r = self.run(&["plan", "-json", "-input=false", "-no-color"]);
        let diags = r
            .stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Json>(l).ok())
            .filter(|m| m["type"] == "diagnostic")
            .map(|m| Diag::from_json(&m["diagnostic"]))
            .collect();
        (r.code, diags)
    }

    /// The EC2 calls this test made through the provider (STS and other services left out).
    pub fn ec2_calls(&self) -> Vec<Json> {
        self.calls(None).into_iter().filter(is_ec2_call).collect()
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

    /// DescribeImages by id: the image, or None when EC2 says it does not exist (NotFound, empty,
    /// or `deregistered`).
    pub fn find_image(&self, region: &str, image_id: &str) -> Option<aws_sdk_ec2::types::Image> {
        let ec2 = self.ec2(region);
        rt().block_on(async {
            match ec2.describe_images().image_ids(image_id).send().await {
                Ok(out) => out
                    .images()
                    .iter()
                    .find(|i| {
                        i.image_id() == Some(image_id)
                            && i.state() != Some(&aws_sdk_ec2::types::ImageState::Deregistered)
                    })
                    .cloned(),
                Err(e) => {
                    let code = aws_sdk_ec2::error::ProvideErrorMetadata::code(&e).unwrap_or("");
                    assert_eq!(
                        code, "InvalidAMIID.NotFound",
                        "DescribeImages {image_id}: {e:?}"
                    );
                    None
                }
            }
        })
    }

    /// Images (not deregistered) whose name is `name`, in `region`.
    pub fn images_named(&self, region: &str, name: &str) -> Vec<aws_sdk_ec2::types::Image> {
        let ec2 = self.ec2(region);
        rt().block_on(async {
            let out = ec2
                .describe_images()
                .owners("self")
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("name")
                        .values(name)
                        .build(),
                )
                .send()
                .await
                .expect("DescribeImages by name");
            out.images()
                .iter()
                .filter(|i| i.state() != Some(&aws_sdk_ec2::types::ImageState::Deregistered))
                .cloned()
                .collect()
        })
    }

    /// DescribeSnapshots by id: the snapshot, or None when it does not exist.
    pub fn find_snapshot(
        &self,
        region: &str,
        snapshot_id: &str,
    ) -> Option<aws_sdk_ec2::types::Snapshot> {
        let ec2 = self.ec2(region);
        rt().block_on(async {
            match ec2
                .describe_snapshots()
                .snapshot_ids(snapshot_id)
                .send()
                .await
            {
                Ok(out) => out
                    .snapshots()
                    .iter()
                    .find(|s| s.snapshot_id() == Some(snapshot_id))
                    .cloned(),
                Err(e) => {
                    let code = aws_sdk_ec2::error::ProvideErrorMetadata::code(&e).unwrap_or("");
                    assert_eq!(
                        code, "InvalidSnapshot.NotFound",
                        "DescribeSnapshots {snapshot_id}: {e:?}"
                    );
                    None
                }
            }
        })
    }

    /// Tags of an image as EC2 reports them.
    pub fn image_tags(
        &self,
        region: &str,
        image_id: &str,
    ) -> std::collections::BTreeMap<String, String> {
        let img = self
            .find_image(region, image_id)
            .unwrap_or_else(|| panic!("{image_id} not found"));
        img.tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// Tags of a snapshot as EC2 reports them.
    pub fn snapshot_tags(
        &self,
        region: &str,
        snapshot_id: &str,
    ) -> std::collections::BTreeMap<String, String> {
        let s = self
            .find_snapshot(region, snapshot_id)
            .unwrap_or_else(|| panic!("{snapshot_id} not found"));
        s.tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// Deregisters an image behind Terraform's back.
    pub fn deregister_out_of_band(&self, region: &str, image_id: &str) {
        let ec2 = self.ec2(region);
        rt().block_on(async {
            ec2.deregister_image()
                .image_id(image_id)
                .send()
                .await
                .expect("DeregisterImage");
        });
    }

    /// Copies an image directly with the SDK (not through Terraform), e.g. to import it.
    pub fn copy_image_directly(
        &self,
        region: &str,
        source_id: &str,
        source_region: &str,
        name: &str,
        description: Option<&str>,
    ) -> String {
        let ec2 = self.ec2(region);
        rt().block_on(async {
            let out = ec2
                .copy_image()
                .name(name)
                .source_image_id(source_id)
                .source_region(source_region)
                .set_description(description.map(str::to_string))
                .send()
                .await
                .expect("CopyImage");
            out.image_id().expect("image id").to_string()
        })
    }

    /// Polls until the image is `available` (or panics after `secs`).
    pub fn wait_available(&self, region: &str, image_id: &str, secs: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let state = self
                .find_image(region, image_id)
                .and_then(|i| i.state().cloned());
            if state == Some(aws_sdk_ec2::types::ImageState::Available) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{image_id} not available after {secs}s: {state:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// Creates a symmetric KMS key through the emulator's KMS (moto); returns its ARN.
    pub fn create_kms_key(&self, region: &str) -> String {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/20260101/{region}/kms/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=0000",
            self.access_key
        );
        let mut resp = ureq::post(&format!("{}/", self.emulator))
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", "TrentService.CreateKey")
            .header("X-Amz-Date", "20260101T000000Z")
            .header("Authorization", &auth)
            .send("{\"Description\":\"amicopy acceptance test\"}")
            .unwrap_or_else(|e| panic!("KMS CreateKey: {e}"));
        let v: Json = resp.body_mut().read_json().expect("CreateKey json");
        v["KeyMetadata"]["Arn"]
            .as_str()
            .expect("key arn")
            .to_string()
    }
}

impl Tf {
    /// `make_source_ami` with a choice of ENA support.
    pub fn make_source_ami_with(&self, region: &str, name: &str, ena: bool) -> String {
        use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice};
        let ec2 = self.ec2(region);
        rt().block_on(async {
            let az = format!("{region}a");
            let vol = ec2
                .create_volume()
                .availability_zone(az)
                .size(8)
                .send()
                .await
                .expect("CreateVolume");
            let snap = ec2
                .create_snapshot()
                .volume_id(vol.volume_id().unwrap_or_default())
                .send()
                .await
                .expect("CreateSnapshot");
            let img = ec2
                .register_image()
                .name(name)
                .architecture(aws_sdk_ec2::types::ArchitectureValues::X8664)
                .virtualization_type("hvm")
                .root_device_name("/dev/xvda")
                .ena_support(ena)
                .block_device_mappings(
                    BlockDeviceMapping::builder()
                        .device_name("/dev/xvda")
                        .ebs(
                            EbsBlockDevice::builder()
                                .snapshot_id(snap.snapshot_id().unwrap_or_default())
                                .volume_size(8)
                                .volume_type(aws_sdk_ec2::types::VolumeType::Gp3)
                                .delete_on_termination(true)
                                .build(),
                        )
                        .build(),
                )
                .send()
                .await
                .expect("RegisterImage");
            img.image_id().expect("image id").to_string()
        })
    }
}

/// The `aws_ami_copy "test"` block the tests use; `extra` goes inside it.
pub fn ami_copy(name: &str, source_id: &str, source_region: &str, extra: &str) -> String {
    format!(
        r#"
resource "aws_ami_copy" "test" {{
  name              = "{name}"
  source_ami_id     = "{source_id}"
  source_ami_region = "{source_region}"
{extra}
}}
"#
    )
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

impl Run {
    /// stdout and stderr with every run of whitespace made one space: Terraform wraps diagnostic
    /// text at 78 columns, so messages are matched against this.
    pub fn flat(&self) -> String {
        self.text().split_whitespace().collect::<Vec<_>>().join(" ")
    }
}
