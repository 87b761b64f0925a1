"""The call log: action, region, access key id and parameters of every call, filterable and resettable."""

from conftest import make_source


def test_calls_are_recorded_with_scope_and_params(aws):
    ec2 = aws.ec2("eu-west-1")
    ec2.describe_regions(RegionNames=["eu-west-1"])
    aws.client("sts", "eu-west-1").get_caller_identity()
    calls = aws.calls()
    assert [c["action"] for c in calls] == ["DescribeRegions", "GetCallerIdentity"]
    first = calls[0]
    assert first["region"] == "eu-west-1" and first["service"] == "ec2"
    assert first["access_key_id"] == aws.akid
    assert first["params"] == {"RegionName.1": "eu-west-1"}
    assert first["status"] == 200 and isinstance(first["time"], float)
    assert calls[1]["service"] == "sts"


def test_filter_by_action_and_delete_scoped(aws, emu):
    ec2 = aws.ec2()
    src = make_source(ec2, "log-src")
    ec2.copy_image(Name="log-copy", SourceImageId=src, SourceRegion="us-east-1", ClientToken="tok-log")
    copies = aws.calls("CopyImage")
    assert len(copies) == 1
    p = copies[0]["params"]
    assert p["Name"] == "log-copy" and p["SourceImageId"] == src and p["ClientToken"] == "tok-log"
    # other keys' calls are not returned and not deleted
    other = emu.control("GET", "calls", params={"access_key_id": "AKIDNOBODY"}).json()
    assert other == []
    r = emu.control("DELETE", "calls", params={"access_key_id": aws.akid})
    assert r.status_code == 200 and r.json()["deleted"] >= 4
    assert aws.calls() == []


def test_json_protocol_calls_are_logged_with_their_target(aws):
    aws.client("kms").create_key(Description="logged")
    call = aws.calls("CreateKey")[0]
    assert call["service"] == "kms" and call["params"]["Description"] == "logged"
