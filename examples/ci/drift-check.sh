#!/usr/bin/env bash
# Drift check for CI: plans a Terraform working directory with -detailed-exitcode and, when the
# real infrastructure no longer matches, prints which resources and attributes drifted.
#
#   drift-check.sh [DIR]      (DIR defaults to the current directory; terraform must be on PATH
#                              or in $TERRAFORM; the directory must be initialised)
#
# Exit codes: 0 no drift · 2 drift or pending changes (summary on stdout) · 1 terraform failed.
set -uo pipefail
dir=${1:-.}
terraform=${TERRAFORM:-terraform}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
plan_file=$(mktemp)
trap 'rm -f "$plan_file" "$plan_file.json"' EXIT

"$terraform" -chdir="$dir" plan -detailed-exitcode -input=false -no-color -lock=false -out="$plan_file" >"$plan_file.log" 2>&1
status=$?
case $status in
  0)
    echo "No drift: the infrastructure matches the configuration."
    rm -f "$plan_file.log"
    exit 0
    ;;
  2)
    "$terraform" -chdir="$dir" show -json "$plan_file" >"$plan_file.json" || { cat "$plan_file.log"; exit 1; }
    rm -f "$plan_file.log"
    python3 "$here/drift_summary.py" "$plan_file.json"
    exit 2
    ;;
  *)
    cat "$plan_file.log" >&2
    rm -f "$plan_file.log"
    echo "terraform plan failed (exit $status)" >&2
    exit 1
    ;;
esac
