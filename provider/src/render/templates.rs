//! The handlebars side of rendering: the built-in templates (compiled into the binary from
//! `templates/*.hbs`, parsed once into a shared registry and rendered through their compiled form
//! in `compiled`, which prints the same text several times faster), user overrides from the
//! provider's `templates_dir` (source text handed in by the caller: this module does no IO;
//! handlebars renders them), and the helpers that keep every printed value valid YAML.
//!
//! Helpers available to templates:
//! - `{{yaml value}}`: a scalar (strings quoted when needed, numbers and booleans as they are,
//!   null as `null`) or, for arrays and objects, a flow collection of such scalars.
//! - `{{yaml_block text indent}}`: multi-line text as a literal block scalar indented by `indent`.
//! - Plain `{{value}}` is safe too: the escape function quotes every string as `yaml` does.
//!   `{{{value}}}` prints raw text and is never used by the built-in templates.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use handlebars::{Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason};
use serde::Serialize;
use serde_json::Value as Json;

use super::compiled::Compiled;
use super::yaml_scalar;

/// One template the provider renders; its file name is the same in `templates/` and in a
/// `templates_dir` override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TemplateName {
    /// A HorizontalPodAutoscaler.
    Hpa,
    /// The Cluster Autoscaler's six objects, separated by `---`.
    ClusterAutoscaler,
    /// The prometheus-adapter ConfigMap wrapping `config.yaml`.
    PrometheusAdapter,
    /// The prometheus-adapter `config.yaml` itself (external rules).
    PrometheusAdapterConfig,
    /// A KEDA ScaledObject, after the TriggerAuthentications its triggers own.
    KedaScaledObject,
    /// The Celery queue exporter's Deployment, Service and optional ServiceMonitor.
    QueueExporter,
    /// A Karpenter EC2NodeClass and NodePool, separated by `---`.
    KarpenterNodePool,
}

impl TemplateName {
    pub const ALL: [TemplateName; 7] =
        [Self::Hpa, Self::ClusterAutoscaler, Self::PrometheusAdapter, Self::PrometheusAdapterConfig, Self::KedaScaledObject, Self::QueueExporter, Self::KarpenterNodePool];

    /// The file name under `templates/` or `templates_dir`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Hpa => "hpa.yaml.hbs",
            Self::ClusterAutoscaler => "cluster_autoscaler.yaml.hbs",
            Self::PrometheusAdapter => "prometheus_adapter.yaml.hbs",
            Self::PrometheusAdapterConfig => "prometheus_adapter_config.yaml.hbs",
            Self::KedaScaledObject => "keda_scaled_object.yaml.hbs",
            Self::QueueExporter => "queue_exporter.yaml.hbs",
            Self::KarpenterNodePool => "karpenter_node_pool.yaml.hbs",
        }
    }

    /// The built-in template text.
    pub fn builtin_source(self) -> &'static str {
        match self {
            Self::Hpa => include_str!("../../../templates/hpa.yaml.hbs"),
            Self::ClusterAutoscaler => include_str!("../../../templates/cluster_autoscaler.yaml.hbs"),
            Self::PrometheusAdapter => include_str!("../../../templates/prometheus_adapter.yaml.hbs"),
            Self::PrometheusAdapterConfig => include_str!("../../../templates/prometheus_adapter_config.yaml.hbs"),
            Self::KedaScaledObject => include_str!("../../../templates/keda_scaled_object.yaml.hbs"),
            Self::QueueExporter => include_str!("../../../templates/queue_exporter.yaml.hbs"),
            Self::KarpenterNodePool => include_str!("../../../templates/karpenter_node_pool.yaml.hbs"),
        }
    }
}

/// Template sources replacing built-in ones, keyed by template; read from `templates_dir` by the
/// caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    sources: BTreeMap<TemplateName, String>,
}

impl Overrides {
    /// No overrides: the built-in templates.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, name: TemplateName, source: String) {
        self.sources.insert(name, source);
    }

    pub fn get(&self, name: TemplateName) -> Option<&str> {
        self.sources.get(&name).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

/// Errors turning a template and data into text.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// A template does not parse as handlebars.
    #[error("parsing template {file}: {message}")]
    Parse { file: &'static str, message: String },
    /// Rendering failed (a helper refused a value, a missing variable, ...).
    #[error("rendering template {file}: {message}")]
    Render { file: &'static str, message: String },
    /// The data could not be turned into JSON for the template (a provider bug).
    #[error("preparing data for template {file}: {message}")]
    Data { file: &'static str, message: String },
}

/// A registry with the provider's helpers and escape function, and no templates.
pub(super) fn bare_registry() -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.register_escape_fn(yaml_scalar::scalar);
    registry.register_helper("yaml", Box::new(yaml_helper));
    registry.register_helper("yaml_block", Box::new(yaml_block_helper));
    registry
}

/// The built-in templates, parsed once per process.
fn builtin_registry() -> Result<&'static Handlebars<'static>, TemplateError> {
    static REGISTRY: OnceLock<Result<Handlebars<'static>, TemplateError>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let mut registry = bare_registry();
            for name in TemplateName::ALL {
                registry
                    .register_template_string(name.file_name(), name.builtin_source())
                    .map_err(|e| TemplateError::Parse { file: name.file_name(), message: e.to_string() })?;
            }
            Ok(registry)
        })
        .as_ref()
        .map_err(|e| match e {
            TemplateError::Parse { file, message } => TemplateError::Parse { file, message: message.clone() },
            other => TemplateError::Parse { file: "built-in templates", message: other.to_string() },
        })
}

/// The built-in templates compiled for direct rendering, in [`TemplateName::ALL`] order; `None`
/// for one that uses handlebars beyond the compiled subset (handlebars renders it then).
pub(super) fn builtin_compiled() -> Result<&'static [Option<Compiled>; TemplateName::ALL.len()], TemplateError> {
    static COMPILED: OnceLock<[Option<Compiled>; TemplateName::ALL.len()]> = OnceLock::new();
    if let Some(compiled) = COMPILED.get() {
        return Ok(compiled);
    }
    let registry = builtin_registry()?;
    Ok(COMPILED.get_or_init(|| TemplateName::ALL.map(|name| registry.get_template(name.file_name()).and_then(|t| Compiled::new(t).ok()))))
}

/// Renders `name` with `data`, using the override when there is one.
///
/// # Errors
/// When the template does not parse or rendering fails.
pub fn render(name: TemplateName, data: &impl Serialize, overrides: &Overrides) -> Result<String, TemplateError> {
    let file = name.file_name();
    let json = serde_json::to_value(data).map_err(|e| TemplateError::Data { file, message: e.to_string() })?;
    match overrides.get(name) {
        None => {
            let compiled = builtin_compiled()?.iter().zip(TemplateName::ALL).find(|(_, n)| *n == name).and_then(|(c, _)| c.as_ref());
            // The compiled form hands every failure back to handlebars, for its error message.
            if let Some(Ok(text)) = compiled.map(|c| c.render(&json)) {
                #[cfg(test)]
                assert_same_as_handlebars(file, &json, &text);
                return Ok(text);
            }
            builtin_registry()?
                .render_with_context(file, &Context::from(json))
                .map_err(|e| TemplateError::Render { file, message: render_error_text(&e) })
        }
        Some(source) => {
            let mut registry = bare_registry();
            registry
                .register_template_string(file, source)
                .map_err(|e| TemplateError::Parse { file, message: e.to_string() })?;
            registry.render_with_context(file, &Context::from(json)).map_err(|e| TemplateError::Render { file, message: render_error_text(&e) })
        }
    }
}

/// In tests every compiled render is checked against handlebars: all the renderers' tests
/// (property tests included) then compare the two engines.
#[cfg(test)]
fn assert_same_as_handlebars(file: &str, json: &Json, text: &str) {
    let expected = builtin_registry().and_then(|r| r.render_with_context(file, &Context::from(json.clone())).map_err(|e| TemplateError::Render { file: "", message: e.to_string() }));
    match expected {
        Ok(expected) => assert_eq!(text, expected, "compiled {file} differs from handlebars for {json}"),
        Err(e) => panic!("compiled {file} rendered where handlebars fails ({e}) for {json}"),
    }
}

fn render_error_text(err: &handlebars::RenderError) -> String {
    match (err.line_no, err.column_no) {
        (Some(line), Some(column)) => format!("line {line}, column {column}: {}", err.reason()),
        _ => err.reason().to_string(),
    }
}

fn yaml_helper(h: &Helper<'_>, _: &Handlebars<'_>, _: &Context, _: &mut RenderContext<'_, '_>, out: &mut dyn Output) -> HelperResult {
    let param = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex("yaml", 0))?;
    if param.is_value_missing() {
        return Err(RenderErrorReason::MissingVariable(param.relative_path().cloned()).into());
    }
    let mut text = String::new();
    yaml_scalar::push_value(&mut text, param.value());
    out.write(&text)?;
    Ok(())
}

fn yaml_block_helper(h: &Helper<'_>, _: &Handlebars<'_>, _: &Context, _: &mut RenderContext<'_, '_>, out: &mut dyn Output) -> HelperResult {
    let text = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex("yaml_block", 0))?;
    let Json::String(text) = text.value() else {
        return Err(RenderErrorReason::InvalidParamType("yaml_block expects a string").into());
    };
    let indent = h.param(1).and_then(|p| p.value().as_u64()).ok_or(RenderErrorReason::ParamNotFoundForIndex("yaml_block", 1))?;
    out.write(&yaml_scalar::block(text, yaml_scalar::block_indent(indent)))?;
    Ok(())
}
