"""Fix: node groups pass through CREATING / UPDATING / DELETING for a configured delay.

Delays here are scoped to each test's cluster, so parallel users of one
emulator are not slowed down.
"""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from conftest import create_cluster, create_nodegroup, error_of

DELAY = 1.0


def status(eks, cluster, name):
    return eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]["status"]


def test_create_update_delete_take_the_configured_time(emulator, eks):
    cluster = create_cluster(eks)
    emulator.set_delays(
        cluster, nodegroup_create_delay=DELAY, nodegroup_update_delay=DELAY, nodegroup_delete_delay=DELAY
    )
    _, name, ng = create_nodegroup(eks, cluster=cluster)
    assert ng["status"] == "CREATING"
    assert status(eks, cluster, name) == "CREATING"
    with pytest.raises(ClientError) as excinfo:
        eks.update_nodegroup_config(clusterName=cluster, nodegroupName=name, scalingConfig={"desiredSize": 3})
    assert error_of(excinfo)[:2] == ("ResourceInUseException", 409)
    time.sleep(DELAY + 0.1)
    assert status(eks, cluster, name) == "ACTIVE"

    update = eks.update_nodegroup_config(clusterName=cluster, nodegroupName=name, scalingConfig={"desiredSize": 3})["update"]
    assert status(eks, cluster, name) == "UPDATING"
    assert eks.describe_update(name=cluster, updateId=update["id"], nodegroupName=name)["update"]["status"] == "InProgress"
    time.sleep(DELAY + 0.1)
    assert status(eks, cluster, name) == "ACTIVE"
    assert eks.describe_update(name=cluster, updateId=update["id"], nodegroupName=name)["update"]["status"] == "Successful"

    eks.delete_nodegroup(clusterName=cluster, nodegroupName=name)
    assert status(eks, cluster, name) == "DELETING"
    assert name in eks.list_nodegroups(clusterName=cluster)["nodegroups"]
    time.sleep(DELAY + 0.1)
    with pytest.raises(ClientError) as excinfo:
        status(eks, cluster, name)
    assert error_of(excinfo)[:2] == ("ResourceNotFoundException", 404)


def test_delays_of_one_cluster_do_not_touch_another(emulator, eks):
    slow = create_cluster(eks)
    emulator.set_delays(slow, nodegroup_create_delay=30)
    _, name, ng = create_nodegroup(eks)  # in a fresh cluster
    assert status(eks, ng["clusterName"], name) == "ACTIVE"
    config = emulator.control("GET", "/_emulator/config")
    assert config["nodegroup_create_delay"] == 0
    assert config["clusters"][slow]["nodegroup_create_delay"] == 30


def test_bad_config_is_rejected(emulator):
    status_code, text = emulator.request("POST", "/_emulator/config", {"nodegroup_create_delay": -1})
    assert status_code == 400 and "negative" in text
    status_code, text = emulator.request("POST", "/_emulator/config", {"no_such_delay": 1})
    assert status_code == 400 and "unknown setting" in text
