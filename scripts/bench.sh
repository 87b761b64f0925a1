#!/usr/bin/env bash
# `make bench` / `make bench-long`: the release provider measured against the emulator
# (see scripts/bench.py; `--long` runs the 300 s copies).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec "$root/scripts/with-emulator.sh" "$root/.tools/venv/bin/python" "$root/scripts/bench.py" "$@"
