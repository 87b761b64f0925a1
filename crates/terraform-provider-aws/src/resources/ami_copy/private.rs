//! The resource's private data: the CopyImage idempotency token, made at plan time so that a
//! retried or re-sent apply of the same plan never starts a second copy, and when a refresh first
//! kept a pending copy that EC2 did not list (see `read`). An earlier release also kept the first
//! CopyImage attempt's time here for a copy whose outcome was unknown; such states are still
//! read (`create::recorded`), but the record of a copy's requests now lives in the state
//! (`copy_attempts`), which survives taint and replacement where private data does not.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh CopyImage idempotency token (EC2 allows up to 64 ASCII characters). Random, so that a
/// later copy with the same arguments (after a destroy) is a new copy, not the old one's id.
pub fn new_client_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::from("tf-amicopy-");
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.write_u32(std::process::id());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// The planned private data of a create: the token travels from plan to apply in it.
pub fn with_client_token(token: &str) -> Vec<u8> {
    serde_json::json!({ "client_token": token })
        .to_string()
        .into_bytes()
}

/// The token a plan stored, if any.
pub fn client_token(private: &[u8]) -> Option<String> {
    let j: serde_json::Value = serde_json::from_slice(private).ok()?;
    j.get("client_token")?.as_str().map(str::to_string)
}

/// The private data as a JSON object (empty when there is none or it is not an object).
fn fields(private: &[u8]) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::from_slice(private) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

const FIRST_ATTEMPT: &str = "first_copy_attempt_ms";

/// When this instance first sent CopyImage (Unix milliseconds, this machine's clock), as an
/// earlier release recorded it for a copy whose outcome was unknown.
pub fn first_attempt(private: &[u8]) -> Option<time::OffsetDateTime> {
    let ms = fields(private).get(FIRST_ATTEMPT)?.as_i64()?;
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

/// `private` recording the first CopyImage attempt at `at` (the token is kept), as an earlier
/// release wrote it.
#[cfg(test)]
pub fn with_first_attempt(private: &[u8], at: time::OffsetDateTime) -> Vec<u8> {
    let mut m = fields(private);
    let ms = i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    m.insert(FIRST_ATTEMPT.to_string(), ms.into());
    serde_json::Value::Object(m).to_string().into_bytes()
}

const UNLISTED_SINCE: &str = "unlisted_since";

/// When (Unix seconds) a refresh first found this pending copy unlisted, if one did.
pub fn unlisted_since(private: &[u8]) -> Option<i64> {
    fields(private).get(UNLISTED_SINCE)?.as_i64()
}

/// `private` recording that a refresh found the copy unlisted at `unix_secs`.
pub fn with_unlisted_since(private: &[u8], unix_secs: i64) -> Vec<u8> {
    let mut m = fields(private);
    m.insert(UNLISTED_SINCE.to_string(), unix_secs.into());
    serde_json::Value::Object(m).to_string().into_bytes()
}

/// `private` without that record; unchanged (byte for byte) when it has none.
pub fn without_unlisted(private: &[u8]) -> Vec<u8> {
    let mut m = fields(private);
    if m.remove(UNLISTED_SINCE).is_none() {
        return private.to_vec();
    }
    serde_json::Value::Object(m).to_string().into_bytes()
}

const UEFI_READ: &str = "uefi_read";

/// Whether the copy's UEFI data has been read: EC2 fixes it at registration, so once read (or
/// ruled out by the boot mode) it is kept from the state, never asked again.
pub fn uefi_read(private: &[u8]) -> bool {
    fields(private).get(UEFI_READ).and_then(|v| v.as_bool()) == Some(true)
}

/// `private` recording that the UEFI data has been read (unchanged when it already says so).
pub fn with_uefi_read(private: &[u8]) -> Vec<u8> {
    if uefi_read(private) {
        return private.to_vec();
    }
    let mut m = fields(private);
    m.insert(UEFI_READ.to_string(), true.into());
    serde_json::Value::Object(m).to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_fresh_and_fit_ec2() {
        let a = new_client_token();
        let b = new_client_token();
        assert_ne!(a, b);
        assert!(a.len() <= 64 && a.is_ascii());
        assert_eq!(client_token(&with_client_token(&a)), Some(a));
        assert_eq!(client_token(b"junk"), None);
    }

    #[test]
    fn first_attempt_travels_with_the_token() {
        let p = with_client_token("tok");
        assert_eq!(first_attempt(&p), None);
        let at = time::macros::datetime!(2026-12-06 10:00:00.123 UTC);
        let p = with_first_attempt(&p, at);
        assert_eq!(first_attempt(&p), Some(at));
        assert_eq!(client_token(&p).as_deref(), Some("tok"));
        assert_eq!(first_attempt(&with_unlisted_since(&p, 5)), Some(at));
    }

    #[test]
    fn unlisted_mark_keeps_the_token() {
        let p = with_client_token("tok");
        assert_eq!(unlisted_since(&p), None);
        assert_eq!(without_unlisted(&p), p, "no mark: bytes unchanged");
        let marked = with_unlisted_since(&p, 1_700_000_000);
        assert_eq!(unlisted_since(&marked), Some(1_700_000_000));
        assert_eq!(client_token(&marked).as_deref(), Some("tok"));
        let cleared = without_unlisted(&marked);
        assert_eq!(unlisted_since(&cleared), None);
        assert_eq!(client_token(&cleared).as_deref(), Some("tok"));
        // No private data at all (an imported copy): the mark alone.
        assert_eq!(unlisted_since(&with_unlisted_since(b"", 5)), Some(5));
    }

    #[test]
    fn the_uefi_mark_keeps_the_rest() {
        assert!(!uefi_read(b""));
        let p = with_uefi_read(&with_client_token("tok"));
        assert!(uefi_read(&p));
        assert_eq!(client_token(&p).as_deref(), Some("tok"));
        assert_eq!(with_uefi_read(&p), p, "already marked: bytes unchanged");
        assert!(uefi_read(&without_unlisted(&with_unlisted_since(&p, 5))));
    }
}
