"""DescribeImages pages (MaxResults / NextToken): at most MaxResults images per answer, in image-id
order, a NextToken while more remain, no image repeated or skipped when others come and go
between pages; stock moto answers everything at once and ignores both."""

import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, make_source


def _name_filter(prefix):
    return [{"Name": "name", "Values": [f"{prefix}-*"]}]


def _ids(resp):
    return [i["ImageId"] for i in resp["Images"]]


def _pages(ec2, prefix, size):
    """Every page of a paginated listing of the images named PREFIX-*."""
    pages, token = [], None
    while True:
        args = dict(Owners=["self"], Filters=_name_filter(prefix), MaxResults=size)
        if token:
            args["NextToken"] = token
        resp = ec2.describe_images(**args)
        pages.append(_ids(resp))
        token = resp.get("NextToken")
        if not token:
            return pages


def test_max_results_pages_in_id_order(aws):
    ec2 = aws.ec2()
    prefix = f"pg-{uuid.uuid4().hex[:6]}"
    ids = sorted(make_source(ec2, prefix) for _ in range(12))
    pages = _pages(ec2, prefix, 5)
    assert [len(p) for p in pages] == [5, 5, 2]
    assert sum(pages, []) == ids
    # Without MaxResults: everything at once, no token.
    whole = ec2.describe_images(Owners=["self"], Filters=_name_filter(prefix))
    assert sorted(_ids(whole)) == ids
    assert "NextToken" not in whole
    # A page that ends exactly with the last image has no token.
    exact = ec2.describe_images(Owners=["self"], Filters=_name_filter(prefix), MaxResults=12)
    assert len(exact["Images"]) == 12 and "NextToken" not in exact


def test_images_coming_and_going_between_pages(aws):
    ec2 = aws.ec2()
    prefix = f"pg-{uuid.uuid4().hex[:6]}"
    ids = sorted(make_source(ec2, prefix) for _ in range(8))
    first = ec2.describe_images(Owners=["self"], Filters=_name_filter(prefix), MaxResults=5)
    assert _ids(first) == ids[:5]
    # One already listed and one not yet listed are deregistered, one is registered.
    ec2.deregister_image(ImageId=ids[0])
    ec2.deregister_image(ImageId=ids[6])
    added = make_source(ec2, prefix)
    rest = ec2.describe_images(
        Owners=["self"], Filters=_name_filter(prefix), MaxResults=5, NextToken=first["NextToken"]
    )
    expected = sorted([ids[5], ids[7]] + ([added] if added > ids[4] else []))
    assert _ids(rest) == expected


@pytest.mark.parametrize("size", [0, 4, 1001])
def test_page_size_out_of_range_is_refused(aws, size):
    with pytest.raises(ClientError) as e:
        aws.ec2().describe_images(Owners=["self"], MaxResults=size)
    assert error_code(e.value) == "InvalidParameterValue"


def test_a_token_not_issued_is_refused(aws):
    with pytest.raises(ClientError) as e:
        aws.ec2().describe_images(Owners=["self"], MaxResults=5, NextToken="bogus")
    assert error_code(e.value) == "InvalidPaginationToken"


def test_stock_moto_ignores_paging(stock_aws):
    ec2 = stock_aws.ec2()
    prefix = f"pg-{uuid.uuid4().hex[:6]}"
    ids = sorted(make_source(ec2, prefix) for _ in range(7))
    resp = ec2.describe_images(Owners=["self"], Filters=_name_filter(prefix), MaxResults=5)
    assert sorted(_ids(resp)) == ids
    assert "NextToken" not in resp
