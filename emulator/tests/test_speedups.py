"""The per-request speed-ups change no answer: the same calls, served by two fresh processes, one
with them and one with moto's request path as it is, give the same status and the same body
(once request ids, timestamps and random resource ids are numbered by first appearance)."""

import json
import re
import subprocess
import sys
from pathlib import Path

EMULATOR_DIR = Path(__file__).resolve().parents[1]

SERVE = r"""
import json, sys
from ec2emu import speedups
speedups.install(per_request=sys.argv[1] == "on")
from ec2emu.server import build_server, signed_post
from werkzeug.test import Client

server, _ = build_server("127.0.0.1", 0)
server.server_close()
from moto.moto_api._internal import mock_random
mock_random.seed(20261206)
client = Client(server.app)

def call(body, region="us-east-1", service="ec2"):
    version = "2011-06-15" if service == "sts" else "2016-11-15"
    r = signed_post(client, body + "&Version=" + version, service=service, region=region,
                    key="AKIDSPEEDUPS")
    return [r.status_code, r.get_data(as_text=True)]

out = []
vol = call("Action=CreateVolume&AvailabilityZone=us-east-1a&Size=8")
out.append(vol)
vol_id = vol[1].split("<volumeId>")[1].split("<")[0]
snap = call("Action=CreateSnapshot&VolumeId=" + vol_id)
out.append(snap)
snap_id = snap[1].split("<snapshotId>")[1].split("<")[0]
src = call("Action=RegisterImage&Name=speedups-src&Architecture=x86_64&RootDeviceName=%2Fdev%2Fxvda"
           "&VirtualizationType=hvm&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda"
           "&BlockDeviceMapping.1.Ebs.SnapshotId=" + snap_id +
           "&TagSpecification.1.ResourceType=image&TagSpecification.1.Tag.1.Key=Name"
           "&TagSpecification.1.Tag.1.Value=src")
out.append(src)
src_id = src[1].split("<imageId>")[1].split("<")[0]
copies = []
for i in range(3):
    c = call("Action=CopyImage&Name=speedups-copy-%d&SourceImageId=%s&SourceRegion=us-east-1"
             "&Description=copy%%20%d&TagSpecification.1.ResourceType=image"
             "&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=c%d" % (i, src_id, i, i))
    out.append(c)
    copies.append(c[1].split("<imageId>")[1].split("<")[0])
ids = "".join("&ImageId.%d=%s" % (n + 1, x) for n, x in enumerate([src_id] + copies))
for body in (
    "Action=DescribeImages" + ids,
    "Action=DescribeImages&IncludeDisabled=true" + ids,
    "Action=DescribeImages&Owner.1=self",
    "Action=DescribeImages&Filter.1.Name=name&Filter.1.Value.1=speedups-copy-*",
    "Action=DescribeImages&ImageId.1=ami-00000000deadbeef0",
    "Action=DescribeImageAttribute&ImageId=%s&Attribute=description" % copies[0],
    "Action=DescribeImageAttribute&ImageId=%s&Attribute=launchPermission" % copies[0],
    "Action=CreateTags&ResourceId.1=%s&Tag.1.Key=team&Tag.1.Value=images" % copies[1],
    "Action=DescribeTags&Filter.1.Name=resource-id&Filter.1.Value.1=%s" % copies[1],
    "Action=DescribeSnapshots&Owner.1=self",
    "Action=DeregisterImage&ImageId=%s" % copies[2],
    "Action=DescribeImages" + ids,
    "Action=DescribeRegions",
):
    out.append(call(body))
out.append(call("Action=DescribeImages&Owner.1=self", region="eu-west-1"))
out.append(call("Action=GetCallerIdentity", service="sts"))
print(json.dumps(out))
"""

VOLATILE = [
    re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"),  # timestamps
    re.compile(r"(?i)(<requestId>|<RequestId>)[^<]*"),
    re.compile(r"(Task created on )[\d,]+"),  # a copy's snapshot description: epoch milliseconds
]
RESOURCE_ID = re.compile(r"\b(ami|snap|vol|import-task|r|i)-[0-9a-f]{8,17}\b")


def normalise(answers: list) -> list:
    seen: dict[str, str] = {}

    def number(m: re.Match) -> str:
        return seen.setdefault(m.group(0), f"{m.group(1)}-#{len(seen)}")

    out = []
    for status, body in answers:
        for pattern in VOLATILE:
            body = pattern.sub(lambda m: (m.group(1) if m.lastindex else "") + "<volatile>", body)
        out.append([status, RESOURCE_ID.sub(number, body)])
    return out


def serve(mode: str) -> list:
    r = subprocess.run(
        [sys.executable, "-c", SERVE, mode],
        cwd=EMULATOR_DIR, env={"PYTHONPATH": str(EMULATOR_DIR), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return normalise(json.loads(r.stdout.strip().splitlines()[-1]))


def test_answers_are_the_same_with_and_without_the_request_speedups():
    on, off = serve("on"), serve("off")
    assert len(on) == len(off) == 21
    # The calls did what they say (a test comparing two empty answers would prove nothing).
    assert all(status == 200 for status, _ in on[:6])
    assert on[6][1].count("<imageId>") == 4 and "speedups-copy-2" in on[6][1]
    assert on[10][0] == 400 and "InvalidAMIID" in on[10][1]
    for i, (a, b) in enumerate(zip(on, off)):
        assert a == b, f"answer {i} differs"
