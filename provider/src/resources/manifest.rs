//! The one resource every rendered-manifest type is: `Manifest<K>` writes validate, plan, create,
//! read, update, delete and import once, and a `ManifestKind` says what differs between kinds —
//! its schema, how an object value becomes a typed spec, the rules it checks, how it renders and
//! which computed attributes the render fills. See docs/design/manifest-kinds.md for how to add a
//! kind.
//!
//! Nothing is sent to a cluster: a manifest resource's "remote object" is its rendered text, kept
//! in state, and optionally the file at `output_path`, which is the only thing that can drift.

use std::marker::PhantomData;
use std::path::Path;

use tfplugin::provider::{Context, Plan, Resource, StateResult};
use tfplugin::schema::Schema;
use tfplugin::{Diagnostic, Diagnostics, Value};

use super::manifest_files::{inputs_known, overrides_for, planned_output_sha, refresh_output, remove_file, remove_moved_output, render_diagnostics, set, text, violation_diagnostics, write_output};
use crate::render::{Overrides, RenderError, RenderedManifest, TemplateName, Violation};

/// One kind of rendered manifest: everything that differs between the manifest resources.
pub trait ManifestKind: Send + Sync + 'static {
    /// The typed arguments, as the renderer takes them.
    type Spec;
    /// What rendering gives.
    type Rendered: RenderedManifest;

    /// The resource type name, e.g. `autoscale_hpa_manifest`.
    const TYPE_NAME: &'static str;
    /// What the manifest is, in diagnostics ("Cannot render the {WHAT}").
    const WHAT: &'static str;
    /// The summary of a broken rule at `validate` ("Invalid HorizontalPodAutoscaler").
    const INVALID: &'static str;
    /// The manifest's name in import errors ("importing {NOUN} (path)").
    const NOUN: &'static str;
    /// The templates it renders with; each can be overridden from the provider's `templates_dir`.
    const TEMPLATES: &'static [TemplateName];
    /// Computed attributes: known in the plan once every input is, unknown otherwise.
    const OUTPUTS: &'static [&'static str];
    /// Optional arguments whose default the plan computes from the others (optional + computed).
    const DERIVED: &'static [&'static str] = &[];
    /// Arguments that are checks on the manifest, not inputs to it: `validate` runs without them.
    const CHECKS: &'static [&'static str] = &[];

    /// The schema; the docs generator reads it through `Resource::schema`.
    fn schema() -> Schema;
    /// The typed spec an object value (config, plan or state) describes.
    ///
    /// # Errors
    /// Diagnostics (with attribute paths) for values no spec can be made of.
    fn spec_of(value: &Value) -> Result<Self::Spec, Diagnostics>;
    /// The rules the spec breaks, each at its attribute.
    fn validate(spec: &Self::Spec) -> Vec<Violation>;
    /// Renders the spec.
    ///
    /// # Errors
    /// Broken rules, a failing override template, or an override's output that is not the manifest.
    fn render(spec: &Self::Spec, overrides: &Overrides) -> Result<Self::Rendered, RenderError>;
    /// Fills the computed attributes (and derived arguments) of `state` from a render.
    fn set_outputs(state: &mut Value, spec: &Self::Spec, rendered: &Self::Rendered);
    /// The arguments a manifest file describes (import); computed attributes may be null.
    ///
    /// # Errors
    /// A sentence saying why the text is not such a manifest.
    fn flatten(content: &str) -> Result<Value, String>;

    /// Upgrades stored state JSON of an older schema version to the current one.
    ///
    /// # Errors
    /// When there is no upgrader for `from_version`.
    fn upgrade_state(from_version: i64, _json: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        Err(Diagnostic::error("Unsupported state version", format!("{} has no upgrader for stored state of schema version {from_version}.", Self::TYPE_NAME)).into())
    }

    /// Plan-time checks of the spec beyond its own rules (e.g. against another resource's output).
    fn check_spec(_planned: &Value, _spec: &Self::Spec) -> Diagnostics {
        Diagnostics::new()
    }
    /// Plan-time checks of the rendered manifest (e.g. a simulation the configuration asks for).
    fn check_rendered(_config: &Value, _rendered: &Self::Rendered) -> Diagnostics {
        Diagnostics::new()
    }
}

/// The resource serving a manifest kind.
pub struct Manifest<K>(PhantomData<fn() -> K>);

impl<K> Manifest<K> {
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<K> Default for Manifest<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: ManifestKind> Manifest<K> {
    fn render(spec: &K::Spec, overrides: &Overrides) -> Result<K::Rendered, Diagnostics> {
        K::render(spec, overrides).map_err(|e| render_diagnostics(&e, K::WHAT))
    }

    /// Renders the planned value again, refuses a render that differs from the plan, and writes
    /// the output file.
    fn apply(ctx: &Context, planned: &Value) -> Result<Value, Diagnostics> {
        let overrides = overrides_for(ctx, K::TEMPLATES)?;
        if overrides.is_empty()
            && let Some(yaml) = Self::planned_render(planned)
        {
            // The built-in templates make the render a pure function of the planned arguments:
            // the plan's render is the apply's, so it is not done twice.
            let mut state = planned.clone();
            write_output(&mut state, yaml).map_err(Diagnostics::from)?;
            return Ok(state);
        }
        let spec = K::spec_of(planned)?;
        let rendered = Self::render(&spec, &overrides)?;
        if text(planned, "yaml").is_some_and(|y| y != rendered.yaml()) {
            return Err(Diagnostic::error(
                "The manifest changed between plan and apply",
                "The rendered YAML differs from the plan (was a template in templates_dir edited?). Run terraform plan again.",
            )
            .into());
        }
        let mut state = planned.clone();
        K::set_outputs(&mut state, &spec, &rendered);
        write_output(&mut state, rendered.yaml()).map_err(Diagnostics::from)?;
        Ok(state)
    }

    /// The planned `yaml`, when the plan rendered every output (all but the file's hash, which
    /// apply writes).
    fn planned_render(planned: &Value) -> Option<&str> {
        let rendered = K::OUTPUTS.iter().filter(|name| **name != "output_file_sha256").all(|name| planned.get(name).is_some_and(Value::is_wholly_known));
        if rendered { text(planned, "yaml") } else { None }
    }

    /// Derived arguments the configuration leaves unset: the plan computes them.
    fn unset_derived(config: &Value) -> impl Iterator<Item = &'static str> + '_ {
        K::DERIVED.iter().copied().filter(|name| config.get(name).is_none_or(Value::is_null))
    }
}

#[tfplugin::async_trait]
impl<K: ManifestKind> Resource for Manifest<K> {
    fn type_name(&self) -> &str {
        K::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        K::schema()
    }

    /// Checked here when every input is known (so `terraform validate` reports it), else in
    /// modify_plan once values are known.
    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        if !inputs_known(config, K::CHECKS) {
            return Diagnostics::new();
        }
        match K::spec_of(config) {
            Ok(spec) => violation_diagnostics(K::schema, config, K::validate(&spec), K::INVALID),
            Err(d) => d,
        }
    }

    /// Renders at plan time, so the manifest and its hash are known in the plan.
    async fn modify_plan(&self, ctx: &Context, plan: &mut Plan) -> Diagnostics {
        if plan.planned.is_null() {
            return Diagnostics::new();
        }
        let unset: Vec<&str> = Self::unset_derived(&plan.config).collect();
        let mut inputs = plan.planned.clone();
        for name in &unset {
            set(&mut inputs, name, Value::Null);
        }
        let skip: Vec<&str> = K::OUTPUTS.iter().copied().chain(unset.iter().copied()).collect();
        if !inputs_known(&plan.config, K::OUTPUTS) || !inputs_known(&inputs, &skip) {
            for name in skip {
                set(&mut plan.planned, name, Value::Unknown);
            }
            return Diagnostics::new();
        }
        let overrides = match overrides_for(ctx, K::TEMPLATES) {
            Ok(o) => o,
            Err(d) => return d,
        };
        let spec = match K::spec_of(&inputs) {
            Ok(spec) => spec,
            Err(d) => return d,
        };
        let mut diags = K::check_spec(&plan.planned, &spec);
        match Self::render(&spec, &overrides) {
            Ok(rendered) => {
                diags.extend(K::check_rendered(&plan.config, &rendered));
                let output_sha = planned_output_sha(&plan.planned, &Value::from(rendered.sha256()));
                K::set_outputs(&mut plan.planned, &spec, &rendered);
                set(&mut plan.planned, "output_file_sha256", output_sha);
            }
            Err(d) => diags.extend(d),
        }
        diags
    }

    async fn create(&self, ctx: &Context, planned: &Value, _config: &Value) -> StateResult {
        match Self::apply(ctx, planned) {
            Ok(state) => StateResult::ok(state),
            Err(d) => StateResult::failed(Value::Null, d),
        }
    }

    /// The state with the output file's current hash: a file edited or deleted out of band shows
    /// as drift.
    async fn read(&self, _ctx: &Context, state: &Value, _private: &[u8]) -> StateResult {
        let mut state = state.clone();
        match refresh_output(&mut state) {
            Ok(()) => StateResult::ok(state),
            Err(d) => StateResult::failed(state, d),
        }
    }

    /// Removes a file left behind by a changed `output_path`, then applies; on failure the prior
    /// state stays.
    async fn update(&self, ctx: &Context, prior: &Value, planned: &Value, _config: &Value, _private: &[u8]) -> StateResult {
        if let Err(d) = remove_moved_output(prior, planned) {
            return StateResult::failed(prior.clone(), d);
        }
        match Self::apply(ctx, planned) {
            Ok(state) => StateResult::ok(state),
            Err(d) => StateResult::failed(prior.clone(), d),
        }
    }

    async fn delete(&self, _ctx: &Context, prior: &Value, _private: &[u8]) -> Diagnostics {
        match text(prior, "output_path") {
            Some(path) => remove_file(Path::new(path)).map_err(|e| e.diagnostic()).err().map(Diagnostics::from).unwrap_or_default(),
            None => Diagnostics::new(),
        }
    }

    fn upgrade_state(&self, from_version: i64, json: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        K::upgrade_state(from_version, json)
    }

    /// Imports from a manifest file: the id is its path, which becomes `output_path`.
    async fn import(&self, ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let fail = |detail: String| Diagnostics::from(Diagnostic::error(format!("importing {} ({id})", K::NOUN), detail));
        let content = std::fs::read_to_string(id).map_err(|e| fail(format!("reading the file: {e}. The import id is the path of a manifest file.")))?;
        let mut state = K::flatten(&content).map_err(fail)?;
        set(&mut state, "output_path", Value::from(id));
        let spec = K::spec_of(&state)?;
        let overrides = overrides_for(ctx, K::TEMPLATES)?;
        let rendered = Self::render(&spec, &overrides)?;
        K::set_outputs(&mut state, &spec, &rendered);
        refresh_output(&mut state).map_err(Diagnostics::from)?;
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::hpa_manifest::HpaManifest;

    fn planned(yaml: Value) -> Value {
        let mut value = Value::object(HpaManifest::OUTPUTS.iter().map(|name| (*name, Value::from("planned"))));
        set(&mut value, "yaml", yaml);
        set(&mut value, "output_file_sha256", Value::Unknown);
        value
    }

    /// With the built-in templates apply keeps the plan's render instead of rendering again (the
    /// planned text here is no HPA at all, so a second render would have replaced it or failed).
    #[test]
    fn apply_keeps_the_plans_render() {
        let ctx = Context::new(None, tokio_util::sync::CancellationToken::new(), HpaManifest::TYPE_NAME);
        let state = Manifest::<HpaManifest>::apply(&ctx, &planned(Value::from("kind: Planned\n"))).unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(text(&state, "yaml"), Some("kind: Planned\n"));
        assert_eq!(state.get("output_file_sha256"), Some(&Value::Null), "no output_path: no file hash");
    }

    /// An output still unknown at apply means the plan did not render: apply renders (and this
    /// value, with no arguments, cannot be).
    #[test]
    fn apply_renders_when_the_plan_did_not() {
        let ctx = Context::new(None, tokio_util::sync::CancellationToken::new(), HpaManifest::TYPE_NAME);
        assert!(Manifest::<HpaManifest>::planned_render(&planned(Value::Unknown)).is_none());
        assert!(Manifest::<HpaManifest>::apply(&ctx, &planned(Value::Unknown)).is_err());
    }
}
