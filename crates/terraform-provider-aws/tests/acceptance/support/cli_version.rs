//! The Terraform release under test, for features older CLIs lack: a test that needs a newer
//! release records a `skipped:` line (see `skip`) and returns (a version gate), so `make
//! test-matrix` can run old releases and count the gated tests as skipped, not passed.

use super::paths::terraform_bin;
use std::process::Command;
use std::sync::OnceLock;

/// A Terraform release number, ordered.
pub type Version = (u32, u32, u32);

/// The version of the Terraform CLI the tests run (`terraform version -json`), read once.
pub fn terraform_version() -> Version {
    static VERSION: OnceLock<Version> = OnceLock::new();
    *VERSION.get_or_init(|| {
        let out = Command::new(terraform_bin())
            .args(["version", "-json"])
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .output()
            .expect("run terraform version");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "terraform version -json ({e}):\n{}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        let text = json["terraform_version"].as_str().unwrap_or_default();
        parse_version(text).unwrap_or_else(|| panic!("unexpected Terraform version {text:?}"))
    })
}

/// `1.6.6` or `1.11.0-beta1` → (1, 6, 6) / (1, 11, 0).
pub fn parse_version(text: &str) -> Option<Version> {
    let core = text.trim_start_matches('v').split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

/// Whether the CLI has `feature`, which arrived in Terraform `min`; records the test as skipped
/// when not. Use as `if !cli_has((1, 7, 0), "removed blocks") { return; }`.
pub fn cli_has(min: Version, feature: &str) -> bool {
    let v = terraform_version();
    if v >= min {
        return true;
    }
    super::skip(&format!(
        "version gate: {feature} need Terraform >= {}.{}.{}, this is {}.{}.{}",
        min.0, min.1, min.2, v.0, v.1, v.2
    ));
    false
}

#[test]
fn versions_parse_and_order() {
    assert_eq!(parse_version("1.6.6"), Some((1, 6, 6)));
    assert_eq!(parse_version("v1.11.0-beta1"), Some((1, 11, 0)));
    assert_eq!(parse_version("1.15.5+abc"), Some((1, 15, 5)));
    assert_eq!(parse_version("x"), None);
    assert!(parse_version("1.10.0") > parse_version("1.9.8"));
}
