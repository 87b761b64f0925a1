"""DeleteSnapshot of a copy's snapshot while the copy is still running → IncorrectState; once the
copy is done, the usual rules (InvalidSnapshot.InUse while an image uses it)."""

import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, make_source


def _pending_copy(aws, ec2, prefix):
    src = make_source(ec2, prefix + "-src")
    aws.copy_rule(duration_seconds=3600)
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    copy = ec2.copy_image(Name=name, SourceImageId=src, SourceRegion="us-east-1")["ImageId"]
    img = ec2.describe_images(ImageIds=[copy])["Images"][0]
    assert img["State"] == "pending"
    snap = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    assert ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["State"] == "pending"
    return copy, snap


def _delete_error(ec2, snap):
    with pytest.raises(ClientError) as e:
        ec2.delete_snapshot(SnapshotId=snap)
    return e.value


def test_pending_snapshot_cannot_be_deleted_until_the_copy_is_done(aws):
    ec2 = aws.ec2()
    copy, snap = _pending_copy(aws, ec2, "ps")
    err = _delete_error(ec2, snap)
    assert error_code(err) == "IncorrectState"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert snap in err.response["Error"]["Message"] and "pending" in err.response["Error"]["Message"]
    assert ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["State"] == "pending"

    aws.copy_rule(image_id=copy, duration_seconds=0)  # the copy finishes
    assert ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["State"] == "completed"
    assert error_code(_delete_error(ec2, snap)) == "InvalidSnapshot.InUse"
    ec2.deregister_image(ImageId=copy)
    ec2.delete_snapshot(SnapshotId=snap)
    with pytest.raises(ClientError) as e:
        ec2.describe_snapshots(SnapshotIds=[snap])
    assert error_code(e.value) == "InvalidSnapshot.NotFound"


def test_pending_snapshot_of_a_deregistered_copy_still_pending(aws):
    """The image is gone but its snapshot is still being copied: still IncorrectState."""
    ec2 = aws.ec2()
    copy, snap = _pending_copy(aws, ec2, "psd")
    ec2.deregister_image(ImageId=copy)
    assert error_code(_delete_error(ec2, snap)) == "IncorrectState"
    aws.copy_rule(image_id=copy, duration_seconds=0)
    ec2.delete_snapshot(SnapshotId=snap)


def test_failed_copy_snapshot_follows_the_usual_rules(aws):
    ec2 = aws.ec2()
    copy, snap = _pending_copy(aws, ec2, "psf")
    aws.copy_rule(image_id=copy, duration_seconds=0, fail_message="copy failed")
    assert ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["State"] == "error"
    assert error_code(_delete_error(ec2, snap)) == "InvalidSnapshot.InUse"
    ec2.deregister_image(ImageId=copy)
    ec2.delete_snapshot(SnapshotId=snap)


def test_snapshot_rule_refusal_comes_before_the_state_check(aws):
    ec2 = aws.ec2()
    _, snap = _pending_copy(aws, ec2, "psr")
    r = aws.emu.control("POST", "snapshot-rules", json={"access_key_id": aws.akid, "snapshot_ids": [snap]})
    assert r.status_code == 201, r.text
    assert error_code(_delete_error(ec2, snap)) == "UnauthorizedOperation"
