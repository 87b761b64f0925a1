#!/usr/bin/env bash
# Installs, when missing, the system tools that a bare CI machine (Rust, Python, gcc, make) lacks:
#   scripts/install-system-tools.sh test   zip, unzip (release archives), gpg (signing): `make test`
#   scripts/install-system-tools.sh lint   shellcheck: `make lint` only
# With apt-get, as root or through passwordless sudo. Where that is not possible (a laptop, a
# user without sudo, macOS), `test` says which tests will be skipped and succeeds: those tests
# print "skipped: install X" and `make test` counts them as skipped. `lint` fails instead, since
# the lint cannot run without shellcheck.
set -euo pipefail
purpose=${1:-test}
missing=()
want() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
case "$purpose" in
  test) want zip zip; want unzip unzip; want gpg gnupg ;;
  lint) want shellcheck shellcheck ;;
  *) echo "usage: $0 test|lint" >&2; exit 2 ;;
esac
[ ${#missing[@]} -eq 0 ] && exit 0

# cannot WHY: what happens when the tools cannot be installed here.
cannot() {
  if [ "$purpose" = test ]; then
    echo "note: ${missing[*]} missing and not installed ($1); the tests that need them are skipped" \
      "(each says \"skipped: install ...\"). Install ${missing[*]} to run them." >&2
    exit 0
  fi
  echo "make lint needs ${missing[*]} ($1): install ${missing[*]} (e.g. apt-get install ${missing[*]}, brew install ${missing[*]})" >&2
  exit 1
}
command -v apt-get >/dev/null 2>&1 || cannot "no apt-get on this machine"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || cannot "not root, and no sudo"
  # -n: never ask for a password; a laptop user without passwordless sudo is not stopped here.
  sudo -n true 2>/dev/null || cannot "not root, and sudo needs a password"
  sudo=(sudo -n)
fi
echo "installing ${missing[*]} with apt-get"
if ! { ${sudo[@]+"${sudo[@]}"} apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive ${sudo[@]+"${sudo[@]}"} apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
  cannot "apt-get failed"
fi
