#!/usr/bin/env bash
# Runs a command with two EC2 emulators up on free 127.0.0.1 ports and stops them afterwards
# whatever the command's outcome:
#   AMICOPY_EMULATOR_URL        the emulator with its fidelity layer (EC2's behaviour in detail);
#   AMICOPY_STOCK_EMULATOR_URL  stock moto 5.2.5 (`--no-fidelity`), what LocalStack and many CI
#                               setups serve, for the tests' stock lane.
# Both start at once (about a second each). Logs: $EMULATOR_LOG and $STOCK_EMULATOR_LOG if set.
# Portable to macOS's bash 3.2 and BSD tools (`make demo` runs it; scripts/check-portable.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/with-emulator.XXXXXX")
pids=()
# shellcheck disable=SC2154 # p is the trap's own loop variable
# ${pids[@]+...}: bash 3.2 with `set -u` calls an empty array unbound.
trap 'for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

# start NAME LOGFILE [ec2emu options...]: launches one emulator; its port lands in $tmp/NAME.port.
start() {
  local name=$1 log=$2
  shift 2
  PYTHONPATH="$root/emulator" "$root/.tools/venv/bin/python" -m ec2emu --port 0 \
    --port-file "$tmp/$name.port" "$@" >"$log" 2>&1 &
  pids+=($!)
  echo $! >"$tmp/$name.pid"
}

# url NAME LOGFILE: waits for the emulator's port file and prints its URL.
url() {
  local name=$1 log=$2 pid
  pid=$(cat "$tmp/$name.pid")
  for _ in $(seq 1 200); do
    [ -s "$tmp/$name.port" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "the $name emulator failed to start; its log:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.05
  done
  [ -s "$tmp/$name.port" ] || { echo "the $name emulator did not start within 10 s" >&2; exit 1; }
  echo "http://127.0.0.1:$(cat "$tmp/$name.port")"
}

log=${EMULATOR_LOG:-$(mktemp "${TMPDIR:-/tmp}/ec2emu.XXXXXX")}
stock_log=${STOCK_EMULATOR_LOG:-$(mktemp "${TMPDIR:-/tmp}/ec2emu-stock.XXXXXX")}
start fidelity "$log"
start stock "$stock_log" --no-fidelity
AMICOPY_EMULATOR_URL=$(url fidelity "$log")
AMICOPY_STOCK_EMULATOR_URL=$(url stock "$stock_log")
export AMICOPY_EMULATOR_URL AMICOPY_STOCK_EMULATOR_URL
export TERRAFORM="${TERRAFORM:-$root/.tools/bin/terraform}"
"$@"
