"""The fault-injection proxy: faults look like the real services' errors, the SDKs classify them
as retryable, control requests pass untouched, and a failed call never reaches the emulator."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from conftest import EMULATOR_DIR, Emulator, create_cluster, unique

# faults.DIED_EXIT_STATUS: the exit status of a proxy that died on purpose (--die-after).
DIED_EXIT_STATUS = 3


@pytest.fixture(scope="module")
def proxy(emulator: Emulator) -> Any:
    proc, url = start_proxy(emulator.url, "--seed", "7")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def configure(proxy: str, **settings: Any) -> dict[str, Any]:
    request = urllib.request.Request(f"{proxy}/_faults/config", data=json.dumps(settings).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def stats(proxy: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{proxy}/_faults/stats", timeout=10) as response:
        return json.load(response)


def client(proxy: str, service: str, attempts: int = 1) -> Any:
    return boto3.client(
        service,
        endpoint_url=proxy,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": attempts, "mode": "standard"}, connect_timeout=5, read_timeout=10),
    )


def test_passes_calls_through_at_rate_zero(proxy: str) -> None:
    configure(proxy, rate=0)
    eks = client(proxy, "eks")
    name = create_cluster(eks)
    assert eks.describe_cluster(name=name)["cluster"]["name"] == name


@pytest.mark.parametrize(
    ("kind", "service", "status", "code"),
    [
        ("throttle", "eks", 429, "ThrottlingException"),
        ("throttle", "autoscaling", 400, "Throttling"),
        ("500", "eks", 500, "InternalFailure"),
        ("503", "autoscaling", 503, "ServiceUnavailable"),
        ("throttle", "pricing", 400, "ThrottlingException"),
        ("500", "pricing", 500, "InternalErrorException"),
        ("throttle", "ec2", 503, "RequestLimitExceeded"),
    ],
)
def test_errors_are_shaped_like_the_service(proxy: str, kind: str, service: str, status: int, code: str) -> None:
    configure(proxy, rate=1, kinds=[kind])
    try:
        with pytest.raises(ClientError) as excinfo:
            if service == "eks":
                client(proxy, "eks").list_clusters()
            elif service == "pricing":
                client(proxy, "pricing").get_products(ServiceCode="AmazonEC2", MaxResults=1)
            elif service == "ec2":
                client(proxy, "ec2").describe_spot_price_history(InstanceTypes=["m5.large"], MaxResults=5)
            else:
                client(proxy, "autoscaling").describe_auto_scaling_groups()
    finally:
        configure(proxy, rate=0)
    error = excinfo.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    assert error["Error"]["Code"] == code


def test_reset_closes_the_connection(proxy: str) -> None:
    configure(proxy, rate=1, kinds=["reset"])
    try:
        with pytest.raises((ConnectionClosedError, EndpointConnectionError, ConnectionError)):
            client(proxy, "eks").list_clusters()
    finally:
        configure(proxy, rate=0)


def test_a_failed_create_never_reaches_the_emulator(proxy: str, emulator: Emulator) -> None:
    configure(proxy, rate=1, kinds=["500"])
    name = unique("faulted")
    try:
        with pytest.raises(ClientError):
            client(proxy, "eks").create_cluster(
                name=name, roleArn="arn:aws:iam::123456789012:role/eks", resourcesVpcConfig={"subnetIds": ["subnet-1"]}
            )
    finally:
        configure(proxy, rate=0)
    assert emulator.control("GET", f"/_emulator/calls?resource={name}") == {}


def test_retrying_clients_get_through_a_faulty_proxy(proxy: str) -> None:
    configure(proxy, rate=0.5, kinds=["throttle", "500", "503"])
    try:
        eks = client(proxy, "eks", attempts=10)
        for _ in range(10):
            eks.list_clusters()
        seen = stats(proxy)
    finally:
        configure(proxy, rate=0)
    assert sum(seen["injected"].values()) > 0
    assert seen["calls"] >= 10 + sum(seen["injected"].values())


def test_control_requests_are_never_faulted(proxy: str) -> None:
    configure(proxy, rate=1, kinds=["500"])
    try:
        with urllib.request.urlopen(f"{proxy}/_emulator/health", timeout=10) as response:
            assert response.read() == b"ok"
    finally:
        configure(proxy, rate=0)


def test_bad_settings_are_refused(proxy: str) -> None:
    request = urllib.request.Request(f"{proxy}/_faults/config", data=b'{"rate": 2}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    assert excinfo.value.code == 400


def start_proxy(upstream: str, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """A proxy of ours in front of `upstream`, faults off, with extra arguments; its address."""
    env = {**os.environ, "PYTHONPATH": str(EMULATOR_DIR)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "autoscale_emulator.faults", "--upstream", upstream, "--rate", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline().decode() if ready else ""
    proc.stdout.close()
    assert line.startswith("AWS_ENDPOINT_URL="), line
    return proc, line.strip().split("=", 1)[1]


def test_die_after_forwards_the_call_then_exits_without_answering(emulator: Emulator) -> None:
    eks_direct = emulator.client("eks")
    cluster = create_cluster(eks_direct)
    proc, url = start_proxy(emulator.url, "--die-after", "eks:CreateNodegroup")
    try:
        eks = client(url, "eks")
        # Calls that do not match pass as usual.
        assert eks.describe_cluster(name=cluster)["cluster"]["name"] == cluster
        name = unique("ng")
        with pytest.raises((ConnectionClosedError, EndpointConnectionError, ConnectionError)):
            eks.create_nodegroup(
                clusterName=cluster,
                nodegroupName=name,
                nodeRole="arn:aws:iam::123456789012:role/node",
                subnets=["subnet-aaaa"],
                clientRequestToken="token-1",
            )
        assert proc.wait(timeout=10) == DIED_EXIT_STATUS
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    # The emulator did the work: the node group exists, created once.
    assert eks_direct.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]["nodegroupName"] == name
    assert emulator.control("GET", f"/_emulator/calls?resource={name}").get("eks:CreateNodegroup") == 1
    # The endpoint is gone.
    with pytest.raises(EndpointConnectionError):
        client(url, "eks").list_clusters()


def test_die_after_matches_query_protocol_actions_and_can_be_armed_later(emulator: Emulator) -> None:
    proc, url = start_proxy(emulator.url)
    try:
        autoscaling = client(url, "autoscaling")
        autoscaling.describe_auto_scaling_groups()
        assert configure(url, die_after="autoscaling:DescribeAutoScalingGroups")["die_after"] == "autoscaling:DescribeAutoScalingGroups"
        # Another action still passes.
        autoscaling.describe_tags()
        assert proc.poll() is None
        with pytest.raises((ConnectionClosedError, EndpointConnectionError, ConnectionError)):
            autoscaling.describe_auto_scaling_groups()
        assert proc.wait(timeout=10) == DIED_EXIT_STATUS
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.parametrize("value", ["CreateNodegroup", "ec2:RunInstances", "eks:", 7])
def test_a_bad_die_after_is_refused(proxy: str, value: Any) -> None:
    request = urllib.request.Request(f"{proxy}/_faults/config", data=json.dumps({"die_after": value}).encode(), method="POST")
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    assert excinfo.value.code == 400
    assert stats(proxy)["die_after"] is None


def test_a_bad_die_after_argument_exits_2(emulator: Emulator) -> None:
    env = {**os.environ, "PYTHONPATH": str(EMULATOR_DIR)}
    done = subprocess.run(
        [sys.executable, "-m", "autoscale_emulator.faults", "--upstream", emulator.url, "--die-after", "nodegroups"],
        capture_output=True,
        env=env,
        timeout=30,
    )
    assert done.returncode == 2
    assert b"die_after must be SERVICE:ACTION" in done.stderr
