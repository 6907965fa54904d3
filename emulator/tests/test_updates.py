"""Fix: UpdateNodegroupConfig / UpdateNodegroupVersion record Updates that DescribeUpdate and ListUpdates find."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from conftest import create_cluster, create_nodegroup, error_of


def test_config_update_is_recorded_with_aws_param_types(eks):
    cluster, ng_name, _ = create_nodegroup(eks)
    update = eks.update_nodegroup_config(
        clusterName=cluster,
        nodegroupName=ng_name,
        labels={"addOrUpdateLabels": {"role": "spot"}},
        taints={"addOrUpdateTaints": [{"key": "spot", "value": "true", "effect": "NO_SCHEDULE"}]},
        scalingConfig={"maxSize": 6, "desiredSize": 3},
    )["update"]
    assert update["status"] == "InProgress"
    assert update["type"] == "ConfigUpdate"
    params = {p["type"]: p["value"] for p in update["params"]}
    assert params["MaxSize"] == "6" and params["DesiredSize"] == "3" and "MinSize" not in params
    assert json.loads(params["LabelsToAdd"]) == {"role": "spot"}
    assert json.loads(params["TaintsToAdd"])[0]["effect"] == "NO_SCHEDULE"

    described = eks.describe_update(name=cluster, updateId=update["id"], nodegroupName=ng_name)["update"]
    assert described["id"] == update["id"]
    assert described["status"] == "Successful"
    assert described["createdAt"] == update["createdAt"]
    assert eks.list_updates(name=cluster, nodegroupName=ng_name)["updateIds"] == [update["id"]]

    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=ng_name)["nodegroup"]
    assert ng["scalingConfig"] == {"minSize": 1, "maxSize": 6, "desiredSize": 3}
    assert ng["labels"] == {"role": "spot"}
    assert ng["taints"] == [{"key": "spot", "value": "true", "effect": "NO_SCHEDULE"}]


def test_version_update_works_and_is_recorded(eks):
    cluster = create_cluster(eks, version="1.31")
    _, ng_name, ng = create_nodegroup(eks, cluster=cluster, version="1.30")
    assert ng["version"] == "1.30"
    update = eks.update_nodegroup_version(clusterName=cluster, nodegroupName=ng_name, version="1.31")["update"]
    assert update["type"] == "VersionUpdate"
    params = {p["type"]: p["value"] for p in update["params"]}
    assert params["Version"] == "1.31"
    assert params["ReleaseVersion"].startswith("1.31.")
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=ng_name)["nodegroup"]
    assert (ng["version"], ng["releaseVersion"]) == ("1.31", params["ReleaseVersion"])

    update = eks.update_nodegroup_version(
        clusterName=cluster, nodegroupName=ng_name, releaseVersion="1.31.7-20250620"
    )["update"]
    assert eks.describe_update(name=cluster, updateId=update["id"], nodegroupName=ng_name)["update"]["status"] == "Successful"
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=ng_name)["nodegroup"]
    assert ng["releaseVersion"] == "1.31.7-20250620"
    assert len(eks.list_updates(name=cluster, nodegroupName=ng_name)["updateIds"]) == 2


def test_version_newer_than_the_cluster_is_rejected(eks):
    cluster = create_cluster(eks, version="1.29")
    _, ng_name, _ = create_nodegroup(eks, cluster=cluster)
    with pytest.raises(ClientError) as excinfo:
        eks.update_nodegroup_version(clusterName=cluster, nodegroupName=ng_name, version="1.30")
    assert error_of(excinfo)[:2] == ("InvalidParameterException", 400)


def test_unknown_update_id_is_not_found(eks):
    cluster, ng_name, _ = create_nodegroup(eks)
    with pytest.raises(ClientError) as excinfo:
        eks.describe_update(name=cluster, updateId="00000000-0000-0000-0000-000000000000", nodegroupName=ng_name)
    assert error_of(excinfo)[:2] == ("ResourceNotFoundException", 404)


def test_list_updates_pages(eks):
    cluster, ng_name, _ = create_nodegroup(eks)
    ids = [
        eks.update_nodegroup_config(
            clusterName=cluster, nodegroupName=ng_name, labels={"addOrUpdateLabels": {"n": str(i)}}
        )["update"]["id"]
        for i in range(3)
    ]
    first = eks.list_updates(name=cluster, nodegroupName=ng_name, maxResults=2)
    second = eks.list_updates(name=cluster, nodegroupName=ng_name, maxResults=2, nextToken=first["nextToken"])
    assert first["updateIds"] + second["updateIds"] == ids
    assert "nextToken" not in second


def test_unknown_cluster_is_not_found_not_a_server_error(eks):
    with pytest.raises(ClientError) as excinfo:
        eks.list_nodegroups(clusterName="no-such-cluster")
    assert error_of(excinfo)[:2] == ("ResourceNotFoundException", 404)
