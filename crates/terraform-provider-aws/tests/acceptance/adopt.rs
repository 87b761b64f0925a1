//! A copy whose creation outcome is unknown is resolved with proof, never guessed: CopyImage is
//! sent again with its ClientToken (EC2 answers with the first request's image), or an image
//! under the name made since this instance's first attempt is adopted (backends that ignore the
//! token). When even that cannot tell, the instance stays in the state without an id but with
//! its token, and a later apply resolves it. An image this instance did not make (an older copy
//! under the name, another state's) is never adopted, tagged or deleted: the error names it.

use crate::support::{ami_copy, ami_id, Lane, Tf};

const REGION: &str = "us-east-1";

/// The words of the warnings (Terraform wraps them; match against `Run::flat`).
const CONFIRMED: &str = "AMI copy confirmed after a lost answer";
const ADOPTED: &str = "Adopted an existing AMI copy";
const NAME_IN_USE: &str = "AMI name already in use";
const UNKNOWN: &str = "AMI copy outcome unknown";

/// How much older than the apply the image holding a name is made in these tests: EC2 reports
/// creation times in whole seconds, so an image made within about a second before the first
/// request cannot be told apart from one made just after it.
const HOLDER_AGE: std::time::Duration = std::time::Duration::from_secs(2);

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

fn test_name(base: &str, lane: Lane) -> String {
    format!("{base}_{lane:?}").to_ascii_lowercase()
}

/// The first CopyImage answer is lost; sent again with the same ClientToken it is answered. With
/// the token honoured that is the first request's image: one copy. Stock moto ignores the token
/// and made a second image: the state holds the one EC2 answered with, and the warning names the
/// other, which is left alone.
fn a_lost_answer_is_confirmed_by_its_token(lane: Lane) {
    let test = test_name("adopt_token", lane);
    let tf = Tf::in_lane(lane, &test);
    let source = tf.make_source_ami(REGION, &format!("tfacc-{test}-source"));
    let name = format!("tfacc-{test}");
    tf.write(&config_with_retries(&tf, 0, &name, &source));
    tf.fault("CopyImage", "drop_after", Some(1));
    let run = tf.apply();
    assert!(run.flat().contains(CONFIRMED), "{}", run.text());
    let copies = tf.calls(Some("CopyImage"));
    assert_eq!(
        copies.len(),
        2,
        "the lost request and its re-send: {copies:?}"
    );
    let tokens: Vec<_> = copies
        .iter()
        .map(|c| crate::support::call_param(c, "ClientToken"))
        .collect();
    assert!(
        tokens[0].is_some() && tokens[0] == tokens[1],
        "same token: {tokens:?}"
    );
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    assert!(run.flat().contains(&id), "the warning names {id}");
    let made = image_ids_named(&tf, &name);
    match lane {
        Lane::Fidelity => assert_eq!(made, vec![id.clone()], "one copy"),
        Lane::Stock => {
            assert_eq!(made.len(), 2, "stock moto made one per request: {made:?}");
            let other = made
                .iter()
                .find(|m| **m != id)
                .expect("the other image")
                .clone();
            assert!(
                run.flat().contains("Another image under the same name")
                    && run.flat().contains(&other),
                "the warning names {other}: {}",
                run.text()
            );
            // Left as it was, and not in the state.
            assert!(tf.find_image(REGION, &other).is_some());
            tf.deregister_out_of_band(REGION, &other);
        }
    }
    tf.assert_plan_empty();
    tf.destroy();
    assert!(image_ids_named(&tf, &name).is_empty(), "a copy is left");
}

/// Every CopyImage answer is lost, the re-send's too: the image made since the first attempt is
/// adopted by the time window. One image, since the emulator honours the token.
#[test]
fn lost_answers_on_every_attempt_adopt_the_copy_made_since_the_first() {
    for retries in [0, 1] {
        let tf = Tf::new(&format!("adopt_lost_{retries}"));
        let source = tf.make_source_ami(REGION, &format!("tfacc-adopt-lost-{retries}-source"));
        let name = format!("tfacc-adopt-lost-{retries}");
        tf.write(&config_with_retries(&tf, retries, &name, &source));
        tf.fault("CopyImage", "drop_after", None);
        let run = tf.apply();
        assert!(
            run.flat().contains(ADOPTED)
                && run.flat().contains("after this copy's first CopyImage"),
            "expected the adoption warning with its proof:\n{}",
            run.text()
        );
        let copies = tf.calls(Some("CopyImage"));
        assert!(
            !copies.is_empty() && copies.iter().all(|c| c["fault"] == "drop_after"),
            "{copies:?}"
        );
        let id = ami_id(&tf.resource("aws_ami_copy.test"));
        assert_eq!(image_ids_named(&tf, &name), vec![id.clone()], "one copy");
        tf.assert_plan_empty();
        tf.destroy();
        assert!(image_ids_named(&tf, &name).is_empty(), "a copy is left");
    }
}

/// Stock moto ignores the token and keeps no names unique: with every answer lost, the first
/// request and the re-send each made an image. Which one is the copy is not the provider's
/// guess: the error names both, and the instance stays in the state without an id, so that
/// nothing is lost track of.
#[test]
fn lost_answers_on_a_backend_without_idempotency_name_every_candidate() {
    let tf = Tf::in_lane(Lane::Stock, "adopt_lost_ambiguous");
    let source = tf.make_source_ami(REGION, "tfacc-adopt-lost-ambiguous-source");
    let name = "tfacc-adopt-lost-ambiguous";
    tf.write(&config_with_retries(&tf, 0, name, &source));
    tf.fault("CopyImage", "drop_after", None);
    let run = tf.apply_fails();
    let made = image_ids_named(&tf, name);
    // The request, and the re-send with its own retry: each made one.
    assert!(made.len() >= 2, "{made:?}");
    let text = run.flat();
    assert!(text.contains(UNKNOWN), "{text}");
    for id in &made {
        assert!(text.contains(id), "the error names {id}: {text}");
    }
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["id"], "", "kept without an id: {r}");
    for id in made {
        tf.deregister_out_of_band(REGION, &id);
    }
}

/// The request never reaches EC2, nor does its re-send: the outcome stays unknown. The instance
/// is kept without an id, its ClientToken in the state; after `terraform untaint`, the next apply
/// sends CopyImage with that same token and finishes the copy: one image, a clean plan.
fn an_unknown_outcome_is_resolved_by_the_next_apply(lane: Lane) {
    let test = test_name("adopt_unresolved", lane);
    let tf = Tf::in_lane(lane, &test);
    let source = tf.make_source_ami(REGION, &format!("tfacc-{test}-source"));
    let name = format!("tfacc-{test}");
    tf.write(&config_with_retries(&tf, 0, &name, &source));
    tf.fault("CopyImage", "drop", None);
    let text = tf.apply_fails().flat();
    for words in [
        UNKNOWN,
        "No image named",
        "aws ec2 describe-images --owners self",
        "terraform untaint aws_ami_copy.test",
    ] {
        assert!(text.contains(words), "{words:?} in: {text}");
    }
    assert!(image_ids_named(&tf, &name).is_empty());
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["id"], "", "kept without an id: {r}");
    let first_token = tf
        .calls(Some("CopyImage"))
        .first()
        .and_then(|c| crate::support::call_param(c, "ClientToken"))
        .expect("a token");

    tf.reset_emulator_scope();
    tf.ok(&["untaint", "aws_ami_copy.test"]);
    let plan = tf.ok(&["plan", "-no-color", "-input=false"]);
    assert!(plan.text().contains("updated in-place"), "{}", plan.text());
    tf.apply();
    let copies = tf.calls(Some("CopyImage"));
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(
        crate::support::call_param(&copies[0], "ClientToken").as_deref(),
        Some(first_token.as_str()),
        "the same token as the first apply"
    );
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(r["state"], "available");
    assert_eq!(image_ids_named(&tf, &name), vec![id]);
    tf.assert_plan_empty();
    tf.destroy();
    assert!(image_ids_named(&tf, &name).is_empty());
}

/// The same unresolved instance, left tainted: the next apply replaces it. Its destroy resolves
/// the old token first (and removes what it made), then a new copy is made: one image in the end.
#[test]
fn an_unresolved_copy_left_tainted_is_replaced_without_an_orphan() {
    let tf = Tf::new("adopt_unresolved_tainted");
    let source = tf.make_source_ami(REGION, "tfacc-adopt-unresolved-tainted-source");
    let name = "tfacc-adopt-unresolved-tainted";
    tf.write(&config_with_retries(&tf, 0, name, &source));
    tf.fault("CopyImage", "drop", None);
    tf.apply_fails();
    tf.reset_emulator_scope();
    let run = tf.apply();
    let copies = tf.calls(Some("CopyImage"));
    assert_eq!(
        copies.len(),
        2,
        "the destroy's re-send, then the new copy: {copies:?}"
    );
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    assert_eq!(image_ids_named(&tf, name), vec![id], "{}", run.text());
    tf.assert_plan_empty();
    tf.destroy();
}

/// The state was lost (`terraform state rm`): the image under the name was made before this
/// apply's CopyImage, so nothing proves it is this resource's. An error names it and the import
/// block that would take it over on purpose; it is not touched.
#[test]
fn a_name_held_by_an_image_made_before_is_never_adopted() {
    let tf = Tf::new("adopt_duplicate_own");
    let source = tf.make_source_ami(REGION, "tfacc-adopt-duplicate-own-source");
    let name = "tfacc-adopt-duplicate-own";
    tf.write(&tf.copy_config(REGION, name, &source, "  tags = { Env = \"test\" }"));
    tf.apply();
    let first = ami_id(&tf.resource("aws_ami_copy.test"));
    tf.ok(&["state", "rm", "aws_ami_copy.test"]);
    tf.write(&tf.copy_config(REGION, name, &source, "  tags = { Env = \"other\" }"));
    tf.clear_calls();
    std::thread::sleep(HOLDER_AGE);

    let text = tf.apply_fails().flat();
    for words in [
        NAME_IN_USE,
        "InvalidAMIName.Duplicate",
        first.as_str(),
        "import {",
        "to = aws_ami_copy.test",
        "terraform import aws_ami_copy.test",
    ] {
        assert!(text.contains(words), "{words:?} in: {text}");
    }
    assert!(!text.contains(ADOPTED), "{text}");
    assert!(tf.state_addresses().is_empty());
    let mutating: Vec<_> = tf
        .ec2_calls()
        .into_iter()
        .filter(|c| {
            let a = c["action"].as_str().unwrap_or_default();
            !a.starts_with("Describe") && a != "CopyImage"
        })
        .collect();
    assert!(
        mutating.is_empty(),
        "nothing touched the holder: {mutating:?}"
    );
    assert_eq!(
        tf.image_tags(REGION, &first).get("Env").map(String::as_str),
        Some("test")
    );
    tf.deregister_out_of_band(REGION, &first);
}

/// The name is held by a copy of another source: not ours either.
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
    std::thread::sleep(HOLDER_AGE);
    tf.write(&tf.copy_config(REGION, name, &source, ""));
    let text = tf.apply_fails().flat();
    assert!(
        text.contains(&holder) && text.contains("no source image reported"),
        "the error names the holder {holder}: {text}"
    );
    assert!(tf.state_addresses().is_empty());
}

/// Every answer is lost and DescribeImages does not list the new copy for its first 2 lookups:
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

/// A fixed name with `create_before_destroy`, replaced (`-replace`, as after a taint or a change
/// of `encrypted`): the new copy cannot take the name while the old one holds it. The old copy is
/// never adopted as the new one (which the replacement would then destroy): the apply fails
/// naming it, and the state still holds the old copy, live. Stock moto keeps no names unique: there
/// the new copy is made, the old one destroyed, and the state holds the new one, live.
fn a_same_name_replacement_never_destroys_what_the_state_holds(lane: Lane) {
    let test = test_name("adopt_cbd_same_name", lane);
    let tf = Tf::in_lane(lane, &test);
    let source = tf.make_source_ami(REGION, &format!("tfacc-{test}-source"));
    let name = format!("tfacc-{test}");
    tf.write(&tf.copy_config(
        REGION,
        &name,
        &source,
        "  lifecycle {\n    create_before_destroy = true\n  }",
    ));
    tf.apply();
    let old = ami_id(&tf.resource("aws_ami_copy.test"));
    // The old copy's creation is comfortably before the replacement's first attempt.
    std::thread::sleep(HOLDER_AGE);
    let run = tf.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-replace=aws_ami_copy.test",
    ]);
    let now = ami_id(&tf.resource("aws_ami_copy.test"));
    assert!(
        tf.find_image(REGION, &now).is_some(),
        "the state holds {now}, which must be live:\n{}",
        run.text()
    );
    match lane {
        Lane::Fidelity => {
            assert_ne!(run.code, 0, "{}", run.text());
            let text = run.flat();
            assert!(text.contains(NAME_IN_USE) && text.contains(&old), "{text}");
            assert!(text.contains("create_before_destroy"), "{text}");
            assert!(!text.contains(ADOPTED), "{text}");
            assert_eq!(now, old);
        }
        Lane::Stock => {
            assert_eq!(run.code, 0, "{}", run.text());
            assert_ne!(now, old);
            assert!(
                tf.find_image(REGION, &old).is_none(),
                "the old copy is destroyed"
            );
        }
    }
    tf.destroy();
    assert!(image_ids_named(&tf, &name).is_empty());
}

/// Two root modules (or workspaces) with the same copy name: the second never takes over the
/// first one's image, and its destroy never deletes it.
fn a_second_state_with_the_same_name_never_takes_the_first_ones_copy(lane: Lane) {
    let test = test_name("adopt_two_states", lane);
    let first = Tf::in_lane(lane, &format!("{test}_a"));
    let second = Tf::in_lane(lane, &format!("{test}_b"));
    let source = first.make_source_ami(REGION, &format!("tfacc-{test}-source"));
    let name = format!("tfacc-{test}");
    first.write(&first.copy_config(REGION, &name, &source, ""));
    first.apply();
    let theirs = ami_id(&first.resource("aws_ami_copy.test"));
    std::thread::sleep(HOLDER_AGE);

    second.write(&second.copy_config(REGION, &name, &source, ""));
    let run = second.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    match lane {
        Lane::Fidelity => {
            assert_ne!(run.code, 0, "{}", run.text());
            assert!(
                run.flat().contains(NAME_IN_USE) && run.flat().contains(&theirs),
                "{}",
                run.text()
            );
            assert!(second.state_addresses().is_empty());
        }
        Lane::Stock => {
            assert_eq!(run.code, 0, "{}", run.text());
            assert_ne!(ami_id(&second.resource("aws_ami_copy.test")), theirs);
        }
    }
    second.destroy();
    assert!(
        first.find_image(REGION, &theirs).is_some(),
        "the second state's destroy deleted the first state's copy"
    );
    first.assert_plan_empty();
    first.destroy();
    assert!(first.images_named(REGION, &name).is_empty());
}

both_lanes!(
    a_lost_answer_is_confirmed_by_its_token,
    an_unknown_outcome_is_resolved_by_the_next_apply,
    a_same_name_replacement_never_destroys_what_the_state_holds,
    a_second_state_with_the_same_name_never_takes_the_first_ones_copy,
);
