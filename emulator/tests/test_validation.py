"""Fix: the EKS node group validation AWS does and moto skips, as InvalidParameterException."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import create_cluster, create_nodegroup, error_of


@pytest.fixture
def eks_unchecked(emulator):
    # boto3 would refuse maxSize 0 itself; the Rust SDK sends it.
    return emulator.client("eks", parameter_validation=False)


@pytest.mark.parametrize(
    "scaling, message",
    [
        ({"minSize": 0, "maxSize": 0, "desiredSize": 0}, "maxSize must be greater than or equal to 1"),
        ({"minSize": -1, "maxSize": 2, "desiredSize": 1}, "minSize must be greater than or equal to 0"),
        ({"minSize": 3, "maxSize": 5, "desiredSize": 2}, "minSize can't be greater than desiredSize"),
        ({"minSize": 1, "maxSize": 2, "desiredSize": 3}, "desiredSize can't be greater than maxSize"),
        ({"minSize": 3, "maxSize": 2, "desiredSize": 2}, "minSize can't be greater than maxSize"),
    ],
)
def test_create_rejects_bad_scaling_config(eks_unchecked, scaling, message):
    with pytest.raises(ClientError) as excinfo:
        create_nodegroup(eks_unchecked, scalingConfig=scaling)
    assert error_of(excinfo) == ("InvalidParameterException", 400, message)


def test_raising_min_above_current_desired_is_rejected(eks):
    # terraform-aws-modules/terraform-aws-eks#944, #3306: desired is not sent along.
    cluster, name, _ = create_nodegroup(eks, scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 2})
    with pytest.raises(ClientError) as excinfo:
        eks.update_nodegroup_config(clusterName=cluster, nodegroupName=name, scalingConfig={"minSize": 3})
    assert error_of(excinfo) == (
        "InvalidParameterException",
        400,
        "Minimum capacity 3 can't be greater than desired size 2",
    )
    # Raising desired in the same call is fine.
    eks.update_nodegroup_config(clusterName=cluster, nodegroupName=name, scalingConfig={"minSize": 3, "desiredSize": 3})
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
    assert ng["scalingConfig"] == {"minSize": 3, "maxSize": 4, "desiredSize": 3}


def test_update_rejects_desired_above_max(eks):
    cluster, name, _ = create_nodegroup(eks, scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 2})
    with pytest.raises(ClientError) as excinfo:
        eks.update_nodegroup_config(clusterName=cluster, nodegroupName=name, scalingConfig={"desiredSize": 5})
    assert error_of(excinfo)[:2] == ("InvalidParameterException", 400)


def test_taint_effects_are_checked(eks_unchecked):
    with pytest.raises(ClientError) as excinfo:
        create_nodegroup(eks_unchecked, taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}])
    code, status, message = error_of(excinfo)
    assert (code, status) == ("InvalidParameterException", 400)
    assert "NoSchedule" in message and "NO_SCHEDULE" in message


def test_at_most_50_taints(eks):
    taints = [{"key": f"t{i}", "value": "v", "effect": "NO_SCHEDULE"} for i in range(50)]
    cluster, name, ng = create_nodegroup(eks, taints=taints)
    assert len(ng["taints"]) == 50
    with pytest.raises(ClientError) as excinfo:
        eks.update_nodegroup_config(
            clusterName=cluster,
            nodegroupName=name,
            taints={"addOrUpdateTaints": [{"key": "one-more", "value": "v", "effect": "NO_EXECUTE"}]},
        )
    assert error_of(excinfo)[:2] == ("InvalidParameterException", 400)
    # Replacing one (same key and effect) keeps the count at 50.
    eks.update_nodegroup_config(
        clusterName=cluster,
        nodegroupName=name,
        taints={"addOrUpdateTaints": [{"key": "t0", "value": "new", "effect": "NO_SCHEDULE"}]},
    )
    with pytest.raises(ClientError) as excinfo:
        create_nodegroup(eks, taints=taints + [{"key": "t50", "value": "v", "effect": "NO_SCHEDULE"}])
    assert error_of(excinfo)[:2] == ("InvalidParameterException", 400)


def test_nodegroup_version_newer_than_cluster_is_rejected_at_create(eks):
    cluster = create_cluster(eks, version="1.29")
    with pytest.raises(ClientError) as excinfo:
        create_nodegroup(eks, cluster=cluster, version="1.33")
    assert error_of(excinfo)[:2] == ("InvalidParameterException", 400)
