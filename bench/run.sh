#!/usr/bin/env bash
# `make bench`: builds the release provider, then measures it side by side with its peers and
# writes bench/RESULTS.md. Every timing is a ratio against a peer measured alternately in the
# same run (the Go null provider 2.1.2 for start-up and plan/apply/refresh, one AWS call per
# resource for refreshes, the issue's targets for the micro-benchmarks). tfplugin's example
# provider runs beside them as the floor: what our SDK and Terraform core cost for a trivial
# resource.
#
#   bash bench/run.sh            # everything (about 20 minutes on 2 busy cores)
#   BENCH_RUNS=1 bash bench/run.sh   # one run per plan/apply/refresh step instead of 3
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="$root/.tools/venv/bin/python"
null_provider="$root/.tools/null-provider/terraform-provider-null_v2.1.2_x4"
[[ -x "$python" && -x "$null_provider" && -x "$root/.tools/bin/terraform" ]] || bash scripts/install-tools.sh

# Raw outputs stay in target/bench/ (git-ignored) for a closer look.
out="$root/target/bench"
rm -rf "$out"
mkdir -p "$out"
emulator_pid=""
cleanup() {
    if [[ -n "$emulator_pid" ]]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
# What is measured: the commit and time the run started (the report may be written later).
echo "$(git rev-parse --short HEAD) $(date -u '+%Y-%m-%d %H:%M')" > "$out/meta.txt"

echo "== building the release provider and the floor peer (tfplugin's example provider)" >&2
cargo build --release -q -p terraform-provider-autoscale
cargo build --release -q -p tfplugin --example example_provider
binary="$root/target/release/terraform-provider-autoscale"
floor="$root/target/release/examples/example_provider"

echo "== start-up (handshake) vs the null provider" >&2
echo "startup $(load)" >> "$out/load.txt"
"$python" bench/startup.py "$binary" "$null_provider" 40 "$floor" > "$out/startup.json"

echo "== plan/apply/refresh of 200 and 1000 resources vs null_resource and the three floors" >&2
echo "plan $(load)" >> "$out/load.txt"
"$python" bench/plan.py "$root" "$root/target/release" 200 1000 > "$out/plan.jsonl"

echo "== where Terraform core's plan time goes for our schema's shape (sweep and perf profile)" >&2
echo "shape $(load)" >> "$out/load.txt"
"$python" bench/shape.py "$root" "$root/target/release" 1000 > "$out/shape.json"

echo "== AWS calls per refresh (emulator call accounting)" >&2
echo "calls $(load)" >> "$out/load.txt"
PYTHONPATH="$root/emulator" "$python" -m autoscale_emulator --quiet > "$out/emulator.out" 2>&1 &
emulator_pid=$!
for _ in $(seq 100); do grep -q '^AWS_ENDPOINT_URL=' "$out/emulator.out" 2>/dev/null && break; sleep 0.2; done
endpoint="$(sed -n 's/^AWS_ENDPOINT_URL=//p' "$out/emulator.out" | head -1)"
[[ -n "$endpoint" ]] || { cat "$out/emulator.out" >&2; exit 1; }
"$python" bench/calls.py "$root" "$root/target/release" "$endpoint" > "$out/calls.jsonl"

echo "== criterion micro-benchmarks" >&2
echo "micro $(load)" >> "$out/load.txt"
rm -rf target/criterion
cargo bench -q -p autoscale-micro-benches --bench hot_paths -- --warm-up-time 1 --measurement-time 4 --noplot > "$out/criterion.txt" 2>&1 \
    || { cat "$out/criterion.txt" >&2; exit 1; }
echo "end $(load)" >> "$out/load.txt"

"$python" bench/report.py "$out" target/criterion > bench/RESULTS.md
echo "== wrote bench/RESULTS.md" >&2
