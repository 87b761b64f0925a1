"""`make bench` / `make bench-long`: the release provider measured beside its references, in one run.

Writes bench/results.json (every figure of the last run of each kind), bench/results.md (the
table, generated from it) and bench/apply-times.png (the plot). Runs under scripts/with-emulator.sh
(AMICOPY_EMULATOR_URL and TERRAFORM exported); starts a second, stock-moto emulator itself.

    bench.py            the standard run (`make bench`, a few minutes)
    bench.py --long     the 300 s copies (`make bench-long`, about 6 minutes)
    bench.py --render   only regenerate results.md and the plot from results.json

Each run replaces its own rows and keeps the other run's, so the file always says which run
produced a row. Build times come from bench/build-log.txt (builds this script does not redo).
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime
import json
import os
import platform
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
BINARY = os.environ.get("BENCH_BINARY", os.path.join(ROOT, "target", "release", "terraform-provider-aws"))
BENCH = os.path.join(ROOT, "bench")
RESULTS_JSON = os.path.join(BENCH, "results.json")
RESULTS_MD = os.path.join(BENCH, "results.md")
PLOT = os.path.join(BENCH, "apply-times.png")
BUILD_LOG = os.path.join(BENCH, "build-log.txt")
EMU = os.environ["AMICOPY_EMULATOR_URL"]
TERRAFORM = os.environ.get("TERRAFORM", os.path.join(ROOT, ".tools", "bin", "terraform"))
AWS_CLI = os.path.join(os.path.dirname(sys.executable), "aws")
COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
REGION = "us-east-1"
# Published, not measured here: the hashicorp/aws Go provider's resident memory is commonly
# reported at about 200 MB per process (its schema covers every AWS service).
GO_PROVIDER_RSS_MB = 200
# Pairs of plans (-refresh=false, then with the refresh) behind each refresh-cost figure.
REFRESH_PAIRS = 10
# Runs behind each calls-per-copy figure on both backends.
CALL_RUNS = 3


# ---- the machine ---------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    load = os.getloadavg()
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "crates"], capture_output=True, text=True)
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "kernel": platform.release(),
        "load_at_start": [round(x, 2) for x in load],
        "commit": rev.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else ""),
        "binary": os.path.relpath(BINARY, ROOT),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# ---- launch to handshake -------------------------------------------------------------------


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
    env = dict(os.environ, TF_PLUGIN_MAGIC_COOKIE=COOKIE, PLUGIN_PROTOCOL_VERSIONS="5,6",
               PLUGIN_CLIENT_CERT=client_cert_pem())
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


def true_launch_ms(runs: int = 30) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(["/bin/true"], check=True)
        times.append((time.perf_counter() - start) * 1000)
    return times


# ---- emulators -----------------------------------------------------------------------------


class StockEmulator:
    """Stock moto (`ec2emu --no-fidelity`) on a port of its own, for the comparison."""

    def __enter__(self) -> str:
        self.portfile = tempfile.mktemp(prefix="bench-stock-port-")
        self.log = open(tempfile.mktemp(prefix="bench-stock-emu-", suffix=".log"), "w")
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "emulator"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ec2emu", "--port", "0", "--port-file", self.portfile, "--no-fidelity"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        for _ in range(400):
            if os.path.exists(self.portfile) and open(self.portfile).read().strip():
                return f"http://127.0.0.1:{open(self.portfile).read().strip()}"
            if self.proc.poll() is not None:
                sys.exit("the stock emulator failed to start")
            time.sleep(0.05)
        sys.exit("the stock emulator did not start within 20 s")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait()
        self.log.close()
        if os.path.exists(self.portfile):
            os.remove(self.portfile)


def control(emu: str, method: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{emu}/_ec2emu/{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def new_key(tag: str) -> str:
    new_key.n += 1
    return f"AKIDBENCH{tag.upper()}{new_key.n:03d}{int(time.time() * 1000) % 10**7:07d}"


new_key.n = 0


def ec2(emu: str, key: str):
    import boto3

    return boto3.client("ec2", region_name=REGION, endpoint_url=emu,
                        aws_access_key_id=key, aws_secret_access_key="bench")


def make_source(emu: str, key: str) -> str:
    client = ec2(emu, key)
    vol = client.create_volume(AvailabilityZone=f"{REGION}a", Size=8)
    snap = client.create_snapshot(VolumeId=vol["VolumeId"])
    img = client.register_image(
        Name=f"bench-source-{key.lower()}", Architecture="x86_64", RootDeviceName="/dev/xvda",
        VirtualizationType="hvm", EnaSupport=True,
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap["SnapshotId"], "VolumeSize": 8}}],
    )
    return img["ImageId"]


def ec2_calls(emu: str, key: str) -> list[dict]:
    return [c for c in control(emu, "GET", f"calls?access_key_id={key}") if c.get("service", "ec2") == "ec2"]


def clear_calls(emu: str, key: str) -> None:
    control(emu, "DELETE", f"calls?access_key_id={key}")


# ---- Terraform working directories -----------------------------------------------------------

RSS_WRAPPER = """#!{python}
# Runs the real provider and records its peak resident memory (KiB) when it exits.
import resource, subprocess, sys
rc = subprocess.call([{binary!r}] + sys.argv[1:])
with open({out!r}, "a") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) + "\\n")
sys.exit(rc)
"""


class Workdir:
    """A Terraform working directory using the release provider through dev_overrides."""

    def __init__(self, rss: bool = True) -> None:
        """`rss`: run the provider under the wrapper that records its peak memory; without it,
        Terraform starts the binary itself, as it does for users (the provider's parent is then
        the Terraform process, which the plan-time checks key their once-per-apply mark on)."""
        self.tmp = tempfile.TemporaryDirectory(prefix="amicopy-bench-")
        self.path = self.tmp.name
        plugin_dir = os.path.join(self.path, "plugin")
        os.mkdir(plugin_dir)
        self.rss_file = os.path.join(self.path, "rss.txt")
        wrapper = os.path.join(plugin_dir, "terraform-provider-aws")
        if rss:
            with open(wrapper, "w") as f:
                f.write(RSS_WRAPPER.format(python=sys.executable, binary=BINARY, out=self.rss_file))
            os.chmod(wrapper, 0o755)
        else:
            os.symlink(BINARY, wrapper)
        self.cli = os.path.join(self.path, "cli.tfrc")
        with open(self.cli, "w") as f:
            f.write('provider_installation {\n  dev_overrides { "amicopy/aws" = "%s" }\n  direct {}\n}\n' % plugin_dir)

    def write(self, body: str) -> None:
        with open(os.path.join(self.path, "main.tf"), "w") as f:
            f.write(body)

    def run(self, *args: str, env_extra: dict | None = None) -> tuple[float, float]:
        """Runs terraform; returns (elapsed seconds, wall-clock end)."""
        env = dict(os.environ, TF_CLI_CONFIG_FILE=self.cli, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1",
                   **(env_extra or {}))
        start = time.perf_counter()
        r = subprocess.run([TERRAFORM, *args], cwd=self.path, env=env, capture_output=True, text=True)
        end_wall = time.time()
        elapsed = time.perf_counter() - start
        if r.returncode not in (0, 2) or (r.returncode == 2 and "-detailed-exitcode" not in args):
            sys.exit(f"terraform {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
        return elapsed, end_wall

    def apply(self, parallelism: int = 10) -> tuple[float, float]:
        return self.run("apply", "-auto-approve", "-input=false", f"-parallelism={parallelism}")

    def plan(self, parallelism: int = 10, *extra: str, env_extra: dict | None = None) -> float:
        return self.run("plan", "-input=false", "-detailed-exitcode", f"-parallelism={parallelism}", *extra,
                        env_extra=env_extra)[0]

    def destroy(self) -> None:
        self.run("destroy", "-auto-approve", "-input=false", "-parallelism=50")

    def peak_rss_mib(self) -> float:
        with open(self.rss_file) as f:
            return max(int(x) for x in f.read().split()) / 1024

    def close(self) -> None:
        self.tmp.cleanup()


def provider_config(emu: str, key: str) -> str:
    return f"""
terraform {{
  required_providers {{
    aws = {{ source = "amicopy/aws" }}
  }}
}}
provider "aws" {{
  region     = "{REGION}"
  access_key = "{key}"
  secret_key = "bench"
  endpoints {{
    ec2 = "{emu}"
    sts = "{emu}"
  }}
}}
"""


def copies_config(emu: str, key: str, source: str, n: int, prefix: str) -> str:
    return provider_config(emu, key) + f"""
resource "aws_ami_copy" "bench" {{
  count             = {n}
  name              = "{prefix}-${{count.index}}"
  source_ami_id     = "{source}"
  source_ami_region = "{REGION}"
}}
"""


def floor_config(n: int) -> str:
    return f"""
resource "terraform_data" "bench" {{
  count = {n}
  input = "copy-${{count.index}}"
}}
"""


def by_action(calls: list[dict]) -> dict[str, int]:
    return dict(sorted(collections.Counter(c["action"] for c in calls).items()))


# ---- measurements --------------------------------------------------------------------------


def copies_workdir(tag: str, duration: float, n: int) -> tuple[str, Workdir]:
    """A fresh access key whose copies take `duration` s, a source image, and a working directory
    with n copies of it; the key's call log starts empty."""
    key = new_key(tag)
    control(EMU, "POST", "copy-rules", {"access_key_id": key, "duration_seconds": duration})
    source = make_source(EMU, key)
    w = Workdir()
    w.write(copies_config(EMU, key, source, n, f"bench-{tag.lower()}"))
    clear_calls(EMU, key)
    return key, w


def zero_length_copies(n: int, parallelism: int = 10) -> dict:
    """Apply, then plan, of n copies that are available at once; EC2 calls of each."""
    key, w = copies_workdir(f"z{n}p{parallelism}", 0.0, n)
    try:
        apply_s, _ = w.apply(parallelism)
        apply_calls = ec2_calls(EMU, key)
        clear_calls(EMU, key)
        plan_s = w.plan(parallelism)
        plan_calls = ec2_calls(EMU, key)
        # The same plan without the refresh, alternating, 10 pairs after the first plan: what the
        # refresh adds is the provider's reads (and the backend's answers to them). The machine
        # is shared, so each pair's ratio is taken between neighbours in time.
        refreshed, unrefreshed = [plan_s], []
        for _ in range(REFRESH_PAIRS):
            unrefreshed.append(w.plan(parallelism, "-refresh=false"))
            refreshed.append(w.plan(parallelism))
        pair_ratios = [r / u for u, r in zip(unrefreshed, refreshed[1:])]
        rss = w.peak_rss_mib()
        backend_ms = describe_images_ms(EMU, key, min(n, 10))
        w.destroy()
    finally:
        w.close()
    return {"n": n, "parallelism": parallelism, "apply_s": apply_s, "plan_s": min(refreshed),
            "plan_norefresh_s": min(unrefreshed), "plan_median_s": statistics.median(refreshed),
            "plan_norefresh_median_s": statistics.median(unrefreshed),
            "refresh_pair_ratio_median": statistics.median(pair_ratios),
            "describe_images_ms": backend_ms, "describe_images_ids": min(n, 10), "peak_rss_mib": rss,
            "apply_calls": by_action(apply_calls), "plan_calls": by_action(plan_calls)}


def calls_floor(n: int, parallelism: int) -> dict:
    """The fewest EC2 calls an apply of n new copies can make with the checks on: a CopyImage
    each, and per round of `parallelism` copies one DescribeImages to see them available and one
    to check their names; once per apply: the dry run, DescribeRegions and the source's lookup.
    A plan of n existing copies: one DescribeImages per round."""
    rounds = -(-n // parallelism)
    return {"apply": n + 2 * rounds + 3, "plan": rounds}


def calls_per_copy_on(emu: str, label: str, n: int = 50, parallelism: int = 10) -> dict:
    """EC2 calls (dry runs included) of an apply of n new copies and of a plan of them once
    made, counted in `emu`'s call log, beside the floor."""
    key = new_key("calls" + "".join(ch for ch in label if ch.isalnum())[:6])
    source = make_source(emu, key)
    w = Workdir(rss=False)
    try:
        w.write(copies_config(emu, key, source, n, f"bench-calls-{key.lower()}"))
        clear_calls(emu, key)
        w.apply(parallelism)
        apply_calls = ec2_calls(emu, key)
        clear_calls(emu, key)
        w.plan(parallelism)
        plan_calls = ec2_calls(emu, key)
        w.destroy()
    finally:
        w.close()
    return {"backend": label, "n": n, "parallelism": parallelism, "floor": calls_floor(n, parallelism),
            "apply_calls": by_action(apply_calls), "plan_calls": by_action(plan_calls)}


def latency_refresh(n: int = 30, parallelism: int = 10, latency_ms: int = 100, pairs: int = 9) -> dict:
    """Refresh of n copies when every EC2 call waits `latency_ms` (the emulator's latency fault):
    what the refresh adds to `plan -refresh=false` (median of pairs), beside its floor of one
    call per round of `parallelism` reads in a row."""
    key, w = copies_workdir(f"lat{n}", 0.0, n)
    try:
        w.apply(parallelism)
        control(EMU, "POST", "faults", {"action": "*", "kind": "latency", "latency_ms": latency_ms,
                                         "access_key_id": key})
        w.plan(parallelism)  # warm-up
        added = []
        for _ in range(pairs):
            unrefreshed = w.plan(parallelism, "-refresh=false")
            refreshed = w.plan(parallelism)
            added.append(refreshed - unrefreshed)
        control(EMU, "DELETE", f"faults?access_key_id={key}")
        w.destroy()
    finally:
        w.close()
    floor_s = -(-n // parallelism) * latency_ms / 1000
    return {"n": n, "parallelism": parallelism, "latency_ms": latency_ms, "floor_s": floor_s,
            "added_median_s": statistics.median(added), "added_best_s": min(added)}


def describe_images_ms(emu: str, key: str, count: int, runs: int = 20) -> float:
    """The backend's answer time for one DescribeImages of `count` of the key's images (median
    of `runs`, over HTTP with boto3): what each round of a refresh waits for at the least."""
    client = ec2(emu, key)
    ids = [i["ImageId"] for i in client.describe_images(Owners=["self"])["Images"]][:count]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.describe_images(ImageIds=ids, IncludeDisabled=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def new_copies_plan(n: int, parallelism: int = 10) -> dict:
    """Plan of n copies not made yet: with the plan-time checks (their calls and time) and
    without them (AMICOPY_PLAN_CHECKS=false), best of 3 each, alternating."""
    key, w = copies_workdir(f"new{n}p{parallelism}", 0.0, n)
    try:
        w.plan(parallelism)  # warm-up: provider binary and emulator caches
        clear_calls(EMU, key)
        w.plan(parallelism)
        calls = ec2_calls(EMU, key)
        with_checks, without = [], []
        for _ in range(3):
            with_checks.append(w.plan(parallelism))
            without.append(w.plan(parallelism, env_extra={"AMICOPY_PLAN_CHECKS": "false"}))
    finally:
        w.close()
    return {"n": n, "parallelism": parallelism, "plan_s": min(with_checks),
            "plan_unchecked_s": min(without), "calls": by_action(calls)}


def floor(n: int, parallelism: int = 10) -> dict:
    """The same apply and plan with terraform_data: Terraform's own cost, no provider."""
    w = Workdir()
    try:
        w.write(floor_config(n))
        apply_s, _ = w.apply(parallelism)
        plan_s = w.plan(parallelism)
        w.destroy()
    finally:
        w.close()
    return {"n": n, "parallelism": parallelism, "apply_s": apply_s, "plan_s": plan_s}


def timed_copies(duration: float, n: int = 1, parallelism: int = 10) -> dict:
    """Apply of n copies each taking `duration` s: when the apply ended after the last copy
    became available (copy start = its CopyImage in the emulator's call log)."""
    key, w = copies_workdir(f"t{int(duration)}n{n}", duration, n)
    try:
        apply_s, end = w.apply(parallelism)
        calls = ec2_calls(EMU, key)
        w.destroy()
    finally:
        w.close()
    copies = [c["time"] for c in calls if c["action"] == "CopyImage" and c["status"] == 200]
    available = max(copies) + duration
    return {"duration_s": duration, "n": n, "parallelism": parallelism, "apply_s": apply_s,
            "after_available_s": end - available, "apply_minus_duration_s": apply_s - duration,
            "calls": by_action(calls), "copy_spread_s": max(copies) - min(copies)}


def cli_wait(duration: float) -> dict:
    """The AWS CLI's own waiter on the same kind of copy: CopyImage, then
    `aws ec2 wait image-available` (DescribeImages every 15 s)."""
    key = new_key(f"cli{int(duration)}")
    control(EMU, "POST", "copy-rules", {"access_key_id": key, "duration_seconds": duration})
    source = make_source(EMU, key)
    client = ec2(EMU, key)
    clear_calls(EMU, key)
    start = time.perf_counter()
    image = client.copy_image(Name=f"bench-cli-{key.lower()}", SourceImageId=source, SourceRegion=REGION)["ImageId"]
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGION)
    env.pop("AWS_PROFILE", None)
    subprocess.run([AWS_CLI, "ec2", "wait", "image-available", "--image-ids", image, "--endpoint-url", EMU],
                   env=env, check=True)
    end = time.time()
    total = time.perf_counter() - start
    calls = ec2_calls(EMU, key)
    copied = min(c["time"] for c in calls if c["action"] == "CopyImage")
    client.deregister_image(ImageId=image)
    return {"duration_s": duration, "total_s": total, "after_available_s": end - (copied + duration),
            "calls": by_action(calls)}


SEED = """
resource "aws_ami_copy" "example" {{
  name              = "terraform-example-{suffix}"
  description       = "A copy of {source}"
  source_ami_id     = "{source}"
  source_ami_region = "{region}"

  tags = {{
    Name = "HelloWorld"
  }}
}}
"""


def seed_example(emu: str, label: str) -> dict:
    """The documented example (one copy with a tag) applied against `emu`."""
    key = new_key("seed" + "".join(ch for ch in label if ch.isalnum()))
    source = make_source(emu, key)
    w = Workdir()
    try:
        w.write(provider_config(emu, key) + SEED.format(suffix=key.lower(), source=source, region=REGION))
        clear_calls(emu, key)
        apply_s, _ = w.apply()
        calls = ec2_calls(emu, key)
        w.destroy()
    finally:
        w.close()
    return {"backend": label, "apply_s": apply_s, "calls": by_action(calls), "calls_total": len(calls)}


def build_times() -> list[dict]:
    """Rows of bench/build-log.txt: `date | commit | what | figures | how it was run`, where the
    figures start with the seconds (and may say more, such as the disk used)."""
    rows = []
    if os.path.exists(BUILD_LOG):
        with open(BUILD_LOG) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    date, commit, what, figures, how = [p.strip() for p in line.split("|", 4)]
                    rows.append({"date": date, "commit": commit, "what": what, "figures": figures, "how": how})
    return rows


# ---- the runs ------------------------------------------------------------------------------


def standard_run() -> dict:
    out: dict = {"command": "make bench", "machine": machine()}
    out["binary_mb"] = os.path.getsize(BINARY) / 1e6
    out["handshake_ms"] = statistics.median(handshake_ms())
    out["true_ms"] = statistics.median(true_launch_ms())
    print(f"handshake {out['handshake_ms']:.2f} ms, /bin/true {out['true_ms']:.2f} ms", flush=True)

    # The CLI's waits run beside the provider's timed applies (they only sleep and poll).
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        cli = [pool.submit(cli_wait, d) for d in (10.0, 60.0)]
        out["zero"] = [zero_length_copies(n) for n in (1, 10, 50)]
        out["zero"].append(zero_length_copies(50, parallelism=50))
        out["floor"] = [floor(n) for n in (1, 10, 50)]
        out["floor"].append(floor(50, parallelism=50))
        print("zero-length copies and floor done", flush=True)
        out["new_plans"] = [new_copies_plan(1), new_copies_plan(50), new_copies_plan(50, parallelism=50)]
        print("plans of new copies done", flush=True)
        out["timed"] = [timed_copies(10.0), timed_copies(60.0)]
        print("timed copies done", flush=True)
        out["cli"] = [f.result() for f in cli]
    out["fanout"] = timed_copies(60.0, n=50, parallelism=50)
    print("fan-out done", flush=True)
    out["seed"] = [seed_example(EMU, "fidelity")]
    # Three runs each: when the calls of a round spread out (a busy moment), a poll or a lookup
    # can split in two, so one run alone can show more than the provider usually makes.
    out["calls_both"] = [[calls_per_copy_on(EMU, "fidelity") for _ in range(CALL_RUNS)]]
    with StockEmulator() as stock:
        out["seed"].append(seed_example(stock, "stock moto"))
        out["calls_both"].append([calls_per_copy_on(stock, "stock moto") for _ in range(CALL_RUNS)])
    print("calls per copy on both backends done", flush=True)
    out["latency"] = latency_refresh()
    print("refresh under latency done", flush=True)
    out["machine"]["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def long_run() -> dict:
    out: dict = {"command": "make bench-long", "machine": machine()}
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        cli = pool.submit(cli_wait, 300.0)
        out["timed"] = [timed_copies(300.0)]
        out["cli"] = [cli.result()]
    out["machine"]["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


# ---- the report ----------------------------------------------------------------------------


def calls_per_copy(calls: dict[str, int], n: int) -> str:
    total = sum(calls.values())
    parts = ", ".join(f"{k} {v / n:.2f}" for k, v in calls.items()) or "none"
    return f"**{total / n:.2f}** ({parts})"


def run_label(run: dict) -> str:
    return f"`{run['command']}` {run['machine']['date']}"


def render(results: dict) -> str:
    std = results.get("bench")
    long = results.get("bench-long")
    lines = ["# Benchmark results", "",
             "Generated by `make bench` (and `make bench-long` for the 300 s rows) from "
             "`scripts/bench.py`: the provider (the release build unless a run says otherwise) against the project's EC2 emulator on "
             "127.0.0.1, through the real Terraform CLI, every figure beside its reference measured "
             "in the same run. Do not edit by hand.", ""]
    for name in ("bench", "bench-long"):
        run = results.get(name)
        if not run:
            continue
        m = run["machine"]
        lines.append(f"- **{name} run**: `{run['command']}` on {m['date']}, commit {m['commit']}, "
                     f"provider binary `{m.get('binary', 'target/release/terraform-provider-aws')}`; "
                     f"{m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}; "
                     f"load average {m['load_at_start'][0]} at start, {m['load_at_end'][0]} at end "
                     "(the machine is shared: absolute times are noisy, ratios within a run less so).")
    lines.append("")
    if std:
        r = run_label(std)
        z = {(x["n"], x["parallelism"]): x for x in std["zero"]}
        f = {(x["n"], x["parallelism"]): x for x in std["floor"]}
        lines += ["## Process", "", "| figure | this provider | reference (same run) | run |", "|---|---|---|---|",
                  f"| launch → handshake line, median of 30 | {std['handshake_ms']:.2f} ms | `/bin/true` launch {std['true_ms']:.2f} ms | {r} |",
                  *[f"| peak RSS, apply of {n} cop{'y' if n == 1 else 'ies'} | {z[(n, 10)]['peak_rss_mib']:.1f} MiB | "
                    f"Go `hashicorp/aws`: ~{GO_PROVIDER_RSS_MB} MB, published figure, not measured | {r} |"
                    for n in (1, 50) if (n, 10) in z],
                  f"| binary size (`{std['machine'].get('binary', 'target/release/terraform-provider-aws')}`; "
                  f"the release build is stripped) | {std['binary_mb']:.1f} MB | — | {r} |", ""]
        lines += ["## Apply and plan of N zero-length copies", "",
                  "Copies available at once (emulator copy rule 0 s): Terraform's and the provider's own cost. "
                  "Floor: the same count of `terraform_data` in the same run.", "",
                  "| N | parallelism | apply | floor apply | plan (refresh) of N existing | floor plan | plan ÷ floor |",
                  "|---|---|---|---|---|---|---|"]
        for key in sorted(z):
            a, b = z[key], f.get(key)
            fa = f"{b['apply_s']:.2f} s" if b else "—"
            fp = f"{b['plan_s']:.2f} s" if b else "—"
            ratio = f"{a['plan_s'] / b['plan_s']:.2f}×" if b else "—"
            lines.append(f"| {key[0]} | {key[1]} | {a['apply_s']:.2f} s | {fa} | {a['plan_s']:.2f} s | {fp} | {ratio} |")
        lines += ["", "Refresh cost: the plan of N existing copies beside the same plan with `-refresh=false`, "
                  f"in {REFRESH_PAIRS} pairs run one after the other in the same working directory: what the "
                  "provider's batched reads add. The first ratio is the median of the pairs' own ratios "
                  "(neighbours in time, so a busy moment on the shared machine touches both sides); then "
                  "best ÷ best and median ÷ median. Terraform reads `parallelism` copies at a time, so a "
                  "refresh waits for about N ÷ parallelism DescribeImages answers in a row; the last column "
                  "is the backend's answer time for one (median of 20, same run). The plan column above is "
                  "the best.", "",
                  "| N | parallelism | plan (refresh), best | plan -refresh=false, best | median of pair ratios | "
                  "best ÷ best | median ÷ median | one DescribeImages of up to 10 ids |",
                  "|---|---|---|---|---|---|---|---|"]
        for key in sorted(z):
            a = z[key]
            if "plan_norefresh_s" in a:
                pairs = (f"**{a['refresh_pair_ratio_median']:.2f}×**"
                         if "refresh_pair_ratio_median" in a else "—")
                median = (f"{a['plan_median_s'] / a['plan_norefresh_median_s']:.2f}×"
                          if "plan_median_s" in a else "—")
                backend = (f"{a['describe_images_ms']:.1f} ms ({a['describe_images_ids']} ids)"
                           if "describe_images_ms" in a else "—")
                lines.append(f"| {key[0]} | {key[1]} | {a['plan_s']:.2f} s | {a['plan_norefresh_s']:.2f} s | "
                             f"{pairs} | {a['plan_s'] / a['plan_norefresh_s']:.2f}× | {median} | {backend} |")
        if std.get("new_plans"):
            lines += ["", "## Plan-time checks: a plan of N new copies", "",
                      "Every EC2 call such a plan makes is a check's (a plan without them makes none for new "
                      "copies). Time: best of 3, with the checks and with `AMICOPY_PLAN_CHECKS=false`, alternating.", "",
                      "| N | parallelism | plan | plan without checks | extra time | extra calls (by action) |",
                      "|---|---|---|---|---|---|"]
            for p in std["new_plans"]:
                calls = sum(p["calls"].values())
                parts = ", ".join(f"{k} {v}" for k, v in p["calls"].items()) or "none"
                lines.append(f"| {p['n']} | {p['parallelism']} | {p['plan_s']:.2f} s | {p['plan_unchecked_s']:.2f} s | "
                             f"{p['plan_s'] - p['plan_unchecked_s']:+.2f} s | **{calls}** ({parts}) |")
        lines += ["", "## EC2 calls per copy (from the emulator's call log)", "",
                  "| N | parallelism | apply: calls per copy (by action) | plan: calls per copy (by action) |",
                  "|---|---|---|---|"]
        for key in sorted(z):
            a = z[key]
            lines.append(f"| {key[0]} | {key[1]} | {calls_per_copy(a['apply_calls'], key[0])} | "
                         f"{calls_per_copy(a['plan_calls'], key[0])} |")
        lines += ["", "These runs go through the wrapper that records peak memory, a process between Terraform "
                  "and the provider: the apply walk then cannot see that its plan walk made the plan-time "
                  "checks, and checks its first round again. The next table runs the provider as users do."]
        if std.get("calls_both"):
            lines += ["", "## EC2 calls per copy on both backends, beside the floor", "",
                      "Apply of N new copies with the plan-time checks on, then a plan of them; Terraform starts "
                      "the provider itself. Calls counted in each backend's call log, dry runs included. Floor "
                      "of an apply: one CopyImage per copy, and per round of `parallelism` copies one "
                      "DescribeImages to see them available and one to check their names, plus one dry run, "
                      "one DescribeRegions and one lookup of the source per apply; of a plan: one "
                      "DescribeImages per round. Each backend ran several times: the run with the median "
                      "apply is shown, with the range of all runs.", "",
                      "| backend | N | parallelism | apply: calls per copy (by action), median run | all runs | floor | plan: calls (by action), median run | all runs | floor |",
                      "|---|---|---|---|---|---|---|---|---|"]
            for runs in std["calls_both"]:
                runs = runs if isinstance(runs, list) else [runs]
                total = lambda c, k: sum(c[k].values())
                c = sorted(runs, key=lambda c: total(c, "apply_calls"))[len(runs) // 2]
                n = c["n"]
                applies = sorted(total(r, "apply_calls") / n for r in runs)
                plans = sorted(total(r, "plan_calls") for r in runs)
                parts = ", ".join(f"{k} {v}" for k, v in c["plan_calls"].items()) or "none"
                lines.append(f"| {c['backend']} | {n} | {c['parallelism']} | {calls_per_copy(c['apply_calls'], n)} | "
                             f"{', '.join(f'{a:.2f}' for a in applies)} | {c['floor']['apply'] / n:.2f} | "
                             f"**{total(c, 'plan_calls')}** ({parts}) | {', '.join(str(p) for p in plans)} | "
                             f"{c['floor']['plan']} |")
        if std.get("latency"):
            lt = std["latency"]
            lines += ["", f"## Refresh when every call takes {lt['latency_ms']} ms", "",
                      "The emulator's latency fault on every action: what the refresh of N copies adds to the same "
                      "plan with `-refresh=false` (pairs run one after the other), beside its floor: "
                      "N ÷ parallelism rounds of one DescribeImages each, one after the other.", "",
                      "| N | parallelism | refresh adds, median | best | floor | median ÷ floor |",
                      "|---|---|---|---|---|---|",
                      f"| {lt['n']} | {lt['parallelism']} | {lt['added_median_s']:.2f} s | {lt['added_best_s']:.2f} s | "
                      f"{lt['floor_s']:.2f} s | **{lt['added_median_s'] / lt['floor_s']:.2f}×** |"]
        lines.append("")
    timed = (std["timed"] if std else []) + (long["timed"] if long else [])
    cli = (std["cli"] if std else []) + (long["cli"] if long else [])
    if timed:
        cli_by = {c["duration_s"]: c for c in cli}
        lines += ["## Copies that take time: when is the end seen?", "",
                  "After available: from the moment the copy became available (its CopyImage in the call log "
                  "+ its duration) to the end of `terraform apply`. Reference: `aws ec2 wait image-available` "
                  "(AWS CLI, from CopyImage) on the same kind of copy in the same run.", "",
                  "| copy | apply | apply − copy duration | after available | DescribeImages | all EC2 calls | CLI wait: after available | CLI DescribeImages | run |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for t in timed:
            c = cli_by.get(t["duration_s"])
            run = long if (long and t in long["timed"]) else std
            cs = (f"{c['after_available_s']:.2f} s", str(c["calls"].get("DescribeImages", 0))) if c else ("—", "—")
            lines.append(f"| {t['duration_s']:.0f} s | {t['apply_s']:.2f} s | {t['apply_minus_duration_s']:.2f} s | "
                         f"**{t['after_available_s']:.2f} s** | {t['calls'].get('DescribeImages', 0)} | "
                         f"{sum(t['calls'].values())} | {cs[0]} | {cs[1]} | {run_label(run)} |")
        lines.append("")
    if std:
        fo = std["fanout"]
        one = next((t for t in std["timed"] if t["duration_s"] == fo["duration_s"]), None)
        lines += ["## Fan-out: 50 copies of a 60 s copy, `-parallelism=50`", "",
                  f"- apply {fo['apply_s']:.2f} s; it ended **{fo['after_available_s']:.2f} s** after the last copy "
                  f"became available (CopyImage calls spread over {fo['copy_spread_s']:.2f} s).",
                  f"- DescribeImages: {fo['calls'].get('DescribeImages', 0)} for {fo['n']} copies, against "
                  f"{one['calls'].get('DescribeImages', 0) if one else '—'} for one copy of the same length; "
                  f"all EC2 calls {sum(fo['calls'].values())} ({calls_per_copy(fo['calls'], fo['n'])} per copy).",
                  f"- run: {run_label(std)}", ""]
        lines += ["## Stock moto vs the fidelity emulator: the documented example", "",
                  "One copy with `tags = { Name = \"HelloWorld\" }`; stock moto is `ec2emu --no-fidelity` "
                  "(answers HTTP 500 to what it does not implement).", "",
                  "| backend | apply | EC2 calls (by action) | run |", "|---|---|---|---|"]
        for s in std["seed"]:
            lines.append(f"| {s['backend']} | {s['apply_s']:.2f} s | {calls_per_copy(s['calls'], 1)} | {run_label(std)} |")
        if len(std["seed"]) == 2:
            lines.append(f"\nStock ÷ fidelity apply time: **{std['seed'][1]['apply_s'] / std['seed'][0]['apply_s']:.2f}×**.")
        lines.append("")
    builds = build_times()
    if builds:
        lines += ["## Clean build times", "",
                  "Not redone by `make bench` (minutes each on this machine): read from `bench/build-log.txt`.", "",
                  "| build | figures | how | run | commit |", "|---|---|---|---|---|"]
        for b in builds:
            lines.append(f"| {b['what']} | {b['figures']} | {b['how']} | {b['date']} | {b['commit']} |")
        lines.append("")
    lines += ["## Plot", "", "![apply time against N and against copy duration](apply-times.png)", ""]
    return "\n".join(lines)


def plot(results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    std = results.get("bench")
    long = results.get("bench-long")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    if std:
        z = sorted((x for x in std["zero"] if x["parallelism"] == 10), key=lambda x: x["n"])
        f = sorted((x for x in std["floor"] if x["parallelism"] == 10), key=lambda x: x["n"])
        left.plot([x["n"] for x in z], [x["apply_s"] for x in z], "o-", label="aws_ami_copy (0 s copies)")
        left.plot([x["n"] for x in f], [x["apply_s"] for x in f], "s--", label="terraform_data (floor)")
        left.set_xlabel("resources in one apply (N), parallelism 10")
        left.set_ylabel("apply time (s)")
        left.set_title("Apply time against N")
        left.legend()
    timed = (std["timed"] if std else []) + (long["timed"] if long else [])
    cli = (std["cli"] if std else []) + (long["cli"] if long else [])
    if timed:
        timed = sorted(timed, key=lambda t: t["duration_s"])
        cli = sorted(cli, key=lambda c: c["duration_s"])
        right.plot([t["duration_s"] for t in timed], [t["apply_s"] - t["duration_s"] for t in timed], "o-",
                   label="terraform apply, this provider (whole apply)")
        right.plot([t["duration_s"] for t in timed], [t["after_available_s"] for t in timed], "o--",
                   label="this provider: apply end after the copy is available")
        right.plot([c["duration_s"] for c in cli], [c["after_available_s"] for c in cli], "^-",
                   label="aws ec2 wait image-available: end after available")
        right.axhline(0, color="k", linestyle=":", label="floor: done when the copy is")
        right.set_xscale("log")
        right.set_xlabel("copy duration (s)")
        right.set_ylabel("time beyond the copy itself (s)")
        right.set_title("Time beyond the copy, against copy duration")
        right.legend()
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)


def main() -> None:
    long = "--long" in sys.argv[1:]
    if "--render" in sys.argv[1:]:
        # Only regenerate results.md and the plot from results.json.
        with open(RESULTS_JSON) as f:
            results = json.load(f)
        with open(RESULTS_MD, "w") as f:
            f.write(render(results))
        plot(results)
        return
    if not os.path.exists(BINARY):
        sys.exit(f"{BINARY} is missing: run `cargo build --release -p terraform-provider-aws`")
    os.makedirs(BENCH, exist_ok=True)
    run = long_run() if long else standard_run()
    # Read the other run's rows only now: the two runs may overlap.
    results = {}
    if os.path.exists(RESULTS_JSON):
        with open(RESULTS_JSON) as f:
            results = json.load(f)
    results["bench-long" if long else "bench"] = run
    with open(RESULTS_JSON, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    with open(RESULTS_MD, "w") as f:
        f.write(render(results))
    plot(results)
    print(f"wrote {os.path.relpath(RESULTS_MD, ROOT)} and {os.path.relpath(PLOT, ROOT)}")


if __name__ == "__main__":
    main()
