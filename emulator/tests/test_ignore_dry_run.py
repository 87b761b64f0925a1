"""Fault kind ignore_dry_run: a DryRun=true request is served for real, as some backends do."""

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, HTTPClientError

from conftest import error_code, make_source


def _copy(ec2, source, name, dry_run=True):
    return ec2.copy_image(Name=name, SourceImageId=source, SourceRegion="us-east-1", DryRun=dry_run)


def _named(ec2, name):
    return ec2.describe_images(Filters=[{"Name": "name", "Values": [name]}])["Images"]


def test_dry_run_copy_is_served_for_real(aws):
    ec2 = aws.ec2()
    source = make_source(ec2, "idr-src")
    name = f"idr-copy-{aws.akid[-8:]}"
    fault = aws.fault(action="CopyImage", kind="ignore_dry_run", count=1)
    assert fault["dry_run"] is True  # it fires on dry runs only
    resp = _copy(ec2, source, name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [i["ImageId"] for i in _named(ec2, name)] == [resp["ImageId"]]
    call = aws.calls("CopyImage")[-1]
    assert call["fault"] == "ignore_dry_run" and call["status"] == 200
    assert call["params"]["DryRun"] == "true"  # logged as sent
    # The fault is spent: the next dry run is a dry run again.
    with pytest.raises(ClientError) as e:
        _copy(ec2, source, name + "-2")
    assert error_code(e.value) == "DryRunOperation"
    assert _named(ec2, name + "-2") == []


def test_other_calls_are_untouched(aws):
    ec2 = aws.ec2()
    source = make_source(ec2, "idr-real-src")
    aws.fault(action="CopyImage", kind="ignore_dry_run", count=1)
    aws.fault(action="DescribeRegions", kind="ignore_dry_run")
    image_id = _copy(ec2, source, f"idr-real-{aws.akid[-8:]}", dry_run=False)["ImageId"]
    assert image_id.startswith("ami-")
    with pytest.raises(ClientError) as e:  # another action's fault does not serve this dry run
        ec2.deregister_image(ImageId=image_id, DryRun=True)
    assert error_code(e.value) == "DryRunOperation"
    copy_fault = [f for f in aws.emu.control("GET", "faults").json() if f["access_key_id"] == aws.akid][0]
    assert copy_fault["count"] == 1 and copy_fault["fired"] == 0  # a real call does not use it up
    assert aws.calls("CopyImage")[-1]["fault"] is None


def test_scoped_by_access_key_id(aws):
    ec2 = aws.ec2()
    source = make_source(ec2, "idr-key-src")
    aws.fault(action="CopyImage", kind="ignore_dry_run", access_key_id="AKIDSOMEONEELSE0001")
    try:
        with pytest.raises(ClientError) as e:
            _copy(ec2, source, f"idr-key-{aws.akid[-8:]}")
        assert error_code(e.value) == "DryRunOperation"
    finally:
        aws.emu.control("DELETE", "faults", params={"access_key_id": "AKIDSOMEONEELSE0001"})


def test_rate(aws):
    ec2 = aws.ec2()
    source = make_source(ec2, "idr-rate-src")
    fault = aws.fault(action="CopyImage", kind="ignore_dry_run", rate=0.0)
    with pytest.raises(ClientError) as e:
        _copy(ec2, source, f"idr-rate0-{aws.akid[-8:]}")
    assert error_code(e.value) == "DryRunOperation"
    aws.emu.control("DELETE", "faults", params={"id": fault["id"]})
    aws.fault(action="*", kind="ignore_dry_run", rate=1.0)
    assert _copy(ec2, source, f"idr-rate1-{aws.akid[-8:]}")["ImageId"].startswith("ami-")


def test_combines_with_a_lost_response(aws):
    """With drop_after on the dry run too: the copy is really made and its answer is lost."""
    ec2 = aws.ec2()
    source = make_source(ec2, "idr-lost-src")
    name = f"idr-lost-{aws.akid[-8:]}"
    aws.fault(action="CopyImage", kind="ignore_dry_run", count=1)
    aws.fault(action="CopyImage", kind="drop_after", count=1, dry_run=True)
    with pytest.raises((ConnectionClosedError, EndpointConnectionError, HTTPClientError)):
        _copy(ec2, source, name)
    assert len(_named(ec2, name)) == 1
    assert aws.calls("CopyImage")[-1]["fault"] == "drop_after"  # the failure kind is what the log names


def test_not_for_real_calls(aws):
    r = aws.emu.control(
        "POST", "faults", json={"action": "CopyImage", "kind": "ignore_dry_run", "dry_run": False}
    )
    assert r.status_code == 400
    assert "dry run" in r.json()["error"]


def test_pick_in_process():
    from ec2emu import faults

    akid = "AKIDIGNOREDRYRUNPICK"
    faults.add({"action": "CopyImage", "kind": "ignore_dry_run", "access_key_id": akid, "count": 1})
    try:
        assert faults.pick("CopyImage", akid, dry_run=False) == (0.0, None, False)
        assert faults.pick("CopyImage", akid, dry_run=True) == (0.0, None, True)
        assert faults.pick("CopyImage", akid, dry_run=True) == (0.0, None, False)  # spent
    finally:
        faults.clear(access_key_id=akid)


def test_stock_lane_too(stock_aws):
    """Faults are the emulator's, not the fidelity layer's: the stock lane has the kind too."""
    ec2 = stock_aws.ec2()
    stock_aws.fault(action="DescribeRegions", kind="ignore_dry_run", count=1)
    try:
        assert ec2.describe_regions(DryRun=True)["Regions"]
        with pytest.raises(ClientError) as e:
            ec2.describe_regions(DryRun=True)
        assert error_code(e.value) == "DryRunOperation"
    finally:
        stock_aws.emu.control("POST", "reset", json={"access_key_id": stock_aws.akid})
