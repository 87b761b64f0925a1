"""RegisterImage honours its block device mappings and attributes."""

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, make_source


def test_register_image_mappings_and_attributes(aws):
    ec2 = aws.ec2()
    vol = ec2.create_volume(Size=12, AvailabilityZone="us-east-1a")
    snap = ec2.create_snapshot(VolumeId=vol["VolumeId"])["SnapshotId"]
    image_id = ec2.register_image(
        Name="reg-full",
        Description="registered",
        RootDeviceName="/dev/sda1",
        BlockDeviceMappings=[
            {
                "DeviceName": "/dev/sda1",
                "Ebs": {
                    "SnapshotId": snap,
                    "VolumeSize": 16,
                    "VolumeType": "gp3",
                    "DeleteOnTermination": False,
                },
            },
            {"DeviceName": "/dev/sdc", "VirtualName": "ephemeral1"},
        ],
        Architecture="arm64",
        VirtualizationType="hvm",
        EnaSupport=True,
        SriovNetSupport="simple",
        BootMode="uefi-preferred",
        TpmSupport="v2.0",
        ImdsSupport="v2.0",
    )["ImageId"]
    img = ec2.describe_images(ImageIds=[image_id])["Images"][0]
    assert img["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/sda1",
            "Ebs": {
                "DeleteOnTermination": False,
                "SnapshotId": snap,
                "VolumeSize": 16,
                "VolumeType": "gp3",
                "Encrypted": False,
            },
        },
        {"DeviceName": "/dev/sdc", "VirtualName": "ephemeral1"},
    ]
    assert (
        img["Architecture"],
        img["EnaSupport"],
        img["SriovNetSupport"],
        img["BootMode"],
        img["TpmSupport"],
        img["ImdsSupport"],
    ) == ("arm64", True, "simple", "uefi-preferred", "v2.0", "v2.0")
    assert (img["RootDeviceName"], img["RootDeviceType"], img["VirtualizationType"]) == (
        "/dev/sda1",
        "ebs",
        "hvm",
    )
    assert img["Description"] == "registered" and img["State"] == "available"
    # the snapshot is in use by the image
    with pytest.raises(ClientError) as e:
        ec2.delete_snapshot(SnapshotId=snap)
    assert error_code(e.value) == "InvalidSnapshot.InUse"


def test_register_image_defaults_and_errors(aws):
    ec2 = aws.ec2()
    img = ec2.describe_images(ImageIds=[make_source(ec2, "reg-def")])["Images"][0]
    assert img["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 8  # the snapshot's size
    assert "SriovNetSupport" not in img and "TpmSupport" not in img
    with pytest.raises(ClientError) as e:
        ec2.register_image(
            Name="reg-bad",
            RootDeviceName="/dev/xvda",
            BlockDeviceMappings=[
                {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}
            ],
        )
    assert error_code(e.value) == "InvalidSnapshot.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.register_image(
            Name=img["Name"],
            RootDeviceName="/dev/xvda",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
        )
    assert error_code(e.value) == "InvalidAMIName.Duplicate"


def test_register_image_with_encrypted_snapshot(aws):
    ec2 = aws.ec2()
    vol = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a", Encrypted=True)
    snap = ec2.create_snapshot(VolumeId=vol["VolumeId"])["SnapshotId"]
    image_id = ec2.register_image(
        Name="reg-enc",
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap}}],
    )["ImageId"]
    ebs = ec2.describe_images(ImageIds=[image_id])["Images"][0]["BlockDeviceMappings"][0]["Ebs"]
    assert ebs["Encrypted"] is True and ebs["KmsKeyId"]


def test_create_image_with_snapshot_tags(aws):
    ec2 = aws.ec2("eu-west-3")
    src = ec2.register_image(Name=f"ci-src-{aws.akid[-8:]}")["ImageId"]
    inst = ec2.run_instances(ImageId=src, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]
    image_id = ec2.create_image(
        InstanceId=inst["InstanceId"],
        Name=f"ci-img-{aws.akid[-8:]}",
        TagSpecifications=[
            {"ResourceType": "image", "Tags": [{"Key": "i", "Value": "1"}]},
            {"ResourceType": "snapshot", "Tags": [{"Key": "s", "Value": "2"}]},
        ],
    )["ImageId"]
    img = ec2.describe_images(ImageIds=[image_id])["Images"][0]
    assert {t["Key"]: t["Value"] for t in img["Tags"]} == {"i": "1"}
    snap = ec2.describe_snapshots(SnapshotIds=[img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]])[
        "Snapshots"
    ][0]
    assert {t["Key"]: t["Value"] for t in snap["Tags"]} == {"s": "2"}
