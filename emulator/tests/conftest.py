"""Fixtures: one emulator per session (fidelity on), one with --no-fidelity, boto3 clients
with a per-test access key id so tests never see each other's rules, faults or calls."""

from __future__ import annotations

import hashlib
import os
import uuid
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

EMULATOR_DIR = Path(__file__).resolve().parents[1]


class Emulator:
    def __init__(self, *extra: str):
        self.tmp = tempfile.TemporaryDirectory(prefix="ec2emu-test-")
        self.port_file = os.path.join(self.tmp.name, "port")
        env = dict(os.environ)
        env["PYTHONPATH"] = str(EMULATOR_DIR) + os.pathsep + env.get("PYTHONPATH", "")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ec2emu", "--port", "0", "--port-file", self.port_file, *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError(f"ec2emu exited early: {self.proc.stderr.read()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("ec2emu did not start within 30 s")
            time.sleep(0.02)
        self.port = int(Path(self.port_file).read_text().strip())
        self.url = f"http://127.0.0.1:{self.port}"
        self.banner = self.proc.stdout.readline().strip()

    def control(self, method: str, path: str, **kw):
        r = requests.request(method, f"{self.url}/_ec2emu/{path}", timeout=10, **kw)
        return r

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.tmp.cleanup()


@pytest.fixture(scope="session")
def emu():
    e = Emulator()
    yield e
    e.stop()


@pytest.fixture(scope="session")
def stock_emu():
    e = Emulator("--no-fidelity")
    yield e
    e.stop()


def _akid(request) -> str:
    name = re.sub(r"[^A-Za-z0-9]", "", request.node.name).upper()
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:8].upper()
    return "AKIDT" + name[:40] + digest


class Clients:
    def __init__(self, emulator: Emulator, akid: str):
        self.emu = emulator
        self.akid = akid

    def client(
        self, service: str = "ec2", region: str = "us-east-1", retries: int = 1, validate: bool = True
    ):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.emu.url,
            aws_access_key_id=self.akid,
            aws_secret_access_key="test-secret",
            config=Config(
                retries={"total_max_attempts": retries, "mode": "standard"}, parameter_validation=validate
            ),
        )

    def ec2(self, region: str = "us-east-1", retries: int = 1):
        return self.client("ec2", region, retries)

    # --- controls scoped to this test's access key ---
    def copy_rule(self, **rule):
        rule.setdefault("access_key_id", self.akid)
        r = self.emu.control("POST", "copy-rules", json=rule)
        assert r.status_code == 201, r.text
        return r.json()

    def fault(self, **spec):
        spec.setdefault("access_key_id", self.akid)
        r = self.emu.control("POST", "faults", json=spec)
        assert r.status_code == 201, r.text
        return r.json()

    def calls(self, action: str | None = None):
        params = {"access_key_id": self.akid}
        if action:
            params["action"] = action
        r = self.emu.control("GET", "calls", params=params)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def aws(emu, request):
    c = Clients(emu, _akid(request))
    yield c
    emu.control("POST", "reset", json={"access_key_id": c.akid})


@pytest.fixture
def stock_aws(stock_emu, request):
    return Clients(stock_emu, _akid(request))


def make_source(ec2, name: str, size: int = 8, **extra) -> str:
    """A realistic source AMI: volume → snapshot → RegisterImage (as the Go provider's tests do)."""
    vol = ec2.create_volume(Size=size, AvailabilityZone=ec2.meta.region_name + "a")
    snap = ec2.create_snapshot(VolumeId=vol["VolumeId"])
    args = dict(
        Name=f"{name}-{uuid.uuid4().hex[:8]}",  # one account is shared by all tests
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap["SnapshotId"], "VolumeType": "gp3"}}
        ],
        Architecture="x86_64",
        VirtualizationType="hvm",
        EnaSupport=True,
    )
    args.update(extra)
    return ec2.register_image(**args)["ImageId"]


def wait_state(ec2, image_id: str, want: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        img = ec2.describe_images(ImageIds=[image_id])["Images"][0]
        if img["State"] == want:
            return img
        if time.monotonic() > deadline:
            raise AssertionError(f"{image_id} still {img['State']} after {timeout}s")
        time.sleep(0.1)


def error_code(exc) -> str:
    return exc.response["Error"]["Code"]
