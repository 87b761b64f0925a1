//! Every EC2 call is bounded and stops on Ctrl-C: with a 120 s `latency` fault on one action,
//! Ctrl-C ends the CLI long before the call would have answered and the state stays true to
//! EC2; without Ctrl-C the call gives up when the resource's `timeouts` run out, and a copy
//! whose calls answer finishes in the same apply.

use crate::support::{ami_id, state_snapshot_ids, Run, Tf};
use serde_json::{json, Value as Json};
use std::time::{Duration, Instant};

const REGION: &str = "us-east-1";
/// Far longer than any bound below: a CLI that waited for the call would fail the test.
const HANG_MS: u64 = 120_000;
/// Generous for a loaded machine; the point is that the CLI did not wait for the 120 s call.
const STOP_BOUND: Duration = Duration::from_secs(15);
/// A resolution interrupted by Ctrl-C has 5 s more (`adopt::RESOLVE_LIMIT_STOPPING`); the rest is
/// the CLI's own exit on a loaded machine. The rest of the resolution's own 15 s would exceed it.
const RESOLUTION_STOP_BOUND: Duration = Duration::from_secs(10);

/// What the interrupted command is.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `apply` of the configuration with `after` (from no state when `before` is None).
    Apply,
    Destroy,
    /// `plan`, which refreshes the copy.
    Refresh,
    /// `import` of the copy into an empty state.
    Import,
}

/// One action that hangs, and how to get the provider to call it.
struct Case {
    action: &'static str,
    /// The copy's extra arguments for the first apply; `None`: no first apply.
    before: Option<&'static str>,
    /// ... and for the interrupted step (for `Apply`).
    after: &'static str,
    step: Step,
}

const CREATE_AND_TAGS: &[Case] = &[
    Case {
        action: "CopyImage",
        before: None,
        after: "",
        step: Step::Apply,
    },
    Case {
        action: "CreateTags",
        before: Some(r#"tags = { a = "1" }"#),
        after: r#"tags = { a = "1", b = "2" }"#,
        step: Step::Apply,
    },
    Case {
        action: "DeleteTags",
        before: Some(r#"tags = { a = "1", b = "2" }"#),
        after: r#"tags = { a = "1" }"#,
        step: Step::Apply,
    },
    Case {
        action: "ModifyImageAttribute",
        before: Some(r#"description = "one""#),
        after: r#"description = "two""#,
        step: Step::Apply,
    },
];

const DEPRECATION_PROTECTION_AND_STS: &[Case] = &[
    Case {
        action: "GetCallerIdentity",
        before: Some(""),
        after: "",
        step: Step::Refresh,
    },
    Case {
        action: "EnableImageDeprecation",
        before: Some(""),
        after: r#"deprecation_time = "2030-01-01T00:00:00Z""#,
        step: Step::Apply,
    },
    Case {
        action: "DisableImageDeprecation",
        before: Some(r#"deprecation_time = "2030-01-01T00:00:00Z""#),
        after: "",
        step: Step::Apply,
    },
    Case {
        action: "EnableImageDeregistrationProtection",
        before: Some(""),
        after: r#"deregistration_protection = "enabled""#,
        step: Step::Apply,
    },
];

const DESTROY_REFRESH_IMPORT: &[Case] = &[
    Case {
        action: "DeregisterImage",
        before: Some(""),
        after: "",
        step: Step::Destroy,
    },
    Case {
        action: "DeleteSnapshot",
        before: Some(""),
        after: "",
        step: Step::Destroy,
    },
    Case {
        action: "DescribeImages",
        before: Some(""),
        after: "",
        step: Step::Refresh,
    },
    Case {
        action: "DescribeImages",
        before: Some(""),
        after: "",
        step: Step::Import,
    },
];

fn hang(tf: &Tf, action: &str, count: Option<u32>) {
    let mut body = json!({"action": action, "kind": "latency", "latency_ms": HANG_MS});
    if let Some(c) = count {
        body["count"] = Json::from(c);
    }
    tf.control("faults", body);
}

/// Whether this test's `latency` fault on `action` has caught a call (the call log records a
/// call only once it is answered, so the fault store is what tells that one is in flight).
fn hanging(tf: &Tf, action: &str) -> bool {
    let url = format!("{}/_ec2emu/faults", tf.emulator);
    let faults: Vec<Json> = ureq::get(&url)
        .call()
        .expect("emulator faults")
        .body_mut()
        .read_json()
        .expect("faults json");
    faults.iter().any(|f| {
        f["access_key_id"] == tf.access_key.as_str()
            && f["action"] == action
            && f["fired"].as_u64().unwrap_or(0) > 0
    })
}

fn args(step: Step, id: &str) -> Vec<String> {
    let v: &[&str] = match step {
        Step::Apply => &["apply", "-auto-approve", "-input=false", "-no-color"],
        Step::Destroy => &["destroy", "-auto-approve", "-input=false", "-no-color"],
        Step::Refresh => &["plan", "-input=false", "-no-color"],
        Step::Import => &["import", "-input=false", "-no-color", "aws_ami_copy.test"],
    };
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    if let Step::Import = step {
        v.push(id.to_string());
    }
    v
}

/// Runs one case: sets it up, starts the step, presses Ctrl-C once the action is in flight,
/// and returns the CLI's output, the time from Ctrl-C to exit, and the copy's id (if any).
fn interrupt_case(case: &Case) -> (Tf, Run, Duration, Option<String>) {
    let tf = Tf::new(&format!("interrupt_calls_{}", case.label()));
    let name = case.copy_name();
    let source = tf.make_source_ami(REGION, &format!("{name}-source"));
    let mut id = None;
    if let Some(before) = case.before {
        tf.write(&tf.copy_config(REGION, &name, &source, before));
        tf.apply();
        id = Some(ami_id(&tf.resource("aws_ami_copy.test")));
    }
    let id_text = id.clone().unwrap_or_default();
    match case.step {
        Step::Apply => tf.write(&tf.copy_config(REGION, &name, &source, case.after)),
        Step::Import => {
            tf.ok(&["state", "rm", "aws_ami_copy.test"]);
        }
        Step::Destroy if case.action == "DeleteSnapshot" => {
            // The copy's snapshots outlive DeregisterImage, as when a policy denies deleting
            // them there: destroy then deletes each one itself.
            let snaps = state_snapshot_ids(&tf.resource("aws_ami_copy.test"));
            tf.control("snapshot-rules", json!({ "snapshot_ids": snaps }));
        }
        _ => {}
    }
    hang(&tf, case.action, None);
    let args = args(case.step, &id_text);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cli = tf.spawn(&args);
    let deadline = Instant::now() + Duration::from_secs(90);
    while !hanging(&tf, case.action) {
        let ended = cli.child.try_wait().expect("poll terraform").is_some();
        if ended || Instant::now() > deadline {
            if !ended {
                cli.interrupt();
            }
            let out = cli.wait();
            panic!(
                "{} was never called by {:?}:\n{}",
                case.action,
                case.step,
                out.text()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // Let the call settle in flight.
    std::thread::sleep(Duration::from_millis(300));
    let pressed = Instant::now();
    cli.interrupt();
    let out = cli.wait();
    let took = pressed.elapsed();
    // The checks below read EC2 with this test's key: they must not hang too.
    let url = format!(
        "{}/_ec2emu/faults?access_key_id={}&action={}",
        tf.emulator, tf.access_key, case.action
    );
    ureq::delete(&url).call().expect("clear the fault");
    (tf, out, took, id)
}

/// A Ctrl-C while CopyImage is in flight never turns the copy into a replacement: the instance
/// is not tainted, the next plan is an in-place update, and its apply sends the request again
/// with the token the state recorded, finishing with one image.
fn resumes_after_ctrl_c(tf: &Tf, name: &str, label: &str) {
    let entry = tf.resource_entry("aws_ami_copy.test");
    assert_ne!(
        entry["tainted"], true,
        "{label}: tainted after Ctrl-C: {entry}"
    );
    let record: Json =
        serde_json::from_str(entry["values"]["copy_attempts"].as_str().unwrap_or(""))
            .unwrap_or_else(|e| panic!("{label}: copy_attempts holds the record ({e}): {entry}"));
    let token = record["token"].as_str().expect("a token").to_string();
    let plan = tf.ok(&["plan", "-no-color", "-input=false"]);
    assert!(
        plan.text().contains("updated in-place") && !plan.text().contains("must be replaced"),
        "{label}: {}",
        plan.text()
    );
    tf.clear_calls();
    tf.apply();
    let sent: Vec<String> = tf
        .calls(Some("CopyImage"))
        .iter()
        .filter_map(|c| crate::support::call_param(c, "ClientToken"))
        .collect();
    assert_eq!(
        sent,
        vec![token],
        "{label}: one re-send, with the recorded token"
    );
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    let named: Vec<String> = tf
        .images_named(REGION, name)
        .iter()
        .filter_map(|i| i.image_id().map(str::to_string))
        .collect();
    assert_eq!(named, vec![id], "{label}: one image");
    tf.assert_plan_empty();
    tf.destroy();
}

impl Case {
    fn label(&self) -> String {
        format!("{}_{:?}", self.action, self.step)
    }
    fn copy_name(&self) -> String {
        format!(
            "tfacc-interrupt-calls-{}",
            self.label().to_ascii_lowercase()
        )
    }
}

#[test]
fn ctrl_c_abandons_copy_image_and_tag_calls() {
    ctrl_c_abandons_each_call_in_flight(CREATE_AND_TAGS);
}

#[test]
fn ctrl_c_abandons_deprecation_protection_and_sts_calls() {
    ctrl_c_abandons_each_call_in_flight(DEPRECATION_PROTECTION_AND_STS);
}

#[test]
fn ctrl_c_abandons_destroy_refresh_and_import_calls() {
    ctrl_c_abandons_each_call_in_flight(DESTROY_REFRESH_IMPORT);
}

/// Each case in turn: Ctrl-C ends the CLI long before the call would answer, and the state
/// records what EC2 has (a copy that exists is in state).
fn ctrl_c_abandons_each_call_in_flight(cases: &[Case]) {
    let mut times = Vec::new();
    for case in cases {
        let (tf, out, took, id) = interrupt_case(case);
        let label = format!("{} during {:?}", case.action, case.step);
        println!("Ctrl-C to exit with {label} in flight: {took:?}");
        times.push((label.clone(), took));
        assert!(
            took < STOP_BOUND,
            "{label}: the CLI took {took:?} to stop after Ctrl-C:\n{}",
            out.text()
        );
        assert_ne!(out.code, 0, "{label}: interrupted, yet it succeeded");
        let flat = out.flat();
        let entry = tf.resource_entry("aws_ami_copy.test");
        match (case.step, &id) {
            // No answer came, to the request or its re-send: EC2 may make the copy yet, so the
            // instance stays in the state without an id, with its ClientToken for the next apply
            // to resolve; nothing exists yet.
            (Step::Apply, None) => {
                assert_eq!(entry["values"]["id"], "", "{label}: {entry}");
                assert!(
                    flat.contains("AMI copy outcome unknown") && flat.contains("ClientToken"),
                    "{label}:\n{flat}"
                );
                assert!(
                    tf.images_named(REGION, &case.copy_name()).is_empty(),
                    "{label}"
                );
                assert!(
                    flat.contains("CopyImage") && flat.contains("interrupted"),
                    "{label}: the diagnostic must say what was in flight:\n{flat}"
                );
                resumes_after_ctrl_c(&tf, &case.copy_name(), &label);
            }
            // The copy exists and stays in state, as before the step.
            (Step::Apply | Step::Refresh | Step::Destroy, Some(id)) => {
                assert!(!entry.is_null(), "{label}: the copy left the state");
                assert_eq!(&ami_id(&entry["values"]), id, "{label}");
                if case.action == "DeleteSnapshot" {
                    // The image is gone; the state keeps the snapshots still to delete.
                    assert!(tf.find_image(REGION, id).is_none(), "{label}");
                    assert_eq!(entry["values"]["state"], "deregistered", "{label}");
                    assert!(
                        !state_snapshot_ids(&entry["values"]).is_empty(),
                        "{label}: {entry}"
                    );
                } else {
                    assert!(tf.find_image(REGION, id).is_some(), "{label}");
                }
                assert!(
                    flat.contains(case.action) && flat.contains("interrupted"),
                    "{label}: the diagnostic must name the call in flight:\n{flat}"
                );
            }
            // Import did not finish: the state stays empty and the copy untouched.
            (Step::Import, Some(id)) => {
                assert!(entry.is_null(), "{label}: {entry}");
                assert!(tf.find_image(REGION, id).is_some(), "{label}");
            }
            (step, id) => unreachable!("no such case: {step:?} {id:?}"),
        }
        if case.action == "CreateTags" || case.action == "DeleteTags" {
            // The change did not happen as far as the state knows: the next plan shows it.
            assert_eq!(
                entry["values"]["tags"].as_object().map(|t| t.len()),
                Some(if case.action == "CreateTags" { 1 } else { 2 }),
                "{label}: {entry}"
            );
        }
    }
    println!("Ctrl-C to exit, per action in flight: {times:?}");
}

/// Ctrl-C while an unknown outcome is being resolved (every CopyImage answer lost, the lookup
/// by name in flight): the CLI stops within the resolution's Ctrl-C bound (5 s, plus the CLI's
/// own exit), the copy stays in the state untainted with its record, and the next apply resumes
/// it with the same token. Fidelity lane: the resumption relies on EC2 honouring the token.
#[test]
fn ctrl_c_during_a_resolution_stops_within_its_bound_and_resumes() {
    let tf = Tf::new("interrupt_calls_resolution");
    let name = "tfacc-interrupt-calls-resolution";
    let source = tf.make_source_ami(REGION, &format!("{name}-source"));
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, "  max_retries = 0"),
        crate::support::ami_copy(name, &source, REGION, "")
    ));
    tf.fault("CopyImage", "drop_after", None);
    hang(&tf, "DescribeImages", None);
    // Without the plan-time checks, the only DescribeImages of this apply is the resolution's.
    let mut cli = tf.spawn_env(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &[("AMICOPY_PLAN_CHECKS", "false")],
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    while !hanging(&tf, "DescribeImages") {
        if Instant::now() > deadline || cli.child.try_wait().expect("poll").is_some() {
            cli.interrupt();
            panic!(
                "the resolution never looked up the name:\n{}",
                cli.wait().text()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let pressed = Instant::now();
    cli.interrupt();
    let out = cli.wait();
    let took = pressed.elapsed();
    println!("Ctrl-C to exit with a resolution in flight: {took:?}");
    ureq::delete(&format!(
        "{}/_ec2emu/faults?access_key_id={}",
        tf.emulator, tf.access_key
    ))
    .call()
    .expect("clear the faults");
    assert!(
        took < RESOLUTION_STOP_BOUND,
        "the CLI took {took:?} to stop after Ctrl-C:\n{}",
        out.text()
    );
    assert_ne!(out.code, 0, "interrupted, yet it succeeded");
    assert!(
        out.flat().contains("AMI copy outcome unknown"),
        "{}",
        out.text()
    );
    resumes_after_ctrl_c(&tf, name, "Ctrl-C during a resolution");
}

/// One copy's call hangs (a fault that fires once), the other's answers.
struct TimeoutCase {
    action: &'static str,
    /// `timeouts { ... }` inside each copy, and the copies' extra arguments before and after.
    timeouts: &'static str,
    before: &'static str,
    after: &'static str,
    destroy: bool,
}

const TIMEOUT_CASES: &[TimeoutCase] = &[
    TimeoutCase {
        action: "CreateTags",
        timeouts: r#"update = "6s""#,
        before: "",
        after: r#"tags = { b = "2" }"#,
        destroy: false,
    },
    TimeoutCase {
        action: "DeregisterImage",
        timeouts: r#"delete = "6s""#,
        before: "",
        after: "",
        destroy: true,
    },
];

fn two_copies(tf: &Tf, name: &str, source: &str, timeouts: &str, extra: &str) -> String {
    format!(
        r#"{}
resource "aws_ami_copy" "test" {{
  count             = 2
  name              = "{name}-${{count.index}}"
  source_ami_id     = "{source}"
  source_ami_region = "{REGION}"
  {extra}
  timeouts {{
    {timeouts}
  }}
}}
"#,
        tf.provider_block(REGION, "")
    )
}

#[test]
fn a_hanging_call_fails_at_the_resource_timeout_and_the_other_copy_finishes() {
    for (n, case) in TIMEOUT_CASES.iter().enumerate() {
        let tf = Tf::new(&format!("interrupt_calls_timeout_{n}"));
        let name = format!("tfacc-interrupt-calls-timeout-{n}");
        let source = tf.make_source_ami(REGION, &format!("{name}-source"));
        tf.write(&two_copies(&tf, &name, &source, case.timeouts, case.before));
        tf.apply();
        let ids: Vec<String> = (0..2)
            .map(|i| ami_id(&tf.resource(&format!("aws_ami_copy.test[{i}]"))))
            .collect();
        hang(&tf, case.action, Some(1));
        let started = Instant::now();
        let out = if case.destroy {
            tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        } else {
            tf.write(&two_copies(&tf, &name, &source, case.timeouts, case.after));
            tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        };
        let took = started.elapsed();
        println!("{}: the apply ended after {took:?}", case.action);
        assert_ne!(
            out.code,
            0,
            "{}: one call hung:\n{}",
            case.action,
            out.text()
        );
        let flat = out.flat();
        assert!(
            flat.contains(case.action)
                && flat.contains("got no answer in")
                && flat.contains(case.timeouts),
            "{}: the error must name the call and the timeout:\n{flat}",
            case.action
        );
        // Exactly one copy got its call through.
        let done: Vec<usize> = (0..2)
            .filter(|i| {
                let r = tf.resource(&format!("aws_ami_copy.test[{i}]"));
                if case.destroy {
                    r.is_null() && tf.find_image(REGION, &ids[*i]).is_none()
                } else {
                    r["tags"]["b"] == "2"
                }
            })
            .collect();
        assert_eq!(done.len(), 1, "{}: {}", case.action, out.text());
        let hung = 1 - done[0];
        let r = tf.resource(&format!("aws_ami_copy.test[{hung}]"));
        assert_eq!(ami_id(&r), ids[hung], "the hung copy stays in state");
    }
}
