#!/usr/bin/env bash
# `make release VERSION=x.y.z`: packages built provider binaries in the layout the Terraform
# registry and filesystem mirrors expect, in $DIST (default dist/):
#   terraform-provider-aws_X.Y.Z_<os>_<arch>.zip   holding terraform-provider-aws_vX.Y.Z
#                                                  (terraform-provider-aws_vX.Y.Z.exe on windows)
#   terraform-provider-aws_X.Y.Z_manifest.json     plugin protocol 6.0
#   terraform-provider-aws_X.Y.Z_SHA256SUMS        over the zips and the manifest
#   terraform-provider-aws_X.Y.Z_SHA256SUMS.sig    only when GPG_FINGERPRINT names a signing key
#                                                  (a binary detached signature, as the registry
#                                                  wants; GNUPGHOME picks the keyring and
#                                                  GPG_PASSPHRASE_FILE unlocks the key if needed)
#
# Usage: scripts/release.sh X.Y.Z
#   PROVIDER_BINARY    the binary for this machine's platform (default target/release/terraform-provider-aws)
#   RELEASE_TARGETS    Rust target triples already built with `cargo build --release --target T`
#                      (binary in target/T/release/); each becomes the matching Terraform platform.
#   PROVIDER_BINARIES  "<os>_<arch>=PATH ..." pairs: binaries built elsewhere (the release
#                      workflow's per-platform jobs). Given, only these are packaged.
# Refuses to package when CHANGELOG.md has no entry for the version, or when a binary that can
# run here reports another version than X.Y.Z (the crate version in Cargo.toml decides it).
#
# Portable: runs under macOS's bash 3.2 and BSD tools as well as GNU ones (no associative arrays,
# no GNU-only options; `shasum -a 256` where there is no sha256sum). `make lint` checks for the
# constructs that break there (scripts/check-portable.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=terraform-provider-aws

version=${1:-}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
  { echo "usage: $0 X.Y.Z (a semantic version, without a leading v); got '${version}'" >&2; exit 2; }

changelog="$root/CHANGELOG.md"
# An entry is a second-level heading naming the version: `## 1.2.3` or `## [1.2.3] - date`.
grep -Eq "^## \[?${version//./\\.}\]?([ ]|$)" "$changelog" 2>/dev/null ||
  { echo "CHANGELOG.md has no '## $version' entry: write one before releasing" >&2; exit 1; }

dist=${DIST:-$root/dist}
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)

# The five platforms Terraform users run, and the only ones packaged.
known_platforms="darwin_amd64 darwin_arm64 linux_amd64 linux_arm64 windows_amd64"

# Terraform's <os>_<arch> for a Rust target triple.
platform_of() {
  local os arch
  case $1 in
    *-linux-*) os=linux ;;
    *-apple-darwin) os=darwin ;;
    *-windows-*) os=windows ;;
    *) echo "no Terraform platform known for target $1" >&2; return 1 ;;
  esac
  case ${1%%-*} in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    *) echo "no Terraform architecture known for target $1" >&2; return 1 ;;
  esac
  echo "${os}_${arch}"
}

host_platform() {
  local os arch
  case $(uname -s) in Linux) os=linux ;; Darwin) os=darwin ;; MINGW* | MSYS* | CYGWIN*) os=windows ;; *) os=unknown ;; esac
  case $(uname -m) in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=unknown ;; esac
  echo "${os}_${arch}"
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# The binaries to package, as "platform=path" entries (bash 3.2 has no associative arrays).
# A later entry for a platform replaces an earlier one.
entries=()
add_binary() {
  local platform=$1 path=$2 kept=() e
  case " $known_platforms " in
    *" $platform "*) ;;
    *) echo "unknown platform '$platform' (one of: $known_platforms)" >&2; exit 2 ;;
  esac
  for e in ${entries[@]+"${entries[@]}"}; do
    [ "${e%%=*}" = "$platform" ] || kept+=("$e")
  done
  entries=(${kept[@]+"${kept[@]}"} "$platform=$path")
}

host=$(host_platform)
if [ -n "${PROVIDER_BINARIES:-}" ]; then
  for pair in $PROVIDER_BINARIES; do
    case $pair in
      *=*) add_binary "${pair%%=*}" "${pair#*=}" ;;
      *) echo "PROVIDER_BINARIES: '$pair' is not <os>_<arch>=PATH" >&2; exit 2 ;;
    esac
  done
else
  add_binary "$host" "${PROVIDER_BINARY:-$root/target/release/$name}"
  for triple in ${RELEASE_TARGETS:-}; do
    exe=$name
    case $triple in *windows*) exe=$name.exe ;; esac
    add_binary "$(platform_of "$triple")" "$root/target/$triple/release/$exe"
  done
fi

[ ${#entries[@]} -gt 0 ] || { echo "no binary to package" >&2; exit 2; }

# Every binary is checked before dist/ is touched: a failed release leaves the last one intact.
for e in "${entries[@]}"; do
  platform=${e%%=*} bin=${e#*=}
  [ -f "$bin" ] || { echo "no binary for $platform at $bin (build it first)" >&2; exit 1; }
  if [ "$platform" = "$host" ]; then
    reported=$("$bin" --version 2>/dev/null || true)
    [ "$reported" = "$name $version" ] || {
      echo "$bin reports '${reported}', not '$name $version': set the version in Cargo.toml and rebuild" >&2
      exit 1
    }
  fi
done

# Start from nothing of this version, so the checksums never list a stale archive.
rm -f "$dist/${name}_${version}_"*

# Fixed timestamps inside the zips, in UTC: the same binary gives the same archive, hence the
# same hash, on any machine. GNU date takes `-d @N`, BSD date `-r N`.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
stamp=$(date -u -d "@$epoch" +%Y%m%d%H%M.%S 2>/dev/null || date -u -r "$epoch" +%Y%m%d%H%M.%S)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

for e in "${entries[@]}"; do
  platform=${e%%=*} bin=${e#*=}
  exe=${name}_v${version}
  case $platform in windows_*) exe=$exe.exe ;; esac
  mkdir -p "$stage/$platform"
  cp "$bin" "$stage/$platform/$exe"
  chmod 0755 "$stage/$platform/$exe"
  TZ=UTC0 touch -t "$stamp" "$stage/$platform/$exe"
  (cd "$stage/$platform" && TZ=UTC0 zip -q -X "$dist/${name}_${version}_${platform}.zip" "$exe")
  echo "packaged $platform: $dist/${name}_${version}_${platform}.zip"
done

# The registry reads the plugin protocol versions from this manifest.
printf '{"version":1,"metadata":{"protocol_versions":["6.0"]}}\n' >"$dist/${name}_${version}_manifest.json"

(cd "$dist" && sha256 "${name}_${version}_"*.zip "${name}_${version}_manifest.json" >"${name}_${version}_SHA256SUMS")
if [ -n "${GPG_FINGERPRINT:-}" ]; then
  # A key with a passphrase (the release workflow's): GPG_PASSPHRASE_FILE holds it.
  passphrase=()
  [ -z "${GPG_PASSPHRASE_FILE:-}" ] || passphrase=(--pinentry-mode loopback --passphrase-file "$GPG_PASSPHRASE_FILE")
  gpg --batch --yes ${passphrase[@]+"${passphrase[@]}"} --local-user "$GPG_FINGERPRINT" --detach-sign \
    --output "$dist/${name}_${version}_SHA256SUMS.sig" "$dist/${name}_${version}_SHA256SUMS"
fi
echo "release $version in $dist:"
sed 's/^/  /' "$dist/${name}_${version}_SHA256SUMS"
