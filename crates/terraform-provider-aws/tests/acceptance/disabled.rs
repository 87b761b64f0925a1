//! A copy disabled outside Terraform (DisableImage): EC2 leaves it out of DescribeImages unless
//! `IncludeDisabled` is set. Refresh asks for it, so the copy stays in the state with its state
//! reported, instead of being forgotten (and its name then failing the next apply). Enabled
//! again, it plans clean; destroy removes a disabled copy too.

use crate::support::{ami_id, rt, Lane, Tf};

const REGION: &str = "us-east-1";

fn set_disabled(tf: &Tf, id: &str, disabled: bool) {
    let ec2 = tf.ec2(REGION);
    rt().block_on(async {
        if disabled {
            ec2.disable_image()
                .image_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| format!("{e:?}"))
        } else {
            ec2.enable_image()
                .image_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| format!("{e:?}"))
        }
    })
    .unwrap_or_else(|e| panic!("Disable/EnableImage {id}: {e}"));
}

fn a_disabled_copy_stays_in_the_state(lane: Lane) {
    let test = format!("disabled_{lane:?}").to_ascii_lowercase();
    let tf = Tf::in_lane(lane, &test);
    let source = tf.make_source_ami(REGION, &format!("tfacc-{test}-source"));
    let name = format!("tfacc-{test}");
    tf.write(&tf.copy_config(REGION, &name, &source, ""));
    tf.apply();
    let id = ami_id(&tf.resource("aws_ami_copy.test"));

    set_disabled(&tf, &id, true);
    tf.clear_calls();
    tf.apply_refresh_only();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id, "still in the state: {r}");
    assert_eq!(r["state"], "disabled", "{r}");
    let plan = tf.plan_code();
    assert_eq!(
        plan.code,
        0,
        "nothing to do for a disabled copy:\n{}",
        plan.text()
    );
    if lane == Lane::Fidelity {
        // Every DescribeImages the refresh and the plan made asked for disabled images.
        let reads = tf.calls(Some("DescribeImages"));
        assert!(
            !reads.is_empty()
                && reads
                    .iter()
                    .all(
                        |c| crate::support::call_param(c, "IncludeDisabled").as_deref()
                            == Some("true")
                    ),
            "{reads:?}"
        );
    }

    set_disabled(&tf, &id, false);
    tf.apply_refresh_only();
    assert_eq!(tf.resource("aws_ami_copy.test")["state"], "available");
    tf.assert_plan_empty();

    set_disabled(&tf, &id, true);
    tf.destroy();
    assert!(tf.images_named(REGION, &name).is_empty());
}

both_lanes!(a_disabled_copy_stays_in_the_state);
