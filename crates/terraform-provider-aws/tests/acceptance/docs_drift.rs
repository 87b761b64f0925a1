//! Docs that cannot drift from the code: the schema Terraform reads from the provider
//! (`terraform providers schema -json`) against the registry pages in `docs/`, both ways, and
//! every file under `examples/` validated by Terraform (resource examples also planned against
//! the emulator).
//!
//! A page documents an argument or attribute with a bullet whose head names it in backticks
//! (`` * `name` - ... `` or `` - `name` - ...``), under `## Argument Reference`,
//! `## Attribute Reference` or (for the `timeouts` block) `## Timeouts`. A bullet indented under
//! a block's bullet documents that block's (or object attribute's) own fields; a block may also
//! name its few fields in backticks in its own bullet's text.

use crate::support;

use regex::Regex;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use support::Tf;

const PROVIDER: &str = "registry.terraform.io/amicopy/aws";
const REGION: &str = "us-east-1";

/// What the provider's schema says a page must cover: `name` for top-level attributes and blocks,
/// `parent.name` for the fields of a block or of an object-typed attribute.
fn schema_names(block: &Json) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    if let Some(attrs) = block["attributes"].as_object() {
        for (name, attr) in attrs {
            names.insert(name.clone());
            let fields = object_fields(&attr["type"])
                .or_else(|| attr["nested_type"]["attributes"].as_object().cloned());
            for field in fields
                .into_iter()
                .flat_map(|f| f.into_iter().map(|(k, _)| k))
            {
                names.insert(format!("{name}.{field}"));
            }
        }
    }
    if let Some(blocks) = block["block_types"].as_object() {
        for (name, nested) in blocks {
            names.insert(name.clone());
            for field in schema_names(&nested["block"]) {
                names.insert(format!("{name}.{field}"));
            }
        }
    }
    names
}

/// The fields of `["object", {...}]`, also inside a list, set or map of objects.
fn object_fields(ty: &Json) -> Option<serde_json::Map<String, Json>> {
    match ty.as_array()?.as_slice() {
        [kind, fields] if kind == "object" => fields.as_object().cloned(),
        [kind, inner] if kind == "list" || kind == "set" || kind == "map" => object_fields(inner),
        _ => None,
    }
}

/// What a page documents.
#[derive(Debug, Default, PartialEq)]
struct Documented {
    /// Names from bullet heads: `name`, or `parent.name` for a bullet under a block's bullet.
    heads: BTreeSet<String>,
    /// For each top-level bullet, every name in backticks anywhere in its text.
    mentions: BTreeMap<String, BTreeSet<String>>,
}

fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Reads the reference bullet lists of a page (see the module comment).
fn documented(markdown: &str) -> Documented {
    let bullet = Regex::new(r"^( *)[*-] +(.*)$").expect("bullet regex");
    let mut doc = Documented::default();
    let mut section: Option<&str> = None;
    // The names of the last top-level bullet, for its nested bullets and continuation lines.
    let mut parents: Vec<String> = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            section = match heading.trim() {
                "Argument Reference" | "Attribute Reference" => Some(""),
                "Timeouts" => Some("timeouts."),
                _ => None,
            };
            parents.clear();
            continue;
        }
        let Some(prefix) = section else { continue };
        let Some(caps) = bullet.captures(line) else {
            // A continuation line belongs to the bullet above it.
            if line.starts_with(' ') {
                for p in &parents {
                    doc.mentions
                        .entry(p.clone())
                        .or_default()
                        .extend(backticked(line));
                }
            } else if !line.trim().is_empty() {
                parents.clear();
            }
            continue;
        };
        let (indent, text) = (caps[1].len(), &caps[2]);
        if !text.starts_with('`') {
            continue;
        }
        let head = text.split(" - ").next().unwrap_or(text);
        let names = backticked(head);
        if indent < 2 {
            parents = names.iter().map(|n| format!("{prefix}{n}")).collect();
            for p in &parents {
                doc.heads.insert(p.clone());
                doc.mentions
                    .entry(p.clone())
                    .or_default()
                    .extend(backticked(text));
            }
        } else {
            for p in &parents {
                for n in &names {
                    doc.heads.insert(format!("{p}.{n}"));
                }
            }
        }
    }
    doc
}

/// Everything wrong between a schema block and its page, as readable lines.
fn drift(page: &str, schema: &BTreeSet<String>, doc: &Documented) -> Vec<String> {
    let mut problems = Vec::new();
    for name in schema {
        let inline = name.split_once('.').is_some_and(|(parent, field)| {
            doc.mentions.get(parent).is_some_and(|m| m.contains(field))
        });
        if !doc.heads.contains(name) && !inline {
            problems.push(format!(
                "{page}: `{name}` is in the schema but not documented"
            ));
        }
    }
    for name in doc.heads.difference(schema) {
        problems.push(format!(
            "{page}: documents `{name}`, which the schema lacks"
        ));
    }
    problems
}

fn repo_path(rel: &str) -> PathBuf {
    support::repo_root().join(rel)
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// `terraform providers schema -json` of the provider under test.
fn provider_schema(tf: &Tf) -> Json {
    tf.write("");
    let r = tf.ok(&["providers", "schema", "-json"]);
    let all: Json = serde_json::from_str(&r.stdout).expect("schema json");
    all["provider_schemas"][PROVIDER].clone()
}

/// Pages of one kind (`resources`, `data-sources`) against the schema's types of that kind, both
/// ways: a type without a page, and a page without a type, are drift too.
fn check_pages(kind: &str, types: &Json, problems: &mut Vec<String>) {
    let types = types.as_object().cloned().unwrap_or_default();
    let mut pages: BTreeSet<String> = std::fs::read_dir(repo_path(&format!("docs/{kind}")))
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".md"))
                .collect()
        })
        .unwrap_or_default();
    for (type_name, schema) in &types {
        let short = type_name.strip_prefix("aws_").unwrap_or(type_name);
        let page = format!("docs/{kind}/{short}.md");
        pages.remove(&format!("{short}.md"));
        match read(&repo_path(&page)) {
            None => problems.push(format!("{page} is missing for {type_name}")),
            Some(text) => problems.extend(drift(
                &page,
                &schema_names(&schema["block"]),
                &documented(&text),
            )),
        }
    }
    for page in pages {
        problems.push(format!(
            "docs/{kind}/{page} documents a type the provider does not serve"
        ));
    }
}

#[test]
fn docs_cover_exactly_the_schema() {
    let tf = Tf::new("docs_drift");
    let schema = provider_schema(&tf);
    assert!(
        schema["resource_schemas"]["aws_ami_copy"].is_object(),
        "no aws_ami_copy in the schema: {schema}"
    );
    let mut problems = Vec::new();
    let index = read(&repo_path("docs/index.md")).expect("docs/index.md");
    problems.extend(drift(
        "docs/index.md",
        &schema_names(&schema["provider"]["block"]),
        &documented(&index),
    ));
    check_pages("resources", &schema["resource_schemas"], &mut problems);
    check_pages(
        "data-sources",
        &schema["data_source_schemas"],
        &mut problems,
    );
    assert!(
        problems.is_empty(),
        "docs/ and the schema disagree:\n  {}",
        problems.join("\n  ")
    );
}

/// Every file under examples/, relative to it.
fn example_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read examples dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&repo_path("examples"), &mut files);
    files.sort();
    files
}

/// A resource example with its placeholder source replaced by an image made in the emulator, in
/// the source region the example names, and the test's provider block for the emulator.
fn plannable(tf: &Tf, example: &str) -> String {
    let region = Regex::new(r#"source_ami_region\s*=\s*"([^"]+)""#).expect("regex");
    let source_id = Regex::new(r#"(source_ami_id\s*=\s*)"[^"]*""#).expect("regex");
    let mut text = example.to_string();
    if let Some(caps) = region.captures(example) {
        let source = tf.make_source_ami(&caps[1], "tfacc-docs-example-source");
        text = source_id
            .replace_all(&text, format!("${{1}}\"{source}\""))
            .into_owned();
    }
    format!("{}\n{text}", tf.provider_block(REGION, ""))
}

#[test]
fn every_example_validates_and_resource_examples_plan() {
    let files = example_files();
    assert!(!files.is_empty(), "no files under examples/");
    let mut planned = 0;
    for (i, path) in files.iter().enumerate() {
        let rel = path
            .strip_prefix(repo_path("examples"))
            .unwrap_or(path)
            .display()
            .to_string();
        let text = read(path).unwrap_or_else(|| panic!("examples/{rel} is not text"));
        match path.extension().and_then(|e| e.to_str()) {
            Some("tf") => {}
            // `terraform import` examples (import.sh) are commands, checked for the address.
            Some("sh") => {
                assert!(
                    text.contains("terraform import aws_"),
                    "examples/{rel}: expected a `terraform import aws_...` command"
                );
                continue;
            }
            _ => panic!("examples/{rel}: not a Terraform file or an import command"),
        }
        let tf = Tf::new(&format!("docs_example_{i}"));
        // Examples that declare the provider requirement are used as they are.
        if text.contains("required_providers") {
            std::fs::write(tf.path().join("main.tf"), &text).expect("write example");
        } else {
            tf.write(&text);
        }
        let (valid, diags) = tf.validate_json();
        assert!(valid, "examples/{rel} does not validate: {diags:#?}");

        if rel.starts_with("resources/") && !text.contains("provider \"aws\"") {
            tf.write(&plannable(&tf, &text));
            let r = tf.plan_code();
            assert_eq!(r.code, 2, "examples/{rel} does not plan:\n{}", r.text());
            assert!(r.stdout.contains("will be created"), "{}", r.text());
            planned += 1;
        }
    }
    assert!(planned >= 1, "no resource example was planned");
}

#[test]
fn doc_parser_reads_heads_nesting_inline_fields_and_timeouts() {
    let page = "\
# Resource: x

## Example Usage

```terraform
* `not_a_bullet` - inside a code block
```

## Argument Reference

* `name` - (Required) The name.
* `access_key`, `secret_key` - (Sensitive) Keys; not `region`.
* `endpoints` - (Block) Custom endpoints:
    * `ec2` - EC2 endpoint.
- `web_identity` - (Block) `role_arn`, `duration`,
  and `token_file`.
* `timeouts` - See below.

## Attribute Reference

* `id` - The id.

## Timeouts

* `create` - (Default `40m`)

## Import

* `ignored` - not a reference section.
";
    let doc = documented(page);
    let heads: Vec<&str> = doc.heads.iter().map(String::as_str).collect();
    assert_eq!(
        heads,
        [
            "access_key",
            "endpoints",
            "endpoints.ec2",
            "id",
            "name",
            "secret_key",
            "timeouts",
            "timeouts.create",
            "web_identity",
        ]
    );
    let schema: BTreeSet<String> = [
        "name",
        "access_key",
        "secret_key",
        "endpoints",
        "endpoints.ec2",
        "endpoints.sts",
        "web_identity",
        "web_identity.role_arn",
        "web_identity.token_file",
        "timeouts",
        "timeouts.create",
        "id",
        "tags",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let problems = drift("x.md", &schema, &doc);
    assert_eq!(
        problems,
        [
            "x.md: `endpoints.sts` is in the schema but not documented",
            "x.md: `tags` is in the schema but not documented",
        ]
    );
    let mut extra = schema.clone();
    extra.remove("endpoints.ec2");
    assert_eq!(
        drift("x.md", &extra, &doc),
        [
            "x.md: `endpoints.sts` is in the schema but not documented",
            "x.md: `tags` is in the schema but not documented",
            "x.md: documents `endpoints.ec2`, which the schema lacks",
        ]
    );
}

#[test]
fn schema_names_include_block_and_object_fields() {
    let block = serde_json::json!({
        "attributes": {
            "id": {"type": "string"},
            "ebs": {"type": ["set", ["object", {"size": "number"}]]},
            "tags": {"type": ["map", "string"]},
        },
        "block_types": {
            "timeouts": {"nesting_mode": "single", "block": {"attributes": {"create": {"type": "string"}}}},
        },
    });
    let names: Vec<String> = schema_names(&block).into_iter().collect();
    assert_eq!(
        names,
        [
            "ebs",
            "ebs.size",
            "id",
            "tags",
            "timeouts",
            "timeouts.create"
        ]
    );
}
