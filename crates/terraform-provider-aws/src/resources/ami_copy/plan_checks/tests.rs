use super::*;
use aws_sdk_ec2::types::{Image, StateReason};
use tfplugin::Severity;
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-12-06 10:00 UTC);

fn image(state: ImageState) -> Image {
    Image::builder()
        .image_id("ami-11111111")
        .state(state)
        .build()
}

fn severity(d: &Option<Diagnostic>) -> Option<Severity> {
    d.as_ref().map(|d| d.severity)
}

#[test]
fn sources() {
    let judge = |found: ReadResult, elsewhere| {
        judge_source("ami-11111111", "eu-west-1", &found, elsewhere, NOW)
    };
    assert_eq!(judge(Ok(Some(image(ImageState::Available))), None), None);
    let pending = judge(Ok(Some(image(ImageState::Pending))), None);
    assert_eq!(severity(&pending), Some(Severity::Warning));
    for state in [
        ImageState::Failed,
        ImageState::Disabled,
        ImageState::Deregistered,
        ImageState::Error,
    ] {
        let d = judge(Ok(Some(image(state.clone()))), None).expect("an error");
        assert_eq!(d.severity, Severity::Error, "{state:?}");
        assert!(d.detail.contains(state.as_str()), "{}", d.detail);
        assert_eq!(d.path, Some(AttributePath::root(attr::source_ami_id)));
    }
    let failed = Image::builder()
        .state(ImageState::Failed)
        .state_reason(StateReason::builder().message("copy failed").build())
        .build();
    assert!(judge(Ok(Some(failed)), None)
        .expect("error")
        .detail
        .contains("copy failed"));
    let missing = judge(Ok(None), None).expect("an error");
    assert_eq!(missing.severity, Severity::Error);
    assert!(!missing.detail.contains("source_ami_region"));
    let hinted = judge(Ok(None), Some("us-east-1")).expect("an error");
    assert!(
        hinted.detail.contains("source_ami_region = \"us-east-1\""),
        "{}",
        hinted.detail
    );
    // A failed read is no answer: the check says nothing.
    assert_eq!(judge(Err("AuthFailure".into()), None), None);
    let deprecated = Image::builder()
        .state(ImageState::Available)
        .deprecation_time("2026-01-01T00:00:00.000Z")
        .build();
    let d = judge(Ok(Some(deprecated)), None).expect("a warning");
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.detail.contains("2026-01-01T00:00:00.000Z"));
    let later = Image::builder()
        .state(ImageState::Available)
        .deprecation_time("2030-01-01T00:00:00.000Z")
        .build();
    assert_eq!(judge(Ok(Some(later)), None), None);
}

fn copy(managed_holder: Option<&str>) -> NewCopy {
    NewCopy {
        region: "us-east-1".into(),
        provider_region: "us-east-1".into(),
        name: Some("copy".into()),
        managed_holder: managed_holder.map(str::to_string),
        create_timeout: Duration::from_secs(2400),
        ..Default::default()
    }
}

#[test]
fn names() {
    let holder = Image::builder()
        .image_id("ami-22222222")
        .name("copy")
        .source_image_id("ami-33333333")
        .source_image_region("eu-west-1")
        .creation_date("2026-12-01T00:00:00.000Z")
        .build();
    assert_eq!(judge_name(&copy(None), "copy", &Ok(vec![])), None);
    assert_eq!(judge_name(&copy(None), "copy", &Err("denied".into())), None);
    let d = judge_name(&copy(None), "copy", &Ok(vec![holder.clone()])).expect("a warning");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.path, Some(AttributePath::root(attr::name)));
    for words in [
        "ami-22222222",
        "ami-33333333",
        "2026-12-01T00:00:00.000Z",
        "import {",
        "id = \"ami-22222222\"",
        "will fail",
    ] {
        assert!(d.detail.contains(words), "{words:?} in {}", d.detail);
    }
    // Another region than the provider's: the import id says where.
    let mut elsewhere = copy(None);
    elsewhere.region = "eu-west-1".into();
    let d = judge_name(&elsewhere, "copy", &Ok(vec![holder.clone()])).expect("a warning");
    assert!(
        d.detail.contains("id = \"ami-22222222@eu-west-1\""),
        "{}",
        d.detail
    );
    // A copy of this configuration holds the name (a replacement keeping it): the
    // create_before_destroy advice instead of an import.
    let d = judge_name(
        &copy(Some("ami-22222222")),
        "copy",
        &Ok(vec![holder.clone()]),
    )
    .expect("a warning");
    assert!(
        d.detail.contains("create_before_destroy") && !d.detail.contains("import {"),
        "{}",
        d.detail
    );
    // Import is advised only where it keeps the holder: the configured source is the holder's.
    let mut same_source = copy(None);
    same_source.source_id = Some("ami-33333333".into());
    same_source.source_region = Some("eu-west-1".into());
    let d = judge_name(&same_source, "copy", &Ok(vec![holder.clone()])).expect("a warning");
    assert!(d.detail.contains("import {"), "{}", d.detail);
    let mut other_source = same_source.clone();
    other_source.source_id = Some("ami-44444444".into());
    let d = judge_name(&other_source, "copy", &Ok(vec![holder])).expect("a warning");
    assert!(
        !d.detail.contains("import {") && d.detail.contains("would not keep it"),
        "{}",
        d.detail
    );
}

#[test]
fn dry_runs() {
    assert_eq!(judge_dry_run(&DryRun::Allowed, true), None);
    assert_eq!(judge_dry_run(&DryRun::Unknown, true), None);
    let denied = DryRun::Denied(
        "You are not authorized to perform this operation. Encoded authorization failure message: abc".into(),
    );
    let d = judge_dry_run(&denied, true).expect("a warning");
    // A read-only plan role must keep planning: the apply decides.
    assert_eq!(d.severity, Severity::Warning);
    assert!(
        d.detail.contains("ec2:CreateTags") && d.detail.contains("decode-authorization-message"),
        "{}",
        d.detail
    );
    let d = judge_dry_run(&DryRun::Denied("no".into()), false).expect("a warning");
    assert!(
        !d.detail.contains("CreateTags") && !d.detail.contains("decode"),
        "{}",
        d.detail
    );
    for removed in [true, false] {
        let performed = DryRun::Performed {
            id: "ami-9".into(),
            name: "tf-amicopy-dry-run-1".into(),
            removed,
        };
        let d = judge_dry_run(&performed, false).expect("a warning");
        assert_eq!(d.severity, Severity::Warning);
        assert!(d.detail.contains("tf-amicopy-dry-run-1"), "{}", d.detail);
        assert_eq!(d.detail.contains("was left"), !removed, "{}", d.detail);
    }
}

#[test]
fn regions_keys_and_time() {
    assert_eq!(judge_region("ap-east-1", Some("opted-in")), None);
    assert_eq!(judge_region("us-east-1", Some("opt-in-not-required")), None);
    assert_eq!(
        judge_region("us-east-9", None),
        None,
        "not listed: no certain answer"
    );
    let d = judge_region("ap-east-1", Some("not-opted-in")).expect("an error");
    assert_eq!(d.path, Some(AttributePath::root(attr::region)));

    let key = "arn:aws:kms:us-east-1:123456789012:key/k";
    assert_eq!(judge_key(key, "us-east-1", &Ok("Enabled".into())), None);
    assert_eq!(judge_key(key, "us-east-1", &Err(false)), None);
    for answer in [
        Ok("Disabled".to_string()),
        Ok("PendingDeletion".to_string()),
        Err(true),
    ] {
        let d = judge_key(key, "us-east-1", &answer).expect("an error");
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.path, Some(AttributePath::root(attr::kms_key_id)));
    }

    let forty = Duration::from_secs(40 * 60);
    assert_eq!(judge_time(None, forty), None);
    assert_eq!(judge_time(Some(30), forty), None);
    assert_eq!(judge_time(Some(40), forty), None);
    let d = judge_time(Some(45), forty).expect("a warning");
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.detail.contains("45m"), "{}", d.detail);
}

#[test]
fn the_new_copy_is_read_from_the_plan() {
    let mut planned = Value::Map(Default::default());
    planned.set(attr::id, Value::Unknown);
    planned.set(attr::name, Value::string("copy"));
    planned.set(attr::source_ami_id, Value::Unknown);
    let copy = NewCopy::of(&planned, "us-east-1");
    assert_eq!(copy.name.as_deref(), Some("copy"));
    assert_eq!(copy.source_id, None, "unknown at plan: skipped");
    assert_eq!(copy.region, "us-east-1");
    assert_eq!(copy.managed_holder, None);
}
