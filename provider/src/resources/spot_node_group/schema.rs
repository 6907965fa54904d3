//! The `autoscale_spot_node_group` schema: every attribute with the description the docs are
//! generated from.

use super::*;

pub(super) fn schema() -> Schema {
    let scaling = Block::new(
        "How many nodes the group may have. AWS calls this `scalingConfig` (`scaling_config` in the AWS provider). \
         Changed in place.",
    )
    .attribute(
        Attribute::int("min_size")
            .required()
            .validator(validate::int_at_least(0))
            .description("Fewest nodes. The Cluster Autoscaler never scales below it; `0` allows scale to zero."),
    )
    .attribute(
        Attribute::int("max_size")
            .required()
            .validator(validate::int_at_least(1))
            .description("Most nodes. The Cluster Autoscaler never scales above it."),
    )
    .attribute(Attribute::int("desired_size").required().validator(validate::int_at_least(0)).description(
        "Nodes to start with, between `min_size` and `max_size`. Who owns it afterwards is set by `desired_size_policy`: \
         with `initial` the live size (see `current_desired_size`) belongs to the autoscaler, and a later change of this \
         value is only recorded.",
    ));

    let launch_template = Block::new(
        "An EC2 launch template for the nodes. Give `id` or `name`, and `version`. Adding or removing the block, or \
         pointing it at another template, replaces the node group; a new `version` rolls the nodes in place.",
    )
    .attribute(Attribute::string("id").optional().computed().use_state_for_unknown().requires_replace().description(
        "ID of the launch template (`lt-...`). Conflicts with `name`.",
    ))
    .attribute(Attribute::string("name").optional().computed().use_state_for_unknown().requires_replace().description(
        "Name of the launch template. Conflicts with `id`.",
    ))
    .attribute(Attribute::string("version").required().description(
        "Version of the launch template to use, such as `1` or the `latest_version` of an `aws_launch_template`. Changing it \
         starts a rolling update of the nodes.",
    ));

    let update_config = Block::new(
        "How many nodes a rolling update (new version, new launch template version) may take out of service at once. \
         Set exactly one of the two. Leave the block out to keep what EKS has (by default one node).",
    )
    .attribute(
        Attribute::int("max_unavailable")
            .optional()
            .validator(validate::int_between(1, 100))
            .conflicts_with("max_unavailable_percentage")
            .description("Most nodes unavailable at once, as a count."),
    )
    .attribute(
        Attribute::int("max_unavailable_percentage")
            .optional()
            .validator(validate::int_between(1, 100))
            .description("Most nodes unavailable at once, as a percentage of the group."),
    );

    let taint = Block::new(
        "A Kubernetes taint put on every node of the group, so only pods that tolerate it run there. At most 50; a key \
         may appear more than once with different effects. Changed in place.",
    )
    .attribute(Attribute::string("key").required().description("Taint key, with Kubernetes label key syntax (`workload`, `example.com/dedicated`)."))
    .attribute(Attribute::string("value").optional().description("Taint value, at most 63 characters with Kubernetes label value syntax; may be left out."))
    .attribute(
        Attribute::string("effect")
            .required()
            .validator(validate::one_of(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]))
            .description(
                "What the taint does to pods that do not tolerate it, spelled as EKS spells it: `NO_SCHEDULE` (Kubernetes \
                 `NoSchedule`), `NO_EXECUTE` (`NoExecute`) or `PREFER_NO_SCHEDULE` (`PreferNoSchedule`).",
            ),
    );

    let block = Block::new(
        "An EKS managed node group on Spot capacity (or On-Demand), made to be scaled by the Cluster Autoscaler.\n\n\
         Unlike `aws_eks_node_group` with `ignore_changes = [scaling_config[0].desired_size]`, the default \
         `desired_size_policy = \"initial\"` lets the autoscaler own the live desired size *and* lets you raise `min_size` \
         above it: the update sends a desired size clamped into the new range in the same call. Plans check the group \
         before anything is created: sizes, taints, Kubernetes label syntax, and — as a warning — instance types of \
         different sizes, which the Cluster Autoscaler would mis-size (it builds nodes from the first type).",
    )
    .attribute(Attribute::string("id").computed().use_state_for_unknown().description("`cluster_name:node_group_name`, also the import id."))
    .attribute(Attribute::string("cluster_name").required().requires_replace().validator(validate::length_between(1, 100)).description(
        "Name of the EKS cluster the node group joins.",
    ))
    .attribute(
        Attribute::string("node_group_name")
            .optional()
            .computed()
            .use_state_for_unknown()
            .requires_replace()
            .validator(validate::length_between(1, MAX_NAME_LENGTH))
            .validator(validate::matches(NAME_PATTERN, "start with a letter or digit and hold only letters, digits, `-` and `_`"))
            .conflicts_with("node_group_name_prefix")
            .description(
                "Name of the node group, unique in the cluster. Leave it out to have one generated from \
                 `node_group_name_prefix` (or `terraform-`).",
            ),
    )
    .attribute(
        Attribute::string("node_group_name_prefix")
            .optional()
            .requires_replace()
            .validator(validate::length_between(1, MAX_NAME_LENGTH - GENERATED_SUFFIX_LENGTH))
            .validator(validate::matches(NAME_PATTERN, "start with a letter or digit and hold only letters, digits, `-` and `_`"))
            .description("Creates a unique name beginning with this prefix (26 characters are added)."),
    )
    .attribute(Attribute::string("node_role_arn").required().requires_replace().validator(validate::matches(
        r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]+$",
        "be an IAM role ARN such as `arn:aws:iam::123456789012:role/eks-node`",
    )).description(
        "ARN of the IAM role the nodes run as (it needs the AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy and \
         AmazonEC2ContainerRegistryReadOnly policies).",
    ))
    .attribute(
        Attribute::set_of("subnet_ids", Type::String)
            .required()
            .requires_replace()
            .validator(validate::length_between(1, 1000))
            .description("Subnets the nodes are placed in. Spread them over several Availability Zones so Spot has more capacity pools."),
    )
    .attribute(
        Attribute::list_of("instance_types", Type::String)
            .optional()
            .computed()
            .use_state_for_unknown()
            .requires_replace()
            .description(
                "Instance types the group may launch, in order of preference for On-Demand. For Spot, list several types of \
                 the same vCPU and memory (the Cluster Autoscaler sizes every node from the first one; the plan warns \
                 otherwise). Leave it out when the launch template sets the type; EKS then reports the type it uses.",
            ),
    )
    .attribute(
        Attribute::string("capacity_type")
            .default("SPOT")
            .requires_replace()
            .validator(validate::one_of(["SPOT", "ON_DEMAND"]))
            .description("`SPOT` or `ON_DEMAND` capacity."),
    )
    .attribute(
        Attribute::string("ami_type")
            .optional()
            .computed()
            .use_state_for_unknown()
            .requires_replace()
            .validator(validate::one_of(AmiTypes::values().iter().copied()))
            .description("AMI family of the nodes, such as `AL2023_x86_64_STANDARD` or `BOTTLEROCKET_x86_64`. EKS picks one when left out."),
    )
    .attribute(
        Attribute::int("disk_size")
            .optional()
            .computed()
            .use_state_for_unknown()
            .requires_replace()
            .validator(validate::int_at_least(1))
            .description("Root volume size in GiB (EKS default 20). Not allowed with `launch_template`: set it in the template."),
    )
    .attribute(Attribute::string("version").optional().computed().use_state_for_unknown().description(
        "Kubernetes version (`1.33`) of the nodes; the cluster's when left out. It can never be newer than the cluster's. \
         Changing it rolls the nodes in place.",
    ))
    .attribute(Attribute::string("release_version").optional().computed().use_state_for_unknown().description(
        "AMI release version (`1.33.0-20250101`); the latest for `version` when left out. Changing it rolls the nodes in place.",
    ))
    .attribute(Attribute::bool("force_update_version").optional().description(
        "Update the version even when pods cannot be drained because of a PodDisruptionBudget.",
    ))
    .attribute(
        Attribute::string("desired_size_policy")
            .default("initial")
            .validator(validate::one_of(["initial", "enforce"]))
            .description(
                "Who owns the live desired size after create. `initial`: the Cluster Autoscaler; a live size inside \
                 `[min_size, max_size]` is never a diff and never reset, a later change of `scaling.desired_size` is only \
                 recorded, and a new `min_size` / `max_size` moves the live size into the new range in the same call. \
                 `enforce`: Terraform; drift shows in plans and apply resets it.",
            ),
    )
    .attribute(Attribute::map_of("labels", Type::String).optional().description(
        "Kubernetes labels put on every node, such as `workload = \"batch\"`. Keys and values use Kubernetes label syntax. \
         Changed in place. EKS does not copy them to the Auto Scaling group's tags: for scale from zero, tag the \
         groups in `asg_names` with `k8s.io/cluster-autoscaler/node-template/label/<key>`.",
    ))
    .attribute(Attribute::map_of("tags", Type::String).optional().description(
        "Tags on the node group itself (not its Auto Scaling group). At most 50.",
    ))
    .attribute(Attribute::string("arn").computed().use_state_for_unknown().description("ARN of the node group."))
    .attribute(Attribute::string("status").computed().description("Status EKS reports: `ACTIVE`, `CREATING`, `CREATE_FAILED`, `DEGRADED`, ..."))
    .attribute(Attribute::list_of("asg_names", Type::String).computed().use_state_for_unknown().description(
        "Names of the node group's Auto Scaling groups (`eks-<node group>-<uuid>`), for discovery tags and scheduled actions.",
    ))
    .attribute(Attribute::int("current_desired_size").computed().description(
        "The live desired size, as the Cluster Autoscaler left it when state was last refreshed. Informational.",
    ))
    .block(NestedBlock::single("scaling", scaling).min_items(1).max_items(1))
    .block(NestedBlock::single("launch_template", launch_template))
    .block(NestedBlock::single("update_config", update_config))
    .block(NestedBlock::list("taint", taint))
    .block(timeouts::block(&[("create", "60m"), ("update", "60m"), ("delete", "60m")]));
    Schema::new(0, block)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use tfplugin::schema::Nesting;

    use super::*;
    use crate::resources::spot_node_group::tests::*;

    #[test]
    fn every_attribute_and_block_is_documented() {
        fn check(block: &Block, path: &str) {
            assert!(!block.description.is_empty(), "block {path} has no description");
            for attribute in &block.attributes {
                assert!(!attribute.description.is_empty(), "{path}.{} has no description", attribute.name);
            }
            for nested in &block.blocks {
                check(&nested.block, &format!("{path}.{}", nested.type_name));
            }
        }
        check(&schema().block, TYPE_NAME);
        let scaling = schema().block.block_named("scaling").map(|b| (b.nesting, b.min_items, b.max_items));
        assert_eq!(scaling, Some((Nesting::Single, 1, 1)));
    }

    #[test]
    fn model_round_trips_through_the_schema_type() {
        let value = config(|m| {
            m.update_config = Some(UpdateConfigModel { max_unavailable: None, max_unavailable_percentage: Some(33) });
            m.launch_template = Some(LaunchTemplateModel { id: Some("lt-1".into()), name: None, version: Some("3".into()) });
        });
        let conformed = value.clone().conform(&schema().value_type(), &AttributePath::empty()).unwrap();
        assert_eq!(model_of(&conformed).unwrap(), model_of(&value).unwrap());
    }

}
