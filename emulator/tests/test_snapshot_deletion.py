"""Snapshot rules: DeleteSnapshot and DeregisterImage's DeleteAssociatedSnapshots fail for the
listed snapshots, for the rule's access key only."""

import pytest
from botocore.exceptions import ClientError

from conftest import Clients, error_code, make_source


def _copy_with_snapshot(ec2, name):
    src = make_source(ec2, name + "-src")
    copy = ec2.copy_image(Name=name, SourceImageId=src, SourceRegion="us-east-1")["ImageId"]
    snap = ec2.describe_images(ImageIds=[copy])["Images"][0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    return copy, snap


def _snapshot_rule(aws, **spec):
    spec.setdefault("access_key_id", aws.akid)
    r = aws.emu.control("POST", "snapshot-rules", json=spec)
    assert r.status_code == 201, r.text
    return r.json()


def test_deregister_keeps_a_refused_snapshot_then_delete_fails_until_the_rule_goes(aws, emu):
    ec2 = aws.ec2()
    copy, snap = _copy_with_snapshot(ec2, "sd-copy")
    rule = _snapshot_rule(aws, snapshot_ids=[snap])
    assert rule["error_code"] == "UnauthorizedOperation" and rule["snapshot_ids"] == [snap]
    out = ec2.deregister_image(ImageId=copy, DeleteAssociatedSnapshots=True)
    assert out["DeleteSnapshotResults"] == [{"SnapshotId": snap, "ReturnCode": "missing-permissions"}]
    assert ec2.describe_images(ImageIds=[copy])["Images"] == []
    assert ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["SnapshotId"] == snap
    with pytest.raises(ClientError) as e:
        ec2.delete_snapshot(SnapshotId=snap)
    assert error_code(e.value) == "UnauthorizedOperation"
    assert e.value.response["Error"]["Message"] == "You are not authorized to perform this operation."
    listed = emu.control("GET", "snapshot-rules", params={"access_key_id": aws.akid}).json()
    assert listed == [rule]
    assert emu.control("DELETE", "snapshot-rules", params={"access_key_id": aws.akid}).json() == {"deleted": 1}
    ec2.delete_snapshot(SnapshotId=snap)
    with pytest.raises(ClientError) as e:
        ec2.describe_snapshots(SnapshotIds=[snap])
    assert error_code(e.value) == "InvalidSnapshot.NotFound"


@pytest.mark.parametrize(
    "code,return_code",
    [("OperationNotPermitted", "client-error"), ("Server.InternalError", "internal-error")],
)
def test_error_code_and_return_code(aws, code, return_code):
    ec2 = aws.ec2()
    copy, snap = _copy_with_snapshot(ec2, f"sd-code-{return_code}")
    _snapshot_rule(aws, snapshot_ids=[snap], error_code=code, error_message="no")
    out = ec2.deregister_image(ImageId=copy, DeleteAssociatedSnapshots=True)
    assert out["DeleteSnapshotResults"] == [{"SnapshotId": snap, "ReturnCode": return_code}]
    with pytest.raises(ClientError) as e:
        ec2.delete_snapshot(SnapshotId=snap)
    assert (error_code(e.value), e.value.response["Error"]["Message"]) == (code, "no")


def test_rule_applies_to_its_key_only_and_unknown_ids_stay_not_found(aws):
    ec2 = aws.ec2()
    copy, snap = _copy_with_snapshot(ec2, "sd-scope")
    _snapshot_rule(aws, snapshot_ids=[snap, "snap-0123456789abcdef0"])
    with pytest.raises(ClientError) as e:
        ec2.delete_snapshot(SnapshotId="snap-0123456789abcdef0")
    assert error_code(e.value) == "InvalidSnapshot.NotFound"
    other = Clients(aws.emu, aws.akid + "OTHER").ec2()
    out = other.deregister_image(ImageId=copy, DeleteAssociatedSnapshots=True)
    assert out["DeleteSnapshotResults"] == [{"SnapshotId": snap, "ReturnCode": "success"}]


def test_snapshot_rule_validation(emu):
    for spec in ({}, {"snapshot_ids": []}, {"snapshot_ids": "snap-1"}, {"snapshot_ids": ["s"], "bogus": 1}):
        assert emu.control("POST", "snapshot-rules", json=spec).status_code == 400, spec
    assert emu.control("PUT", "snapshot-rules").status_code == 405
