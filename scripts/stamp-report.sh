#!/usr/bin/env bash
# Records in a report written by a measurement (bench/soak.md after `make soak`) when and on
# which commit it ran: a `- **run**: ...` line under the title, replacing an earlier one.
# Usage: scripts/stamp-report.sh FILE "what ran"
set -euo pipefail
file=$1
what=$2
root=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit (with uncommitted changes)"
fi
line="- **run**: $what on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
tmp=$(mktemp)
awk -v line="$line" '
  NR == 1 { print; print ""; print line; print ""; next }
  /^- \*\*run\*\*: / { skip_blank = 1; next }
  NR == 2 && /^$/ { next }
  skip_blank && /^$/ { skip_blank = 0; next }
  { skip_blank = 0; print }
' "$file" >"$tmp"
mv "$tmp" "$file"
