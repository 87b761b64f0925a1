#!/usr/bin/env bash
# `make mirror DIR=...`: adds the release in dist/ to a provider network mirror in DIR, in the
# layout of Terraform's provider network mirror protocol (serve DIR over HTTPS as it is):
#   DIR/registry.terraform.io/amicopy/aws/index.json        every version in the mirror
#   DIR/registry.terraform.io/amicopy/aws/X.Y.Z.json        that version's zips, with zh: hashes
#   DIR/registry.terraform.io/amicopy/aws/<the zips>
# The zh: hashes are the release's SHA256SUMS (checked against the zips here): what the registry
# publishes and what lock files record, so a lock made from the registry or from SHA256SUMS
# accepts the mirror's packages. Other versions already in DIR are kept and listed.
#
# Usage: scripts/mirror.sh X.Y.Z DIR   (DIST: where the release is, default dist/)
# Portable like scripts/release.sh (macOS bash 3.2, BSD tools).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=terraform-provider-aws

version=${1:-}
out=${2:-}
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || [ -z "$out" ]; then
  echo "usage: $0 X.Y.Z DIR (a release made by scripts/release.sh in \$DIST, default dist/)" >&2
  exit 2
fi

dist=${DIST:-$root/dist}
sums="$dist/${name}_${version}_SHA256SUMS"
[ -f "$sums" ] || { echo "no $sums: run make release first" >&2; exit 1; }

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

provider_dir="$out/registry.terraform.io/amicopy/aws"
mkdir -p "$provider_dir"

# One archive entry per zip that SHA256SUMS lists, after checking the zip against it.
archives=""
count=0
while read -r hash file; do
  case $file in
    "${name}_${version}_"*.zip) ;;
    *) continue ;;
  esac
  platform=${file#"${name}_${version}_"}
  platform=${platform%.zip}
  actual=$(sha256 "$dist/$file" | cut -d' ' -f1)
  [ "$actual" = "$hash" ] || { echo "$dist/$file does not match SHA256SUMS ($actual, listed $hash)" >&2; exit 1; }
  cp "$dist/$file" "$provider_dir/$file"
  [ -z "$archives" ] || archives="$archives,"
  archives="$archives
    \"$platform\": {\"url\": \"$file\", \"hashes\": [\"zh:$hash\"]}"
  count=$((count + 1))
done <"$sums"
[ "$count" -gt 0 ] || { echo "$sums lists no zips" >&2; exit 1; }

printf '{\n  "archives": {%s\n  }\n}\n' "$archives" >"$provider_dir/$version.json"

# index.json: every version that has a <version>.json here.
versions=""
for f in "$provider_dir"/*.json; do
  v=$(basename "$f" .json)
  [ "$v" != index ] || continue
  [ -z "$versions" ] || versions="$versions,"
  versions="$versions
    \"$v\": {}"
done
printf '{\n  "versions": {%s\n  }\n}\n' "$versions" >"$provider_dir/index.json"

echo "network mirror in $out: amicopy/aws $version, platforms: $count"
