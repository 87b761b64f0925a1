//! The calls behind the plan-time checks, all read-only (the dry run changes nothing), all at
//! once, each skipped with one debug line when it is denied or fails. Reads by id and by name go
//! through the batched reader, so the checks of a plan's copies share their DescribeImages per
//! region; the dry run is sent once per distinct request, DescribeRegions once per provider,
//! DescribeKey once per key and region.

use super::{
    judge_dry_run, judge_key, judge_name, judge_region, judge_source, judge_time, DryRun, NewCopy,
};
use crate::ec2::call::{bounded, CallError};
use crate::ec2::errors::{describe_sdk_error, error_code};
use crate::ec2::image_reader::{describe_image, images_named};
use crate::provider::clients::AwsClients;
use crate::resources::ami_copy::model::{attr, AmiCopyState, Cty};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tfplugin::{Context, Diagnostics, Value};
use tokio::sync::OnceCell;

/// All checks of one copy together may take this long; a check still waiting then is skipped.
const CHECKS_LIMIT: Duration = Duration::from_secs(20);

/// The configured attributes the CopyImage request is made of: with any of them unknown at plan
/// (from another resource made in the same apply), the dry run is skipped. (A computed value left
/// unset is unknown in every create's plan, and sent as unset at apply too.)
const DRY_RUN_INPUTS: &[&str] = &[
    attr::name,
    attr::source_ami_id,
    attr::source_ami_region,
    attr::description,
    attr::encrypted,
    attr::kms_key_id,
    attr::destination_outpost_arn,
    attr::destination_availability_zone,
    attr::snapshot_copy_completion_duration_minutes,
    attr::copy_tags,
    attr::tags,
];

/// Every check of `copy` (planned as `planned`); the diagnostics they found.
pub async fn check(
    clients: &AwsClients,
    ctx: &Context,
    copy: &NewCopy,
    planned: &Value,
    config: &Value,
) -> Diagnostics {
    let ctx = &ctx.with_timeout("plan checks", CHECKS_LIMIT);
    let (source, name, dry_run, key, region) = tokio::join!(
        source(clients, ctx, copy),
        name(clients, ctx, copy),
        dry_run(clients, ctx, copy, planned, config),
        key(clients, ctx, copy),
        region(clients, ctx, copy),
    );
    let time = judge_time(copy.completion_minutes, copy.create_timeout);
    let mut d = Diagnostics::new();
    for found in [source, name, dry_run, key, region, time]
        .into_iter()
        .flatten()
    {
        d.push(found);
    }
    d
}

/// One debug line for a check that could not be made; it says nothing then.
fn skipped<T>(check: &str, why: impl std::fmt::Display) -> Option<T> {
    tracing::debug!(check, "plan-time check skipped: {why}");
    None
}

/// The one cell for `key` among `cells`: concurrent checks asking the same question share its
/// answer (and its single call).
fn shared<T>(cells: &'static OnceLock<Cells<T>>, key: String) -> Arc<OnceCell<T>> {
    let mut cells = crate::ec2::lock(cells.get_or_init(Default::default));
    Arc::clone(cells.entry(key).or_default())
}

type Cells<T> = Mutex<HashMap<String, Arc<OnceCell<T>>>>;

/// Answers are per provider configuration (its credentials and endpoints).
fn config_key(clients: &AwsClients) -> usize {
    clients as *const AwsClients as usize
}

/// What the source check learned: the source as read in its region (`None`: the read failed),
/// and whether the provider's region has it when its own region does not.
type SourceAnswer = Option<(crate::ec2::image_reader::ReadResult, Option<String>)>;

async fn source(
    clients: &AwsClients,
    ctx: &Context,
    copy: &NewCopy,
) -> Option<tfplugin::Diagnostic> {
    let (id, region) = (copy.source_id.as_deref()?, copy.source_region.as_deref()?);
    // Copies of one source (a fan-out) ask once per plan.
    static SOURCES: OnceLock<Cells<SourceAnswer>> = OnceLock::new();
    let cell = shared(
        &SOURCES,
        format!(
            "{}|{region}|{id}|{}",
            config_key(clients),
            copy.provider_region
        ),
    );
    let answer = cell
        .get_or_init(|| async {
            let found = match bounded(
                ctx,
                "DescribeImages",
                describe_image(clients, region, id, false),
            )
            .await
            {
                Ok(found) => Ok(found),
                Err(e) => return skipped("source", e.describe()),
            };
            // Not there: the provider's own region is one more cheap question.
            let mut elsewhere = None;
            if matches!(found, Ok(None)) && region != copy.provider_region {
                let other = &copy.provider_region;
                if let Ok(Some(_)) = bounded(
                    ctx,
                    "DescribeImages",
                    describe_image(clients, other, id, false),
                )
                .await
                {
                    elsewhere = Some(other.clone());
                }
            }
            Some((found, elsewhere))
        })
        .await;
    let (found, elsewhere) = answer.as_ref()?;
    judge_source(
        id,
        region,
        found,
        elsewhere.as_deref(),
        time::OffsetDateTime::now_utc(),
    )
}

async fn name(clients: &AwsClients, ctx: &Context, copy: &NewCopy) -> Option<tfplugin::Diagnostic> {
    let name = copy.name.as_deref()?;
    let holders = match bounded(
        ctx,
        "DescribeImages",
        images_named(clients, &copy.region, name),
    )
    .await
    {
        Ok(holders) => Ok(holders),
        Err(e) => return skipped("name", e.describe()),
    };
    judge_name(copy, name, &holders)
}

async fn dry_run(
    clients: &AwsClients,
    ctx: &Context,
    copy: &NewCopy,
    planned: &Value,
    config: &Value,
) -> Option<tfplugin::Diagnostic> {
    if DRY_RUN_INPUTS
        .iter()
        .any(|a| config.get(a).contains_unknown())
    {
        return skipped("permission", "the request is not known at plan time");
    }
    let state = AmiCopyState::from_cty(planned);
    let tags_at_birth =
        !crate::resources::ami_copy::lifecycle::asked_tags(clients, &state).is_empty();
    // Everything but the name and description (no IAM condition reads them) decides the answer.
    let mut request = planned.clone();
    request.set(attr::name, Value::Null);
    request.set(attr::description, Value::Null);
    static DRY_RUNS: OnceLock<Cells<DryRun>> = OnceLock::new();
    let cell = shared(
        &DRY_RUNS,
        format!("{}|{}|{request:?}", config_key(clients), copy.region),
    );
    let answer = cell
        .get_or_init(|| send_dry_run(clients, ctx, &copy.region, &state))
        .await;
    judge_dry_run(answer, tags_at_birth)
}

/// The name the dry run sends instead of the planned one: should a backend carry the dry run
/// out, only an image of this name is made, never one holding (or taking) a real name.
fn throwaway_name() -> String {
    let token = crate::resources::ami_copy::private::new_client_token();
    format!(
        "tf-amicopy-dry-run-{}",
        token.trim_start_matches("tf-amicopy-")
    )
}

async fn send_dry_run(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    planned: &AmiCopyState,
) -> DryRun {
    let mut request = planned.clone();
    let name = throwaway_name();
    request.name = Some(name.clone());
    let sent = time::OffsetDateTime::now_utc();
    let req = crate::resources::ami_copy::create::copy_request(clients, region, &request)
        .dry_run(true)
        .customize()
        .config_override(crate::ec2::optional_read::config());
    match bounded(ctx, "CopyImage (dry run)", req.send()).await {
        Err(CallError::Failed(e)) => match error_code(&e).as_deref() {
            Some("DryRunOperation") => DryRun::Allowed,
            Some("UnauthorizedOperation") => DryRun::Denied(
                aws_sdk_ec2::error::ProvideErrorMetadata::message(&e)
                    .unwrap_or("no message")
                    .trim_end_matches('.')
                    .to_string(),
            ),
            _ => {
                skipped::<()>("permission", describe_sdk_error(&e));
                DryRun::Unknown
            }
        },
        Err(e) => {
            skipped::<()>("permission", e.describe());
            DryRun::Unknown
        }
        Ok(out) => match out.image_id().filter(|id| !id.is_empty()) {
            Some(id) => undo_performed(clients, ctx, region, id, &name, sent).await,
            None => DryRun::Unknown,
        },
    }
}

/// A backend ignored DryRun and copied. The image goes only when EC2 shows it under the
/// throwaway name, created after the dry run was sent: then it is the dry run's and nothing else.
async fn undo_performed(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    id: &str,
    name: &str,
    sent: time::OffsetDateTime,
) -> DryRun {
    use crate::resources::ami_copy::ownership::{allow, Act, Path, Proof, ALLOWANCE};
    let performed = DryRun::Performed {
        id: id.to_string(),
        name: name.to_string(),
        removed: false,
    };
    if let Err(why) = allow(Path::DryRun, Act::Deregister, &Proof::DryRunAnswer) {
        tracing::warn!(image_id = id, "{why}");
        return performed;
    }
    let found = bounded(
        ctx,
        "DescribeImages",
        describe_image(clients, region, id, false),
    )
    .await;
    let image = match found {
        Ok(Some(image)) => image,
        _ => {
            tracing::warn!(
                image_id = id,
                "the dry run's copy could not be read back; left"
            );
            return performed;
        }
    };
    let created = image
        .creation_date()
        .and_then(|t| crate::validators::rfc3339(t).ok());
    // The allowance covers EC2 writing whole seconds; the local clock may run ahead a little.
    let after_send = created.is_some_and(|t| t >= sent - ALLOWANCE - time::Duration::seconds(60));
    if image.name() != Some(name) || !after_send {
        tracing::warn!(
            image_id = id,
            "the dry run's answer names an image that is not its throwaway copy; left"
        );
        return performed;
    }
    tracing::warn!(
        image_id = id,
        "the backend ignored DryRun; deregistering the copy it made"
    );
    let undo = crate::resources::ami_copy::image_ops::deregister(clients, ctx, region, id);
    match undo.await {
        Ok(_) => DryRun::Performed {
            id: id.to_string(),
            name: name.to_string(),
            removed: true,
        },
        Err(e) => {
            tracing::warn!(image_id = id, "could not deregister it: {}", e.message);
            performed
        }
    }
}

async fn key(clients: &AwsClients, ctx: &Context, copy: &NewCopy) -> Option<tfplugin::Diagnostic> {
    let key = copy.kms_key_id.as_deref()?;
    static KEYS: OnceLock<Cells<Result<String, bool>>> = OnceLock::new();
    let cell = shared(
        &KEYS,
        format!("{}|{}|{key}", config_key(clients), copy.region),
    );
    let answer = cell
        .get_or_init(|| async {
            let call = clients.kms(&copy.region).describe_key().key_id(key).send();
            match bounded(ctx, "KMS DescribeKey", call).await {
                Ok(out) => match out.key_metadata().and_then(|m| m.key_state()) {
                    Some(state) => Ok(state.as_str().to_string()),
                    None => Err(false),
                },
                Err(CallError::Failed(e))
                    if error_code(&e).as_deref() == Some("NotFoundException") =>
                {
                    Err(true)
                }
                Err(e) => {
                    skipped::<()>("key", e.describe());
                    Err(false)
                }
            }
        })
        .await;
    judge_key(key, &copy.region, answer)
}

/// Opt-in statuses by region, asked once per provider configuration.
type Statuses = Option<HashMap<String, String>>;

async fn region(
    clients: &AwsClients,
    ctx: &Context,
    copy: &NewCopy,
) -> Option<tfplugin::Diagnostic> {
    static REGIONS: OnceLock<Cells<Statuses>> = OnceLock::new();
    let cell = shared(&REGIONS, config_key(clients).to_string());
    let statuses = cell
        .get_or_init(|| async {
            let call = clients
                .ec2(&copy.provider_region)
                .describe_regions()
                .all_regions(true)
                .customize()
                .config_override(crate::ec2::optional_read::config())
                .send();
            match bounded(ctx, "DescribeRegions", call).await {
                Ok(out) => Some(
                    out.regions()
                        .iter()
                        .filter_map(|r| {
                            Some((r.region_name()?.to_string(), r.opt_in_status()?.to_string()))
                        })
                        .collect(),
                ),
                Err(e) => skipped("region", e.describe()),
            }
        })
        .await
        .as_ref()?;
    judge_region(&copy.region, statuses.get(&copy.region).map(String::as_str))
}
