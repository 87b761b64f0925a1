#!/usr/bin/env bash
# The closing lines of `make test`: the tests of every runner added up (pytest and cargo test),
# and the acceptance tests' stock lane (stock moto) on its own line, since it fails for reasons
# of its own (what a plainer backend lacks).
set -euo pipefail
passed=0 failed=0
for log in "$@"; do
  # pytest: "81 passed in 14.0s" / "1 failed, 80 passed in ..."; cargo: "test result: ok. 5 passed; 0 failed; ..."
  p=$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^passed/) s += $(i-1) } END { print s+0 }' "$log")
  f=$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^failed/) s += $(i-1) } END { print s+0 }' "$log")
  passed=$((passed + p)) failed=$((failed + f))
done
# cargo's per-test lines: "test tags::stock::NAME ... ok" / "... FAILED".
stock_ok=$(cat "$@" | grep -cE '^test [a-z_]+::stock::[a-z_0-9]+ \.\.\. ok$' || true)
stock_failed=$(cat "$@" | grep -E '^test [a-z_]+::stock::[a-z_0-9]+ \.\.\. FAILED$' | sed -E 's/^test ([^ ]+) .*/\1/' || true)
if [ $((stock_ok)) -gt 0 ] || [ -n "$stock_failed" ]; then
  echo "stock lane: ${stock_ok} passed, $(printf '%s' "$stock_failed" | grep -c . || true) failed${stock_failed:+:}" \
    "$(printf '%s' "$stock_failed" | tr '\n' ' ')"
fi
echo "total: ${passed} passed, ${failed} failed"
