"""Image lifecycle: pending → available after the copy duration, snapshot Progress 0 → 100 %,
failed copies with a StateReason, durations by default / name / prefix / image id."""

import time

from conftest import make_source, wait_state


def _copy(ec2, src, name):
    return ec2.copy_image(Name=name, SourceImageId=src, SourceRegion="us-east-1")["ImageId"]


def _snap(ec2, img):
    sid = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    return ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]


def test_copy_is_pending_then_available_with_progress(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "lc-src")
    aws.copy_rule(name_prefix="lc-copy", duration_seconds=1.5)
    image_id = _copy(ec2, src, "lc-copy-1")
    img = ec2.describe_images(ImageIds=[image_id])["Images"][0]
    assert img["State"] == "pending"
    assert ec2.describe_images(Filters=[{"Name": "state", "Values": ["pending"]}], ImageIds=[image_id])[
        "Images"
    ]
    s1 = _snap(ec2, img)
    assert s1["State"] == "pending"
    p1 = int(s1["Progress"].rstrip("%"))
    assert 0 <= p1 < 100
    time.sleep(0.6)
    s2 = _snap(ec2, img)
    p2 = int(s2["Progress"].rstrip("%"))
    assert p1 < p2 < 100
    img = wait_state(ec2, image_id, "available", timeout=5)
    s3 = _snap(ec2, img)
    assert (s3["State"], s3["Progress"]) == ("completed", "100%")


def test_zero_duration_is_available_at_once(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "lc0-src")
    aws.copy_rule(duration_seconds=0)
    image_id = _copy(ec2, src, "lc0-copy")
    img = ec2.describe_images(ImageIds=[image_id])["Images"][0]
    assert img["State"] == "available"
    assert _snap(ec2, img)["Progress"] == "100%"


def test_default_rule_per_access_key_and_exact_name_beats_prefix(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "lcd-src")
    aws.copy_rule(duration_seconds=30)  # default for this key
    aws.copy_rule(name_prefix="lcd-", duration_seconds=30)
    aws.copy_rule(name="lcd-fast", duration_seconds=0)
    slow = _copy(ec2, src, "lcd-slow")
    fast = _copy(ec2, src, "lcd-fast")
    other = _copy(ec2, src, "other-name")
    states = {i["ImageId"]: i["State"] for i in ec2.describe_images(ImageIds=[slow, fast, other])["Images"]}
    assert states == {slow: "pending", fast: "available", other: "pending"}


def test_rules_of_another_access_key_do_not_apply(aws, emu):
    ec2 = aws.ec2()
    src = make_source(ec2, "lciso-src")
    r = emu.control("POST", "copy-rules", json={"access_key_id": "AKIDSOMEONEELSE", "duration_seconds": 60})
    assert r.status_code == 201
    try:
        image_id = _copy(ec2, src, "lciso-copy")
        assert ec2.describe_images(ImageIds=[image_id])["Images"][0]["State"] == "available"
    finally:
        emu.control("POST", "reset", json={"access_key_id": "AKIDSOMEONEELSE"})


def test_failed_copy_has_state_reason(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "lcf-src")
    aws.copy_rule(name="lcf-copy", duration_seconds=0.3, fail_message="Copy failed: snapshot error")
    image_id = _copy(ec2, src, "lcf-copy")
    assert ec2.describe_images(ImageIds=[image_id])["Images"][0]["State"] == "pending"
    img = wait_state(ec2, image_id, "failed", timeout=5)
    assert img["StateReason"]["Message"] == "Copy failed: snapshot error"
    assert img["StateReason"]["Code"]
    assert _snap(ec2, img)["State"] == "error"


def test_image_id_rule_after_the_fact(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "lcid-src")
    aws.copy_rule(duration_seconds=600)
    a = _copy(ec2, src, "lcid-a")
    b = _copy(ec2, src, "lcid-b")
    assert ec2.describe_images(ImageIds=[a])["Images"][0]["State"] == "pending"
    aws.copy_rule(image_id=a, duration_seconds=0)
    aws.copy_rule(image_id=b, duration_seconds=0, fail_message="boom", fail_code="Client.InternalError")
    assert ec2.describe_images(ImageIds=[a])["Images"][0]["State"] == "available"
    img_b = ec2.describe_images(ImageIds=[b])["Images"][0]
    assert img_b["State"] == "failed"
    assert img_b["StateReason"] == {"Code": "Client.InternalError", "Message": "boom"}
