//! Who the credentials belong to: account id and partition from STS GetCallerIdentity, and the
//! allowed/forbidden account checks.

use aws_smithy_types::error::display::DisplayErrorContext;
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

/// Calls GetCallerIdentity. The error names the cause (no credentials, expired token, endpoint
/// unreachable...) but never credentials: the SDK's errors carry no secret.
pub async fn caller_identity(sts: &aws_sdk_sts::Client) -> Result<Identity, String> {
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| DisplayErrorContext(&e).to_string())?;
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
