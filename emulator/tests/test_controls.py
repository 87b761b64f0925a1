"""The control endpoint itself: health, copy-rule validation, listing, reset."""


def test_health_and_unknown_paths(emu):
    r = emu.control("GET", "health")
    assert r.json() == {"ok": True, "fidelity": True}
    assert emu.control("GET", "nope").status_code == 404
    assert emu.control("PUT", "calls").status_code == 405
    assert emu.banner == f"ec2emu listening on http://127.0.0.1:{emu.port}"


def test_copy_rule_validation_and_listing(aws, emu):
    assert (
        emu.control(
            "POST", "copy-rules", json={"name": "a", "name_prefix": "b", "duration_seconds": 1}
        ).status_code
        == 400
    )
    assert emu.control("POST", "copy-rules", json={"duration_seconds": -1}).status_code == 400
    assert emu.control("POST", "copy-rules", json={"name": "a"}).status_code == 400
    assert emu.control("POST", "copy-rules", json={"bogus": 1, "duration_seconds": 1}).status_code == 400
    assert emu.control("POST", "copy-rules", data="{not json").status_code == 400
    rule = aws.copy_rule(name_prefix="ctl-", duration_seconds=2.5, fail_message="x")
    assert rule["access_key_id"] == aws.akid and rule["duration_seconds"] == 2.5 and rule["id"]
    listed = emu.control("GET", "copy-rules", params={"access_key_id": aws.akid}).json()
    assert listed == [rule]
    assert emu.control("DELETE", "copy-rules", params={"access_key_id": aws.akid}).json() == {"deleted": 1}


def test_reset_scoped_to_access_key(aws, emu):
    aws.copy_rule(duration_seconds=5)
    aws.fault(action="DescribeRegions", kind="latency", latency_ms=1, rate=1)
    aws.ec2().describe_regions()
    r = emu.control("POST", "reset", json={"access_key_id": aws.akid})
    assert r.status_code == 200
    assert aws.calls() == []
    assert [f for f in emu.control("GET", "faults").json() if f["access_key_id"] == aws.akid] == []
    assert emu.control("GET", "copy-rules", params={"access_key_id": aws.akid}).json() == []
