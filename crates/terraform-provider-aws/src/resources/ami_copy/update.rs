//! In-place update (A4, B1, B5, B9): description, deprecation, deregistration protection, tags
//! (on the image and its snapshots), and resuming a copy left pending.

use super::create::{finish_create_steps, resume_hint};
use super::flatten::{snapshot_ids, state_snapshot_ids};
use super::plan::{nearest_utc_minute, same_deprecation_time};
use super::read::{describe, env, uefi_data};
use super::{overlay_known, region_of, resolve_unknowns, timeout};
use crate::ec2::errors::describe_sdk_error;
use crate::ec2::image_waiter::{wait_image, WaitError, WaitFor};
use crate::provider::clients::AwsClients;
use crate::tags::TagDiff;
use aws_sdk_ec2::types::{AttributeValue, Image, Tag};
use std::time::Duration;
use tfplugin::{ApplyResponse, Context, Diagnostic, Diagnostics, Value};

pub async fn update(
    clients: &AwsClients,
    ctx: &Context,
    prior: &Value,
    planned: &Value,
    private: &[u8],
) -> ApplyResponse {
    let region = region_of(prior, clients);
    let id = prior.get("id").as_str().unwrap_or_default().to_string();
    let wait_for = timeout(planned, "update");
    let mut diags = Diagnostics::new();
    // What to return when a step fails: the prior state, with what already succeeded.
    let keep = |diags: Diagnostics, state: Value| ApplyResponse {
        new_state: state,
        private: private.to_vec(),
        diagnostics: diags,
    };

    let mut image: Option<Image> = None;
    if prior.get("state").as_str() == Some("pending") {
        match wait_image(
            clients,
            &region,
            &id,
            WaitFor::Available,
            wait_for,
            &ctx.stop,
        )
        .await
        {
            Ok(i) => {
                let i = finish_create_steps(clients, ctx, &region, planned, i, &mut diags).await;
                if diags.has_errors() {
                    return keep(diags, prior.clone());
                }
                image = Some(i);
            }
            Err(e) => return resume_failed(prior, e, private),
        }
    }

    let changed = |name: &str| prior.get(name) != planned.get(name);

    // Null and "" are the same description to EC2: no call between them.
    let description = |v: &Value| {
        v.get("description")
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    if description(prior) != description(planned) {
        let new = description(planned);
        let r = clients
            .ec2(&region)
            .modify_image_attribute()
            .image_id(&id)
            .description(AttributeValue::builder().value(&new).build())
            .send()
            .await;
        if let Err(e) = r {
            diags.error(
                "Cannot update the AMI description",
                format!("ModifyImageAttribute on {id}: {}", describe_sdk_error(&e)),
            );
            return keep(diags, prior.clone());
        }
        let want = new.clone();
        let visible =
            WaitFor::matches(move |i: &Image| i.description().unwrap_or_default() == want);
        match wait_image(clients, &region, &id, visible, wait_for, &ctx.stop).await {
            Ok(i) => image = Some(i),
            Err(e) => {
                diags.error(
                    "AMI description not visible",
                    format!("After ModifyImageAttribute: {e}."),
                );
                return keep(diags, prior.clone());
            }
        }
    }

    let deprecation_changed = match (
        prior.get("deprecation_time").as_str(),
        planned.get("deprecation_time").as_str(),
    ) {
        (Some(a), Some(b)) => !same_deprecation_time(a, b),
        (a, b) => a != b,
    };
    if deprecation_changed && prior.get("state").as_str() != Some("pending") {
        match set_deprecation(
            clients,
            ctx,
            &region,
            &id,
            planned.get("deprecation_time").as_str(),
            wait_for,
        )
        .await
        {
            Ok(i) => image = Some(i),
            Err(d) => {
                diags.push(d);
                return keep(diags, prior.clone());
            }
        }
    }

    if changed("deregistration_protection") && prior.get("state").as_str() != Some("pending") {
        let want = planned
            .get("deregistration_protection")
            .as_str()
            .unwrap_or("disabled");
        let was = prior
            .get("deregistration_protection")
            .as_str()
            .unwrap_or("disabled");
        if want != was {
            if let Err(d) = set_protection(clients, &region, &id, want).await {
                diags.push(d);
                return keep(diags, prior.clone());
            }
        }
    }

    if changed("tags_all") {
        let live_snapshots = image.as_ref().map(snapshot_ids);
        if let Err(d) = update_tags(clients, &region, &id, prior, planned, live_snapshots).await {
            diags.push(d);
            return keep(diags, prior.clone());
        }
    }

    // The new state: planned values, with what EC2 decides read back (after a resumed copy).
    let image = match image {
        Some(i) => Some(i),
        None if planned.contains_unknown() => describe(clients, &region, &id).await.ok().flatten(),
        None => None,
    };
    let mut new_state = planned.clone();
    if let Some(image) = image {
        let uefi = if planned.get("uefi_data").is_unknown() {
            uefi_data(clients, &region, &image).await
        } else {
            None
        };
        new_state = super::flatten::flatten(&image, prior, uefi, &env(clients, &region));
        overlay_known(planned, &mut new_state);
    }
    resolve_unknowns(&mut new_state);
    ApplyResponse {
        new_state,
        private: private.to_vec(),
        diagnostics: diags,
    }
}

/// A resumed wait (B5) ended without the copy being available.
fn resume_failed(prior: &Value, e: WaitError, private: &[u8]) -> ApplyResponse {
    let id = prior.get("id").as_str().unwrap_or_default();
    let mut state = prior.clone();
    let mut diags = Diagnostics::new();
    match &e {
        WaitError::Stopped { .. } => diags.warning(
            "AMI copy interrupted; it continues in EC2",
            format!("Terraform was interrupted {e}. The copy {id} stays pending; the next apply resumes waiting."),
        ),
        WaitError::Timeout { .. } => diags.error(
            "AMI copy not finished in time",
            format!("Waiting for the copy {e}. It stays pending in the state: the next `terraform apply` resumes waiting (consider a longer `timeouts {{ update = ... }}`)."),
        ),
        WaitError::Failed { state: s, reason, .. } => {
            state.set("state", Value::string(s.clone()));
            diags.error(
                super::create::failed_summary(reason.as_deref()),
                format!("{e}. The next apply replaces the copy {id}."),
            );
        }
        WaitError::NotFound { .. } => diags.error(
            "AMI copy is gone",
            format!("{e}. The next refresh removes it from the state and plans a new copy."),
        ),
        WaitError::Api(_) => diags.error(
            "Cannot resume the AMI copy",
            format!("{e}. {}", resume_hint(id, prior.get("name").as_str().unwrap_or_default())),
        ),
    }
    ApplyResponse {
        new_state: state,
        private: private.to_vec(),
        diagnostics: diags,
    }
}

/// Enable (`Some`) or disable (`None`) deprecation, then wait until DescribeImages shows it.
pub async fn set_deprecation(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
    when: Option<&str>,
    wait_for: Duration,
) -> Result<Image, Diagnostic> {
    let ec2 = clients.ec2(region);
    let path = tfplugin::AttributePath::root("deprecation_time");
    let result = match when {
        Some(t) => {
            // Sent already rounded as EC2 rounds it, so what EC2 stores is exactly the minute the
            // wait below and later plans compare with.
            let Some(at) = nearest_utc_minute(t) else {
                return Err(Diagnostic::error(
                    "Invalid deprecation time",
                    format!("{t:?} is not RFC 3339."),
                )
                .at(path));
            };
            let at = aws_smithy_types::DateTime::from_secs(at.unix_timestamp());
            ec2.enable_image_deprecation()
                .image_id(id)
                .deprecate_at(at)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| describe_sdk_error(&e))
        }
        None => ec2
            .disable_image_deprecation()
            .image_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| describe_sdk_error(&e)),
    };
    if let Err(msg) = result {
        let op = if when.is_some() {
            "EnableImageDeprecation"
        } else {
            "DisableImageDeprecation"
        };
        return Err(Diagnostic::error(
            "Cannot set the AMI deprecation time",
            format!("{op} on {id}: {msg}"),
        )
        .at(path));
    }
    let want = when.map(str::to_string);
    let visible = WaitFor::matches(move |i: &Image| {
        let live = i.deprecation_time().filter(|t| !t.is_empty());
        match (&want, live) {
            (Some(w), Some(l)) => same_deprecation_time(w, l),
            (None, None) => true,
            _ => false,
        }
    });
    wait_image(clients, region, id, visible, wait_for, &ctx.stop)
        .await
        .map_err(|e| {
            Diagnostic::error(
                "AMI deprecation not visible",
                format!("After setting the deprecation time: {e}."),
            )
            .at(path)
        })
}

/// Deregistration protection to `want` ("enabled", "enabled-with-cooldown", "disabled") (B9).
pub async fn set_protection(
    clients: &AwsClients,
    region: &str,
    id: &str,
    want: &str,
) -> Result<(), Diagnostic> {
    let ec2 = clients.ec2(region);
    let result = match want {
        "enabled" | "enabled-with-cooldown" => ec2
            .enable_image_deregistration_protection()
            .image_id(id)
            .with_cooldown(want == "enabled-with-cooldown")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| describe_sdk_error(&e)),
        _ => ec2
            .disable_image_deregistration_protection()
            .image_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| describe_sdk_error(&e)),
    };
    result.map_err(|msg| {
        Diagnostic::error(
            "Cannot set deregistration protection",
            format!("Setting it to {want:?} on {id}: {msg}"),
        )
        .at(tfplugin::AttributePath::root("deregistration_protection"))
    })
}

/// Tags from prior `tags_all` to planned `tags_all` on the image and its snapshots (B1): only the
/// keys that change are touched, never `aws:` or ignored keys.
async fn update_tags(
    clients: &AwsClients,
    region: &str,
    id: &str,
    prior: &Value,
    planned: &Value,
    live_snapshots: Option<Vec<String>>,
) -> Result<(), Diagnostic> {
    let old = clients
        .ignore_tags
        .filter(&prior.get("tags_all").as_string_map());
    let new = clients
        .ignore_tags
        .filter(&planned.get("tags_all").as_string_map());
    let diff = TagDiff::between(&old, &new);
    if diff.is_empty() {
        return Ok(());
    }
    let mut resources = vec![id.to_string()];
    let snapshots = match live_snapshots {
        Some(s) => s,
        None => match describe(clients, region, id).await {
            Ok(Some(i)) => snapshot_ids(&i),
            _ => state_snapshot_ids(prior),
        },
    };
    resources.extend(snapshots);
    let ec2 = clients.ec2(region);
    let err = |op: &str, msg: String| {
        Diagnostic::error(
            "Cannot update tags",
            format!("{op} on {}: {msg}", resources.join(", ")),
        )
        .at(tfplugin::AttributePath::root("tags"))
    };
    if !diff.to_delete.is_empty() {
        let mut req = ec2.delete_tags().set_resources(Some(resources.clone()));
        for k in &diff.to_delete {
            req = req.tags(Tag::builder().key(k).build());
        }
        req.send()
            .await
            .map_err(|e| err("DeleteTags", describe_sdk_error(&e)))?;
    }
    if !diff.to_set.is_empty() {
        let mut req = ec2.create_tags().set_resources(Some(resources.clone()));
        for (k, v) in &diff.to_set {
            req = req.tags(Tag::builder().key(k).value(v).build());
        }
        req.send()
            .await
            .map_err(|e| err("CreateTags", describe_sdk_error(&e)))?;
    }
    Ok(())
}
