#!/usr/bin/env bash
# Makes the Python virtual environment DIR (`make tools`), or says plainly why it cannot: Debian
# and Ubuntu ship python3 without its venv module (package python3-venv), and then `python3 -m
# venv` leaves a half-made environment behind. Usage: scripts/ensure-venv.sh DIR
set -euo pipefail
venv=$1
python=${PYTHON:-python3}
"$venv/bin/python" -m pip --version >/dev/null 2>&1 && exit 0

missing_venv() {
  version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3)
  cat >&2 <<MSG
error: $python cannot make a virtual environment (its venv module or ensurepip is missing).
  Debian/Ubuntu: install the package python3-venv (or python$version-venv), e.g.
    sudo apt-get install python3-venv
  then run make again. Elsewhere, install a Python 3.11 or later that includes venv.
MSG
  exit 1
}
command -v "$python" >/dev/null 2>&1 || { echo "error: no $python on PATH: install Python 3.11 or later" >&2; exit 1; }
"$python" -c 'import ensurepip, venv' >/dev/null 2>&1 || missing_venv
rm -rf "$venv"
"$python" -m venv "$venv" >/dev/null 2>&1 || { rm -rf "$venv"; missing_venv; }
"$venv/bin/python" -m pip --version >/dev/null 2>&1 || { rm -rf "$venv"; missing_venv; }
