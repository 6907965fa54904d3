//! The `autoscale_asg_discovery_tags` schema, with the descriptions the docs are generated from.

use super::*;

pub(super) fn schema() -> Schema {
    let mut options =
        Block::new("Per-group overrides of Cluster Autoscaler flags, written as `k8s.io/cluster-autoscaler/node-template/autoscaling-options/<option>` tags.");
    for (attribute, suffix, kind, flag) in OPTIONS {
        let described = |a: Attribute, what: &str| a.optional().description(format!("{what} Overrides `{flag}` for these ASGs (tag option `{suffix}`)."));
        options = options.attribute(match kind {
            OptionKind::Ratio => described(Attribute::number(attribute), "Utilization ratio, `0` to `1`.").validator(validate::float_between(0.0, 1.0)),
            OptionKind::Duration => described(Attribute::string(attribute), "Duration such as `10m` or `1h30m`.").validator(timeouts::duration_validator()),
            OptionKind::Bool => described(Attribute::bool(attribute), "Whether DaemonSet pods are left out of utilization."),
        });
    }
    Schema::new(
        0,
        Block::new(
            "Cluster Autoscaler discovery and scale-from-zero tags on the Auto Scaling groups of an EKS managed node group \
             (looked up at apply, so nothing is unknown at plan time) or on named ASGs. Labels, taints and resources \
             become `k8s.io/cluster-autoscaler/node-template/...` tags, so the Cluster Autoscaler can scale a group up \
             from zero nodes. The resource owns only the tags it writes: other tags are never changed, and a tag already \
             on the ASG with the value wanted (the discovery pair EKS writes) is adopted and left in place on destroy. \
             Refreshes of many instances share DescribeTags calls when they run at the same time; Terraform runs at \
             most `-parallelism` (default 10) at once, so raise it for large fleets.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("`cluster_name:node_group_name`, or `asg:` followed by the comma-separated ASG names."),
        )
        .attribute(
            Attribute::string("cluster_name")
                .required()
                .requires_replace()
                .validator(validate::matches(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$", "be an EKS cluster name (letters, digits, `-` and `_`, at most 100)"))
                .description("Name of the EKS cluster; the discovery tag is `k8s.io/cluster-autoscaler/<cluster_name>`."),
        )
        .attribute(Attribute::string("node_group_name").optional().requires_replace().description(
            "Name of the EKS managed node group whose Auto Scaling groups are tagged. Its ASGs are looked up at apply and \
             on every refresh: when EKS replaces the ASG, the next apply tags the new one. Exactly one of \
             `node_group_name` and `asg_names` must be set.",
        ))
        .attribute(Attribute::set_of("asg_names", Type::String).optional().computed().description(
            "Names of the Auto Scaling groups to tag, instead of `node_group_name`. With `node_group_name`, the node \
             group's ASGs as found at the last refresh.",
        ))
        .attribute(Attribute::bool("from_node_group").optional().computed().description(
            "Whether the node group's own labels and taints (from DescribeNodegroup) are turned into tags, beside \
             `labels` and `taint`. Defaults to `true` with `node_group_name`; cannot be `true` with `asg_names`. They are \
             read when planning: a change the same apply makes to the node group shows up in the next plan. When the node \
             group is managed in the same configuration, passing its labels and taints through `labels` and `taint` \
             (with `from_node_group = false`) keeps both in step in one apply.",
        ))
        .attribute(Attribute::map_of("labels", Type::String).optional().description(
            "Node labels, written as `k8s.io/cluster-autoscaler/node-template/label/<key>` tags. They win over node group \
             labels with the same key. Keys may be at most 82 characters (the tag prefix takes 46).",
        ))
        .attribute(Attribute::map_of("resources", Type::String).optional().validator(validate::each(Arc::new(Quantity))).description(
            "Node resources the Cluster Autoscaler cannot learn from the instance type, e.g. \
                     `{ \"ephemeral-storage\" = \"100G\" }`, written as `k8s.io/cluster-autoscaler/node-template/resources/<name>` tags.",
        ))
        .attribute(Attribute::bool("discovery").default(true).description(
            "Whether to write the discovery tags `k8s.io/cluster-autoscaler/enabled = true` and \
             `k8s.io/cluster-autoscaler/<cluster_name> = owned`. EKS writes them on managed node groups' ASGs itself: \
             they are then adopted, not rewritten.",
        ))
        .attribute(
            Attribute::bool("propagate_at_launch")
                .default(false)
                .description("Whether the tags this resource writes are copied to the instances the ASGs launch."),
        )
        .attribute(
            Attribute::map_of("tags", Type::String)
                .computed()
                .description("Every tag this resource manages, key to value, the same on each ASG (adopted tags included)."),
        )
        .block(
            NestedBlock::list(
                "taint",
                Block::new(
                    "A node taint, written as the tag `k8s.io/cluster-autoscaler/node-template/taint/<key> = <value>:<Effect>` \
                     with the effect in Kubernetes casing. It wins over a node group taint with the same key.",
                )
                .attribute(Attribute::string("key").required().validator(Arc::new(QualifiedName)).description("Taint key."))
                .attribute(Attribute::string("value").optional().validator(Arc::new(LabelValue)).description("Taint value; empty when unset."))
                .attribute(Attribute::string("effect").required().validator(validate::one_of(EFFECTS)).description(
                    "`NoSchedule`, `NoExecute` or `PreferNoSchedule`; the EKS spellings `NO_SCHEDULE`, `NO_EXECUTE` and \
                     `PREFER_NO_SCHEDULE` are accepted too.",
                )),
            )
            .max_items(50),
        )
        .block(NestedBlock::single("autoscaling_options", options)),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_attribute_is_documented() {
        let schema = schema();
        let mut blocks = vec![&schema.block];
        blocks.extend(schema.block.blocks.iter().map(|b| &b.block));
        for block in blocks {
            for attribute in &block.attributes {
                assert!(!attribute.description.is_empty(), "{} has no description", attribute.name);
            }
        }
    }
}
