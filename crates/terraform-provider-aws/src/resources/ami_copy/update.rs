//! In-place update: resume a copy left pending, then description, deprecation,
//! deregistration protection and tags (on the image and its snapshots), each a step of its own.
//! A failed step returns the prior state, so the next plan shows what is still to do.

use super::copy_state::{deprecation_changes, Lifecycle};
use super::flatten::shown_tags;
use super::flatten::{observe, snapshot_ids, FlattenEnv};
use super::image_ops;
use super::lifecycle::{finish_copy, wait_outcome, Waiting};
use super::model::{attr, AmiCopyState, Cty, Operation};
use super::ownership::{self, Act, Path, Proof};
use super::schema::stored;
use crate::ec2::image_waiter::{wait_image, WaitFor};
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::Image;
use std::time::Duration;
use tfplugin::{ApplyResponse, Context, Diagnostic, Diagnostics, Value};

/// What every step works on.
struct Target<'a> {
    clients: &'a AwsClients,
    ctx: &'a Context,
    region: String,
    id: String,
    wait_for: Duration,
}

pub async fn update(
    clients: &AwsClients,
    ctx: &Context,
    prior_value: &Value,
    planned_value: &Value,
    private: &[u8],
) -> ApplyResponse {
    let prior = AmiCopyState::from_cty(prior_value);
    let planned = AmiCopyState::from_cty(planned_value);
    // Only the image the state holds for this instance is changed.
    if let Err(why) = ownership::allow(Path::Update, Act::Modify, &Proof::State) {
        return ApplyResponse::failed(
            prior_value.clone(),
            private.to_vec(),
            Diagnostic::error("Cannot update AMI copy", why).into(),
        );
    }
    // Every call below gives up when Ctrl-C comes or `timeouts { update }` runs out.
    let ctx = &ctx.with_timeout("update", planned.timeout(Operation::Update));
    let target = Target {
        clients,
        ctx,
        region: prior.region_or(&clients.region).to_string(),
        id: prior.image_id().to_string(),
        wait_for: planned.timeout(Operation::Update),
    };
    let keep_prior = |diagnostics: Diagnostics| {
        ApplyResponse::failed(prior_value.clone(), private.to_vec(), diagnostics)
    };

    let resuming = prior.state == Some(Lifecycle::Pending);
    let resumed = if resuming {
        match resume(&target, &planned).await {
            Ok(image) => Some(image),
            Err(Resume::Ended(state, d)) => {
                let mut new_state = prior_value.clone();
                if let Some(state) = state {
                    new_state.set(attr::state, Value::string(state.as_str()));
                }
                return ApplyResponse::failed(new_state, private.to_vec(), d.into());
            }
            Err(Resume::Unfinished(d)) => return keep_prior(d),
        }
    } else {
        None
    };
    let mut warnings = Diagnostics::new();
    let changed =
        match apply_changes(&target, &prior, &planned, resumed.as_ref(), &mut warnings).await {
            Ok(image) => image.or(resumed),
            Err(mut d) => {
                if ctx.stop.is_cancelled() || ctx.remaining() == Some(Duration::ZERO) {
                    // The call was abandoned: say what the state keeps.
                    d.detail.push_str(&format!(
                        ".\n\nThe state keeps {} as it was before this apply; the next plan shows \
                     the change again and the next apply redoes it.",
                        target.id
                    ));
                }
                return keep_prior(d.into());
            }
        };
    let new_state = new_state(&target, &prior, planned_value, changed).await;
    ApplyResponse {
        new_state,
        private: private.to_vec(),
        diagnostics: warnings,
    }
}

/// Why resuming a pending copy stopped.
enum Resume {
    /// The wait ended early: the state to record (if it changes) and what to say.
    Ended(Option<Lifecycle>, Diagnostic),
    /// The copy is available, but a create step after it failed.
    Unfinished(Diagnostics),
}

/// Waits for a copy left pending, then does the create steps that were left.
async fn resume(t: &Target<'_>, planned: &AmiCopyState) -> Result<Image, Resume> {
    let copy = wait_image(
        t.clients,
        &t.region,
        &t.id,
        WaitFor::Available,
        t.ctx.budget(t.wait_for),
        &t.ctx.stop,
    )
    .await;
    let image = match copy {
        Ok(image) => image,
        Err(e) => {
            let (state, d) = wait_outcome(&e, planned, Waiting::Resume);
            return Err(Resume::Ended(state, d));
        }
    };
    let mut diags = Diagnostics::new();
    let image = finish_copy(t.clients, t.ctx, &t.region, planned, image, &mut diags).await;
    if diags.has_errors() {
        return Err(Resume::Unfinished(diags));
    }
    Ok(image)
}

/// The in-place changes, in order; returns the image as last described by one of them. A
/// resumed copy already got its deprecation and protection from `resume`, and the tags it
/// lacked: its tags are then the ones to change from.
async fn apply_changes(
    t: &Target<'_>,
    prior: &AmiCopyState,
    planned: &AmiCopyState,
    resumed: Option<&Image>,
    warnings: &mut Diagnostics,
) -> Result<Option<Image>, Diagnostic> {
    let mut prior = prior.clone();
    if let Some(image) = resumed {
        prior.tags_all = Some(shown_tags(image));
    }
    let prior = &prior;
    let resumed = resumed.is_some();
    let mut image = None;
    // Null and "" are the same description to EC2: no call between them.
    let description = |s: &AmiCopyState| s.description.clone().unwrap_or_default();
    let mut seen = |change: image_ops::Change, image: &mut Option<Image>| match change {
        image_ops::Change::Shown(i) => *image = Some(*i),
        image_ops::Change::NotShown(w) => warnings.push(w),
    };
    if description(prior) != description(planned) {
        let want = description(planned);
        let set = image_ops::set_description(t.clients, t.ctx, &t.region, &t.id, &want, t.wait_for);
        seen(set.await?, &mut image);
    }
    let deprecation = planned.deprecation_time.as_deref();
    if !resumed && deprecation_changes(prior.deprecation_time.as_deref(), deprecation) {
        let set =
            image_ops::set_deprecation(t.clients, t.ctx, &t.region, &t.id, deprecation, t.wait_for);
        seen(set.await?, &mut image);
    }
    if !resumed && prior.protection() != planned.protection() {
        image_ops::set_protection(t.clients, t.ctx, &t.region, &t.id, planned.protection()).await?;
    }
    if prior.tags_all != planned.tags_all {
        retag(t, prior, planned, image.as_ref()).await?;
    }
    Ok(image)
}

/// Tags from prior `tags_all` to planned `tags_all` on the image and its snapshots: only the
/// keys that change are touched, never `aws:` or ignored keys. The snapshots are the image's
/// as last described, else as described now, else as the state records them.
async fn retag(
    t: &Target<'_>,
    prior: &AmiCopyState,
    planned: &AmiCopyState,
    image: Option<&Image>,
) -> Result<(), Diagnostic> {
    let ignore = &t.clients.ignore_tags;
    let old = ignore.filter(&prior.tags_all.clone().unwrap_or_default());
    let new = ignore.filter(&planned.tags_all.clone().unwrap_or_default());
    if old == new {
        return Ok(());
    }
    let snapshots = match image {
        Some(i) => snapshot_ids(i),
        None => match image_ops::describe(t.clients, t.ctx, &t.region, &t.id).await {
            Ok(Some(i)) => snapshot_ids(&i),
            _ => prior.snapshot_ids(),
        },
    };
    let resources: Vec<String> = std::iter::once(t.id.clone()).chain(snapshots).collect();
    image_ops::retag(t.clients, t.ctx, &t.region, &resources, &old, &new).await
}

/// The new state: the planned values, with what EC2 decides read back (after a resumed copy,
/// whose read-only attributes were planned unknown).
async fn new_state(
    t: &Target<'_>,
    prior: &AmiCopyState,
    planned_value: &Value,
    image: Option<Image>,
) -> Value {
    let image = match image {
        Some(i) => Some(i),
        None if planned_value.contains_unknown() => {
            image_ops::describe(t.clients, t.ctx, &t.region, &t.id)
                .await
                .ok()
                .flatten()
        }
        None => None,
    };
    let new_state = match image {
        Some(image) => {
            let uefi = if planned_value.get(attr::uefi_data).is_unknown() {
                image_ops::uefi_data(t.clients, t.ctx, &t.region, &image).await
            } else {
                None
            };
            let env = FlattenEnv::of(t.clients, &t.region);
            observe(&image, prior, uefi, &env)
                .settled(planned_value)
                .to_cty()
        }
        None => planned_value.clone(),
    };
    stored(new_state)
}
