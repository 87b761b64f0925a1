//! Credentials from STS role assumption, for `assume_role` and `assume_role_with_web_identity`.
//!
//! aws-config's `AssumeRoleProvider` cannot send SourceIdentity or TransitiveTagKeys, and its
//! web-identity provider only reads a token file, so both calls are made here with aws-sdk-sts.
//! The SDK's identity cache (from the `SdkConfig`) keeps the result until shortly before expiry.

use super::config::{AssumeRole, WebIdentity, WebIdentityToken};
use super::identity::error_chain;
use aws_credential_types::provider::{self, error::CredentialsError, future, ProvideCredentials};
use aws_credential_types::Credentials;
use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
use std::time::SystemTime;

/// The session name when the block sets none: recognisable in CloudTrail, unique per second.
fn default_session_name() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("terraform-provider-aws-{secs}")
}

fn to_credentials(
    creds: Option<aws_sdk_sts::types::Credentials>,
    source: &'static str,
) -> provider::Result {
    let c = creds.ok_or_else(|| CredentialsError::unhandled("STS returned no credentials"))?;
    let expiry = SystemTime::try_from(c.expiration).ok();
    Ok(Credentials::new(
        c.access_key_id,
        c.secret_access_key,
        Some(c.session_token),
        expiry,
        source,
    ))
}

/// STS AssumeRole, signed with the credentials of the client it is given (the previous link of
/// the chain).
#[derive(Debug)]
pub struct AssumeRoleCredentials {
    sts: aws_sdk_sts::Client,
    role: AssumeRole,
    session_name: String,
}

impl AssumeRoleCredentials {
    pub fn new(sts: aws_sdk_sts::Client, role: AssumeRole) -> Self {
        let session_name = role
            .session_name
            .clone()
            .unwrap_or_else(default_session_name);
        AssumeRoleCredentials {
            sts,
            role,
            session_name,
        }
    }

    async fn assume(&self) -> provider::Result {
        let r = &self.role;
        let tags = r
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(CredentialsError::invalid_configuration)?;
        let out = self
            .sts
            .assume_role()
            .role_arn(&r.role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(r.external_id.clone())
            .set_duration_seconds(r.duration.map(|d| d.as_secs().min(i32::MAX as u64) as i32))
            .set_policy(r.policy.clone())
            .set_policy_arns(policy_descriptors(&r.policy_arns))
            .set_source_identity(r.source_identity.clone())
            .set_tags((!tags.is_empty()).then_some(tags))
            .set_transitive_tag_keys(
                (!r.transitive_tag_keys.is_empty()).then(|| r.transitive_tag_keys.clone()),
            )
            .send()
            .await
            .map_err(|e| {
                CredentialsError::provider_error(format!(
                    "assuming role {}: {}",
                    r.role_arn,
                    error_chain(&e)
                ))
            })?;
        to_credentials(out.credentials, "AssumeRole")
    }
}

impl ProvideCredentials for AssumeRoleCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.assume())
    }
}

/// Managed session policies as STS takes them (none when the list is empty).
fn policy_descriptors(arns: &[String]) -> Option<Vec<PolicyDescriptorType>> {
    (!arns.is_empty()).then(|| {
        arns.iter()
            .map(|a| PolicyDescriptorType::builder().arn(a).build())
            .collect()
    })
}

/// STS AssumeRoleWithWebIdentity (an unsigned call: the OIDC token is the proof).
#[derive(Debug)]
pub struct WebIdentityCredentials {
    sts: aws_sdk_sts::Client,
    web: WebIdentity,
    session_name: String,
}

impl WebIdentityCredentials {
    pub fn new(sts: aws_sdk_sts::Client, web: WebIdentity) -> Self {
        let session_name = web
            .session_name
            .clone()
            .unwrap_or_else(default_session_name);
        WebIdentityCredentials {
            sts,
            web,
            session_name,
        }
    }

    /// The token, re-read from its file at every refresh because issuers rotate it.
    async fn token(&self) -> Result<String, CredentialsError> {
        let file = match &self.web.token {
            Some(WebIdentityToken::Inline(t)) => return Ok(t.0.clone()),
            Some(WebIdentityToken::File(f)) => f.clone(),
            None => std::env::var("AWS_WEB_IDENTITY_TOKEN_FILE").map_err(|_| {
                CredentialsError::invalid_configuration(
                    "assume_role_with_web_identity needs web_identity_token, web_identity_token_file \
                     or AWS_WEB_IDENTITY_TOKEN_FILE",
                )
            })?,
        };
        let text = tokio::fs::read_to_string(&file).await.map_err(|e| {
            CredentialsError::invalid_configuration(format!(
                "reading web identity token file {file}: {e}"
            ))
        })?;
        Ok(text.trim().to_string())
    }

    async fn assume(&self) -> provider::Result {
        let token = self.token().await?;
        let out = self
            .sts
            .assume_role_with_web_identity()
            .role_arn(&self.web.role_arn)
            .role_session_name(&self.session_name)
            .web_identity_token(token)
            .set_duration_seconds(
                self.web
                    .duration
                    .map(|d| d.as_secs().min(i32::MAX as u64) as i32),
            )
            .set_policy(self.web.policy.clone())
            .set_policy_arns(policy_descriptors(&self.web.policy_arns))
            .send()
            .await
            .map_err(|e| {
                CredentialsError::provider_error(format!(
                    "assuming role {} with a web identity: {}",
                    self.web.role_arn,
                    error_chain(&e)
                ))
            })?;
        to_credentials(out.credentials, "AssumeRoleWithWebIdentity")
    }
}

impl ProvideCredentials for WebIdentityCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.assume())
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::Secret;
    use super::*;

    fn offline_sts() -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("us-east-1"))
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    fn web(token: Option<WebIdentityToken>) -> WebIdentityCredentials {
        WebIdentityCredentials::new(
            offline_sts(),
            WebIdentity {
                role_arn: "arn:aws:iam::123456789012:role/ci".into(),
                session_name: None,
                token,
                duration: None,
                policy: None,
                policy_arns: vec![],
            },
        )
    }

    #[tokio::test]
    async fn web_identity_token_inline_or_from_a_file() {
        let inline = web(Some(WebIdentityToken::Inline(Secret("tok-1".into()))));
        assert_eq!(inline.token().await.ok().as_deref(), Some("tok-1"));

        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("token");
        std::fs::write(&file, "tok-2\n").expect("write token");
        let from_file = web(Some(WebIdentityToken::File(file.display().to_string())));
        assert_eq!(from_file.token().await.ok().as_deref(), Some("tok-2"));

        // Rotated by the issuer: the next refresh reads the new token.
        std::fs::write(&file, "tok-3").expect("rewrite token");
        assert_eq!(from_file.token().await.ok().as_deref(), Some("tok-3"));

        let missing = web(Some(WebIdentityToken::File(
            dir.path().join("nope").display().to_string(),
        )));
        assert!(missing.token().await.is_err());
    }

    #[test]
    fn session_name_defaults_to_a_recognisable_name() {
        assert!(web(None)
            .session_name
            .starts_with("terraform-provider-aws-"));
        let role = AssumeRole {
            role_arn: "arn:aws:iam::123456789012:role/x".into(),
            ..Default::default()
        };
        assert!(AssumeRoleCredentials::new(offline_sts(), role)
            .session_name
            .starts_with("terraform-provider-aws-"));
    }
}
