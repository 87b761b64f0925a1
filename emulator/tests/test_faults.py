"""Fault injection by action and rate/count, scoped by access key id."""

import time

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, HTTPClientError

from conftest import error_code, make_source


def test_throttle_count_then_success(aws):
    ec2 = aws.ec2()
    aws.fault(action="DescribeRegions", kind="throttle", count=2)
    for _ in range(2):
        with pytest.raises(ClientError) as e:
            ec2.describe_regions()
        assert error_code(e.value) == "RequestLimitExceeded"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert ec2.describe_regions()["Regions"]
    calls = aws.calls("DescribeRegions")
    assert [c["fault"] for c in calls] == ["throttle", "throttle", None]
    assert [c["status"] for c in calls] == [503, 503, 200]


def test_sdk_retries_through_throttling(aws):
    ec2 = aws.ec2(retries=5)
    aws.fault(action="DescribeRegions", kind="throttle", count=2)
    assert ec2.describe_regions()["Regions"]
    assert len(aws.calls("DescribeRegions")) == 3


@pytest.mark.parametrize(
    "kind,status,code",
    [
        ("http500", 500, "InternalError"),
        ("http503", 503, "Unavailable"),
        ("auth_failure", 401, "AuthFailure"),
        ("expired_token", 400, "ExpiredToken"),
    ],
)
def test_server_errors(aws, kind, status, code):
    ec2 = aws.ec2()
    aws.fault(action="DescribeImages", kind=kind, rate=1.0)
    with pytest.raises(ClientError) as e:
        ec2.describe_images(Owners=["self"])
    assert error_code(e.value) == code
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    aws.emu.control("DELETE", "faults", params={"access_key_id": aws.akid})
    ec2.describe_images(Owners=["self"])


def test_dropped_connection(aws):
    ec2 = aws.ec2()
    aws.fault(action="DescribeRegions", kind="drop", count=1)
    with pytest.raises((ConnectionClosedError, EndpointConnectionError, HTTPClientError)):
        ec2.describe_regions()
    assert ec2.describe_regions()["Regions"]
    assert [c["fault"] for c in aws.calls("DescribeRegions")] == ["drop", None]


def test_latency(aws):
    ec2 = aws.ec2()
    ec2.describe_regions()
    aws.fault(action="DescribeRegions", kind="latency", latency_ms=400, rate=1.0)
    t0 = time.monotonic()
    ec2.describe_regions()
    assert time.monotonic() - t0 >= 0.4


def test_rate_zero_and_other_actions_untouched(aws):
    ec2 = aws.ec2()
    aws.fault(action="DescribeRegions", kind="http500", rate=0.0)
    aws.fault(action="CopyImage", kind="http500", rate=1.0)
    for _ in range(5):
        ec2.describe_regions()


def test_rate_is_roughly_honoured(aws):
    ec2 = aws.ec2()
    aws.fault(action="DescribeRegions", kind="http503", rate=0.5)
    failures = 0
    for _ in range(60):
        try:
            ec2.describe_regions()
        except ClientError:
            failures += 1
    assert 10 <= failures <= 50


def test_faults_are_scoped_by_access_key(aws, emu):
    ec2 = aws.ec2()
    r = emu.control(
        "POST", "faults", json={"action": "*", "kind": "http500", "access_key_id": "AKIDNOTME", "rate": 1}
    )
    assert r.status_code == 201
    try:
        ec2.describe_regions()
        sts = aws.client("sts")
        assert sts.get_caller_identity()["Account"] == "123456789012"
    finally:
        emu.control("DELETE", "faults", params={"access_key_id": "AKIDNOTME"})


def test_sts_throttle(aws):
    sts = aws.client("sts")
    aws.fault(action="GetCallerIdentity", kind="throttle", count=1)
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert error_code(e.value) == "Throttling"
    assert sts.get_caller_identity()["Account"] == "123456789012"


def test_bad_fault_specs_are_rejected(emu):
    assert emu.control("POST", "faults", json={"action": "X", "kind": "nope"}).status_code == 400
    assert emu.control("POST", "faults", json={"kind": "throttle"}).status_code == 400
    assert (
        emu.control("POST", "faults", json={"action": "X", "kind": "throttle", "rate": 2}).status_code == 400
    )
    assert emu.control("POST", "faults", json={"action": "X", "kind": "latency"}).status_code == 400
    assert emu.control("POST", "faults", json={"action": "X", "kind": "drop_after"}).status_code == 201
    emu.control("DELETE", "faults", params={"action": "X"})


def test_drop_after_serves_the_call_but_loses_the_response(aws):
    ec2 = aws.ec2()
    aws.fault(action="CreateVolume", kind="drop_after", count=1)
    with pytest.raises((ConnectionClosedError, EndpointConnectionError, HTTPClientError)):
        ec2.create_volume(
            Size=1,
            AvailabilityZone="us-east-1a",
            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "lost", "Value": aws.akid}]}],
        )
    calls = aws.calls("CreateVolume")
    assert [(c["fault"], c["status"]) for c in calls] == [("drop_after", None)]
    # The volume was made although the caller never heard of it.
    vols = ec2.describe_volumes(Filters=[{"Name": "tag:lost", "Values": [aws.akid]}])["Volumes"]
    assert len(vols) == 1, "drop_after must let the request take effect"


def test_drop_after_on_copy_image_sdk_retry_reuses_the_client_token(aws):
    ec2 = aws.ec2(retries=3)
    src = make_source(ec2, "da-src")
    aws.fault(action="CopyImage", kind="drop_after", count=1)
    image_id = ec2.copy_image(Name="da-copy", SourceImageId=src, SourceRegion="us-east-1")["ImageId"]
    calls = aws.calls("CopyImage")
    assert [c["fault"] for c in calls] == ["drop_after", None]
    tokens = {c["params"]["ClientToken"] for c in calls}
    assert len(tokens) == 1
    named = ec2.describe_images(Filters=[{"Name": "name", "Values": ["da-copy"]}])["Images"]
    assert [i["ImageId"] for i in named] == [image_id]


def test_latency_range_is_validated_and_echoed(emu):
    ok = emu.control(
        "POST",
        "faults",
        json={
            "action": "X",
            "kind": "latency",
            "latency_ms": 10,
            "latency_ms_max": 30,
            "access_key_id": "AKIDRANGE",
        },
    )
    assert ok.status_code == 201
    assert (ok.json()["latency_ms"], ok.json()["latency_ms_max"]) == (10, 30)
    below = {"action": "X", "kind": "latency", "latency_ms": 30, "latency_ms_max": 10}
    assert emu.control("POST", "faults", json=below).status_code == 400
    not_latency = {"action": "X", "kind": "throttle", "latency_ms_max": 10}
    assert emu.control("POST", "faults", json=not_latency).status_code == 400
    emu.control("DELETE", "faults", params={"access_key_id": "AKIDRANGE"})


def test_latency_range_draws_uniformly_between_its_bounds():
    # In-process: the fault store alone decides how long a call waits, so no clock is needed.
    from ec2emu import faults

    akid = "AKIDRANGEDRAWS"
    spec = {"action": "DescribeRegions", "kind": "latency", "latency_ms": 100, "latency_ms_max": 300}
    faults.add({**spec, "access_key_id": akid})
    try:
        waits = [faults.pick("DescribeRegions", akid)[0] for _ in range(400)]
    finally:
        faults.clear(access_key_id=akid)
    assert all(0.1 <= w <= 0.3 for w in waits)
    assert min(waits) < 0.15 and max(waits) > 0.25, "the waits must spread over the range"
    assert faults.pick("DescribeRegions", akid) == (0.0, None, False)


def test_latency_range_delays_the_call_by_at_least_its_lower_bound(aws):
    ec2 = aws.ec2()
    ec2.describe_regions()
    aws.fault(action="DescribeRegions", kind="latency", latency_ms=300, latency_ms_max=600, rate=1.0)
    t0 = time.monotonic()
    ec2.describe_regions()
    assert time.monotonic() - t0 >= 0.3
    assert [c["fault"] for c in aws.calls("DescribeRegions")][-1] == "latency"


def test_unauthorized_and_dry_run_matching(aws):
    ec2 = aws.ec2()
    source = make_source(ec2, "faults-dry-run-source")
    # A fault for real calls leaves dry runs alone, and the other way round.
    aws.fault(action="CopyImage", kind="unauthorized", rate=1.0)
    with pytest.raises(ClientError) as e:
        ec2.copy_image(Name="faults-dry-run", SourceImageId=source, SourceRegion="us-east-1", DryRun=True)
    assert error_code(e.value) == "DryRunOperation"
    with pytest.raises(ClientError) as e:
        ec2.copy_image(Name="faults-dry-run", SourceImageId=source, SourceRegion="us-east-1")
    assert error_code(e.value) == "UnauthorizedOperation"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "Encoded authorization failure message" in e.value.response["Error"]["Message"]
    aws.emu.control("DELETE", "faults", params={"access_key_id": aws.akid})
    aws.fault(action="CopyImage", kind="unauthorized", rate=1.0, dry_run=True)
    with pytest.raises(ClientError) as e:
        ec2.copy_image(Name="faults-dry-run", SourceImageId=source, SourceRegion="us-east-1", DryRun=True)
    assert error_code(e.value) == "UnauthorizedOperation"
    assert [c["fault"] for c in aws.calls("CopyImage")][-1] == "unauthorized"




def test_a_seed_replays_the_same_fault_decisions(aws, emu):
    ec2 = aws.ec2()

    def decisions(seed):
        assert emu.control("POST", "faults-seed", json={"seed": seed}).status_code == 200
        aws.fault(action="DescribeRegions", kind="throttle", rate=0.5)
        fired = []
        for _ in range(40):
            try:
                ec2.describe_regions()
                fired.append(False)
            except ClientError as e:
                assert error_code(e) == "RequestLimitExceeded"
                fired.append(True)
        emu.control("DELETE", "faults", params={"access_key_id": aws.akid})
        return fired

    first = decisions(7)
    assert any(first) and not all(first), first
    assert decisions(7) == first
    assert decisions(8) != first


def test_a_seed_must_be_an_integer(emu):
    for bad in ("x", 1.5, True, None):
        assert emu.control("POST", "faults-seed", json={"seed": bad}).status_code == 400


def test_one_fault_is_deleted_by_its_id(aws, emu):
    keep = aws.fault(action="DescribeRegions", kind="throttle", rate=0.0)
    drop = aws.fault(action="DescribeRegions", kind="throttle", rate=1.0)
    r = emu.control("DELETE", "faults", params={"access_key_id": aws.akid, "id": drop["id"]})
    assert r.json() == {"deleted": 1}
    left = [f["id"] for f in emu.control("GET", "faults").json() if f["access_key_id"] == aws.akid]
    assert left == [keep["id"]]
    assert aws.ec2().describe_regions()["Regions"]
