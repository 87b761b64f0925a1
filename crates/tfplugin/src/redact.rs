//! Keeps secrets out of the provider's log, whatever a dependency chooses to print.
//!
//! Three tools, all free when Terraform asked for no log (nothing is installed then):
//! - [`register`] a secret the provider knows (a key, a token, an external id): every later log
//!   line has it replaced by [`MASK`], also where it appears escaped by `{:?}`, JSON or
//!   percent-encoding.
//! - [`sensitive`] returns a span for work that handles secrets the provider cannot know in
//!   advance (a credential chain reading profiles, caches and processes): inside it only
//!   warnings and errors are logged, and those are scrubbed too.
//! - [`quiet_module`] names a module whose events are logged only at WARN and ERROR, for
//!   libraries that print raw configuration at DEBUG or TRACE outside any such span.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;
use tracing::{Level, Metadata};

/// What a registered secret is replaced with.
pub const MASK: &str = "<redacted>";

/// The target and name of the span [`sensitive`] returns.
const SPAN_TARGET: &str = "tfplugin::redact";
const SPAN_NAME: &str = "sensitive";

/// Set once a logger is installed: before that, registering would only keep copies of secrets.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether any secret is registered, so scrubbing costs one atomic load until then.
static ANY_SECRET: AtomicBool = AtomicBool::new(false);
/// Every form of every secret, longest first so that a secret containing another is masked whole.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());
static ANY_QUIET: AtomicBool = AtomicBool::new(false);
static QUIET_MODULES: RwLock<Vec<&'static str>> = RwLock::new(Vec::new());

/// Called by the logger when it is installed.
pub(crate) fn activate() {
    ACTIVE.store(true, Ordering::Release);
}

/// Whether a log is being written (and so whether registering secrets does anything): lets a
/// caller skip the work of finding them otherwise.
pub fn enabled() -> bool {
    ACTIVE.load(Ordering::Acquire)
}

/// Masks `secret` in every log line written from now on. Empty strings are ignored; does
/// nothing when no log is being written. Registering the same value twice is harmless.
pub fn register(secret: &str) {
    if secret.is_empty() || !ACTIVE.load(Ordering::Acquire) {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for form in forms(secret) {
        if !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    ANY_SECRET.store(true, Ordering::Release);
}

/// The ways a secret reaches a log line: as is, inside `{:?}` output (once or nested), in JSON,
/// and percent-encoded in a form body or query string.
fn forms(secret: &str) -> Vec<String> {
    let debug = |s: &str| {
        let quoted = format!("{s:?}");
        quoted[1..quoted.len() - 1].to_string()
    };
    let json = serde_json::to_string(secret)
        .map(|q| q[1..q.len() - 1].to_string())
        .unwrap_or_default();
    let mut forms = vec![
        secret.to_string(),
        debug(secret),
        debug(&debug(secret)),
        json,
        percent_encoded(secret),
    ];
    forms.retain(|f| !f.is_empty());
    forms.dedup();
    forms
}

/// RFC 3986 encoding: every byte but the unreserved characters as `%XX`.
fn percent_encoded(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `text` with every registered secret replaced by [`MASK`].
pub fn scrub(text: &str) -> Cow<'_, str> {
    if !ANY_SECRET.load(Ordering::Acquire) {
        return Cow::Borrowed(text);
    }
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    out
}

/// A span for work that handles secrets: while it is entered, events below WARN are not logged
/// (whichever library emits them). Enter it around the future with `tracing::Instrument`.
pub fn sensitive() -> tracing::Span {
    tracing::span!(target: SPAN_TARGET, Level::INFO, SPAN_NAME)
}

pub(crate) fn is_sensitive_span(metadata: &Metadata<'_>) -> bool {
    metadata.target() == SPAN_TARGET && metadata.name() == SPAN_NAME
}

/// Logs events from `module` (a target such as `some_crate::config`, and its submodules) only at
/// WARN and ERROR.
pub fn quiet_module(module: &'static str) {
    let mut modules = QUIET_MODULES.write().unwrap_or_else(|e| e.into_inner());
    if !modules.contains(&module) {
        modules.push(module);
    }
    ANY_QUIET.store(true, Ordering::Release);
}

pub(crate) fn is_quiet(metadata: &Metadata<'_>) -> bool {
    if *metadata.level() <= Level::WARN || !ANY_QUIET.load(Ordering::Acquire) {
        return false;
    }
    let target = metadata.target();
    let modules = QUIET_MODULES.read().unwrap_or_else(|e| e.into_inner());
    modules.iter().any(|m| {
        target
            .strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_secret_is_masked() {
        activate();
        register("s3cret-\"json\"/key+=");
        register("");
        let raw = "key s3cret-\"json\"/key+= end";
        assert_eq!(scrub(raw), "key <redacted> end");
        let debugged = format!("{:?}", Some("s3cret-\"json\"/key+="));
        assert_eq!(scrub(&debugged), "Some(\"<redacted>\")");
        let nested = format!("{:?}", debugged);
        assert!(!scrub(&nested).contains("s3cret"), "{}", scrub(&nested));
        let form = "Action=X&Secret=s3cret-%22json%22%2Fkey%2B%3D&Next=1";
        assert_eq!(scrub(form), "Action=X&Secret=<redacted>&Next=1");
        assert_eq!(scrub("nothing here"), "nothing here");
        assert!(matches!(scrub("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_secret_containing_another_is_masked_whole() {
        activate();
        register("overlap-inner");
        register("overlap-inner-and-outer");
        assert_eq!(scrub("[overlap-inner-and-outer]"), "[<redacted>]");
        assert_eq!(scrub("[overlap-inner]"), "[<redacted>]");
    }
}
