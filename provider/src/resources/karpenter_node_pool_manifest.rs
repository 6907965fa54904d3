//! `autoscale_karpenter_node_pool_manifest`: a Karpenter NodePool (`karpenter.sh/v1`) and its
//! EC2NodeClass (`karpenter.k8s.aws/v1`) rendered from arguments in the vocabulary of
//! `autoscale_spot_node_group` (capacity types, instance types, labels, taints), checked against
//! the v1 CRDs' rules at plan time; optionally written to `output_path` with drift detection.
//! The lifecycle is `Manifest<K>`'s; this module is the kind: schema, expand, flatten.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::value::{Type, from_value};
use tfplugin::{Diagnostic, Diagnostics, Value, validate};

use super::manifest::ManifestKind;
use super::manifest_files::set;
use crate::render::karpenter::{
    self as karpenter, ARCHITECTURES, BUDGET_REASONS, BlockDeviceMapping, Budget, CAPACITY_TYPES, CONSOLIDATION_POLICIES, DISCOVERY_TAG, MetadataOptions, NodeClass,
    NodePool, OPERATORS, Requirement, TAINT_EFFECTS, Taint, VOLUME_TYPES, WELL_KNOWN_KEYS,
};
use crate::render::{Overrides, RenderError, TemplateName, Violation};

/// The manifest kind; the resource is `Manifest<KarpenterNodePoolManifest>`.
pub struct KarpenterNodePoolManifest;

const TYPE_NAME: &str = KarpenterNodePoolManifest::TYPE_NAME;
/// The AMI alias used when neither `ami_alias` nor `ami_ids` is given.
pub const DEFAULT_AMI_ALIAS: &str = "al2023@latest";

fn taint_block(what: &str) -> Block {
    Block::new(what)
        .attribute(Attribute::string("key").required().description("Taint key, with Kubernetes label key syntax (`workload`, `example.com/dedicated`)."))
        .attribute(Attribute::string("value").optional().description("Taint value, at most 63 characters with Kubernetes label value syntax; may be left out."))
        .attribute(Attribute::string("effect").required().validator(validate::one_of(TAINT_EFFECTS.map(|(ours, _)| ours))).description(
            "What the taint does to pods that do not tolerate it, spelled as `autoscale_spot_node_group` and EKS spell it: `NO_SCHEDULE` \
             (rendered `NoSchedule`), `NO_EXECUTE` (`NoExecute`) or `PREFER_NO_SCHEDULE` (`PreferNoSchedule`).",
        ))
}

fn values_list(name: &str, description: &str) -> Attribute {
    Attribute::list_of(name, Type::String).optional().description(description)
}

/// The schema; shared with the docs generator through `Resource::schema`.
pub fn schema() -> Schema {
    let requirement = Block::new(
        "A node requirement beyond the typed arguments: a Kubernetes node selector requirement on a node label, such as \
         `karpenter.k8s.aws/instance-cpu` `Gt` `[\"3\"]` or `topology.kubernetes.io/zone` `In` `[\"eu-west-1a\"]`. A key set by a typed argument \
         (`instance_types`, ...) cannot be repeated here.",
    )
    .attribute(Attribute::string("key").required().description(
        "Label key. Karpenter refuses `kubernetes.io/hostname`, `karpenter.sh/nodepool`, other `karpenter.sh/` keys than `karpenter.sh/capacity-type`, \
         `karpenter.k8s.aws/` keys that are not well-known, and (v1.0) `kubernetes.io` / `k8s.io` keys that are not well-known.",
    ))
    .attribute(Attribute::string("operator").required().validator(validate::one_of(OPERATORS)).description(
        "`In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt` or `Lt` (the operators every Karpenter v1 release accepts).",
    ))
    .attribute(values_list("values", "Values: at least one for `In` and `NotIn`, none for `Exists` and `DoesNotExist`, a single whole number for `Gt` and `Lt`."))
    .attribute(Attribute::int("min_values").optional().validator(validate::int_between(1, 50)).description(
        "With `In`: the least number of distinct values the launched nodes' choice must keep open (1–50, at most the number of values).",
    ));

    let budget = Block::new(
        "A disruption budget: how many of the pool's nodes Karpenter may disrupt at once (consolidation, drift, emptiness). With `schedule` and \
         `duration` it applies only in that window. Without any budget Karpenter allows 10 %.",
    )
    .attribute(Attribute::string("nodes").required().description("Nodes that may be disrupted at once: a count (`\"5\"`, `\"0\"` to block) or a percentage (`\"10%\"`)."))
    .attribute(Attribute::string("schedule").optional().description(
        "When the budget starts: a 5-field cron expression in UTC (`\"0 9 * * 1-5\"`) or `@daily`, `@hourly`, `@weekly`, `@monthly`, `@yearly`, `@annually`, \
         `@midnight`. Requires `duration`.",
    ))
    .attribute(Attribute::string("duration").optional().description("How long the budget stays active after each start, in minutes and hours (`\"10m\"`, `\"1h30m\"`). Requires `schedule`."))
    .attribute(Attribute::list_of("reasons", Type::String).optional().validator(validate::each(validate::one_of(BUDGET_REASONS))).description(
        "Disruption reasons the budget limits: `Underutilized`, `Empty`, `Drifted`. All of them when left out.",
    ));

    let block_device = Block::new("An EBS volume of the launched nodes (the root volume or another device).")
        .attribute(Attribute::string("device_name").required().description("Device name, e.g. `/dev/xvda` (the AL2023 root device)."))
        .attribute(Attribute::bool("root_volume").optional().description("Whether this is the root volume Karpenter sizes ephemeral storage from; at most one mapping."))
        .attribute(Attribute::string("volume_size").optional().description("Size: a whole number of `Gi`, `G`, `Ti` or `T`, such as `\"100Gi\"`. Required unless `snapshot_id` is set."))
        .attribute(Attribute::string("volume_type").optional().validator(validate::one_of(VOLUME_TYPES)).description("`gp3`, `gp2`, `io1`, `io2`, `st1`, `sc1` or `standard`."))
        .attribute(Attribute::int("iops").optional().description("Provisioned IOPS (gp3, io1, io2)."))
        .attribute(Attribute::int("throughput").optional().description("Throughput in MiB/s (gp3)."))
        .attribute(Attribute::bool("encrypted").optional().description("Whether the volume is encrypted."))
        .attribute(Attribute::bool("delete_on_termination").optional().description("Whether the volume is deleted with the instance."))
        .attribute(Attribute::string("kms_key_id").optional().description("KMS key for an encrypted volume."))
        .attribute(Attribute::string("snapshot_id").optional().description("Snapshot the volume is created from."));

    let metadata_options = Block::new("Instance metadata service (IMDS) options of the launched nodes. Left out: Karpenter's defaults, IMDSv2 only with one hop.")
        .attribute(Attribute::string("http_endpoint").optional().validator(validate::one_of(["enabled", "disabled"])).description("`enabled` (default) or `disabled`."))
        .attribute(Attribute::string("http_protocol_ipv6").optional().validator(validate::one_of(["enabled", "disabled"])).description("IPv6 endpoint: `disabled` (default) or `enabled`."))
        .attribute(Attribute::int("http_put_response_hop_limit").optional().validator(validate::int_between(1, 64)).description(
            "Hops a metadata response may travel, 1–64 (default 1: pods on the node cannot reach the node's credentials).",
        ))
        .attribute(Attribute::string("http_tokens").optional().validator(validate::one_of(["required", "optional"])).description("`required` (IMDSv2 only, default) or `optional`."));

    let discovery = |what: &str| {
        format!(
            "Tags selecting the {what} nodes are launched in (one selector term: all tags must match, `\"*\"` matches any value). Defaults to \
             `{DISCOVERY_TAG} = <cluster_name>` when no IDs are given either."
        )
    };

    Schema::new(
        0,
        Block::new(
            "A Karpenter NodePool (`karpenter.sh/v1`) and the EC2NodeClass (`karpenter.k8s.aws/v1`) it launches nodes with, as Kubernetes manifests. \
             The arguments follow `autoscale_spot_node_group` where the meaning is the same (capacity types, instance types, labels, taints), so one \
             intent can be given to either node autoscaler. Every rule of the v1 CRDs (requirement operators and keys, label domains, taint effects, \
             durations, budget schedules, quantities, AMI selection, IAM identity) is checked at plan time with the argument named; the rendered YAML \
             is known in the plan. Nothing is sent to a cluster: apply `yaml` (or each of `documents`) with the tool of your choice, or let \
             `output_path` write it to a file.",
        )
        .attribute(Attribute::string("id").computed().description("The NodePool's name."))
        .attribute(Attribute::string("name").required().description("Name of the NodePool (a DNS subdomain: lowercase letters, digits, `-` and `.`)."))
        .attribute(Attribute::string("cluster_name").required().description("Name of the EKS cluster; the default subnet and security-group selectors use its discovery tag."))
        .attribute(Attribute::string("node_class_name").optional().computed().description("Name of the EC2NodeClass. Defaults to `name`."))
        .attribute(
            Attribute::list_of("capacity_types", Type::String)
                .default(Value::list([Value::from("SPOT")]))
                .validator(validate::each(validate::one_of(CAPACITY_TYPES.map(|(ours, _)| ours))))
                .description(
                    "Capacity types nodes may use: `SPOT` and/or `ON_DEMAND` (rendered `spot` / `on-demand` for `karpenter.sh/capacity-type`). With both, \
                     Karpenter prefers Spot and falls back to On-Demand; the order here does not change that.",
                ),
        )
        .attribute(values_list("instance_types", "Instance types nodes may be, e.g. `[\"c5.xlarge\", \"c5a.xlarge\"]` (`node.kubernetes.io/instance-type`). Karpenter picks, per pending batch, the cheapest that fits."))
        .attribute(values_list("instance_families", "Instance families, e.g. `[\"c5\", \"c6i\"]` (`karpenter.k8s.aws/instance-family`)."))
        .attribute(values_list("instance_categories", "Instance categories, e.g. `[\"c\", \"m\"]` (`karpenter.k8s.aws/instance-category`)."))
        .attribute(values_list("instance_generations", "Instance generations, e.g. `[\"5\", \"6\"]` (`karpenter.k8s.aws/instance-generation`). For \"newer than\", use a `requirement` with `Gt`."))
        .attribute(values_list("instance_sizes", "Instance sizes, e.g. `[\"xlarge\", \"2xlarge\"]` (`karpenter.k8s.aws/instance-size`)."))
        .attribute(
            Attribute::list_of("architectures", Type::String)
                .optional()
                .validator(validate::each(validate::one_of(ARCHITECTURES)))
                .description("CPU architectures: `amd64` and/or `arm64` (`kubernetes.io/arch`). Left out, Karpenter defaults to `amd64`."),
        )
        .attribute(Attribute::map_of("labels", Type::String).optional().description(
            "Kubernetes labels put on every node, such as `workload = \"batch\"`. Keys and values use Kubernetes label syntax; Karpenter's and \
             Kubernetes' own domains are refused (see `requirement.key`).",
        ))
        .attribute(Attribute::string("expire_after").default("720h").description(
            "How long a node lives before Karpenter replaces it: whole numbers with `s`, `m`, `h` (`720h`, `1h30m`) or `Never`.",
        ))
        .attribute(
            Attribute::string("consolidation_policy")
                .default("WhenEmptyOrUnderutilized")
                .validator(validate::one_of(CONSOLIDATION_POLICIES))
                .description("Which nodes consolidation may remove: `WhenEmptyOrUnderutilized` (also replaces underused nodes with cheaper ones) or `WhenEmpty`."),
        )
        .attribute(Attribute::string("consolidate_after").default("0s").description(
            "How long after a pod was added to or removed from a node it may be consolidated: `30s`, `10m`, ... or `Never`.",
        ))
        .attribute(Attribute::map_of("limits", Type::String).optional().description(
            "Caps on the total of all the pool's nodes, as Kubernetes quantities: `cpu = \"200\"`, `memory = \"400Gi\"` (also `nodes` and extended resources). \
             Karpenter launches no node once a limit is reached.",
        ))
        .attribute(Attribute::int("weight").optional().validator(validate::int_between(1, 100)).description(
            "Priority among NodePools a pod fits, 1–100; higher is tried first. Left out counts as 0.",
        ))
        .attribute(Attribute::string("ami_alias").optional().computed().description(
            "EKS-optimized AMIs by alias, `family@version`: `al2023@latest`, `al2023@v20240807`, `bottlerocket@latest`, `al2@latest`, \
             `windows2022@latest`. Defaults to `al2023@latest` when `ami_ids` is not set. Pin a version in production: `latest` rolls nodes on each release.",
        ))
        .attribute(Attribute::list_of("ami_ids", Type::String).optional().description("AMI IDs (`ami-…`) instead of an alias; needs `ami_family`."))
        .attribute(Attribute::string("ami_family").optional().description(
            "`AL2023`, `AL2`, `Bottlerocket`, `Windows2019`, `Windows2022` or `Custom`: how Karpenter writes the node's user data. Required with `ami_ids`; \
             with an alias it is implied.",
        ))
        .attribute(Attribute::string("role").optional().description(
            "Name of the IAM role nodes assume; Karpenter creates and manages its instance profile. Set this or `instance_profile`.",
        ))
        .attribute(Attribute::string("instance_profile").optional().description("An existing IAM instance profile for the nodes, instead of `role`."))
        .attribute(Attribute::map_of("subnet_selector_tags", Type::String).optional().computed().description(discovery("subnets")))
        .attribute(Attribute::list_of("subnet_ids", Type::String).optional().description("Subnet IDs (`subnet-…`) nodes may be launched in, each its own selector term."))
        .attribute(Attribute::map_of("security_group_selector_tags", Type::String).optional().computed().description(discovery("security groups")))
        .attribute(Attribute::list_of("security_group_ids", Type::String).optional().description("Security group IDs (`sg-…`) of the nodes, each its own selector term."))
        .attribute(Attribute::map_of("tags", Type::String).optional().description(
            "AWS tags on the instances, volumes and launch templates Karpenter creates. `eks:eks-cluster-name`, `kubernetes.io/cluster/*`, \
             `karpenter.sh/nodepool`, `karpenter.sh/nodeclaim` and `karpenter.k8s.aws/ec2nodeclass` are Karpenter's own and refused.",
        ))
        .attribute(Attribute::string("output_path").optional().description(
            "File to write the YAML to. A file changed or deleted outside Terraform shows as drift in the next plan and apply writes it again; destroy removes it.",
        ))
        .attribute(Attribute::string("yaml").computed().description("The EC2NodeClass and the NodePool, separated by `---`."))
        .attribute(Attribute::list_of("documents", Type::String).computed().description("Each object as its own YAML document: the EC2NodeClass, then the NodePool."))
        .attribute(Attribute::string("sha256").computed().description("SHA-256 (hex) of `yaml`."))
        .attribute(Attribute::string("output_file_sha256").computed().description("SHA-256 of the file at `output_path` when last read; null when there is no file."))
        .block(NestedBlock::list("requirement", requirement))
        .block(NestedBlock::list(
            "taint",
            taint_block("A taint put on every node, so only pods that tolerate it run there (`spec.template.spec.taints`). Pods must tolerate it for Karpenter to launch nodes for them."),
        ))
        .block(NestedBlock::list(
            "startup_taint",
            taint_block("A taint put on new nodes that something else removes once the node is initialised (e.g. a CNI or security agent); pods need not tolerate it."),
        ))
        .block(NestedBlock::list("budget", budget))
        .block(NestedBlock::list("block_device_mapping", block_device))
        .block(NestedBlock::single("metadata_options", metadata_options)),
    )
}

#[derive(Debug, Deserialize)]
struct RequirementModel {
    key: Option<String>,
    operator: Option<String>,
    values: Option<Vec<String>>,
    min_values: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct TaintModel {
    key: Option<String>,
    value: Option<String>,
    effect: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BudgetModel {
    nodes: Option<String>,
    schedule: Option<String>,
    duration: Option<String>,
    reasons: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct BlockDeviceModel {
    device_name: Option<String>,
    root_volume: Option<bool>,
    volume_size: Option<String>,
    volume_type: Option<String>,
    iops: Option<i64>,
    throughput: Option<i64>,
    encrypted: Option<bool>,
    delete_on_termination: Option<bool>,
    kms_key_id: Option<String>,
    snapshot_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MetadataOptionsModel {
    http_endpoint: Option<String>,
    http_protocol_ipv6: Option<String>,
    http_put_response_hop_limit: Option<i64>,
    http_tokens: Option<String>,
}

/// The arguments (computed attributes are read from values directly).
#[derive(Debug, Deserialize)]
struct NodePoolModel {
    name: Option<String>,
    cluster_name: Option<String>,
    node_class_name: Option<String>,
    capacity_types: Option<Vec<String>>,
    instance_types: Option<Vec<String>>,
    instance_families: Option<Vec<String>>,
    instance_categories: Option<Vec<String>>,
    instance_generations: Option<Vec<String>>,
    instance_sizes: Option<Vec<String>>,
    architectures: Option<Vec<String>>,
    labels: Option<BTreeMap<String, String>>,
    expire_after: Option<String>,
    consolidation_policy: Option<String>,
    consolidate_after: Option<String>,
    limits: Option<BTreeMap<String, String>>,
    weight: Option<i64>,
    ami_alias: Option<String>,
    ami_ids: Option<Vec<String>>,
    ami_family: Option<String>,
    role: Option<String>,
    instance_profile: Option<String>,
    subnet_selector_tags: Option<BTreeMap<String, String>>,
    subnet_ids: Option<Vec<String>>,
    security_group_selector_tags: Option<BTreeMap<String, String>>,
    security_group_ids: Option<Vec<String>>,
    tags: Option<BTreeMap<String, String>>,
    requirement: Option<Vec<RequirementModel>>,
    taint: Option<Vec<TaintModel>>,
    startup_taint: Option<Vec<TaintModel>>,
    budget: Option<Vec<BudgetModel>>,
    block_device_mapping: Option<Vec<BlockDeviceModel>>,
    metadata_options: Option<MetadataOptionsModel>,
}

fn taints(models: Option<Vec<TaintModel>>) -> Vec<Taint> {
    models.unwrap_or_default().into_iter().map(|t| Taint { key: t.key.unwrap_or_default(), value: t.value, effect: t.effect.unwrap_or_default() }).collect()
}

/// The selector tags a node class uses: the given ones, or the discovery tag when neither tags
/// nor IDs are given.
fn selector_tags(given: Option<BTreeMap<String, String>>, ids: &[String], cluster_name: &str) -> BTreeMap<String, String> {
    match given {
        Some(tags) => tags,
        None if ids.is_empty() => BTreeMap::from([(DISCOVERY_TAG.to_string(), cluster_name.to_string())]),
        None => BTreeMap::new(),
    }
}

/// The spec an object value describes; the node class name, AMI alias and selector tags
/// default from the other arguments.
fn spec_of(value: &Value) -> Result<NodePool, Diagnostics> {
    let m: NodePoolModel = from_value(value).map_err(|e| Diagnostics::from(Diagnostic::error("Provider bug", format!("reading the {TYPE_NAME} arguments: {e}"))))?;
    let name = m.name.unwrap_or_default();
    let cluster_name = m.cluster_name.unwrap_or_default();
    let ami_ids = m.ami_ids.unwrap_or_default();
    let subnet_ids = m.subnet_ids.unwrap_or_default();
    let security_group_ids = m.security_group_ids.unwrap_or_default();
    let defaults = MetadataOptions::default();
    let metadata_options = match m.metadata_options {
        None => defaults,
        Some(o) => MetadataOptions {
            http_endpoint: o.http_endpoint.unwrap_or(defaults.http_endpoint),
            http_protocol_ipv6: o.http_protocol_ipv6.unwrap_or(defaults.http_protocol_ipv6),
            http_put_response_hop_limit: o.http_put_response_hop_limit.unwrap_or(defaults.http_put_response_hop_limit),
            http_tokens: o.http_tokens.unwrap_or(defaults.http_tokens),
        },
    };
    Ok(NodePool {
        node_class: NodeClass {
            name: m.node_class_name.unwrap_or_else(|| name.clone()),
            ami_alias: m.ami_alias.or_else(|| ami_ids.is_empty().then(|| DEFAULT_AMI_ALIAS.to_string())),
            ami_ids,
            ami_family: m.ami_family,
            role: m.role,
            instance_profile: m.instance_profile,
            subnet_selector_tags: selector_tags(m.subnet_selector_tags, &subnet_ids, &cluster_name),
            subnet_ids,
            security_group_selector_tags: selector_tags(m.security_group_selector_tags, &security_group_ids, &cluster_name),
            security_group_ids,
            block_device_mappings: m
                .block_device_mapping
                .unwrap_or_default()
                .into_iter()
                .map(|b| BlockDeviceMapping {
                    device_name: b.device_name.unwrap_or_default(),
                    root_volume: b.root_volume.unwrap_or(false),
                    volume_size: b.volume_size,
                    volume_type: b.volume_type,
                    iops: b.iops,
                    throughput: b.throughput,
                    encrypted: b.encrypted,
                    delete_on_termination: b.delete_on_termination,
                    kms_key_id: b.kms_key_id,
                    snapshot_id: b.snapshot_id,
                })
                .collect(),
            metadata_options,
            tags: m.tags.unwrap_or_default(),
        },
        name,
        cluster_name,
        capacity_types: m.capacity_types.unwrap_or_else(|| vec!["SPOT".into()]),
        instance_types: m.instance_types.unwrap_or_default(),
        instance_families: m.instance_families.unwrap_or_default(),
        instance_categories: m.instance_categories.unwrap_or_default(),
        instance_generations: m.instance_generations.unwrap_or_default(),
        instance_sizes: m.instance_sizes.unwrap_or_default(),
        architectures: m.architectures.unwrap_or_default(),
        requirements: m
            .requirement
            .unwrap_or_default()
            .into_iter()
            .map(|r| Requirement { key: r.key.unwrap_or_default(), operator: r.operator.unwrap_or_default(), values: r.values.unwrap_or_default(), min_values: r.min_values })
            .collect(),
        labels: m.labels.unwrap_or_default(),
        taints: taints(m.taint),
        startup_taints: taints(m.startup_taint),
        expire_after: m.expire_after.unwrap_or_else(|| "720h".into()),
        consolidation_policy: m.consolidation_policy.unwrap_or_else(|| "WhenEmptyOrUnderutilized".into()),
        consolidate_after: m.consolidate_after.unwrap_or_else(|| "0s".into()),
        budgets: m
            .budget
            .unwrap_or_default()
            .into_iter()
            .map(|b| Budget { nodes: b.nodes.unwrap_or_default(), schedule: b.schedule, duration: b.duration, reasons: b.reasons.unwrap_or_default() })
            .collect(),
        limits: m.limits.unwrap_or_default(),
        weight: m.weight,
    })
}

fn text_or_null(value: Option<&String>) -> Value {
    value.map_or(Value::Null, |v| Value::from(v.as_str()))
}

fn texts(values: &[String]) -> Value {
    Value::list(values.iter().map(|v| Value::from(v.as_str())))
}

fn texts_or_null(values: &[String]) -> Value {
    if values.is_empty() { Value::Null } else { texts(values) }
}

fn map_or_null(map: &BTreeMap<String, String>) -> Value {
    if map.is_empty() { Value::Null } else { Value::map(map.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str())))) }
}

fn taints_value(taints: &[Taint]) -> Value {
    Value::list(taints.iter().map(|t| Value::object([("key", Value::from(t.key.as_str())), ("value", text_or_null(t.value.as_ref())), ("effect", Value::from(t.effect.as_str()))])))
}

/// The arguments (and derived values) a spec stands for; computed outputs null.
fn arguments(pool: &NodePool) -> Value {
    let class = &pool.node_class;
    // Import reads back only the options that differ from Karpenter's defaults (a configuration
    // leaves those out; one that spells a default out shows it as a change after import).
    let (m, d) = (&class.metadata_options, MetadataOptions::default());
    let differing = |value: &String, default: &String| if value == default { Value::Null } else { Value::from(value.as_str()) };
    let metadata_options = if *m == d {
        Value::Null
    } else {
        Value::object([
            ("http_endpoint", differing(&m.http_endpoint, &d.http_endpoint)),
            ("http_protocol_ipv6", differing(&m.http_protocol_ipv6, &d.http_protocol_ipv6)),
            ("http_put_response_hop_limit", if m.http_put_response_hop_limit == d.http_put_response_hop_limit { Value::Null } else { Value::from(m.http_put_response_hop_limit) }),
            ("http_tokens", differing(&m.http_tokens, &d.http_tokens)),
        ])
    };
    let opt_bool = |v: Option<bool>| v.map_or(Value::Null, Value::from);
    let opt_int = |v: Option<i64>| v.map_or(Value::Null, Value::from);
    Value::object([
        ("id", Value::Null),
        ("name", Value::from(pool.name.as_str())),
        ("cluster_name", Value::from(pool.cluster_name.as_str())),
        ("node_class_name", Value::from(class.name.as_str())),
        ("capacity_types", texts(&pool.capacity_types)),
        ("instance_types", texts_or_null(&pool.instance_types)),
        ("instance_families", texts_or_null(&pool.instance_families)),
        ("instance_categories", texts_or_null(&pool.instance_categories)),
        ("instance_generations", texts_or_null(&pool.instance_generations)),
        ("instance_sizes", texts_or_null(&pool.instance_sizes)),
        ("architectures", texts_or_null(&pool.architectures)),
        ("labels", map_or_null(&pool.labels)),
        ("expire_after", Value::from(pool.expire_after.as_str())),
        ("consolidation_policy", Value::from(pool.consolidation_policy.as_str())),
        ("consolidate_after", Value::from(pool.consolidate_after.as_str())),
        ("limits", map_or_null(&pool.limits)),
        ("weight", opt_int(pool.weight)),
        ("ami_alias", text_or_null(class.ami_alias.as_ref())),
        ("ami_ids", texts_or_null(&class.ami_ids)),
        ("ami_family", text_or_null(class.ami_family.as_ref())),
        ("role", text_or_null(class.role.as_ref())),
        ("instance_profile", text_or_null(class.instance_profile.as_ref())),
        ("subnet_selector_tags", map_or_null(&class.subnet_selector_tags)),
        ("subnet_ids", texts_or_null(&class.subnet_ids)),
        ("security_group_selector_tags", map_or_null(&class.security_group_selector_tags)),
        ("security_group_ids", texts_or_null(&class.security_group_ids)),
        ("tags", map_or_null(&class.tags)),
        ("output_path", Value::Null),
        ("yaml", Value::Null),
        ("documents", Value::Null),
        ("sha256", Value::Null),
        ("output_file_sha256", Value::Null),
        (
            "requirement",
            Value::list(pool.requirements.iter().map(|r| {
                Value::object([("key", Value::from(r.key.as_str())), ("operator", Value::from(r.operator.as_str())), ("values", texts_or_null(&r.values)), ("min_values", opt_int(r.min_values))])
            })),
        ),
        ("taint", taints_value(&pool.taints)),
        ("startup_taint", taints_value(&pool.startup_taints)),
        (
            "budget",
            Value::list(pool.budgets.iter().map(|b| {
                Value::object([
                    ("nodes", Value::from(b.nodes.as_str())),
                    ("schedule", text_or_null(b.schedule.as_ref())),
                    ("duration", text_or_null(b.duration.as_ref())),
                    ("reasons", texts_or_null(&b.reasons)),
                ])
            })),
        ),
        (
            "block_device_mapping",
            Value::list(class.block_device_mappings.iter().map(|b| {
                Value::object([
                    ("device_name", Value::from(b.device_name.as_str())),
                    ("root_volume", if b.root_volume { Value::from(true) } else { Value::Null }),
                    ("volume_size", text_or_null(b.volume_size.as_ref())),
                    ("volume_type", text_or_null(b.volume_type.as_ref())),
                    ("iops", opt_int(b.iops)),
                    ("throughput", opt_int(b.throughput)),
                    ("encrypted", opt_bool(b.encrypted)),
                    ("delete_on_termination", opt_bool(b.delete_on_termination)),
                    ("kms_key_id", text_or_null(b.kms_key_id.as_ref())),
                    ("snapshot_id", text_or_null(b.snapshot_id.as_ref())),
                ])
            })),
        ),
        ("metadata_options", metadata_options),
    ])
}

fn strings(value: &Json) -> Vec<String> {
    value.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

fn string_map(value: &Json) -> BTreeMap<String, String> {
    value.as_object().into_iter().flatten().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect()
}

fn opt_string(value: &Json) -> Option<String> {
    value.as_str().map(str::to_string)
}

/// Taints read back, the effect in the resource's spelling (`NoSchedule` → `NO_SCHEDULE`).
fn taints_of(value: &Json) -> Vec<Taint> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let effect = t["effect"].as_str().unwrap_or_default();
            let ours = TAINT_EFFECTS.iter().find(|(_, k8s)| *k8s == effect).map_or(effect, |(ours, _)| ours);
            Taint { key: t["key"].as_str().unwrap_or_default().to_string(), value: opt_string(&t["value"]), effect: ours.to_string() }
        })
        .collect()
}

/// Selector terms read back: the tags of the tag term and the IDs of the ID terms.
fn selector_of(terms: &Json) -> (BTreeMap<String, String>, Vec<String>) {
    let mut tags = BTreeMap::new();
    let mut ids = Vec::new();
    for term in terms.as_array().into_iter().flatten() {
        tags.extend(string_map(&term["tags"]));
        ids.extend(opt_string(&term["id"]));
    }
    (tags, ids)
}

/// The spec a manifest file describes (import). Requirements on the well-known keys with `In`
/// (and no `minValues`) become the typed arguments; the others stay requirements.
///
/// # Errors
/// A sentence when the text is not an EC2NodeClass and NodePool of the v1 API.
pub fn spec_from_manifest(content: &str) -> Result<NodePool, String> {
    let documents = crate::render::parse_documents(content)?;
    let find = |api: &str, kind: &str| {
        documents.iter().find(|d| d["kind"] == kind && d["apiVersion"] == api).ok_or_else(|| format!("the file holds no {kind} of apiVersion {api}"))
    };
    let class = find("karpenter.k8s.aws/v1", "EC2NodeClass")?;
    let pool = find("karpenter.sh/v1", "NodePool")?;
    let c = &class["spec"];
    let p = &pool["spec"];
    let t = &p["template"]["spec"];
    let (subnet_selector_tags, subnet_ids) = selector_of(&c["subnetSelectorTerms"]);
    let (security_group_selector_tags, security_group_ids) = selector_of(&c["securityGroupSelectorTerms"]);
    let cluster_name = subnet_selector_tags.get(DISCOVERY_TAG).or_else(|| security_group_selector_tags.get(DISCOVERY_TAG)).cloned().unwrap_or_default();
    if cluster_name.is_empty() {
        return Err(format!("no {DISCOVERY_TAG} selector tag names the cluster; import needs it for cluster_name"));
    }
    let mut ami_alias = None;
    let mut ami_ids = Vec::new();
    for term in c["amiSelectorTerms"].as_array().into_iter().flatten() {
        ami_alias = ami_alias.or_else(|| opt_string(&term["alias"]));
        ami_ids.extend(opt_string(&term["id"]));
    }
    let defaults = MetadataOptions::default();
    let m = &c["metadataOptions"];
    let metadata_options = MetadataOptions {
        http_endpoint: opt_string(&m["httpEndpoint"]).unwrap_or(defaults.http_endpoint),
        http_protocol_ipv6: opt_string(&m["httpProtocolIPv6"]).unwrap_or(defaults.http_protocol_ipv6),
        http_put_response_hop_limit: m["httpPutResponseHopLimit"].as_i64().unwrap_or(defaults.http_put_response_hop_limit),
        http_tokens: opt_string(&m["httpTokens"]).unwrap_or(defaults.http_tokens),
    };
    let mut spec = NodePool {
        name: opt_string(&pool["metadata"]["name"]).unwrap_or_default(),
        cluster_name,
        capacity_types: vec![],
        instance_types: vec![],
        instance_families: vec![],
        instance_categories: vec![],
        instance_generations: vec![],
        instance_sizes: vec![],
        architectures: vec![],
        requirements: vec![],
        labels: string_map(&p["template"]["metadata"]["labels"]),
        taints: taints_of(&t["taints"]),
        startup_taints: taints_of(&t["startupTaints"]),
        expire_after: opt_string(&t["expireAfter"]).unwrap_or_else(|| "720h".into()),
        consolidation_policy: opt_string(&p["disruption"]["consolidationPolicy"]).unwrap_or_else(|| "WhenEmptyOrUnderutilized".into()),
        consolidate_after: opt_string(&p["disruption"]["consolidateAfter"]).unwrap_or_else(|| "0s".into()),
        budgets: p["disruption"]["budgets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| Budget { nodes: opt_string(&b["nodes"]).unwrap_or_default(), schedule: opt_string(&b["schedule"]), duration: opt_string(&b["duration"]), reasons: strings(&b["reasons"]) })
            .collect(),
        limits: p["limits"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect(),
        weight: p["weight"].as_i64(),
        node_class: NodeClass {
            name: opt_string(&class["metadata"]["name"]).unwrap_or_default(),
            ami_alias,
            ami_ids,
            ami_family: opt_string(&c["amiFamily"]),
            role: opt_string(&c["role"]),
            instance_profile: opt_string(&c["instanceProfile"]),
            subnet_selector_tags,
            subnet_ids,
            security_group_selector_tags,
            security_group_ids,
            block_device_mappings: c["blockDeviceMappings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| {
                    let e = &b["ebs"];
                    BlockDeviceMapping {
                        device_name: opt_string(&b["deviceName"]).unwrap_or_default(),
                        root_volume: b["rootVolume"].as_bool().unwrap_or(false),
                        volume_size: opt_string(&e["volumeSize"]),
                        volume_type: opt_string(&e["volumeType"]),
                        iops: e["iops"].as_i64(),
                        throughput: e["throughput"].as_i64(),
                        encrypted: e["encrypted"].as_bool(),
                        delete_on_termination: e["deleteOnTermination"].as_bool(),
                        kms_key_id: opt_string(&e["kmsKeyID"]),
                        snapshot_id: opt_string(&e["snapshotID"]),
                    }
                })
                .collect(),
            metadata_options,
            tags: string_map(&c["tags"]),
        },
    };
    for r in t["requirements"].as_array().into_iter().flatten() {
        let key = r["key"].as_str().unwrap_or_default();
        let operator = r["operator"].as_str().unwrap_or_default();
        let values = strings(&r["values"]);
        let typed = WELL_KNOWN_KEYS.iter().find(|(_, k)| *k == key).map(|(argument, _)| *argument);
        let slot = match typed {
            Some(argument) if operator == "In" && r["minValues"].is_null() => typed_slot(&mut spec, argument).filter(|slot| slot.is_empty()),
            _ => None,
        };
        match slot {
            Some(slot) if typed == Some("capacity_types") => {
                *slot = values.iter().map(|v| CAPACITY_TYPES.iter().find(|(_, k8s)| k8s == v).map_or(v.clone(), |(ours, _)| (*ours).to_string())).collect();
            }
            Some(slot) => *slot = values,
            None => spec.requirements.push(Requirement { key: key.to_string(), operator: operator.to_string(), values, min_values: r["minValues"].as_i64() }),
        }
    }
    Ok(spec)
}

fn typed_slot<'a>(spec: &'a mut NodePool, argument: &str) -> Option<&'a mut Vec<String>> {
    match argument {
        "capacity_types" => Some(&mut spec.capacity_types),
        "instance_types" => Some(&mut spec.instance_types),
        "instance_families" => Some(&mut spec.instance_families),
        "instance_categories" => Some(&mut spec.instance_categories),
        "instance_generations" => Some(&mut spec.instance_generations),
        "instance_sizes" => Some(&mut spec.instance_sizes),
        "architectures" => Some(&mut spec.architectures),
        _ => None,
    }
}

impl ManifestKind for KarpenterNodePoolManifest {
    type Spec = NodePool;
    type Rendered = karpenter::Rendered;

    const TYPE_NAME: &'static str = "autoscale_karpenter_node_pool_manifest";
    const WHAT: &'static str = "Karpenter NodePool manifest";
    const INVALID: &'static str = "Invalid Karpenter NodePool";
    const NOUN: &'static str = "Karpenter NodePool manifest";
    const TEMPLATES: &'static [TemplateName] = &[TemplateName::KarpenterNodePool];
    const OUTPUTS: &'static [&'static str] = &["id", "yaml", "documents", "sha256", "output_file_sha256"];
    /// Defaulted from `name`, `cluster_name` and the ID arguments.
    const DERIVED: &'static [&'static str] = &["node_class_name", "ami_alias", "subnet_selector_tags", "security_group_selector_tags"];

    fn schema() -> Schema {
        schema()
    }

    fn spec_of(value: &Value) -> Result<NodePool, Diagnostics> {
        spec_of(value)
    }

    fn validate(spec: &NodePool) -> Vec<Violation> {
        karpenter::validate(spec)
    }

    fn render(spec: &NodePool, overrides: &Overrides) -> Result<karpenter::Rendered, RenderError> {
        karpenter::render(spec, overrides)
    }

    fn set_outputs(state: &mut Value, spec: &NodePool, rendered: &karpenter::Rendered) {
        let class = &spec.node_class;
        set(state, "node_class_name", Value::from(class.name.as_str()));
        set(state, "ami_alias", text_or_null(class.ami_alias.as_ref()));
        set(state, "subnet_selector_tags", map_or_null(&class.subnet_selector_tags));
        set(state, "security_group_selector_tags", map_or_null(&class.security_group_selector_tags));
        set(state, "id", Value::from(spec.name.as_str()));
        set(state, "yaml", Value::from(rendered.yaml.as_str()));
        set(state, "documents", Value::list(rendered.documents.iter().map(|d| Value::from(d.as_str()))));
        set(state, "sha256", Value::from(rendered.sha256.as_str()));
    }

    fn flatten(content: &str) -> Result<Value, String> {
        spec_from_manifest(content).map(|spec| arguments(&spec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::karpenter::tests::seed;
    use tfplugin::AttributePath;

    #[test]
    fn import_recovers_the_arguments() {
        let mut spec = seed();
        spec.requirements.push(Requirement { key: "karpenter.k8s.aws/instance-cpu".into(), operator: "Gt".into(), values: vec!["3".into()], min_values: None });
        spec.startup_taints.push(Taint { key: "node.cilium.io/agent-not-ready".into(), value: None, effect: "NO_EXECUTE".into() });
        spec.budgets.push(Budget { nodes: "0".into(), schedule: Some("0 9 * * 1-5".into()), duration: Some("8h".into()), reasons: vec!["Underutilized".into()] });
        spec.node_class.block_device_mappings.push(BlockDeviceMapping { device_name: "/dev/xvda".into(), root_volume: true, volume_size: Some("100Gi".into()), volume_type: Some("gp3".into()), encrypted: Some(true), ..BlockDeviceMapping::default() });
        spec.node_class.metadata_options.http_put_response_hop_limit = 2;
        spec.node_class.tags.insert("team".into(), "batch".into());
        spec.weight = Some(10);
        let rendered = karpenter::render(&spec, &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        let config = KarpenterNodePoolManifest::flatten(&rendered.yaml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec_of(&config).unwrap_or_else(|d| panic!("{d:?}")), spec);
        assert!(config.clone().conform(&schema().value_type(), &AttributePath::empty()).is_ok());
    }

    #[test]
    fn selectors_default_to_the_discovery_tag_unless_ids_are_given() {
        let config = arguments(&seed());
        let mut bare = config.clone();
        for name in ["subnet_selector_tags", "security_group_selector_tags", "ami_alias", "node_class_name"] {
            set(&mut bare, name, Value::Null);
        }
        let spec = spec_of(&bare).unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(spec.node_class.subnet_selector_tags, BTreeMap::from([(DISCOVERY_TAG.to_string(), "production".to_string())]));
        assert_eq!(spec.node_class.ami_alias.as_deref(), Some(DEFAULT_AMI_ALIAS));
        assert_eq!(spec.node_class.name, "batch-spot");
        set(&mut bare, "subnet_ids", Value::list([Value::from("subnet-0abc")]));
        let spec = spec_of(&bare).unwrap_or_else(|d| panic!("{d:?}"));
        assert!(spec.node_class.subnet_selector_tags.is_empty());
    }

    #[test]
    fn import_refuses_other_files() {
        assert!(KarpenterNodePoolManifest::flatten("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n").is_err_and(|e| e.contains("EC2NodeClass")));
    }
}
