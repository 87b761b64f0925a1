//! One Terraform working directory per test and the CLI commands run in it.

use super::emulator::Lane;
use super::paths::{provider_dir, terraform_bin};
use serde_json::Value as Json;
use std::path::Path;
use std::process::{Command, Output};

/// A Terraform working directory for one test.
pub struct Tf {
    dir: tempfile::TempDir,
    /// Unique per test: scopes the emulator's call log, faults and copy rules.
    pub access_key: String,
    pub emulator: String,
    /// The emulator this test runs against.
    pub lane: Lane,
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

impl Run {
    /// stdout and stderr with every run of whitespace made one space: Terraform wraps diagnostic
    /// text at 78 columns, so messages are matched against this.
    pub fn flat(&self) -> String {
        self.text().split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

impl Tf {
    /// `test` names the test; it becomes the access key id (upper-cased, alphanumerics only).
    pub fn new(test: &str) -> Tf {
        Tf::in_lane(Lane::Fidelity, test)
    }

    /// `new` against the emulator of `lane`.
    pub fn in_lane(lane: Lane, test: &str) -> Tf {
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
            emulator: lane.url(),
            lane,
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
            lane: Lane::Fidelity,
            real_aws: true,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
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

    /// `apply -refresh-only`: the state takes what EC2 reports now, nothing else changes.
    pub fn apply_refresh_only(&self) -> Run {
        self.ok(&[
            "apply",
            "-refresh-only",
            "-auto-approve",
            "-input=false",
            "-no-color",
        ])
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
        self.spawn_env(args, &[])
    }

    /// [`Tf::spawn`] with extra environment variables.
    pub fn spawn_env(&self, args: &[&str], env: &[(&str, &str)]) -> Spawned {
        use std::os::unix::process::CommandExt;
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0);
        Spawned {
            child: cmd.spawn().expect("spawn terraform"),
        }
    }

    /// `apply`, interrupted (Ctrl-C) `after` the emulator has received its first CopyImage.
    /// Returns its output and how long the CLI took to exit after the interrupt.
    pub fn apply_interrupted_after_copy_image(
        &self,
        after: std::time::Duration,
    ) -> (Run, std::time::Duration) {
        use std::time::{Duration, Instant};
        let apply = self.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.calls(Some("CopyImage")).is_empty() {
            assert!(Instant::now() < deadline, "CopyImage never called");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(after);
        let interrupted = Instant::now();
        apply.interrupt();
        let out = apply.wait();
        (out, interrupted.elapsed())
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
}
