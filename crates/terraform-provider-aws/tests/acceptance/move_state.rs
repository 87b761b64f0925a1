//! Moving one copy from hashicorp/aws to this provider with a `moved {}` block (Terraform 1.8
//! and later), beside hashicorp/aws: `aws` is hashicorp/aws, `awscopy` is amicopy/aws (both
//! sources are this binary here, through `dev_overrides`). The state is shaped exactly as the
//! Go provider writes it; the plan shows the move and nothing else, and EC2 is not touched.

use crate::support;

use serde_json::Value as Json;
use support::go_state::{go_copy_in_state, GoCopy};
use support::{provider_dir, Tf};

const REGION: &str = "us-east-1";

/// A CLI configuration sending both provider sources to this binary.
fn both_sources_to_this_binary(tf: &Tf) {
    let dir = provider_dir();
    let cli_config = format!(
        "provider_installation {{\n  dev_overrides {{\n    \"amicopy/aws\"   = \"{d}\"\n    \"hashicorp/aws\" = \"{d}\"\n  }}\n  direct {{}}\n}}\n",
        d = dir.display()
    );
    std::fs::write(tf.path().join("cli.tfrc"), cli_config).expect("write cli config");
}

/// main.tf: both providers against the emulator, and the copy under `awscopy`.
fn side_by_side_config(
    tf: &Tf,
    name: &str,
    source: &str,
    source_region: &str,
    moved: bool,
) -> String {
    let aws = tf.provider_block(REGION, "");
    let awscopy = aws.replacen("provider \"aws\"", "provider \"awscopy\"", 1);
    let moved = if moved {
        "moved {\n  from = aws_ami_copy.legacy\n  to   = aws_ami_copy.test\n}\n"
    } else {
        ""
    };
    format!(
        r#"terraform {{
  required_providers {{
    aws     = {{ source = "hashicorp/aws" }}
    awscopy = {{ source = "amicopy/aws" }}
  }}
}}

{aws}
{awscopy}
{moved}
resource "aws_ami_copy" "test" {{
  provider          = awscopy
  name              = "{name}"
  source_ami_id     = "{source}"
  source_ami_region = "{source_region}"
  description       = "from hashicorp/aws"
}}
"#
    )
}

/// `plan -out` then `show -json` of that plan.
fn saved_plan(tf: &Tf) -> Json {
    tf.ok(&["plan", "-input=false", "-no-color", "-out=move.tfplan"]);
    let shown = tf.ok(&["show", "-json", "-no-color", "move.tfplan"]);
    serde_json::from_str(&shown.stdout).expect("plan json")
}

#[test]
fn moved_block_takes_a_go_provider_copy_over_without_changes() {
    let tf = Tf::new("ami_copy_move");
    both_sources_to_this_binary(&tf);
    let name = "tfacc-move";
    let GoCopy { source, id } = go_copy_in_state(
        &tf,
        "legacy",
        ("us-west-1", REGION),
        name,
        "from hashicorp/aws",
        &[],
    );
    std::fs::write(
        tf.path().join("main.tf"),
        side_by_side_config(&tf, name, &source, "us-west-1", true),
    )
    .expect("write main.tf");
    tf.clear_calls();

    let plan = saved_plan(&tf);
    let changes = plan["resource_changes"]
        .as_array()
        .expect("resource_changes");
    assert_eq!(changes.len(), 1, "{changes:?}");
    let change = &changes[0];
    assert_eq!(change["address"], "aws_ami_copy.test");
    assert_eq!(change["previous_address"], "aws_ami_copy.legacy");
    assert_eq!(change["provider_name"], "registry.terraform.io/amicopy/aws");
    assert_eq!(
        change["change"]["actions"],
        serde_json::json!(["no-op"]),
        "the move must change nothing: {change}"
    );
    assert_eq!(change["change"]["after"]["id"], id.as_str());

    let out = tf.apply();
    assert!(
        out.stdout.contains("0 added, 0 changed, 0 destroyed"),
        "{}",
        out.text()
    );
    let entry = tf.resource_entry("aws_ami_copy.test");
    assert_eq!(entry["provider_name"], "registry.terraform.io/amicopy/aws");
    assert_eq!(entry["values"]["id"], id.as_str());
    assert_eq!(entry["values"]["description"], "from hashicorp/aws");
    assert!(tf.resource_entry("aws_ami_copy.legacy").is_null());
    assert!(
        tf.calls(Some("CopyImage")).is_empty() && tf.calls(Some("DeregisterImage")).is_empty(),
        "a move must not copy or deregister"
    );

    // Done: without the moved block, nothing left to plan; destroy cleans up through awscopy.
    std::fs::write(
        tf.path().join("main.tf"),
        side_by_side_config(&tf, name, &source, "us-west-1", false),
    )
    .expect("write main.tf");
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.find_image(REGION, &id).is_none());
}
