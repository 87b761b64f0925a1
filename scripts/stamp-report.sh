#!/usr/bin/env bash
# Records in a report written by a measurement (bench/soak.md after `make soak`) when and on
# which commit it ran: a `- **run**: ...` line under the title, replacing an earlier one.
# With LOG and STATUS, also appends a row for this run (date, commit, outcome, the report's
# fault seed) to LOG, so that successive runs stay on record, failed ones included.
# "With uncommitted changes" means changes to tracked files other than the report itself.
# Usage: scripts/stamp-report.sh FILE "what ran" [LOG STATUS]
set -euo pipefail
file=$1
what=$2
log=${3:-}
status=${4:-0}
root=$(cd "$(dirname "$0")/.." && pwd)
rel=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
rel=${rel#"$root"/}
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
clean=yes
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no -- . ":(exclude)$rel" ${log:+":(exclude)${log#"$root"/}"} 2>/dev/null)" ]; then
  commit="$commit (with uncommitted changes)"
  clean=no
fi
when=$(date -u '+%Y-%m-%d %H:%M UTC')
# A failed run may not have written the report: the report keeps the last passing run's stamp.
if [ -f "$file" ] && [ "$status" = 0 ]; then
  line="- **run**: $what on $when, commit $commit"
  tmp=$(mktemp)
  awk -v line="$line" '
    NR == 1 { print; print ""; print line; print ""; next }
    /^- \*\*run\*\*: / { skip_blank = 1; next }
    NR == 2 && /^$/ { next }
    skip_blank && /^$/ { skip_blank = 0; next }
    { skip_blank = 0; print }
  ' "$file" >"$tmp"
  # Written over, not moved: the report keeps its permissions.
  cat "$tmp" >"$file"
  rm -f "$tmp"
fi
if [ -n "$log" ]; then
  if [ ! -f "$log" ]; then
    printf '%s\n\n%s\n\n%s\n%s\n' "# Runs of $what" \
      "One row per run, appended by \`scripts/stamp-report.sh\`; the last passing run's figures are in \`$rel\`." \
      "| date | commit | tree clean | outcome | fault seed |" "|---|---|---|---|---|" >"$log"
  fi
  outcome=passed
  [ "$status" = 0 ] || outcome="failed (exit $status)"
  seed="in the run's output"
  if [ "$status" = 0 ]; then
    seed=$(sed -n 's/.*Fault seed \([0-9][0-9]*\).*/\1/p' "$file" 2>/dev/null | head -n 1)
  fi
  printf '| %s | %s | %s | %s | %s |\n' "$when" "${commit%% *}" "$clean" "$outcome" "${seed:-?}" >>"$log"
fi
