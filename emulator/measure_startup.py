"""Measure start-up to first answered EC2 call: launch `python -m ec2emu --port 0 --port-file F`,
poll for the port file, then send a signed DescribeRegions until it answers 200; report the time
from the launch to that answer. Prints each run and the median.

    PYTHONPATH=emulator .tools/venv/bin/python emulator/measure_startup.py [RUNS] [--no-fidelity]
"""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDSTARTUP/20260101/us-east-1/ec2/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0"
)


def _describe_regions(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    body = "Action=DescribeRegions&Version=2016-11-15"
    conn.request(
        "POST",
        "/",
        body=body,
        headers={
            "Authorization": AUTH,
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "X-Amz-Date": "20260101T000000Z",
        },
    )
    status = conn.getresponse().status
    conn.close()
    return status


def measure_once(*extra: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "port")
        env = dict(os.environ)
        env["PYTHONPATH"] = str(HERE) + os.pathsep + env.get("PYTHONPATH", "")
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "ec2emu", "--port", "0", "--port-file", port_file, *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError("ec2emu exited")
                try:
                    port = int(Path(port_file).read_text().strip())
                    break
                except (FileNotFoundError, ValueError):
                    time.sleep(0.005)
            while True:
                try:
                    if _describe_regions(port) == 200:
                        return time.monotonic() - t0
                except OSError:
                    pass
                time.sleep(0.005)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    args = [a for a in sys.argv[1:] if a.startswith("--")]
    runs = int(next((a for a in sys.argv[1:] if not a.startswith("--")), "5"))
    times = []
    for i in range(runs):
        t = measure_once(*args)
        times.append(t)
        print(f"run {i + 1}: {t:.3f} s")
    print(f"median start-up to first answered EC2 call: {statistics.median(times):.3f} s over {runs} runs")


if __name__ == "__main__":
    main()
