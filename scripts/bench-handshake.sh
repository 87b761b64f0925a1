#!/usr/bin/env bash
# Launch-to-handshake-line latency of the release provider: the time Terraform waits, at every
# provider launch (three per apply), before it can connect. Prints the median over N launches.
#
#   scripts/bench-handshake.sh [N=30] [BINARY=target/release/terraform-provider-aws]
#
# Each launch gets what Terraform gives it (magic cookie, protocol versions, port range and a
# fresh-per-run self-signed P-521 client certificate), and is killed once the line is read.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-30}
bin=${2:-$root/target/release/terraform-provider-aws}
if [[ $# -lt 2 ]]; then
  cargo build --release -p terraform-provider-aws --manifest-path "$root/Cargo.toml" >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Terraform's client certificate is self-signed ECDSA P-521 with CA:TRUE; make one alike.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-521 -sha512 -nodes -days 1 \
  -subj /CN=localhost -addext basicConstraints=critical,CA:TRUE \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null

python3 - "$bin" "$runs" "$tmp/cert.pem" <<'PY'
import os, statistics, subprocess, sys, time
binary, runs, cert = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read()
env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_LOG", "PLUGIN_"))}
env.update(TF_PLUGIN_MAGIC_COOKIE="d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
           PLUGIN_PROTOCOL_VERSIONS="5,6", PLUGIN_MIN_PORT="10000", PLUGIN_MAX_PORT="25000",
           PLUGIN_CLIENT_CERT=cert)
samples = []
for _ in range(runs + 1):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    line = p.stdout.readline()
    samples.append((time.perf_counter() - t0) * 1000)
    p.kill(); p.wait()
    if not line.startswith(b"1|6|tcp|127.0.0.1:"):
        sys.exit(f"unexpected handshake line: {line!r}")
samples = samples[1:]  # the first launch warms the page cache
print(f"launch-to-handshake over {runs} launches: median {statistics.median(samples):.2f} ms "
      f"(min {min(samples):.2f}, max {max(samples):.2f})")
PY
