//! A copy whose creation outcome is unknown is adopted, never orphaned: when every CopyImage
//! answer is lost (EC2 made the copy, the provider never heard), and when CopyImage says the
//! name is taken by a copy this configuration made earlier (its state was lost). A name held by
//! anything else stays an error that names the holder.

use crate::support::{ami_copy, ami_id, Lane, Tf};

const REGION: &str = "us-east-1";

/// The words of the adoption warning (Terraform wraps them; match against `Run::flat`).
const ADOPTED: &str = "Adopted an existing AMI copy";

fn config_with_retries(tf: &Tf, retries: u32, name: &str, source: &str) -> String {
    format!(
        "{}{}",
        tf.provider_block(REGION, &format!("  max_retries = {retries}")),
        ami_copy(name, source, REGION, "")
    )
}

fn image_ids_named(tf: &Tf, name: &str) -> Vec<String> {
    tf.images_named(REGION, name)
        .iter()
        .filter_map(|i| i.image_id().map(str::to_string))
        .collect()
}

/// Every CopyImage attempt loses its answer; the apply adopts the copy EC2 made.
fn lost_answers_are_adopted(lane: Lane, retries: u32) {
    let test = format!("adopt_lost_{retries}_{lane:?}").to_ascii_lowercase();
    let tf = Tf::in_lane(lane, &test);
    let source = tf.make_source_ami(REGION, &format!("tfacc-{test}-source"));
    let name = format!("tfacc-{test}");
    tf.write(&config_with_retries(&tf, retries, &name, &source));
    tf.fault("CopyImage", "drop_after", None);
    let run = tf.apply();
    assert!(
        run.flat().contains(ADOPTED) && run.flat().contains("answer was lost"),
        "expected the adoption warning:\n{}",
        run.text()
    );

    let copies = tf.calls(Some("CopyImage"));
    assert_eq!(
        copies.len(),
        retries as usize + 1,
        "one attempt plus {retries} retries"
    );
    assert!(
        copies.iter().all(|c| c["fault"] == "drop_after"),
        "every answer lost: {copies:?}"
    );
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert!(run.flat().contains(&id), "the warning names {id}");
    assert_eq!(r["state"], "available", "state after apply: {r}");
    assert_eq!(image_ids_named(&tf, &name), vec![id.clone()], "one copy");
    tf.assert_plan_empty();
    tf.destroy();
    assert!(image_ids_named(&tf, &name).is_empty(), "a copy is left");
}

fn lost_answer_without_retries_is_adopted(lane: Lane) {
    lost_answers_are_adopted(lane, 0);
}

#[test]
fn lost_answers_with_one_retry_are_adopted() {
    // With the ClientToken honoured, the retry returns the first attempt's image: one copy.
    lost_answers_are_adopted(Lane::Fidelity, 1);
}

/// Stock moto ignores the ClientToken and does not keep names unique: each lost attempt made
/// its own image. Which one to keep is not the provider's guess: the error names them all.
#[test]
fn lost_answers_on_a_backend_without_idempotency_name_every_candidate() {
    let tf = Tf::in_lane(Lane::Stock, "adopt_lost_ambiguous");
    let source = tf.make_source_ami(REGION, "tfacc-adopt-lost-ambiguous-source");
    let name = "tfacc-adopt-lost-ambiguous";
    tf.write(&config_with_retries(&tf, 1, name, &source));
    tf.fault("CopyImage", "drop_after", None);
    let run = tf.apply_fails();
    let made = image_ids_named(&tf, name);
    assert_eq!(made.len(), 2, "each attempt made an image: {made:?}");
    let text = run.flat();
    assert!(text.contains("outcome unknown"), "{text}");
    for id in &made {
        assert!(text.contains(id), "the error names {id}: {text}");
    }
    assert!(tf.state_addresses().is_empty(), "nothing adopted");
}

/// The state was lost (`terraform state rm`); the next apply meets the name its earlier copy
/// holds and adopts that copy instead of failing.
#[test]
fn a_name_held_by_this_configurations_copy_is_adopted() {
    let tf = Tf::new("adopt_duplicate_own");
    let source = tf.make_source_ami(REGION, "tfacc-adopt-duplicate-own-source");
    let name = "tfacc-adopt-duplicate-own";
    tf.write(&tf.copy_config(REGION, name, &source, "  tags = { Env = \"test\" }"));
    tf.apply();
    let first = ami_id(&tf.resource("aws_ami_copy.test"));
    tf.ok(&["state", "rm", "aws_ami_copy.test"]);
    assert!(tf.state_addresses().is_empty());

    let run = tf.apply();
    assert!(
        run.flat().contains(ADOPTED) && run.flat().contains("InvalidAMIName.Duplicate"),
        "expected the adoption warning:\n{}",
        run.text()
    );
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), first, "the earlier copy is adopted");
    assert_eq!(r["state"], "available");
    assert_eq!(image_ids_named(&tf, name), vec![first.clone()], "one copy");
    assert_eq!(
        tf.calls(Some("CopyImage")).len(),
        2,
        "one CopyImage per apply"
    );
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.find_image(REGION, &first).is_none());
}

/// The name is held by a copy of another source: not ours to adopt.
#[test]
fn a_name_held_by_a_copy_of_another_source_is_an_error_naming_it() {
    let tf = Tf::new("adopt_duplicate_foreign_copy");
    let source = tf.make_source_ami(REGION, "tfacc-adopt-duplicate-foreign-source");
    let other = tf.make_source_ami(REGION, "tfacc-adopt-duplicate-foreign-other");
    let name = "tfacc-adopt-duplicate-foreign";
    let holder = tf.copy_image_directly(REGION, &other, REGION, name, None);
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    let text = tf.apply_fails().flat();
    assert!(
        text.contains(&holder)
            && text.contains(&other)
            && text.contains("InvalidAMIName.Duplicate"),
        "the error names the holder {holder} and its source {other}: {text}"
    );
    assert!(!text.contains(ADOPTED), "{text}");
    assert!(tf.state_addresses().is_empty());
    assert_eq!(image_ids_named(&tf, name), vec![holder], "the holder only");
}

/// The name is held by an image that is no copy at all (registered from a snapshot).
#[test]
fn a_name_held_by_an_image_that_is_no_copy_is_an_error_naming_it() {
    let tf = Tf::new("adopt_duplicate_not_a_copy");
    let source = tf.make_source_ami(REGION, "tfacc-adopt-duplicate-not-a-copy-source");
    let name = "tfacc-adopt-duplicate-not-a-copy-holder";
    let holder = tf.make_source_ami(REGION, name);
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    let text = tf.apply_fails().flat();
    assert!(
        text.contains(&holder) && text.contains("not a copy"),
        "the error names the holder {holder}: {text}"
    );
    assert!(tf.state_addresses().is_empty());
}

/// The answer is lost and DescribeImages does not list the new copy for its first 2 lookups:
/// the lookup is repeated until it does.
#[test]
fn a_lost_answer_is_adopted_once_ec2_lists_the_copy() {
    let tf = Tf::new("adopt_lost_unlisted");
    let source = tf.make_source_ami(REGION, "tfacc-adopt-lost-unlisted-source");
    let name = "tfacc-adopt-lost-unlisted";
    tf.control(
        "copy-rules",
        serde_json::json!({"name_prefix": name, "duration_seconds": 0, "invisible_polls": 2}),
    );
    tf.write(&config_with_retries(&tf, 0, name, &source));
    tf.fault("CopyImage", "drop_after", None);
    let run = tf.apply();
    assert!(run.flat().contains(ADOPTED), "{}", run.text());
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    let by_name: Vec<_> = tf
        .calls(Some("DescribeImages"))
        .into_iter()
        .filter(|c| crate::support::call_param(c, "Filter.1.Value.1").as_deref() == Some(name))
        .collect();
    assert!(
        by_name.len() >= 3,
        "2 lookups that did not list {id}, then one that did: {} lookups",
        by_name.len()
    );
    assert_eq!(image_ids_named(&tf, name), vec![id]);
    tf.assert_plan_empty();
    tf.destroy();
}

/// The request never reached EC2 (the connection dropped before it was served): nothing to
/// adopt. The error says the outcome is unknown and how to check; nothing is recorded.
fn a_request_that_never_arrived_is_an_unknown_outcome(lane: Lane) {
    let tf = Tf::in_lane(lane, &format!("adopt_never_arrived_{lane:?}"));
    let source = tf.make_source_ami(REGION, "tfacc-adopt-never-arrived-source");
    let name = format!("tfacc-adopt-never-arrived-{lane:?}").to_ascii_lowercase();
    tf.write(&config_with_retries(&tf, 0, &name, &source));
    tf.fault("CopyImage", "drop", None);
    let text = tf.apply_fails().flat();
    for words in [
        "AMI copy outcome unknown",
        "No image named",
        "aws ec2 describe-images --owners self",
        "terraform import aws_ami_copy.test ID",
    ] {
        assert!(text.contains(words), "{words:?} in: {text}");
    }
    assert!(tf.state_addresses().is_empty());
    assert!(image_ids_named(&tf, &name).is_empty());
}

both_lanes!(
    lost_answer_without_retries_is_adopted,
    a_request_that_never_arrived_is_an_unknown_outcome,
);
