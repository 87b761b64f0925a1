//! The image states after which EC2 will not finish a copy. The waiter stops on them and the
//! resource plans a replacement for them, so both read this one rule.

use aws_sdk_ec2::types::ImageState;

/// True for `failed`, `error` and `invalid`: EC2 gave up on the image.
pub fn is_failure(state: &ImageState) -> bool {
    matches!(
        state,
        ImageState::Failed | ImageState::Error | ImageState::Invalid
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_states() {
        for s in ["failed", "error", "invalid"] {
            assert!(is_failure(&ImageState::from(s)), "{s}");
        }
        for s in ["available", "pending", "deregistered", "transient"] {
            assert!(!is_failure(&ImageState::from(s)), "{s}");
        }
    }
}
