//! `moved {}` from hashicorp/aws's `aws_ami_copy` to ours (Terraform 1.8 and later): the Go
//! provider's state at schema version 0 is the state `upgrade_state` already accepts after a
//! `terraform state replace-provider`, so a move is that same normalisation. The Go SDK's
//! private data (its timeouts) means nothing here and is left behind.

use tfplugin::{Diagnostic, MoveStateRequest, MoveStateResponse, Resource};

/// The provider whose `aws_ami_copy` states this resource takes over.
const SOURCE_PROVIDER: &str = "registry.terraform.io/hashicorp/aws";
const SOURCE_TYPE: &str = "aws_ami_copy";
/// The schema version hashicorp/aws writes `aws_ami_copy` with (5.x and 6.x alike).
const SOURCE_SCHEMA_VERSION: i64 = 0;

/// Why a move is refused, or `None` when it is one this resource takes.
fn refusal(req: &MoveStateRequest) -> Option<Diagnostic> {
    if req.source_provider_address == SOURCE_PROVIDER
        && req.source_type_name == SOURCE_TYPE
        && req.source_schema_version == SOURCE_SCHEMA_VERSION
    {
        return None;
    }
    Some(Diagnostic::error(
        "Move not supported",
        format!(
            "aws_ami_copy takes over only {SOURCE_TYPE} of {SOURCE_PROVIDER} at schema version \
             {SOURCE_SCHEMA_VERSION}; this state is {} of {} at schema version {}. Use a \
             `removed` block with `lifecycle {{ destroy = false }}` and an `import` block instead.",
            req.source_type_name, req.source_provider_address, req.source_schema_version
        ),
    ))
}

/// The move: hashicorp/aws's state through the same normalisation as `upgrade_state`.
pub async fn move_state(resource: &impl Resource, req: MoveStateRequest) -> MoveStateResponse {
    if let Some(d) = refusal(&req) {
        return MoveStateResponse {
            diagnostics: d.into(),
            ..Default::default()
        };
    }
    match resource
        .upgrade_state(SOURCE_SCHEMA_VERSION, &req.source_state_json)
        .await
    {
        Ok(target_state) => MoveStateResponse {
            target_state,
            ..Default::default()
        },
        Err(diagnostics) => MoveStateResponse {
            diagnostics,
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(provider: &str, ty: &str, version: i64) -> MoveStateRequest {
        MoveStateRequest {
            source_provider_address: provider.into(),
            source_type_name: ty.into(),
            source_schema_version: version,
            source_state_json: vec![],
            source_private: vec![],
            target_type_name: "aws_ami_copy".into(),
        }
    }

    #[test]
    fn only_hashicorp_aws_ami_copy_at_version_0_moves() {
        assert!(refusal(&request(SOURCE_PROVIDER, "aws_ami_copy", 0)).is_none());
        for (provider, ty, version) in [
            ("registry.terraform.io/hashicorp/aws", "aws_ami", 0),
            ("registry.terraform.io/hashicorp/aws", "aws_ami_copy", 1),
            ("registry.terraform.io/someone/aws", "aws_ami_copy", 0),
            ("registry.opentofu.org/hashicorp/aws", "aws_ami_copy", 0),
        ] {
            let d = refusal(&request(provider, ty, version)).expect("refused");
            assert_eq!(d.summary, "Move not supported");
            assert!(
                d.detail.contains(provider) && d.detail.contains(ty),
                "{d:?}"
            );
        }
    }
}
