"""Fix: a managed node group owns an Auto Scaling group, and the two stay in step."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import asg_name_of, create_cluster, create_nodegroup, error_of


def describe_group(asg, name):
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return groups[0] if groups else None


def test_create_nodegroup_creates_its_tagged_group(eks, asg):
    cluster, ng_name, ng = create_nodegroup(eks, scalingConfig={"minSize": 1, "maxSize": 5, "desiredSize": 3})
    uuid = ng["nodegroupArn"].rsplit("/", 1)[1]
    groups = ng["resources"]["autoScalingGroups"]
    assert groups == [{"name": f"eks-{ng_name}-{uuid}"}]

    group = describe_group(asg, groups[0]["name"])
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 5, 3)
    assert group["VPCZoneIdentifier"] == "subnet-aaaa,subnet-bbbb"
    policy = group["MixedInstancesPolicy"]
    assert policy["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateName"] == f"eks-{uuid}"
    assert policy["LaunchTemplate"]["Overrides"] == [{"InstanceType": "t3.medium"}]
    assert policy["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 100
    assert len(group["Instances"]) == 3
    tags = {t["Key"]: (t["Value"], t["PropagateAtLaunch"]) for t in group["Tags"]}
    assert tags == {
        "eks:cluster-name": (cluster, True),
        "eks:nodegroup-name": (ng_name, True),
        "k8s.io/cluster-autoscaler/enabled": ("true", True),
        f"k8s.io/cluster-autoscaler/{cluster}": ("owned", True),
    }


def test_spot_nodegroup_group_lists_its_instance_types(eks, asg):
    cluster, ng_name, _ = create_nodegroup(eks, capacityType="SPOT", instanceTypes=["m5.large", "m5a.large"])
    group = describe_group(asg, asg_name_of(eks, cluster, ng_name))
    policy = group["MixedInstancesPolicy"]
    assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == ["m5.large", "m5a.large"]
    assert policy["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 0
    assert group["CapacityRebalance"] is True


def test_group_is_discoverable_by_cluster_autoscaler_tags(eks, asg):
    cluster, ng_name, _ = create_nodegroup(eks)
    found = asg.describe_auto_scaling_groups(
        Filters=[
            {"Name": "tag-key", "Values": ["k8s.io/cluster-autoscaler/enabled"]},
            {"Name": "tag-key", "Values": [f"k8s.io/cluster-autoscaler/{cluster}"]},
        ]
    )["AutoScalingGroups"]
    assert [g["AutoScalingGroupName"] for g in found] == [asg_name_of(eks, cluster, ng_name)]


def test_real_subnets_are_used_for_the_group(emulator, eks, asg):
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.20.1.0/24", "us-east-1a"), ("10.20.2.0/24", "us-east-1b"))
    ]
    cluster, ng_name, _ = create_nodegroup(eks, subnets=subnets)
    group = describe_group(asg, asg_name_of(eks, cluster, ng_name))
    assert group["VPCZoneIdentifier"] == ",".join(subnets)
    assert sorted(group["AvailabilityZones"]) == ["us-east-1a", "us-east-1b"]
    assert {i["AvailabilityZone"] for i in group["Instances"]} <= {"us-east-1a", "us-east-1b"}


def test_update_nodegroup_config_resizes_the_group(eks, asg):
    cluster, ng_name, _ = create_nodegroup(eks)
    eks.update_nodegroup_config(
        clusterName=cluster, nodegroupName=ng_name, scalingConfig={"minSize": 2, "maxSize": 6, "desiredSize": 5}
    )
    group = describe_group(asg, asg_name_of(eks, cluster, ng_name))
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (2, 6, 5)
    assert len(group["Instances"]) == 5


def test_delete_nodegroup_deletes_the_group(emulator, eks, asg):
    cluster, ng_name, _ = create_nodegroup(eks)
    name = asg_name_of(eks, cluster, ng_name)
    uuid = name.rsplit("-", 5)[1:]
    assert eks.delete_nodegroup(clusterName=cluster, nodegroupName=ng_name)["nodegroup"]["status"] == "DELETING"
    assert describe_group(asg, name) is None
    with pytest.raises(ClientError) as excinfo:
        eks.describe_nodegroup(clusterName=cluster, nodegroupName=ng_name)
    assert error_of(excinfo)[:2] == ("ResourceNotFoundException", 404)
    templates = emulator.client("ec2").describe_launch_templates()["LaunchTemplates"]
    assert f"eks-{'-'.join(uuid)}" not in {t["LaunchTemplateName"] for t in templates}
    eks.delete_cluster(name=cluster)  # no node groups left


def test_set_desired_capacity_out_of_band_shows_in_the_nodegroup(eks, asg):
    # What the Cluster Autoscaler does; EKS reports it as the node group's desired size.
    cluster, ng_name, _ = create_nodegroup(eks, scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 2})
    asg.set_desired_capacity(AutoScalingGroupName=asg_name_of(eks, cluster, ng_name), DesiredCapacity=4)
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=ng_name)["nodegroup"]
    assert ng["scalingConfig"] == {"minSize": 1, "maxSize": 4, "desiredSize": 4}


def test_update_auto_scaling_group_desired_shows_in_the_nodegroup(eks, asg):
    cluster, ng_name, _ = create_nodegroup(eks, scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 2})
    asg.update_auto_scaling_group(AutoScalingGroupName=asg_name_of(eks, cluster, ng_name), DesiredCapacity=3)
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=ng_name)["nodegroup"]
    assert ng["scalingConfig"]["desiredSize"] == 3


def test_set_desired_capacity_outside_the_bounds_is_rejected(eks, asg):
    cluster, ng_name, _ = create_nodegroup(eks, scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 2})
    name = asg_name_of(eks, cluster, ng_name)
    with pytest.raises(ClientError) as excinfo:
        asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=9)
    assert error_of(excinfo) == (
        "ValidationError",
        400,
        "New SetDesiredCapacity value 9 is above max value 4 for the AutoScalingGroup.",
    )
    with pytest.raises(ClientError) as excinfo:
        asg.update_auto_scaling_group(AutoScalingGroupName=name, MinSize=3, MaxSize=2)
    assert error_of(excinfo)[0] == "ValidationError"
    with pytest.raises(ClientError) as excinfo:
        asg.set_desired_capacity(AutoScalingGroupName="no-such-group", DesiredCapacity=1)
    assert error_of(excinfo)[:2] == ("ValidationError", 400)
    assert eks.describe_nodegroup(clusterName=cluster, nodegroupName=ng_name)["nodegroup"]["scalingConfig"]["desiredSize"] == 2


def test_nodegroup_defaults_follow_the_cluster(eks):
    cluster = create_cluster(eks, version="1.30")
    _, _, ng = create_nodegroup(eks, cluster=cluster)
    assert ng["version"] == "1.30"
    assert ng["releaseVersion"].startswith("1.30.")
    assert ng["updateConfig"] == {"maxUnavailable": 1}
    assert "remoteAccess" not in ng
    _, _, ng = create_nodegroup(eks, cluster=cluster, updateConfig={"maxUnavailablePercentage": 33})
    assert ng["updateConfig"] == {"maxUnavailablePercentage": 33}


def test_create_is_idempotent_per_client_request_token(eks):
    cluster = create_cluster(eks)
    _, name, first = create_nodegroup(eks, cluster=cluster, clientRequestToken="token-1")
    _, _, again = create_nodegroup(eks, cluster=cluster, nodegroupName=name, clientRequestToken="token-1")
    assert again["nodegroupArn"] == first["nodegroupArn"]
    with pytest.raises(ClientError) as excinfo:
        create_nodegroup(eks, cluster=cluster, nodegroupName=name, clientRequestToken="token-2")
    assert error_of(excinfo)[:2] == ("ResourceInUseException", 409)


def test_update_auto_scaling_group_keeps_the_mixed_instances_policy(eks, asg):
    # moto drops the policy on any UpdateAutoScalingGroup that doesn't resend it; AWS keeps it.
    cluster, ng_name, _ = create_nodegroup(eks, instanceTypes=["c5.large"])
    name = asg_name_of(eks, cluster, ng_name)
    asg.update_auto_scaling_group(AutoScalingGroupName=name, MaxSize=6)
    group = describe_group(asg, name)
    assert group["MaxSize"] == 6
    assert group["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"] == [{"InstanceType": "c5.large"}]


def test_deleting_the_group_out_of_band_degrades_the_nodegroup(eks, asg):
    cluster, ng_name, _ = create_nodegroup(eks)
    name = asg_name_of(eks, cluster, ng_name)
    asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=ng_name)["nodegroup"]
    assert ng["status"] == "DEGRADED"
    assert [i["code"] for i in ng["health"]["issues"]] == ["AutoScalingGroupNotFound"]
    eks.delete_nodegroup(clusterName=cluster, nodegroupName=ng_name)
