"""The control surface: health, start-up line, taken port, call accounting."""

from __future__ import annotations

import socket
import subprocess

from conftest import asg_name_of, create_nodegroup, start_emulator, stop_emulator


def test_health(emulator):
    assert emulator.request("GET", "/_emulator/health") == (200, "ok")
    assert emulator.request("GET", "/_emulator/nope")[0] == 404


def test_taken_port_exits_2_with_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        log = tmp_path / "err.log"
        proc, url = start_emulator("--port", str(port), log_path=log)
        try:
            assert url is None
            assert proc.wait(timeout=30) == 2
        finally:
            stop_emulator(proc)
    lines = log.read_text().strip().splitlines()
    assert len(lines) == 1 and str(port) in lines[0] and "in use" in lines[0]


def test_explicit_free_port_is_used(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc, url = start_emulator("--port", str(port), log_path=tmp_path / "log")
    try:
        assert url == f"http://127.0.0.1:{port}"
    finally:
        stop_emulator(proc)
    assert proc.returncode == 0


def test_exits_with_its_caller_when_asked(tmp_path):
    # A Rust test holds the stdin pipe; if the test process dies, the pipe
    # closes and the emulator goes too.
    proc, url = start_emulator("--exit-on-stdin-eof", log_path=tmp_path / "log", stdin=subprocess.PIPE)
    try:
        assert url
        proc.stdout.close()  # the caller may stop reading after the first line
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0
    finally:
        stop_emulator(proc)


def test_calls_are_counted_by_service_and_action(emulator, eks, asg):
    cluster, name, _ = create_nodegroup(eks)
    group = asg_name_of(eks, cluster, name)
    eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)
    eks.update_nodegroup_config(clusterName=cluster, nodegroupName=name, scalingConfig={"desiredSize": 3})
    eks.list_updates(name=cluster, nodegroupName=name)
    asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    asg.set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=1)

    counts = emulator.control("GET", f"/_emulator/calls?resource={cluster}")
    assert counts == {
        "eks:CreateCluster": 1,
        "eks:CreateNodegroup": 1,
        "eks:DescribeNodegroup": 2,
        "eks:UpdateNodegroupConfig": 1,
        "eks:ListUpdates": 1,
    }
    by_group = emulator.control("GET", f"/_emulator/calls?resource={group}")
    assert by_group == {"autoscaling:DescribeAutoScalingGroups": 1, "autoscaling:SetDesiredCapacity": 1}

    log = emulator.control("GET", f"/_emulator/calls/log?resource={group}")
    assert [(e["service"], e["action"], e["mutating"], e["status"]) for e in log] == [
        ("autoscaling", "DescribeAutoScalingGroups", False, 200),
        ("autoscaling", "SetDesiredCapacity", True, 200),
    ]
    assert log[1]["params"]["DesiredCapacity"] == "1"
    later = emulator.control("GET", f"/_emulator/calls/log?since={log[0]['seq']}&resource={group}")
    assert [e["action"] for e in later] == ["SetDesiredCapacity"]


def test_tag_calls_on_arns_are_named(emulator, eks):
    cluster, name, ng = create_nodegroup(eks)
    eks.tag_resource(resourceArn=ng["nodegroupArn"], tags={"a": "b"})
    eks.list_tags_for_resource(resourceArn=ng["nodegroupArn"])
    counts = emulator.control("GET", f"/_emulator/calls?resource={name}")
    assert counts["eks:TagResource"] == 1 and counts["eks:ListTagsForResource"] == 1


def test_failed_calls_are_counted_with_their_status(emulator, eks):
    try:
        eks.describe_nodegroup(clusterName="missing-cluster-x", nodegroupName="missing-ng-x")
    except eks.exceptions.ResourceNotFoundException:
        pass
    log = emulator.control("GET", "/_emulator/calls/log?resource=missing-ng-x")
    assert [(e["action"], e["status"]) for e in log] == [("DescribeNodegroup", 404)]


def test_reset(emulator, eks):
    eks.list_clusters()
    assert emulator.control("GET", "/_emulator/calls")
    assert emulator.control("POST", "/_emulator/calls/reset") == {"reset": True}
    assert emulator.control("GET", "/_emulator/calls") == {}


def test_parallel_clients_do_not_interfere(emulator):
    # One emulator, many tests at once: calls are serialized inside, names keep them apart.
    from concurrent.futures import ThreadPoolExecutor

    def scenario(_):
        eks, asg = emulator.client("eks"), emulator.client("autoscaling")
        cluster, name, _ = create_nodegroup(eks)
        group = asg_name_of(eks, cluster, name)
        asg.set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=3)
        eks.update_nodegroup_config(clusterName=cluster, nodegroupName=name, labels={"addOrUpdateLabels": {"a": "b"}})
        ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
        eks.delete_nodegroup(clusterName=cluster, nodegroupName=name)
        return cluster, ng["scalingConfig"]["desiredSize"], ng["labels"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(scenario, range(8)))
    assert all(desired == 3 and labels == {"a": "b"} for _, desired, labels in results)
    for cluster, _, _ in results:
        counts = emulator.control("GET", f"/_emulator/calls?resource={cluster}")
        assert counts["eks:CreateNodegroup"] == 1 and counts["eks:DeleteNodegroup"] == 1


def test_calls_record_the_callers_user_agent_and_app_name(emulator):
    # An SDK client configured with an app name is told apart from one without.
    import uuid

    name = f"ua-{uuid.uuid4().hex[:8]}"
    tool = f"tool-{uuid.uuid4().hex[:6]}"
    for eks in (emulator.client("eks", user_agent_appid=tool), emulator.client("eks")):
        try:
            eks.describe_nodegroup(clusterName=f"{name}-c", nodegroupName=name)
        except eks.exceptions.ResourceNotFoundException:
            pass
    log = emulator.control("GET", f"/_emulator/calls/log?resource={name}")
    assert [e["app"] for e in log] == [tool, None]
    assert f"app/{tool}" in log[0]["user_agent"] and "Boto" in log[0]["user_agent"]
    apps = emulator.control("GET", "/_emulator/calls/apps")
    assert apps[tool] == {"eks:DescribeNodegroup": 1}
    assert apps[""]["eks:DescribeNodegroup"] >= 1
