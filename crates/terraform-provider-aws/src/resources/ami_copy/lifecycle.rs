//! The life of one copy after CopyImage: what to tell the user when a wait for `available` ends
//! early, which tags a copy still lacks, and [`finish_copy`], which runs the steps CopyImage
//! cannot do (or that the backend did not do), with [`steps_left`], what to tell the user when
//! one of them fails. The states themselves are in `copy_state`.

use super::copy_state::Lifecycle;
use super::flatten::{shown_tags, snapshot_ids};
use super::image_ops;
use super::model::{attr, AmiCopyState, Operation};
use crate::ec2::image_waiter::WaitError;
use crate::provider::clients::AwsClients;
use crate::tags::{merge_default_tags, Tags};
use aws_sdk_ec2::types::{Image, Tag};
use tfplugin::{AttributePath, Context, Diagnostic, Diagnostics, Severity};

/// Which apply was waiting: the words of the advice differ, because a failed create taints
/// the copy and a failed update does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// The create's first wait.
    Create,
    /// An update resuming a copy left pending.
    Resume,
}

/// What a wait for `available` that ended early means: the copy's state to record (`None`
/// keeps the one it had) and the diagnostic to show. The one place these words are written.
pub fn wait_outcome(
    e: &WaitError,
    copy: &AmiCopyState,
    waiting: Waiting,
) -> (Option<Lifecycle>, Diagnostic) {
    let id = copy.image_id();
    let resume = || match waiting {
        Waiting::Create => resume_hint(id, copy.name.as_deref().unwrap_or_default()),
        Waiting::Resume => "It stays pending in the state: the next `terraform apply` resumes \
                            waiting (consider a longer `timeouts { update = ... }`)."
            .to_string(),
    };
    match e {
        // Not an error: an error would taint the copy and the next apply would replace it.
        WaitError::Stopped { .. } => (
            Some(Lifecycle::Pending),
            Diagnostic::warning(
                "AMI copy interrupted; it continues in EC2",
                format!(
                    "Terraform was {e}. The copy {id} is recorded in the state as \
                     pending and EC2 goes on copying. The next `terraform apply` resumes waiting \
                     for it (its plan shows state \"pending\" -> \"available\")."
                ),
            ),
        ),
        WaitError::Timeout { .. } => (
            Some(Lifecycle::Pending),
            Diagnostic::error(
                "AMI copy not finished in time",
                format!("{}.\n\n{}", sentence(e), resume()),
            ),
        ),
        // Disabled outside Terraform: waiting will not help, and replacing is not ours to do.
        WaitError::Failed { state, .. } if state == "disabled" => (
            Some(Lifecycle::Pending),
            Diagnostic::error(
                "AMI copy disabled",
                format!("{}.\n\n{}", sentence(e), resume()),
            ),
        ),
        WaitError::Failed { state, reason, .. } => (
            Some(Lifecycle::parse(state)),
            Diagnostic::error(
                failed_summary(reason.as_deref()),
                format!(
                    "{e}. The failed copy {id} stays in the state: the next apply replaces it."
                ),
            ),
        ),
        WaitError::NotFound { .. } => (
            None,
            Diagnostic::error(
                "AMI copy is gone",
                format!("{e}. The next refresh removes it from the state and plans a new copy."),
            ),
        ),
        WaitError::Api(_) => (
            None,
            Diagnostic::error(
                "Cannot confirm the AMI copy",
                format!(
                    "Waiting for the copy {id} to become available: {e}.\n\n{}",
                    resume()
                ),
            ),
        ),
    }
}

/// `text` as the start of a sentence: its first letter in upper case. The wait errors read as
/// clauses ("timed out after 40m0s waiting for ..."), so that they fit after a colon too.
pub fn sentence(text: impl std::fmt::Display) -> String {
    let text = text.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// The create steps after `available` that failed (`diags`), as warnings that say what is left
/// and that the next apply does it: the copy is recorded pending, not tainted (see `create`).
/// Warnings and anything else in `diags` pass through as they are.
pub fn steps_left(id: &str, diags: Diagnostics) -> Diagnostics {
    let left = diags
        .0
        .into_iter()
        .map(|d| {
            if d.severity != Severity::Error {
                return d;
            }
            Diagnostic {
                severity: Severity::Warning,
                detail: format!(
                    "{}\n\nThe copy {id} is available and kept (not tainted): it is recorded as \
                     pending, and the next `terraform apply` does this step again (its plan shows \
                     state \"pending\" -> \"available\"). Nothing is copied again.",
                    d.detail
                ),
                ..d
            }
        })
        .collect();
    Diagnostics(left)
}

/// The summary of a failed copy: EC2's reason in the summary line, which Terraform does not wrap.
pub fn failed_summary(reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("AMI copy failed: {r}"),
        None => "AMI copy failed".to_string(),
    }
}

/// How to resume a copy whose create failed but which EC2 goes on copying. `name` is the
/// copy's AMI name, used to find its address in the configuration (see `address`).
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

/// The tags a copy is asked to carry: `tags_all` when planned, else default_tags ∪ tags; `aws:`
/// and ignored keys never.
pub fn asked_tags(clients: &AwsClients, planned: &AmiCopyState) -> Tags {
    let tags = match &planned.tags_all {
        Some(all) => all.clone(),
        None => merge_default_tags(
            &clients.default_tags,
            &planned.tags.clone().unwrap_or_default(),
            &clients.ignore_tags,
        ),
    };
    clients.ignore_tags.filter(&tags)
}

/// The asked tags that `shown` lacks or has with another value. Tags the copy carries beyond
/// those asked (copied from the source by `copy_tags`, say) are not this check's business.
pub fn tags_missing(asked: &Tags, shown: &Tags) -> Tags {
    asked
        .iter()
        .filter(|(k, v)| shown.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `image` as it is once `tags` are set on it.
fn with_tags(mut image: Image, tags: &Tags) -> Image {
    let mut all = shown_tags(&image);
    all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    image.tags = Some(
        all.into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect(),
    );
    image
}

/// The create steps after the copy is available: the tags the backend ignored at birth (some
/// emulators drop CopyImage's TagSpecifications), the deprecation time and deregistration
/// protection. Returns the image as last described, with the tags set here; failures go to
/// `diags`.
pub async fn finish_copy(
    clients: &AwsClients,
    ctx: &Context,
    region: &str,
    planned: &AmiCopyState,
    mut image: Image,
    diags: &mut Diagnostics,
) -> Image {
    let id = image.image_id().unwrap_or_default().to_string();
    // Compared with the wait's own answer: no extra call when the tags came at birth.
    let missing = tags_missing(&asked_tags(clients, planned), &shown_tags(&image));
    if !missing.is_empty() {
        // The image and its snapshots were born from the same TagSpecifications: one call
        // tags them all.
        let resources: Vec<String> = std::iter::once(id.clone())
            .chain(snapshot_ids(&image))
            .collect();
        match image_ops::create_tags(clients, ctx, region, &resources, &missing).await {
            Ok(()) => {
                tracing::info!(
                    image_id = %id,
                    keys = ?missing.keys().collect::<Vec<_>>(),
                    "the backend ignored the tags given at birth; set them after the copy"
                );
                image = with_tags(image, &missing);
            }
            Err(msg) => diags.push(
                Diagnostic::error(
                    "Cannot tag the AMI copy",
                    format!("The copy {id} came without the tags asked for; {msg}"),
                )
                .at(AttributePath::root(attr::tags)),
            ),
        }
    }
    if let Some(when) = planned.deprecation_time.as_deref() {
        let wait = planned.timeout(Operation::Create);
        match image_ops::set_deprecation(clients, ctx, region, &id, Some(when), wait).await {
            // A fresh answer may not show the new tags yet where EC2 is eventually consistent.
            Ok(image_ops::Change::Shown(i)) => image = with_tags(*i, &missing),
            Ok(image_ops::Change::NotShown(warning)) => diags.push(warning),
            Err(d) => diags.push(d),
        }
    }
    if planned.protection() != "disabled" {
        let want = planned.protection();
        if let Err(d) = image_ops::set_protection(clients, ctx, region, &id, want).await {
            diags.push(d);
        }
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn wait_outcomes() {
        let copy = AmiCopyState {
            id: Some("ami-1".into()),
            ..Default::default()
        };
        let stopped = WaitError::Stopped {
            image_id: "ami-1".into(),
            waiting_for: "available",
            last: None,
            progress: None,
        };
        let (state, d) = wait_outcome(&stopped, &copy, Waiting::Create);
        assert_eq!(state, Some(Lifecycle::Pending));
        assert_eq!(
            d.severity,
            tfplugin::Severity::Warning,
            "no taint on Ctrl-C"
        );
        let failed = WaitError::Failed {
            image_id: "ami-1".into(),
            state: "failed".into(),
            reason: Some("InternalError".into()),
        };
        let (state, d) = wait_outcome(&failed, &copy, Waiting::Resume);
        assert_eq!(state, Some(Lifecycle::Failed("failed".into())));
        assert_eq!(d.summary, "AMI copy failed: InternalError");
        let (state, d) = wait_outcome(&WaitError::Api("x".into()), &copy, Waiting::Resume);
        assert_eq!(state, None);
        assert!(d.detail.contains("ami-1"));
    }

    #[test]
    fn steps_left_are_warnings_that_keep_the_step_and_its_attribute() {
        let mut diags = Diagnostics::new();
        let path = AttributePath::root(attr::deprecation_time);
        diags.push(
            Diagnostic::error(
                "Cannot set the AMI deprecation time",
                "EnableImageDeprecation: x",
            )
            .at(path.clone()),
        );
        diags.warning("Something else", "as it was");
        let left = steps_left("ami-1", diags);
        assert!(
            !left.has_errors(),
            "an error would taint the copy: {left:?}"
        );
        let d = &left.0[0];
        assert_eq!(d.summary, "Cannot set the AMI deprecation time");
        assert_eq!(d.path, Some(path));
        assert!(
            d.detail.starts_with("EnableImageDeprecation: x"),
            "{}",
            d.detail
        );
        assert!(
            d.detail.contains("ami-1") && d.detail.contains("next `terraform apply`"),
            "{}",
            d.detail
        );
        assert_eq!(left.0[1].detail, "as it was");
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tags_missing_lists_absent_and_different_values_only() {
        let asked = tags(&[("Name", "HelloWorld"), ("Env", "prod"), ("Blank", "")]);
        // Born untagged (the backend ignored the TagSpecifications): everything is missing.
        assert_eq!(tags_missing(&asked, &Tags::new()), asked);
        // Tagged at birth: nothing to set, whatever else the copy carries.
        let shown = tags(&[
            ("Name", "HelloWorld"),
            ("Env", "prod"),
            ("Blank", ""),
            ("Team", "copied-from-source"),
            ("aws:backup", "x"),
        ]);
        assert!(tags_missing(&asked, &shown).is_empty());
        // A value that differs, and a key missing, are set; an extra key is never touched.
        let shown = tags(&[("Name", "Other"), ("Blank", ""), ("Extra", "1")]);
        assert_eq!(
            tags_missing(&asked, &shown),
            tags(&[("Name", "HelloWorld"), ("Env", "prod")])
        );
        assert!(tags_missing(&Tags::new(), &shown).is_empty());
    }

    #[test]
    fn shown_tags_and_with_tags_round_trip() {
        let image = Image::builder()
            .tags(Tag::builder().key("Name").value("old").build())
            .tags(Tag::builder().key("Keep").build())
            .build();
        assert_eq!(shown_tags(&image), tags(&[("Name", "old"), ("Keep", "")]));
        let image = with_tags(image, &tags(&[("Name", "new"), ("Env", "prod")]));
        assert_eq!(
            shown_tags(&image),
            tags(&[("Name", "new"), ("Keep", ""), ("Env", "prod")])
        );
    }
}
