#!/usr/bin/env bash
# `make release VERSION=x.y.z`: packages built provider binaries in the layout the Terraform
# registry and filesystem mirrors expect, in $DIST (default dist/):
#   terraform-provider-aws_X.Y.Z_<os>_<arch>.zip   holding terraform-provider-aws_vX.Y.Z
#   terraform-provider-aws_X.Y.Z_manifest.json     plugin protocol 6.0
#   terraform-provider-aws_X.Y.Z_SHA256SUMS        over the zips and the manifest
#   terraform-provider-aws_X.Y.Z_SHA256SUMS.sig    only when GPG_FINGERPRINT names a signing key
#
# Usage: scripts/release.sh X.Y.Z
#   PROVIDER_BINARY  the binary for this machine's platform (default target/release/terraform-provider-aws)
#   RELEASE_TARGETS  Rust target triples already built with `cargo build --release --target T`
#                    (binary in target/T/release/); each becomes the matching Terraform platform.
# Refuses to package when CHANGELOG.md has no entry for the version, or when a binary that can
# run here reports another version than X.Y.Z (the crate version in Cargo.toml decides it).
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

# Terraform's <os>_<arch> for a Rust target triple.
platform_of() {
  local os arch
  case $1 in
    *-linux-*) os=linux ;;
    *-apple-darwin) os=darwin ;;
    *-windows-*) os=windows ;;
    *-freebsd) os=freebsd ;;
    *) echo "no Terraform platform known for target $1" >&2; return 1 ;;
  esac
  case ${1%%-*} in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    i686) arch=386 ;;
    armv7) arch=arm ;;
    *) echo "no Terraform architecture known for target $1" >&2; return 1 ;;
  esac
  echo "${os}_${arch}"
}

host_platform() {
  local os arch
  case $(uname -s) in Linux) os=linux ;; Darwin) os=darwin ;; FreeBSD) os=freebsd ;; *) os=unknown ;; esac
  case $(uname -m) in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=unknown ;; esac
  echo "${os}_${arch}"
}

# platform=binary pairs; a cross-built target wins over the host binary for the same platform.
declare -A binaries=()
host=$(host_platform)
binaries[$host]=${PROVIDER_BINARY:-$root/target/release/$name}
for triple in ${RELEASE_TARGETS:-}; do
  exe=$name
  [[ $triple == *windows* ]] && exe=$name.exe
  platform=$(platform_of "$triple")
  binaries[$platform]=$root/target/$triple/release/$exe
done

# Every binary is checked before dist/ is touched: a failed release leaves the last one intact.
for platform in "${!binaries[@]}"; do
  bin=${binaries[$platform]}
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

# Fixed timestamps inside the zips: the same binary gives the same archive, hence the same hash.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

for platform in "${!binaries[@]}"; do
  bin=${binaries[$platform]}
  exe=${name}_v${version}
  [[ $platform == windows_* ]] && exe=$exe.exe
  mkdir -p "$stage/$platform"
  install -m 0755 "$bin" "$stage/$platform/$exe"
  touch -d "@$epoch" "$stage/$platform/$exe"
  (cd "$stage/$platform" && zip -q -X "$dist/${name}_${version}_${platform}.zip" "$exe")
  echo "packaged $platform: $dist/${name}_${version}_${platform}.zip"
done

# The registry reads the plugin protocol versions from this manifest.
printf '{"version":1,"metadata":{"protocol_versions":["6.0"]}}\n' >"$dist/${name}_${version}_manifest.json"

(cd "$dist" && sha256sum "${name}_${version}_"*.zip "${name}_${version}_manifest.json" >"${name}_${version}_SHA256SUMS")
if [ -n "${GPG_FINGERPRINT:-}" ]; then
  gpg --batch --yes --local-user "$GPG_FINGERPRINT" --detach-sign \
    --output "$dist/${name}_${version}_SHA256SUMS.sig" "$dist/${name}_${version}_SHA256SUMS"
fi
echo "release $version in $dist:"
sed 's/^/  /' "$dist/${name}_${version}_SHA256SUMS"
