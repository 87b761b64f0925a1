//! The release as users install it: `scripts/release.sh` (what `make release` runs) packages the
//! provider binary the tests were built with, and the real Terraform CLI installs it from a
//! filesystem mirror, with no `dev_overrides` and no network, locks it and plans a copy with it.
//! `make install`'s implied local mirror is checked the same way, and so is `make mirror`'s
//! network mirror, served over HTTPS with a throwaway CA. The release covers the five platforms
//! (the four this machine cannot build are stood in for by placeholder files) and is signed
//! with a throwaway GPG key that `gpg --verify` then checks. A machine without `zip`, `unzip` or
//! `gpg` (a laptop where `make system-tools` could not install them) skips the tests that need
//! them with a `skipped: install X` line, counted as skipped in `make test`'s summary.

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

/// This machine's Terraform platform, as scripts/release.sh and `make install` name it.
fn host_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os}_{arch}")
}

fn zip_for(platform: &str) -> String {
    format!("terraform-provider-aws_{VERSION}_{platform}.zip")
}

fn zip_name() -> String {
    zip_for(&host_platform())
}

/// The five platforms a release covers.
const PLATFORMS: [&str; 5] = [
    "darwin_amd64",
    "darwin_arm64",
    "linux_amd64",
    "linux_arm64",
    "windows_amd64",
];

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
    run(release_command(dist, version).env("PROVIDER_BINARY", binary))
}

/// scripts/release.sh VERSION into `dist`, with nothing from the caller's environment that
/// would change what it packages or signs.
fn release_command(dist: &Path, version: &str) -> Command {
    let mut cmd = Command::new(support::repo_root().join("scripts/release.sh"));
    cmd.arg(version)
        .env("DIST", dist)
        .env_remove("PROVIDER_BINARY")
        .env_remove("PROVIDER_BINARIES")
        .env_remove("RELEASE_TARGETS")
        .env_remove("GPG_FINGERPRINT");
    cmd
}

/// The files in a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// The names of the files in a zip (`unzip -Z1`).
fn zip_entries(zip: &Path) -> Vec<String> {
    let (ok, text) = run(Command::new("unzip").arg("-Z1").arg(zip));
    assert!(ok, "unzip -Z1 {}: {text}", zip.display());
    text.lines().map(str::to_string).collect()
}

fn released(dist: &Path) {
    let (ok, text) = release(dist, VERSION);
    assert!(ok, "scripts/release.sh {VERSION} failed:\n{text}");
}

/// `sha256sum`, or `shasum -a 256` where there is none (macOS): both take `--check --strict`.
fn sha256_tool() -> Command {
    if support::has_tool("sha256sum") {
        return Command::new("sha256sum");
    }
    let mut cmd = Command::new("shasum");
    cmd.args(["-a", "256"]);
    cmd
}

fn sha256_hex(input: &[u8]) -> String {
    use std::io::Write;
    let mut child = sha256_tool()
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
    if !support::tools_present(&["zip", "unzip"]) {
        return;
    }
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
    let (ok, check) = run(sha256_tool()
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
    if !support::tools_present(&["zip"]) {
        return;
    }
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
        ".terraform.d/plugins/registry.terraform.io/amicopy/aws/{VERSION}/{}/terraform-provider-aws_v{VERSION}",
        host_platform()
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
    assert!(
        r.stdout
            .contains(&format!("Installed amicopy/aws v{VERSION}")),
        "{}",
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

#[test]
fn release_packages_the_five_platforms_and_windows_gets_the_exe() {
    if !support::tools_present(&["zip", "unzip"]) {
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let dist = work.path().join("dist");
    // The binaries the release workflow's per-platform jobs hand over: this machine's real one,
    // and placeholder files for the platforms it cannot build (each with its own content).
    let host = host_platform();
    let mut pairs = vec![];
    for platform in PLATFORMS {
        let path = if platform == host {
            binary()
        } else {
            let p = work.path().join(format!("bin-{platform}"));
            std::fs::write(&p, format!("placeholder for {platform}\n")).expect("placeholder");
            p
        };
        pairs.push(format!("{platform}={}", path.display()));
    }
    let binaries = pairs.join(" ");
    let release =
        |dist: &Path| run(release_command(dist, VERSION).env("PROVIDER_BINARIES", &binaries));
    let (ok, text) = release(&dist);
    assert!(ok, "release of five platforms failed:\n{text}");

    let prefix = format!("terraform-provider-aws_{VERSION}");
    let mut expected: Vec<String> = PLATFORMS.iter().map(|p| zip_for(p)).collect();
    expected.push(format!("{prefix}_SHA256SUMS"));
    expected.push(format!("{prefix}_manifest.json"));
    expected.sort();
    assert_eq!(listing(&dist), expected);

    for platform in PLATFORMS {
        let zip = dist.join(zip_for(platform));
        let exe = if platform.starts_with("windows_") {
            format!("terraform-provider-aws_v{VERSION}.exe")
        } else {
            format!("terraform-provider-aws_v{VERSION}")
        };
        assert_eq!(zip_entries(&zip), [exe.as_str()], "{platform}");
        // The archive holds that platform's binary, byte for byte.
        let out = Command::new("unzip")
            .arg("-p")
            .arg(&zip)
            .arg(&exe)
            .output()
            .expect("unzip -p");
        let source = if platform == host {
            binary()
        } else {
            work.path().join(format!("bin-{platform}"))
        };
        assert!(
            out.stdout == std::fs::read(&source).expect("read binary"),
            "{platform}: the zip does not hold {}",
            source.display()
        );
    }
    let (ok, check) = run(sha256_tool()
        .args(["--check", "--strict", &format!("{prefix}_SHA256SUMS")])
        .current_dir(&dist));
    assert!(ok, "{check}");
    assert_eq!(check.lines().filter(|l| l.ends_with(": OK")).count(), 6);

    // The same binaries give the same archives (fixed UTC timestamps), so the checksums agree.
    let again = work.path().join("again");
    let (ok, text) = release(&again);
    assert!(ok, "{text}");
    let sums = |d: &Path| std::fs::read_to_string(d.join(format!("{prefix}_SHA256SUMS")));
    assert_eq!(sums(&dist).expect("sums"), sums(&again).expect("sums"));

    // Only Terraform's platforms are packaged, under their own names.
    let (ok, text) = run(release_command(&again, VERSION).env(
        "PROVIDER_BINARIES",
        format!("freebsd_amd64={}", binary().display()),
    ));
    assert!(
        !ok && text.contains("unknown platform 'freebsd_amd64'"),
        "{text}"
    );
}

/// gpg with its own home, so the test never touches the user's keyring.
fn gpg(home: &Path) -> Command {
    let mut cmd = Command::new("gpg");
    cmd.env("GNUPGHOME", home).arg("--batch");
    cmd
}

#[test]
fn release_is_signed_and_the_signature_verifies() {
    if !support::tools_present(&["zip", "gpg"]) {
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let home = work.path().join("gnupg");
    std::fs::create_dir(&home).expect("gnupg home");
    let (ok, text) = run(Command::new("chmod").arg("700").arg(&home));
    assert!(ok, "{text}");
    // A throwaway signing key, made here, without a passphrase.
    let (ok, text) = run(gpg(&home).args([
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
        "--quick-gen-key",
        "amicopy release test <release-test@amicopy.invalid>",
        "ed25519",
        "sign",
        "1d",
    ]));
    assert!(ok, "gpg --quick-gen-key failed:\n{text}");
    let (ok, keys) = run(gpg(&home).args(["--with-colons", "--list-secret-keys"]));
    assert!(ok, "{keys}");
    let fingerprint = keys
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|rest| rest.trim_matches(':').to_string())
        .unwrap_or_else(|| panic!("no fingerprint in:\n{keys}"));

    let dist = work.path().join("dist");
    let (ok, text) = run(release_command(&dist, VERSION)
        .env("PROVIDER_BINARY", binary())
        .env("GPG_FINGERPRINT", &fingerprint)
        .env("GNUPGHOME", &home));
    let stop_agent = || {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", &home)
            .args(["--kill", "gpg-agent"])
            .output();
    };
    if !ok {
        stop_agent();
        panic!("signed release failed:\n{text}");
    }
    let sums = dist.join(format!("terraform-provider-aws_{VERSION}_SHA256SUMS"));
    let sig = dist.join(format!("terraform-provider-aws_{VERSION}_SHA256SUMS.sig"));
    let signature = std::fs::read(&sig).expect("the release has a .sig");
    // A binary detached signature (an OpenPGP packet, not ASCII armour), as the registry wants.
    assert!(
        signature.first().is_some_and(|b| b & 0x80 != 0),
        "not a binary OpenPGP signature"
    );

    let (ok, verify) = run(gpg(&home).arg("--verify").arg(&sig).arg(&sums));
    let good = ok && verify.contains("Good signature");
    // The check is real: the same signature over other checksums fails.
    let tampered = work.path().join("tampered_SHA256SUMS");
    let mut other = std::fs::read(&sums).expect("sums");
    other.extend_from_slice(b"0000  smuggled.zip\n");
    std::fs::write(&tampered, other).expect("tampered sums");
    let (bad_ok, bad) = run(gpg(&home).arg("--verify").arg(&sig).arg(&tampered));
    stop_agent();
    assert!(good, "gpg --verify failed:\n{verify}");
    assert!(!bad_ok && bad.contains("BAD signature"), "{bad}");
}

/// A throwaway CA and a certificate for 127.0.0.1 it signed: (CA PEM, server PEM, server key PEM).
fn throwaway_ca_and_server_cert() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "amicopy test mirror CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let server = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("server params")
        .signed_by(&server_key, &issuer)
        .expect("server certificate");
    (ca_cert.pem(), server.pem(), server_key.serialize_pem())
}

/// A static HTTPS server over one folder on 127.0.0.1 (Python's http.server with TLS), its
/// request log kept; stopped when dropped.
struct HttpsServer {
    child: std::process::Child,
    port: u16,
    log: std::path::PathBuf,
}

impl HttpsServer {
    fn start(dir: &Path, cert: &Path, key: &Path, log: &Path) -> HttpsServer {
        const SERVER: &str = r#"
import functools, http.server, ssl, sys
folder, cert, key = sys.argv[1:4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=folder)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
        let python = support::repo_root().join(".tools/venv/bin/python");
        let mut child = Command::new(&python)
            .arg("-c")
            .arg(SERVER)
            .arg(dir)
            .arg(cert)
            .arg(key)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).expect("server log"))
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", python.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server's port");
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the HTTPS server did not start: {line:?}")
        });
        HttpsServer {
            child,
            port,
            log: log.to_path_buf(),
        }
    }

    /// The request lines served so far (`GET /path HTTP/1.1" 200`).
    fn requests(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn network_mirror_from_make_mirror_installs_over_https() {
    if !support::tools_present(&["zip"]) {
        return;
    }
    let tf = Tf::new("release_network_mirror");
    let dist = tempfile::tempdir().expect("temp dir");
    released(dist.path());
    let mirror = tf.path().join("netmirror");
    let (ok, text) = run(Command::new("make")
        .args(["-s", "mirror"])
        .arg(format!("DIR={}", mirror.display()))
        .env("DIST", dist.path())
        .env_remove("MAKEFLAGS")
        .env_remove("MAKELEVEL")
        .env_remove("VERSION")
        .current_dir(support::repo_root()));
    assert!(ok, "make mirror failed:\n{text}");

    // The layout of the provider network mirror protocol, with the release's own zh: hashes.
    let provider_dir = mirror.join("registry.terraform.io/amicopy/aws");
    let read_json = |name: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(provider_dir.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} ({e}):\n{text}"))
    };
    assert_eq!(
        read_json("index.json"),
        serde_json::json!({"versions": {VERSION: {}}})
    );
    let zh = zh_from_sums(dist.path());
    assert_eq!(
        read_json(&format!("{VERSION}.json")),
        serde_json::json!({"archives": {host_platform(): {"url": zip_name(), "hashes": [zh]}}})
    );
    assert!(provider_dir.join(zip_name()).is_file());

    let (ca, cert, key) = throwaway_ca_and_server_cert();
    let ca_file = tf.path().join("mirror-ca.pem");
    std::fs::write(&ca_file, ca).expect("CA file");
    std::fs::write(tf.path().join("mirror.pem"), cert).expect("cert");
    std::fs::write(tf.path().join("mirror.key"), key).expect("key");
    let server = HttpsServer::start(
        &mirror,
        &tf.path().join("mirror.pem"),
        &tf.path().join("mirror.key"),
        &tf.path().join("mirror.log"),
    );
    // Only amicopy/* from the mirror; anything else (hashicorp/aws beside it) from its registry.
    std::fs::write(
        tf.path().join("cli.tfrc"),
        format!(
            "provider_installation {{\n  network_mirror {{\n    url     = \"https://127.0.0.1:{}/\"\n    include = [\"registry.terraform.io/amicopy/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/amicopy/*\"]\n  }}\n}}\n",
            server.port
        ),
    )
    .expect("cli config");
    let source = tf.make_source_ami(REGION, "tfacc-network-mirror-source");
    tf.write(&tf.copy_config(REGION, "tfacc-network-mirror", &source, ""));

    // Without the CA, the mirror's certificate is refused: the connection really is HTTPS.
    let r = init(&tf);
    assert_ne!(r.code, 0, "init trusted an unknown CA:\n{}", r.text());
    assert!(
        r.flat().contains("certificate signed by unknown authority"),
        "{}",
        r.text()
    );

    let ca_path = ca_file.display().to_string();
    let mut env = NO_NETWORK.to_vec();
    env.push(("SSL_CERT_FILE", &ca_path));
    let r = tf.run_env(&["init", "-input=false", "-no-color"], &env);
    eprintln!("terraform init through network_mirror:\n{}", r.stdout);
    assert_eq!(
        r.code,
        0,
        "init from the network mirror failed:\n{}",
        r.text()
    );
    // "verified checksum": the zip was checked against the mirror's zh: hash.
    assert!(
        r.stdout.contains(&format!(
            "Installed amicopy/aws v{VERSION} (verified checksum)"
        )),
        "{}",
        r.text()
    );
    let served = server.requests();
    for path in [
        "/registry.terraform.io/amicopy/aws/index.json".to_string(),
        format!("/registry.terraform.io/amicopy/aws/{VERSION}.json"),
        format!("/registry.terraform.io/amicopy/aws/{}", zip_name()),
    ] {
        assert!(
            served.contains(&format!("GET {path} ")),
            "{path} not fetched:\n{served}"
        );
    }
    let hashes = locked_hashes(&tf);
    let h1 = h1_of_single_file(&binary(), &format!("terraform-provider-aws_v{VERSION}"));
    assert!(hashes.contains(&h1), "{hashes:?}");

    // A zip in the mirror that does not match its zh: hash is refused.
    std::fs::write(provider_dir.join(zip_name()), b"not the released zip").expect("tamper");
    std::fs::remove_dir_all(tf.path().join(".terraform")).expect("remove .terraform");
    std::fs::remove_file(tf.path().join(".terraform.lock.hcl")).expect("remove the lock");
    let r = tf.run_env(&["init", "-input=false", "-no-color"], &env);
    eprintln!("terraform init, tampered zip:\n{}", r.text());
    assert_ne!(
        r.code, 0,
        "init accepted a zip that does not match the mirror's hash"
    );
    assert!(
        r.flat()
            .contains(&format!("doesn't match the expected checksum \"{zh}\"")),
        "{}",
        r.text()
    );
}
