//! A tiny provider built on tfplugin, used by the SDK's integration tests under the real
//! terraform binary: `example_note` keeps notes as JSON files in a directory, so tests can
//! change or delete them "out of band" and watch Terraform notice. `example_null` is the
//! `null_resource` shape on this SDK (a `triggers` map and an id, no IO): bench/plan.py runs it
//! as the floor peer, what any resource served by tfplugin costs Terraform. `example_shaped`
//! (only when `EXAMPLE_SHAPE` names a file) takes its schema and computed values from that file,
//! so bench/plan.py can serve another provider's resource shape with no work behind it: what
//! Terraform core spends on that shape alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplugin::provider::{Context, DataSource, Provider, ProviderData, Resource, StateResult};
use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use tfplugin::value::{Type, Value, from_value, to_value};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, timeouts, validate};

/// Where the notes live, from the provider block.
struct Store {
    dir: PathBuf,
}

struct ExampleProvider;

#[tfplugin::async_trait]
impl Provider for ExampleProvider {
    fn type_name(&self) -> &str {
        "example"
    }

    fn schema(&self) -> Schema {
        Schema::new(0, Block::new("The example provider.").attribute(
            Attribute::string("directory").required().description("Directory the notes are stored in."),
        ))
    }

    async fn configure(&self, _ctx: &Context, config: &Value, _terraform_version: &str) -> Result<ProviderData, Diagnostics> {
        let dir = config.get("directory").and_then(Value::as_str).ok_or_else(|| {
            Diagnostics::from(Diagnostic::error("Missing directory", "Set `directory` in the provider block.").at(AttributePath::root("directory")))
        })?;
        std::fs::create_dir_all(dir).map_err(|e| Diagnostics::from(Diagnostic::error("Cannot create the directory", e.to_string())))?;
        Ok(Arc::new(Store { dir: PathBuf::from(dir) }))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        let mut resources: Vec<Arc<dyn Resource>> = vec![Arc::new(Note), Arc::new(Null)];
        if let Some(shaped) = Shaped::from_env() {
            resources.push(Arc::new(shaped));
        }
        resources
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(Upper)]
    }
}

/// The state of one note; field names match the schema below.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct NoteModel {
    id: Option<String>,
    name: String,
    content: String,
    tags: Option<BTreeMap<String, String>>,
    length: Option<i64>,
    apply_delay_seconds: Option<i64>,
    panic_on_create: Option<bool>,
    timeouts: Option<Value>,
}

/// What is written to disk.
#[derive(Debug, Serialize, Deserialize)]
struct NoteFile {
    content: String,
    tags: BTreeMap<String, String>,
}

struct Note;

impl Note {
    fn path(store: &Store, name: &str) -> PathBuf {
        store.dir.join(format!("{name}.json"))
    }

    fn state_from_file(path: &Path, name: &str, planned: &NoteModel) -> Result<Option<NoteModel>, Diagnostic> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Diagnostic::error(format!("reading note ({name})"), e.to_string())),
        };
        let file: NoteFile = serde_json::from_str(&text).map_err(|e| Diagnostic::error(format!("reading note ({name})"), e.to_string()))?;
        Ok(Some(NoteModel {
            id: Some(name.to_string()),
            name: name.to_string(),
            length: Some(file.content.chars().count() as i64),
            content: file.content,
            tags: if file.tags.is_empty() && planned.tags.is_none() { None } else { Some(file.tags) },
            ..planned.clone()
        }))
    }

    fn write(store: &Store, model: &NoteModel) -> Result<(), Diagnostic> {
        let file = NoteFile { content: model.content.clone(), tags: model.tags.clone().unwrap_or_default() };
        let text = serde_json::to_string_pretty(&file).map_err(|e| Diagnostic::error("encoding note", e.to_string()))?;
        std::fs::write(Self::path(store, &model.name), text).map_err(|e| Diagnostic::error(format!("writing note ({})", model.name), e.to_string()))
    }

    /// Sleeps as configured, giving up when Terraform asks the provider to stop.
    async fn slow_down(ctx: &Context, model: &NoteModel) -> Result<(), Diagnostic> {
        let seconds = model.apply_delay_seconds.unwrap_or(0).max(0) as u64;
        if seconds == 0 {
            return Ok(());
        }
        let limit = timeouts::get(&to_value(model).unwrap_or(Value::Null), "create", Duration::from_secs(600));
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(seconds).min(limit)) => {
                if Duration::from_secs(seconds) > limit {
                    return Err(Diagnostic::error("Timed out", format!("waiting longer than {limit:?}")));
                }
                Ok(())
            }
            () = ctx.cancelled() => Err(Diagnostic::error("Operation cancelled", "Terraform asked the provider to stop.")),
        }
    }
}

fn model_or_diag(value: &Value) -> Result<NoteModel, Diagnostics> {
    from_value(value).map_err(|e| Diagnostics::from(Diagnostic::error("Provider bug", e.to_string())))
}

fn state(model: &NoteModel) -> Value {
    to_value(model).unwrap_or(Value::Null)
}

#[tfplugin::async_trait]
impl Resource for Note {
    fn type_name(&self) -> &str {
        "example_note"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            1,
            Block::new("A note stored as a JSON file.")
                .attribute(Attribute::string("id").computed().use_state_for_unknown().description("The note's name."))
                .attribute(
                    Attribute::string("name")
                        .required()
                        .requires_replace()
                        .validator(validate::matches("^[a-z0-9-]+$", "be lowercase letters, digits and dashes"))
                        .description("File name of the note."),
                )
                .attribute(Attribute::string("content").required().description("What the note says."))
                .attribute(Attribute::map_of("tags", Type::String).optional().description("Labels."))
                .attribute(Attribute::int("length").computed().description("Characters in `content`."))
                .attribute(Attribute::int("apply_delay_seconds").optional().validator(validate::int_between(0, 600)).description("Sleep before writing (tests)."))
                .attribute(Attribute::bool("panic_on_create").optional().description("Panic in create (tests)."))
                .block(timeouts::block(&[("create", "10m")])),
        )
    }

    async fn create(&self, ctx: &Context, planned: &Value, _config: &Value) -> StateResult {
        let store = match ctx.provider_data::<Store>() {
            Ok(store) => store,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let mut model = match model_or_diag(planned) {
            Ok(m) => m,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        if model.panic_on_create == Some(true) {
            panic!("asked to panic");
        }
        model.id = Some(model.name.clone());
        model.length = Some(model.content.chars().count() as i64);
        // Write first, then wait: an interrupted create still reports the note it made.
        if let Err(d) = Note::write(&store, &model) {
            return StateResult::failed(Value::Null, d);
        }
        if let Err(d) = Note::slow_down(ctx, &model).await {
            return StateResult::failed(state(&model), d);
        }
        StateResult::ok(state(&model))
    }

    async fn read(&self, ctx: &Context, current: &Value, _private: &[u8]) -> StateResult {
        let store = match ctx.provider_data::<Store>() {
            Ok(store) => store,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let model = match model_or_diag(current) {
            Ok(m) => m,
            Err(d) => return StateResult::failed(Value::Null, d),
        };
        let name = model.id.clone().unwrap_or_else(|| model.name.clone());
        match Note::state_from_file(&Note::path(&store, &name), &name, &model) {
            Ok(Some(found)) => StateResult::ok(state(&found)),
            Ok(None) => StateResult::ok(Value::Null),
            Err(d) => StateResult::failed(Value::Null, d),
        }
    }

    async fn update(&self, ctx: &Context, prior: &Value, planned: &Value, _config: &Value, _private: &[u8]) -> StateResult {
        let store = match ctx.provider_data::<Store>() {
            Ok(store) => store,
            Err(d) => return StateResult::failed(prior.clone(), d),
        };
        let mut model = match model_or_diag(planned) {
            Ok(m) => m,
            Err(d) => return StateResult::failed(prior.clone(), d),
        };
        model.length = Some(model.content.chars().count() as i64);
        if let Err(d) = Note::slow_down(ctx, &model).await {
            return StateResult::failed(prior.clone(), d);
        }
        match Note::write(&store, &model) {
            Ok(()) => StateResult::ok(state(&model)),
            Err(d) => StateResult::failed(prior.clone(), d),
        }
    }

    async fn delete(&self, ctx: &Context, prior: &Value, _private: &[u8]) -> Diagnostics {
        let store = match ctx.provider_data::<Store>() {
            Ok(store) => store,
            Err(d) => return d.into(),
        };
        let Some(name) = prior.get("name").and_then(Value::as_str) else { return Diagnostics::new() };
        match std::fs::remove_file(Note::path(&store, name)) {
            Ok(()) => Diagnostics::new(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Diagnostics::new(),
            Err(e) => Diagnostic::error(format!("deleting note ({name})"), e.to_string()).into(),
        }
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let mut state = tfplugin::provider::import_passthrough(&self.schema(), "id", id);
        if let Value::Object(fields) = &mut state {
            fields.insert("name".into(), Value::from(id));
            fields.insert("content".into(), Value::from(""));
        }
        Ok(state)
    }

    /// Version 0 called the content `text`.
    fn upgrade_state(&self, from_version: i64, mut json: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        if from_version == 0 {
            if let Some(object) = json.as_object_mut() {
                if let Some(text) = object.remove("text") {
                    object.insert("content".into(), text);
                }
            }
            return Ok(json);
        }
        Err(Diagnostic::error("Unsupported state version", format!("no upgrader from version {from_version}")).into())
    }
}

/// `resource "example_null"`: keeps its `triggers` and a unique id, like the null provider's
/// `null_resource`; changing `triggers` replaces it.
struct Null;

#[tfplugin::async_trait]
impl Resource for Null {
    fn type_name(&self) -> &str {
        "example_null"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Does nothing; a change of `triggers` replaces it.")
                .attribute(Attribute::string("id").computed().use_state_for_unknown().description("A unique id (creation time in hex nanoseconds)."))
                .attribute(Attribute::map_of("triggers", Type::String).optional().requires_replace().description("Any values.")),
        )
    }

    async fn create(&self, _ctx: &Context, planned: &Value, _config: &Value) -> StateResult {
        let mut state = planned.clone();
        if let Value::Object(fields) = &mut state {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
            fields.insert("id".into(), Value::from(format!("{nanos:x}")));
        }
        StateResult::ok(state)
    }

    async fn read(&self, _ctx: &Context, current: &Value, _private: &[u8]) -> StateResult {
        StateResult::ok(current.clone())
    }

    async fn update(&self, _ctx: &Context, _prior: &Value, planned: &Value, _config: &Value, _private: &[u8]) -> StateResult {
        StateResult::ok(planned.clone())
    }

    async fn delete(&self, _ctx: &Context, _prior: &Value, _private: &[u8]) -> Diagnostics {
        Diagnostics::new()
    }
}

/// `resource "example_shaped"`: the schema of a block in `terraform providers schema -json` form,
/// read from the file `EXAMPLE_SHAPE` names as `{"block": ..., "computed": {"name": value}}`; the
/// plan fills each computed attribute the configuration leaves null from `computed` (as a
/// resource whose outputs are known at plan time would), and nothing else happens.
struct Shaped {
    schema: Schema,
    computed: BTreeMap<String, serde_json::Value>,
}

impl Shaped {
    fn from_env() -> Option<Self> {
        let text = std::fs::read_to_string(std::env::var_os("EXAMPLE_SHAPE")?).ok()?;
        let file: serde_json::Value = serde_json::from_str(&text).ok()?;
        let block = shaped_block(file.get("block")?)?;
        let computed = file.get("computed").and_then(serde_json::Value::as_object).map(|m| m.clone().into_iter().collect()).unwrap_or_default();
        Some(Self { schema: Schema::new(0, block), computed })
    }
}

/// A schema block from its JSON form; `None` for anything it does not know.
fn shaped_block(json: &serde_json::Value) -> Option<Block> {
    let flag = |a: &serde_json::Value, name: &str| a.get(name).and_then(serde_json::Value::as_bool) == Some(true);
    let mut block = Block::new("A resource of another provider's shape.");
    for (name, a) in json.get("attributes").and_then(serde_json::Value::as_object).into_iter().flatten() {
        let ty = Type::from_json(a.get("type")?.to_string().as_bytes()).ok()?;
        let mut attribute = Attribute::new(name.as_str(), ty).description("Shaped.");
        attribute = if flag(a, "required") { attribute.required() } else { attribute };
        attribute = if flag(a, "optional") { attribute.optional() } else { attribute };
        attribute = if flag(a, "computed") { attribute.computed() } else { attribute };
        block = block.attribute(attribute);
    }
    for (name, b) in json.get("block_types").and_then(serde_json::Value::as_object).into_iter().flatten() {
        let nesting = match b.get("nesting_mode")?.as_str()? {
            "single" => Nesting::Single,
            "list" => Nesting::List,
            "set" => Nesting::Set,
            "map" => Nesting::Map,
            "group" => Nesting::Group,
            _ => return None,
        };
        let mut nested = NestedBlock::new(name.as_str(), nesting, shaped_block(b.get("block")?)?);
        if let Some(n) = b.get("min_items").and_then(serde_json::Value::as_i64) {
            nested = nested.min_items(n);
        }
        if let Some(n) = b.get("max_items").and_then(serde_json::Value::as_i64) {
            nested = nested.max_items(n);
        }
        block = block.block(nested);
    }
    Some(block)
}

#[tfplugin::async_trait]
impl Resource for Shaped {
    fn type_name(&self) -> &str {
        "example_shaped"
    }

    fn schema(&self) -> Schema {
        self.schema.clone()
    }

    async fn modify_plan(&self, _ctx: &Context, plan: &mut tfplugin::provider::Plan) -> Diagnostics {
        let ty = self.schema.value_type();
        if let (Value::Object(fields), Type::Object(types)) = (&mut plan.planned, &ty) {
            for (name, json) in &self.computed {
                let (Some(field), Some(t)) = (fields.get_mut(name), types.get(name)) else { continue };
                if field.is_unknown() {
                    *field = Value::from_json(json.to_string().as_bytes(), t).unwrap_or(Value::Null);
                }
            }
        }
        Diagnostics::new()
    }

    async fn create(&self, _ctx: &Context, planned: &Value, _config: &Value) -> StateResult {
        StateResult::ok(known(planned.clone()))
    }

    async fn read(&self, _ctx: &Context, current: &Value, _private: &[u8]) -> StateResult {
        StateResult::ok(current.clone())
    }

    async fn update(&self, _ctx: &Context, _prior: &Value, planned: &Value, _config: &Value, _private: &[u8]) -> StateResult {
        StateResult::ok(known(planned.clone()))
    }

    async fn delete(&self, _ctx: &Context, _prior: &Value, _private: &[u8]) -> Diagnostics {
        Diagnostics::new()
    }
}

/// `value` with every unknown left after the plan made null (what a resource with no outputs of
/// its own would store).
fn known(value: Value) -> Value {
    match value {
        Value::Unknown => Value::Null,
        Value::Object(fields) => Value::Object(fields.into_iter().map(|(k, v)| (k, known(v))).collect()),
        Value::Map(entries) => Value::Map(entries.into_iter().map(|(k, v)| (k, known(v))).collect()),
        Value::List(items) => Value::List(items.into_iter().map(known).collect()),
        Value::Set(items) => Value::Set(items.into_iter().map(known).collect()),
        other => other,
    }
}

/// `data "example_upper"`: upper-cases its input.
struct Upper;

#[tfplugin::async_trait]
impl DataSource for Upper {
    fn type_name(&self) -> &str {
        "example_upper"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Upper-cases text.")
                .attribute(Attribute::string("input").required().description("Text."))
                .attribute(Attribute::string("result").computed().description("`input` in upper case.")),
        )
    }

    async fn read(&self, _ctx: &Context, config: &Value) -> StateResult {
        let input = config.get("input").and_then(Value::as_str).unwrap_or_default().to_string();
        StateResult::ok(Value::object([("input", Value::from(input.clone())), ("result", Value::from(input.to_uppercase()))]))
    }
}

fn main() -> std::process::ExitCode {
    tfplugin::server::serve_main(ExampleProvider, "registry.terraform.io/tfplugin/example")
}
