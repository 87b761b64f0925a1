#!/usr/bin/env bash
# Installs the system tools that `make test` and `make lint` use and a bare CI machine (Rust,
# Python, gcc, make) may lack: zip and unzip (release archives), gpg (signing), shellcheck.
# Only what is missing, with apt-get (Debian/Ubuntu, as root or through sudo); elsewhere it
# says what to install and fails.
set -euo pipefail

missing=()
want() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
want zip zip
want unzip unzip
want gpg gnupg
want shellcheck shellcheck
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "please install: ${missing[*]} (no apt-get on this machine)" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "please install as root: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "installing ${missing[*]} with apt-get"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
