#!/usr/bin/env bash
# A short tour of aws_ami_copy against the EC2 emulator: `make demo` runs it as
#   scripts/with-emulator.sh scripts/demo.sh
# (AMICOPY_EMULATOR_URL and TERRAFORM exported). It copies an AMI from us-west-1 to us-east-1 with
# the registry pages' example configurations (data "aws_ami" finds the source, aws_ami_copy copies
# it), shows the result, shows that a second plan is empty, destroys the copy and shows that
# nothing of it is left. Exits non-zero on any failure. Portable to macOS's bash 3.2 and BSD
# tools (`make lint` runs scripts/check-portable.sh on it): no GNU-only options.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
: "${AMICOPY_EMULATOR_URL:?run me through scripts/with-emulator.sh (make demo)}"
tf_bin=${TERRAFORM:-terraform}
py="$root/.tools/venv/bin/python"
bin_dir="$root/target/debug"
[ -x "$bin_dir/terraform-provider-aws" ] || { echo "no provider binary in $bin_dir: run make build" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/amicopy-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
# dev_overrides gets a folder with only the binary: in target/debug Terraform may pick cargo's
# terraform-provider-aws.d instead.
mkdir "$work/plugin"
cp "$bin_dir/terraform-provider-aws" "$work/plugin/"
log="$work/terraform.log"

export DEMO_ACCESS_KEY=AKIDDEMO$$
export TF_CLI_CONFIG_FILE="$work/cli.tfrc"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 NO_COLOR=1 AWS_EC2_METADATA_DISABLED=true
for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do
  [ "$v" = AWS_EC2_METADATA_DISABLED ] || unset "$v"
done
unset TF_LOG TF_LOG_PROVIDER

step() { printf '\n== %s\n' "$*"; }
tf() { (cd "$work" && "$tf_bin" "$@"); }
# Runs terraform quietly; on failure shows the end of its output and stops the demo.
tf_quiet() {
  if ! tf "$@" >"$log" 2>&1; then
    echo "terraform $1 failed; the end of its output:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

step "1. A source AMI in us-west-1 (emulator at $AMICOPY_EMULATOR_URL)"
source_name="golden-demo-$$"
source_id=$("$py" "$root/scripts/demo_source_ami.py" source us-west-1 "$source_name")
echo "  source: $source_id ($source_name, us-west-1)"

step "2. The configuration: the registry examples (the copy's source found by data \"aws_ami\"), and a provider block for the emulator"
cat >"$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "amicopy/aws" = "$work/plugin"
  }
  direct {}
}
CFG
cat >"$work/provider.tf" <<CFG
terraform {
  required_providers {
    aws = {
      source = "amicopy/aws"
    }
  }
}

provider "aws" {
  region     = "us-east-1"
  access_key = "$DEMO_ACCESS_KEY"
  secret_key = "demo-secret"

  endpoints {
    ec2 = "$AMICOPY_EMULATOR_URL"
    sts = "$AMICOPY_EMULATOR_URL"
  }
}
CFG
cp "$root/examples/data-sources/aws_ami/data-source.tf" "$work/lookup.tf"
sed -E 's/(source_ami_id *= *)"[^"]*"/\1data.aws_ami.golden.id/' "$root/examples/resources/aws_ami_copy/resource.tf" >"$work/main.tf"
sed 's/^/  | /' "$work/lookup.tf"
echo "  |"
sed 's/^/  | /' "$work/main.tf"

# Milliseconds since the epoch (BSD date cannot print nanoseconds).
now_ms() { "$py" -c 'import time; print(int(time.time() * 1000))'; }

step "3. terraform apply"
start=$(now_ms)
tf_quiet apply -auto-approve -input=false -no-color
grep -E '^(data.aws_ami|aws_ami_copy|Apply complete)' "$log" | sed 's/^/  /'
ms=$(($(now_ms) - start))
printf '  (%d.%01d s)\n' $((ms / 1000)) $((ms % 1000 / 100))
tf show -json >"$work/state.json"
read -r found_id copy_id copy_arn copy_state snaps < <("$py" - "$work/state.json" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
resources = {r["address"]: r["values"] for r in state["values"]["root_module"]["resources"]}
found = resources.get("data.aws_ami.golden", {}).get("id") or "-"
v = resources["aws_ami_copy.example"]
snaps = ",".join(sorted(d["snapshot_id"] for d in v["ebs_block_device"]))
print(found, v["id"], v["arn"], v.get("state") or "-", snaps or "-")
PY
)
[ "$found_id" = "$source_id" ] || { echo "data.aws_ami.golden found $found_id, not the source $source_id" >&2; exit 1; }
echo "  found:     $found_id (data.aws_ami.golden)"
if [ -z "${copy_id:-}" ] || [ "$copy_id" = "${copy_id#ami-}" ]; then
  echo "no aws_ami_copy.example in the state" >&2
  exit 1
fi
echo "  id:        $copy_id"
echo "  arn:       $copy_arn"
echo "  state:     $copy_state"
echo "  snapshots: ${snaps//,/ }"

step "4. A second plan has nothing to do"
set +e
tf plan -detailed-exitcode -input=false -no-color >"$log" 2>&1
code=$?
set -e
if [ "$code" -ne 0 ]; then
  echo "  plan -detailed-exitcode returned $code (0 expected); its output:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
grep -E '^No changes' "$log" | sed 's/^/  /'

step "5. terraform destroy"
tf_quiet destroy -auto-approve -input=false -no-color
grep -E '^(aws_ami_copy|Destroy complete)' "$log" | sed 's/^/  /'

step "6. What the emulator still has of the copy (listed with boto3)"
IFS=, read -r -a snap_list <<<"${snaps/#-/}"
"$py" "$root/scripts/demo_source_ami.py" leftovers us-east-1 terraform-example "${snap_list[@]}"

printf '\nDemo succeeded: copied %s (us-west-1) to %s (us-east-1), re-planned clean, destroyed it and left nothing behind.\n' \
  "$source_id" "$copy_id"
