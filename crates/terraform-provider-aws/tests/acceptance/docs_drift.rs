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
        // An import block needs the resource it imports into: the folder's resource example.
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("import") {
            let resource = path.with_file_name("resource.tf");
            let resource = read(&resource)
                .unwrap_or_else(|| panic!("examples/{rel}: no resource.tf beside it"));
            tf.write(&format!("{resource}\n{text}"));
            let (valid, diags) = tf.validate_json();
            assert!(valid, "examples/{rel} does not validate: {diags:#?}");
            continue;
        }
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

/// Every file under `dir` (a repository path), relative to the repository.
fn files_under(dir: &str) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if ![
                    ".git",
                    "target",
                    ".tools",
                    "dist",
                    "__pycache__",
                    ".terraform",
                ]
                .contains(&name.as_str())
                {
                    walk(root, &path, out);
                }
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.display().to_string());
            }
        }
    }
    let root = support::repo_root();
    let mut out = Vec::new();
    walk(&root, &root.join(dir), &mut out);
    out.sort();
    out
}

/// The front matter of a page (between the leading `---` lines), or None.
fn front_matter(page: &str) -> Option<&str> {
    let rest = page.strip_prefix("---\n")?;
    rest.find("\n---\n").map(|end| &rest[..end])
}

/// The value of `key: "value"` (or unquoted) in front matter.
fn front_matter_value<'a>(front: &'a str, key: &str) -> Option<&'a str> {
    front.lines().find_map(|l| {
        l.strip_prefix(key)
            .and_then(|r| r.strip_prefix(':'))
            .map(|v| v.trim().trim_matches('"'))
    })
}

/// docs/ holds the registry's pages and nothing else (the design document lives in DESIGN.md),
/// each with the registry's front matter: a title, a description and, but for the provider's
/// index page, a subcategory that groups it in the registry's navigation; no legacy `layout`.
#[test]
fn docs_hold_only_registry_pages_with_their_front_matter() {
    let page = Regex::new(r"^docs/(index\.md|(resources|data-sources|guides)/[a-z0-9_-]+\.md)$")
        .expect("regex");
    let mut problems = vec![];
    let files = files_under("docs");
    assert!(files.iter().any(|f| f == "docs/index.md"), "{files:?}");
    for file in &files {
        if !page.is_match(file) {
            problems.push(format!(
                "{file}: not a registry page (index, resources, data-sources, guides)"
            ));
            continue;
        }
        let text = read(&repo_path(file)).unwrap_or_default();
        let Some(front) = front_matter(&text) else {
            problems.push(format!("{file}: no front matter"));
            continue;
        };
        for key in ["page_title", "description"] {
            if front_matter_value(front, key).is_none() {
                problems.push(format!("{file}: front matter has no {key}"));
            }
        }
        // The registry's legacy Middleman key: current pages leave it out.
        if front_matter_value(front, "layout").is_some() {
            problems.push(format!("{file}: front matter has the legacy `layout` key"));
        }
        if file != "docs/index.md" {
            match front_matter_value(front, "subcategory") {
                Some(v) if !v.is_empty() => {}
                _ => problems.push(format!("{file}: front matter has no subcategory")),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The design document is where contributors look, and nothing points at its old place; every
/// relative link of the Markdown files resolves.
#[test]
fn design_document_is_at_the_top_and_every_relative_link_resolves() {
    let design = read(&repo_path("DESIGN.md")).expect("DESIGN.md");
    assert!(
        design.starts_with("# How the provider is built"),
        "DESIGN.md's title"
    );
    let old = ["docs", "design.md"].join("/");
    let mut problems = vec![];
    for dir in [
        ".github", "crates", "docs", "examples", "scripts", "bench", "emulator",
    ] {
        for file in files_under(dir) {
            if let Some(text) = read(&repo_path(&file)) {
                if text.contains(&old) {
                    problems.push(format!("{file} still names {old}"));
                }
            }
        }
    }
    let link = Regex::new(r"\]\(([^)#\s]+)(#[^)]*)?\)").expect("regex");
    let mut markdown: Vec<String> = files_under("docs");
    markdown.extend(["README.md", "DESIGN.md", "CHANGELOG.md"].map(String::from));
    for file in &markdown {
        let text = read(&repo_path(file)).unwrap_or_default();
        if text.contains(&old) {
            problems.push(format!("{file} still names {old}"));
        }
        let dir = repo_path(file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for caps in link.captures_iter(&text) {
            let target = &caps[1];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            if !dir.join(target).exists() {
                problems.push(format!("{file}: link to {target}, which does not exist"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The section of a page under `## heading`, up to the next `## `.
fn section<'a>(page: &'a str, heading: &str) -> Option<&'a str> {
    let start = page.find(&format!("\n## {heading}\n"))? + heading.len() + 5;
    let rest = &page[start..];
    Some(rest.find("\n## ").map_or(rest, |end| &rest[..end]))
}

/// Resources that support import have both registry examples (`import.sh`, and an import block
/// in `import-by-string-id.tf`), and their page's `## Import` section shows exactly those, in
/// the registry's form: the import block first, then the `terraform import` command.
#[test]
fn import_sections_show_the_import_examples_in_the_registry_form() {
    let mut checked = 0;
    for file in files_under("examples/resources") {
        let Some(dir) = file.strip_suffix("/import.sh") else {
            continue;
        };
        let type_name = dir.rsplit('/').next().unwrap_or_default();
        let short = type_name.strip_prefix("aws_").unwrap_or(type_name);
        let page_path = format!("docs/resources/{short}.md");
        let page = read(&repo_path(&page_path)).unwrap_or_else(|| panic!("{page_path} missing"));
        let import =
            section(&page, "Import").unwrap_or_else(|| panic!("{page_path}: no ## Import"));
        let command = read(&repo_path(&file))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("terraform import "))
            .unwrap_or_else(|| panic!("{file}: no terraform import command"))
            .to_string();
        let block_file = format!("{dir}/import-by-string-id.tf");
        let block = read(&repo_path(&block_file))
            .unwrap_or_else(|| panic!("{block_file} missing beside {file}"));
        let block_at = import
            .find(&format!("```terraform\n{}```", block))
            .unwrap_or_else(|| {
                panic!("{page_path}: the Import section does not show {block_file}:\n{import}")
            });
        let command_at = import
            .find(&format!("```console\n% {command}\n```"))
            .unwrap_or_else(|| {
                panic!("{page_path}: the Import section does not show {file}:\n{import}")
            });
        assert!(
            block_at < command_at,
            "{page_path}: the import block comes first"
        );
        for words in [
            "use an [`import` block]",
            "Using [`terraform import`]",
            &format!("to import `{type_name}` using the `id`"),
        ] {
            assert!(
                import.contains(words),
                "{page_path}: the Import section lacks \"{words}\""
            );
        }
        checked += 1;
    }
    assert!(checked >= 1, "no examples/resources/*/import.sh");
}

/// The resource page marks as **extension** exactly the arguments and attributes that
/// hashicorp/aws's `aws_ami_copy` lacks (tests/fixtures/hashicorp_aws_ami_copy_names.json, from
/// its published bindings), and its Extensions section names each of them.
#[test]
fn extensions_are_marked_on_the_resource_page() {
    let fixture: Json = serde_json::from_str(include_str!(
        "../fixtures/hashicorp_aws_ami_copy_names.json"
    ))
    .expect("fixture JSON");
    let upstream: BTreeSet<&str> = fixture["names"]
        .as_array()
        .expect("names")
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    let page = read(&repo_path("docs/resources/ami_copy.md")).expect("ami_copy.md");
    let extensions = section(&page, "Extensions").expect("ami_copy.md: no ## Extensions section");
    let head = Regex::new(r"^\* `([a-z0-9_]+)` - (.*)$").expect("regex");
    let mut problems = vec![];
    let mut seen = 0;
    for reference in ["Argument Reference", "Attribute Reference"] {
        let text = section(&page, reference).unwrap_or_else(|| panic!("no ## {reference}"));
        for caps in text.lines().filter_map(|l| head.captures(l)) {
            let (name, rest) = (&caps[1], &caps[2]);
            seen += 1;
            let marked = rest.to_lowercase().contains("**extension**");
            let extension = !upstream.contains(name);
            if marked != extension {
                problems.push(format!(
                    "`{name}`: {} in hashicorp/aws, but {}marked as an extension",
                    if extension { "not" } else { "is" },
                    if marked { "" } else { "not " }
                ));
            }
            if extension && !extensions.contains(&format!("`{name}`")) {
                problems.push(format!("`{name}` is not named in the Extensions section"));
            }
        }
    }
    assert!(seen > 20, "read only {seen} reference bullets");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// LICENSE holds the license Cargo.toml declares, in full.
#[test]
fn license_file_matches_cargo_toml() {
    let cargo = read(&repo_path("Cargo.toml")).expect("Cargo.toml");
    assert!(
        cargo.contains("license = \"MPL-2.0\""),
        "Cargo.toml's license changed"
    );
    let license = read(&repo_path("LICENSE")).expect("LICENSE");
    assert!(license.starts_with("Mozilla Public License Version 2.0\n"));
    for part in [
        "1. Definitions",
        "10. Versions of the License",
        "Exhibit B - \"Incompatible With Secondary Licenses\" Notice",
    ] {
        assert!(license.contains(part), "LICENSE lacks {part:?}");
    }
}

/// The README's figures come from what was measured: the binary size from bench/results.md's
/// binary size row, the build and test times from bench/build-log.txt (each line with its
/// commit, date and load), and the minimum Rust version is Cargo.toml's `rust-version`.
#[test]
fn readme_figures_match_the_measurements() {
    let readme = read(&repo_path("README.md")).expect("README.md");
    let results = read(&repo_path("bench/results.md")).expect("bench/results.md");
    let size = Regex::new(r"\| binary size [^|]*\| ([0-9.]+) MB \|").expect("regex");
    let measured = size
        .captures(&results)
        .map(|c| c[1].to_string())
        .expect("bench/results.md has no binary size row");
    assert!(
        readme.contains(&format!("stripped binary of {measured} MB")),
        "README.md must give the binary size bench/results.md measured ({measured} MB)"
    );

    let cargo = read(&repo_path("Cargo.toml")).expect("Cargo.toml");
    let rust = Regex::new(r#"rust-version = "([0-9.]+)""#)
        .expect("regex")
        .captures(&cargo)
        .map(|c| c[1].to_string())
        .expect("Cargo.toml has a rust-version");
    assert!(
        readme.contains(&format!("Rust {rust} or later")),
        "README.md must state the minimum Rust version, {rust}"
    );

    // bench/build-log.txt: date | commit | what | figures | how. README quotes the newest
    // line of each kind it cites, and each line it cites names its commit.
    let log = read(&repo_path("bench/build-log.txt")).expect("bench/build-log.txt");
    let lines: Vec<Vec<String>> = log
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('|').map(|f| f.trim().to_string()).collect())
        .collect();
    let dated = Regex::new(r"^20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC$").expect("regex");
    let commit = Regex::new(r"^[0-9a-f]{7,}\+?$").expect("regex");
    for l in &lines {
        assert!(
            l.len() == 5 && dated.is_match(&l[0]),
            "bench/build-log.txt: date | commit | what | figures | how: {l:?}"
        );
    }
    let newest = |kind: &str| -> Vec<String> {
        let l = lines
            .iter()
            .rfind(|l| l[2].starts_with(kind))
            .unwrap_or_else(|| panic!("bench/build-log.txt has no {kind:?} line"))
            .clone();
        assert!(
            commit.is_match(&l[1]),
            "the line README quotes must name its commit: {l:?}"
        );
        assert!(
            l[4].contains("load average"),
            "the line README quotes must give the load: {l:?}"
        );
        l
    };
    let figures =
        |l: &[String]| -> Vec<String> { l[3].split(';').map(|f| f.trim().to_string()).collect() };
    let release = newest("release build, clean");
    let dev = newest("dev build, first");
    let test = newest("make test, first");
    for (l, what) in [
        (&release, "clean release build"),
        (&dev, "first dev build"),
        (&test, "make test"),
    ] {
        for figure in figures(l) {
            let figure = figure.split(" in ").next().unwrap_or(&figure).to_string();
            assert!(
                readme.contains(&figure),
                "README.md must give the {what} of bench/build-log.txt: {figure}"
            );
        }
    }
}

/// The measurements the docs quote say when and on which commit they ran.
#[test]
fn bench_reports_record_their_commit_and_date() {
    let dated = Regex::new(r"20[0-9]{2}-[0-9]{2}-[0-9]{2}").expect("regex");
    let commit = Regex::new(r"commit [0-9a-f]{7,}").expect("regex");
    let results = read(&repo_path("bench/results.md")).expect("bench/results.md");
    let run = results
        .lines()
        .find(|l| l.starts_with("- **bench run**:"))
        .expect("bench/results.md has no bench run line");
    assert!(dated.is_match(run) && commit.is_match(run), "{run}");
    let matrix = read(&repo_path("bench/terraform-matrix.md")).expect("bench/terraform-matrix.md");
    let run = matrix
        .lines()
        .find(|l| l.starts_with("- **run**:"))
        .expect("bench/terraform-matrix.md has no run line (make test-matrix writes it)");
    assert!(dated.is_match(run) && commit.is_match(run), "{run}");
    assert!(
        matrix.contains("load average"),
        "the matrix report gives the load"
    );
    let readme = read(&repo_path("README.md")).expect("README.md");
    assert!(
        readme.contains("`bench/terraform-matrix.md`"),
        "README points at the matrix report"
    );
    let soak = read(&repo_path("bench/soak.md")).expect("bench/soak.md");
    let run = soak
        .lines()
        .find(|l| l.starts_with("- **run**:"))
        .expect("bench/soak.md has no run line (make soak writes it)");
    assert!(dated.is_match(run) && commit.is_match(run), "{run}");
}

/// The fenced blocks of a Markdown page: (language, body).
fn fenced_blocks(page: &str) -> Vec<(String, String)> {
    let mut blocks = vec![];
    let mut open: Option<(String, String)> = None;
    for line in page.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(lang)) => open = Some((lang.trim().to_string(), String::new())),
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// Every HCL and JSON block inside the docs pages, not only the files under examples/: each HCL
/// block is formatted as `terraform fmt` writes it; each Terraform configuration validates with
/// this provider under both names it is used with (a module block gets the page's next block
/// as its module, an import block the page's first resource); each CLI configuration block is
/// read by Terraform without a complaint; each JSON block (the IAM policies) parses.
#[test]
fn every_block_inside_the_docs_pages_is_checked() {
    let module = Regex::new(r#"module "[^"]+" \{\s*source\s*=\s*"(\./[^"]+)""#).expect("regex");
    let mut checked = 0;
    for file in files_under("docs") {
        let page = read(&repo_path(&file)).unwrap_or_default();
        let blocks = fenced_blocks(&page);
        let terraform_blocks: Vec<&String> = blocks
            .iter()
            .filter(|(lang, _)| lang == "terraform")
            .map(|(_, body)| body)
            .collect();
        for (n, (lang, body)) in blocks.iter().enumerate() {
            let at = format!("{file}, block {} ({lang})", n + 1);
            if lang == "json" {
                serde_json::from_str::<Json>(body).unwrap_or_else(|e| panic!("{at}: {e}"));
                checked += 1;
                continue;
            }
            if lang != "terraform" && lang != "hcl" {
                continue;
            }
            let tf = Tf::new(&format!(
                "docs_block_{}_{n}",
                file.replace(['/', '.', '-'], "_")
            ));
            // Both names resolve to this binary, as in tests/acceptance/side_by_side.rs.
            std::fs::write(
                tf.path().join("cli.tfrc"),
                format!(
                    "provider_installation {{\n  dev_overrides {{\n    \"amicopy/aws\" = \"{d}\"\n    \"hashicorp/aws\" = \"{d}\"\n  }}\n  direct {{}}\n}}\n",
                    d = support::provider_dir().display()
                ),
            )
            .expect("write cli config");
            std::fs::write(tf.path().join("block.tf"), body).expect("write block");
            let fmt = tf.run(&["fmt", "-check", "-diff", "block.tf"]);
            assert_eq!(
                fmt.code,
                0,
                "{at} is not formatted as terraform fmt writes it:\n{}",
                fmt.text()
            );
            if lang == "hcl" && body.contains("list \"") {
                // A query file (`*.tfquery.hcl`) beside a configuration that declares the provider.
                std::fs::rename(
                    tf.path().join("block.tf"),
                    tf.path().join("block.tfquery.hcl"),
                )
                .expect("rename block");
                tf.write("provider \"aws\" {}\n");
                let r = tf.run(&["validate", "-json", "-no-color", "-query"]);
                let v: Json = serde_json::from_str(&r.stdout)
                    .unwrap_or_else(|e| panic!("{at}: validate -json output ({e}):\n{}", r.text()));
                assert!(
                    r.code == 0 && v["valid"].as_bool() == Some(true),
                    "{at}: the query file does not validate:\n{}",
                    r.text()
                );
                checked += 1;
                continue;
            }
            if lang == "hcl" {
                assert!(
                    body.contains("provider_installation"),
                    "{at}: an hcl block that is neither a CLI configuration nor a query file"
                );
                let r = tf.run_env(
                    &["version"],
                    &[(
                        "TF_CLI_CONFIG_FILE",
                        &tf.path().join("block.tf").display().to_string(),
                    )],
                );
                assert!(
                    r.code == 0 && !r.text().contains("problems with the CLI configuration"),
                    "{at}: Terraform does not take it as a CLI configuration:\n{}",
                    r.text()
                );
                checked += 1;
                continue;
            }
            std::fs::remove_file(tf.path().join("block.tf")).expect("remove block");
            let mut text = body.clone();
            if !text.contains("resource \"") && text.contains("import {") {
                let declares = terraform_blocks
                    .iter()
                    .find(|b| b.contains("resource \"aws_ami_copy\""))
                    .unwrap_or_else(|| panic!("{at}: no resource on the page to import into"));
                text = format!("{declares}\n{text}");
            }
            if text.contains("required_providers") {
                std::fs::write(tf.path().join("main.tf"), &text).expect("write block");
            } else {
                tf.write(&text);
            }
            if let Some(caps) = module.captures(&text) {
                let index = terraform_blocks
                    .iter()
                    .position(|b| **b == *body)
                    .expect("the block itself");
                let code = terraform_blocks
                    .get(index + 1)
                    .unwrap_or_else(|| panic!("{at}: the module {} is not on the page", &caps[1]));
                let dir = tf.path().join(&caps[1]);
                std::fs::create_dir_all(&dir).expect("module dir");
                std::fs::write(dir.join("main.tf"), code).expect("write module");
                let r = tf.run(&["init", "-backend=false", "-input=false", "-no-color"]);
                assert_eq!(r.code, 0, "{at}: init of its module failed:\n{}", r.text());
            }
            let (valid, diags) = tf.validate_json();
            assert!(valid, "{at} does not validate: {diags:#?}\n{text}");
            checked += 1;
        }
    }
    assert!(checked >= 14, "only {checked} blocks checked");
}

/// docs/data-sources/ami.md compares the data source's error messages with hashicorp/aws's: the
/// latter as recorded from upstream's source in a fixture, the former as the provider words them.
#[test]
fn data_source_error_wording_is_compared_with_upstreams_recorded_wording() {
    let page = read(&repo_path("docs/data-sources/ami.md")).expect("data source page");
    let page = page.replace("\\`", "`");
    let fixture: Json = serde_json::from_str(
        &read(&repo_path(
            "crates/terraform-provider-aws/tests/fixtures/hashicorp_aws_ami_data_source_errors.json",
        ))
        .expect("fixture"),
    )
    .expect("fixture JSON");
    assert!(
        fixture["source"]["commit"]
            .as_str()
            .is_some_and(|c| c.len() == 40),
        "the fixture must say which commit of upstream's source it was read from"
    );
    let errors = fixture["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 3);
    for e in errors {
        let theirs = e["summary"].as_str().expect("summary");
        assert!(
            page.contains(&format!("\"{theirs}\"")),
            "the page must quote {theirs:?}"
        );
    }
    // Ours, as the data source's code words them.
    let code = [
        read(&repo_path(
            "crates/terraform-provider-aws/src/data_sources/ami/select.rs",
        ))
        .unwrap_or_default(),
        read(&repo_path(
            "crates/terraform-provider-aws/src/data_sources/ami/query.rs",
        ))
        .unwrap_or_default(),
    ]
    .concat();
    let ours = Regex::new(r#"(?s)pub const (NO_RESULTS|MANY_RESULTS): Refusal = \(\s*"([^"]+)""#)
        .expect("regex");
    let mut found = 0;
    for caps in ours.captures_iter(&code) {
        assert!(
            page.contains(&format!("\"{}\"", &caps[2])),
            "the page must quote ours: {:?}",
            &caps[2]
        );
        found += 1;
    }
    let unsafe_summary = Regex::new(r#"let summary = "([^"]+)";"#).expect("regex");
    for caps in unsafe_summary.captures_iter(&code) {
        assert!(
            page.contains(&format!("\"{}\"", &caps[1])),
            "the page must quote ours: {:?}",
            &caps[1]
        );
        found += 1;
    }
    assert_eq!(found, 3, "the data source's three refusals");
    assert!(
        !page.contains("error messages are those of"),
        "the page must not claim hashicorp/aws's wording"
    );
}

/// Every page of a type with a `timeouts` block has a `## Timeouts` section, as registry pages do.
#[test]
fn pages_of_types_with_timeouts_have_a_timeouts_section() {
    let tf = Tf::new("docs_timeouts_sections");
    let schema = provider_schema(&tf);
    let mut pages = 0;
    for (kind, key) in [
        ("resources", "resource_schemas"),
        ("data-sources", "data_source_schemas"),
    ] {
        for (type_name, s) in schema[key].as_object().cloned().unwrap_or_default() {
            if s["block"]["block_types"]["timeouts"].is_null() {
                continue;
            }
            let short = type_name.strip_prefix("aws_").unwrap_or(&type_name);
            let page = read(&repo_path(&format!("docs/{kind}/{short}.md"))).unwrap_or_default();
            assert!(
                page.contains("\n## Timeouts\n"),
                "docs/{kind}/{short}.md has no ## Timeouts section"
            );
            pages += 1;
        }
    }
    assert!(
        pages >= 2,
        "the resource and the data source both have timeouts"
    );
}

/// CHANGELOG.md, Cargo.toml and the git tags agree: the newest entry is Cargo.toml's version;
/// an entry is marked "(unreleased)" exactly when its `vX.Y.Z` tag does not exist; nothing is
/// tagged that the changelog does not have.
#[test]
fn changelog_cargo_toml_and_tags_agree() {
    let cargo = read(&repo_path("Cargo.toml")).expect("Cargo.toml");
    let version = Regex::new(r#"(?m)^version = "([0-9.]+)""#)
        .expect("regex")
        .captures(&cargo)
        .map(|c| c[1].to_string())
        .expect("Cargo.toml has a version");
    let changelog = read(&repo_path("CHANGELOG.md")).expect("CHANGELOG.md");
    let heading = Regex::new(r"(?m)^## \[?([0-9]+\.[0-9]+\.[0-9]+)\]?(.*)$").expect("regex");
    let entries: Vec<(String, bool)> = heading
        .captures_iter(&changelog)
        .map(|c| (c[1].to_string(), c[2].contains("unreleased")))
        .collect();
    assert!(
        !changelog.contains("## Unreleased"),
        "unreleased work goes under the version it will ship in"
    );
    assert_eq!(
        entries.first().map(|e| e.0.as_str()),
        Some(version.as_str()),
        "the newest entry is Cargo.toml's version"
    );
    let out = std::process::Command::new("git")
        .args(["tag", "--list", "v*"])
        .current_dir(support::repo_root())
        .output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        support::skip("install git (the tags are read with git tag)");
        return;
    };
    let tags: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    for (v, unreleased) in &entries {
        let tagged = tags.contains(&format!("v{v}"));
        assert_eq!(
            !tagged, *unreleased,
            "CHANGELOG.md's {v}: tagged {tagged}, marked unreleased {unreleased}"
        );
    }
    for tag in &tags {
        assert!(
            entries.iter().any(|(v, _)| format!("v{v}") == *tag),
            "tag {tag} has no CHANGELOG.md entry"
        );
    }
}
