//! Tags on `aws_ami_copy`: tag at birth (image and snapshots), 1 → 2 → 1 touching only the
//! changed keys, default_tags merged into tags_all, ignore_tags, copy_tags.

use crate::support::{
    ami_copy, ami_id, call_param, call_param_list, map, rt, state_map, state_snapshot_ids, Lane, Tf,
};
use serde_json::Value as Json;

const REGION: &str = "us-east-1";

fn tags_block(pairs: &[(&str, &str)]) -> String {
    let body: String = pairs
        .iter()
        .map(|(k, v)| format!("    {k} = \"{v}\"\n"))
        .collect();
    format!("  tags = {{\n{body}  }}")
}

/// The resource types and tags of CopyImage's TagSpecification parameters.
fn tag_specifications(call: &Json) -> Vec<(String, std::collections::BTreeMap<String, String>)> {
    let mut out = Vec::new();
    for n in 1..=10 {
        let Some(rt) = call_param(call, &format!("TagSpecification.{n}.ResourceType")) else {
            continue;
        };
        let keys = call_param_list(call, &format!("TagSpecification.{n}.Tag."), ".Key");
        let values = call_param_list(call, &format!("TagSpecification.{n}.Tag."), ".Value");
        out.push((rt, keys.into_iter().zip(values).collect()));
    }
    out
}

/// The keys (and values) a CreateTags / DeleteTags call carried.
fn tag_keys(call: &Json) -> Vec<String> {
    call_param_list(call, "Tag.", ".Key")
}

/// A tag call on exactly the image and its snapshot.
fn assert_tags_image_and_snapshot(call: &Json, image: &str, snapshot: &str) {
    let mut resources = call_param_list(call, "ResourceId.", "");
    resources.sort();
    let mut want = vec![image.to_string(), snapshot.to_string()];
    want.sort();
    assert_eq!(resources, want, "image and snapshot in one call: {call}");
}

fn tags_one_two_one_touch_only_the_changed_keys(lane: Lane) {
    let tf = Tf::in_lane(lane, "tags_121");
    let source = tf.make_source_ami(REGION, "tfacc-tags-121-source");
    let name = "tfacc-tags-121";
    let cfg = |pairs: &[(&str, &str)]| {
        format!(
            "{}{}",
            tf.provider_block(REGION, ""),
            ami_copy(name, &source, REGION, &tags_block(pairs))
        )
    };

    // 1 tag, given at birth to the image and its snapshot.
    tf.write(&cfg(&[("key1", "value1")]));
    let out = tf.run_env(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &[("TF_LOG_PROVIDER", "INFO")],
    );
    assert_eq!(out.code, 0, "{}", out.text());
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(state_map(&r, "tags"), map(&[("key1", "value1")]));
    assert_eq!(state_map(&r, "tags_all"), map(&[("key1", "value1")]));
    assert_eq!(tf.image_tags(REGION, &id), map(&[("key1", "value1")]));
    let snaps = state_snapshot_ids(&r);
    assert_eq!(snaps.len(), 1);
    assert_eq!(
        tf.snapshot_tags(REGION, &snaps[0]),
        map(&[("key1", "value1")]),
        "snapshot tagged at birth"
    );
    let copy = &tf.calls(Some("CopyImage"))[0];
    let specs = tag_specifications(copy);
    for rt in ["image", "snapshot"] {
        assert!(
            specs
                .iter()
                .any(|(t, tags)| t == rt && *tags == map(&[("key1", "value1")])),
            "CopyImage must tag the {rt} at birth: {specs:?}"
        );
    }
    // Tags at birth are the fast path. Stock moto drops CopyImage's TagSpecifications, so there
    // the provider must set what is missing itself: the tags EC2 reports are checked above.
    // The INFO line that says the backend ignored the tags at birth, only where it did.
    let ignored_at_birth = out
        .text()
        .lines()
        .any(|l| l.contains(&id) && l.contains("ignored the tags given at birth"));
    assert_eq!(ignored_at_birth, lane == Lane::Stock, "{}", out.text());
    let creates = tf.calls(Some("CreateTags"));
    if lane == Lane::Fidelity {
        assert!(
            creates.is_empty(),
            "tags must come with CopyImage, not CreateTags"
        );
    } else {
        assert_eq!(
            creates.len(),
            1,
            "one CreateTags after the copy: {creates:?}"
        );
        assert_tags_image_and_snapshot(&creates[0], &id, &snaps[0]);
    }
    tf.assert_plan_empty();

    // 2 tags: only key2 is created.
    tf.write(&cfg(&[("key1", "value1"), ("key2", "value2")]));
    tf.clear_calls();
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id);
    assert_eq!(
        state_map(&r, "tags"),
        map(&[("key1", "value1"), ("key2", "value2")])
    );
    assert_eq!(
        tf.image_tags(REGION, &id),
        map(&[("key1", "value1"), ("key2", "value2")])
    );
    assert_eq!(
        tf.snapshot_tags(REGION, &snaps[0]),
        map(&[("key1", "value1"), ("key2", "value2")])
    );
    let creates = tf.calls(Some("CreateTags"));
    assert!(!creates.is_empty(), "CreateTags expected");
    for c in &creates {
        assert_eq!(
            tag_keys(c),
            vec!["key2".to_string()],
            "CreateTags touched more than key2: {c}"
        );
        assert_eq!(
            call_param_list(c, "Tag.", ".Value"),
            vec!["value2".to_string()]
        );
    }
    assert!(
        tf.calls(Some("DeleteTags")).is_empty(),
        "nothing to delete when adding a tag"
    );
    tf.assert_plan_empty();

    // Back to 1 tag (key2): only key1 is deleted.
    tf.write(&cfg(&[("key2", "value2")]));
    tf.clear_calls();
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id);
    assert_eq!(state_map(&r, "tags"), map(&[("key2", "value2")]));
    assert_eq!(state_map(&r, "tags_all"), map(&[("key2", "value2")]));
    assert_eq!(tf.image_tags(REGION, &id), map(&[("key2", "value2")]));
    assert_eq!(
        tf.snapshot_tags(REGION, &snaps[0]),
        map(&[("key2", "value2")])
    );
    let deletes = tf.calls(Some("DeleteTags"));
    assert!(!deletes.is_empty(), "DeleteTags expected");
    for d in &deletes {
        assert_eq!(
            tag_keys(d),
            vec!["key1".to_string()],
            "DeleteTags touched more than key1: {d}"
        );
    }
    assert!(
        tf.calls(Some("CreateTags")).is_empty(),
        "nothing to create when removing a tag"
    );
    tf.assert_plan_empty();
    tf.destroy();
}

/// A copy left pending whose tags did not stick (as on a backend that ignores tags at birth:
/// here they are removed while it copies): the apply that finishes it sets them, with one
/// CreateTags on the image and its snapshot, and the next plan is empty. Without a refresh no
/// planned tag change does it: finishing the copy must check. With one, the plan's tag change
/// and that check must not both call.
fn a_resumed_copy_gets_the_tags_it_lacks_in_one_call(refresh: bool) {
    let tf = Tf::new(&format!("tags_resume_{refresh}"));
    let source = tf.make_source_ami(REGION, &format!("tfacc-tags-resume-{refresh}-source"));
    let name = &format!("tfacc-tags-resume-{refresh}");
    tf.copy_duration(name, 30.0);
    let body = format!(
        "{}\n  timeouts {{\n    create = \"2s\"\n  }}",
        tags_block(&[("Name", "resumed")])
    );
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, ""),
        ami_copy(name, &source, REGION, &body)
    ));
    tf.apply_fails();
    let id = ami_id(&tf.resource_entry("aws_ami_copy.test")["values"]);
    let image = tf.find_image(REGION, &id).expect("the pending copy exists");
    let snaps: Vec<String> = image
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
        .collect();
    assert_eq!(snaps.len(), 1, "{image:?}");
    let ec2 = tf.ec2(REGION);
    rt().block_on(
        ec2.delete_tags()
            .resources(&id)
            .resources(&snaps[0])
            .tags(aws_sdk_ec2::types::Tag::builder().key("Name").build())
            .send(),
    )
    .expect("DeleteTags out of band");
    assert!(tf.image_tags(REGION, &id).is_empty());

    tf.copy_duration_for_image(&id, 0.0);
    tf.ok(&["untaint", "aws_ami_copy.test"]);
    tf.clear_calls();
    tf.ok(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        &format!("-refresh={refresh}"),
    ]);
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id);
    assert_eq!(r["state"], "available");
    assert_eq!(state_map(&r, "tags_all"), map(&[("Name", "resumed")]));
    assert_eq!(tf.image_tags(REGION, &id), map(&[("Name", "resumed")]));
    assert_eq!(
        tf.snapshot_tags(REGION, &snaps[0]),
        map(&[("Name", "resumed")])
    );
    let creates = tf.calls(Some("CreateTags"));
    assert_eq!(creates.len(), 1, "one CreateTags expected: {creates:?}");
    assert_tags_image_and_snapshot(&creates[0], &id, &snaps[0]);
    assert_eq!(tag_keys(&creates[0]), vec!["Name".to_string()]);
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn a_resumed_copy_gets_the_tags_it_lacks_without_a_refresh() {
    a_resumed_copy_gets_the_tags_it_lacks_in_one_call(false);
}

#[test]
fn a_resumed_copy_gets_the_tags_it_lacks_after_a_refresh() {
    a_resumed_copy_gets_the_tags_it_lacks_in_one_call(true);
}

#[test]
fn changing_a_tag_value_recreates_only_that_tag() {
    let tf = Tf::new("tag_value");
    let source = tf.make_source_ami(REGION, "tfacc-tag-value-source");
    let name = "tfacc-tag-value";
    let cfg = |pairs: &[(&str, &str)]| {
        format!(
            "{}{}",
            tf.provider_block(REGION, ""),
            ami_copy(name, &source, REGION, &tags_block(pairs))
        )
    };
    tf.write(&cfg(&[("keep", "same"), ("change", "before")]));
    tf.apply();
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    tf.assert_plan_empty();

    tf.write(&cfg(&[("keep", "same"), ("change", "after")]));
    tf.clear_calls();
    tf.apply();
    assert_eq!(
        tf.image_tags(REGION, &id),
        map(&[("keep", "same"), ("change", "after")])
    );
    let creates = tf.calls(Some("CreateTags"));
    assert!(!creates.is_empty());
    for c in &creates {
        assert_eq!(tag_keys(c), vec!["change".to_string()], "{c}");
    }
    assert!(
        tf.calls(Some("DeleteTags")).is_empty(),
        "a changed value needs no DeleteTags"
    );
    tf.assert_plan_empty();
    tf.destroy();
}

fn default_tags_are_merged_into_tags_all_and_resource_tags_win(lane: Lane) {
    let tf = Tf::in_lane(lane, "default_tags");
    let source = tf.make_source_ami(REGION, "tfacc-default-tags-source");
    let provider = tf.provider_block(
        REGION,
        "  default_tags {\n    tags = {\n      Env   = \"test\"\n      Owner = \"platform\"\n    }\n  }",
    );
    tf.write(&format!(
        "{provider}{}",
        ami_copy(
            "tfacc-default-tags",
            &source,
            REGION,
            &tags_block(&[("Name", "copy"), ("Owner", "team")])
        )
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    let expected_all = map(&[("Env", "test"), ("Name", "copy"), ("Owner", "team")]);
    assert_eq!(
        state_map(&r, "tags"),
        map(&[("Name", "copy"), ("Owner", "team")])
    );
    assert_eq!(state_map(&r, "tags_all"), expected_all);
    assert_eq!(tf.image_tags(REGION, &id), expected_all);
    for s in state_snapshot_ids(&r) {
        assert_eq!(tf.snapshot_tags(REGION, &s), expected_all, "snapshot {s}");
    }
    tf.assert_plan_empty();

    // Changing only a default tag updates tags_all in place.
    let provider = tf.provider_block(
        REGION,
        "  default_tags {\n    tags = {\n      Env   = \"prod\"\n      Owner = \"platform\"\n    }\n  }",
    );
    tf.write(&format!(
        "{provider}{}",
        ami_copy(
            "tfacc-default-tags",
            &source,
            REGION,
            &tags_block(&[("Name", "copy"), ("Owner", "team")])
        )
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id);
    assert_eq!(state_map(&r, "tags_all")["Env"], "prod");
    assert_eq!(tf.image_tags(REGION, &id)["Env"], "prod");
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn ignore_tags_hides_keys_and_prefixes_set_outside_terraform() {
    let tf = Tf::new("ignore_tags");
    let source = tf.make_source_ami(REGION, "tfacc-ignore-tags-source");
    let provider = tf.provider_block(
        REGION,
        "  ignore_tags {\n    keys         = [\"LastScanned\"]\n    key_prefixes = [\"scanner:\"]\n  }",
    );
    tf.write(&format!(
        "{provider}{}",
        ami_copy(
            "tfacc-ignore-tags",
            &source,
            REGION,
            &tags_block(&[("Name", "copy")])
        )
    ));
    tf.apply();
    let id = ami_id(&tf.resource("aws_ami_copy.test"));

    // Someone else tags the image.
    let ec2 = tf.ec2(REGION);
    crate::support::rt().block_on(async {
        ec2.create_tags()
            .resources(&id)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("LastScanned")
                    .value("today")
                    .build(),
            )
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("scanner:result")
                    .value("clean")
                    .build(),
            )
            .send()
            .await
            .expect("CreateTags");
    });
    tf.assert_plan_empty();
    tf.apply_refresh_only();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(
        state_map(&r, "tags_all"),
        map(&[("Name", "copy")]),
        "ignored tags leaked into state"
    );
    assert_eq!(state_map(&r, "tags"), map(&[("Name", "copy")]));

    // A tag set outside Terraform that is NOT ignored shows up as drift.
    crate::support::rt().block_on(async {
        ec2.create_tags()
            .resources(&id)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("Rogue")
                    .value("x")
                    .build(),
            )
            .send()
            .await
            .expect("CreateTags");
    });
    let plan = tf.plan_code();
    assert_eq!(
        plan.code,
        2,
        "an unignored out-of-band tag must be planned away:\n{}",
        plan.text()
    );
    tf.clear_calls();
    tf.apply();
    let deletes = tf.calls(Some("DeleteTags"));
    for d in &deletes {
        assert_eq!(
            tag_keys(d),
            vec!["Rogue".to_string()],
            "ignored keys must never be touched: {d}"
        );
    }
    let live = tf.image_tags(REGION, &id);
    assert_eq!(live.get("LastScanned").map(String::as_str), Some("today"));
    assert_eq!(
        live.get("scanner:result").map(String::as_str),
        Some("clean")
    );
    assert!(!live.contains_key("Rogue"));
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn copy_tags_copies_the_source_tags_and_plans_clean() {
    let tf = Tf::new("copy_tags");
    let source = tf.make_source_ami(REGION, "tfacc-copy-tags-source");
    let ec2 = tf.ec2(REGION);
    crate::support::rt().block_on(async {
        ec2.create_tags()
            .resources(&source)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("Team")
                    .value("images")
                    .build(),
            )
            .send()
            .await
            .expect("CreateTags");
    });
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, ""),
        ami_copy(
            "tfacc-copy-tags",
            &source,
            REGION,
            &format!("  copy_tags = true\n{}", tags_block(&[("Name", "copy")]))
        )
    ));
    tf.apply();
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    let copy = &tf.calls(Some("CopyImage"))[0];
    assert_eq!(
        call_param(copy, "CopyImageTags").as_deref(),
        Some("true"),
        "{copy}"
    );
    let live = tf.image_tags(REGION, &id);
    assert_eq!(
        live.get("Team").map(String::as_str),
        Some("images"),
        "source tags not copied: {live:?}"
    );
    assert_eq!(live.get("Name").map(String::as_str), Some("copy"));
    tf.assert_plan_empty();
    tf.destroy();
}

#[test]
fn default_tags_alone_and_empty_or_blank_tags_plan_clean() {
    let tf = Tf::new("default_tags_only");
    let source = tf.make_source_ami(REGION, "tfacc-default-tags-only-source");
    let provider = tf.provider_block(
        REGION,
        "  default_tags {\n    tags = {\n      Env = \"test\"\n    }\n  }",
    );
    let name = "tfacc-default-tags-only";

    // No tags argument at all: tags_all holds the default tags.
    tf.write(&format!(
        "{provider}{}",
        ami_copy(name, &source, REGION, "")
    ));
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    let id = ami_id(&r);
    assert_eq!(state_map(&r, "tags_all"), map(&[("Env", "test")]));
    assert_eq!(tf.image_tags(REGION, &id), map(&[("Env", "test")]));
    tf.assert_plan_empty();

    // An empty map is the same as no tags (as with the Go provider, whose SDK treats an empty map
    // as null): switching between them plans nothing.
    tf.write(&format!(
        "{provider}{}",
        ami_copy(name, &source, REGION, "  tags = {}")
    ));
    tf.assert_plan_empty();

    // A tag with an empty value is a real tag.
    tf.write(&format!(
        "{provider}{}",
        ami_copy(name, &source, REGION, &tags_block(&[("Blank", "")]))
    ));
    tf.apply();
    assert_eq!(
        tf.image_tags(REGION, &id),
        map(&[("Blank", ""), ("Env", "test")])
    );
    tf.assert_plan_empty();
    tf.destroy();
}

both_lanes!(
    tags_one_two_one_touch_only_the_changed_keys,
    default_tags_are_merged_into_tags_all_and_resource_tags_win
);
