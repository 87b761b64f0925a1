//! `data "aws_ami"` through the real Terraform CLI against the emulator: filters, owners,
//! most_recent, no match and several matches with hashicorp/aws's wording, name_regex, a
//! deprecated image, the region argument, the unsafe-query guard, static checks, and the seed's
//! example of copying the image the data source found.
//!
//! Every test account is moto's one account, so image names carry the test's name and this
//! process id, and each query filters on them.

use crate::support;

use serde_json::Value as Json;
use support::{call_param, call_param_list, map, rt, state_map, Lane, Tf};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

/// A name prefix no other test (or earlier run on the same emulator) uses.
fn prefix(test: &str) -> String {
    format!("tfacc-dami-{test}-{}", std::process::id())
}

/// The `data "aws_ami" "this"` block with `body` inside, after this test's provider block.
fn lookup(tf: &Tf, body: &str) -> String {
    format!(
        "{}\ndata \"aws_ami\" \"this\" {{\n{body}\n}}\n",
        tf.provider_block(REGION, "")
    )
}

fn name_filter(pattern: &str) -> String {
    format!("  filter {{\n    name   = \"name\"\n    values = [\"{pattern}\"]\n  }}\n")
}

fn tag_image(tf: &Tf, region: &str, id: &str, key: &str, value: &str) {
    let ec2 = tf.ec2(region);
    rt().block_on(async {
        ec2.create_tags()
            .resources(id)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build(),
            )
            .send()
            .await
            .expect("CreateTags")
    });
}

/// The DescribeImages calls the provider made for this test.
fn describe_calls(tf: &Tf) -> Vec<Json> {
    tf.calls(Some("DescribeImages"))
}

#[test]
fn filters_and_owners_find_one_image_with_every_attribute() {
    let tf = Tf::new("dami_filters");
    let p = prefix("filters");
    let wanted = tf.make_source_ami(REGION, &format!("{p}-a"));
    let other = tf.make_source_ami(REGION, &format!("{p}-b"));
    tag_image(&tf, REGION, &wanted, "Team", "alpha");
    tag_image(&tf, REGION, &other, "Team", "beta");
    tf.write(&lookup(
        &tf,
        &format!(
            "  owners = [\"self\"]\n{}  filter {{\n    name   = \"tag:Team\"\n    values = [\"alpha\"]\n  }}\n  filter {{\n    name   = \"state\"\n    values = [\"available\"]\n  }}\n",
            name_filter(&format!("{p}-*"))
        ),
    ));
    tf.apply();

    let d = tf.resource("data.aws_ami.this");
    assert_eq!(d["id"], wanted.as_str());
    assert_eq!(d["image_id"], wanted.as_str());
    assert_eq!(d["name"], format!("{p}-a"));
    assert_eq!(d["arn"], format!("arn:aws:ec2:{REGION}::image/{wanted}"));
    assert_eq!(d["owner_id"], ACCOUNT);
    assert_eq!(d["region"], REGION);
    assert_eq!(d["state"], "available");
    assert_eq!(d["architecture"], "x86_64");
    assert_eq!(d["virtualization_type"], "hvm");
    assert_eq!(d["root_device_name"], "/dev/xvda");
    assert_eq!(d["root_device_type"], "ebs");
    assert_eq!(d["image_type"], "machine");
    assert_eq!(d["ena_support"], true);
    assert_eq!(d["public"], false);
    assert_eq!(d["most_recent"], false);
    assert_eq!(d["include_deprecated"], false);
    assert!(
        d["creation_date"]
            .as_str()
            .is_some_and(|s| s.starts_with("20")),
        "creation_date {:?}",
        d["creation_date"]
    );
    // Unset strings are "" (never null), as hashicorp/aws writes them.
    for unset in [
        "kernel_id",
        "ramdisk_id",
        "platform",
        "deprecation_time",
        "uefi_data",
    ] {
        assert_eq!(d[unset], "", "{unset} should be \"\"");
    }
    assert_eq!(state_map(&d, "tags"), map(&[("Team", "alpha")]));
    assert_eq!(
        state_map(&d, "state_reason"),
        map(&[("code", "UNSET"), ("message", "UNSET")])
    );
    let mappings = d["block_device_mappings"].as_array().expect("a set");
    assert_eq!(mappings.len(), 1, "{mappings:?}");
    let ebs = &mappings[0]["ebs"];
    assert_eq!(mappings[0]["device_name"], "/dev/xvda");
    assert_eq!(ebs["volume_size"], "8");
    assert_eq!(ebs["volume_type"], "gp3");
    assert_eq!(ebs["delete_on_termination"], "true");
    assert_eq!(d["root_snapshot_id"], ebs["snapshot_id"]);
    assert!(d["root_snapshot_id"]
        .as_str()
        .is_some_and(|s| s.starts_with("snap-")));
    assert_eq!(d["product_codes"], Json::Array(vec![]));

    // What EC2 was asked: owners and filters as configured, IncludeDeprecated always sent.
    let calls = describe_calls(&tf);
    let call = calls.last().expect("a DescribeImages call");
    assert_eq!(call_param_list(call, "Owner.", ""), ["self"]);
    let mut filters = call_param_list(call, "Filter.", ".Name");
    filters.sort();
    assert_eq!(filters, ["name", "state", "tag:Team"]);
    assert_eq!(
        call_param(call, "IncludeDeprecated").as_deref(),
        Some("false")
    );

    // A second plan reads it again and has nothing to change.
    tf.assert_plan_empty();
}

#[test]
fn most_recent_picks_the_newest_and_several_without_it_fail() {
    let tf = Tf::new("dami_recent");
    let p = prefix("recent");
    let _older = tf.make_source_ami(REGION, &format!("{p}-1"));
    // EC2's CreationDate has one-second resolution: the newer image must be a second later.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let newer = tf.make_source_ami(REGION, &format!("{p}-2"));
    let query = format!("  owners = [\"self\"]\n{}", name_filter(&format!("{p}-*")));

    tf.write(&lookup(&tf, &query));
    let r = tf.run(&["plan", "-input=false", "-no-color"]);
    assert_ne!(r.code, 0, "two matches without most_recent must fail");
    assert!(
        r.flat().contains("More than one AMI matches the query")
            && r.flat().contains("set most_recent = true"),
        "{}",
        r.text()
    );

    tf.write(&lookup(&tf, &format!("{query}  most_recent = true\n")));
    tf.apply();
    let d = tf.resource("data.aws_ami.this");
    assert_eq!(d["id"], newer.as_str());
    assert_eq!(d["most_recent"], true);
}

#[test]
fn no_match_is_an_error_that_says_what_to_check() {
    let tf = Tf::new("dami_nomatch");
    let p = prefix("nomatch");
    tf.write(&lookup(
        &tf,
        &format!("  owners = [\"self\"]\n{}", name_filter(&format!("{p}-*"))),
    ));
    let r = tf.run(&["plan", "-input=false", "-no-color"]);
    assert_ne!(r.code, 0);
    assert!(
        r.flat().contains("No AMI matches the query")
            && r.flat().contains("Check them and the region"),
        "{}",
        r.text()
    );
}

#[test]
fn name_regex_is_applied_to_what_ec2_returned() {
    let tf = Tf::new("dami_regex");
    let p = prefix("regex");
    let numbered = tf.make_source_ami(REGION, &format!("{p}-007"));
    tf.make_source_ami(REGION, &format!("{p}-latest"));
    tf.write(&lookup(
        &tf,
        &format!(
            "  owners     = [\"self\"]\n  name_regex = \"^{p}-\\\\d{{3}}$\"\n{}",
            name_filter(&format!("{p}-*"))
        ),
    ));
    tf.apply();
    let d = tf.resource("data.aws_ami.this");
    assert_eq!(d["id"], numbered.as_str());
    assert_eq!(d["name_regex"], format!("^{p}-\\d{{3}}$"));
    // EC2 has no such filter: the query sent is the name filter alone.
    let calls = describe_calls(&tf);
    let call = calls.last().expect("a DescribeImages call");
    assert_eq!(call_param_list(call, "Filter.", ".Name"), ["name"]);
}

#[test]
fn deprecated_image_is_found_with_include_deprecated() {
    let tf = Tf::new("dami_deprecated");
    let p = prefix("deprecated");
    let id = tf.make_source_ami(REGION, &format!("{p}-old"));
    let ec2 = tf.ec2(REGION);
    rt().block_on(async {
        ec2.enable_image_deprecation()
            .image_id(&id)
            .deprecate_at(aws_smithy_types::DateTime::from_secs(1_893_456_000)) // 2030-01-01T00:00:00Z
            .send()
            .await
            .expect("EnableImageDeprecation")
    });
    tf.write(&lookup(
        &tf,
        &format!(
            "  owners             = [\"self\"]\n  include_deprecated = true\n{}",
            name_filter(&format!("{p}-*"))
        ),
    ));
    tf.apply();
    let d = tf.resource("data.aws_ami.this");
    assert_eq!(d["id"], id.as_str());
    assert_eq!(d["include_deprecated"], true);
    assert_eq!(d["deprecation_time"], "2030-01-01T00:00:00.000Z");
    let calls = describe_calls(&tf);
    let call = calls.last().expect("a DescribeImages call");
    assert_eq!(
        call_param(call, "IncludeDeprecated").as_deref(),
        Some("true")
    );
}

#[test]
fn region_argument_searches_that_region() {
    let tf = Tf::new("dami_region");
    let p = prefix("region");
    let west = tf.make_source_ami("us-west-2", &format!("{p}-west"));
    tf.write(&lookup(
        &tf,
        &format!(
            "  region = \"us-west-2\"\n  owners = [\"self\"]\n{}",
            name_filter(&format!("{p}-*"))
        ),
    ));
    tf.apply();
    let d = tf.resource("data.aws_ami.this");
    assert_eq!(d["id"], west.as_str());
    assert_eq!(d["region"], "us-west-2");
    assert_eq!(d["arn"], format!("arn:aws:ec2:us-west-2::image/{west}"));
}

#[test]
fn most_recent_without_owner_fails_unless_unsafe_filters_are_allowed() {
    let tf = Tf::new("dami_unsafe");
    let p = prefix("unsafe");
    let id = tf.make_source_ami(REGION, &format!("{p}-x"));
    let query = format!("  most_recent = true\n{}", name_filter(&format!("{p}-*")));
    tf.write(&lookup(&tf, &query));
    let (code, diags) = tf.plan_json();
    assert_ne!(code, 0);
    let d = diags
        .iter()
        .find(|d| d.summary == "most_recent without an owner or image id")
        .unwrap_or_else(|| panic!("{diags:?}"));
    assert_eq!(d.severity, "error");
    assert!(
        describe_calls(&tf).is_empty(),
        "an unsafe query must not reach EC2"
    );

    tf.write(&lookup(
        &tf,
        &format!("{query}  allow_unsafe_filter = true\n"),
    ));
    let (code, diags) = tf.plan_json();
    assert_eq!(code, 0, "{diags:?}");
    assert!(
        diags
            .iter()
            .any(|d| d.summary == "most_recent without an owner or image id"
                && d.severity == "warning"),
        "{diags:?}"
    );
    tf.apply();
    assert_eq!(tf.resource("data.aws_ami.this")["id"], id.as_str());
}

#[test]
fn bad_arguments_are_refused_by_validate_with_their_path() {
    let tf = Tf::new("dami_validate");
    tf.write(&lookup(
        &tf,
        "  owners     = [\"self\", \"\"]\n  name_regex = \"golden-(\"\n  region     = \"Mars\"\n  timeouts {\n    read = \"soon\"\n  }\n",
    ));
    let (valid, diags) = tf.validate_json();
    assert!(!valid);
    let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
    for s in [
        "Invalid owners",
        "Invalid name_regex",
        "Invalid region",
        "Invalid timeout",
    ] {
        assert!(summaries.contains(&s), "missing {s:?} in {diags:?}");
    }
    let snippets: Vec<&str> = diags.iter().map(|d| d.snippet.as_str()).collect();
    assert!(
        snippets.iter().any(|s| s.contains("name_regex")),
        "{diags:?}"
    );
    assert!(tf.ec2_calls().is_empty(), "validation must not call EC2");
}

fn the_seed_example_copies_the_image_it_looked_up(lane: Lane) {
    let tf = Tf::in_lane(lane, &format!("dami_golden_{lane:?}").to_ascii_lowercase());
    let p = prefix(&format!("golden-{lane:?}").to_ascii_lowercase());
    let golden = tf.make_source_ami(REGION, &format!("{p}-2025"));
    let copy_name = format!("{p}-copy");
    tf.write(&format!(
        r#"{provider}
data "aws_ami" "golden" {{
  most_recent = true
  owners      = ["self"]

  filter {{
    name   = "name"
    values = ["{p}-20*"]
  }}
}}

resource "aws_ami_copy" "test" {{
  name              = "{copy_name}"
  source_ami_id     = data.aws_ami.golden.id
  source_ami_region = "{REGION}"
}}
"#,
        provider = tf.provider_block(REGION, "")
    ));
    tf.apply();
    let copy = tf.resource("aws_ami_copy.test");
    assert_eq!(copy["source_ami_id"], golden.as_str());
    assert_ne!(copy["id"], golden.as_str());
    // The copy's own name does not match the lookup: the next plan finds the same source.
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.state_addresses().iter().all(|a| a.starts_with("data.")));
}

#[test]
fn uefi_image_exports_its_boot_settings_and_variable_store() {
    use aws_sdk_ec2::types::{
        BlockDeviceMapping, BootModeValues, EbsBlockDevice, ImdsSupportValues, TpmSupportValues,
    };
    let tf = Tf::new("dami_uefi");
    let p = prefix("uefi");
    let ec2 = tf.ec2(REGION);
    let snapshot = tf
        .find_image(REGION, &tf.make_source_ami(REGION, &format!("{p}-bios")))
        .and_then(|i| {
            i.block_device_mappings()[0]
                .ebs()
                .and_then(|e| e.snapshot_id())
                .map(str::to_string)
        })
        .expect("a snapshot to register from");
    let uefi = rt().block_on(async {
        ec2.register_image()
            .name(format!("{p}-uefi"))
            .architecture(aws_sdk_ec2::types::ArchitectureValues::X8664)
            .virtualization_type("hvm")
            .root_device_name("/dev/xvda")
            .boot_mode(BootModeValues::Uefi)
            .tpm_support(TpmSupportValues::V20)
            .imds_support(ImdsSupportValues::V20)
            .uefi_data("QU1JQ09QWS1VRUZJ")
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(EbsBlockDevice::builder().snapshot_id(&snapshot).build())
                    .build(),
            )
            .send()
            .await
            .expect("RegisterImage")
            .image_id()
            .expect("image id")
            .to_string()
    });
    tf.write(&lookup(
        &tf,
        &format!(
            "  owners = [\"self\"]\n{}",
            name_filter(&format!("{p}-uefi"))
        ),
    ));
    tf.apply();
    let d = tf.resource("data.aws_ami.this");
    assert_eq!(d["id"], uefi.as_str());
    assert_eq!(d["boot_mode"], "uefi");
    assert_eq!(d["tpm_support"], "v2.0");
    assert_eq!(d["imds_support"], "v2.0");
    assert_eq!(d["uefi_data"], "QU1JQ09QWS1VRUZJ");
    let asked = tf.calls(Some("DescribeImageAttribute"));
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(
        call_param(&asked[0], "Attribute").as_deref(),
        Some("uefiData")
    );
}

#[test]
fn a_query_known_only_after_apply_is_read_during_apply() {
    let tf = Tf::new("dami_deferred");
    let p = prefix("deferred");
    let source = tf.make_source_ami(REGION, &format!("{p}-source"));
    tf.write(&format!(
        r#"{provider}
resource "aws_ami_copy" "first" {{
  name              = "{p}-copy"
  source_ami_id     = "{source}"
  source_ami_region = "{REGION}"
}}

data "aws_ami" "copied" {{
  owners = ["self"]

  filter {{
    name   = "image-id"
    values = [aws_ami_copy.first.id]
  }}
}}
"#,
        provider = tf.provider_block(REGION, "")
    ));
    // The copy's id is unknown while planning: Terraform postpones the read to apply.
    let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
    assert!(
        plan.flat()
            .contains("data.aws_ami.copied will be read during apply"),
        "{}",
        plan.text()
    );
    tf.apply();
    let copy = tf.resource("aws_ami_copy.first");
    let d = tf.resource("data.aws_ami.copied");
    assert_eq!(d["id"], copy["id"]);
    assert_eq!(d["name"], format!("{p}-copy"));
    tf.assert_plan_empty();
    tf.destroy();
}

/// A filter from hashicorp/aws's own acceptance configurations of this data source
/// (`block-device-mapping.volume-type`): the fidelity emulator answers it as EC2 does; stock moto
/// does not implement it and answers HTTP 500 with no error code, which is asked 4 times, not the
/// client's 26, and then named in the error with the endpoint and the filter.
fn a_filter_the_backend_lacks_is_reported_after_a_few_tries(lane: Lane) {
    let test = format!("dami_bdm_{lane:?}").to_ascii_lowercase();
    let tf = Tf::in_lane(lane, &test);
    let p = prefix(&test);
    let id = tf.make_source_ami(REGION, &format!("{p}-image"));
    tf.write(&lookup(
        &tf,
        &format!(
            "  owners = [\"self\"]\n{}  filter {{\n    name   = \"block-device-mapping.volume-type\"\n    values = [\"gp2\", \"gp3\", \"standard\"]\n  }}\n",
            name_filter(&format!("{p}-*"))
        ),
    ));
    tf.clear_calls();
    let r = tf.run(&["plan", "-input=false", "-no-color"]);
    let asked = describe_calls(&tf).len();
    match lane {
        Lane::Fidelity => {
            assert_eq!(r.code, 0, "{}", r.text());
            tf.apply();
            assert_eq!(tf.resource("data.aws_ami.this")["id"], id.as_str());
        }
        Lane::Stock => {
            assert_ne!(r.code, 0, "{}", r.text());
            let text = r.flat();
            for words in [
                "block-device-mapping.volume-type",
                "did not answer DescribeImages",
                tf.emulator.as_str(),
                "HTTP 500 with no error code",
            ] {
                assert!(text.contains(words), "{words:?} in {text}");
            }
            assert_eq!(asked, 4, "a bare 500 is asked 4 times");
        }
    }
}

both_lanes!(
    the_seed_example_copies_the_image_it_looked_up,
    a_filter_the_backend_lacks_is_reported_after_a_few_tries,
);
