//! `autoscale_keda_scaled_object_manifest`: a KEDA ScaledObject (and the TriggerAuthentication
//! of each trigger that names secret keys) rendered from typed arguments, checked at plan time
//! against KEDA's rules, known in the plan, optionally written to `output_path` with drift
//! detection; a `Manifest` kind. The scaler blocks of a trigger come from the one table in
//! `render::keda::SCALERS`; the `behavior` and `target` blocks are shared with
//! `autoscale_hpa_manifest` (`scaling_behavior`).
//!
//! Secrets: a trigger names a Secret and a key (`secret_target_ref`), never a value, so no secret
//! can reach the state or the YAML.

use std::collections::BTreeMap;

use serde::Deserialize;
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::value::{Type, from_value};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value, validate};

use super::manifest::ManifestKind;
use super::manifest_files::{set, set_documents};
use super::scaling_behavior::{self, BehaviorModel, ReferenceModel, flatten_reference, opt_text, reference, target_block};
use crate::render::hpa::ObjectMeta;
use crate::render::keda::{
    self, API_VERSION, Advanced, AuthenticationRef, Fallback, HpaConfig, KedaManifest, SCALED_OBJECT, SCALERS, ScaledObject, ScaledObjectSpec, SecretTargetRef,
    TRIGGER_AUTHENTICATION, Trigger, TriggerAuthentication, TriggerAuthenticationSpec,
};
use crate::render::{Overrides, RenderError, TemplateName, Violation};

/// The manifest kind; the resource is `Manifest<KedaScaledObjectManifest>`.
pub struct KedaScaledObjectManifest;

const TYPE_NAME: &str = KedaScaledObjectManifest::TYPE_NAME;

fn int(name: &str, description: &str) -> Attribute {
    Attribute::int(name).optional().description(description)
}

fn scaler_block(scaler: &keda::Scaler) -> NestedBlock {
    let mut block = Block::new(scaler.description);
    for param in scaler.params {
        let attribute = Attribute::string(param.attribute).description(format!("{} (`{}`)", param.description, param.key));
        block = block.attribute(if param.required { attribute.required() } else { attribute.optional() });
    }
    NestedBlock::single(scaler.type_, block)
}

fn trigger_block() -> NestedBlock {
    let mut block = Block::new(
        "A trigger: set exactly one scaler block (`redis`, `rabbitmq`, `prometheus`, `cpu`, `memory` or `cron`). With several triggers the \
         generated HPA takes the largest proposal; the workload leaves zero when any non-cpu/memory trigger is active. Numbers in scaler \
         blocks may be written bare (`list_length = 100`); KEDA reads every metadata value as a string.",
    )
    .attribute(Attribute::string("name").optional().description("Trigger name, used in KEDA's metric names (letters, digits, `-`, `_`)."))
    .attribute(Attribute::string("metric_type").optional().description(
        "`Utilization` or `AverageValue` for cpu and memory (required there); `AverageValue` (per replica, KEDA's default) or `Value` for the others.",
    ))
    .attribute(Attribute::string("authentication_ref").optional().description(
        "Name of an existing TriggerAuthentication (or ClusterTriggerAuthentication) holding the scaler's credentials. Use `secret_target_ref` instead to have one rendered with this ScaledObject.",
    ))
    .attribute(
        Attribute::string("authentication_kind")
            .optional()
            .validator(validate::one_of(keda::AUTHENTICATION_KINDS))
            .description("Kind of `authentication_ref`: `TriggerAuthentication` (KEDA's default) or `ClusterTriggerAuthentication`."),
    )
    .block(NestedBlock::list(
        "secret_target_ref",
        Block::new(
            "An auth parameter read from a Secret key. When a trigger has any, a TriggerAuthentication `<name>-<type>` is rendered before the \
             ScaledObject and the trigger refers to it. Only the Secret's name and key are written: its value never reaches the state or the YAML.",
        )
        .attribute(Attribute::string("parameter").required().description("The scaler's auth parameter, e.g. `password` (redis), `host` (rabbitmq: the broker URL), `bearerToken` (prometheus)."))
        .attribute(Attribute::string("name").required().description("Name of the Secret, in the ScaledObject's namespace."))
        .attribute(Attribute::string("key").required().description("Key in the Secret.")),
    ));
    for scaler in SCALERS {
        block = block.block(scaler_block(scaler));
    }
    NestedBlock::list("trigger", block).min_items(1)
}

/// The schema; shared with the docs generator through `Resource::schema`.
pub fn schema() -> Schema {
    let output = |name: &str, description: &str| Attribute::string(name).computed().description(description);
    Schema::new(
        0,
        Block::new(
            "A KEDA `ScaledObject` (`keda.sh/v1alpha1`) rendered as YAML, with a `TriggerAuthentication` for each trigger that reads \
             credentials from a Secret. KEDA owns the 0 ↔ 1 step (it polls the triggers every `polling_interval` while at zero and \
             returns to zero `cooldown_period` after the last active poll) and hands 1 ↔ N to an HPA it generates, with this \
             resource's `behavior`. Checked at plan time against KEDA's rules (replica bounds, each scaler's required metadata, cron \
             and time zones, cpu/memory and zero); simulate it with `data.autoscale_hpa_simulation`. Nothing is sent to a cluster: \
             apply `yaml`, or let `output_path` write it to a file. KEDA and prometheus-adapter cannot both serve external metrics \
             in one cluster.",
        )
        .attribute(Attribute::string("id").computed().description("`namespace/name`."))
        .attribute(Attribute::string("name").required().description("Name of the ScaledObject (a DNS-1123 subdomain)."))
        .attribute(Attribute::string("namespace").default("default").description("Namespace of the ScaledObject, its target and the Secrets it names."))
        .attribute(Attribute::map_of("labels", Type::String).optional().description("Labels of the rendered objects."))
        .attribute(Attribute::map_of("annotations", Type::String).optional().description("Annotations of the ScaledObject (e.g. `autoscaling.keda.sh/paused`)."))
        .attribute(int("min_replica_count", "Replicas when no trigger is active; 0 (KEDA's default when unset) scales to zero. The generated HPA's minimum is `max(1, min_replica_count)`."))
        .attribute(int("max_replica_count", "Highest replica count (KEDA's default 100); at least 1 and not below `min_replica_count`."))
        .attribute(int("idle_replica_count", "Replicas while no trigger is active, below `min_replica_count`; KEDA supports only 0 reliably."))
        .attribute(int("polling_interval", "Seconds between trigger checks (KEDA's default 30); at zero replicas this is how soon a backlog is noticed."))
        .attribute(int("cooldown_period", "Seconds after the last active trigger before scaling to zero (KEDA's default 300); only for the step to zero."))
        .attribute(int("initial_cooldown_period", "Seconds after the ScaledObject's creation before the cooldown may start (KEDA's default 0)."))
        .attribute(Attribute::string("hpa_name").optional().description("Name of the generated HPA (`advanced.horizontalPodAutoscalerConfig.name`); KEDA's default is `keda-hpa-<name>`."))
        .attribute(Attribute::bool("restore_to_original_replica_count").optional().description("Whether deleting the ScaledObject restores the target's replica count from before KEDA (KEDA's default `false`)."))
        .attribute(Attribute::string("output_path").optional().description(
            "File to write the YAML to. A file changed or deleted outside Terraform shows as drift in the next plan and apply writes it again; destroy removes it.",
        ))
        .attribute(output("yaml", "The rendered objects: TriggerAuthentications first, then the ScaledObject, separated by `---`."))
        .attribute(Attribute::list_of("documents", Type::String).computed().description("Each object as its own YAML document."))
        .attribute(output("sha256", "SHA-256 (hex) of `yaml`."))
        .attribute(output("output_file_sha256", "SHA-256 of the file at `output_path` when last read; null when there is no file."))
        .block(NestedBlock::single("target", target_block("The workload to scale (`scaleTargetRef`); it needs a `/scale` subresource.", "ScaledObject")).min_items(1).max_items(1))
        .block(NestedBlock::single(
            "fallback",
            Block::new("Replicas to hold when a scaler keeps failing (needs a trigger that is neither cpu nor memory).")
                .attribute(Attribute::int("failure_threshold").required().validator(validate::int_at_least(1)).description("Consecutive failed polls before the fallback applies."))
                .attribute(Attribute::int("replicas").required().validator(validate::int_at_least(0)).description("Replicas while the scaler is failing.")),
        ))
        .block(scaling_behavior::block())
        .block(trigger_block()),
    )
}

#[derive(Debug, Deserialize)]
struct SecretRefModel {
    parameter: Option<String>,
    name: Option<String>,
    key: Option<String>,
}

type ScalerModel = BTreeMap<String, Option<String>>;

#[derive(Debug, Deserialize)]
struct TriggerModel {
    name: Option<String>,
    metric_type: Option<String>,
    authentication_ref: Option<String>,
    authentication_kind: Option<String>,
    secret_target_ref: Option<Vec<SecretRefModel>>,
    redis: Option<ScalerModel>,
    rabbitmq: Option<ScalerModel>,
    prometheus: Option<ScalerModel>,
    cpu: Option<ScalerModel>,
    memory: Option<ScalerModel>,
    cron: Option<ScalerModel>,
}

impl TriggerModel {
    /// The scaler blocks set, with their type.
    fn scalers(&self) -> Vec<(&'static keda::Scaler, &ScalerModel)> {
        let blocks = [&self.redis, &self.rabbitmq, &self.prometheus, &self.cpu, &self.memory, &self.cron];
        SCALERS.iter().zip(blocks).filter_map(|(scaler, block)| block.as_ref().map(|b| (scaler, b))).collect()
    }
}

#[derive(Debug, Deserialize)]
struct FallbackModel {
    failure_threshold: Option<i64>,
    replicas: Option<i64>,
}

/// The arguments (computed attributes are read from values directly).
#[derive(Debug, Deserialize)]
struct ScaledObjectModel {
    name: Option<String>,
    namespace: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
    min_replica_count: Option<i64>,
    max_replica_count: Option<i64>,
    idle_replica_count: Option<i64>,
    polling_interval: Option<i64>,
    cooldown_period: Option<i64>,
    initial_cooldown_period: Option<i64>,
    hpa_name: Option<String>,
    restore_to_original_replica_count: Option<bool>,
    target: Option<ReferenceModel>,
    fallback: Option<FallbackModel>,
    behavior: Option<BehaviorModel>,
    trigger: Option<Vec<TriggerModel>>,
}

/// The manifest an object value describes. A trigger must set exactly one scaler block and may
/// not both name an existing TriggerAuthentication and list secret references.
fn spec_of(value: &Value) -> Result<KedaManifest, Diagnostics> {
    let m: ScaledObjectModel = from_value(value).map_err(|e| Diagnostics::from(Diagnostic::error("Provider bug", format!("reading the {TYPE_NAME} arguments: {e}"))))?;
    let name = m.name.clone().unwrap_or_default();
    let namespace = m.namespace.clone().unwrap_or_else(|| "default".into());
    let models = m.trigger.as_deref().unwrap_or_default();
    let mut diags = Diagnostics::new();
    let mut types = Vec::new();
    for (index, t) in models.iter().enumerate() {
        let at = AttributePath::root("trigger").index(index);
        match t.scalers().as_slice() {
            [(scaler, _)] => types.push(scaler.type_),
            found => {
                let names: Vec<&str> = found.iter().map(|(s, _)| s.type_).collect();
                diags.push(Diagnostic::error("Invalid KEDA trigger", format!("A trigger sets exactly one scaler block (redis, rabbitmq, prometheus, cpu, memory or cron); this one sets {}.", if names.is_empty() { "none".to_string() } else { names.join(" and ") })).at(at.clone()));
                types.push("");
            }
        }
        if t.authentication_ref.is_some() && t.secret_target_ref.as_ref().is_some_and(|r| !r.is_empty()) {
            diags.push(Diagnostic::error("Conflicting KEDA trigger authentication", "Set either authentication_ref (an existing TriggerAuthentication) or secret_target_ref blocks (one rendered here), not both.").at(at.attr("authentication_ref")));
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let labels = m.labels.clone().filter(|l| !l.is_empty());
    let mut trigger_authentications = Vec::new();
    let mut triggers = Vec::new();
    for (index, t) in models.iter().enumerate() {
        let (scaler, block) = t.scalers()[0];
        let metadata: BTreeMap<String, String> = scaler
            .params
            .iter()
            .filter_map(|p| block.get(p.attribute).cloned().flatten().map(|v| (p.key.to_string(), v)))
            .collect();
        let refs: Vec<SecretTargetRef> = t
            .secret_target_ref
            .iter()
            .flatten()
            .map(|r| SecretTargetRef { parameter: r.parameter.clone().unwrap_or_default(), name: r.name.clone().unwrap_or_default(), key: r.key.clone().unwrap_or_default() })
            .collect();
        let authentication_ref = if refs.is_empty() {
            t.authentication_ref.clone().map(|name| AuthenticationRef { name, kind: t.authentication_kind.clone() })
        } else {
            let auth_name = keda::authentication_name(&name, &types, index);
            trigger_authentications.push(TriggerAuthentication {
                api_version: API_VERSION.into(),
                kind: TRIGGER_AUTHENTICATION.into(),
                metadata: ObjectMeta { name: auth_name.clone(), namespace: Some(namespace.clone()), labels: labels.clone(), annotations: None },
                spec: TriggerAuthenticationSpec { secret_target_ref: refs },
            });
            Some(AuthenticationRef { name: auth_name, kind: None })
        };
        triggers.push(Trigger { type_: scaler.type_.into(), name: t.name.clone(), metric_type: t.metric_type.clone(), metadata, authentication_ref });
    }
    let hpa_config = (m.hpa_name.is_some() || m.behavior.is_some()).then(|| HpaConfig { name: m.hpa_name.clone(), behavior: scaling_behavior::expand(m.behavior.as_ref()) });
    let advanced = (m.restore_to_original_replica_count.is_some() || hpa_config.is_some())
        .then_some(Advanced { restore_to_original_replica_count: m.restore_to_original_replica_count, horizontal_pod_autoscaler_config: hpa_config });
    Ok(KedaManifest {
        trigger_authentications,
        scaled_object: ScaledObject {
            api_version: API_VERSION.into(),
            kind: SCALED_OBJECT.into(),
            metadata: ObjectMeta { name, namespace: Some(namespace), labels, annotations: m.annotations.clone().filter(|a| !a.is_empty()) },
            spec: ScaledObjectSpec {
                scale_target_ref: reference(m.target.as_ref()),
                polling_interval: m.polling_interval,
                cooldown_period: m.cooldown_period,
                initial_cooldown_period: m.initial_cooldown_period,
                idle_replica_count: m.idle_replica_count,
                min_replica_count: m.min_replica_count,
                max_replica_count: m.max_replica_count,
                fallback: m.fallback.as_ref().map(|f| Fallback { failure_threshold: f.failure_threshold.unwrap_or(0), replicas: f.replicas.unwrap_or(0) }),
                advanced,
                triggers,
            },
        },
    })
}

fn opt_int(value: Option<i64>) -> Value {
    value.map_or(Value::Null, Value::from)
}

fn opt_map(map: Option<&BTreeMap<String, String>>) -> Value {
    map.map_or(Value::Null, |m| Value::map(m.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str())))))
}

/// The `trigger` block value of a rendered trigger.
fn flatten_trigger(manifest: &KedaManifest, trigger: &Trigger, types: &[&str], index: usize) -> Result<Value, String> {
    let scaler = keda::scaler(&trigger.type_).ok_or_else(|| format!("trigger {index} has type {:?}, which this resource does not render (it renders {})", trigger.type_, SCALERS.iter().map(|s| s.type_).collect::<Vec<_>>().join(", ")))?;
    for key in trigger.metadata.keys() {
        if !scaler.params.iter().any(|p| p.key == key) {
            return Err(format!("trigger {index} ({}) has metadata {key:?}, which this resource does not set", scaler.type_));
        }
    }
    let block = Value::object(scaler.params.iter().map(|p| (p.attribute, trigger.metadata.get(p.key).map_or(Value::Null, |v| Value::from(v.as_str())))));
    let owned = manifest.owned_authentication(trigger).filter(|a| a.metadata.name == keda::authentication_name(&manifest.scaled_object.metadata.name, types, index));
    let (auth_name, auth_kind, refs) = match (owned, &trigger.authentication_ref) {
        (Some(auth), _) => (Value::Null, Value::Null, Value::list(auth.spec.secret_target_ref.iter().map(|r| {
            Value::object([("parameter", Value::from(r.parameter.as_str())), ("name", Value::from(r.name.as_str())), ("key", Value::from(r.key.as_str()))])
        }))),
        (None, Some(reference)) => (Value::from(reference.name.as_str()), opt_text(reference.kind.as_ref()), Value::list([])),
        (None, None) => (Value::Null, Value::Null, Value::list([])),
    };
    let mut value = Value::object([
        ("name", opt_text(trigger.name.as_ref())),
        ("metric_type", opt_text(trigger.metric_type.as_ref())),
        ("authentication_ref", auth_name),
        ("authentication_kind", auth_kind),
        ("secret_target_ref", refs),
    ]);
    for other in SCALERS {
        set(&mut value, other.type_, if other.type_ == scaler.type_ { block.clone() } else { Value::Null });
    }
    Ok(value)
}

/// The arguments a manifest file describes (import).
fn flatten(content: &str) -> Result<Value, String> {
    let manifest = keda::parse(content)?;
    let so = &manifest.scaled_object;
    let spec = &so.spec;
    let types: Vec<&str> = spec.triggers.iter().map(|t| t.type_.as_str()).collect();
    let triggers = spec.triggers.iter().enumerate().map(|(i, t)| flatten_trigger(&manifest, t, &types, i)).collect::<Result<Vec<_>, _>>()?;
    for auth in &manifest.trigger_authentications {
        let used = spec.triggers.iter().enumerate().any(|(i, t)| manifest.owned_authentication(t).is_some_and(|a| a.metadata.name == auth.metadata.name && a.metadata.name == keda::authentication_name(&so.metadata.name, &types, i)));
        if !used {
            return Err(format!("the TriggerAuthentication {:?} is not the one this resource renders for a trigger (<name>-<type>); import it separately", auth.metadata.name));
        }
    }
    let config = spec.advanced.as_ref().and_then(|a| a.horizontal_pod_autoscaler_config.as_ref());
    Ok(Value::object([
        ("id", Value::Null),
        ("name", Value::from(so.metadata.name.as_str())),
        ("namespace", Value::from(so.metadata.namespace.as_deref().unwrap_or("default"))),
        ("labels", opt_map(so.metadata.labels.as_ref())),
        ("annotations", opt_map(so.metadata.annotations.as_ref())),
        ("min_replica_count", opt_int(spec.min_replica_count)),
        ("max_replica_count", opt_int(spec.max_replica_count)),
        ("idle_replica_count", opt_int(spec.idle_replica_count)),
        ("polling_interval", opt_int(spec.polling_interval)),
        ("cooldown_period", opt_int(spec.cooldown_period)),
        ("initial_cooldown_period", opt_int(spec.initial_cooldown_period)),
        ("hpa_name", opt_text(config.and_then(|c| c.name.as_ref()))),
        ("restore_to_original_replica_count", spec.advanced.as_ref().and_then(|a| a.restore_to_original_replica_count).map_or(Value::Null, Value::from)),
        ("output_path", Value::Null),
        ("yaml", Value::Null),
        ("documents", Value::Null),
        ("sha256", Value::Null),
        ("output_file_sha256", Value::Null),
        ("target", flatten_reference(&spec.scale_target_ref)),
        (
            "fallback",
            spec.fallback.as_ref().map_or(Value::Null, |f| Value::object([("failure_threshold", Value::from(f.failure_threshold)), ("replicas", Value::from(f.replicas))])),
        ),
        ("behavior", scaling_behavior::flatten(config.and_then(|c| c.behavior.as_ref()))),
        ("trigger", Value::list(triggers)),
    ]))
}

impl ManifestKind for KedaScaledObjectManifest {
    type Spec = KedaManifest;
    type Rendered = keda::Rendered;

    const TYPE_NAME: &'static str = "autoscale_keda_scaled_object_manifest";
    const WHAT: &'static str = "KEDA ScaledObject";
    const INVALID: &'static str = "Invalid KEDA ScaledObject";
    const NOUN: &'static str = "KEDA ScaledObject manifest";
    const TEMPLATES: &'static [TemplateName] = &[TemplateName::KedaScaledObject];
    const OUTPUTS: &'static [&'static str] = &["id", "yaml", "documents", "sha256", "output_file_sha256"];

    fn schema() -> Schema {
        schema()
    }

    fn spec_of(value: &Value) -> Result<KedaManifest, Diagnostics> {
        spec_of(value)
    }

    fn validate(spec: &KedaManifest) -> Vec<Violation> {
        keda::validate(spec)
    }

    fn render(spec: &KedaManifest, overrides: &Overrides) -> Result<keda::Rendered, RenderError> {
        keda::render(spec, overrides)
    }

    fn set_outputs(state: &mut Value, spec: &KedaManifest, rendered: &keda::Rendered) {
        let meta = &spec.scaled_object.metadata;
        let id = format!("{}/{}", meta.namespace.as_deref().unwrap_or("default"), meta.name);
        set_documents(state, id, &rendered.yaml, &rendered.documents, &rendered.sha256);
    }

    fn flatten(content: &str) -> Result<Value, String> {
        flatten(content)
    }
}

#[cfg(test)]
mod tests {
    use tfplugin::provider::{Context, Plan, Resource};

    use super::*;
    use crate::resources::manifest::Manifest;
    use crate::resources::manifest_files::text;

    const RESOURCE: Manifest<KedaScaledObjectManifest> = Manifest::new();

    /// The Celery worker's KEDA form, as the render tests have it, flattened into arguments.
    fn config() -> Value {
        let rendered = keda::render(&keda::tests::celery_worker(), &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        let mut value = flatten(&rendered.yaml).unwrap_or_else(|e| panic!("{e}"));
        // The fixture's TriggerAuthentication is named `worker-redis`, as this resource names it.
        assert!(value.get("trigger").is_some());
        set(&mut value, "output_path", Value::Null);
        value
    }

    fn plan_for(config: Value) -> Plan {
        tfplugin::plan::plan_change(&schema().block, &Value::Null, &config, &config, Vec::new())
    }

    fn ctx() -> Context {
        Context::new(None, tokio_util::sync::CancellationToken::new(), TYPE_NAME)
    }

    #[test]
    fn expand_then_flatten_is_identity() {
        let value = config();
        let spec = spec_of(&value).unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(spec, keda::tests::celery_worker());
        assert!(keda::validate(&spec).is_empty(), "{:?}", keda::validate(&spec));
        let rendered = keda::render(&spec, &Overrides::none()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(flatten(&rendered.yaml).unwrap_or_else(|e| panic!("{e}")), value);
        let conformed = value.clone().conform(&schema().value_type(), &AttributePath::empty());
        assert!(conformed.is_ok(), "{conformed:?}");
    }

    #[tokio::test]
    async fn plan_knows_the_manifest() {
        let mut plan = plan_for(config());
        let diags = RESOURCE.modify_plan(&ctx(), &mut plan).await;
        assert!(diags.is_empty(), "{diags:?}");
        let yaml = text(&plan.planned, "yaml").unwrap_or_default();
        assert!(yaml.contains("kind: ScaledObject") && yaml.contains("listName: celery"), "{yaml}");
        assert_eq!(text(&plan.planned, "id"), Some("production/worker"));
    }

    #[tokio::test]
    async fn a_trigger_needs_exactly_one_scaler() {
        let mut value = config();
        if let Some(Value::List(triggers)) = value.get("trigger").cloned() {
            let mut first = triggers[0].clone();
            set(&mut first, "cron", triggers[1].get("cron").cloned().unwrap_or_default());
            set(&mut value, "trigger", Value::list([first, triggers[1].clone()]));
        }
        let diags = RESOURCE.validate(&ctx(), &value).await;
        let paths: Vec<String> = diags.iter().filter_map(|d| d.path.as_ref().map(ToString::to_string)).collect();
        assert_eq!(paths, ["trigger[0]"]);
    }

    #[test]
    fn import_refuses_what_it_cannot_render() {
        let yaml = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: w}\nspec:\n  scaleTargetRef: {name: w}\n  triggers:\n  - type: kafka\n    metadata: {topic: t}\n";
        assert!(flatten(yaml).err().unwrap_or_default().contains("kafka"));
        let yaml = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: w}\nspec:\n  scaleTargetRef: {name: w}\n  triggers:\n  - type: redis\n    metadata: {listName: l, listLength: '5', address: 'r:6379', usernameFromEnv: U}\n";
        assert!(flatten(yaml).err().unwrap_or_default().contains("usernameFromEnv"));
    }
}
