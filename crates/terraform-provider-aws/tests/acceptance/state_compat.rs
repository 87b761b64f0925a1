//! Switching from the Go provider: a state written by `hashicorp/aws` for `aws_ami_copy` (schema version 0), moved over with
//! `terraform state replace-provider`, plans with no changes and can be destroyed.

use crate::support::go_state::{go_copy_in_state, GoCopy};
use crate::support::{self, Tf};

const REGION: &str = "us-east-1";

#[test]
fn a_go_provider_state_moved_with_replace_provider_plans_clean() {
    let tf = Tf::new("state_compat");
    let name = "tfacc-state-compat";
    let GoCopy { source, id } = go_copy_in_state(
        &tf,
        "test",
        ("us-west-1", REGION),
        name,
        "from hashicorp/aws",
        &[("Name", "compat")],
    );
    tf.write(&format!(
        "{}{}",
        tf.provider_block(REGION, ""),
        support::ami_copy(
            name,
            &source,
            "us-west-1",
            "  description = \"from hashicorp/aws\"\n  tags = {\n    Name = \"compat\"\n  }"
        )
    ));

    tf.ok(&[
        "state",
        "replace-provider",
        "-auto-approve",
        "registry.terraform.io/hashicorp/aws",
        "registry.terraform.io/amicopy/aws",
    ]);
    tf.clear_calls();
    tf.assert_plan_empty();
    assert!(tf.calls(Some("CopyImage")).is_empty());
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["id"], id.as_str());

    // An apply after the move changes nothing either, and destroy cleans up.
    let out = tf.apply();
    assert!(
        out.stdout.contains("0 added, 0 changed, 0 destroyed"),
        "{}",
        out.text()
    );
    let snaps = support::state_snapshot_ids(&tf.resource("aws_ami_copy.test"));
    tf.destroy();
    assert!(tf.find_image(REGION, &id).is_none());
    for s in snaps {
        assert!(tf.find_snapshot(REGION, &s).is_none(), "snapshot {s} left");
    }
}
