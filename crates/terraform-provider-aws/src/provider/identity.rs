//! Who the credentials belong to: account id and partition from STS GetCallerIdentity, and the
//! allowed/forbidden account checks.

use tfplugin::{AttributePath, Diagnostic};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub account_id: Option<String>,
    pub partition: String,
}

/// The partition of an ARN (`arn:aws-cn:sts::...` → `aws-cn`).
pub fn partition_from_arn(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    match (parts.next(), parts.next()) {
        (Some("arn"), Some(p)) if !p.is_empty() => Some(p.to_string()),
        _ => None,
    }
}

/// The partition a region belongs to, for when STS is not asked.
pub fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("eusc-") {
        "aws-eusc"
    } else {
        "aws"
    }
}

/// Enforces `allowed_account_ids` / `forbidden_account_ids`.
pub fn check_account(
    account: Option<&str>,
    allowed: &[String],
    forbidden: &[String],
) -> Result<(), Diagnostic> {
    if !allowed.is_empty() {
        let Some(id) = account else {
            return Err(Diagnostic::error(
                "Account id unknown",
                "allowed_account_ids needs the caller's account id, but skip_requesting_account_id is set.",
            )
            .at(AttributePath::root("allowed_account_ids")));
        };
        if !allowed.iter().any(|a| a == id) {
            return Err(Diagnostic::error(
                "AWS account not allowed",
                format!(
                    "The credentials belong to account {id}, which is not in allowed_account_ids."
                ),
            )
            .at(AttributePath::root("allowed_account_ids")));
        }
    }
    if let Some(id) = account {
        if forbidden.iter().any(|f| f == id) {
            return Err(Diagnostic::error(
                "AWS account forbidden",
                format!(
                    "The credentials belong to account {id}, which is in forbidden_account_ids."
                ),
            )
            .at(AttributePath::root("forbidden_account_ids")));
        }
    }
    Ok(())
}

/// An error and its causes as one line of messages ("a: b: c"), without the Debug dump that
/// the SDK's `DisplayErrorContext` appends. A cause whose text its parent already shows is
/// skipped.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

/// Calls GetCallerIdentity. The error names the cause (no credentials, expired token, endpoint
/// unreachable...) but never credentials: the SDK's errors carry no secret.
pub async fn caller_identity(sts: &aws_sdk_sts::Client) -> Result<Identity, String> {
    let out = sts.get_caller_identity().send().await.map_err(|e| {
        let mut text = error_chain(&e);
        if text.contains("no credentials found in chain") {
            text.push_str(
                "\nGive the provider credentials: access_key/secret_key, profile (SSO, \
                     credential_process, role profiles), assume_role_with_web_identity, or the \
                     usual AWS_* environment variables and ~/.aws files.",
            );
        }
        text
    })?;
    let partition = out.arn().and_then(partition_from_arn);
    match (out.account(), partition) {
        (Some(account), Some(partition)) => Ok(Identity {
            account_id: Some(account.to_string()),
            partition,
        }),
        _ => Err("STS GetCallerIdentity answered without an account id or ARN.".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[derive(Debug)]
    struct E(&'static str, Option<Box<E>>);
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for E {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn error_chain_joins_causes_once() {
        let e = E(
            "dispatch failure",
            Some(Box::new(E(
                "other",
                Some(Box::new(E("no credentials", None))),
            ))),
        );
        assert_eq!(error_chain(&e), "dispatch failure: other: no credentials");
        let repeated = E(
            "service error: Throttling",
            Some(Box::new(E("Throttling", None))),
        );
        assert_eq!(error_chain(&repeated), "service error: Throttling");
    }

    #[test]
    fn partitions() {
        assert_eq!(
            partition_from_arn("arn:aws-cn:sts::123456789012:assumed-role/r/s").as_deref(),
            Some("aws-cn")
        );
        assert_eq!(
            partition_from_arn("arn:aws:iam::123456789012:user/u").as_deref(),
            Some("aws")
        );
        assert_eq!(partition_from_arn("nonsense"), None);
        assert_eq!(partition_for_region("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_for_region("us-gov-east-1"), "aws-us-gov");
        assert_eq!(partition_for_region("us-east-1"), "aws");
        assert_eq!(partition_for_region("eu-west-3"), "aws");
    }

    #[test]
    fn allowed_and_forbidden_accounts() {
        let acct = Some("123456789012");
        assert!(check_account(acct, &[], &[]).is_ok());
        assert!(check_account(acct, &ids(&["123456789012"]), &[]).is_ok());
        let e = check_account(acct, &ids(&["999999999999"]), &[]).unwrap_err();
        assert_eq!(e.path, Some(AttributePath::root("allowed_account_ids")));
        let e = check_account(acct, &[], &ids(&["123456789012"])).unwrap_err();
        assert_eq!(e.path, Some(AttributePath::root("forbidden_account_ids")));
        assert!(check_account(None, &ids(&["123456789012"]), &[]).is_err());
        assert!(check_account(None, &[], &ids(&["123456789012"])).is_ok());
    }
}
