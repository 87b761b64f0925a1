"""EnableImageDeprecation / DisableImageDeprecation and DescribeImages DeprecationTime."""

from datetime import datetime, timedelta, UTC

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, make_source


def test_enable_and_disable_deprecation(aws):
    ec2 = aws.ec2()
    image_id = make_source(ec2, "dep")
    assert "DeprecationTime" not in ec2.describe_images(ImageIds=[image_id])["Images"][0]
    when = (datetime.now(UTC) + timedelta(days=30)).replace(
        hour=10, minute=20, second=40, microsecond=0
    )
    assert ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=when)["Return"] is True
    got = ec2.describe_images(ImageIds=[image_id])["Images"][0]["DeprecationTime"]
    assert got == when.replace(minute=21, second=0).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )  # rounded to the nearest minute
    assert ec2.disable_image_deprecation(ImageId=image_id)["Return"] is True
    assert "DeprecationTime" not in ec2.describe_images(ImageIds=[image_id])["Images"][0]


def test_deprecation_errors(aws):
    ec2 = aws.ec2()
    image_id = make_source(ec2, "dep-err")
    with pytest.raises(ClientError) as e:
        ec2.enable_image_deprecation(
            ImageId=image_id, DeprecateAt=datetime.now(UTC) - timedelta(days=1)
        )
    assert error_code(e.value) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.enable_image_deprecation(
            ImageId="ami-0123456789abcdef0", DeprecateAt=datetime.now(UTC) + timedelta(days=1)
        )
    assert error_code(e.value) == "InvalidAMIID.NotFound"
