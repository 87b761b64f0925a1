//! Checks at plan time, for every copy the plan makes (a create, or the create half of a
//! replacement; never a copy that stays): what would make CopyImage fail, found with read-only
//! calls before anything is copied. A value unknown at plan is skipped.
//!
//! | check | call | outcome |
//! |---|---|---|
//! | the source exists and is available | DescribeImages by id (batched) | error; pending or deprecated: warning |
//! | the name is free | DescribeImages by name, owner self (batched) | warning naming the holder |
//! | CopyImage is allowed | CopyImage with `DryRun` and a throwaway name (one per distinct request) | `UnauthorizedOperation`: warning |
//! | the key exists and is enabled | KMS DescribeKey (one per key) | error |
//! | the region is enabled | DescribeRegions (one per plan) | `not-opted-in`: error |
//! | the time-based copy fits `timeouts.create` | none | warning |
//!
//! A check whose call is denied or fails after its retries never fails the plan: one debug line,
//! and the check is skipped. Errors only where the apply would certainly fail. The judgements are
//! pure (`judge_*`), the calls are in `run`.

use super::model::{attr, AmiCopyState, Cty, Operation};
use super::ownership::describe_holder;
use crate::ec2::image_reader::{NamedResult, ReadResult};
use crate::provider::clients::AwsClients;
use aws_sdk_ec2::types::ImageState;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tfplugin::{AttributePath, Diagnostic, Value};

mod run;
mod walk;
pub use run::check;
pub use walk::{applying, checked_already, checks_made, question};

/// `AMICOPY_PLAN_CHECKS=false` turns the checks off: for a backend where one misleads, and for
/// `make bench`, which measures what they cost.
const SWITCH: &str = "AMICOPY_PLAN_CHECKS";

/// Whether the checks run (unless the environment turns them off).
pub fn enabled() -> bool {
    !matches!(
        std::env::var(SWITCH).ok().as_deref().map(str::trim),
        Some("false" | "0" | "off")
    )
}

/// What the checks know of the new copy: the values known at plan (`None` when unknown).
#[derive(Clone, Debug, Default)]
pub struct NewCopy {
    pub region: String,
    pub provider_region: String,
    pub name: Option<String>,
    pub source_id: Option<String>,
    pub source_region: Option<String>,
    pub kms_key_id: Option<String>,
    pub completion_minutes: Option<i64>,
    pub create_timeout: Duration,
    /// The copy of this configuration that holds the planned name, if one does (see `managed`).
    pub managed_holder: Option<String>,
}

impl NewCopy {
    /// From the planned state.
    pub fn of(planned: &Value, provider_region: &str) -> NewCopy {
        let known = |a: &str| {
            planned
                .get(a)
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let state = AmiCopyState::from_cty(planned);
        NewCopy {
            region: state.region_or(provider_region).to_string(),
            provider_region: provider_region.to_string(),
            name: known(attr::name),
            source_id: known(attr::source_ami_id),
            source_region: known(attr::source_ami_region),
            kms_key_id: known(attr::kms_key_id),
            completion_minutes: planned
                .get(attr::snapshot_copy_completion_duration_minutes)
                .as_i64(),
            create_timeout: state.timeout(Operation::Create),
            managed_holder: None,
        }
    }
}

/// The copies this provider process has met in the state (refreshed or planned), by provider
/// configuration, region and name. Terraform plans a replacement's new copy as a create, with
/// nothing of the old one; a name held by one of these is held by this configuration, which is
/// what the warning on a replacement that keeps its name needs to know. Only words depend on it.
type Managed = Mutex<HashMap<(usize, String, String), String>>;

fn managed_copies() -> &'static Managed {
    static MANAGED: OnceLock<Managed> = OnceLock::new();
    MANAGED.get_or_init(Default::default)
}

/// Remembers a copy in the state (see [`Managed`]).
pub fn remember(clients: &AwsClients, state: &Value) {
    let copy = AmiCopyState::from_cty(state);
    let (Some(name), id) = (copy.name.as_deref(), copy.image_id()) else {
        return;
    };
    if name.is_empty() || id.is_empty() {
        return;
    }
    let region = copy.region_or(&clients.region).to_string();
    crate::ec2::lock(managed_copies()).insert(
        (
            clients as *const AwsClients as usize,
            region,
            name.to_string(),
        ),
        id.to_string(),
    );
}

/// The copy of this configuration named `name` in `region`, if the process has met one.
pub fn managed(clients: &AwsClients, region: &str, name: &str) -> Option<String> {
    crate::ec2::lock(managed_copies())
        .get(&(
            clients as *const AwsClients as usize,
            region.to_string(),
            name.to_string(),
        ))
        .cloned()
}

fn at(a: &str) -> AttributePath {
    AttributePath::root(a)
}

/// The source as DescribeImages reported it in its region (`found`), and, when it was not
/// there, whether the provider's region has it (`elsewhere`).
pub fn judge_source(
    id: &str,
    region: &str,
    found: &ReadResult,
    elsewhere: Option<&str>,
    now: time::OffsetDateTime,
) -> Option<Diagnostic> {
    let path = at(attr::source_ami_id);
    let image = match found {
        Ok(Some(image)) => image,
        Ok(None) => {
            let hint = elsewhere
                .map(|r| {
                    format!(
                        " It exists in {r}: if that is the image meant, set source_ami_region = \
                         \"{r}\"."
                    )
                })
                .unwrap_or_default();
            return Some(
                Diagnostic::error(
                    "Source AMI not found",
                    format!(
                        "EC2 does not list {id} in {region}: it does not exist there or has \
                         been deregistered, so CopyImage would fail.{hint}"
                    ),
                )
                .at(path),
            );
        }
        Err(_) => return None,
    };
    match image.state() {
        Some(ImageState::Available) | None => {}
        Some(ImageState::Pending) => {
            return Some(
                Diagnostic::warning(
                    "Source AMI not available yet",
                    format!(
                        "EC2 reports {id} in {region} as pending. CopyImage needs an available \
                         source: the apply fails if it is not available by then."
                    ),
                )
                .at(path),
            )
        }
        Some(state) => {
            let reason = image
                .state_reason()
                .and_then(|r| r.message())
                .filter(|m| !m.is_empty())
                .map(|m| format!(" ({m})"))
                .unwrap_or_default();
            return Some(
                Diagnostic::error(
                    "Source AMI cannot be copied",
                    format!(
                        "EC2 reports {id} in {region} as {}{reason}: only an available image can \
                         be copied.",
                        state.as_str()
                    ),
                )
                .at(path),
            );
        }
    }
    let deprecated = image
        .deprecation_time()
        .filter(|t| !t.is_empty())
        .and_then(|t| crate::validators::rfc3339(t).ok().map(|at| (t, at)))
        .filter(|(_, at)| *at <= now);
    deprecated.map(|(t, _)| {
        Diagnostic::warning(
            "Source AMI is deprecated",
            format!(
                "{id} in {region} has been deprecated since {t}. It can still be copied, but its \
                 owner may deregister it."
            ),
        )
        .at(at(attr::source_ami_id))
    })
}

/// The images already holding the name in the destination region (`holders`).
pub fn judge_name(copy: &NewCopy, name: &str, holders: &NamedResult) -> Option<Diagnostic> {
    let holders = holders.as_ref().ok()?;
    let first = holders.first()?;
    let described: Vec<String> = holders.iter().map(describe_holder).collect();
    let ours = copy
        .managed_holder
        .as_deref()
        .is_some_and(|id| holders.iter().any(|h| h.image_id() == Some(id)));
    let detail = if ours {
        format!(
            "The name {name:?} is held in {} by {}, a copy this configuration manages. If this plan \
             replaces that copy and keeps its name, the old copy is destroyed before the new one is \
             made, unless the resource has create_before_destroy: then CopyImage fails on the name, \
             since AMI names are unique in a region, and a create_before_destroy replacement needs \
             a new name (with a timestamp or a random_id in it, for example). Two resources cannot \
             share the name either.",
            copy.region,
            described.join(", ")
        )
    } else if !import_keeps_all(copy, holders) {
        format!(
            "The name {name:?} is held in {} by {}. AMI names are unique in a region, so CopyImage \
             will fail unless that image is gone before the copy starts. Importing it into this \
             resource would not keep it: it is not a copy of {} from {}, so the next plan would \
             replace it (deregister it and copy again). Choose another name, or deregister that \
             image first.",
            copy.region,
            described.join(", "),
            copy.source_id.as_deref().unwrap_or("the configured source"),
            copy.source_region.as_deref().unwrap_or("the configured region"),
        )
    } else {
        let id = first.image_id().unwrap_or("ID");
        let import_id = if copy.region == copy.provider_region {
            id.to_string()
        } else {
            format!("{id}@{}", copy.region)
        };
        let address = super::address::guess(name).unwrap_or_else(|| "ADDRESS".to_string());
        format!(
            "The name {name:?} is held in {} by {}. AMI names are unique in a region, so CopyImage \
             will fail unless that image is gone before the copy starts. To manage that image with \
             this resource instead, import it:\n\n  import {{\n    to = {address}\n    id = \
             \"{import_id}\"\n  }}",
            copy.region,
            described.join(", ")
        )
    };
    Some(Diagnostic::warning("AMI name already in use", detail).at(at(attr::name)))
}

/// Whether importing the (first) holder would keep it: it reports the configured source, or no
/// source at all (see `ownership::import_keeps`). With the source unknown at plan, it cannot say.
fn import_keeps_all(copy: &NewCopy, holders: &[aws_sdk_ec2::types::Image]) -> bool {
    let (Some(first), Some(id), Some(region)) = (
        holders.first(),
        copy.source_id.as_deref(),
        copy.source_region.as_deref(),
    ) else {
        return true;
    };
    super::ownership::import_keeps(first, id, region)
}

/// What a dry run of CopyImage answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DryRun {
    /// `DryRunOperation`: the caller may copy (and tag at birth).
    Allowed,
    /// `UnauthorizedOperation`, with EC2's message.
    Denied(String),
    /// The backend ignored `DryRun` and copied: the copy it made under the throwaway `name`, and
    /// whether it was deregistered (only when EC2 showed it with that name, made after the send).
    Performed {
        id: String,
        name: String,
        removed: bool,
    },
    /// Anything else: no reliable answer.
    Unknown,
}

/// The dry run's answer as a diagnostic: a warning when EC2 said the caller may not.
pub fn judge_dry_run(answer: &DryRun, tags_at_birth: bool) -> Option<Diagnostic> {
    let message = match answer {
        DryRun::Denied(message) => message,
        DryRun::Performed { id, name, removed } => {
            let outcome = if *removed {
                "which was deregistered at once".to_string()
            } else {
                format!(
                    "which could not be shown to be the dry run's own copy and was left: \
                     deregister {id} ({name:?}) if it is"
                )
            };
            return Some(Diagnostic::warning(
                "The backend ignores DryRun",
                format!(
                    "A dry run of CopyImage, to check permissions at plan time, was carried out: \
                     the backend made the copy {id} under the throwaway name {name:?}, {outcome}. \
                     Permissions are not checked at plan time against this backend."
                ),
            ));
        }
        DryRun::Allowed | DryRun::Unknown => return None,
    };
    let actions = if tags_at_birth {
        "ec2:CopyImage, with ec2:CreateTags on the new image and snapshots for the tags it sets at \
         birth"
    } else {
        "ec2:CopyImage"
    };
    let decode = if message.contains("Encoded authorization failure message") {
        " The encoded part says which policy denied it: decode it with `aws sts \
         decode-authorization-message --encoded-message <message>` (which needs \
         sts:DecodeAuthorizationMessage)."
    } else {
        ""
    };
    // A warning, not an error: pipelines that plan with a read-only role and apply with another
    // must keep planning, as they do with hashicorp/aws. The apply says for certain.
    Some(Diagnostic::warning(
        "Not allowed to copy the AMI",
        format!(
            "A dry run of CopyImage was refused with UnauthorizedOperation: {message}. The \
             credentials in use need {actions}. If the apply runs with other credentials (a \
             read-only role for plans), this says nothing about them; with these, the apply \
             fails.{decode}"
        ),
    ))
}

/// A region's opt-in status from DescribeRegions (`None`: not listed).
pub fn judge_region(region: &str, opt_in: Option<&str>) -> Option<Diagnostic> {
    (opt_in == Some("not-opted-in")).then(|| {
        Diagnostic::error(
            "Region not enabled",
            format!(
                "{region} is not enabled for this account (opt-in status not-opted-in), so nothing \
                 can be copied into it. Enable it in the account settings, or choose another region."
            ),
        )
        .at(at(attr::region))
    })
}

/// A KMS key's state from DescribeKey: `Ok(state)` or `Err(true)` when KMS says it does not
/// exist (`Err(false)`: no reliable answer).
pub fn judge_key(key: &str, region: &str, answer: &Result<String, bool>) -> Option<Diagnostic> {
    let path = at(attr::kms_key_id);
    match answer {
        Ok(state) if state == "Enabled" => None,
        Ok(state) => Some(
            Diagnostic::error(
                "KMS key not usable",
                format!(
                    "The KMS key {key} is {state} in {region}: a copy encrypted with it would fail. \
                     Enable the key, or choose another."
                ),
            )
            .at(path),
        ),
        Err(true) => Some(
            Diagnostic::error(
                "KMS key not found",
                format!(
                    "KMS has no key {key} in {region}: a copy encrypted with it would fail. The key \
                     must be in the destination region."
                ),
            )
            .at(path),
        ),
        Err(false) => None,
    }
}

/// A time-based copy that cannot end within `timeouts.create`.
pub fn judge_time(minutes: Option<i64>, create_timeout: Duration) -> Option<Diagnostic> {
    let minutes = minutes.filter(|m| *m > 0)?;
    let asked = Duration::from_secs(u64::try_from(minutes).ok()? * 60);
    (asked > create_timeout).then(|| {
        Diagnostic::warning(
            "Copy takes longer than the create timeout",
            format!(
                "snapshot_copy_completion_duration_minutes = {minutes} asks EC2 for a copy that may \
                 take {minutes} minutes, longer than timeouts.create ({} minutes). The apply would \
                 stop waiting first (the copy is kept, pending): raise timeouts.create to at least \
                 {minutes}m.",
                create_timeout.as_secs() / 60
            ),
        )
        .at(at(attr::snapshot_copy_completion_duration_minutes))
    })
}

#[cfg(test)]
mod tests;
