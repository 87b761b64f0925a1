//! The resource's documentation held to the code: the values the pages give for attributes EC2
//! fills in are the SDK's, and the page's list of what is stricter than hashicorp/aws covers
//! every rule of ours that hashicorp/aws lacks.

use aws_sdk_ec2::types::{HypervisorType, ImageState};
use tfplugin::{Diagnostics, Value};

fn repo_file(rel: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The text of the reference bullet for `name` on a page: its line and the indented lines after it.
fn bullet(page: &str, name: &str) -> String {
    let head = format!("* `{name}` - ");
    let mut lines = page.lines().skip_while(|l| !l.starts_with(&head));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("no bullet for `{name}`"));
    std::iter::once(first)
        .chain(lines.take_while(|l| l.starts_with("  ")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The backticked words of `text`.
fn quoted(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// `hypervisor` and `state` are what EC2 reports: the pages name exactly the SDK's hypervisor
/// types, and every image state a copy's `state` can hold (all of EC2's are kept as reported,
/// plus `deregistered`, which destroy records when snapshots are left).
#[test]
fn documented_values_are_those_ec2_reports() {
    let resource = repo_file("docs/resources/ami_copy.md");
    let hypervisors: Vec<&str> = HypervisorType::values().to_vec();
    for page in [resource.clone(), repo_file("docs/data-sources/ami.md")] {
        let text = bullet(&page, "hypervisor");
        let mut named: Vec<&str> = quoted(&text)
            .into_iter()
            .filter(|w| *w != "hypervisor")
            .collect();
        named.sort();
        let mut want = hypervisors.clone();
        want.sort();
        assert_eq!(named, want, "{text}");
    }
    let state = bullet(&resource, "state");
    let named = quoted(&state);
    for value in ImageState::values() {
        assert!(
            named.contains(value),
            "`state` must name {value:?}: {state}"
        );
    }
    let description = super::schema::schema()
        .block
        .attribute("state")
        .map(|a| a.description.clone())
        .unwrap_or_default();
    for value in ["available", "pending", "failed", "disabled", "deregistered"] {
        assert!(
            description.contains(value),
            "schema's state description: {value}"
        );
    }
    let kms = bullet(&resource, "kms_key_id");
    assert!(
        kms.contains(":alias/"),
        "kms_key_id takes alias ARNs: {kms}"
    );
}

/// The resource page's "Stricter than hashicorp/aws" list, held to the rules: every attribute
/// of hashicorp/aws's `aws_ami_copy` that a rule of ours can refuse (a declared validator, a
/// rule between attributes, a plan-time rule) is listed, unless hashicorp/aws checks it the
/// same way (its validators, as read from its source:
/// tests/fixtures/hashicorp_aws_ami_copy_validators.json); and nothing is listed that no rule
/// of ours checks. Extensions are left out: a configuration written for hashicorp/aws has none.
#[test]
fn every_rule_stricter_than_upstream_is_listed_on_the_resource_page() {
    use std::collections::BTreeSet;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |rel: &str| {
        std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    let json = |rel: &str| -> serde_json::Value {
        serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    let page = read("../../docs/resources/ami_copy.md");
    let section = page
        .split("\n## Stricter than hashicorp/aws\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/resources/ami_copy.md has a \"Stricter than hashicorp/aws\" section");
    let section = section
        .split("Behaviour that differs")
        .next()
        .unwrap_or(section);
    let listed: BTreeSet<String> = section
        .lines()
        .filter_map(|l| l.strip_prefix("* `"))
        .flat_map(|l| {
            let head = l.split(" - ").next().unwrap_or(l);
            format!("`{head}")
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();

    let upstream_names: BTreeSet<String> = json("tests/fixtures/hashicorp_aws_ami_copy_names.json")
        ["names"]
        .as_array()
        .expect("names")
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    let upstream_validators = json("tests/fixtures/hashicorp_aws_ami_copy_validators.json");
    // Our validators that check what hashicorp/aws's check: deprecation_time's RFC 3339.
    let same_as_upstream = [("deprecation_time", "validation.IsRFC3339Time")];
    for (name, func) in same_as_upstream {
        assert_eq!(upstream_validators["validate_func"][name], func, "{name}");
    }

    let block = super::schema::schema().block;
    let mut ours: BTreeSet<String> = BTreeSet::new();
    for a in block.attributes.iter().filter(|a| !a.read_only) {
        if !a.validators.is_empty() && !same_as_upstream.iter().any(|(n, _)| *n == a.name) {
            ours.insert(a.name.clone());
        }
    }
    for b in &block.blocks {
        if b.block.attributes.iter().any(|a| !a.validators.is_empty()) {
            ours.insert(b.type_name.clone());
        }
    }
    // Rules between attributes, and at plan: the attributes their errors name.
    let kms = "arn:aws:kms:us-east-1:123456789012:key/k";
    let outpost = "arn:aws:outposts:us-east-1:123456789012:outpost/op-0123456789abcdef0";
    let mut bad = Value::Null;
    for (k, v) in [
        ("name", "my-copy"),
        ("source_ami_id", "ami-0123abcd"),
        ("source_ami_region", "us-west-1"),
        ("kms_key_id", kms),
        ("destination_availability_zone", "us-east-1-bos-1a"),
        ("destination_outpost_arn", outpost),
    ] {
        bad.set(k, Value::string(v));
    }
    let mut named = |d: &Diagnostics| {
        for diag in &d.0 {
            if let Some(p) = &diag.path {
                let top = p.to_string();
                ours.insert(top.split(['.', '[']).next().unwrap_or_default().to_string());
            }
        }
    };
    named(&super::validate::cross_attribute_rules(&bad));
    bad.set("region", Value::string("Not A Region"));
    bad.set("source_ami_region", Value::string("Not A Region"));
    bad.set("deprecation_time", Value::string("2001-01-01T00:00:00Z"));
    let (tags, ignore) = (crate::tags::Tags::new(), crate::tags::IgnoreTags::default());
    let env = super::plan::PlanEnv {
        provider_region: "us-east-1",
        default_tags: &tags,
        ignore_tags: &ignore,
        skip_region_validation: false,
        now: time::OffsetDateTime::now_utc(),
    };
    named(&super::plan::plan(&Value::Null, &bad, &bad, &env).diagnostics);

    let must_list: BTreeSet<&String> = ours
        .iter()
        .filter(|n| upstream_names.contains(*n))
        .collect();
    let missing: Vec<&&String> = must_list.iter().filter(|n| !listed.contains(**n)).collect();
    assert!(
        missing.is_empty(),
        "stricter than hashicorp/aws but not listed on the resource page: {missing:?}"
    );
    let stale: Vec<&String> = listed.iter().filter(|n| !ours.contains(*n)).collect();
    assert!(
        stale.is_empty(),
        "listed, but no rule of ours checks them: {stale:?}"
    );
    for name in [
        "region",
        "source_ami_region",
        "deprecation_time",
        "kms_key_id",
    ] {
        assert!(
            must_list.contains(&name.to_string()),
            "{name} should be found stricter"
        );
    }
}
