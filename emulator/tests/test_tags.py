"""Fixes: tags on node group ARNs; Auto Scaling tag validation, limits, filters and paging."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import asg_name_of, create_nodegroup, error_of, make_group, tag


# --- EKS ------------------------------------------------------------------------------
def test_nodegroup_arn_tags(eks):
    cluster, name, ng = create_nodegroup(eks, tags={"team": "a"})
    arn = ng["nodegroupArn"]
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "a"}
    eks.tag_resource(resourceArn=arn, tags={"cost": "x", "team": "b"})
    eks.untag_resource(resourceArn=arn, tagKeys=["cost"])
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "b"}
    assert eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]["tags"] == {"team": "b"}


def test_unknown_arn_is_not_found(eks):
    arn = "arn:aws:eks:us-east-1:123456789012:nodegroup/none/none/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as excinfo:
        eks.list_tags_for_resource(resourceArn=arn)
    assert error_of(excinfo)[:2] == ("NotFoundException", 404)


# --- Auto Scaling --------------------------------------------------------------------------
def test_tags_on_a_missing_group_are_a_validation_error(asg):
    for call in (asg.create_or_update_tags, asg.delete_tags):
        with pytest.raises(ClientError) as excinfo:
            call(Tags=[tag("no-such-group", "k")])
        assert error_of(excinfo) == (
            "ValidationError",
            400,
            "AutoScalingGroup name not found - AutoScalingGroup no-such-group not found",
        )


def test_at_most_50_tags_counting_existing(emulator, asg):
    name = make_group(emulator, asg, [(f"k{i}", "v", False) for i in range(48)])
    asg.create_or_update_tags(Tags=[tag(name, "k0", "changed"), tag(name, "k48"), tag(name, "k49")])
    with pytest.raises(ClientError) as excinfo:
        asg.create_or_update_tags(Tags=[tag(name, "k50")])
    assert error_of(excinfo)[:2] == ("LimitExceeded", 400)
    with pytest.raises(ClientError) as excinfo:
        make_group(emulator, asg, [(f"k{i}", "v", False) for i in range(51)])
    assert error_of(excinfo)[:2] == ("LimitExceeded", 400)


def test_tag_key_and_value_lengths(emulator, asg):
    name = make_group(emulator, asg)
    asg.create_or_update_tags(Tags=[tag(name, "k" * 128, "v" * 256)])
    for bad in (tag(name, "k" * 129), tag(name, "k", "v" * 257)):
        with pytest.raises(ClientError) as excinfo:
            asg.create_or_update_tags(Tags=[bad])
        assert error_of(excinfo)[:2] == ("ValidationError", 400)


def test_propagate_at_launch_filter_takes_lowercase(emulator, asg):
    name = make_group(emulator, asg, [("yes", "1", True), ("no", "0", False)])
    group_filter = {"Name": "auto-scaling-group", "Values": [name]}
    for value, expected in (("true", ["yes"]), ("false", ["no"]), ("True", ["yes"])):
        tags = asg.describe_tags(Filters=[group_filter, {"Name": "propagate-at-launch", "Values": [value]}])["Tags"]
        assert [t["Key"] for t in tags] == expected


def test_describe_tags_pages(emulator, asg):
    name = make_group(emulator, asg, [(f"k{i:02}", "v", False) for i in range(7)])
    group_filter = [{"Name": "auto-scaling-group", "Values": [name]}]
    keys, token = [], None
    pages = 0
    while True:
        page = asg.describe_tags(Filters=group_filter, MaxRecords=3, **({"NextToken": token} if token else {}))
        keys += [t["Key"] for t in page["Tags"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 3
    assert keys == [f"k{i:02}" for i in range(7)]
    paginated = asg.get_paginator("describe_tags").paginate(Filters=group_filter, PaginationConfig={"PageSize": 5})
    assert sum(len(p["Tags"]) for p in paginated) == 7


def test_nodegroup_group_tags_are_editable(eks, asg):
    # The CA node-template tags go on the EKS-owned group (aws/containers-roadmap#608).
    cluster, name, _ = create_nodegroup(eks)
    group = asg_name_of(eks, cluster, name)
    key = "k8s.io/cluster-autoscaler/node-template/taint/dedicated"
    asg.create_or_update_tags(Tags=[tag(group, key, "spot:NoSchedule")])
    found = asg.describe_tags(Filters=[{"Name": "key", "Values": [key]}, {"Name": "auto-scaling-group", "Values": [group]}])
    assert [(t["Key"], t["Value"]) for t in found["Tags"]] == [(key, "spot:NoSchedule")]
