"""How long the emulator takes to answer one DescribeImages of ten images, with and without the
per-request speed-ups (ec2emu/speedups.py), alternating fresh processes.

    PYTHONPATH=emulator .tools/venv/bin/python emulator/measure_describe.py [ROUNDS]

Each process registers a source, copies it 50 times, then serves the same DescribeImages of ten
copies in-process (no HTTP, no logging) 10 × 20 times and reports the best mean of 20, in ms.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

ONE = r"""
import sys, time
from ec2emu import speedups
speedups.install(per_request=sys.argv[1] == "on")
from ec2emu.server import build_server, signed_post
from werkzeug.test import Client

server, _ = build_server("127.0.0.1", 0)
server.server_close()
client = Client(server.app)

def call(body):
    r = signed_post(client, body + "&Version=2016-11-15", key="AKIDMEASURE")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r.get_data(as_text=True)

def field(xml, name):
    return xml.split("<%s>" % name)[1].split("<")[0]

vol = field(call("Action=CreateVolume&AvailabilityZone=us-east-1a&Size=8"), "volumeId")
snap = field(call("Action=CreateSnapshot&VolumeId=" + vol), "snapshotId")
src = field(call("Action=RegisterImage&Name=measure-src&Architecture=x86_64"
                 "&RootDeviceName=%2Fdev%2Fxvda&VirtualizationType=hvm"
                 "&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda"
                 "&BlockDeviceMapping.1.Ebs.SnapshotId=" + snap), "imageId")
copies = [field(call("Action=CopyImage&Name=measure-%d&SourceImageId=%s&SourceRegion=us-east-1"
                     % (i, src)), "imageId") for i in range(50)]
body = "Action=DescribeImages&IncludeDisabled=true" + "".join(
    "&ImageId.%d=%s" % (n + 1, x) for n, x in enumerate(copies[:10]))
assert call(body).count("<imageId>") == 10
best = float("inf")
for _ in range(10):
    start = time.perf_counter()
    for _ in range(20):
        call(body)
    best = min(best, (time.perf_counter() - start) / 20 * 1000)
print(best)
"""


def once(mode: str) -> float:
    r = subprocess.run([sys.executable, "-c", ONE, mode], cwd=HERE, capture_output=True, text=True,
                       env={"PYTHONPATH": str(HERE), "PATH": "/usr/bin:/bin"}, check=True)
    return float(r.stdout.strip().splitlines()[-1])


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    on, off = [], []
    for _ in range(rounds):
        on.append(once("on"))
        off.append(once("off"))
    print(f"DescribeImages of 10 images: {min(on):.2f} ms with the per-request speed-ups, "
          f"{min(off):.2f} ms without (best of {rounds} processes each; medians "
          f"{statistics.median(on):.2f} and {statistics.median(off):.2f} ms)")


if __name__ == "__main__":
    main()
