#!/usr/bin/env bash
# The body of `make test`: one emulator for the whole run, every unit and acceptance test, the
# docs-are-current check, the whole-suite IAM check (every call the provider made is in its
# policy), and a check that no emulator or provider process is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

# Every process this run starts inherits this marker, so leftovers can be found by it alone.
export AUTOSCALE_TEST_RUN="run-$$-$(date +%s%N)"
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
if target/debug/terraform-provider-autoscale docs "$docs_tmp" >/dev/null 2>&1 && diff -ru -x design -x guides docs "$docs_tmp" >/dev/null; then
  echo "docs: up to date"
else
  diff -ru -x design -x guides docs "$docs_tmp" | head -40 || true
  echo "docs/ is stale: run \`make docs\` and commit the result" >&2
  status=1
fi
rm -rf "$docs_tmp"

echo "== cargo tests"
cargo test --workspace --all-targets ${CARGO_TEST_ARGS:-} || status=1

echo "== every AWS call the provider made is in its IAM policy"
policy=$(mktemp)
if target/debug/terraform-provider-autoscale iam-policy >"$policy"; then
  .tools/venv/bin/python scripts/check-iam-calls.py "$endpoint" "$policy" || status=1
else
  echo "iam-policy failed" >&2
  status=1
fi
rm -f "$policy"

echo "== leftover processes"
sleep 1
leftovers=""
for environ in /proc/[0-9]*/environ; do
  pid=${environ#/proc/}; pid=${pid%/environ}
  [ "$pid" = "$$" ] || [ "$pid" = "$emulator_pid" ] || [ "$pid" = "$BASHPID" ] && continue
  if tr '\0' '\n' 2>/dev/null <"$environ" | grep -qx "AUTOSCALE_TEST_RUN=$AUTOSCALE_TEST_RUN"; then
    leftovers="$leftovers $pid:$(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | cut -c1-120)"
  fi
done
if [ -n "$leftovers" ]; then
  echo "processes left behind by the tests:$leftovers" >&2
  status=1
else
  echo "none"
fi
# The suite's wall time, printed and kept for bench/RESULTS.md (CI allows 90 minutes on 2 cores).
seconds=$(( $(date +%s) - started ))
printf '{"seconds": %d, "commit": "%s", "date": "%s"}\n' "$seconds" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$(date -u +%Y-%m-%dT%H:%MZ)" > target/make-test-time.json
echo "make test: $((seconds / 60)) min $((seconds % 60)) s"
exit $status
