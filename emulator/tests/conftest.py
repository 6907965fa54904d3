"""Fixtures: each test module gets its own emulator process on a free port.

The process is started the way a Rust test starts it (``python -m
autoscale_emulator``, endpoint read from its first stdout line) and is
terminated at module teardown, so no process outlives the suite. Tests use
unique names, as they would against a shared emulator.
"""

from __future__ import annotations

import json
import os
import pathlib
import select
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

EMULATOR_DIR = pathlib.Path(__file__).resolve().parents[1]
START_TIMEOUT = 60
ROLE = "arn:aws:iam::123456789012:role/eks"
NODE_ROLE = "arn:aws:iam::123456789012:role/node"


def start_emulator(
    *args: str, log_path: pathlib.Path | None = None, stdin: int | None = subprocess.DEVNULL
) -> tuple[subprocess.Popen[bytes], str | None]:
    """Starts the emulator; returns the process and its endpoint URL (None if it exited)."""
    env = {**os.environ, "PYTHONPATH": str(EMULATOR_DIR)}
    stderr = open(log_path, "wb") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "autoscale_emulator", "--quiet", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env,
    )
    if log_path:
        stderr.close()  # type: ignore[union-attr]
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
    line = proc.stdout.readline().decode() if ready else ""
    if not line.startswith("AWS_ENDPOINT_URL="):
        return proc, None
    return proc, line.strip().split("=", 1)[1]


def stop_emulator(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream:
            stream.close()


class Emulator:
    def __init__(self, url: str) -> None:
        self.url = url

    def client(self, service: str, **config: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, **config),
        )

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, str]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        status, text = self.request(method, path, body)
        assert status == 200, text
        return json.loads(text)

    def set_delays(self, cluster: str, **delays: float) -> None:
        self.control("POST", "/_emulator/config", {"cluster": cluster, **delays})


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Any:
    log = tmp_path_factory.mktemp("emulator") / "emulator.log"
    proc, url = start_emulator(log_path=log)
    try:
        assert url, f"emulator did not start; log:\n{log.read_text()}"
        yield Emulator(url)
    finally:
        stop_emulator(proc)


@pytest.fixture
def eks(emulator: Emulator) -> Any:
    return emulator.client("eks")


@pytest.fixture
def asg(emulator: Emulator) -> Any:
    return emulator.client("autoscaling")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_cluster(eks: Any, version: str = "1.31") -> str:
    name = unique("c")
    eks.create_cluster(name=name, version=version, roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-aaaa"]})
    return name


def create_nodegroup(eks: Any, cluster: str | None = None, **overrides: Any) -> tuple[str, str, dict[str, Any]]:
    """A cluster (new unless given) and a node group in it, with fake subnets."""
    cluster = cluster or create_cluster(eks)
    name = overrides.pop("nodegroupName", unique("ng"))
    params = {
        "clusterName": cluster,
        "nodegroupName": name,
        "nodeRole": NODE_ROLE,
        "subnets": ["subnet-aaaa", "subnet-bbbb"],
        "scalingConfig": {"minSize": 1, "maxSize": 4, "desiredSize": 2},
        **overrides,
    }
    return cluster, name, eks.create_nodegroup(**params)["nodegroup"]


def asg_name_of(eks: Any, cluster: str, nodegroup: str) -> str:
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=nodegroup)["nodegroup"]
    return ng["resources"]["autoScalingGroups"][0]["name"]


def tag(group: str, key: str, value: str = "v", propagate: bool = False) -> dict[str, Any]:
    """An Auto Scaling tag as CreateOrUpdateTags takes it."""
    return {
        "ResourceId": group,
        "ResourceType": "auto-scaling-group",
        "Key": key,
        "Value": value,
        "PropagateAtLaunch": propagate,
    }


def make_group(emulator: Emulator, asg: Any, tags: Any = ()) -> str:
    """A plain Auto Scaling group (no node group) with (key, value, propagate) tags."""
    ec2 = emulator.client("ec2")
    name = unique("asg")
    ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": "ami-12345678", "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=0,
        MaxSize=2,
        DesiredCapacity=0,
        AvailabilityZones=["us-east-1a"],
        LaunchTemplate={"LaunchTemplateName": name},
        Tags=[tag(name, k, v, p) for k, v, p in tags],
    )
    return name


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a ClientError."""
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"].get("Message", ""),
    )
