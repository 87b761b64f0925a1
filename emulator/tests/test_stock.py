"""With the layer off (--no-fidelity), stock moto still serves every call the provider makes that
moto supports, through the same middleware (call log, controls)."""

import pytest
from botocore.exceptions import ClientError

from conftest import error_code


def test_stock_moto_serves_the_provider_calls(stock_aws, stock_emu):
    assert stock_emu.control("GET", "health").json() == {"ok": True, "fidelity": False}
    ec2 = stock_aws.ec2()
    sts = stock_aws.client("sts")
    assert sts.get_caller_identity()["Account"] == "123456789012"
    assert len(ec2.describe_regions()["Regions"]) > 10
    src = ec2.register_image(Name="stock-src", Description="src")["ImageId"]
    copy = ec2.copy_image(
        Name="stock-copy",
        SourceImageId=src,
        SourceRegion="us-east-1",
        Description="c",
        ClientToken="stock-token",
    )["ImageId"]
    img = ec2.describe_images(ImageIds=[copy])["Images"][0]
    assert img["State"] == "available" and img["Name"] == "stock-copy"  # stock: no pending state
    ec2.create_tags(Resources=[copy], Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ec2.delete_tags(Resources=[copy], Tags=[{"Key": "b"}])
    img = ec2.describe_images(ImageIds=[copy])["Images"][0]
    assert {t["Key"]: t["Value"] for t in img["Tags"]} == {"a": "1"}
    snap = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    assert ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["State"] == "completed"
    ec2.modify_image_attribute(ImageId=copy, LaunchPermission={"Add": [{"UserId": "111122223333"}]})
    with pytest.raises(ClientError) as e:
        ec2.delete_snapshot(SnapshotId=snap)
    assert error_code(e.value) == "InvalidSnapshot.InUse"
    ec2.deregister_image(ImageId=copy)
    assert ec2.describe_images(ImageIds=[copy])["Images"] == []
    ec2.delete_snapshot(SnapshotId=snap)
    with pytest.raises(ClientError) as e:
        ec2.describe_snapshots(SnapshotIds=[snap])
    assert error_code(e.value) == "InvalidSnapshot.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_images(ImageIds=["ami-0123456789abcdef0"])
    assert error_code(e.value) == "InvalidAMIID.NotFound"
    actions = [c["action"] for c in stock_aws.calls()]
    for a in (
        "GetCallerIdentity",
        "DescribeRegions",
        "CopyImage",
        "DescribeImages",
        "CreateTags",
        "DeleteTags",
        "DeregisterImage",
        "DeleteSnapshot",
        "DescribeSnapshots",
    ):
        assert a in actions


def test_stock_keeps_moto_gaps(stock_aws):
    """The layer is really off: moto's own behaviour (same-token copies are new images)."""
    ec2 = stock_aws.ec2()
    src = ec2.register_image(Name="stock-gap-src")["ImageId"]
    a = ec2.copy_image(Name="gap-a", SourceImageId=src, SourceRegion="us-east-1", ClientToken="t")["ImageId"]
    b = ec2.copy_image(Name="gap-b", SourceImageId=src, SourceRegion="us-east-1", ClientToken="t")["ImageId"]
    assert a != b


def test_stock_faults_and_log_still_work(stock_aws):
    ec2 = stock_aws.ec2()
    stock_aws.fault(action="DescribeRegions", kind="throttle", count=1)
    with pytest.raises(ClientError) as e:
        ec2.describe_regions()
    assert error_code(e.value) == "RequestLimitExceeded"
    ec2.describe_regions()


def test_instances_and_offerings_still_work(stock_aws, aws):
    """The start-up speed-ups (lazy instance-type offerings) keep RunInstances/CreateImage working,
    in both modes; with the layer on, a CreateImage AMI can be copied."""
    for clients in (stock_aws, aws):
        ec2 = clients.ec2("eu-central-1")
        offers = ec2.describe_instance_type_offerings(LocationType="region")["InstanceTypeOfferings"]
        assert any(o["InstanceType"] == "t3.micro" for o in offers)
        vpc_image = ec2.register_image(Name=f"run-src-{clients.akid[-8:]}")["ImageId"]
        inst = ec2.run_instances(ImageId=vpc_image, MinCount=1, MaxCount=1, InstanceType="t3.micro")[
            "Instances"
        ][0]
        made = ec2.create_image(InstanceId=inst["InstanceId"], Name=f"from-instance-{clients.akid[-8:]}")[
            "ImageId"
        ]
        copy = ec2.copy_image(
            Name=f"copy-of-instance-image-{clients.akid[-8:]}",
            SourceImageId=made,
            SourceRegion="eu-central-1",
        )["ImageId"]
        img = ec2.describe_images(ImageIds=[copy])["Images"][0]
        assert img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]


def test_stock_logs_calls_moto_fails_on_with_their_500(stock_aws):
    """Stock moto raises on what it does not implement (DescribeImageAttribute uefiData); the
    server answers HTTP 500, and the call log must say so, or a client's retries of it could not
    be told from dropped connections."""
    ec2 = stock_aws.ec2()
    img = ec2.register_image(Name="stock-uefi-500")["ImageId"]
    with pytest.raises(Exception):
        ec2.describe_image_attribute(ImageId=img, Attribute="uefiData")
    logged = stock_aws.calls("DescribeImageAttribute")
    assert [c["status"] for c in logged] == [500]
    assert logged[0]["fault"] is None


def test_stock_lists_disabled_images_regardless(stock_aws):
    """Stock moto: DisableImage sets State disabled, but DescribeImages lists the image without
    IncludeDisabled (EC2 leaves it out); the layer fixes this (test_disabled.py)."""
    ec2 = stock_aws.ec2()
    image_id = ec2.register_image(Name="stock-disabled")["ImageId"]
    assert ec2.disable_image(ImageId=image_id)["Return"] is True
    imgs = ec2.describe_images(ImageIds=[image_id])["Images"]
    assert [(i["ImageId"], i["State"]) for i in imgs] == [(image_id, "disabled")]
    assert image_id in [i["ImageId"] for i in ec2.describe_images(Owners=["self"])["Images"]]
    ec2.enable_image(ImageId=image_id)
    assert ec2.describe_images(ImageIds=[image_id])["Images"][0]["State"] == "available"
