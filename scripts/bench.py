"""`make bench`: measures the release provider side by side in one run.

- binary size (stripped release build);
- launch to handshake line, median over 30 launches (the go-plugin handshake Terraform waits for);
- one `terraform apply` + `destroy` of 1 copy and of 8 copies against the emulator, each copy
  taking COPY_SECONDS: wall time, the provider's peak memory, and EC2 calls by action, so the
  calls of 8 copies can be compared with those of 1 (batched waiting: DescribeImages calls should
  not grow 8-fold).

Runs under scripts/with-emulator.sh (AMICOPY_EMULATOR_URL, TERRAFORM exported).
"""

from __future__ import annotations

import collections
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "terraform-provider-aws")
EMU = os.environ["AMICOPY_EMULATOR_URL"]
TERRAFORM = os.environ.get("TERRAFORM", os.path.join(ROOT, ".tools", "bin", "terraform"))
COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
COPY_SECONDS = float(os.environ.get("BENCH_COPY_SECONDS", "8"))


def client_cert_pem() -> str:
    """A certificate shaped like the one Terraform hands the provider (self-signed P-521, CA)."""
    key = ec.generate_private_key(ec.SECP521R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA512())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def handshake_ms(runs: int = 30) -> list[float]:
    env = dict(os.environ)
    env.update(
        TF_PLUGIN_MAGIC_COOKIE=COOKIE,
        PLUGIN_PROTOCOL_VERSIONS="5,6",
        PLUGIN_CLIENT_CERT=client_cert_pem(),
    )
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.Popen([BINARY], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = p.stdout.readline()
        times.append((time.perf_counter() - start) * 1000)
        p.kill()
        p.wait()
        if not line.startswith(b"1|6|tcp|"):
            sys.exit(f"unexpected handshake line: {line!r}")
    return times


RSS_WRAPPER = """#!{python}
# Runs the real provider and records its peak resident memory (KiB) when it exits.
import resource, subprocess, sys
rc = subprocess.call([{binary!r}] + sys.argv[1:])
with open({out!r}, "a") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) + "\\n")
sys.exit(rc)
"""


def control(method: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{EMU}/_ec2emu/{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def make_source(access_key: str) -> str:
    import boto3

    ec2 = boto3.client(
        "ec2", region_name="us-east-1", endpoint_url=EMU,
        aws_access_key_id=access_key, aws_secret_access_key="bench",
    )
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)
    snap = ec2.create_snapshot(VolumeId=vol["VolumeId"])
    img = ec2.register_image(
        Name=f"bench-source-{access_key.lower()}", Architecture="x86_64", RootDeviceName="/dev/xvda",
        VirtualizationType="hvm", EnaSupport=True,
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap["SnapshotId"], "VolumeSize": 8}}],
    )
    return img["ImageId"]


def run_tf(workdir: str, cli_config: str, *args: str) -> float:
    env = dict(os.environ, TF_CLI_CONFIG_FILE=cli_config, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    start = time.perf_counter()
    r = subprocess.run([TERRAFORM, *args], cwd=workdir, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"terraform {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
    return elapsed


def apply_copies(n: int) -> dict:
    access_key = f"AKIDBENCH{n:04d}{int(time.time()) % 100000:05d}"
    control("POST", "copy-rules", {"access_key_id": access_key, "duration_seconds": COPY_SECONDS})
    source = make_source(access_key)
    with tempfile.TemporaryDirectory(prefix="amicopy-bench-") as d:
        plugin_dir = os.path.join(d, "plugin")
        os.mkdir(plugin_dir)
        rss_file = os.path.join(d, "rss.txt")
        wrapper = os.path.join(plugin_dir, "terraform-provider-aws")
        with open(wrapper, "w") as f:
            f.write(RSS_WRAPPER.format(python=sys.executable, binary=BINARY, out=rss_file))
        os.chmod(wrapper, 0o755)
        cli = os.path.join(d, "cli.tfrc")
        with open(cli, "w") as f:
            f.write('provider_installation {\n  dev_overrides { "amicopy/aws" = "%s" }\n  direct {}\n}\n' % plugin_dir)
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write(f"""
terraform {{
  required_providers {{
    aws = {{ source = "amicopy/aws" }}
  }}
}}
provider "aws" {{
  region     = "us-east-1"
  access_key = "{access_key}"
  secret_key = "bench"
  endpoints {{
    ec2 = "{EMU}"
    sts = "{EMU}"
  }}
}}
resource "aws_ami_copy" "bench" {{
  count             = {n}
  name              = "bench-{n}-${{count.index}}"
  source_ami_id     = "{source}"
  source_ami_region = "us-east-1"
}}
""")
        control("DELETE", f"calls?access_key_id={access_key}")
        apply_s = run_tf(d, cli, "apply", "-auto-approve", "-input=false", "-parallelism=10")
        calls = control("GET", f"calls?access_key_id={access_key}")
        destroy_s = run_tf(d, cli, "destroy", "-auto-approve", "-input=false", "-parallelism=10")
        with open(rss_file) as f:
            peak_kib = max(int(x) for x in f.read().split())
    by_action = collections.Counter(c["action"] for c in calls)
    return {"n": n, "apply_s": apply_s, "destroy_s": destroy_s, "peak_mib": peak_kib / 1024, "calls": by_action}


def main() -> None:
    size_mb = os.path.getsize(BINARY) / 1e6
    hs = handshake_ms()
    one = apply_copies(1)
    eight = apply_copies(8)

    print(f"binary (release, stripped): {size_mb:.1f} MB")
    print(f"launch to handshake line: median {statistics.median(hs):.2f} ms "
          f"(min {min(hs):.2f}, max {max(hs):.2f}, {len(hs)} launches)")
    print(f"apply of copies taking {COPY_SECONDS:.0f} s each (parallelism 10):")
    print(f"  {'copies':>6} {'apply s':>8} {'destroy s':>9} {'peak MiB':>8} {'DescribeImages':>14} {'all EC2 calls':>13}")
    for r in (one, eight):
        print(f"  {r['n']:>6} {r['apply_s']:>8.2f} {r['destroy_s']:>9.2f} {r['peak_mib']:>8.1f} "
              f"{r['calls']['DescribeImages']:>14} {sum(r['calls'].values()):>13}")
    di1, di8 = one["calls"]["DescribeImages"], eight["calls"]["DescribeImages"]
    print(f"DescribeImages during apply, 8 copies vs 1: {di8 / max(di1, 1):.2f}x (8x would be one poll loop per copy)")
    print("calls of the 8-copy apply by action: " + ", ".join(f"{k} {v}" for k, v in sorted(eight["calls"].items())))


if __name__ == "__main__":
    main()
