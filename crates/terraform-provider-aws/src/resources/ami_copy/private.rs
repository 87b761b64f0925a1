//! The resource's private data: the CopyImage idempotency token, made at plan time so that a
//! retried or re-sent apply of the same plan never starts a second copy.

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
}
