//! The release as users install it: `scripts/release.sh` (what `make release` runs) packages the
//! provider binary the tests were built with, and the real Terraform CLI installs it from a
//! filesystem mirror, with no `dev_overrides` and no network, locks it and plans a copy with it.
//! `make install`'s implied local mirror is checked the same way.

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::Tf;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const REGION: &str = "us-east-1";
/// Any attempt to reach the registry (or anything else over HTTP) fails at once through this.
const NO_NETWORK: [(&str, &str); 2] = [
    ("HTTPS_PROXY", "http://127.0.0.1:9"),
    ("HTTP_PROXY", "http://127.0.0.1:9"),
];

fn zip_name() -> String {
    format!("terraform-provider-aws_{VERSION}_linux_amd64.zip")
}

fn binary() -> PathBuf {
    support::provider_dir().join("terraform-provider-aws")
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `scripts/release.sh VERSION` into `dist`, packaging the tests' provider binary.
fn release(dist: &Path, version: &str) -> (bool, String) {
    release_binary(dist, version, &binary())
}

fn release_binary(dist: &Path, version: &str, binary: &Path) -> (bool, String) {
    run(
        Command::new(support::repo_root().join("scripts/release.sh"))
            .arg(version)
            .env("DIST", dist)
            .env("PROVIDER_BINARY", binary)
            .env_remove("RELEASE_TARGETS")
            .env_remove("GPG_FINGERPRINT"),
    )
}

fn released(dist: &Path) {
    let (ok, text) = release(dist, VERSION);
    assert!(ok, "scripts/release.sh {VERSION} failed:\n{text}");
}

fn sha256_hex(input: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sha256sum");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("feed sha256sum");
    let out = child.wait_with_output().expect("sha256sum output");
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

/// The `zh:` hash of the zip as the release's SHA256SUMS states it.
fn zh_from_sums(dist: &Path) -> String {
    let sums =
        std::fs::read_to_string(dist.join(format!("terraform-provider-aws_{VERSION}_SHA256SUMS")))
            .expect("SHA256SUMS");
    let line = sums
        .lines()
        .find(|l| l.ends_with(&zip_name()))
        .unwrap_or_else(|| panic!("no {} in SHA256SUMS:\n{sums}", zip_name()));
    format!("zh:{}", &line[..64])
}

/// Terraform's `h1:` hash of an unpacked provider holding only `file` (go's dirhash "Hash1":
/// the SHA-256 of "<sha256 hex>  <name>\n" lines, base64), computed here independently.
fn h1_of_single_file(file: &Path, name: &str) -> String {
    use base64::Engine;
    let bytes = std::fs::read(file).expect("read binary");
    let summary = format!("{}  {name}\n", sha256_hex(&bytes));
    let hex = sha256_hex(summary.as_bytes());
    let raw: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex digest"))
        .collect();
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// The hashes recorded for amicopy/aws in the working directory's lock file.
fn locked_hashes(tf: &Tf) -> Vec<String> {
    let lock = std::fs::read_to_string(tf.path().join(".terraform.lock.hcl"))
        .expect("terraform init writes .terraform.lock.hcl");
    assert!(
        lock.contains("provider \"registry.terraform.io/amicopy/aws\"")
            && lock.contains(&format!("version = \"{VERSION}\"")),
        "{lock}"
    );
    let mut hashes: Vec<String> = lock
        .split('"')
        .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
        .map(str::to_string)
        .collect();
    hashes.sort();
    hashes
}

fn init(tf: &Tf) -> support::Run {
    tf.run_env(&["init", "-input=false", "-no-color"], &NO_NETWORK)
}

#[test]
fn version_flag_and_startup_log_give_the_crate_version() {
    let (ok, text) = run(Command::new(binary())
        .arg("--version")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE"));
    assert!(ok, "{text}");
    assert_eq!(text.trim(), format!("terraform-provider-aws {VERSION}"));

    // Launched as Terraform does (plain TCP is enough here), at INFO: the first log line names
    // the release, before the handshake line goes out.
    let mut child = Command::new(binary())
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            tfplugin::handshake::MAGIC_COOKIE_VALUE,
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("TF_LOG_PROVIDER", "INFO")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("handshake line");
    child.kill().expect("stop the provider");
    let out = child.wait_with_output().expect("provider output");
    assert!(line.starts_with("1|6|tcp|127.0.0.1:"), "{line}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first: serde_json::Value = serde_json::from_str(stderr.lines().next().unwrap_or(""))
        .unwrap_or_else(|e| panic!("first log line is not JSON ({e}):\n{stderr}"));
    assert_eq!(first["version"], VERSION, "{stderr}");
    assert_eq!(first["@level"], "info", "{stderr}");
}

#[test]
fn release_has_the_registry_layout() {
    let dist = tempfile::tempdir().expect("temp dir");
    released(dist.path());
    let prefix = format!("terraform-provider-aws_{VERSION}");
    let mut files: Vec<String> = std::fs::read_dir(dist.path())
        .expect("dist")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            format!("{prefix}_SHA256SUMS"),
            zip_name(),
            format!("{prefix}_manifest.json"),
        ]
    );

    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dist.path().join(format!("{prefix}_manifest.json")))
            .expect("manifest"),
    )
    .expect("manifest is JSON");
    assert_eq!(
        manifest,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );

    // The zip holds one executable, named as the registry expects.
    let (ok, listing) = run(Command::new("unzip")
        .arg("-Z")
        .arg(dist.path().join(zip_name())));
    assert!(ok, "{listing}");
    let entries: Vec<&str> = listing.lines().filter(|l| l.starts_with('-')).collect();
    assert_eq!(entries.len(), 1, "{listing}");
    assert!(entries[0].starts_with("-rwxr-xr-x"), "{listing}");
    assert!(
        entries[0].ends_with(&format!(" terraform-provider-aws_v{VERSION}")),
        "{listing}"
    );

    // SHA256SUMS lists the zip and the manifest with their real digests.
    let (ok, check) = run(Command::new("sha256sum")
        .args(["--check", "--strict", &format!("{prefix}_SHA256SUMS")])
        .current_dir(dist.path()));
    assert!(ok, "{check}");
    assert_eq!(
        check.lines().filter(|l| l.ends_with(": OK")).count(),
        2,
        "{check}"
    );

    // No release without a changelog entry, and never a malformed version.
    let (ok, text) = release(dist.path(), "99.0.0");
    assert!(
        !ok && text.contains("CHANGELOG.md has no '## 99.0.0' entry"),
        "{text}"
    );
    let (ok, text) = release(dist.path(), &format!("v{VERSION}"));
    assert!(!ok && text.contains("semantic version"), "{text}");
    // Nor a binary of another version: the release is the crate version the binary reports.
    let other = dist.path().join("other-build");
    std::fs::write(&other, "#!/bin/sh\necho terraform-provider-aws 99.0.0\n").expect("script");
    let (ok, text) = run(Command::new("chmod").arg("+x").arg(&other));
    assert!(ok, "{text}");
    let (ok, text) = release_binary(dist.path(), VERSION, &other);
    assert!(
        !ok && text.contains("reports 'terraform-provider-aws 99.0.0'"),
        "{text}"
    );
    // A refused release leaves the previous one in place.
    assert!(dist.path().join(zip_name()).is_file());
}

#[test]
fn filesystem_mirror_installs_locks_verifies_and_plans() {
    let tf = Tf::new("release_mirror");
    let dist = tempfile::tempdir().expect("temp dir");
    released(dist.path());
    // The packed layout of a filesystem mirror: HOST/NAMESPACE/TYPE/<the release zip>.
    let mirror = tf.path().join("mirror");
    let provider_dir = mirror.join("registry.terraform.io/amicopy/aws");
    std::fs::create_dir_all(&provider_dir).expect("mirror dir");
    std::fs::copy(dist.path().join(zip_name()), provider_dir.join(zip_name())).expect("copy zip");
    std::fs::write(
        tf.path().join("cli.tfrc"),
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("cli config");

    let source = tf.make_source_ami(REGION, "tfacc-release-mirror-source");
    tf.write(&tf.copy_config(REGION, "tfacc-release-mirror", &source, ""));
    // A mirror alone cannot vouch for a zip's checksum: teams lock the registry's published
    // `zh:` hashes (what SHA256SUMS holds) and init checks the mirror's zip against them.
    let zh = zh_from_sums(dist.path());
    std::fs::write(
        tf.path().join(".terraform.lock.hcl"),
        format!(
            "provider \"registry.terraform.io/amicopy/aws\" {{\n  version = \"{VERSION}\"\n  hashes = [\n    \"{zh}\",\n  ]\n}}\n"
        ),
    )
    .expect("lock file");

    let r = init(&tf);
    assert_eq!(r.code, 0, "init from the mirror failed:\n{}", r.text());
    assert!(
        r.stdout
            .contains(&format!("Installed amicopy/aws v{VERSION}")),
        "{}",
        r.text()
    );
    let h1 = h1_of_single_file(&binary(), &format!("terraform-provider-aws_v{VERSION}"));
    let mut expected = vec![h1.clone(), zh.clone()];
    expected.sort();
    assert_eq!(
        locked_hashes(&tf),
        expected,
        "the lock keeps zh: and adds h1:"
    );

    // A second init, from scratch, installs the same package again and checks it against the
    // lock: nothing changes.
    std::fs::remove_dir_all(tf.path().join(".terraform")).expect("remove .terraform");
    let r = init(&tf);
    assert_eq!(r.code, 0, "second init failed:\n{}", r.text());
    assert_eq!(locked_hashes(&tf), expected);

    // The provider installed from the mirror plans a copy against the emulator.
    let r = tf.plan_code();
    assert_eq!(r.code, 2, "expected a plan with changes:\n{}", r.text());
    assert!(
        r.stdout.contains("aws_ami_copy.test will be created"),
        "{}",
        r.text()
    );
    assert!(r.stdout.contains("Plan: 1 to add"), "{}", r.text());
    assert!(
        !r.text().contains("development overrides"),
        "the mirror's provider must be used, not a dev override:\n{}",
        r.text()
    );

    // The check is real: a zip that matches none of the locked hashes is refused.
    let lock_path = tf.path().join(".terraform.lock.hcl");
    let lock = std::fs::read_to_string(&lock_path).expect("lock file");
    let wrong = format!("zh:{}", "0".repeat(64));
    let tampered: String = lock
        .lines()
        .filter(|l| !l.contains("\"h1:"))
        .map(|l| l.replace(&zh, &wrong) + "\n")
        .collect();
    std::fs::write(&lock_path, tampered).expect("tampered lock");
    std::fs::remove_dir_all(tf.path().join(".terraform")).expect("remove .terraform");
    let r = init(&tf);
    assert_ne!(r.code, 0, "init accepted a zip the lock does not match");
    assert!(
        r.flat().contains("doesn't match any of the checksums"),
        "{}",
        r.text()
    );
}

#[test]
fn make_install_fills_the_implied_local_mirror() {
    let tf = Tf::new("release_install");
    let home = tf.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    // `make install` without rebuilding: the recipe that copies the binary is what is checked.
    let (ok, text) = run(Command::new("make")
        .args(["-s", "-o", "build-release", "install"])
        .arg(format!("HOME={}", home.display()))
        .arg(format!("INSTALL_BINARY={}", binary().display()))
        .env_remove("MAKEFLAGS")
        .env_remove("MAKELEVEL")
        // The Makefile must find the version in Cargo.toml by itself.
        .env_remove("VERSION")
        .current_dir(support::repo_root()));
    assert!(ok, "make install failed:\n{text}");
    let installed = home.join(format!(
        ".terraform.d/plugins/registry.terraform.io/amicopy/aws/{VERSION}/linux_amd64/terraform-provider-aws_v{VERSION}"
    ));
    assert!(installed.is_file(), "{} missing", installed.display());

    // No provider_installation at all: Terraform finds it in the implied local mirror.
    std::fs::write(tf.path().join("cli.tfrc"), "").expect("empty cli config");
    tf.write("");
    let home = home.display().to_string();
    let mut env = NO_NETWORK.to_vec();
    env.push(("HOME", &home));
    let r = tf.run_env(&["init", "-input=false", "-no-color"], &env);
    assert_eq!(
        r.code,
        0,
        "init from the implied mirror failed:\n{}",
        r.text()
    );
    assert_eq!(
        locked_hashes(&tf),
        [h1_of_single_file(
            &installed,
            &format!("terraform-provider-aws_v{VERSION}")
        )]
    );
}
