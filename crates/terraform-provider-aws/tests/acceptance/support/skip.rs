//! Tests that cannot run here say so instead of passing silently. A test that stops early (a
//! Terraform release without the feature, a system tool that is not installed) calls `skip`,
//! which writes one `skipped: REASON [TEST]` line straight to the process's stderr, past the
//! test harness's capture, so it shows in `make test`'s output even for a test that passed;
//! `scripts/test-summary.sh` (and `make test-matrix`) count those lines as skipped, not passed.
//! Tests that can never run in `make test` (real AWS) are `#[ignore]`d instead.

use std::io::Write;
use std::process::{Command, Stdio};

/// Records that the current test stops here for `reason`, e.g. `install zip`.
pub fn skip(reason: &str) {
    let current = std::thread::current();
    let test = current.name().unwrap_or("?");
    let line = format!("skipped: {reason} [{test}]\n");
    // Written to the file descriptor, not through `eprintln!`, which the harness captures.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Whether `tool` runs here (`tool --version` or `-v` succeeds).
pub fn has_tool(tool: &str) -> bool {
    ["--version", "-v"].iter().any(|flag| {
        Command::new(tool)
            .arg(flag)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Whether every one of `tools` is installed; if not, records a `skipped: install X` line for
/// the first one missing. Use as `if !tools_present(&["zip", "unzip"]) { return; }`.
pub fn tools_present(tools: &[&str]) -> bool {
    match tools.iter().find(|t| !has_tool(t)) {
        None => true,
        Some(missing) => {
            skip(&format!("install {missing}"));
            false
        }
    }
}
