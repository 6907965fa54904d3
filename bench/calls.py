"""AWS calls per refresh: 100 `autoscale_asg_discovery_tags`, 100 `autoscale_scheduled_action`s
(5 on each of 20 Auto Scaling groups) and 20 `autoscale_spot_node_group`s, each set in its own
workspace, created against the emulator, then refreshed with `terraform plan` at the default
parallelism (10) and at -parallelism=100. Calls are counted with the emulator's call log.

The peer is the AWS provider's pattern, one describe call per resource per refresh (its
`aws_autoscaling_schedule`, `aws_autoscaling_group_tag` and `aws_eks_node_group` each read
themselves): the ratio is our describe calls / resources.

    python bench/calls.py REPO_ROOT OUR_PROVIDER_DIR EMULATOR_ENDPOINT

Prints one JSON object per (resource set, parallelism)."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid

import boto3

RESOURCES = {"asg_discovery_tags": 100, "scheduled_action": 100, "spot_node_group": 20}
ACTION_GROUPS = 20


def calls_log(endpoint: str, since: int) -> list[dict]:
    with urllib.request.urlopen(f"{endpoint}/_emulator/calls/log?since={since}") as response:
        return json.load(response)


def latest_seq(endpoint: str) -> int:
    log = calls_log(endpoint, 0)
    return max((e["seq"] for e in log), default=0)


def plain_groups(client, names: list[str]) -> None:
    for name in names:
        client.create_launch_configuration(LaunchConfigurationName=name, ImageId="ami-12345678", InstanceType="t3.micro")
        client.create_auto_scaling_group(AutoScalingGroupName=name, LaunchConfigurationName=name,
                                         AvailabilityZones=["us-east-1a"], MinSize=0, MaxSize=10, DesiredCapacity=0)


def configs(prefix: str, cluster: str) -> dict[str, str]:
    tag_groups = ", ".join(f'"{prefix}-t{i:03}"' for i in range(RESOURCES["asg_discovery_tags"]))
    action_groups = ", ".join(f'"{prefix}-a{i:02}"' for i in range(ACTION_GROUPS))
    return {
        "asg_discovery_tags": f"""
locals {{ groups = [{tag_groups}] }}
resource "autoscale_asg_discovery_tags" "bench" {{
  count        = {RESOURCES["asg_discovery_tags"]}
  cluster_name = "{cluster}"
  asg_names    = [local.groups[count.index]]
  discovery    = false
  labels       = {{ slot = "s${{count.index}}" }}
}}
""",
        "scheduled_action": f"""
locals {{ groups = [{action_groups}] }}
resource "autoscale_scheduled_action" "bench" {{
  count            = {RESOURCES["scheduled_action"]}
  asg_name         = local.groups[count.index % {ACTION_GROUPS}]
  name             = "evening-${{count.index}}"
  recurrence       = "0 19 * * *"
  time_zone        = "Etc/UTC"
  desired_capacity = 1
}}
""",
        "spot_node_group": f"""
resource "autoscale_spot_node_group" "bench" {{
  count           = {RESOURCES["spot_node_group"]}
  cluster_name    = "{cluster}"
  node_group_name = "spot-${{count.index}}"
  node_role_arn   = "arn:aws:iam::123456789012:role/eks-node"
  subnet_ids      = ["subnet-aaaa1111", "subnet-bbbb2222"]
  instance_types  = ["c5.xlarge", "c5a.xlarge"]
  scaling {{
    min_size     = 0
    max_size     = 10
    desired_size = 0
  }}
}}
""",
    }


def main() -> None:
    root = pathlib.Path(sys.argv[1]).resolve()
    provider_dir = pathlib.Path(sys.argv[2]).resolve()
    endpoint = sys.argv[3].rstrip("/")
    terraform = str(root / ".tools/bin/terraform")
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    cluster = f"{prefix}-cluster"
    aws = {"endpoint_url": endpoint, "region_name": "us-east-1", "aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
    autoscaling = boto3.client("autoscaling", **aws)
    eks = boto3.client("eks", **aws)
    eks.create_cluster(name=cluster, roleArn="arn:aws:iam::123456789012:role/eks-cluster",
                       resourcesVpcConfig={"subnetIds": ["subnet-aaaa1111", "subnet-bbbb2222"]})
    plain_groups(autoscaling, [f"{prefix}-t{i:03}" for i in range(RESOURCES["asg_discovery_tags"])])
    plain_groups(autoscaling, [f"{prefix}-a{i:02}" for i in range(ACTION_GROUPS)])

    work = pathlib.Path(tempfile.mkdtemp(prefix="autoscale-calls-"))
    rc = work / "terraform.rc"
    rc.write_text(f'provider_installation {{\n  dev_overrides {{\n    "autoscale/autoscale" = "{provider_dir}"\n  }}\n  direct {{}}\n}}\n')
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
           "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    header = 'terraform {\n  required_providers {\n    autoscale = { source = "autoscale/autoscale" }\n  }\n}\nprovider "autoscale" {}\n'

    def tf(cwd: pathlib.Path, *args: str) -> None:
        result = subprocess.run([terraform, *args, "-input=false", "-no-color"], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if result.returncode not in (0, 2):
            raise SystemExit(f"terraform {' '.join(args)} failed in {cwd}:\n{result.stdout.decode()[-3000:]}")

    try:
        only = os.environ.get("BENCH_CALLS_ONLY")
        for kind, config in configs(prefix, cluster).items():
            if only and kind != only:
                continue
            cwd = work / kind
            cwd.mkdir()
            (cwd / "main.tf").write_text(header + config)
            tf(cwd, "apply", "-auto-approve", "-parallelism=100")
            for parallelism in (10, 100):
                since = latest_seq(endpoint)
                tf(cwd, "plan", f"-parallelism={parallelism}")
                reads: dict[str, int] = {}
                for entry in calls_log(endpoint, since):
                    if not entry["mutating"]:
                        name = f"{entry['service']}:{entry['action']}"
                        reads[name] = reads.get(name, 0) + 1
                describes = sum(reads.values())
                n = RESOURCES[kind]
                print(json.dumps({
                    "resources": f"autoscale_{kind}", "count": n, "parallelism": parallelism,
                    "describe_calls": describes, "by_action": reads,
                    "calls_per_resource": round(describes / n, 3),
                    "ratio_to_one_call_per_resource": round(describes / n, 3),
                    "target_met": describes * 25 <= n,
                }), flush=True)
            tf(cwd, "destroy", "-auto-approve", "-parallelism=100")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
