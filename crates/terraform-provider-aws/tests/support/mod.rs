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
        let bin_dir = provider_binary().parent().expect("binary dir").to_path_buf();
        let cli_config = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"amicopy/aws\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            bin_dir.display()
        );
        std::fs::write(dir.path().join("cli.tfrc"), cli_config).expect("write cli config");
        let tf = Tf { dir, access_key, emulator: emulator_url() };
        tf.reset_emulator_scope();
        tf
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The provider block pointing at the emulator with this test's credentials; `extra` is
    /// inserted inside it (e.g. `default_tags { ... }`).
    pub fn provider_block(&self, region: &str, extra: &str) -> String {
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

    /// Writes main.tf: the required_providers block plus `body`.
    pub fn write(&self, body: &str) {
        let text = format!(
            "terraform {{\n  required_providers {{\n    aws = {{\n      source = \"amicopy/aws\"\n    }}\n  }}\n}}\n\n{body}"
        );
        std::fs::write(self.path().join("main.tf"), text).expect("write main.tf");
    }

    /// Runs `terraform ARGS` in the working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(terraform_bin());
        cmd.args(args)
            .current_dir(self.path())
            .env("TF_CLI_CONFIG_FILE", self.path().join("cli.tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("NO_COLOR", "1");
        // The provider must get everything from its block, not from the developer's environment.
        for (k, _) in std::env::vars() {
            if k.starts_with("AWS_") || k == "TF_LOG" || k == "TF_LOG_PROVIDER" {
                cmd.env_remove(k);
            }
        }
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        Run::from(cmd.output().expect("run terraform"))
    }

    /// Runs a command that must succeed; returns its output.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
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
        assert_eq!(r.code, 0, "expected an empty plan, got exit {}:\n{}", r.code, r.text());
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
            .build();
        aws_sdk_ec2::Client::from_conf(conf)
    }

    /// Makes a realistic source AMI in `region`: a volume, its snapshot, and an image registered
    /// from it (EBS root on /dev/xvda, hvm, x86_64, ENA). Returns the image id.
    pub fn make_source_ami(&self, region: &str, name: &str) -> String {
        use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice};
        let ec2 = self.ec2(region);
        rt().block_on(async {
            let az = format!("{region}a");
            let vol = ec2.create_volume().availability_zone(az).size(8).send().await.expect("CreateVolume");
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
                .ena_support(true)
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
        let mut url = format!("{}?access_key_id={}", self.control_url("calls"), self.access_key);
        if let Some(a) = action {
            url.push_str(&format!("&action={a}"));
        }
        let mut resp = ureq::get(&url).call().unwrap_or_else(|e| panic!("emulator calls: {e}"));
        resp.body_mut().read_json::<Vec<Json>>().expect("calls json")
    }

    /// Forgets this test's calls, faults and copy rules.
    pub fn reset_emulator_scope(&self) {
        let url = format!("{}?access_key_id={}", self.control_url("calls"), self.access_key);
        let _ = ureq::delete(&url).call();
        let url = format!("{}?access_key_id={}", self.control_url("faults"), self.access_key);
        let _ = ureq::delete(&url).call();
    }
}
