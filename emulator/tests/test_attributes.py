"""ModifyImageAttribute description; DescribeImageAttribute for the attributes the resource reads."""

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, make_source


def test_modify_description(aws):
    ec2 = aws.ec2()
    image_id = make_source(ec2, "attr-desc", Description="one")
    ec2.modify_image_attribute(ImageId=image_id, Description={"Value": "two"})
    assert ec2.describe_images(ImageIds=[image_id])["Images"][0]["Description"] == "two"
    assert (
        ec2.describe_image_attribute(ImageId=image_id, Attribute="description")["Description"]["Value"]
        == "two"
    )
    ec2.modify_image_attribute(ImageId=image_id, Attribute="description", Value="three")
    assert ec2.describe_images(ImageIds=[image_id])["Images"][0]["Description"] == "three"


def test_modify_launch_permission_still_works(aws):
    ec2 = aws.ec2()
    image_id = make_source(ec2, "attr-lp")
    ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": "111122223333"}]})
    lp = ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")["LaunchPermissions"]
    assert lp == [{"UserId": "111122223333"}]


def test_describe_image_attribute_values(aws):
    ec2 = aws.ec2()
    image_id = make_source(
        ec2,
        "attr-all",
        BootMode="uefi",
        TpmSupport="v2.0",
        ImdsSupport="v2.0",
        SriovNetSupport="simple",
        UefiData="AAAA",
    )
    get = lambda a: ec2.describe_image_attribute(ImageId=image_id, Attribute=a)  # noqa: E731
    assert get("bootMode")["BootMode"]["Value"] == "uefi"
    assert get("tpmSupport")["TpmSupport"]["Value"] == "v2.0"
    assert get("imdsSupport")["ImdsSupport"]["Value"] == "v2.0"
    assert get("sriovNetSupport")["SriovNetSupport"]["Value"] == "simple"
    assert get("uefiData")["UefiData"]["Value"] == "AAAA"
    assert get("lastLaunchedTime")["ImageId"] == image_id
    assert "Value" not in get("lastLaunchedTime").get("LastLaunchedTime", {})
    assert get("deregistrationProtection")["DeregistrationProtection"]["Value"] == "disabled"
    bdm = get("blockDeviceMapping")["BlockDeviceMappings"]
    assert bdm[0]["DeviceName"] == "/dev/xvda" and bdm[0]["Ebs"]["VolumeSize"] == 8
    assert get("kernel")["ImageId"] == image_id


def test_describe_image_attribute_errors(aws):
    ec2 = aws.ec2()
    with pytest.raises(ClientError) as e:
        ec2.describe_image_attribute(ImageId="ami-0123456789abcdef0", Attribute="description")
    assert error_code(e.value) == "InvalidAMIID.NotFound"
    image_id = make_source(ec2, "attr-err")
    ec2.deregister_image(ImageId=image_id)
    with pytest.raises(ClientError) as e:
        ec2.modify_image_attribute(ImageId=image_id, Description={"Value": "x"})
    assert error_code(e.value) in ("InvalidAMIID.Unavailable", "InvalidAMIID.NotFound")


def test_modify_imds_support(aws):
    ec2 = aws.ec2()
    image_id = make_source(ec2, "attr-imds")
    assert "ImdsSupport" not in ec2.describe_images(ImageIds=[image_id])["Images"][0]
    ec2.modify_image_attribute(ImageId=image_id, ImdsSupport={"Value": "v2.0"})
    assert ec2.describe_images(ImageIds=[image_id])["Images"][0]["ImdsSupport"] == "v2.0"
