"""Disabled AMIs (DisableImage / EnableImage): DescribeImages leaves them out unless
IncludeDisabled=true, however they are asked for; the copy lifecycle does not override the state;
other calls on a disabled image keep working."""

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, make_source, wait_state


def _ids(resp):
    return [i["ImageId"] for i in resp["Images"]]


def _copy(ec2, src, name):
    return ec2.copy_image(Name=name, SourceImageId=src, SourceRegion="us-east-1")["ImageId"]


def _name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_disabled_image_is_hidden_unless_include_disabled(aws):
    ec2 = aws.ec2()
    image_id = make_source(ec2, "dis")
    name = ec2.describe_images(ImageIds=[image_id])["Images"][0]["Name"]
    assert ec2.disable_image(ImageId=image_id)["Return"] is True

    # by ImageIds: simply not listed (no error), as for a deregistered image
    assert ec2.describe_images(ImageIds=[image_id])["Images"] == []
    # by name filter, by owners=self
    assert ec2.describe_images(Filters=[{"Name": "name", "Values": [name]}])["Images"] == []
    assert image_id not in _ids(ec2.describe_images(Owners=["self"]))
    # a state=disabled filter alone does not bring it back either
    assert ec2.describe_images(Filters=[{"Name": "state", "Values": ["disabled"]}], Owners=["self"])[
        "Images"
    ] == []
    assert ec2.describe_images(ImageIds=[image_id], IncludeDisabled=False)["Images"] == []

    for resp in (
        ec2.describe_images(ImageIds=[image_id], IncludeDisabled=True),
        ec2.describe_images(Filters=[{"Name": "name", "Values": [name]}], IncludeDisabled=True),
    ):
        assert [(i["ImageId"], i["State"]) for i in resp["Images"]] == [(image_id, "disabled")]
    assert image_id in _ids(ec2.describe_images(Owners=["self"], IncludeDisabled=True))

    assert ec2.enable_image(ImageId=image_id)["Return"] is True
    assert ec2.describe_images(ImageIds=[image_id])["Images"][0]["State"] == "available"
    assert _ids(ec2.describe_images(Filters=[{"Name": "name", "Values": [name]}])) == [image_id]


def test_disabled_image_among_others_by_image_ids(aws):
    ec2 = aws.ec2()
    a = make_source(ec2, "dis-a")
    b = make_source(ec2, "dis-b")
    ec2.disable_image(ImageId=a)
    assert _ids(ec2.describe_images(ImageIds=[a, b])) == [b]
    assert sorted(_ids(ec2.describe_images(ImageIds=[a, b], IncludeDisabled=True))) == sorted([a, b])


def test_disable_removes_launch_permissions_and_enable_does_not_restore_them(aws):
    ec2 = aws.ec2()
    image_id = make_source(ec2, "dis-lp")
    ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": "111122223333"}]})
    ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}]})
    ec2.disable_image(ImageId=image_id)
    attr = ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")
    assert attr["LaunchPermissions"] == []
    ec2.enable_image(ImageId=image_id)
    img = ec2.describe_images(ImageIds=[image_id])["Images"][0]
    assert img["Public"] is False
    assert ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")["LaunchPermissions"] == []


def test_lifecycle_does_not_flip_a_disabled_copy(aws, emu):
    ec2 = aws.ec2()
    src = make_source(ec2, "dis-lc-src")
    aws.copy_rule(duration_seconds=0.3)
    copy = _copy(ec2, src, _name("dis-lc"))
    wait_state(ec2, copy, "available", timeout=5)
    ec2.disable_image(ImageId=copy)
    time.sleep(0.4)
    img = ec2.describe_images(ImageIds=[copy], IncludeDisabled=True)["Images"][0]
    assert img["State"] == "disabled" and "StateReason" not in img
    # an after-the-fact rule that would make the copy pending, then failed, does not either
    aws.copy_rule(image_id=copy, duration_seconds=3600)
    assert ec2.describe_images(ImageIds=[copy], IncludeDisabled=True)["Images"][0]["State"] == "disabled"
    aws.copy_rule(image_id=copy, duration_seconds=0, fail_message="boom")
    img = ec2.describe_images(ImageIds=[copy], IncludeDisabled=True)["Images"][0]
    assert img["State"] == "disabled" and "StateReason" not in img
    assert emu.control("DELETE", "copy-rules", params={"access_key_id": aws.akid}).status_code == 200
    ec2.enable_image(ImageId=copy)
    assert ec2.describe_images(ImageIds=[copy])["Images"][0]["State"] == "available"


def test_disable_of_a_pending_copy_is_refused(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "dis-pend-src")
    aws.copy_rule(duration_seconds=30)
    copy = _copy(ec2, src, _name("dis-pend"))
    with pytest.raises(ClientError) as e:
        ec2.disable_image(ImageId=copy)
    assert error_code(e.value) == "IncorrectState"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert ec2.describe_images(ImageIds=[copy])["Images"][0]["State"] == "pending"
    # EnableImage of an image that is not disabled changes nothing
    assert ec2.enable_image(ImageId=copy)["Return"] is True
    assert ec2.describe_images(ImageIds=[copy])["Images"][0]["State"] == "pending"


def test_disable_twice_and_unknown_images(aws):
    ec2 = aws.ec2()
    image_id = make_source(ec2, "dis-twice")
    ec2.disable_image(ImageId=image_id)
    assert ec2.disable_image(ImageId=image_id)["Return"] is True
    assert ec2.describe_images(ImageIds=[image_id], IncludeDisabled=True)["Images"][0]["State"] == "disabled"
    with pytest.raises(ClientError) as e:
        ec2.disable_image(ImageId="ami-0123456789abcdef0")
    assert error_code(e.value) == "InvalidAMIID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.enable_image(ImageId="ami-0123456789abcdef0")
    assert error_code(e.value) == "InvalidAMIID.NotFound"


def test_other_calls_on_a_disabled_image_keep_working(aws):
    ec2 = aws.ec2()
    image_id = make_source(ec2, "dis-ops", Description="d0")
    ec2.disable_image(ImageId=image_id)
    attr = ec2.describe_image_attribute(ImageId=image_id, Attribute="description")
    assert attr["Description"]["Value"] == "d0"
    ec2.create_tags(Resources=[image_id], Tags=[{"Key": "k", "Value": "v"}])
    img = ec2.describe_images(ImageIds=[image_id], IncludeDisabled=True)["Images"][0]
    assert {t["Key"]: t["Value"] for t in img["Tags"]} == {"k": "v"}
    # a disabled image cannot be the source of a copy
    with pytest.raises(ClientError) as e:
        _copy(ec2, image_id, _name("dis-ops-copy"))
    assert error_code(e.value) == "IncorrectState"
    # the owner can still deregister it
    snap = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    out = ec2.deregister_image(ImageId=image_id, DeleteAssociatedSnapshots=True)
    assert out["DeleteSnapshotResults"] == [{"SnapshotId": snap, "ReturnCode": "success"}]
    assert ec2.describe_images(ImageIds=[image_id], IncludeDisabled=True)["Images"] == []
    with pytest.raises(ClientError) as e:
        ec2.enable_image(ImageId=image_id)
    assert error_code(e.value) == "InvalidAMIID.Unavailable"
