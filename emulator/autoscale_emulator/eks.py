"""EKS gaps in moto 5.2.5, patched in place. Each fix names the AWS behaviour it matches.

1. A managed node group owns an Auto Scaling group. CreateNodegroup creates
   ``eks-<nodegroup>-<uuid>`` (uuid of the node group ARN) with the node
   group's min/max/desired, an EKS launch template ``eks-<uuid>`` used through
   a MixedInstancesPolicy that lists the instance types, and the
   tags EKS puts on it: eks:cluster-name, eks:nodegroup-name,
   k8s.io/cluster-autoscaler/enabled=true, k8s.io/cluster-autoscaler/<cluster>=owned
   (all propagated at launch). DescribeNodegroup lists it under
   resources.autoScalingGroups; UpdateNodegroupConfig keeps its sizes in step;
   DeleteNodegroup deletes it. Subnets that EC2 does not know (subnet-aaaa)
   are fine: the group is placed in the region's first AZ and still reports
   them as its VPCZoneIdentifier. (moto only invents the name.)
2. Updates are recorded. UpdateNodegroupConfig and UpdateNodegroupVersion
   return an Update (InProgress) that DescribeUpdate / ListUpdates find, with
   AWS's param types (MinSize, MaxSize, DesiredSize, LabelsToAdd, TaintsToAdd,
   Version, ReleaseVersion, ...). moto records nothing and answers 404 to
   UpdateNodegroupVersion, DescribeUpdate and ListUpdates.
3. Lifecycle states. Create answers CREATING, update makes the node group
   UPDATING, delete answers DELETING; they settle to ACTIVE / gone after the
   configured delay (0 by default), computed from the clock on each request.
   Updating a node group that is not ACTIVE is a ResourceInUseException. A
   node group whose group was deleted out of band turns DEGRADED with the
   health issue AutoScalingGroupNotFound.
4. Tags on node group ARNs: TagResource / UntagResource / ListTagsForResource
   (moto handles cluster ARNs only). Unknown ARNs are NotFoundException (404).
5. Validation AWS does: scalingConfig maxSize >= 1, minSize >= 0,
   minSize <= desiredSize <= maxSize (on update, merged with the current
   values: "Minimum capacity 3 can't be greater than desired size 2"); taint
   effects NO_SCHEDULE / NO_EXECUTE / PREFER_NO_SCHEDULE; at most 50 taints;
   a node group version not newer than its cluster's.
6. Defaults as AWS reports them: version = the cluster's version (moto: 1.19
   always), a new cluster's default version is 1.33 (moto: 1.19),
   updateConfig {maxUnavailable: 1} or as given (moto drops it), no
   remoteAccess unless given (moto invents a key pair), a per-node-group
   scalingConfig (moto shares one default dict among node groups), and a
   retried CreateNodegroup with the same clientRequestToken returns the node
   group instead of ResourceInUseException.

Messages marked "inferred" in README.md are our wording, not AWS's.
"""

from __future__ import annotations

import json
import time
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import models, responses, urls
from moto.eks.exceptions import (
    EKSError,
    InvalidParameterException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from moto.moto_api._internal import mock_random as random

from . import settings

TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
MAX_TAINTS = 50
DEFAULT_CLUSTER_VERSION = "1.33"
# A plausible AMI release date for release versions we have to make up.
AMI_RELEASE_DATE = "20250101"
# Any image id will do: moto does not validate AMIs unless asked to.
NODE_IMAGE_ID = "ami-0eks0000000000000"
DEFAULT_SCALING = {"minSize": 2, "maxSize": 2, "desiredSize": 2}


class NotFoundException(EKSError):
    """EKS's error for tagging operations on an unknown ARN."""

    TYPE = "NotFoundException"
    STATUS = 404


def _invalid(message: str, cluster: str | None = None, nodegroup: str | None = None) -> InvalidParameterException:
    return InvalidParameterException(clusterName=cluster, nodegroupName=nodegroup, message=message)


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in str(version).split("."))
    except ValueError:
        raise _invalid(f"Invalid Kubernetes version: {version}") from None


def _default_release(version: str) -> str:
    return f"{version}.0-{AMI_RELEASE_DATE}"


# --- validation ------------------------------------------------------------------
def validate_scaling(sc: dict[str, Any], updating: bool, cluster: str, nodegroup: str) -> None:
    mn, mx, ds = sc.get("minSize"), sc.get("maxSize"), sc.get("desiredSize")
    for key, value, low in (("maxSize", mx, 1), ("minSize", mn, 0), ("desiredSize", ds, 0)):
        if not isinstance(value, int) or value < low:
            raise _invalid(f"{key} must be greater than or equal to {low}", cluster, nodegroup)
    if mn > mx:
        raise _invalid("minSize can't be greater than maxSize", cluster, nodegroup)
    if mn > ds:
        if updating:
            raise _invalid(f"Minimum capacity {mn} can't be greater than desired size {ds}", cluster, nodegroup)
        raise _invalid("minSize can't be greater than desiredSize", cluster, nodegroup)
    if ds > mx:
        raise _invalid("desiredSize can't be greater than maxSize", cluster, nodegroup)


def validate_taints(taints: list[dict[str, Any]] | None, cluster: str, nodegroup: str) -> None:
    for taint in taints or []:
        if not taint.get("key"):
            raise _invalid("Taint key must be specified", cluster, nodegroup)
        effect = taint.get("effect")
        if effect not in TAINT_EFFECTS:
            raise _invalid(
                f"Invalid taint effect: {effect}. Valid values: {', '.join(TAINT_EFFECTS)}", cluster, nodegroup
            )


def _validate_taint_count(count: int, cluster: str, nodegroup: str) -> None:
    if count > MAX_TAINTS:
        raise _invalid(f"A node group can have at most {MAX_TAINTS} taints, got {count}", cluster, nodegroup)


def _require_active(ng: Any) -> None:
    if ng.status != "ACTIVE":
        raise ResourceInUseException(
            clusterName=ng.cluster_name,
            nodegroupName=ng.nodegroup_name,
            addonName=None,
            message="Nodegroup cannot be updated as it is currently not in Active State",
        )


# --- lifecycle timing --------------------------------------------------------------
class Update:
    """An EKS Update; its status follows the clock."""

    def __init__(self, update_type: str, params: list[dict[str, str]], done_at: float) -> None:
        self.id = str(random.uuid4())
        self.type = update_type
        self.params = params
        self.created_at = utcnow()
        self.errors: list[dict[str, Any]] = []
        self.done_at = done_at

    @property
    def status(self) -> str:
        return "Successful" if time.time() >= self.done_at else "InProgress"

    def as_started(self) -> dict[str, Any]:
        """What the Update* call itself answers: AWS always says InProgress there."""
        return {
            "id": self.id,
            "status": "InProgress",
            "type": self.type,
            "params": self.params,
            "createdAt": self.created_at,
            "errors": [],
        }


def settle(backend: Any) -> None:
    """Moves node groups whose delay has passed on to ACTIVE or away."""
    now = time.time()
    for cluster in backend.clusters.values():
        for name, ng in list(cluster.nodegroups.items()):
            if ng.status == "CREATING" and now >= getattr(ng, "emu_ready_at", 0):
                ng.status = "ACTIVE"
            elif ng.status == "UPDATING" and now >= getattr(ng, "emu_busy_until", 0):
                ng.status = "ACTIVE"
            elif ng.status == "DELETING" and now >= getattr(ng, "emu_gone_at", 0):
                _forget(cluster, name)
                continue
            _check_asg_exists(ng)


def _check_asg_exists(ng: Any) -> None:
    """An ACTIVE node group whose group was deleted out of band is DEGRADED."""
    asg = getattr(ng, "emu_asg", None)
    if ng.status != "ACTIVE" or asg is None:
        return
    asb, name, _ = asg
    if name not in asb.autoscaling_groups:
        ng.status = "DEGRADED"
        ng.health = {
            "issues": [
                {
                    "code": "AutoScalingGroupNotFound",
                    "message": f"We couldn't find ASG {name} associated with the nodegroup.",
                    "resourceIds": [name],
                }
            ]
        }


def _forget(cluster: Any, name: str) -> None:
    if cluster.nodegroups.pop(name, None) is not None:
        cluster.nodegroup_count -= 1


def _record(ng: Any, update_type: str, params: list[dict[str, str]]) -> Update:
    delay = settings.delay("nodegroup_update_delay", ng.cluster_name)
    update = Update(update_type, params, time.time() + delay)
    ng.emu_updates.append(update)
    ng.modified_at = utcnow()
    if delay > 0:
        ng.status = "UPDATING"
        ng.emu_busy_until = update.done_at
    return update


# --- the node group's Auto Scaling group -----------------------------------------------
def _asg_backend(eks_backend: Any) -> Any:
    from moto.autoscaling.models import autoscaling_backends

    return autoscaling_backends[eks_backend.account_id][eks_backend.region_name]


def asg_tags(cluster_name: str, nodegroup_name: str) -> dict[str, str]:
    return {
        "eks:cluster-name": cluster_name,
        "eks:nodegroup-name": nodegroup_name,
        "k8s.io/cluster-autoscaler/enabled": "true",
        f"k8s.io/cluster-autoscaler/{cluster_name}": "owned",
    }


def _mixed_instances_policy(ng: Any, template_id: str) -> dict[str, Any]:
    """How EKS shapes its groups: the node group's instance types as overrides,
    all On-Demand or all Spot (capacity-optimized) above a base of 0."""
    spot = ng.capacity_type == "SPOT"
    return {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": {"LaunchTemplateId": template_id, "Version": "1"},
            "Overrides": [{"InstanceType": t} for t in ng.instance_types or ["t3.medium"]],
        },
        "InstancesDistribution": {
            "OnDemandAllocationStrategy": "prioritized",
            "OnDemandBaseCapacity": 0,
            "OnDemandPercentageAboveBaseCapacity": 0 if spot else 100,
            "SpotAllocationStrategy": "capacity-optimized" if spot else "lowest-price",
        },
    }


def _create_asg(eks_backend: Any, ng: Any) -> None:
    asb = _asg_backend(eks_backend)
    ec2 = asb.ec2_backend
    name = f"eks-{ng.nodegroup_name}-{ng.uuid}"
    instance_type = (ng.instance_types or ["t3.medium"])[0]
    template = ec2.create_launch_template(
        name=f"eks-{ng.uuid}",
        description=f"EKS managed node group {ng.cluster_name}/{ng.nodegroup_name}",
        template_data={"ImageId": NODE_IMAGE_ID, "InstanceType": instance_type},
        tag_spec={},
    )
    known_subnets = {s.id for s in ec2.describe_subnets()}
    subnets = list(ng.subnets or [])
    placed_in_subnets = bool(subnets) and all(s in known_subnets for s in subnets)
    sc = ng.scaling_config
    tags = [
        {
            "ResourceId": name,
            "ResourceType": "auto-scaling-group",
            "Key": key,
            "Value": value,
            "PropagateAtLaunch": True,
        }
        for key, value in asg_tags(ng.cluster_name, ng.nodegroup_name).items()
    ]
    group = asb.create_auto_scaling_group(
        name=name,
        availability_zones=[] if placed_in_subnets else [f"{eks_backend.region_name}a"],
        desired_capacity=sc["desiredSize"],
        max_size=sc["maxSize"],
        min_size=sc["minSize"],
        launch_config_name=None,
        launch_template=None,
        mixed_instances_policy=_mixed_instances_policy(ng, template.id),
        vpc_zone_identifier=",".join(subnets) if placed_in_subnets else None,
        default_cooldown=None,
        health_check_period=None,
        health_check_type=None,
        load_balancers=[],
        target_group_arns=[],
        placement_group=None,
        termination_policies=[],
        tags=tags,
        capacity_rebalance=ng.capacity_type == "SPOT",
    )
    if subnets and not placed_in_subnets:
        # Report the node group's subnets, but let moto launch the group's
        # instances in the AZ's default subnet: the serializer looks for the
        # wire name before moto's snake_case attribute.
        group.VPCZoneIdentifier = ",".join(subnets)
    group.emu_nodegroup = ng
    ng.emu_asg = (asb, name, template.id)
    ng.resources["autoScalingGroups"] = [{"name": name}]


def _sync_asg_sizes(ng: Any) -> None:
    asb, name, _ = ng.emu_asg
    group = asb.autoscaling_groups.get(name)
    if group is None:  # deleted out of band
        return
    sc = ng.scaling_config
    group.min_size = sc["minSize"]
    group.max_size = sc["maxSize"]
    group.set_desired_capacity(sc["desiredSize"])


def _delete_asg(ng: Any) -> None:
    asg = getattr(ng, "emu_asg", None)
    if asg is None:
        return
    asb, name, template_id = asg
    if name in asb.autoscaling_groups:
        asb.autoscaling_groups[name].emu_nodegroup = None
        asb.delete_auto_scaling_group(name)
    if template_id in asb.ec2_backend.launch_templates:
        asb.ec2_backend.delete_launch_template(None, template_id)
    ng.emu_asg = None


def nodegroup_of_group(group: Any) -> Any:
    """The live node group that owns an Auto Scaling group, if any."""
    ng = getattr(group, "emu_nodegroup", None)
    if ng is None or ng.status == "DELETING":
        return None
    return ng


# --- backend methods ---------------------------------------------------------------
_orig_create_nodegroup = models.EKSBackend.create_nodegroup
_orig_update_nodegroup_config = models.EKSBackend.update_nodegroup_config
_orig_list_nodegroups = models.EKSBackend.list_nodegroups


def create_nodegroup(self: Any, **kw: Any) -> Any:
    cluster_name, name = kw["cluster_name"], kw["nodegroup_name"]
    cluster = self.clusters.get(cluster_name)
    token = kw.get("client_request_token")
    if cluster is not None and name in cluster.nodegroups:
        existing = cluster.nodegroups[name]
        if token and existing.client_request_token == token:
            return existing  # a retried create (AWS: idempotent per clientRequestToken)
    scaling = {**DEFAULT_SCALING, **{k: v for k, v in (kw.get("scaling_config") or {}).items() if v is not None}}
    validate_scaling(scaling, updating=False, cluster=cluster_name, nodegroup=name)
    validate_taints(kw.get("taints"), cluster_name, name)
    _validate_taint_count(len(kw.get("taints") or []), cluster_name, name)
    if cluster is not None and kw.get("version"):
        if _version_tuple(kw["version"]) > _version_tuple(cluster.version):
            raise _invalid(
                f"Requested Nodegroup Version {kw['version']} is newer than cluster version {cluster.version}",
                cluster_name,
                name,
            )
    kw["scaling_config"] = scaling
    ng = _orig_create_nodegroup(self, **kw)

    ng.health = {"issues": []}
    if not kw.get("version"):
        ng.version = cluster.version
    if not kw.get("release_version"):
        ng.release_version = _default_release(ng.version)
    if not kw.get("remote_access"):
        ng.remote_access = None
        ng.resources.pop("remoteAccessSecurityGroup", None)
    if ng.update_config is None:
        ng.update_config = {"maxUnavailable": 1}
    ng.emu_updates = []
    ng.status = "CREATING"
    ng.emu_ready_at = time.time() + settings.delay("nodegroup_create_delay", cluster_name)
    try:
        _create_asg(self, ng)
    except Exception:
        _forget(cluster, name)  # no half-created node group
        raise
    return ng


def update_nodegroup_config(self: Any, cluster_name: str, nodegroup_name: str, **kw: Any) -> dict[str, Any]:
    ng = self.describe_nodegroup(cluster_name=cluster_name, nodegroup_name=nodegroup_name)
    _require_active(ng)
    labels = kw.get("labels") or {}
    taints = kw.get("taints") or {}
    requested = {k: v for k, v in (kw.get("scaling_config") or {}).items() if v is not None}
    update_config = kw.get("update_config")
    node_repair_config = kw.get("node_repair_config")
    if requested:
        validate_scaling({**ng.scaling_config, **requested}, True, cluster_name, nodegroup_name)
    if taints:
        validate_taints(taints.get("addOrUpdateTaints"), cluster_name, nodegroup_name)
        keyed = {(t["key"], t.get("effect")) for t in ng.taints}
        keyed |= {(t["key"], t.get("effect")) for t in taints.get("addOrUpdateTaints") or []}
        keyed -= {(t.get("key"), t.get("effect")) for t in taints.get("removeTaints") or []}
        _validate_taint_count(len(keyed), cluster_name, nodegroup_name)
    if not (labels or taints or requested or update_config or node_repair_config):
        raise _invalid("No changes needed", cluster_name, nodegroup_name)

    _orig_update_nodegroup_config(
        self, cluster_name=cluster_name, nodegroup_name=nodegroup_name, **{**kw, "scaling_config": requested}
    )

    params = []
    for key, kind in (("addOrUpdateLabels", "LabelsToAdd"), ("removeLabels", "LabelsToRemove")):
        if labels.get(key):
            params.append({"type": kind, "value": json.dumps(labels[key])})
    for key, kind in (("addOrUpdateTaints", "TaintsToAdd"), ("removeTaints", "TaintsToRemove")):
        if taints.get(key):
            params.append({"type": kind, "value": json.dumps(taints[key])})
    for key, kind in (("minSize", "MinSize"), ("maxSize", "MaxSize"), ("desiredSize", "DesiredSize")):
        if key in requested:
            params.append({"type": kind, "value": str(requested[key])})
    for key, kind in (("maxUnavailable", "MaxUnavailable"), ("maxUnavailablePercentage", "MaxUnavailablePercentage")):
        if update_config and update_config.get(key) is not None:
            params.append({"type": kind, "value": str(update_config[key])})
    if node_repair_config and node_repair_config.get("enabled") is not None:
        params.append({"type": "NodeRepairEnabled", "value": str(node_repair_config["enabled"]).lower()})

    if requested:
        _sync_asg_sizes(ng)
    return _record(ng, "ConfigUpdate", params).as_started()


def update_nodegroup_version(
    self: Any,
    cluster_name: str,
    nodegroup_name: str,
    version: str | None = None,
    release_version: str | None = None,
    launch_template: dict[str, Any] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    cluster = self.describe_cluster(name=cluster_name)
    ng = self.describe_nodegroup(cluster_name=cluster_name, nodegroup_name=nodegroup_name)
    _require_active(ng)
    if version and _version_tuple(version) > _version_tuple(cluster.version):
        raise _invalid(
            f"Requested Nodegroup Version {version} is newer than cluster version {cluster.version}",
            cluster_name,
            nodegroup_name,
        )
    params = []
    if launch_template:
        current = ng.launch_template or {}
        for key in ("id", "name"):
            given = launch_template.get(key)
            if given and current.get(key) and given != current[key]:
                raise _invalid("Launch template does not match the node group's launch template", cluster_name, nodegroup_name)
        ng.launch_template = {**current, **{k: v for k, v in launch_template.items() if v}}
        if launch_template.get("name"):
            params.append({"type": "LaunchTemplateName", "value": launch_template["name"]})
        if launch_template.get("version"):
            params.append({"type": "LaunchTemplateVersion", "value": str(launch_template["version"])})
    if version or release_version or not launch_template:
        # No version at all: the latest AMI release for the cluster's version (AWS).
        # A release version such as 1.29.3-20240506 names its Kubernetes minor.
        new_version = version or (".".join(release_version.split(".")[:2]) if release_version else cluster.version)
        new_release = release_version or _default_release(new_version)
        ng.version = new_version
        ng.release_version = new_release
        params.append({"type": "Version", "value": new_version})
        params.append({"type": "ReleaseVersion", "value": new_release})
    return _record(ng, "VersionUpdate", params).as_started()


def delete_nodegroup(self: Any, cluster_name: str, nodegroup_name: str) -> Any:
    cluster = self.clusters.get(cluster_name)
    ng = self.describe_nodegroup(cluster_name=cluster_name, nodegroup_name=nodegroup_name)
    if ng.status == "DELETING":
        return ng
    _delete_asg(ng)
    ng.status = "DELETING"
    ng.modified_at = utcnow()
    delay = settings.delay("nodegroup_delete_delay", cluster_name)
    if delay > 0:
        ng.emu_gone_at = time.time() + delay
    else:
        _forget(cluster, nodegroup_name)
    return ng


def _find_update(ng: Any, update_id: str) -> Update:
    for update in ng.emu_updates:
        if update.id == update_id:
            return update
    raise ResourceNotFoundException(
        clusterName=ng.cluster_name,
        nodegroupName=ng.nodegroup_name,
        fargateProfileName=None,
        addonName=None,
        message=f"No update found for ID: {update_id}",
    )


def describe_update(self: Any, cluster_name: str, update_id: str, nodegroup_name: str | None) -> Update:
    self.describe_cluster(name=cluster_name)
    if not nodegroup_name:
        raise ResourceNotFoundException(
            clusterName=cluster_name,
            nodegroupName=None,
            fargateProfileName=None,
            addonName=None,
            message=f"No update found for ID: {update_id}",
        )
    ng = self.describe_nodegroup(cluster_name=cluster_name, nodegroup_name=nodegroup_name)
    return _find_update(ng, update_id)


def list_updates(
    self: Any, cluster_name: str, nodegroup_name: str | None, max_results: int, next_token: str | None
) -> tuple[list[str], str | None]:
    self.describe_cluster(name=cluster_name)
    ids: list[str] = []
    if nodegroup_name:
        ng = self.describe_nodegroup(cluster_name=cluster_name, nodegroup_name=nodegroup_name)
        ids = [u.id for u in ng.emu_updates]
    start = int(next_token) if next_token and next_token.isdigit() else 0
    end = start + max_results
    return ids[start:end], (str(end) if end < len(ids) else None)


def list_nodegroups(self: Any, cluster_name: str, max_results: int, next_token: str | None) -> Any:
    self.describe_cluster(name=cluster_name)  # moto: KeyError -> 500 for an unknown cluster
    return _orig_list_nodegroups(self, cluster_name=cluster_name, max_results=max_results, next_token=next_token)


def _taggable(self: Any, arn: str) -> Any:
    for cluster in self.clusters.values():
        if cluster.arn == arn:
            return cluster
        for ng in cluster.nodegroups.values():
            if ng.arn == arn:
                return ng
        for profile in cluster.fargate_profiles.values():
            if profile.fargate_profile_arn == arn:
                return profile
    raise NotFoundException(message=f"Resource was not found: {arn}")


def tag_resource(self: Any, resource_arn: str, tags: dict[str, str]) -> None:
    _taggable(self, resource_arn).tags.update(tags or {})


def untag_resource(self: Any, resource_arn: str, tag_keys: list[str] | str) -> None:
    target = _taggable(self, resource_arn)
    for key in [tag_keys] if isinstance(tag_keys, str) else tag_keys or []:
        target.tags.pop(key, None)


def list_tags_for_resource(self: Any, resource_arn: str) -> dict[str, str]:
    return _taggable(self, resource_arn).tags


# --- response methods (HTTP -> backend) ----------------------------------------------
_orig_call_action = responses.EKSResponse.call_action
_orig_response_create_nodegroup = responses.EKSResponse.create_nodegroup


def _call_action(self: Any) -> Any:
    settle(self.eks_backend)
    return _orig_call_action(self)


def _response_create_nodegroup(self: Any) -> Any:
    result = _orig_response_create_nodegroup(self)
    ng = result.result["nodegroup"]
    if self._get_param("updateConfig"):
        ng.update_config = self._get_param("updateConfig")
    if self._get_param("nodeRepairConfig"):
        ng.node_repair_config = self._get_param("nodeRepairConfig")
    return result


def _response_update_nodegroup_version(self: Any) -> ActionResult:
    update = self.eks_backend.update_nodegroup_version(
        cluster_name=self._get_param("name"),
        nodegroup_name=self._get_param("nodegroupName"),
        version=self._get_param("version"),
        release_version=self._get_param("releaseVersion"),
        launch_template=self._get_param("launchTemplate"),
        force=bool(self._get_param("force")),
    )
    return ActionResult({"update": update})


def _response_describe_update(self: Any) -> ActionResult:
    update = self.eks_backend.describe_update(
        cluster_name=self._get_param("name"),
        update_id=self._get_param("updateId"),
        nodegroup_name=self._get_param("nodegroupName"),
    )
    return ActionResult({"update": update})


def _response_list_updates(self: Any) -> ActionResult:
    ids, token = self.eks_backend.list_updates(
        cluster_name=self._get_param("name"),
        nodegroup_name=self._get_param("nodegroupName"),
        max_results=self._get_int_param("maxResults", 100),
        next_token=self._get_param("nextToken"),
    )
    return ActionResult({"updateIds": ids, "nextToken": token})


# Routes moto lacks; the Flask app is built from urls.url_paths on first use.
NEW_PATHS = (
    "{0}/clusters/(?P<name>[^/]+)/node-groups/(?P<nodegroupName>[^/]+)/update-version$",
    "{0}/clusters/(?P<name>[^/]+)/updates$",
    "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$",
)


def install() -> None:
    """Applies the patches once; must run before moto builds the EKS app."""
    if getattr(models.EKSBackend, "emu_patched", False):
        return
    models.DEFAULT_KUBERNETES_VERSION = DEFAULT_CLUSTER_VERSION
    backend = models.EKSBackend
    backend.create_nodegroup = create_nodegroup
    backend.update_nodegroup_config = update_nodegroup_config
    backend.update_nodegroup_version = update_nodegroup_version
    backend.delete_nodegroup = delete_nodegroup
    backend.describe_update = describe_update
    backend.list_updates = list_updates
    backend.list_nodegroups = list_nodegroups
    backend.tag_resource = tag_resource
    backend.untag_resource = untag_resource
    backend.list_tags_for_resource = list_tags_for_resource
    backend.emu_patched = True

    response = responses.EKSResponse
    response.call_action = _call_action
    response.create_nodegroup = _response_create_nodegroup
    response.update_nodegroup_version = _response_update_nodegroup_version
    response.describe_update = _response_describe_update
    response.list_updates = _response_list_updates
    for path in NEW_PATHS:
        urls.url_paths[path] = urls.response.dispatch
