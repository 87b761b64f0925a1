"""Enable/DisableImageDeregistrationProtection and its effect on DeregisterImage."""

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, make_source


def _prot(ec2, image_id):
    return ec2.describe_images(ImageIds=[image_id])["Images"][0]["DeregistrationProtection"]


def test_protection_without_cooldown(aws):
    ec2 = aws.ec2()
    image_id = make_source(ec2, "prot")
    assert _prot(ec2, image_id) == "disabled"
    assert ec2.enable_image_deregistration_protection(ImageId=image_id)["Return"] == "true"
    assert _prot(ec2, image_id) == "enabled-without-cooldown"
    with pytest.raises(ClientError) as e:
        ec2.deregister_image(ImageId=image_id)
    assert error_code(e.value) == "OperationNotPermitted"
    assert ec2.disable_image_deregistration_protection(ImageId=image_id)["Return"] == "true"
    assert _prot(ec2, image_id) == "disabled"
    ec2.deregister_image(ImageId=image_id)


def test_protection_with_cooldown(aws):
    ec2 = aws.ec2()
    image_id = make_source(ec2, "protc")
    ec2.enable_image_deregistration_protection(ImageId=image_id, WithCooldown=True)
    assert _prot(ec2, image_id) == "enabled-with-cooldown"
    ec2.disable_image_deregistration_protection(ImageId=image_id)
    assert _prot(ec2, image_id).startswith("disabled-until ")
    with pytest.raises(ClientError) as e:
        ec2.deregister_image(ImageId=image_id)
    assert error_code(e.value) == "OperationNotPermitted"
    assert ec2.describe_image_attribute(ImageId=image_id, Attribute="deregistrationProtection")[
        "DeregistrationProtection"
    ]["Value"].startswith("disabled-until ")
