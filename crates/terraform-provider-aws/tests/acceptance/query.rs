//! `terraform query` (Terraform 1.14 and later) with `list "aws_ami_copy"`: the account's copies
//! made by this provider, the AWS CLI's way and by another tool, in two regions at once, listed
//! with each argument; `-generate-config-out` followed by a plan that only imports and an apply of
//! the imports; `limit`; an error per bad argument, with no AWS call.

use crate::support::{call_param, cli_has, repo_root, rt, Lane, Run, Tf};
use serde_json::Value as Json;
use std::collections::BTreeSet;

const HOME: &str = "us-east-1";
const AWAY: &str = "eu-west-1";
const ACCOUNT: &str = "123456789012";

/// One result of `terraform query -json` (a `list_resource_found` message).
#[derive(Clone, Debug)]
struct Found {
    address: String,
    display_name: String,
    id: String,
    region: String,
    account_id: String,
}

/// What one `terraform query -json` printed.
struct Queried {
    run: Run,
    found: Vec<Found>,
    /// `(severity, summary, detail, line)` of each diagnostic.
    diagnostics: Vec<(String, String, String, Option<u64>)>,
}

impl Queried {
    fn ids(&self) -> BTreeSet<String> {
        self.found.iter().map(|f| f.id.clone()).collect()
    }
    fn warnings(&self, summary: &str) -> usize {
        let warning =
            |d: &&(String, String, String, Option<u64>)| d.0 == "warning" && d.1 == summary;
        self.diagnostics.iter().filter(warning).count()
    }
}

/// Writes `copies.tfquery.hcl` and runs `terraform query -json` with `extra` arguments.
fn query(tf: &Tf, hcl: &str, extra: &[&str]) -> Queried {
    std::fs::write(tf.path().join("copies.tfquery.hcl"), hcl).expect("write the query file");
    let mut args = vec!["query", "-json", "-no-color"];
    args.extend_from_slice(extra);
    let run = tf.run(&args);
    let mut found = Vec::new();
    let mut diagnostics = Vec::new();
    for m in run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
    {
        match m["type"].as_str() {
            Some("list_resource_found") => {
                let f = &m["list_resource_found"];
                let text = |v: &Json| v.as_str().unwrap_or_default().to_string();
                found.push(Found {
                    address: text(&f["address"]),
                    display_name: text(&f["display_name"]),
                    id: text(&f["identity"]["id"]),
                    region: text(&f["identity"]["region"]),
                    account_id: text(&f["identity"]["account_id"]),
                });
            }
            Some("diagnostic") => {
                let d = &m["diagnostic"];
                if d["summary"] == "Provider development overrides are in effect" {
                    continue;
                }
                diagnostics.push((
                    d["severity"].as_str().unwrap_or_default().to_string(),
                    d["summary"].as_str().unwrap_or_default().to_string(),
                    d["detail"].as_str().unwrap_or_default().to_string(),
                    d["range"]["start"]["line"].as_u64(),
                ));
            }
            _ => {}
        }
    }
    Queried {
        run,
        found,
        diagnostics,
    }
}

/// `query` that must succeed.
fn query_ok(tf: &Tf, hcl: &str, extra: &[&str]) -> Queried {
    let q = query(tf, hcl, extra);
    assert_eq!(q.run.code, 0, "terraform query failed:\n{}", q.run.text());
    q
}

/// A `list "aws_ami_copy" "NAME"` block with `config` lines.
fn list_block(name: &str, config: &str) -> String {
    limited(name, config, None)
}

/// `list_block` with a `limit`.
fn limited(name: &str, config: &str, limit: Option<u64>) -> String {
    let limit = limit
        .map(|n| format!("  limit    = {n}\n"))
        .unwrap_or_default();
    format!("list \"aws_ami_copy\" \"{name}\" {{\n  provider = aws\n{limit}  config {{\n{config}\n  }}\n}}\n")
}

/// Who made a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// `terraform apply` with this provider (in a working directory whose state is then lost).
    Provider,
    /// What `aws ec2 copy-image` then `aws ec2 create-tags` send (with the Rust SDK).
    Cli,
    /// Another tool: boto3, copying with a description and tagging the image and its snapshots
    /// once the copy is available, as image-baking tools do.
    Tool,
}

impl Origin {
    fn tag(self) -> &'static str {
        match self {
            Origin::Provider => "terraform",
            Origin::Cli => "cli",
            Origin::Tool => "tool",
        }
    }
}

struct Made {
    id: String,
    region: String,
    name: String,
    origin: Origin,
    source: String,
}

/// The account's copies for one test: a copy of `source` (in HOME) by each origin in each
/// region, and one more copy, by the CLI into HOME, of `other` (a source in AWAY).
struct World {
    prefix: String,
    source: String,
    other: String,
    copies: Vec<Made>,
}

impl World {
    fn ids(&self, keep: impl Fn(&Made) -> bool) -> BTreeSet<String> {
        self.copies
            .iter()
            .filter(|c| keep(c))
            .map(|c| c.id.clone())
            .collect()
    }
}

fn tag(tf: &Tf, region: &str, ids: &[String], key: &str, value: &str) {
    let ec2 = tf.ec2(region);
    rt().block_on(async {
        ec2.create_tags()
            .set_resources(Some(ids.to_vec()))
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build(),
            )
            .send()
            .await
            .expect("CreateTags");
    });
}

/// Copies made by `terraform apply` with this provider, one per region; then the working
/// directory's state is lost (`terraform state rm`): copies nobody manages any more.
fn copies_by_this_provider(tf: &Tf, lane: Lane, test: &str, world: &mut World) {
    let maker = Tf::in_lane(lane, &format!("{test}maker"));
    let mut body = maker.provider_block(HOME, "");
    for (key, region) in [("home", HOME), ("away", AWAY)] {
        body.push_str(&format!(
            "\nresource \"aws_ami_copy\" \"{key}\" {{\n  name              = \"{p}-copy-terraform-{key}\"\n  source_ami_id     = \"{s}\"\n  source_ami_region = \"{HOME}\"\n  region            = \"{region}\"\n  tags = {{\n    Origin = \"terraform\"\n  }}\n}}\n",
            p = world.prefix,
            s = world.source
        ));
    }
    maker.write(&body);
    maker.apply();
    for (key, region) in [("home", HOME), ("away", AWAY)] {
        let address = format!("aws_ami_copy.{key}");
        let id = maker.resource(&address)["id"]
            .as_str()
            .expect("id")
            .to_string();
        maker.ok(&["state", "rm", &address]);
        world.copies.push(Made {
            id,
            region: region.to_string(),
            name: format!("{}-copy-terraform-{key}", world.prefix),
            origin: Origin::Provider,
            source: world.source.clone(),
        });
    }
    let _ = tf;
}

/// A copy the AWS CLI's way: CopyImage, then CreateTags once it answered.
fn copy_by_cli(tf: &Tf, region: &str, source: &str, source_region: &str, name: &str) -> String {
    let id = tf.copy_image_directly(region, source, source_region, name, None);
    tag(
        tf,
        region,
        std::slice::from_ref(&id),
        "Origin",
        Origin::Cli.tag(),
    );
    id
}

/// A copy by another tool: a boto3 script run with the test toolchain's Python.
fn copy_by_tool(tf: &Tf, region: &str, source: &str, name: &str) -> String {
    const SCRIPT: &str = r#"
import sys, time, boto3
url, key, region, source, source_region, name = sys.argv[1:]
ec2 = boto3.client("ec2", region_name=region, endpoint_url=url,
                   aws_access_key_id=key, aws_secret_access_key="test-secret")
image = ec2.copy_image(Name=name, SourceImageId=source, SourceRegion=source_region,
                       Description="baked by another tool")["ImageId"]
for _ in range(300):
    found = ec2.describe_images(ImageIds=[image])["Images"]
    if found and found[0]["State"] == "available":
        break
    time.sleep(0.1)
snapshots = [m["Ebs"]["SnapshotId"] for m in found[0].get("BlockDeviceMappings", []) if "Ebs" in m]
ec2.create_tags(Resources=[image] + snapshots, Tags=[{"Key": "Origin", "Value": "tool"}])
print(image)
"#;
    let python = repo_root().join(".tools/venv/bin/python");
    let out = std::process::Command::new(python)
        .args([
            "-c",
            SCRIPT,
            &tf.emulator,
            &tf.access_key,
            region,
            source,
            HOME,
            name,
        ])
        .output()
        .expect("run the boto3 script");
    assert!(
        out.status.success(),
        "the other tool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn three_origins(tf: &Tf, lane: Lane, test: &str, prefix: &str) -> World {
    let mut world = World {
        prefix: prefix.to_string(),
        source: tf.make_source_ami(HOME, &format!("{prefix}-src")),
        other: tf.make_source_ami(AWAY, &format!("{prefix}-src-other")),
        copies: vec![],
    };
    copies_by_this_provider(tf, lane, test, &mut world);
    for region in [HOME, AWAY] {
        let source = world.source.clone();
        let name = format!("{prefix}-copy-cli-{region}");
        let id = copy_by_cli(tf, region, &source, HOME, &name);
        world.copies.push(Made {
            id,
            region: region.into(),
            name,
            origin: Origin::Cli,
            source: source.clone(),
        });
        let name = format!("{prefix}-copy-tool-{region}");
        let id = copy_by_tool(tf, region, &source, &name);
        world.copies.push(Made {
            id,
            region: region.into(),
            name,
            origin: Origin::Tool,
            source,
        });
    }
    let name = format!("{prefix}-copy-other");
    let id = tf.copy_image_directly(HOME, &world.other, AWAY, &name, None);
    tag(tf, HOME, std::slice::from_ref(&id), "Origin", "other");
    world.copies.push(Made {
        id,
        region: HOME.into(),
        name,
        origin: Origin::Cli,
        source: world.other.clone(),
    });
    for c in &world.copies {
        tf.wait_available(&c.region, &c.id, 30);
    }
    world
}

/// Lists the copies of three origins in two regions with each argument, then brings them all
/// under management with `-generate-config-out`: a plan that only imports, an apply of the
/// imports that changes nothing in EC2, a clean plan after it.
fn query_finds_copies_of_three_origins_in_two_regions_and_imports_them(lane: Lane) {
    if !cli_has((1, 14, 0), "terraform query and list blocks") {
        return;
    }
    let test = format!("query_world_{lane:?}").to_lowercase();
    let tf = Tf::in_lane(lane, &test);
    let prefix = format!(
        "tfacc-query-{}",
        if lane == Lane::Stock { "stock" } else { "fid" }
    );
    let world = three_origins(&tf, lane, &test, &prefix);
    tf.write(&tf.provider_block(HOME, ""));
    let copies = format!("    name = \"{prefix}-copy-*\"");
    let both = format!("{copies}\n    regions = [\"{HOME}\", \"{AWAY}\"]");
    let stock = lane == Lane::Stock;

    // Everything, both regions: each copy once, named by its name and region, its identity
    // in its own region and the account.
    let all = query_ok(&tf, &list_block("all", &both), &[]);
    assert_eq!(all.ids(), world.ids(|_| true), "{}", all.run.stdout);
    assert_eq!(all.found.len(), world.copies.len());
    for c in &world.copies {
        let f = all.found.iter().find(|f| f.id == c.id).expect("listed");
        assert_eq!(f.address, "list.aws_ami_copy.all");
        assert_eq!(f.region, c.region);
        assert_eq!(f.account_id, ACCOUNT);
        assert_eq!(f.display_name, format!("{} ({})", c.name, c.region));
    }
    // A backend that does not report sources: each copy is listed, with a warning saying so.
    let unreported = "Source of an AMI copy not reported";
    assert_eq!(
        all.warnings(unreported),
        if stock { 7 } else { 0 },
        "{:?}",
        all.diagnostics
    );

    // One region, named; and the provider's region when none is named.
    let away = query_ok(
        &tf,
        &list_block("away", &format!("{copies}\n    region = \"{AWAY}\"")),
        &[],
    );
    assert_eq!(away.ids(), world.ids(|c| c.region == AWAY));
    let home = query_ok(&tf, &list_block("home", &copies), &[]);
    assert_eq!(home.ids(), world.ids(|c| c.region == HOME));

    // Tags, and EC2's own filter blocks.
    let tags = format!(
        "{both}\n    tags = {{ Origin = \"{}\" }}",
        Origin::Cli.tag()
    );
    let cli = query_ok(&tf, &list_block("cli", &tags), &[]);
    assert_eq!(
        cli.ids(),
        world.ids(|c| c.origin == Origin::Cli && c.source == world.source)
    );
    let tool_ids: Vec<String> = world
        .ids(|c| c.origin == Origin::Tool)
        .into_iter()
        .collect();
    let filter = format!(
        "{both}\n    filter {{\n      name   = \"image-id\"\n      values = {}\n    }}",
        serde_json::to_string(&tool_ids).expect("ids")
    );
    let tools = query_ok(&tf, &list_block("tools", &filter), &[]);
    assert_eq!(tools.ids(), world.ids(|c| c.origin == Origin::Tool));

    // The source: its id, its region. A backend that does not report sources cannot match
    // them: nothing is listed, and one warning names the copies left out.
    let left_out = "AMI copies left out: source not reported";
    let of_other = query_ok(
        &tf,
        &list_block(
            "other",
            &format!("{both}\n    source_ami_id = \"{}\"", world.other),
        ),
        &[],
    );
    let from_away = query_ok(
        &tf,
        &list_block(
            "from_away",
            &format!("{both}\n    source_ami_region = \"{AWAY}\""),
        ),
        &[],
    );
    let of_source = query_ok(
        &tf,
        &list_block(
            "main",
            &format!(
                "{both}\n    source_ami_id = \"{}\"\n    source_ami_region = \"{HOME}\"",
                world.source
            ),
        ),
        &[],
    );
    if stock {
        for q in [&of_other, &from_away, &of_source] {
            assert!(q.found.is_empty(), "{}", q.run.stdout);
            assert_eq!(q.warnings(left_out), 1, "{:?}", q.diagnostics);
        }
    } else {
        assert_eq!(of_other.ids(), world.ids(|c| c.source == world.other));
        assert_eq!(from_away.ids(), world.ids(|c| c.source == world.other));
        assert_eq!(of_source.ids(), world.ids(|c| c.source == world.source));
        assert_eq!(of_source.warnings(left_out), 0);
    }

    // Bring them all under management: generated configuration and import blocks by identity.
    query_ok(
        &tf,
        &list_block("all", &both),
        &["-generate-config-out=generated.tf"],
    );
    let mut generated =
        std::fs::read_to_string(tf.path().join("generated.tf")).expect("generated.tf");
    assert_eq!(
        generated.matches("resource \"aws_ami_copy\"").count(),
        7,
        "{generated}"
    );
    assert_eq!(generated.matches("identity = {").count(), 7, "{generated}");
    for c in &world.copies {
        assert!(generated.contains(&format!("\"{}\"", c.id)), "{generated}");
    }
    if stock {
        // The backend never said which AMI each was copied from: the generated blocks leave
        // the source null, for the user to fill in (here: what the test knows).
        let unset = generated
            .lines()
            .filter(|l| is_null_setting(l, "source_ami_id"))
            .count();
        assert_eq!(unset, 7, "{generated}");
        generated = fill_in_sources(&generated, &world);
        std::fs::write(tf.path().join("generated.tf"), &generated).expect("write generated.tf");
    }
    let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
    // Only imports: nothing added or destroyed, and (where the backend reports everything)
    // nothing changed. On stock moto each import records the source the user filled in, in
    // the state only.
    let changed = if stock { 7 } else { 0 };
    let summary = format!("Plan: 7 to import, 0 to add, {changed} to change, 0 to destroy.");
    assert!(
        plan.stdout.contains(&summary),
        "{generated}\n{}",
        plan.stdout
    );
    tf.clear_calls();
    let apply = tf.apply();
    assert!(
        apply.stdout.contains(&format!(
            "7 imported, 0 added, {changed} changed, 0 destroyed"
        )),
        "{}",
        apply.stdout
    );
    let changing = tf.mutating_calls();
    assert!(changing.is_empty(), "the imports changed EC2: {changing:?}");
    tf.assert_plan_empty();
    let state = tf.state();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .expect("resources");
    assert_eq!(resources.len(), 7);
    tf.destroy();
    for c in &world.copies {
        assert!(tf.find_image(&c.region, &c.id).is_none(), "{} left", c.id);
    }
}

/// Whether a generated line sets `attribute = null`.
fn is_null_setting(line: &str, attribute: &str) -> bool {
    let mut parts = line.split('=').map(str::trim);
    parts.next() == Some(attribute) && parts.next() == Some("null")
}

/// The generated configuration with each copy's `source_ami_id = null` and
/// `source_ami_region = null` filled in from what the test knows.
fn fill_in_sources(generated: &str, world: &World) -> String {
    let mut out = String::new();
    for block in generated.split_inclusive("\n}\n") {
        let copy = world
            .copies
            .iter()
            .find(|c| block.contains(&format!("\"{}\"", c.name)));
        for line in block.split_inclusive('\n') {
            match copy {
                Some(c) if is_null_setting(line, "source_ami_id") => {
                    out.push_str(&format!("  source_ami_id = \"{}\"\n", c.source));
                }
                Some(c) if is_null_setting(line, "source_ami_region") => {
                    let region = if c.source == world.other { AWAY } else { HOME };
                    out.push_str(&format!("  source_ami_region = \"{region}\"\n"));
                }
                _ => out.push_str(line),
            }
        }
    }
    out
}

/// `limit`: Terraform takes that many results and the provider reads no page past them; with
/// `limit = 0` it makes no call at all.
fn query_limit_reads_no_page_past_it(lane: Lane) {
    if !cli_has((1, 14, 0), "terraform query and list blocks") {
        return;
    }
    let tf = Tf::in_lane(lane, &format!("query_limit_{lane:?}").to_lowercase());
    let prefix = format!(
        "tfacc-qlimit-{}",
        if lane == Lane::Stock { "stock" } else { "fid" }
    );
    let source = tf.make_source_ami(HOME, &format!("{prefix}-src"));
    let mut ids = BTreeSet::new();
    for i in 0..12 {
        ids.insert(tf.copy_image_directly(
            HOME,
            &source,
            HOME,
            &format!("{prefix}-copy-{i:02}"),
            None,
        ));
    }
    tf.write(&tf.provider_block(HOME, ""));
    let copies = format!("    name = \"{prefix}-copy-*\"");
    let with_limit = |n: u64| limited("few", &copies, Some(n));

    let describes = |tf: &Tf| -> Vec<Option<String>> {
        tf.calls(Some("DescribeImages"))
            .iter()
            .map(|c| call_param(c, "MaxResults"))
            .collect()
    };
    for (limit, page) in [(5, "5"), (3, "5"), (12, "12")] {
        tf.clear_calls();
        let q = query_ok(&tf, &with_limit(limit), &[]);
        assert_eq!(q.found.len(), limit as usize, "{}", q.run.stdout);
        assert!(q.ids().is_subset(&ids));
        // One page, sized by the limit (5 at least); none after it, though more copies match.
        assert_eq!(describes(&tf), [Some(page.to_string())], "limit {limit}");
    }
    tf.clear_calls();
    let none = query_ok(&tf, &with_limit(0), &[]);
    assert!(none.found.is_empty());
    assert!(
        describes(&tf).is_empty(),
        "limit = 0 must make no DescribeImages"
    );

    // Terraform's default limit (100) takes all twelve, in one page per region.
    tf.clear_calls();
    let both = format!("{copies}\n    regions = [\"{HOME}\", \"{AWAY}\"]");
    let all = query_ok(&tf, &list_block("all", &both), &[]);
    assert_eq!(all.ids(), ids);
    assert_eq!(
        describes(&tf),
        [Some("100".to_string()), Some("100".to_string())]
    );
    if lane == Lane::Fidelity {
        pages_follow_what_terraform_still_takes(&tf, &prefix, &source, &ids);
    }
}

/// A source filter is matched on each page: pages follow until Terraform has its `limit`, each
/// asking for what Terraform still takes, and none after. The emulator pages in image-id
/// order, so the expected pages are known.
fn pages_follow_what_terraform_still_takes(
    tf: &Tf,
    prefix: &str,
    source: &str,
    ids: &BTreeSet<String>,
) {
    let other = tf.make_source_ami(HOME, &format!("{prefix}-src-b"));
    let mut by_id: Vec<(String, bool)> = ids.iter().map(|i| (i.clone(), true)).collect();
    for i in 0..12 {
        let id =
            tf.copy_image_directly(HOME, &other, HOME, &format!("{prefix}-copy-b{i:02}"), None);
        by_id.push((id, false));
    }
    by_id.sort();
    let limit = 8u64;
    // What the provider must ask: pages of max(5, still taken), until 8 copies of `source`.
    let mut expected = Vec::new();
    let (mut at, mut taken) = (0usize, 0u64);
    while taken < limit && at < by_id.len() {
        let size = (limit - taken).max(5) as usize;
        expected.push(Some(size.to_string()));
        for (_, ours) in by_id.iter().skip(at).take(size) {
            if *ours && taken < limit {
                taken += 1;
            }
        }
        at += size;
    }
    tf.clear_calls();
    let mine = format!(
        "    name = \"{prefix}-copy-*\"
    source_ami_id = \"{source}\""
    );
    let q = query_ok(tf, &limited("mine", &mine, Some(limit)), &[]);
    assert_eq!(q.found.len(), limit as usize);
    assert!(q.ids().is_subset(ids));
    let asked: Vec<Option<String>> = tf
        .calls(Some("DescribeImages"))
        .iter()
        .map(|c| call_param(c, "MaxResults"))
        .collect();
    assert!(
        expected.len() > 1,
        "the test needs more than one page: {by_id:?}"
    );
    assert_eq!(asked, expected);
}

/// Each bad argument: an error that names it, pointing at its line, and no call to EC2.
fn bad_list_arguments_are_errors_naming_them(lane: Lane) {
    if !cli_has((1, 14, 0), "terraform query and list blocks") {
        return;
    }
    let tf = Tf::in_lane(lane, &format!("query_bad_{lane:?}").to_lowercase());
    tf.write(&tf.provider_block(HOME, ""));
    let cases = [
        ("region", "    region = \"Mars\"", "Invalid region"),
        ("regions", "    regions = []", "Invalid regions"),
        (
            "regions",
            "    region = \"us-east-1\"\n    regions = [\"eu-west-1\"]",
            "Conflicting list arguments",
        ),
        (
            "source_ami_id",
            "    source_ami_id = \"ami-xyz\"",
            "Invalid AMI ID",
        ),
        (
            "source_ami_region",
            "    source_ami_region = \"nowhere\"",
            "Invalid region",
        ),
        ("name", "    name = \"a{b}\"", "Invalid name pattern"),
        (
            "tags",
            "    tags = { \"aws:team\" = \"x\" }",
            "Invalid tag key",
        ),
        (
            "filter",
            "    filter {\n      name   = \"owner-id\"\n      values = [\"1\"]\n    }",
            "Invalid filter",
        ),
        (
            "filter",
            "    filter {\n      name   = \"state\"\n      values = []\n    }",
            "Invalid filter",
        ),
    ];
    for (i, (argument, config, summary)) in cases.iter().enumerate() {
        tf.clear_calls();
        let q = query(&tf, &list_block(&format!("bad{i}"), config), &[]);
        assert_ne!(q.run.code, 0, "{argument}: {}", q.run.text());
        let errors: Vec<_> = q.diagnostics.iter().filter(|d| d.0 == "error").collect();
        assert_eq!(errors.len(), 1, "{argument}: {:?}", q.diagnostics);
        let (_, got, detail, line) = errors[0];
        assert_eq!(got, summary, "{argument}: {detail}");
        assert!(detail.contains(argument), "{argument}: {detail}");
        // Terraform points at the list block's configuration.
        assert!(line.is_some(), "{argument}: no source range");
        assert!(q.found.is_empty());
        let ec2 = tf.ec2_calls();
        assert!(ec2.is_empty(), "{argument}: EC2 was called: {ec2:?}");
    }
    // skip_region_validation turns the region shape check off, as for the resource.
    tf.write(&tf.provider_block(HOME, "  skip_region_validation = true"));
    let q = query(
        &tf,
        &list_block("skipped", "    region = \"custom-region-9\""),
        &[],
    );
    assert!(
        !q.diagnostics.iter().any(|d| d.1 == "Invalid region"),
        "{:?}",
        q.diagnostics
    );
}

/// The `list` block the guide shows, as it stands, finds the copies it describes.
fn the_guides_list_block_runs_as_written(lane: Lane) {
    if !cli_has((1, 14, 0), "terraform query and list blocks") {
        return;
    }
    let guide = std::fs::read_to_string(
        repo_root().join("docs/guides/bringing-existing-copies-under-management.md"),
    )
    .expect("the guide");
    let blocks: Vec<&str> = guide
        .split("```hcl\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .filter(|b| b.starts_with("list \"aws_ami_copy\""))
        .collect();
    assert_eq!(blocks.len(), 1, "the guide's list block");
    let tf = Tf::in_lane(lane, &format!("query_guide_{lane:?}").to_lowercase());
    let source = tf.make_source_ami(HOME, "tfacc-query-guide-src");
    let mine = [
        (
            HOME,
            format!("app-base-guide-{}", tf.access_key.to_lowercase()),
        ),
        (
            AWAY,
            format!("app-base-guide-{}", tf.access_key.to_lowercase()),
        ),
    ];
    let ids: BTreeSet<String> = mine
        .iter()
        .map(|(region, name)| tf.copy_image_directly(region, &source, HOME, name, None))
        .collect();
    tf.write(&tf.provider_block(HOME, ""));
    let q = query_ok(&tf, blocks[0], &[]);
    assert!(q.ids().is_superset(&ids), "{}", q.run.stdout);
}

both_lanes!(
    the_guides_list_block_runs_as_written,
    query_finds_copies_of_three_origins_in_two_regions_and_imports_them,
    query_limit_reads_no_page_past_it,
    bad_list_arguments_are_errors_naming_them,
);
