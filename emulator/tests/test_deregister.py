"""DeregisterImage with and without DeleteAssociatedSnapshots."""

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, make_source


def test_deregister_with_delete_associated_snapshots(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "dr-src")
    copy = ec2.copy_image(Name="dr-copy", SourceImageId=src, SourceRegion="us-east-1")["ImageId"]
    snap = ec2.describe_images(ImageIds=[copy])["Images"][0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    out = ec2.deregister_image(ImageId=copy, DeleteAssociatedSnapshots=True)
    assert out["Return"] is True
    assert out["DeleteSnapshotResults"] == [{"SnapshotId": snap, "ReturnCode": "success"}]
    with pytest.raises(ClientError) as e:
        ec2.describe_snapshots(SnapshotIds=[snap])
    assert error_code(e.value) == "InvalidSnapshot.NotFound"
    assert ec2.describe_images(ImageIds=[copy])["Images"] == []
    with pytest.raises(ClientError) as e:
        ec2.deregister_image(ImageId=copy)
    assert error_code(e.value) == "InvalidAMIID.Unavailable"


def test_deregister_keeps_snapshots_by_default(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "dk-src")
    copy = ec2.copy_image(Name="dk-copy", SourceImageId=src, SourceRegion="us-east-1")["ImageId"]
    snap = ec2.describe_images(ImageIds=[copy])["Images"][0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    with pytest.raises(ClientError) as e:
        ec2.delete_snapshot(SnapshotId=snap)
    assert error_code(e.value) == "InvalidSnapshot.InUse"
    out = ec2.deregister_image(ImageId=copy)
    assert "DeleteSnapshotResults" not in out
    assert ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["SnapshotId"] == snap
    ec2.delete_snapshot(SnapshotId=snap)
    with pytest.raises(ClientError) as e:
        ec2.deregister_image(ImageId="ami-0123456789abcdef0")
    assert error_code(e.value) == "InvalidAMIID.NotFound"
