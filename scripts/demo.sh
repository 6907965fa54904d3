#!/usr/bin/env bash
# `make demo`: build the provider, start the local AWS emulator, create the EKS cluster the
# quickstart expects (clusters are not this provider's business), and apply examples/quickstart.
# `make demo-stop` (this script with `stop`) destroys the demo and stops the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state="$root/.emulator"
quickstart="$root/examples/quickstart"
terraform="$root/.tools/bin/terraform"
mkdir -p "$state"

cli_config="$state/demo.tfrc"
cat >"$cli_config" <<EOF2
provider_installation {
  dev_overrides {
    "autoscale/autoscale" = "$root/target/debug"
  }
  direct {}
}
EOF2

tf() {
  TF_CLI_CONFIG_FILE="$cli_config" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 \
    AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    "$terraform" -chdir="$quickstart" "$@"
}

if [ "${1:-}" = "stop" ]; then
  if endpoint=$(cat "$state/url" 2>/dev/null) && [ -n "$endpoint" ]; then
    tf destroy -auto-approve -input=false -no-color >/dev/null 2>&1 || true
  fi
  rm -f "$quickstart/terraform.tfstate" "$quickstart/terraform.tfstate.backup"
  bash emulator/daemon.sh stop
  exit 0
fi

echo "== building the provider"
cargo build -q -p terraform-provider-autoscale

echo "== starting the emulator"
endpoint=$(bash emulator/daemon.sh start | tail -n1 | sed 's/^AWS_ENDPOINT_URL=//')
echo "emulator at $endpoint"

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
tf apply -auto-approve -input=false -no-color

echo
echo "== what was created"
tf output -no-color
echo
echo "Rendered manifests: $quickstart/out/"
ls -1 "$quickstart/out" 2>/dev/null || true
echo
echo "The emulator keeps running at $endpoint (make emulator-calls shows the AWS calls made)."
echo "Stop it and remove the demo with: make demo-stop"
