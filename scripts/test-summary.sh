#!/usr/bin/env bash
# The closing line of `make test`: the tests of every runner added up (pytest and cargo test).
set -euo pipefail
passed=0 failed=0
for log in "$@"; do
  # pytest: "81 passed in 14.0s" / "1 failed, 80 passed in ..."; cargo: "test result: ok. 5 passed; 0 failed; ..."
  p=$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^passed/) s += $(i-1) } END { print s+0 }' "$log")
  f=$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^failed/) s += $(i-1) } END { print s+0 }' "$log")
  passed=$((passed + p)) failed=$((failed + f))
done
echo "total: ${passed} passed, ${failed} failed"
