#!/usr/bin/env bash
# Runs a command with the EC2 emulator up on a free 127.0.0.1 port, exported as
# AMICOPY_EMULATOR_URL, and stops the emulator afterwards whatever the command's outcome.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
portfile=$(mktemp)
logfile=${EMULATOR_LOG:-$(mktemp -t ec2emu.XXXXXX.log)}
PYTHONPATH="$root/emulator" "$root/.tools/venv/bin/python" -m ec2emu --port 0 --port-file "$portfile" >"$logfile" 2>&1 &
emu=$!
trap 'kill $emu 2>/dev/null || true; wait $emu 2>/dev/null || true; rm -f "$portfile"' EXIT
for _ in $(seq 1 200); do
  [ -s "$portfile" ] && break
  kill -0 $emu 2>/dev/null || { echo "the emulator failed to start; its log:" >&2; cat "$logfile" >&2; exit 1; }
  sleep 0.05
done
[ -s "$portfile" ] || { echo "the emulator did not start within 10 s" >&2; exit 1; }
export AMICOPY_EMULATOR_URL="http://127.0.0.1:$(cat "$portfile")"
export TERRAFORM="${TERRAFORM:-$root/.tools/bin/terraform}"
"$@"
