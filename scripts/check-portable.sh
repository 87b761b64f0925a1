#!/usr/bin/env bash
# `make lint`: the release scripts and `make demo`'s scripts must run under macOS's bash 3.2 and
# BSD tools. Flags the constructs that work here and break there: bash 4+ features and GNU-only
# options. Usage: scripts/check-portable.sh FILE...
set -euo pipefail

# pattern<TAB>why (single-quoted on purpose: the patterns are literal text)
# shellcheck disable=SC2016
rules='declare -A|local -A	associative arrays need bash 4
\bmapfile\b|\breadarray\b	mapfile/readarray need bash 4
\$\{[A-Za-z_][A-Za-z0-9_]*(,,|\^\^)	case conversion ${x,,} needs bash 4
\blocal -n\b|\bdeclare -n\b	namerefs need bash 4.3
\|&	|& needs bash 4
\bwait -n\b	wait -n needs bash 4.3
touch -d	BSD touch has no -d: use TZ=UTC0 touch -t
\bsed -i	BSD sed -i needs an argument: write to a new file instead
\breadlink -f\b	BSD readlink has no -f
\bsha256sum\b	macOS has no sha256sum: fall back to shasum -a 256 on the same line
\bdate [^|;]*%N	BSD date has no %N (nanoseconds): ask python or perl for the time
\bmktemp [^|;]*-t 	mktemp -t means a prefix on BSD and a template on GNU: give a full path template
\bstat -c	BSD stat has no -c: use stat -f, or wc -c for a size
\bsed -r\b	BSD sed has no -r: use sed -E
\bgrep -P	BSD grep has no -P: use grep -E
\bxargs -r\b	BSD xargs has no -r
\btimeout [0-9]	macOS has no timeout command
&>>	&>> needs bash 4
\$\{[A-Za-z_][A-Za-z0-9_]*@[QEPAa]\}	${x@Q} needs bash 4.4'

# A line that also names the portable fallback (`shasum -a 256`), or says `portable-ok` with a
# reason, passes.
status=0
for file in "$@"; do
  while IFS='	' read -r pattern why; do
    hits=$(grep -nE "$pattern" "$file" | grep -vE 'portable-ok|shasum -a 256' || true)
    [ -z "$hits" ] && continue
    while IFS= read -r hit; do
      echo "$file:$hit: $why" >&2
    done <<<"$hits"
    status=1
  done <<<"$rules"
done
exit $status
