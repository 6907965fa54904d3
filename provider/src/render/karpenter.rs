//! Karpenter (v1 API) node pools: the typed spec of a NodePool (`karpenter.sh/v1`) and its
//! EC2NodeClass (`karpenter.k8s.aws/v1`), the rules their CRDs enforce (checked at the resource's
//! attribute paths), and rendering of both objects as one two-document YAML.
//!
//! The spec speaks the vocabulary of `autoscale_spot_node_group` where the meaning is the same
//! (capacity types `SPOT`/`ON_DEMAND`, taint effects `NO_SCHEDULE`, ...); rendering translates to
//! Karpenter's spelling. Each rule and its source is listed in docs/design/karpenter-reference.md.
//! Where Karpenter releases differ, the rule every v1 release accepts is enforced (the six
//! requirement operators and two consolidation policies of v1.0, its label-domain restrictions),
//! so a rendered manifest is valid on any v1 installation.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value as Json, json};
use tfplugin::AttributePath;

use super::cluster_autoscaler::{check_output, is_cluster_name, split_documents};
use super::kubernetes::{check_name, is_label_value, is_qualified_name, quantity_is_positive};
use super::templates::{self, Overrides, TemplateName};
use super::{RenderError, Violation, sha256_hex};
use crate::schedule::parse_recurrence;

/// The tag Karpenter's documentation uses to discover a cluster's subnets and security groups.
pub const DISCOVERY_TAG: &str = "karpenter.sh/discovery";
/// Capacity types, as `autoscale_spot_node_group` spells them, with Karpenter's spelling.
pub const CAPACITY_TYPES: [(&str, &str); 2] = [("SPOT", "spot"), ("ON_DEMAND", "on-demand")];
/// Taint effects, EKS spelling → Kubernetes spelling.
pub const TAINT_EFFECTS: [(&str, &str); 3] = [("NO_SCHEDULE", "NoSchedule"), ("NO_EXECUTE", "NoExecute"), ("PREFER_NO_SCHEDULE", "PreferNoSchedule")];
/// Requirement operators every v1 release accepts (v1.14 adds `Gte` and `Lte`).
pub const OPERATORS: [&str; 6] = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"];
/// Consolidation policies every v1 release accepts (v1.14 adds `Balanced`).
pub const CONSOLIDATION_POLICIES: [&str; 2] = ["WhenEmpty", "WhenEmptyOrUnderutilized"];
/// Disruption reasons a budget may name.
pub const BUDGET_REASONS: [&str; 3] = ["Underutilized", "Empty", "Drifted"];
/// AMI alias families of v1.0 (v1.14 adds `windows2025`).
pub const ALIAS_FAMILIES: [(&str, &str); 5] = [("al2", "AL2"), ("al2023", "AL2023"), ("bottlerocket", "Bottlerocket"), ("windows2019", "Windows2019"), ("windows2022", "Windows2022")];
/// `amiFamily` values of v1.0.
pub const AMI_FAMILIES: [&str; 6] = ["AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022"];
/// Architectures Karpenter launches on AWS.
pub const ARCHITECTURES: [&str; 2] = ["amd64", "arm64"];
/// EBS volume types.
pub const VOLUME_TYPES: [&str; 7] = ["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"];
/// Cron macros a budget schedule may use instead of five fields.
pub const SCHEDULE_MACROS: [&str; 7] = ["@annually", "@yearly", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
/// Well-known keys of the convenience arguments, in the order they are rendered.
pub const WELL_KNOWN_KEYS: [(&str, &str); 7] = [
    ("capacity_types", "karpenter.sh/capacity-type"),
    ("instance_types", "node.kubernetes.io/instance-type"),
    ("instance_families", "karpenter.k8s.aws/instance-family"),
    ("instance_categories", "karpenter.k8s.aws/instance-category"),
    ("instance_generations", "karpenter.k8s.aws/instance-generation"),
    ("instance_sizes", "karpenter.k8s.aws/instance-size"),
    ("architectures", "kubernetes.io/arch"),
];
/// `karpenter.k8s.aws` labels a NodePool may use (the CRD's allow-list, common to v1.0 and v1.14).
const KARPENTER_AWS_LABELS: [&str; 19] = [
    "instance-encryption-in-transit-supported", "instance-category", "instance-hypervisor", "instance-family", "instance-generation", "instance-local-nvme",
    "instance-size", "instance-cpu", "instance-cpu-manufacturer", "instance-memory", "instance-ebs-bandwidth", "instance-network-bandwidth", "instance-gpu-name",
    "instance-gpu-manufacturer", "instance-gpu-count", "instance-gpu-memory", "instance-accelerator-name", "instance-accelerator-manufacturer",
    "instance-accelerator-count",
];
/// `kubernetes.io` labels a v1.0 NodePool may use besides the `node.kubernetes.io` and
/// `node-restriction.kubernetes.io` domains.
const KUBERNETES_IO_LABELS: [&str; 10] = [
    "beta.kubernetes.io/instance-type", "failure-domain.beta.kubernetes.io/region", "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
    "failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/zone", "topology.kubernetes.io/region", "kubernetes.io/arch", "kubernetes.io/os",
    "node.kubernetes.io/windows-build",
];
/// EC2NodeClass tag keys Karpenter refuses (it sets them itself).
const RESTRICTED_TAGS: [&str; 4] = ["eks:eks-cluster-name", "karpenter.sh/nodepool", "karpenter.sh/nodeclaim", "karpenter.k8s.aws/ec2nodeclass"];

/// A node selector requirement beyond the convenience arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
    pub min_values: Option<i64>,
}

/// A taint, its effect spelled as EKS spells it (`NO_SCHEDULE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    pub effect: String,
}

/// A disruption budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub nodes: String,
    pub schedule: Option<String>,
    pub duration: Option<String>,
    pub reasons: Vec<String>,
}

/// An EBS block device mapping.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockDeviceMapping {
    pub device_name: String,
    pub root_volume: bool,
    pub volume_size: Option<String>,
    pub volume_type: Option<String>,
    pub iops: Option<i64>,
    pub throughput: Option<i64>,
    pub encrypted: Option<bool>,
    pub delete_on_termination: Option<bool>,
    pub kms_key_id: Option<String>,
    pub snapshot_id: Option<String>,
}

/// Instance metadata service options; the defaults are the CRD's (IMDSv2 only, one hop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataOptions {
    pub http_endpoint: String,
    pub http_protocol_ipv6: String,
    pub http_put_response_hop_limit: i64,
    pub http_tokens: String,
}

impl Default for MetadataOptions {
    fn default() -> Self {
        Self { http_endpoint: "enabled".into(), http_protocol_ipv6: "disabled".into(), http_put_response_hop_limit: 1, http_tokens: "required".into() }
    }
}

/// The EC2NodeClass: how nodes are launched.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeClass {
    pub name: String,
    pub ami_alias: Option<String>,
    pub ami_ids: Vec<String>,
    pub ami_family: Option<String>,
    pub role: Option<String>,
    pub instance_profile: Option<String>,
    pub subnet_selector_tags: BTreeMap<String, String>,
    pub subnet_ids: Vec<String>,
    pub security_group_selector_tags: BTreeMap<String, String>,
    pub security_group_ids: Vec<String>,
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    pub metadata_options: MetadataOptions,
    pub tags: BTreeMap<String, String>,
}

/// The NodePool and its node class, as the resource's arguments describe them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePool {
    pub name: String,
    pub cluster_name: String,
    /// `SPOT` and/or `ON_DEMAND`.
    pub capacity_types: Vec<String>,
    pub instance_types: Vec<String>,
    pub instance_families: Vec<String>,
    pub instance_categories: Vec<String>,
    pub instance_generations: Vec<String>,
    pub instance_sizes: Vec<String>,
    pub architectures: Vec<String>,
    pub requirements: Vec<Requirement>,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub startup_taints: Vec<Taint>,
    pub expire_after: String,
    pub consolidation_policy: String,
    pub consolidate_after: String,
    pub budgets: Vec<Budget>,
    pub limits: BTreeMap<String, String>,
    pub weight: Option<i64>,
    pub node_class: NodeClass,
}

impl NodePool {
    /// The values of a convenience argument, by its name in [`WELL_KNOWN_KEYS`].
    pub fn well_known_values(&self, argument: &str) -> &[String] {
        match argument {
            "capacity_types" => &self.capacity_types,
            "instance_types" => &self.instance_types,
            "instance_families" => &self.instance_families,
            "instance_categories" => &self.instance_categories,
            "instance_generations" => &self.instance_generations,
            "instance_sizes" => &self.instance_sizes,
            "architectures" => &self.architectures,
            _ => &[],
        }
    }

    /// Every requirement the NodePool renders: the convenience arguments (operator `In`) first,
    /// then `requirement` blocks.
    pub fn all_requirements(&self) -> Vec<Requirement> {
        let mut out = Vec::new();
        for (argument, key) in WELL_KNOWN_KEYS {
            let values = self.well_known_values(argument);
            if values.is_empty() {
                continue;
            }
            let values = if argument == "capacity_types" { values.iter().map(|v| capacity_type_k8s(v).unwrap_or(v).to_string()).collect() } else { values.to_vec() };
            out.push(Requirement { key: key.into(), operator: "In".into(), values, min_values: None });
        }
        out.extend(self.requirements.iter().cloned());
        out
    }
}

/// Karpenter's spelling of a capacity type (`SPOT` → `spot`).
pub fn capacity_type_k8s(value: &str) -> Option<&'static str> {
    CAPACITY_TYPES.iter().find(|(ours, _)| *ours == value).map(|(_, k8s)| *k8s)
}

/// Kubernetes' spelling of a taint effect (`NO_SCHEDULE` → `NoSchedule`).
pub fn effect_k8s(value: &str) -> Option<&'static str> {
    TAINT_EFFECTS.iter().find(|(ours, _)| *ours == value).map(|(_, k8s)| *k8s)
}

/// The domain (prefix) of a label key, if it has one.
fn domain(key: &str) -> Option<&str> {
    key.split_once('/').map(|(prefix, _)| prefix)
}

/// Why Karpenter refuses `key` as a NodePool label or requirement key, if it does.
pub fn restricted_label(key: &str) -> Option<String> {
    let domain = domain(key).unwrap_or_default();
    let in_domain = |d: &str| domain == d || domain.ends_with(&format!(".{d}"));
    if key == "kubernetes.io/hostname" {
        return Some("\"kubernetes.io/hostname\" is set by the kubelet; Karpenter refuses it.".into());
    }
    if key == "karpenter.sh/nodepool" {
        return Some("\"karpenter.sh/nodepool\" is set by Karpenter itself.".into());
    }
    if in_domain("karpenter.sh") && key != "karpenter.sh/capacity-type" {
        return Some(format!("{key:?} is in the karpenter.sh domain, which Karpenter keeps for itself (only karpenter.sh/capacity-type may be used)."));
    }
    if in_domain("karpenter.k8s.aws") && !key.strip_prefix("karpenter.k8s.aws/").is_some_and(|name| KARPENTER_AWS_LABELS.contains(&name)) {
        return Some(format!("{key:?} is in the karpenter.k8s.aws domain; only its well-known labels (instance-family, instance-category, instance-generation, instance-size, instance-cpu, instance-memory, ...) may be used."));
    }
    let kubernetes_ok = KUBERNETES_IO_LABELS.contains(&key) || in_domain("node.kubernetes.io") || in_domain("node-restriction.kubernetes.io");
    if in_domain("kubernetes.io") && !kubernetes_ok {
        return Some(format!("{key:?} is in the kubernetes.io domain; Karpenter v1.0 refuses it (well-known labels such as kubernetes.io/arch, topology.kubernetes.io/zone and node.kubernetes.io/* are allowed)."));
    }
    if in_domain("k8s.io") && !in_domain("kops.k8s.io") {
        return Some(format!("{key:?} is in the k8s.io domain, which Karpenter v1.0 refuses."));
    }
    None
}

/// `expireAfter` / `consolidateAfter`: one or more number+unit pairs with units s, m, h, or `Never`.
pub fn is_karpenter_duration(text: &str) -> bool {
    text == "Never" || is_unit_sequence(text, &['s', 'm', 'h'])
}

/// A budget duration: minutes and hours only (`10m`, `1h30m`, `160h`), optionally followed by `0s`.
pub fn is_budget_duration(text: &str) -> bool {
    let text = text.strip_suffix("0s").filter(|rest| !rest.is_empty()).unwrap_or(text);
    let (hours, minutes) = match text.split_once('h') {
        Some((h, rest)) => (Some(h), if rest.is_empty() { None } else { Some(rest.strip_suffix('m').unwrap_or("x")) }),
        None => (None, Some(text.strip_suffix('m').unwrap_or("x"))),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    hours.is_none_or(digits) && minutes.is_none_or(digits) && (hours.is_some() || minutes.is_some())
}

fn is_unit_sequence(text: &str, units: &[char]) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let n = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if n == 0 {
            return false;
        }
        let mut chars = rest[n..].chars();
        match chars.next() {
            Some(unit) if units.contains(&unit) => rest = chars.as_str(),
            _ => return false,
        }
    }
    true
}

/// A budget's `nodes`: a count or a percentage from 0 to 100.
pub fn is_budget_nodes(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match text.strip_suffix('%') {
        Some(percent) => digits(percent) && percent.len() <= 3 && percent.parse::<u32>().is_ok_and(|p| p <= 100) && (percent.len() < 3 || percent == "100"),
        None => digits(text),
    }
}

/// Checks a budget schedule: a cron macro, or five fields as Kubernetes CronJobs take them.
///
/// # Errors
/// A sentence saying what is wrong.
pub fn check_schedule(text: &str) -> Result<(), String> {
    if text.starts_with('@') {
        return if SCHEDULE_MACROS.contains(&text) { Ok(()) } else { Err(format!("{text:?} is not a cron macro: use one of {}.", SCHEDULE_MACROS.join(", "))) };
    }
    parse_recurrence(text).map(|_| ()).map_err(|e| format!("{e}. Budget schedules are in UTC; the macros {} are accepted too.", SCHEDULE_MACROS.join(", ")))
}

/// A volume size as the EC2NodeClass takes it: whole `Gi`, `G`, `Ti` or `T` within EBS limits
/// (at most 64 TiB).
pub fn is_volume_size(text: &str) -> bool {
    let (number, limit) = if let Some(n) = text.strip_suffix("Gi") {
        (n, 59_000)
    } else if let Some(n) = text.strip_suffix("Ti") {
        (n, 58)
    } else if let Some(n) = text.strip_suffix('G') {
        (n, 64_000)
    } else if let Some(n) = text.strip_suffix('T') {
        (n, 64)
    } else {
        return false;
    };
    !number.is_empty() && !number.starts_with('0') && number.bytes().all(|b| b.is_ascii_digit()) && number.parse::<u32>().is_ok_and(|n| (1..=limit).contains(&n))
}

fn is_aws_id(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

fn one_of_message(value: &str, what: &str, allowed: &[&str]) -> String {
    format!("{value:?} is not {what}: use {}.", allowed.join(", "))
}

fn check_taints(taints: &[Taint], attribute: &str, out: &mut Vec<Violation>) {
    for (i, taint) in taints.iter().enumerate() {
        let at = AttributePath::root(attribute).index(i);
        if !is_qualified_name(&taint.key) {
            out.push(Violation::new(at.clone().attr("key"), format!("{:?} is not a valid taint key: use an optional DNS subdomain prefix and '/', then at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit.", taint.key)));
        }
        if let Some(value) = &taint.value
            && !is_label_value(value) {
                out.push(Violation::new(at.clone().attr("value"), format!("{value:?} is not a valid taint value: use at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit.")));
            }
        if effect_k8s(&taint.effect).is_none() {
            out.push(Violation::new(at.clone().attr("effect"), one_of_message(&taint.effect, "a taint effect", &["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"])));
        }
        if taints[..i].iter().any(|t| t.key == taint.key && t.effect == taint.effect) {
            out.push(Violation::new(at, format!("the taint {:?} with effect {} is given twice.", taint.key, taint.effect)));
        }
    }
}

fn check_requirement(requirement: &Requirement, at: &AttributePath, out: &mut Vec<Violation>) {
    let r = requirement;
    if !is_qualified_name(&r.key) || r.key.len() > 316 {
        out.push(Violation::new(at.clone().attr("key"), format!("{:?} is not a valid label key: use an optional DNS subdomain prefix and '/', then at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit.", r.key)));
    } else if let Some(reason) = restricted_label(&r.key) {
        out.push(Violation::new(at.clone().attr("key"), reason));
    }
    let values_at = at.clone().attr("values");
    match r.operator.as_str() {
        "In" if r.values.is_empty() => out.push(Violation::new(values_at.clone(), "operator In needs at least one value.")),
        "Exists" | "DoesNotExist" if !r.values.is_empty() => out.push(Violation::new(values_at.clone(), format!("operator {} takes no values; remove them.", r.operator))),
        "Gt" | "Lt" if !(r.values.len() == 1 && r.values[0].parse::<u64>().is_ok()) => {
            out.push(Violation::new(values_at.clone(), format!("operator {} takes exactly one value, a whole number of at least 0 (e.g. [\"4\"]).", r.operator)));
        }
        "NotIn" if r.values.is_empty() => out.push(Violation::new(values_at.clone(), "operator NotIn needs at least one value.")),
        op if !OPERATORS.contains(&op) => out.push(Violation::new(at.clone().attr("operator"), one_of_message(op, "a requirement operator", &OPERATORS))),
        _ => {}
    }
    for (j, value) in r.values.iter().enumerate() {
        if !is_label_value(value) {
            out.push(Violation::new(values_at.clone().index(j), format!("{value:?} is not a valid label value: use at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit.")));
        }
    }
    if let Some(min) = r.min_values {
        if !(1..=50).contains(&min) {
            out.push(Violation::new(at.clone().attr("min_values"), format!("min_values is {min}; it must be between 1 and 50.")));
        } else if r.operator != "In" {
            out.push(Violation::new(at.clone().attr("min_values"), format!("min_values only applies to operator In, not {}.", r.operator)));
        } else if usize::try_from(min).unwrap_or(usize::MAX) > r.values.len() {
            out.push(Violation::new(at.clone().attr("min_values"), format!("min_values is {min} but only {} value(s) are listed; list at least as many values.", r.values.len())));
        }
    }
}

fn check_selector(tags: &BTreeMap<String, String>, ids: &[String], prefix: &str, what: &str, tags_attribute: &str, ids_attribute: &str, out: &mut Vec<Violation>) {
    if tags.is_empty() && ids.is_empty() {
        out.push(Violation::new(AttributePath::root(tags_attribute), format!("no {what} would be selected: give {tags_attribute} or {ids_attribute} (leave both out for the `{DISCOVERY_TAG} = <cluster_name>` tag).")));
    }
    if tags.len() > 20 {
        out.push(Violation::new(AttributePath::root(tags_attribute), format!("{} tags are given; a selector term holds at most 20.", tags.len())));
    }
    for (key, value) in tags {
        if key.is_empty() || value.is_empty() {
            out.push(Violation::new(AttributePath::root(tags_attribute).key(key.clone()), "selector tags need a non-empty key and value (use \"*\" to match any value)."));
        }
    }
    if ids.len() + usize::from(!tags.is_empty()) > 30 {
        out.push(Violation::new(AttributePath::root(ids_attribute), "at most 30 selector terms are allowed (one per ID, one for the tags)."));
    }
    for (i, id) in ids.iter().enumerate() {
        if !is_aws_id(id, prefix) {
            out.push(Violation::new(AttributePath::root(ids_attribute).index(i), format!("{id:?} is not a {what} ID: write it like \"{prefix}0123456789abcdef0\".")));
        }
    }
}

fn check_node_class(class: &NodeClass, out: &mut Vec<Violation>) {
    let at = AttributePath::root;
    match (&class.ami_alias, class.ami_ids.is_empty()) {
        (Some(_), false) => out.push(Violation::new(at("ami_ids"), "ami_alias and ami_ids cannot both be set: Karpenter takes an alias alone.")),
        (None, true) => out.push(Violation::new(at("ami_alias"), "set ami_alias (such as \"al2023@latest\") or ami_ids.")),
        _ => {}
    }
    if let Some(alias) = &class.ami_alias {
        match alias.split_once('@') {
            Some((family, version)) if !version.is_empty() && alias.len() <= 30 && family.chars().all(|c| c.is_ascii_alphanumeric()) => {
                match ALIAS_FAMILIES.iter().find(|(f, _)| *f == family) {
                    None => out.push(Violation::new(at("ami_alias"), format!("{family:?} is not an AMI alias family: use {}.", ALIAS_FAMILIES.map(|(f, _)| f).join(", ")))),
                    Some((f, _)) if f.starts_with("windows") && version != "latest" => {
                        out.push(Violation::new(at("ami_alias"), format!("Windows aliases only take the version \"latest\" ({family}@latest).")));
                    }
                    Some((_, ami_family)) => {
                        if let Some(given) = &class.ami_family
                            && given != ami_family && given != "Custom" {
                                out.push(Violation::new(at("ami_family"), format!("ami_family {given:?} does not match the alias {alias:?}: use {ami_family:?} or \"Custom\", or leave it out.")));
                            }
                    }
                }
            }
            _ => out.push(Violation::new(at("ami_alias"), format!("{alias:?} is not an AMI alias: write family@version, at most 30 characters, such as \"al2023@latest\" or \"al2023@v20240807\"."))),
        }
    }
    for (i, id) in class.ami_ids.iter().enumerate() {
        if !is_aws_id(id, "ami-") {
            out.push(Violation::new(at("ami_ids").index(i), format!("{id:?} is not an AMI ID: write it like \"ami-0123456789abcdef0\".")));
        }
    }
    if class.ami_ids.len() > 30 {
        out.push(Violation::new(at("ami_ids"), "at most 30 AMI IDs are allowed."));
    }
    if let Some(family) = &class.ami_family
        && !AMI_FAMILIES.contains(&family.as_str()) {
            out.push(Violation::new(at("ami_family"), one_of_message(family, "an AMI family", &AMI_FAMILIES)));
        }
    if !class.ami_ids.is_empty() && class.ami_family.is_none() {
        out.push(Violation::new(at("ami_ids"), "ami_family is required with ami_ids: Karpenter needs it to write the node's user data (e.g. \"AL2023\")."));
    }
    match (&class.role, &class.instance_profile) {
        (Some(_), Some(_)) => out.push(Violation::new(at("instance_profile"), "set role or instance_profile, not both.")),
        (None, None) => out.push(Violation::new(at("role"), "set role (the IAM role nodes assume; Karpenter manages its instance profile) or instance_profile.")),
        _ => {}
    }
    for (attribute, value) in [("role", &class.role), ("instance_profile", &class.instance_profile)] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            out.push(Violation::new(at(attribute), format!("{attribute} cannot be empty.")));
        }
    }
    check_selector(&class.subnet_selector_tags, &class.subnet_ids, "subnet-", "subnet", "subnet_selector_tags", "subnet_ids", out);
    check_selector(&class.security_group_selector_tags, &class.security_group_ids, "sg-", "security group", "security_group_selector_tags", "security_group_ids", out);
    if class.block_device_mappings.len() > 50 {
        out.push(Violation::new(at("block_device_mapping"), "at most 50 block device mappings are allowed."));
    }
    for (i, bdm) in class.block_device_mappings.iter().enumerate() {
        let at = at("block_device_mapping").index(i);
        if bdm.device_name.is_empty() {
            out.push(Violation::new(at.clone().attr("device_name"), "device_name cannot be empty (e.g. \"/dev/xvda\")."));
        }
        if let Some(size) = &bdm.volume_size
            && !is_volume_size(size) {
                out.push(Violation::new(at.clone().attr("volume_size"), format!("{size:?} is not a volume size: write a whole number of Gi, G, Ti or T, such as \"100Gi\" (at most 64 TiB).")));
            }
        if bdm.volume_size.is_none() && bdm.snapshot_id.is_none() {
            out.push(Violation::new(at.clone().attr("volume_size"), "set volume_size or snapshot_id."));
        }
        if let Some(kind) = &bdm.volume_type
            && !VOLUME_TYPES.contains(&kind.as_str()) {
                out.push(Violation::new(at.clone().attr("volume_type"), one_of_message(kind, "an EBS volume type", &VOLUME_TYPES)));
            }
        for (name, value) in [("iops", bdm.iops), ("throughput", bdm.throughput)] {
            if value.is_some_and(|v| v < 1) {
                out.push(Violation::new(at.clone().attr(name), format!("{name} must be at least 1.")));
            }
        }
        if bdm.root_volume && class.block_device_mappings[..i].iter().any(|b| b.root_volume) {
            out.push(Violation::new(at.attr("root_volume"), "only one block device mapping may be the root volume."));
        }
    }
    let m = &class.metadata_options;
    let meta = |name: &str| AttributePath::root("metadata_options").attr(name);
    for (name, value, allowed) in [
        ("http_endpoint", &m.http_endpoint, &["enabled", "disabled"][..]),
        ("http_protocol_ipv6", &m.http_protocol_ipv6, &["enabled", "disabled"][..]),
        ("http_tokens", &m.http_tokens, &["required", "optional"][..]),
    ] {
        if !allowed.contains(&value.as_str()) {
            out.push(Violation::new(meta(name), one_of_message(value, name, allowed)));
        }
    }
    if !(1..=64).contains(&m.http_put_response_hop_limit) {
        out.push(Violation::new(meta("http_put_response_hop_limit"), format!("{} is outside 1 to 64.", m.http_put_response_hop_limit)));
    }
    for key in class.tags.keys() {
        let path = at("tags").key(key.clone());
        if key.is_empty() {
            out.push(Violation::new(path, "tag keys cannot be empty."));
        } else if RESTRICTED_TAGS.contains(&key.as_str()) || key.starts_with("kubernetes.io/cluster") {
            out.push(Violation::new(path, format!("{key:?} is set by Karpenter or EKS; Karpenter refuses it in an EC2NodeClass.")));
        }
    }
}

/// Checks the NodePool and its node class, reporting at the resource's attribute paths.
pub fn validate(pool: &NodePool) -> Vec<Violation> {
    let mut out = Vec::new();
    let at = AttributePath::root;
    check_name(&pool.name, at("name"), &mut out);
    check_name(&pool.node_class.name, at("node_class_name"), &mut out);
    if !is_cluster_name(&pool.cluster_name) {
        out.push(Violation::new(at("cluster_name"), format!("{:?} is not an EKS cluster name: use 1 to 100 letters, digits, '-' and '_', starting with a letter or digit.", pool.cluster_name)));
    }
    if pool.capacity_types.is_empty() {
        out.push(Violation::new(at("capacity_types"), "allow at least one capacity type: \"SPOT\" and/or \"ON_DEMAND\"."));
    }
    for (argument, _) in WELL_KNOWN_KEYS {
        for (i, value) in pool.well_known_values(argument).iter().enumerate() {
            let path = at(argument).index(i);
            let problem = match argument {
                "capacity_types" if capacity_type_k8s(value).is_none() => Some(one_of_message(value, "a capacity type", &["SPOT", "ON_DEMAND"])),
                "architectures" if !ARCHITECTURES.contains(&value.as_str()) => Some(one_of_message(value, "an architecture", &ARCHITECTURES)),
                "instance_generations" if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) => Some(format!("{value:?} is not an instance generation: write a number such as \"5\".")),
                _ if !is_label_value(value) || value.is_empty() => Some(format!("{value:?} is not a valid label value: use at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit.")),
                _ => None,
            };
            if let Some(problem) = problem {
                out.push(Violation::new(path, problem));
            } else if pool.well_known_values(argument)[..i].contains(value) {
                out.push(Violation::new(path, format!("{value:?} is listed twice.")));
            }
        }
    }
    if pool.requirements.len() + WELL_KNOWN_KEYS.iter().filter(|(a, _)| !pool.well_known_values(a).is_empty()).count() > 100 {
        out.push(Violation::new(at("requirement"), "a NodePool holds at most 100 requirements (the typed arguments count one each)."));
    }
    for (i, requirement) in pool.requirements.iter().enumerate() {
        let path = at("requirement").index(i);
        check_requirement(requirement, &path, &mut out);
        if let Some((argument, _)) = WELL_KNOWN_KEYS.iter().find(|(a, key)| *key == requirement.key && !pool.well_known_values(a).is_empty()) {
            out.push(Violation::new(path.attr("key"), format!("{:?} is already set by `{argument}`; use one or the other.", requirement.key)));
        }
    }
    if pool.labels.len() > 100 {
        out.push(Violation::new(at("labels"), format!("{} labels are given; a NodePool holds at most 100.", pool.labels.len())));
    }
    for (key, value) in &pool.labels {
        let path = at("labels").key(key.clone());
        if !is_qualified_name(key) {
            out.push(Violation::new(path.clone(), format!("{key:?} is not a valid label key: use an optional DNS subdomain prefix and '/', then at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit.")));
        } else if let Some(reason) = restricted_label(key) {
            out.push(Violation::new(path.clone(), reason));
        }
        if !is_label_value(value) {
            out.push(Violation::new(path, format!("{value:?} is not a valid label value: use at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or leave it empty).")));
        }
    }
    check_taints(&pool.taints, "taint", &mut out);
    check_taints(&pool.startup_taints, "startup_taint", &mut out);
    for (attribute, value) in [("expire_after", &pool.expire_after), ("consolidate_after", &pool.consolidate_after)] {
        if !is_karpenter_duration(value) {
            out.push(Violation::new(at(attribute), format!("{value:?} is not a Karpenter duration: write whole numbers with s, m or h (\"30s\", \"720h\", \"1h30m\") or \"Never\".")));
        }
    }
    if !CONSOLIDATION_POLICIES.contains(&pool.consolidation_policy.as_str()) {
        out.push(Violation::new(at("consolidation_policy"), one_of_message(&pool.consolidation_policy, "a consolidation policy", &CONSOLIDATION_POLICIES)));
    }
    if pool.budgets.len() > 50 {
        out.push(Violation::new(at("budget"), "at most 50 budgets are allowed."));
    }
    for (i, budget) in pool.budgets.iter().enumerate() {
        let path = |name: &str| at("budget").index(i).attr(name);
        if !is_budget_nodes(&budget.nodes) {
            out.push(Violation::new(path("nodes"), format!("{:?} is not a node count: write a whole number (\"5\") or a percentage from 0% to 100% (\"10%\").", budget.nodes)));
        }
        if let Some(schedule) = &budget.schedule
            && let Err(problem) = check_schedule(schedule) {
                out.push(Violation::new(path("schedule"), problem));
            }
        if let Some(duration) = &budget.duration
            && !is_budget_duration(duration) {
                out.push(Violation::new(path("duration"), format!("{duration:?} is not a budget duration: use minutes and hours only, such as \"10m\", \"1h30m\" or \"160h\".")));
            }
        match (&budget.schedule, &budget.duration) {
            (Some(_), None) => out.push(Violation::new(path("duration"), "a budget with a schedule needs a duration (how long it stays active after each start).")),
            (None, Some(_)) => out.push(Violation::new(path("schedule"), "a budget with a duration needs a schedule (when it starts).")),
            _ => {}
        }
        for (j, reason) in budget.reasons.iter().enumerate() {
            if !BUDGET_REASONS.contains(&reason.as_str()) {
                out.push(Violation::new(path("reasons").index(j), one_of_message(reason, "a disruption reason", &BUDGET_REASONS)));
            }
        }
    }
    for (resource, quantity) in &pool.limits {
        let path = at("limits").key(resource.clone());
        if !is_qualified_name(resource) {
            out.push(Violation::new(path.clone(), format!("{resource:?} is not a resource name: use cpu, memory, nodes, or another resource such as nvidia.com/gpu.")));
        }
        if quantity_is_positive(quantity).is_none() || quantity.starts_with('-') {
            out.push(Violation::new(path, format!("{quantity:?} is not a Kubernetes quantity of at least 0: write it like \"1000\", \"500m\" or \"1000Gi\".")));
        }
    }
    if let Some(weight) = pool.weight
        && !(1..=100).contains(&weight) {
            out.push(Violation::new(at("weight"), format!("weight is {weight}; it must be between 1 and 100 (leave it out for 0).")));
        }
    check_node_class(&pool.node_class, &mut out);
    out
}

/// What rendering produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Both documents, separated by a `---` line.
    pub yaml: String,
    /// The EC2NodeClass, then the NodePool.
    pub documents: Vec<String>,
    pub sha256: String,
}

/// The object kinds rendered, in order.
pub const KINDS: [&str; 2] = ["EC2NodeClass", "NodePool"];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TemplateData {
    node_class: Json,
    node_pool: Json,
}

fn selector_terms(tags: &BTreeMap<String, String>, ids: &[String]) -> Vec<Json> {
    let mut terms: Vec<Json> = ids.iter().map(|id| json!({ "id": id })).collect();
    if !tags.is_empty() {
        terms.insert(0, json!({ "tags": tags }));
    }
    terms
}

fn taints_json(taints: &[Taint]) -> Vec<Json> {
    taints.iter().map(|t| json!({ "key": t.key, "value": t.value, "effect": effect_k8s(&t.effect).unwrap_or(&t.effect) })).collect()
}

fn template_data(pool: &NodePool) -> TemplateData {
    let class = &pool.node_class;
    let mut ami_terms: Vec<Json> = class.ami_alias.iter().map(|alias| json!({ "alias": alias })).collect();
    ami_terms.extend(class.ami_ids.iter().map(|id| json!({ "id": id })));
    let block_device_mappings: Vec<Json> = class
        .block_device_mappings
        .iter()
        .map(|b| {
            let mut ebs = Map::new();
            let mut put = |k: &str, v: Json| {
                if !v.is_null() {
                    ebs.insert(k.into(), v);
                }
            };
            put("volumeSize", json!(b.volume_size));
            put("volumeType", json!(b.volume_type));
            put("iops", json!(b.iops));
            put("throughput", json!(b.throughput));
            put("encrypted", json!(b.encrypted));
            put("deleteOnTermination", json!(b.delete_on_termination));
            put("kmsKeyID", json!(b.kms_key_id));
            put("snapshotID", json!(b.snapshot_id));
            json!({ "deviceName": b.device_name, "rootVolume": b.root_volume, "ebs": ebs })
        })
        .collect();
    let m = &class.metadata_options;
    let node_class = json!({
        "name": class.name,
        "amiFamily": class.ami_family,
        "amiSelectorTerms": ami_terms,
        "role": class.role,
        "instanceProfile": class.instance_profile,
        "subnetSelectorTerms": selector_terms(&class.subnet_selector_tags, &class.subnet_ids),
        "securityGroupSelectorTerms": selector_terms(&class.security_group_selector_tags, &class.security_group_ids),
        "blockDeviceMappings": block_device_mappings,
        "metadataOptions": {
            "httpEndpoint": m.http_endpoint,
            "httpProtocolIPv6": m.http_protocol_ipv6,
            "httpPutResponseHopLimit": m.http_put_response_hop_limit,
            "httpTokens": m.http_tokens,
        },
        "tags": class.tags,
    });
    let requirements: Vec<Json> = pool.all_requirements().iter().map(|r| json!({ "key": r.key, "operator": r.operator, "values": r.values, "minValues": r.min_values })).collect();
    let budgets: Vec<Json> = pool.budgets.iter().map(|b| json!({ "nodes": b.nodes, "schedule": b.schedule, "duration": b.duration, "reasons": b.reasons })).collect();
    let node_pool = json!({
        "name": pool.name,
        "labels": pool.labels,
        "nodeClassRef": { "group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": class.name },
        "requirements": requirements,
        "taints": taints_json(&pool.taints),
        "startupTaints": taints_json(&pool.startup_taints),
        "expireAfter": pool.expire_after,
        "disruption": { "consolidationPolicy": pool.consolidation_policy, "consolidateAfter": pool.consolidate_after, "budgets": budgets },
        "limits": pool.limits,
        "weight": pool.weight,
    });
    TemplateData { node_class, node_pool }
}

/// Validates and renders.
///
/// # Errors
/// [`RenderError::Invalid`] for broken rules; template errors; [`RenderError::Output`] when a
/// user template's output does not parse or lacks one of the two objects.
pub fn render(pool: &NodePool, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let violations = validate(pool);
    if !violations.is_empty() {
        return Err(RenderError::Invalid(violations));
    }
    render_unchecked(pool, overrides)
}

/// Renders without checking first (the property tests feed arbitrary strings through the
/// template this way; user templates' output is still checked).
///
/// # Errors
/// Template errors, or [`RenderError::Output`] for a user template's invalid output.
pub fn render_unchecked(pool: &NodePool, overrides: &Overrides) -> Result<Rendered, RenderError> {
    let yaml = templates::render(TemplateName::KarpenterNodePool, &template_data(pool), overrides)?;
    let documents = split_documents(&yaml);
    if overrides.get(TemplateName::KarpenterNodePool).is_some() {
        let file = TemplateName::KarpenterNodePool.file_name();
        check_output(&documents, &KINDS).map_err(|message| RenderError::Output { file, message })?;
    }
    let sha256 = sha256_hex(&yaml);
    Ok(Rendered { yaml, documents, sha256 })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::parse_documents;
    use super::super::yaml_scalar::strategies::text;
    use super::*;
    use proptest::prelude::*;

    /// The seed's batch pool on Karpenter: Spot c5-class xlarge nodes labelled and tainted for
    /// batch work, capped at 50 c5.xlarge worth of CPU and memory (50 × 4 vCPU, 50 × 8 GiB).
    pub(crate) fn seed() -> NodePool {
        NodePool {
            name: "batch-spot".into(),
            cluster_name: "production".into(),
            capacity_types: vec!["SPOT".into()],
            instance_types: vec!["c5.xlarge".into(), "c5a.xlarge".into(), "c5n.xlarge".into(), "c5d.xlarge".into()],
            instance_families: vec![],
            instance_categories: vec![],
            instance_generations: vec![],
            instance_sizes: vec![],
            architectures: vec!["amd64".into()],
            requirements: vec![],
            labels: BTreeMap::from([("workload".into(), "batch".into()), ("cost-optimization".into(), "spot".into())]),
            taints: vec![Taint { key: "workload".into(), value: Some("batch".into()), effect: "NO_SCHEDULE".into() }],
            startup_taints: vec![],
            expire_after: "720h".into(),
            consolidation_policy: "WhenEmptyOrUnderutilized".into(),
            consolidate_after: "10m".into(),
            budgets: vec![Budget { nodes: "10%".into(), schedule: None, duration: None, reasons: vec![] }],
            limits: BTreeMap::from([("cpu".into(), "200".into()), ("memory".into(), "400Gi".into())]),
            weight: None,
            node_class: NodeClass {
                name: "batch-spot".into(),
                ami_alias: Some("al2023@latest".into()),
                role: Some("KarpenterNodeRole-production".into()),
                subnet_selector_tags: BTreeMap::from([(DISCOVERY_TAG.into(), "production".into())]),
                security_group_selector_tags: BTreeMap::from([(DISCOVERY_TAG.into(), "production".into())]),
                ..NodeClass::default()
            },
        }
    }

    #[test]
    fn the_seed_pool_renders_a_node_class_and_a_node_pool() {
        let rendered = render(&seed(), &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        let docs = parse_documents(&rendered.yaml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(docs.len(), 2);
        assert_eq!(rendered.documents.len(), 2);
        let (class, pool) = (&docs[0], &docs[1]);
        assert_eq!(class["apiVersion"], "karpenter.k8s.aws/v1");
        assert_eq!(class["spec"]["amiSelectorTerms"], json!([{ "alias": "al2023@latest" }]));
        assert_eq!(class["spec"]["subnetSelectorTerms"], json!([{ "tags": { "karpenter.sh/discovery": "production" } }]));
        assert_eq!(class["spec"]["metadataOptions"]["httpTokens"], "required");
        assert_eq!(pool["apiVersion"], "karpenter.sh/v1");
        let spec = &pool["spec"]["template"]["spec"];
        assert_eq!(spec["requirements"][0], json!({ "key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"] }));
        assert_eq!(spec["requirements"][1]["values"], json!(["c5.xlarge", "c5a.xlarge", "c5n.xlarge", "c5d.xlarge"]));
        assert_eq!(spec["requirements"][2], json!({ "key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"] }));
        assert_eq!(spec["taints"], json!([{ "key": "workload", "value": "batch", "effect": "NoSchedule" }]));
        assert_eq!(spec["nodeClassRef"], json!({ "group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "batch-spot" }));
        assert_eq!(pool["spec"]["template"]["metadata"]["labels"]["workload"], "batch");
        assert_eq!(pool["spec"]["limits"], json!({ "cpu": "200", "memory": "400Gi" }));
        assert_eq!(pool["spec"]["disruption"]["consolidateAfter"], "10m");
    }

    #[test]
    fn broken_rules_are_reported_at_attribute_paths() {
        let mut pool = seed();
        pool.capacity_types = vec!["spot".into()];
        pool.requirement_with("karpenter.sh/nodepool", "In", &["x"]);
        pool.requirement_with("example.com/tier", "Gt", &["a"]);
        pool.requirement_with("node.kubernetes.io/instance-type", "In", &["m5.large"]);
        pool.labels.insert("kubernetes.io/role".into(), "batch".into());
        pool.taints[0].effect = "NoSchedule".into();
        pool.expire_after = "30d".into();
        pool.budgets = vec![Budget { nodes: "150%".into(), schedule: Some("0 25 * * *".into()), duration: Some("30s".into()), reasons: vec!["Idle".into()] }];
        pool.limits.insert("cpu".into(), "lots".into());
        pool.weight = Some(0);
        pool.node_class.ami_alias = Some("ubuntu@latest".into());
        pool.node_class.instance_profile = Some("p".into());
        let paths: Vec<String> = validate(&pool).iter().map(|v| v.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "capacity_types[0]",
                "requirement[0].key",
                "requirement[1].values",
                "requirement[2].key",
                "labels[\"kubernetes.io/role\"]",
                "taint[0].effect",
                "expire_after",
                "budget[0].nodes",
                "budget[0].schedule",
                "budget[0].duration",
                "budget[0].reasons[0]",
                "limits[\"cpu\"]",
                "weight",
                "ami_alias",
                "instance_profile",
            ]
        );
    }

    impl NodePool {
        fn requirement_with(&mut self, key: &str, operator: &str, values: &[&str]) {
            self.requirements.push(Requirement { key: key.into(), operator: operator.into(), values: values.iter().map(|v| v.to_string()).collect(), min_values: None });
        }
    }

    #[test]
    fn syntax_rules() {
        for ok in ["720h", "1h30m", "30s", "Never", "0s"] {
            assert!(is_karpenter_duration(ok), "{ok}");
        }
        for bad in ["", "1d", "1.5h", "never", "10"] {
            assert!(!is_karpenter_duration(bad), "{bad}");
        }
        for ok in ["10m", "1h30m", "160h", "1h", "10m0s"] {
            assert!(is_budget_duration(ok), "{ok}");
        }
        for bad in ["30s", "", "h", "1h30", "m"] {
            assert!(!is_budget_duration(bad), "{bad}");
        }
        for ok in ["0", "5", "10%", "100%", "0%"] {
            assert!(is_budget_nodes(ok), "{ok}");
        }
        for bad in ["101%", "-1", "%", "1.5", "010%x"] {
            assert!(!is_budget_nodes(bad), "{bad}");
        }
        assert!(check_schedule("@daily").is_ok());
        assert!(check_schedule("0 9 * * 1-5").is_ok());
        assert!(check_schedule("@often").is_err());
        assert!(check_schedule("0 9 * *").is_err());
        for ok in ["100Gi", "20G", "1Ti", "64T"] {
            assert!(is_volume_size(ok), "{ok}");
        }
        for bad in ["100", "0Gi", "100GiB", "65T", "1.5Gi"] {
            assert!(!is_volume_size(bad), "{bad}");
        }
        assert!(restricted_label("karpenter.sh/capacity-type").is_none());
        assert!(restricted_label("karpenter.k8s.aws/instance-family").is_none());
        assert!(restricted_label("node.kubernetes.io/instance-type").is_none());
        assert!(restricted_label("topology.kubernetes.io/zone").is_none());
        assert!(restricted_label("workload").is_none());
        for bad in ["karpenter.sh/foo", "karpenter.k8s.aws/made-up", "kubernetes.io/hostname", "kubernetes.io/role", "k8s.io/x", "x.karpenter.sh/y"] {
            assert!(restricted_label(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn node_class_rules() {
        let mut pool = seed();
        pool.node_class.ami_alias = None;
        pool.node_class.ami_ids = vec!["ami-0abc".into(), "image-1".into()];
        pool.node_class.role = None;
        pool.node_class.subnet_selector_tags.clear();
        pool.node_class.security_group_ids = vec!["sg-1".into()];
        pool.node_class.block_device_mappings = vec![BlockDeviceMapping { device_name: "/dev/xvda".into(), volume_type: Some("gp4".into()), ..BlockDeviceMapping::default() }];
        pool.node_class.metadata_options.http_put_response_hop_limit = 0;
        pool.node_class.tags.insert("kubernetes.io/cluster/production".into(), "owned".into());
        let paths: Vec<String> = validate(&pool).iter().map(|v| v.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "ami_ids[1]",
                "ami_ids",
                "role",
                "subnet_selector_tags",
                "block_device_mapping[0].volume_size",
                "block_device_mapping[0].volume_type",
                "metadata_options.http_put_response_hop_limit",
                "tags[\"kubernetes.io/cluster/production\"]",
            ]
        );
    }

    #[test]
    fn user_templates_must_render_both_objects() {
        let builtin = TemplateName::KarpenterNodePool.builtin_source();
        let mut overrides = Overrides::none();
        overrides.insert(TemplateName::KarpenterNodePool, builtin.replace("kind: NodePool", "kind: NodePoolX"));
        let err = render(&seed(), &overrides).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("no NodePool"), "{err}");
    }

    fn list() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(text(), 0..3)
    }

    fn map() -> impl Strategy<Value = BTreeMap<String, String>> {
        proptest::collection::btree_map(text(), text(), 0..3)
    }

    fn taint() -> impl Strategy<Value = Taint> {
        (text(), proptest::option::of(text()), text()).prop_map(|(key, value, effect)| Taint { key, value, effect })
    }

    fn any_pool() -> impl Strategy<Value = NodePool> {
        (
            (text(), text(), list(), list(), list(), list(), list(), list(), list()),
            (proptest::collection::vec((text(), text(), list()), 0..3), map(), proptest::collection::vec(taint(), 0..2), proptest::collection::vec(taint(), 0..2)),
            (text(), text(), text(), proptest::collection::vec((text(), proptest::option::of(text()), proptest::option::of(text()), list()), 0..2), map()),
            (text(), proptest::option::of(text()), list(), proptest::option::of(text()), proptest::option::of(text()), proptest::option::of(text()), map(), list(), map(), list()),
            (proptest::collection::vec((text(), proptest::option::of(text()), proptest::option::of(text()), proptest::option::of(text()), proptest::option::of(text())), 0..2), (text(), text(), text()), map()),
        )
            .prop_map(|(a, b, c, d, e)| {
                let (name, cluster_name, capacity_types, instance_types, instance_families, instance_categories, instance_generations, instance_sizes, architectures) = a;
                let (requirements, labels, taints, startup_taints) = b;
                let (expire_after, consolidation_policy, consolidate_after, budgets, limits) = c;
                let (class_name, ami_alias, ami_ids, ami_family, role, instance_profile, subnet_selector_tags, subnet_ids, security_group_selector_tags, security_group_ids) = d;
                let (mappings, (http_endpoint, http_protocol_ipv6, http_tokens), tags) = e;
                NodePool {
                    name,
                    cluster_name,
                    capacity_types,
                    instance_types,
                    instance_families,
                    instance_categories,
                    instance_generations,
                    instance_sizes,
                    architectures,
                    requirements: requirements.into_iter().map(|(key, operator, values)| Requirement { key, operator, values, min_values: None }).collect(),
                    labels,
                    taints,
                    startup_taints,
                    expire_after,
                    consolidation_policy,
                    consolidate_after,
                    budgets: budgets.into_iter().map(|(nodes, schedule, duration, reasons)| Budget { nodes, schedule, duration, reasons }).collect(),
                    limits,
                    weight: None,
                    node_class: NodeClass {
                        name: class_name,
                        ami_alias,
                        ami_ids,
                        ami_family,
                        role,
                        instance_profile,
                        subnet_selector_tags,
                        subnet_ids,
                        security_group_selector_tags,
                        security_group_ids,
                        block_device_mappings: mappings
                            .into_iter()
                            .map(|(device_name, volume_size, volume_type, kms_key_id, snapshot_id)| BlockDeviceMapping { device_name, volume_size, volume_type, kms_key_id, snapshot_id, ..BlockDeviceMapping::default() })
                            .collect(),
                        metadata_options: MetadataOptions { http_endpoint, http_protocol_ipv6, http_put_response_hop_limit: 2, http_tokens },
                        tags,
                    },
                }
            })
    }

    /// What the template prints for an optional string: absent when empty (`{{#if}}`).
    fn non_empty(value: Option<&String>) -> Json {
        value.filter(|v| !v.is_empty()).map_or(Json::Null, |v| json!(v))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Output safety: whatever the strings in any argument, both documents parse and hold
        /// them exactly.
        #[test]
        fn any_input_round_trips(pool in any_pool()) {
            let rendered = render_unchecked(&pool, &Overrides::none()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(rendered.documents.len(), 2, "{}", rendered.yaml);
            let docs = parse_documents(&rendered.yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{}", rendered.yaml)))?;
            prop_assert_eq!(docs.len(), 2);
            let (class, node_pool) = (&docs[0]["spec"], &docs[1]["spec"]);
            let c = &pool.node_class;
            prop_assert_eq!(&docs[0]["metadata"]["name"], &json!(c.name));
            prop_assert_eq!(&docs[1]["metadata"]["name"], &json!(pool.name));
            prop_assert_eq!(&class["amiFamily"], &non_empty(c.ami_family.as_ref()));
            prop_assert_eq!(&class["role"], &non_empty(c.role.as_ref()));
            prop_assert_eq!(&class["instanceProfile"], &non_empty(c.instance_profile.as_ref()));
            let mut ami_terms: Vec<Json> = c.ami_alias.iter().map(|a| json!({ "alias": a })).collect();
            ami_terms.extend(c.ami_ids.iter().map(|id| json!({ "id": id })));
            prop_assert_eq!(&class["amiSelectorTerms"], &json!(ami_terms));
            prop_assert_eq!(&class["subnetSelectorTerms"], &json!(selector_terms(&c.subnet_selector_tags, &c.subnet_ids)));
            prop_assert_eq!(&class["securityGroupSelectorTerms"], &json!(selector_terms(&c.security_group_selector_tags, &c.security_group_ids)));
            for (i, b) in c.block_device_mappings.iter().enumerate() {
                let m = &class["blockDeviceMappings"][i];
                prop_assert_eq!(&m["deviceName"], &json!(b.device_name));
                prop_assert_eq!(&m["ebs"]["volumeSize"], &json!(b.volume_size));
                prop_assert_eq!(&m["ebs"]["volumeType"], &json!(b.volume_type));
                prop_assert_eq!(&m["ebs"]["kmsKeyID"], &json!(b.kms_key_id));
                prop_assert_eq!(&m["ebs"]["snapshotID"], &json!(b.snapshot_id));
            }
            prop_assert_eq!(&class["metadataOptions"]["httpEndpoint"], &json!(c.metadata_options.http_endpoint));
            prop_assert_eq!(&class["metadataOptions"]["httpProtocolIPv6"], &json!(c.metadata_options.http_protocol_ipv6));
            prop_assert_eq!(&class["metadataOptions"]["httpTokens"], &json!(c.metadata_options.http_tokens));
            prop_assert_eq!(&class["tags"], &if c.tags.is_empty() { Json::Null } else { json!(c.tags) });
            let spec = &node_pool["template"]["spec"];
            prop_assert_eq!(&node_pool["template"]["metadata"]["labels"], &if pool.labels.is_empty() { Json::Null } else { json!(pool.labels) });
            prop_assert_eq!(&spec["nodeClassRef"]["name"], &json!(c.name));
            for (i, r) in pool.all_requirements().iter().enumerate() {
                prop_assert_eq!(&spec["requirements"][i]["key"], &json!(r.key));
                prop_assert_eq!(&spec["requirements"][i]["operator"], &json!(r.operator));
                prop_assert_eq!(&spec["requirements"][i]["values"], &if r.values.is_empty() { Json::Null } else { json!(r.values) });
            }
            for (field, taints) in [("taints", &pool.taints), ("startupTaints", &pool.startup_taints)] {
                for (i, t) in taints.iter().enumerate() {
                    prop_assert_eq!(&spec[field][i]["key"], &json!(t.key));
                    prop_assert_eq!(&spec[field][i]["value"], &non_empty(t.value.as_ref()));
                    prop_assert_eq!(&spec[field][i]["effect"], &json!(effect_k8s(&t.effect).unwrap_or(&t.effect)));
                }
            }
            prop_assert_eq!(&spec["expireAfter"], &json!(pool.expire_after));
            prop_assert_eq!(&node_pool["disruption"]["consolidationPolicy"], &json!(pool.consolidation_policy));
            prop_assert_eq!(&node_pool["disruption"]["consolidateAfter"], &json!(pool.consolidate_after));
            for (i, b) in pool.budgets.iter().enumerate() {
                let got = &node_pool["disruption"]["budgets"][i];
                prop_assert_eq!(&got["nodes"], &json!(b.nodes));
                prop_assert_eq!(&got["schedule"], &non_empty(b.schedule.as_ref()));
                prop_assert_eq!(&got["duration"], &non_empty(b.duration.as_ref()));
                prop_assert_eq!(&got["reasons"], &if b.reasons.is_empty() { Json::Null } else { json!(b.reasons) });
            }
            prop_assert_eq!(&node_pool["limits"], &if pool.limits.is_empty() { Json::Null } else { json!(pool.limits) });
        }
    }
}
