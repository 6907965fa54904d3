#!/usr/bin/env bash
# The body of `make test`: one emulator for the whole run, every unit and acceptance test, the
# docs-are-current check, and a check that no emulator or provider process is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log=$(mktemp)
PYTHONPATH="$root/emulator" .tools/venv/bin/python -m autoscale_emulator --quiet >"$log" 2>&1 &
emulator_pid=$!
cleanup() {
  kill "$emulator_pid" 2>/dev/null || true
  wait "$emulator_pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

for _ in $(seq 1 600); do
  grep -q '^AWS_ENDPOINT_URL=' "$log" && break
  kill -0 "$emulator_pid" 2>/dev/null || { cat "$log"; echo "the emulator did not start" >&2; exit 1; }
  sleep 0.1
done
endpoint=$(grep '^AWS_ENDPOINT_URL=' "$log" | head -n1 | cut -d= -f2-)
[ -n "$endpoint" ] || { cat "$log"; echo "the emulator printed no endpoint" >&2; exit 1; }
export AUTOSCALE_EMULATOR_ENDPOINT="$endpoint"
echo "emulator: $endpoint"

status=0
echo "== emulator tests"
.tools/venv/bin/python -m pytest emulator/tests -q -p no:cacheprovider || status=1

echo "== docs are current"
docs_tmp=$(mktemp -d)
if target/debug/terraform-provider-autoscale docs "$docs_tmp" >/dev/null 2>&1 && diff -ru -x design docs "$docs_tmp" >/dev/null; then
  echo "docs: up to date"
else
  diff -ru -x design docs "$docs_tmp" | head -40 || true
  echo "docs/ is stale: run \`make docs\` and commit the result" >&2
  status=1
fi
rm -rf "$docs_tmp"

echo "== cargo tests"
cargo test --workspace --all-targets ${CARGO_TEST_ARGS:-} || status=1

echo "== leftover processes"
sleep 1
if pgrep -f 'terraform-provider-autoscale|examples/example_provider' >/dev/null; then
  pgrep -af 'terraform-provider-autoscale|examples/example_provider' || true
  echo "a provider process was left behind" >&2
  status=1
else
  echo "none"
fi
exit $status
