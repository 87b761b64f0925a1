#!/usr/bin/env bash
# `make bench`: the release provider measured against the emulator (see scripts/bench.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec "$root/scripts/with-emulator.sh" "$root/.tools/venv/bin/python" "$root/scripts/bench.py"
