//! A create step after the copy is available (tags the backend ignored at birth, deprecation,
//! deregistration protection) fails: the copy is kept untainted and pending with a warning that
//! says what is left, the next plan is an in-place update, and the next apply does the step.
//! One copy is ever made.

use crate::support::{ami_id, map, state_map, Lane, Tf};

const REGION: &str = "us-east-1";

/// One step and how to see that it was done.
struct Step {
    /// The EC2 action the fault hits.
    action: &'static str,
    /// What the configuration asks for (inside the resource block).
    config: &'static str,
    /// The warning's summary.
    summary: &'static str,
}

const DEPRECATION: Step = Step {
    action: "EnableImageDeprecation",
    config: "  deprecation_time = \"2031-01-01T00:00:00Z\"",
    summary: "Cannot set the AMI deprecation time",
};

const PROTECTION: Step = Step {
    action: "EnableImageDeregistrationProtection",
    config: "  deregistration_protection = \"enabled\"",
    summary: "Cannot set deregistration protection",
};

const TAGS: Step = Step {
    action: "CreateTags",
    config: "  tags = {\n    Name = \"finish-failures\"\n  }",
    summary: "Cannot tag the AMI copy",
};

/// The provider block with few retries, so that a step failing on every attempt fails soon.
fn provider_with_few_retries(tf: &Tf) -> String {
    let block = tf.provider_block(REGION, "");
    if block.contains("max_retries") {
        return block;
    }
    let (head, tail) = block.split_at(block.rfind('}').expect("a provider block"));
    format!("{head}  max_retries = 1\n{tail}")
}

/// Ends this test's faults (keeps its call log).
fn clear_faults(tf: &Tf) {
    let url = format!(
        "{}/_ec2emu/faults?access_key_id={}",
        tf.emulator, tf.access_key
    );
    ureq::delete(&url).call().expect("emulator: delete faults");
}

fn a_failed_step_after_available_keeps_the_copy(lane: Lane, test: &str, step: &Step) {
    let tf = Tf::in_lane(lane, test);
    let name = format!("tfacc-{}", test.replace('_', "-"));
    let source = tf.make_source_ami(REGION, &format!("{name}-source"));
    let provider = provider_with_few_retries(&tf);
    let resource = crate::support::ami_copy(&name, &source, REGION, step.config);
    tf.write(&format!("{provider}{resource}"));
    // Every attempt of the step fails (HTTP 500, which the SDK retries: max_retries bounds it).
    tf.fault(step.action, "http500", None);

    let out = tf.apply();
    let flat = out.flat();
    assert!(
        flat.contains(&format!("Warning: {}", step.summary)),
        "the apply must warn that the step failed:\n{}",
        out.text()
    );
    assert!(
        flat.contains("the next `terraform apply` does this step again"),
        "the warning must say the next apply does it:\n{}",
        out.text()
    );
    assert!(
        !out.text().lines().any(|l| l.starts_with("Error:")),
        "warnings only, or Terraform taints the copy:\n{}",
        out.text()
    );
    let entry = tf.resource_entry("aws_ami_copy.test");
    assert!(
        entry["tainted"].is_null() || entry["tainted"] == false,
        "a finished copy must not be tainted: {entry}"
    );
    assert_eq!(entry["values"]["state"], "pending", "{entry}");
    let id = ami_id(&entry["values"]);
    assert!(flat.contains(&id), "the warning must name {id}");
    let attempts = tf.calls(Some(step.action));
    assert!(
        !attempts.is_empty() && attempts.iter().all(|c| !c["fault"].is_null()),
        "the step must have been tried, and its every attempt faulted: {attempts:?}"
    );

    let plan = tf.plan_code();
    assert_eq!(plan.code, 2, "{}", plan.text());
    assert!(
        plan.stdout.contains("updated in-place")
            && !plan.stdout.contains("must be replaced")
            && !plan.stdout.contains("will be created"),
        "the next plan must be an in-place update:\n{}",
        plan.stdout
    );

    clear_faults(&tf);
    tf.apply();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id, "the same copy must be finished");
    assert_eq!(r["state"], "available");
    let live = tf.find_image(REGION, &id).expect("the copy exists");
    match step.action {
        "EnableImageDeprecation" => assert!(
            live.deprecation_time()
                .is_some_and(|t| t.starts_with("2031-01-01T00:00")),
            "{live:?}"
        ),
        "EnableImageDeregistrationProtection" => assert_eq!(
            live.deregistration_protection(),
            Some("enabled-without-cooldown")
        ),
        _ => {
            assert_eq!(
                tf.image_tags(REGION, &id),
                map(&[("Name", "finish-failures")])
            );
            assert_eq!(
                state_map(&r, "tags_all"),
                map(&[("Name", "finish-failures")])
            );
        }
    }
    tf.assert_plan_empty();
    assert_eq!(tf.calls(Some("CopyImage")).len(), 1, "one CopyImage ever");
    assert_eq!(tf.images_named(REGION, &name).len(), 1, "one copy ever");

    if step.action == "EnableImageDeregistrationProtection" {
        // A protected image cannot be deregistered: lift the protection first.
        tf.write(&format!(
            "{provider}{}",
            crate::support::ami_copy(&name, &source, REGION, "")
        ));
        tf.apply();
    }
    tf.destroy();
}

#[test]
fn a_failed_deprecation_keeps_the_copy_and_the_next_apply_sets_it() {
    a_failed_step_after_available_keeps_the_copy(
        Lane::Fidelity,
        "finish_failures_deprecation",
        &DEPRECATION,
    );
}

#[test]
fn a_failed_protection_keeps_the_copy_and_the_next_apply_sets_it() {
    a_failed_step_after_available_keeps_the_copy(
        Lane::Fidelity,
        "finish_failures_protection",
        &PROTECTION,
    );
}

/// Stock moto ignores CopyImage's TagSpecifications, so the tags are a step after the copy.
#[test]
fn failed_tags_after_a_backend_ignored_them_keep_the_copy_and_the_next_apply_sets_them() {
    a_failed_step_after_available_keeps_the_copy(Lane::Stock, "finish_failures_tags", &TAGS);
}
