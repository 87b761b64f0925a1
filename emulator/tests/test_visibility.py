"""Eventual consistency: copy rules with invisible_polls / invisible_seconds hide a fresh copy
(and its snapshots) from the describes of the rule's access key for a while."""

import time

import pytest
from botocore.exceptions import ClientError

from conftest import Clients, error_code, make_source


def _copy(ec2, src, name):
    return ec2.copy_image(Name=name, SourceImageId=src, SourceRegion="us-east-1")["ImageId"]


def _by_filter(ec2, image_id):
    return ec2.describe_images(Filters=[{"Name": "image-id", "Values": [image_id]}])["Images"]


def test_invisible_for_the_first_polls(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "vis-src")
    aws.copy_rule(name_prefix="vis-polls-", duration_seconds=0, invisible_polls=3)
    image_id = _copy(ec2, src, "vis-polls-1")
    # DescribeImageAttribute fails meanwhile but is not a poll.
    with pytest.raises(ClientError) as e:
        ec2.describe_image_attribute(ImageId=image_id, Attribute="description")
    assert error_code(e.value) == "InvalidAMIID.NotFound"
    with pytest.raises(ClientError) as e:  # poll 1: by id → NotFound
        ec2.describe_images(ImageIds=[image_id])
    assert error_code(e.value) == "InvalidAMIID.NotFound"
    assert _by_filter(ec2, image_id) == []  # poll 2: by filter → not listed
    assert image_id not in [i["ImageId"] for i in ec2.describe_images(Owners=["self"])["Images"]]  # 3
    img = ec2.describe_images(ImageIds=[image_id])["Images"][0]  # then it is there
    assert img["State"] == "available"
    assert _by_filter(ec2, image_id)[0]["ImageId"] == image_id
    sid = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    assert ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]["SnapshotId"] == sid
    ec2.describe_image_attribute(ImageId=image_id, Attribute="description")
    # Images without a rule are never hidden.
    assert ec2.describe_images(ImageIds=[src])["Images"][0]["ImageId"] == src


def test_invisible_for_seconds_and_only_to_the_rules_key(aws):
    ec2 = aws.ec2()
    other = Clients(aws.emu, aws.akid + "OTHER").ec2()
    src = make_source(ec2, "vis-src")
    aws.copy_rule(name_prefix="vis-secs-", duration_seconds=0, invisible_seconds=1.5)
    t0 = time.monotonic()
    image_id = _copy(ec2, src, "vis-secs-1")
    # Another key sees the copy at once, and its calls do not use up anything.
    seen = other.describe_images(ImageIds=[image_id])["Images"][0]
    sid = seen["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    assert other.describe_snapshots(SnapshotIds=[sid])["Snapshots"]
    polls = 0
    while time.monotonic() - t0 < 1.2:
        assert _by_filter(ec2, image_id) == []
        polls += 1
        with pytest.raises(ClientError) as e:
            ec2.describe_snapshots(SnapshotIds=[sid])
        assert error_code(e.value) == "InvalidSnapshot.NotFound"
        assert sid not in [s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]]
        time.sleep(0.1)
    assert polls >= 3
    time.sleep(max(0.0, 1.6 - (time.monotonic() - t0)))
    assert _by_filter(ec2, image_id)[0]["ImageId"] == image_id
    assert ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]["SnapshotId"] == sid


def test_invisibility_keeps_the_rules_duration(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "vis-src")
    aws.copy_rule(name_prefix="vis-dur-", duration_seconds=30, invisible_polls=1)
    image_id = _copy(ec2, src, "vis-dur-1")
    assert _by_filter(ec2, image_id) == []
    assert _by_filter(ec2, image_id)[0]["State"] == "pending"


def test_invisibility_rule_validation(aws, emu):
    bad = [
        {"invisible_polls": -1},
        {"invisible_polls": 1.5},
        {"invisible_seconds": -0.5},
        {"image_id": "ami-0123456789abcdef0", "invisible_polls": 2},
    ]
    for spec in bad:
        assert emu.control("POST", "copy-rules", json=spec).status_code == 400, spec
    rule = aws.copy_rule(name="vis-only", invisible_polls=2)
    assert (rule["invisible_polls"], rule["invisible_seconds"], rule["duration_seconds"]) == (2, None, None)
