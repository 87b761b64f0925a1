//! The pattern docs/guides/hashicorp-aws-modules.md recommends: the root gives amicopy/aws its
//! own local name (`awscopy`) and hands it to a module that requires `amicopy/aws` under the
//! local name `aws`, whose `aws_ami_copy` blocks read as they did for hashicorp/aws. Init (the
//! module is installed), apply, a clean plan and destroy, against the emulator.

use crate::support::Tf;

const REGION: &str = "us-east-1";
const SOURCE_REGION: &str = "us-west-1";

/// The guide's module: copies of one source image, one per region, and their ids.
const MODULE: &str = r#"terraform {
  required_providers {
    aws = { source = "amicopy/aws" }
  }
}

variable "source_ami_id" { type = string }
variable "regions" { type = set(string) }

resource "aws_ami_copy" "this" {
  for_each          = var.regions
  region            = each.key
  name              = "tfacc-modules-${each.key}"
  source_ami_id     = var.source_ami_id
  source_ami_region = "us-west-1"
}

output "image_ids" {
  value = { for region, copy in aws_ami_copy.this : region => copy.id }
}
"#;

/// The root module: `required` (the required_providers entries), the test's provider block under
/// the local name `awscopy`, and the module call passing it as `passed` (`aws` or `awscopy`).
fn root_module(tf: &Tf, required: &str, passed: &str, source: &str) -> String {
    let provider =
        tf.provider_block(REGION, "")
            .replacen("provider \"aws\"", "provider \"awscopy\"", 1);
    format!(
        r#"terraform {{
  required_providers {{
{required}
  }}
}}

{provider}
module "golden_copies" {{
  source    = "./modules/ami-copies"
  providers = {{ {passed} = awscopy }}

  source_ami_id = "{source}"
  regions       = ["{REGION}", "{SOURCE_REGION}"]
}}

output "image_ids" {{
  value = module.golden_copies.image_ids
}}
"#
    )
}

#[test]
fn a_module_requiring_amicopy_aws_gets_it_under_another_local_name() {
    let tf = Tf::new("modules_pattern");
    let source = tf.make_source_ami(SOURCE_REGION, "tfacc-modules-source");
    let module_dir = tf.path().join("modules/ami-copies");
    std::fs::create_dir_all(&module_dir).expect("module dir");
    std::fs::write(module_dir.join("main.tf"), MODULE).expect("module");
    std::fs::write(
        tf.path().join("main.tf"),
        root_module(
            &tf,
            "    awscopy = { source = \"amicopy/aws\" }",
            "aws",
            &source,
        ),
    )
    .expect("root module");

    tf.ok(&["init", "-input=false", "-no-color"]);
    tf.apply();
    let r = tf.ok(&["output", "-json", "image_ids"]);
    let ids: serde_json::Value = serde_json::from_str(&r.stdout).expect("output JSON");
    for region in [REGION, SOURCE_REGION] {
        let id = ids[region]
            .as_str()
            .unwrap_or_else(|| panic!("no copy for {region}: {ids}"));
        assert!(tf.find_image(region, id).is_some(), "{id} not in {region}");
    }
    let state = tf.state();
    let addresses: Vec<&str> = state["values"]["root_module"]["child_modules"][0]["resources"]
        .as_array()
        .map(|rs| rs.iter().filter_map(|r| r["address"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        addresses,
        [
            format!("module.golden_copies.aws_ami_copy.this[\"{REGION}\"]"),
            format!("module.golden_copies.aws_ami_copy.this[\"{SOURCE_REGION}\"]"),
        ],
        "{state}"
    );
    tf.assert_plan_empty();
    tf.destroy();
    for region in [REGION, SOURCE_REGION] {
        let id = ids[region].as_str().unwrap_or_default();
        assert!(tf.find_image(region, id).is_none(), "{id} left in {region}");
    }
}

/// The layout docs/guides/hashicorp-aws-modules.md gives for a root module that keeps
/// `hashicorp/aws` as `aws`: the module requires `amicopy/aws` under the root's local name for
/// it, `awscopy`, and its copies say `provider = awscopy` (Terraform refuses
/// `providers = { aws = awscopy }` there). Both sources resolve to this binary.
#[test]
fn beside_hashicorp_aws_the_module_uses_the_roots_local_name() {
    let tf = Tf::new("modules_beside_hashicorp");
    std::fs::write(
        tf.path().join("cli.tfrc"),
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"amicopy/aws\" = \"{d}\"\n    \"hashicorp/aws\" = \"{d}\"\n  }}\n  direct {{}}\n}}\n",
            d = crate::support::provider_dir().display()
        ),
    )
    .expect("write cli config");
    let source = tf.make_source_ami(SOURCE_REGION, "tfacc-modules-beside-source");
    let module_dir = tf.path().join("modules/ami-copies");
    std::fs::create_dir_all(&module_dir).expect("module dir");
    let module = MODULE
        .replace(
            "    aws = { source = \"amicopy/aws\" }",
            "    awscopy = { source = \"amicopy/aws\" }",
        )
        .replace(
            "  for_each          = var.regions",
            "  provider          = awscopy\n  for_each          = var.regions",
        )
        .replace("tfacc-modules-", "tfacc-modules-beside-");
    assert!(module.contains("provider          = awscopy"), "{module}");
    std::fs::write(module_dir.join("main.tf"), module).expect("module");
    std::fs::write(
        tf.path().join("main.tf"),
        root_module(
            &tf,
            "    aws     = { source = \"hashicorp/aws\" }\n    awscopy = { source = \"amicopy/aws\" }",
            "awscopy",
            &source,
        ),
    )
    .expect("root module");
    tf.ok(&["init", "-input=false", "-no-color"]);
    tf.apply();
    let state = tf.state();
    let copies = state["values"]["root_module"]["child_modules"][0]["resources"]
        .as_array()
        .map(|rs| rs.len())
        .unwrap_or_default();
    assert_eq!(copies, 2, "{state}");
    tf.assert_plan_empty();
    tf.destroy();

    // The layout the guide warns against: `aws` inside the module, beside hashicorp/aws.
    let module = std::fs::read_to_string(module_dir.join("main.tf")).expect("module");
    std::fs::write(
        module_dir.join("main.tf"),
        module
            .replace(
                "    awscopy = { source = \"amicopy/aws\" }",
                "    aws = { source = \"amicopy/aws\" }",
            )
            .replace("  provider          = awscopy\n", ""),
    )
    .expect("module");
    let root = std::fs::read_to_string(tf.path().join("main.tf")).expect("root");
    std::fs::write(
        tf.path().join("main.tf"),
        root.replace(
            "providers = { awscopy = awscopy }",
            "providers = { aws = awscopy }",
        ),
    )
    .expect("root");
    let r = tf.run(&["init", "-input=false", "-no-color"]);
    assert_ne!(
        r.code,
        0,
        "Terraform now accepts it: update the guide\n{}",
        r.text()
    );
    assert!(r.flat().contains("Provider type mismatch"), "{}", r.text());
}
