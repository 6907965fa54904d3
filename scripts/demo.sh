#!/usr/bin/env bash
# `make demo`: build the provider, start the local AWS emulator, create the EKS cluster the
# quickstart expects (clusters are not this provider's business), apply examples/quickstart, and
# say what to do next. Other commands:
#
#   scripts/demo.sh env     the `export` lines that point terraform at the running demo
#                           (eval "$(scripts/demo.sh env)"), for planning and applying by hand
#   scripts/demo.sh shell   `make demo-shell`: a shell with those variables set
#   scripts/demo.sh stop    `make demo-stop`: destroy the demo (fails when destroy fails, and
#                           then keeps the emulator and state so it can be retried), stop the
#                           emulator, remove the demo's files
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state="$root/.emulator"
quickstart="$root/examples/quickstart"
cli_config="$state/demo.tfrc"

# The environment terraform runs with in the demo, as shell `export` lines: the demo applies with
# exactly what `env` prints, so what a person runs by hand is what the demo ran.
demo_env() {
  printf 'export TF_CLI_CONFIG_FILE=%q\n' "$cli_config"
  printf 'export PATH=%q:"$PATH"\n' "$root/.tools/bin"
  printf 'export CHECKPOINT_DISABLE=1\n'
  printf 'export AWS_ENDPOINT_URL=%q\n' "$endpoint"
  printf 'export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing\n'
  printf 'export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true\n'
}

# dev_overrides: terraform runs target/debug's binary as it is, with no `terraform init`.
write_cli_config() {
  mkdir -p "$state"
  cat >"$cli_config" <<EOF2
provider_installation {
  dev_overrides {
    "autoscale/autoscale" = "$root/target/debug"
  }
  direct {}
}
EOF2
}

tf() {
  (
    eval "$(demo_env)"
    TF_IN_AUTOMATION=1 terraform -chdir="$quickstart" "$@"
  )
}

# The running emulator's endpoint, or a message saying how to start the demo.
running_endpoint() {
  bash emulator/daemon.sh url 2>/dev/null || {
    echo "the demo is not running: start it with make demo" >&2
    return 1
  }
}

case "${1:-}" in
  env)
    endpoint=$(running_endpoint)
    write_cli_config
    demo_env
    exit 0
    ;;
  shell)
    endpoint=$(running_endpoint)
    write_cli_config
    echo "terraform here runs against the demo's emulator at $endpoint; exit to leave."
    echo "Try: terraform plan"
    cd "$quickstart"
    eval "$(demo_env)"
    exec "${SHELL:-bash}" -i
    ;;
  stop)
    if endpoint=$(bash emulator/daemon.sh url 2>/dev/null); then
      if [ -f "$quickstart/terraform.tfstate" ]; then
        echo "== terraform destroy examples/quickstart"
        write_cli_config
        if ! tf destroy -auto-approve -input=false -no-color; then
          echo >&2
          echo "terraform destroy failed (above): the emulator at $endpoint and examples/quickstart/terraform.tfstate" >&2
          echo "are kept. Fix the cause and run make demo-stop again." >&2
          exit 1
        fi
      fi
    elif [ -f "$quickstart/terraform.tfstate" ]; then
      # The emulator keeps everything in memory: with it gone, so are the objects in the state.
      echo "the emulator is not running: its objects are gone with it; removing the demo's state"
    fi
    rm -f "$quickstart/terraform.tfstate" "$quickstart/terraform.tfstate.backup" "$cli_config"
    # destroy deleted the manifest files; anything else in out/ is not ours to remove.
    rmdir "$quickstart/out" 2>/dev/null || true
    bash emulator/daemon.sh stop
    exit 0
    ;;
  "") ;;
  *)
    echo "usage: scripts/demo.sh [env | shell | stop]" >&2
    exit 2
    ;;
esac

echo "== building the provider"
make --no-print-directory -s provider CARGO_FLAGS=-q

echo "== starting the emulator"
endpoint=$(bash emulator/daemon.sh start | tail -n1 | sed 's/^AWS_ENDPOINT_URL=//')
echo "emulator at $endpoint"
write_cli_config

echo "== creating the EKS cluster 'demo' in the emulator"
AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
  .tools/venv/bin/python - <<'EOF2'
import boto3
eks = boto3.client("eks")
try:
    eks.create_cluster(
        name="demo",
        roleArn="arn:aws:iam::123456789012:role/eks-cluster",
        resourcesVpcConfig={"subnetIds": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]},
        version="1.31",
    )
    print("cluster demo created")
except eks.exceptions.ResourceInUseException:
    print("cluster demo already exists")
EOF2

echo "== terraform apply examples/quickstart"
applied=$(mktemp)
trap 'rm -f "$applied"' EXIT
tf apply -auto-approve -input=false -no-color | tee "$applied"

# One line per warning the demo shows on purpose (examples/quickstart/README.md), for each one
# terraform printed.
explain() {
  grep -q "Warning: $1" "$applied" || return 0
  shift
  printf -- '- %s\n' "$1"
  shift
  printf '  %s\n' "$@"
}
notes=$(
  explain 'Provider development overrides are in effect' \
    'Provider development overrides: how the demo runs the provider just built (target/debug)' \
    'without terraform init; see "Install" in README.md.'
  explain 'Instance types of different sizes' \
    'Instance types of different sizes (autoscale_spot_node_group.batch): the example keeps the four' \
    'Spot types of the reference rollout, and c5n.xlarge has more memory than the others; the check' \
    'flags it. In production, list types of one size.'
  explain 'The HPA does not reach' \
    'The HPA does not reach 50 ready pods (data.autoscale_hpa_simulation.api_spike): the API HPA' \
    'doubles 6 -> 12 -> 24 -> 48 pods and the one-minute spike ends before it asks for 50. The check' \
    'has severity = "warning" to show a miss without failing the plan ("error" fails it). That is' \
    'also why the api_spike output says "not reached".'
)
if [ -n "$notes" ]; then
  echo
  echo "== the warnings above are deliberate"
  printf '%s\n' "$notes"
fi

echo
echo "== what next"
echo "Rendered Kubernetes manifests (kubectl apply -f on a real cluster): examples/quickstart/out/"
ls -1 "$quickstart/out" 2>/dev/null | sed 's/^/  /' || true
cat <<EOF2
Plan and apply by hand against the running emulator at $endpoint:
  eval "\$(scripts/demo.sh env)"     # or: make demo-shell
  cd examples/quickstart
  terraform plan                     # no terraform init: the CLI config uses dev_overrides
The emulator's record of AWS calls: make emulator-calls
Destroy the demo, stop the emulator and remove the demo's files: make demo-stop
EOF2
