//! A copy whose creation outcome is unknown is resolved with proof, never guessed, and a definite
//! answer from EC2 is final. CopyImage is sent again with its ClientToken (EC2 answers with the
//! first request's image); an image under the name made while a request whose answer was lost was
//! in flight may be adopted by a create (the time window, both ends); a destroy accepts the token
//! only. When nothing can tell, the instance stays in the state without an id but with the record
//! of its requests (`copy_attempts`), which survives taint, replacement and a new machine, and a
//! later apply resolves it with the same token. An image this instance did not make (an older
//! copy under the name, another state's, a later workspace's) is never adopted, tagged or
//! deleted: the error names it. None of these scenarios waits between its steps.

use crate::support::{ami_copy, ami_id, Lane, Tf};

const REGION: &str = "us-east-1";

/// The words of the warnings (Terraform wraps them; match against `Run::flat`).
const CONFIRMED: &str = "AMI copy confirmed after a lost answer";
const ADOPTED: &str = "Adopted an existing AMI copy";
const NAME_IN_USE: &str = "AMI name already in use";
const UNKNOWN: &str = "AMI copy outcome unknown";
const NOTHING_TO_DESTROY: &str = "No AMI copy to destroy";
const NOT_PROVEN: &str = "AMI copy not proven: nothing deregistered";

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

/// The ClientToken of every CopyImage this test's provider sent (dry runs left out), in order.
fn copy_tokens(tf: &Tf) -> Vec<String> {
    tf.calls(Some("CopyImage"))
        .iter()
        .map(|c| crate::support::call_param(c, "ClientToken").unwrap_or_default())
        .collect()
}

/// The record of an unresolved copy in the state: its token.
fn recorded_token(tf: &Tf) -> String {
    let r = tf.resource("aws_ami_copy.test");
    let record: serde_json::Value = serde_json::from_str(r["copy_attempts"].as_str().unwrap_or(""))
        .unwrap_or_else(|e| panic!("copy_attempts holds the record ({e}): {r}"));
    record["token"].as_str().expect("a token").to_string()
}

fn is_tainted(tf: &Tf) -> bool {
    tf.resource_entry("aws_ami_copy.test")["tainted"] == true
}

/// A fault on `action` of `kind` that fires on every call, or on the next `count`.
fn fault(tf: &Tf, action: &str, kind: &str, count: Option<u32>) {
    tf.fault(action, kind, count);
}

/// The actions other than reads and CopyImage this test's provider called: what could have
/// changed an image.
fn touched(tf: &Tf) -> Vec<String> {
    tf.mutating_calls()
        .iter()
        .filter_map(|c| c["action"].as_str().map(str::to_string))
        .filter(|a| a != "CopyImage")
        .collect()
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
                && run.flat().contains("whose answer was lost was in flight"),
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
    // Importing a copy of another source would replace it: the advice says so instead.
    let error = text.split("Error: ").nth(1).unwrap_or_default();
    assert!(
        error.contains("Importing it would not keep it") && !error.contains("import {"),
        "{text}"
    );
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

/// Path 1 of issue 20: two applies of one name started together (two pipelines, two
/// workspaces). EC2 keeps names unique: one CopyImage wins, the other is answered Duplicate, a
/// definite answer to a request with no unknown predecessor, so its apply fails naming the
/// winner and adopts nothing. The two states never share an image. Stock moto keeps no names
/// unique: each apply makes its own copy.
fn two_applies_of_one_name_started_together_never_share_an_image(lane: Lane) {
    let test = test_name("adopt_together", lane);
    let a = Tf::in_lane(lane, &format!("{test}_a"));
    let b = Tf::in_lane(lane, &format!("{test}_b"));
    let source = a.make_source_ami(REGION, &format!("tfacc-{test}-source"));
    let name = format!("tfacc-{test}");
    a.write(&a.copy_config(REGION, &name, &source, ""));
    b.write(&b.copy_config(REGION, &name, &source, ""));
    a.clear_calls();
    let apply = ["apply", "-auto-approve", "-input=false", "-no-color"];
    let (ra, rb) = (a.spawn(&apply), b.spawn(&apply));
    let (ra, rb) = (ra.wait(), rb.wait());
    let ids = |tf: &Tf| -> Vec<String> {
        let r = tf.resource("aws_ami_copy.test");
        r["id"]
            .as_str()
            .filter(|i| !i.is_empty())
            .map(str::to_string)
            .into_iter()
            .collect()
    };
    let (ia, ib) = (ids(&a), ids(&b));
    match lane {
        Lane::Fidelity => {
            let (winner, loser, won, lost) = match (ra.code, rb.code) {
                (0, c) if c != 0 => (&a, &b, &ra, &rb),
                (c, 0) if c != 0 => (&b, &a, &rb, &ra),
                _ => panic!(
                    "exactly one apply must win the name:\n{}\n---\n{}",
                    ra.text(),
                    rb.text()
                ),
            };
            let id = ami_id(&winner.resource("aws_ami_copy.test"));
            let text = lost.flat();
            assert!(
                text.contains(NAME_IN_USE) && text.contains(&id),
                "the loser names {id}: {text}"
            );
            assert!(!text.contains(ADOPTED), "{text}");
            assert!(
                loser.state_addresses().is_empty(),
                "the loser's state holds nothing"
            );
            assert!(
                touched(loser).is_empty(),
                "the loser changed nothing: {:?}",
                touched(loser)
            );
            assert_eq!(
                image_ids_named(winner, &name),
                vec![id.clone()],
                "{}",
                won.text()
            );
            loser.destroy();
            assert!(
                winner.find_image(REGION, &id).is_some(),
                "the winner's copy is live"
            );
            winner.assert_plan_empty();
        }
        Lane::Stock => {
            assert_eq!(
                (ra.code, rb.code),
                (0, 0),
                "{}\n---\n{}",
                ra.text(),
                rb.text()
            );
            assert_eq!((ia.len(), ib.len()), (1, 1));
            assert_ne!(ia, ib, "each state holds its own image");
            b.destroy();
            assert!(a.find_image(REGION, &ia[0]).is_some(), "a's copy is live");
        }
    }
    a.destroy();
    b.destroy();
    assert!(image_ids_named(&a, &name).is_empty());
}

/// Path 2: an unresolved copy meets a later image. Workspace 1's CopyImage never reaches EC2, so
/// its state keeps an unresolved copy; workspace 2 then copies the same source under the same
/// name. Workspace 1's destroy re-sends its token: EC2 answers Duplicate, which proves its own
/// requests made nothing (else EC2 would have answered with that image), so the destroy leaves
/// workspace 2's image alone. `untaint` + apply instead fails naming it: it is never taken into
/// workspace 1's state, and the next plan copies anew. On stock moto (no unique names, the
/// token ignored) the re-send makes workspace 1 an image of its own; workspace 2's is never
/// touched either.
fn an_unresolved_copy_never_takes_a_later_image(lane: Lane) {
    let test = test_name("adopt_later_image", lane);
    let source_maker = Tf::in_lane(lane, &format!("{test}_src"));
    let source = source_maker.make_source_ami(REGION, &format!("tfacc-{test}-source"));
    let name = format!("tfacc-{test}");
    for (step, ends_with) in [("destroy", "destroy"), ("untaint", "apply")] {
        let one = Tf::in_lane(lane, &format!("{test}_{step}_1"));
        let two = Tf::in_lane(lane, &format!("{test}_{step}_2"));
        one.write(&config_with_retries(&one, 0, &name, &source));
        fault(&one, "CopyImage", "drop", None);
        let text = one.apply_fails().flat();
        assert!(text.contains(UNKNOWN), "{text}");
        let token = recorded_token(&one);
        one.reset_emulator_scope();

        two.write(&two.copy_config(REGION, &name, &source, ""));
        two.apply();
        let theirs = ami_id(&two.resource("aws_ami_copy.test"));

        let run = if ends_with == "destroy" {
            one.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        } else {
            one.ok(&["untaint", "aws_ami_copy.test"]);
            one.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        };
        assert_eq!(
            copy_tokens(&one),
            vec![token.clone()],
            "one re-send, with the first token"
        );
        assert!(
            two.find_image(REGION, &theirs).is_some(),
            "{step}: workspace 2's copy is live:\n{}",
            run.text()
        );
        assert!(
            !touched(&one)
                .iter()
                .any(|a| a == "DeregisterImage" && lane == Lane::Fidelity),
            "{:?}",
            touched(&one)
        );
        match (lane, ends_with) {
            (Lane::Fidelity, "destroy") => {
                assert_eq!(run.code, 0, "{}", run.text());
                assert!(
                    run.flat().contains(NOTHING_TO_DESTROY) && run.flat().contains(&theirs),
                    "{}",
                    run.text()
                );
                assert!(one.state_addresses().is_empty());
            }
            (Lane::Fidelity, _) => {
                assert_ne!(run.code, 0, "{}", run.text());
                assert!(
                    run.flat().contains(NAME_IN_USE) && run.flat().contains(&theirs),
                    "{}",
                    run.text()
                );
                assert!(!run.flat().contains(ADOPTED), "{}", run.text());
                assert_eq!(
                    one.resource("aws_ami_copy.test")["id"],
                    "",
                    "never holds {theirs}"
                );
                // The next plan knows nothing was made: it copies anew (and the check warns of
                // the holder).
                let plan = one.ok(&["plan", "-no-color", "-input=false"]);
                assert!(plan.text().contains("1 to add"), "{}", plan.text());
                one.ok(&["state", "rm", "aws_ami_copy.test"]);
            }
            (Lane::Stock, _) => {
                assert_eq!(run.code, 0, "{}", run.text());
                let mine = one.resource("aws_ami_copy.test");
                if ends_with == "apply" {
                    assert_ne!(
                        ami_id(&mine),
                        theirs,
                        "the re-send's own image, not workspace 2's"
                    );
                    one.destroy();
                }
            }
        }
        assert!(
            two.find_image(REGION, &theirs).is_some(),
            "workspace 2's copy is live"
        );
        two.assert_plan_empty();
        two.destroy();
        assert!(
            image_ids_named(&two, &name).is_empty(),
            "{step}: nothing left"
        );
    }
}

/// Path 3: CopyImage made image Y, but every answer and every lookup failed: the instance is
/// unresolved and tainted. Once the backend recovers, a plain apply replaces it. Terraform hands a
/// tainted instance's plan no private data, but the record is in the state: the destroy half
/// re-sends the first token, EC2 answers with Y, Y is deregistered (proven by the token), and the
/// create half makes a new copy with a new token. Nothing is orphaned.
fn a_tainted_unresolved_copy_is_replaced_with_its_own_token(lane: Lane) {
    let test = test_name("adopt_tainted_replaced", lane);
    let tf = Tf::in_lane(lane, &test);
    let source = tf.make_source_ami(REGION, &format!("tfacc-{test}-source"));
    let name = format!("tfacc-{test}");
    tf.write(&config_with_retries(&tf, 0, &name, &source));
    fault(&tf, "CopyImage", "drop_after", None);
    fault(&tf, "DescribeImages", "unauthorized", None);
    let text = tf.apply_fails().flat();
    assert!(text.contains(UNKNOWN), "{text}");
    assert!(
        is_tainted(&tf),
        "an unknown outcome (not Ctrl-C) fails the apply: tainted"
    );
    let first = recorded_token(&tf);
    assert!(
        copy_tokens(&tf).iter().all(|t| *t == first),
        "{:?}",
        copy_tokens(&tf)
    );
    // The faults apply to this test's own reads too: lifted before looking.
    tf.reset_emulator_scope();
    let made = image_ids_named(&tf, &name);
    assert!(!made.is_empty(), "the lost requests made the copy");
    tf.clear_calls();

    let run = tf.apply();
    let tokens = copy_tokens(&tf);
    assert_eq!(
        tokens.len(),
        2,
        "the destroy's re-send, then the new copy: {tokens:?}"
    );
    assert_eq!(
        tokens[0], first,
        "the destroy half re-sends the first token"
    );
    assert_ne!(tokens[1], first, "the new copy has a token of its own");
    let now = ami_id(&tf.resource("aws_ami_copy.test"));
    match lane {
        Lane::Fidelity => {
            assert_eq!(made.len(), 1, "{made:?}");
            assert!(
                tf.find_image(REGION, &made[0]).is_none(),
                "Y is deregistered: {}",
                run.text()
            );
            assert_eq!(image_ids_named(&tf, &name), vec![now.clone()]);
        }
        Lane::Stock => {
            // The token is ignored: the destroy's re-send made a third image, proven by its
            // answer and deregistered; the images the lost requests made are named, not touched.
            for y in &made {
                assert!(
                    run.flat().contains(y.as_str()),
                    "the warning names {y}: {}",
                    run.text()
                );
                tf.deregister_out_of_band(REGION, y);
            }
            assert_eq!(image_ids_named(&tf, &name), vec![now.clone()]);
        }
    }
    tf.assert_plan_empty();
    tf.destroy();
    assert!(image_ids_named(&tf, &name).is_empty());
}

/// Path 4: the first CopyImage is served but its answer lost; the SDK's retry, the re-send and
/// the lookup are all refused (a missing permission, credentials that cannot be validated, an
/// assumed role's lapsed token). A refusal proves nothing about the lost request: the instance
/// stays unresolved, its record in the state, never a null state. On another machine (the state
/// alone), with the backend recovered, `untaint` + apply sends the same token and keeps the copy.
fn refusals_after_a_lost_answer_never_mean_nothing_was_made(lane: Lane) {
    let kinds: &[&str] = match lane {
        Lane::Fidelity => &["unauthorized", "auth_failure", "expired_token"],
        Lane::Stock => &["expired_token"],
    };
    for kind in kinds {
        let test = test_name(&format!("adopt_refused_{kind}"), lane);
        let tf = Tf::in_lane(lane, &test);
        let source = tf.make_source_ami(REGION, &format!("tfacc-{test}-source"));
        let name = format!("tfacc-{test}").replace('_', "-");
        tf.write(&config_with_retries(&tf, 1, &name, &source));
        fault(&tf, "CopyImage", "drop_after", Some(1));
        fault(&tf, "CopyImage", kind, None);
        fault(&tf, "DescribeImages", kind, None);
        let run = tf.apply_fails();
        let text = run.flat();
        assert!(text.contains(UNKNOWN), "{kind}: {text}");
        let r = tf.resource("aws_ami_copy.test");
        assert_eq!(
            r["id"], "",
            "{kind}: kept without an id, never dropped: {r}"
        );
        let token = recorded_token(&tf);
        tf.reset_emulator_scope();
        let made = image_ids_named(&tf, &name);
        assert_eq!(
            made.len(),
            1,
            "{kind}: the lost request made the copy: {made:?}"
        );

        // A new machine: another working directory with the state file alone.
        let other = Tf::in_lane(lane, &format!("{test}_elsewhere"));
        std::fs::copy(
            tf.path().join("terraform.tfstate"),
            other.path().join("terraform.tfstate"),
        )
        .expect("copy the state");
        other.write(&config_with_retries(&other, 1, &name, &source));
        other.ok(&["untaint", "aws_ami_copy.test"]);
        let plan = other.ok(&["plan", "-no-color", "-input=false"]);
        assert!(
            plan.text().contains("updated in-place"),
            "{kind}: {}",
            plan.text()
        );
        let resolved = other.apply();
        assert_eq!(
            copy_tokens(&other),
            vec![token.clone()],
            "{kind}: the same token"
        );
        let id = ami_id(&other.resource("aws_ami_copy.test"));
        match lane {
            Lane::Fidelity => assert_eq!(
                id, made[0],
                "{kind}: EC2 answered with the first request's copy"
            ),
            Lane::Stock => {
                assert!(
                    resolved.flat().contains(&made[0]),
                    "{kind}: the other image is named: {}",
                    resolved.text()
                );
                other.deregister_out_of_band(REGION, &made[0]);
            }
        }
        other.assert_plan_empty();
        other.destroy();
        assert!(image_ids_named(&other, &name).is_empty(), "{kind}");
    }
}

/// Destroy adopts nothing: an unresolved copy whose re-send is refused cannot be proven by its
/// token, so the destroy leaves EC2 as it is, removes the instance, and its warning names the
/// image the lost request made and how to import it.
#[test]
fn a_destroy_that_cannot_prove_the_copy_leaves_it_and_names_it() {
    let tf = Tf::new("adopt_destroy_unproven");
    let source = tf.make_source_ami(REGION, "tfacc-adopt-destroy-unproven-source");
    let name = "tfacc-adopt-destroy-unproven";
    tf.write(&config_with_retries(&tf, 0, name, &source));
    fault(&tf, "CopyImage", "drop_after", None);
    fault(&tf, "DescribeImages", "unauthorized", None);
    tf.apply_fails();
    tf.reset_emulator_scope();
    let made = image_ids_named(&tf, name);
    assert_eq!(made.len(), 1);
    tf.clear_calls();
    fault(&tf, "CopyImage", "unauthorized", None);
    let run = tf.destroy();
    let text = run.flat();
    assert!(
        text.contains(NOT_PROVEN) && text.contains(&made[0]),
        "{text}"
    );
    assert!(text.contains("terraform import"), "{text}");
    assert!(tf.state_addresses().is_empty());
    assert!(tf.find_image(REGION, &made[0]).is_some(), "left as it is");
    assert!(touched(&tf).is_empty(), "{:?}", touched(&tf));
    tf.deregister_out_of_band(REGION, &made[0]);
}

/// The configuration changed in place (the description) while a copy was unresolved: the
/// re-send carries the request as first sent, so EC2 answers with the copy it made instead of
/// `IdempotentParameterMismatch`, and the update then sets the new description.
#[test]
fn a_resolved_copy_is_re_sent_as_first_asked_then_updated() {
    let tf = Tf::new("adopt_changed_meanwhile");
    let source = tf.make_source_ami(REGION, "tfacc-adopt-changed-meanwhile-source");
    let name = "tfacc-adopt-changed-meanwhile";
    let config = |description: &str| {
        format!(
            "{}{}",
            tf.provider_block(REGION, "  max_retries = 0"),
            ami_copy(
                name,
                &source,
                REGION,
                &format!("  description = \"{description}\"")
            )
        )
    };
    tf.write(&config("first"));
    fault(&tf, "CopyImage", "drop_after", None);
    fault(&tf, "DescribeImages", "unauthorized", None);
    tf.apply_fails();
    tf.reset_emulator_scope();
    let made = image_ids_named(&tf, name);
    tf.clear_calls();
    tf.write(&config("second"));
    tf.ok(&["untaint", "aws_ami_copy.test"]);
    tf.apply();
    let sent = tf.calls(Some("CopyImage"));
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        crate::support::call_param(&sent[0], "Description").as_deref(),
        Some("first"),
        "re-sent as first sent"
    );
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), made[0]);
    assert_eq!(r["description"], "second");
    assert_eq!(
        tf.find_image(REGION, &made[0])
            .and_then(|i| i.description().map(str::to_string))
            .as_deref(),
        Some("second")
    );
    tf.assert_plan_empty();
    tf.destroy();
}

/// A deposed object's destroy: an unresolved copy (its request never reached EC2), tainted,
/// with `create_before_destroy`. The new copy is made first and takes the name; the old
/// instance, now deposed, is destroyed by re-sending its recorded token. EC2 answers Duplicate
/// (the new copy holds the name), which proves the old request made nothing: the new copy is
/// left alone. On stock moto the re-send makes an image of its own, proven by its answer, and
/// only that one is deregistered.
fn a_deposed_unresolved_copy_never_takes_its_replacement(lane: Lane) {
    let test = test_name("adopt_deposed", lane);
    let tf = Tf::in_lane(lane, &test);
    let source = tf.make_source_ami(REGION, &format!("tfacc-{test}-source"));
    let name = format!("tfacc-{test}");
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, "  max_retries = 0"),
        ami_copy(
            &name,
            &source,
            REGION,
            "  lifecycle {\n    create_before_destroy = true\n  }"
        )
    ));
    fault(&tf, "CopyImage", "drop", None);
    tf.apply_fails();
    assert!(is_tainted(&tf));
    let old = recorded_token(&tf);
    tf.reset_emulator_scope();

    let run = tf.apply();
    let tokens = copy_tokens(&tf);
    assert_eq!(
        tokens.len(),
        2,
        "the new copy, then the deposed one's re-send: {tokens:?}"
    );
    assert_ne!(tokens[0], old, "the new copy has a token of its own");
    assert_eq!(
        tokens[1], old,
        "the deposed object's destroy re-sends its recorded token"
    );
    let new = ami_id(&tf.resource("aws_ami_copy.test"));
    assert!(tf.find_image(REGION, &new).is_some(), "{}", run.text());
    if lane == Lane::Fidelity {
        assert!(run.flat().contains(NOTHING_TO_DESTROY), "{}", run.text());
    }
    assert_eq!(image_ids_named(&tf, &name), vec![new], "{}", run.text());
    tf.assert_plan_empty();
    tf.destroy();
    assert!(image_ids_named(&tf, &name).is_empty());
}

both_lanes!(
    a_deposed_unresolved_copy_never_takes_its_replacement,
    a_lost_answer_is_confirmed_by_its_token,
    an_unknown_outcome_is_resolved_by_the_next_apply,
    a_same_name_replacement_never_destroys_what_the_state_holds,
    a_second_state_with_the_same_name_never_takes_the_first_ones_copy,
    two_applies_of_one_name_started_together_never_share_an_image,
    an_unresolved_copy_never_takes_a_later_image,
    a_tainted_unresolved_copy_is_replaced_with_its_own_token,
    refusals_after_a_lost_answer_never_mean_nothing_was_made,
);
