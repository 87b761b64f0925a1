//! Create (A2, B1, B2, B5): CopyImage, record the id, wait, then the steps CopyImage cannot do.

use super::flatten::{flatten, image_arn};
use super::read::{env, uefi_data};
use super::update::{set_deprecation, set_protection};
use super::{overlay_known, region_of, resolve_unknowns, timeout};
use crate::ec2::errors::describe_sdk_error;
use crate::ec2::image_waiter::{wait_image, WaitError, WaitFor};
use crate::provider::clients::AwsClients;
use crate::tags::{merge_default_tags, Tags};
use aws_sdk_ec2::types::{Image, ResourceType, Tag, TagSpecification};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use tfplugin::{ApplyResponse, Context, Diagnostic, Diagnostics, Value};

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
pub fn new_private(token: &str) -> Vec<u8> {
    serde_json::json!({ "client_token": token })
        .to_string()
        .into_bytes()
}

fn token_from_private(private: &[u8]) -> Option<String> {
    let j: serde_json::Value = serde_json::from_slice(private).ok()?;
    j.get("client_token")?.as_str().map(str::to_string)
}

/// The tags the copy is born with: `tags_all` when planned, else default_tags ∪ tags (`aws:` and
/// ignored keys are never sent).
fn birth_tags(clients: &AwsClients, planned: &Value) -> Tags {
    let all = planned.get("tags_all");
    let tags = if all.is_known_value() && !all.contains_unknown() {
        all.as_string_map()
    } else {
        merge_default_tags(
            &clients.default_tags,
            &planned.get("tags").as_string_map(),
            &clients.ignore_tags,
        )
    };
    clients.ignore_tags.filter(&tags)
}

fn tag_spec(kind: ResourceType, tags: &Tags) -> TagSpecification {
    let mut spec = TagSpecification::builder().resource_type(kind);
    for (k, v) in tags {
        spec = spec.tags(Tag::builder().key(k).value(v).build());
    }
    spec.build()
}

/// The resume instructions for a copy left pending (B5). `name` is the copy's AMI name, used to
/// find its address in the configuration (see `address`).
pub fn resume_hint(id: &str, name: &str) -> String {
    resume_hint_for(id, super::address::guess(name).as_deref())
}

fn resume_hint_for(id: &str, address: Option<&str>) -> String {
    // The commands go on indented lines of their own: Terraform wraps the other lines of a
    // diagnostic, which could split a command in two.
    let (address, note) = match address {
        Some(a) => (
            a.to_string(),
            "(For a resource in a module, prefix the address with module.NAME.)".to_string(),
        ),
        None => (
            "ADDRESS".to_string(),
            format!("where ADDRESS is the address of the aws_ami_copy resource whose id is {id}."),
        ),
    };
    format!(
        "The copy {id} is kept and EC2 goes on copying: nothing is deregistered. To resume waiting \
         for it instead of starting over, run:\n\n  terraform untaint {address}\n  terraform apply\n\n\
         {note} Consider a longer `timeouts {{ create = ... }}`."
    )
}

/// The summary of a failed copy: EC2's reason in the summary line, which Terraform does not wrap.
pub fn failed_summary(reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("AMI copy failed: {r}"),
        None => "AMI copy failed".to_string(),
    }
}

pub async fn create(
    clients: &AwsClients,
    ctx: &Context,
    planned: &Value,
    private: &[u8],
) -> ApplyResponse {
    let region = region_of(planned, clients);
    let token = token_from_private(private).unwrap_or_else(new_client_token);
    let tags = birth_tags(clients, planned);

    let mut req = clients
        .ec2(&region)
        .copy_image()
        .client_token(token)
        .name(planned.get("name").as_str().unwrap_or_default())
        .source_image_id(planned.get("source_ami_id").as_str().unwrap_or_default())
        .source_region(
            planned
                .get("source_ami_region")
                .as_str()
                .unwrap_or_default(),
        )
        .encrypted(planned.get("encrypted").as_bool().unwrap_or(false))
        // Always sent, "" when unset (as the Go provider does): without it EC2 gives the copy the
        // source's description, which the configuration does not have.
        .description(planned.get("description").as_str().unwrap_or_default());
    if let Some(k) = planned.get("kms_key_id").as_str() {
        req = req.kms_key_id(k);
    }
    if let Some(a) = planned.get("destination_outpost_arn").as_str() {
        req = req.destination_outpost_arn(a);
    }
    if let Some(z) = planned.get("destination_availability_zone").as_str() {
        req = req.destination_availability_zone(z);
    }
    if let Some(m) = planned
        .get("snapshot_copy_completion_duration_minutes")
        .as_i64()
    {
        req = req.snapshot_copy_completion_duration_minutes(m);
    }
    if planned.get("copy_tags").as_bool() == Some(true) {
        req = req.copy_image_tags(true);
    }
    if !tags.is_empty() {
        // Tagged at birth, image and snapshots alike (B1).
        req = req
            .tag_specifications(tag_spec(ResourceType::Image, &tags))
            .tag_specifications(tag_spec(ResourceType::Snapshot, &tags));
    }
    let id = match req.send().await {
        Ok(out) => match out.image_id() {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => return failure(Value::Null, "CopyImage returned no image id", String::new()),
        },
        Err(e) => {
            let source = planned.get("source_ami_id").as_str().unwrap_or_default();
            return failure(
                Value::Null,
                "Cannot copy AMI",
                format!("CopyImage of {source} failed: {}", describe_sdk_error(&e)),
            );
        }
    };
    tracing::info!(image_id = %id, %region, "AMI copy started");

    // From here on every return carries the id (A2.2).
    let mut state = planned.clone();
    state.set("id", Value::string(&id));
    state.set(
        "arn",
        Value::string(image_arn(&clients.partition, &region, &id)),
    );
    state.set("state", Value::string("pending"));

    let image = match wait_image(
        clients,
        &region,
        &id,
        WaitFor::Available,
        timeout(planned, "create"),
        &ctx.stop,
    )
    .await
    {
        Ok(image) => image,
        Err(e) => return wait_failed(clients, &region, state, planned, e),
    };
    let mut diags = Diagnostics::new();
    let image = finish_create_steps(clients, ctx, &region, planned, image, &mut diags).await;
    let uefi = uefi_data(clients, &region, &image).await;
    let mut new_state = flatten(&image, &state, uefi, &env(clients, &region));
    overlay_known(planned, &mut new_state);
    if diags.has_errors() && ctx.stop.is_cancelled() {
        // Ctrl-C during the last steps: keep the copy untainted and pending, as for an
        // interrupted wait; the next apply resumes and redoes these steps.
        new_state.set("state", Value::string("pending"));
        diags = Diagnostics::new();
        diags.warning(
            "AMI copy interrupted; the next apply finishes it",
            format!(
                "Terraform was interrupted after the copy {id} became available, before its \
                 deprecation time or deregistration protection were set. It is recorded as pending: \
                 the next `terraform apply` sets them."
            ),
        );
    } else if diags.has_errors() {
        // The image is there but not as configured: let the next plan show what is missing.
        new_state = flatten(&image, &state, None, &env(clients, &region));
        new_state.set("timeouts", planned.get("timeouts").clone());
    }
    resolve_unknowns(&mut new_state);
    ApplyResponse {
        new_state,
        private: private.to_vec(),
        diagnostics: diags,
    }
}

/// Steps 4 and B9 of a create: deprecation and deregistration protection. Returns the image as
/// last described; failures go to `diags`.
pub async fn finish_create_steps(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    planned: &Value,
    mut image: Image,
    diags: &mut Diagnostics,
) -> Image {
    let id = image.image_id().unwrap_or_default().to_string();
    if let Some(when) = planned.get("deprecation_time").as_str() {
        match set_deprecation(
            clients,
            ctx,
            region,
            &id,
            Some(when),
            timeout(planned, "create"),
        )
        .await
        {
            Ok(i) => image = i,
            Err(d) => diags.push(d),
        }
    }
    if let Some(p) = planned.get("deregistration_protection").as_str() {
        if p != "disabled" {
            if let Err(d) = set_protection(clients, region, &id, p).await {
                diags.push(d);
            }
        }
    }
    image
}

fn failure(new_state: Value, summary: &str, detail: String) -> ApplyResponse {
    ApplyResponse {
        new_state,
        private: vec![],
        diagnostics: Diagnostic::error(summary, detail).into(),
    }
}

/// The wait for `available` ended early. The state keeps the id whatever happened.
fn wait_failed(
    clients: &AwsClients,
    region: &str,
    mut state: Value,
    planned: &Value,
    e: WaitError,
) -> ApplyResponse {
    let id = state.get("id").as_str().unwrap_or_default().to_string();
    if let Some(last) = e.last_image() {
        state = flatten(last, &state, None, &env(clients, region));
        overlay_known(planned, &mut state);
    }
    let mut diags = Diagnostics::new();
    match &e {
        WaitError::Stopped { .. } => {
            // Not an error: an error would taint the copy and the next apply would replace it.
            state.set("state", Value::string("pending"));
            diags.warning(
                "AMI copy interrupted; it continues in EC2",
                format!(
                    "Terraform was interrupted {e}. The copy {id} is recorded in the state as pending \
                     and EC2 goes on copying. The next `terraform apply` resumes waiting for it \
                     (its plan shows state \"pending\" -> \"available\")."
                ),
            );
        }
        WaitError::Timeout { .. } => {
            state.set("state", Value::string("pending"));
            diags.error(
                "AMI copy not finished in time",
                format!(
                    "Waiting for the copy {e}.\n\n{}",
                    resume_hint(&id, planned.get("name").as_str().unwrap_or_default())
                ),
            );
        }
        WaitError::Failed {
            state: s, reason, ..
        } => {
            state.set("state", Value::string(s.clone()));
            diags.error(
                failed_summary(reason.as_deref()),
                format!("{e}. The failed copy {id} stays in the state, marked tainted: the next apply replaces it."),
            );
        }
        WaitError::NotFound { .. } | WaitError::Api(_) => {
            diags.error(
                "Cannot confirm the AMI copy",
                format!("Waiting for the copy {id} to become available: {e}."),
            );
        }
    }
    resolve_unknowns(&mut state);
    ApplyResponse {
        new_state: state,
        private: vec![],
        diagnostics: diags,
    }
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
        assert_eq!(token_from_private(&new_private(&a)), Some(a));
        assert_eq!(token_from_private(b"junk"), None);
    }

    #[test]
    fn resume_hint_names_the_commands() {
        let h = resume_hint_for("ami-1", Some("aws_ami_copy.test"));
        assert!(
            h.contains("\n  terraform untaint aws_ami_copy.test\n  terraform apply\n"),
            "{h}"
        );
        assert!(h.contains("ami-1"));
        let h = resume_hint_for("ami-1", None);
        assert!(
            h.contains("terraform untaint ADDRESS") && h.contains("whose id is ami-1"),
            "{h}"
        );
    }
}
