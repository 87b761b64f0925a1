#!/usr/bin/env bash
# The closing lines of `make test`: the tests of every runner added up (pytest and cargo test),
# and the acceptance tests' stock lane (stock moto) on its own line, since it fails for reasons
# of its own (what a plainer backend lacks).
#
# Nothing that did not run counts as passed:
# - ignored: `#[ignore]`d tests (the real-AWS scenarios, run by `make testacc-aws`);
# - skipped: pytest's skips, and tests that stopped early with a `skipped: REASON [TEST]` line
#   (a Terraform release gate, a system tool that is not installed): cargo counts those as
#   passed, so they are moved from passed to skipped here, and each is listed.
# Usage: scripts/test-summary.sh LOG...
set -euo pipefail
# "81 passed, 2 skipped in 14.0s" (pytest); "test result: ok. 5 passed; 0 failed; 2 ignored; ..."
count() {
  awk -v word="$1" '{ for (i = 2; i <= NF; i++) if ($i ~ "^" word "[;,]?$" && $(i-1) ~ /^[0-9]+$/) s += $(i-1) } END { print s+0 }' "$2"
}
passed=0 failed=0 ignored=0 skipped=0
for log in "$@"; do
  passed=$((passed + $(count passed "$log")))
  failed=$((failed + $(count failed "$log")))
  ignored=$((ignored + $(count ignored "$log")))
  skipped=$((skipped + $(count skipped "$log")))
done
# Tests that stopped early (support/skip.rs), once each.
stopped=$(cat "$@" | grep -oE 'skipped: [^[]*\[[A-Za-z0-9_:]+\]' | sort -u || true)
n_stopped=$(printf '%s' "$stopped" | grep -c . || true)
passed=$((passed - n_stopped))
skipped=$((skipped + n_stopped + ignored))

# cargo's per-test lines: "test tags::stock::NAME ... ok" / "... FAILED".
stock_ok=$(cat "$@" | grep -cE '^test [a-z_0-9]+::stock::[a-z_0-9]+ \.\.\. ok$' || true)
stock_failed=$(cat "$@" | grep -E '^test [a-z_0-9]+::stock::[a-z_0-9]+ \.\.\. FAILED$' | sed -E 's/^test ([^ ]+) .*/\1/' || true)
if [ "$n_stopped" -gt 0 ]; then
  echo "stopped early, counted as skipped ($n_stopped):"
  printf '%s\n' "$stopped" | sed 's/^/  /'
fi
if [ "$ignored" -gt 0 ]; then
  echo "ignored: $ignored (#[ignore]d: the real-AWS scenarios, which only \`make testacc-aws\` runs)"
fi
if [ $((stock_ok)) -gt 0 ] || [ -n "$stock_failed" ]; then
  echo "stock lane: ${stock_ok} passed, $(printf '%s' "$stock_failed" | grep -c . || true) failed${stock_failed:+:}" \
    "$(printf '%s' "$stock_failed" | tr '\n' ' ')"
fi
echo "total: ${passed} passed, ${failed} failed, ${skipped} skipped"
