//! LocalStack's Terraform wrapper `tflocal` (PyPI `terraform-local`, installed by `make tools`)
//! as its users run it, in the stock lane: the registry example with a bare `provider "aws" {}`
//! and `AWS_ENDPOINT_URL` at stock moto. tflocal writes an override file giving that block
//! credentials, a region and an `endpoints` block with a key for every service LocalStack knows,
//! among them `iotanalytics` and `iotevents`, which hashicorp/aws 5.x accepts and 6.x dropped:
//! it writes them for any provider it does not know to be 6.x or later. The provider accepts the
//! union of the 5.x and 6.x keys (tests/fixtures), so init, apply, a clean plan and destroy work.

use crate::support::{self, ami_id, map, state_map, Lane, Tf};
use std::path::PathBuf;
use std::process::Command;

const REGION: &str = "us-east-1";

fn tflocal_bin() -> PathBuf {
    support::repo_root().join(".tools/venv/bin/tflocal")
}

/// `tflocal ARGS` in the working directory: the environment a LocalStack user has (no AWS
/// credentials of their own, `AWS_ENDPOINT_URL` at the emulator), plus the test's CLI config
/// (dev_overrides to the provider under test) and the Terraform CLI as `TF_CMD`.
fn tflocal(tf: &Tf, args: &[&str], extra_env: &[(&str, &str)]) -> support::Run {
    let bin = tflocal_bin();
    assert!(
        bin.is_file(),
        "{} missing: run `make tools` (requirements-dev.txt installs terraform-local)",
        bin.display()
    );
    let mut cmd = Command::new(&bin);
    cmd.args(args).current_dir(tf.path());
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k == "TF_LOG" || k == "TF_LOG_PROVIDER" {
            cmd.env_remove(k);
        }
    }
    cmd.env("TF_CMD", support::terraform_bin())
        .env("TF_CLI_CONFIG_FILE", tf.path().join("cli.tfrc"))
        .env("AWS_ENDPOINT_URL", &tf.emulator)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("NO_COLOR", "1");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn tflocal_ok(tf: &Tf, args: &[&str]) -> support::Run {
    let r = tflocal(tf, args, &[]);
    assert_eq!(
        r.code,
        0,
        "tflocal {args:?} failed (exit {}):\n{}",
        r.code,
        r.text()
    );
    r
}

/// examples/resources/aws_ami_copy/resource.tf with the emulator's source image in it.
fn registry_example(source: &str) -> String {
    let path = support::repo_root().join("examples/resources/aws_ami_copy/resource.tf");
    let example = std::fs::read_to_string(&path).expect("read the registry example");
    assert!(
        example.contains("ami-0123456789abcdef0"),
        "the example's source id moved:\n{example}"
    );
    example.replace("ami-0123456789abcdef0", source)
}

/// In a `stock` module, so that the stock lane's count in `make test`'s summary includes it.
mod stock {
    #[test]
    fn tflocal_applies_plans_clean_and_destroys_the_registry_example() {
        super::tflocal_applies_plans_clean_and_destroys_the_registry_example();
    }
}

fn tflocal_applies_plans_clean_and_destroys_the_registry_example() {
    let tf = Tf::in_lane(Lane::Stock, "tflocal");
    // The example copies from us-west-1.
    let source = tf.make_source_ami("us-west-1", "tfacc-tflocal-source");
    tf.write(&format!(
        "provider \"aws\" {{}}\n\n{}",
        registry_example(&source)
    ));

    // What tflocal adds, seen with its dry run (it writes the override file and stops): the
    // 5.x-only endpoint keys are there, so this test runs the case the 5.x union is for.
    let override_file = tf.path().join("localstack_providers_override.tf");
    let r = tflocal(&tf, &["plan"], &[("DRY_RUN", "1")]);
    assert_eq!(r.code, 0, "tflocal dry run failed:\n{}", r.text());
    let written = std::fs::read_to_string(&override_file)
        .unwrap_or_else(|e| panic!("tflocal wrote no override file ({e}):\n{}", r.text()));
    for key in ["iotanalytics", "iotevents", "ec2", "sts"] {
        assert!(
            written
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{key} ="))),
            "the override has no endpoints.{key}:\n{written}"
        );
    }
    std::fs::remove_file(&override_file).expect("remove the dry run's override file");

    tflocal_ok(&tf, &["init", "-input=false", "-no-color"]);
    let apply = tflocal_ok(
        &tf,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert!(
        apply.stdout.contains("Apply complete! Resources: 1 added"),
        "{}",
        apply.text()
    );
    // tflocal removes its override file after each command.
    assert!(!override_file.exists(), "tflocal left its override file");

    let r = tf.resource("aws_ami_copy.example");
    let id = ami_id(&r);
    assert_eq!(state_map(&r, "tags"), map(&[("Name", "HelloWorld")]));
    assert!(
        tf.find_image(REGION, &id).is_some(),
        "{id} not in the emulator"
    );

    let plan = tflocal(
        &tf,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        &[],
    );
    assert_eq!(plan.code, 0, "expected a clean plan:\n{}", plan.text());

    let destroy = tflocal_ok(
        &tf,
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
    );
    assert!(
        destroy
            .stdout
            .contains("Destroy complete! Resources: 1 destroyed"),
        "{}",
        destroy.text()
    );
    assert!(
        tf.find_image(REGION, &id).is_none(),
        "{id} left after destroy"
    );
}
