//! The tfplugin6 `Provider` service: decodes each request with the right schema, calls the
//! provider's handler with panics caught, and encodes the answer.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::convert::{decode, diagnostics, encode};
use super::profile::{Span, mark};
use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::plan_change;
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as ProviderRpc;
use crate::provider::{Context, DataSource, Provider, ProviderData, Resource, StateResult};
use crate::schema::{Schema, validate_config};
use crate::value::{Type, Value};
use crate::{AttributePath, log};

struct ResourceEntry {
    resource: Arc<dyn Resource>,
    schema: Schema,
    ty: Type,
}

struct DataSourceEntry {
    data_source: Arc<dyn DataSource>,
    schema: Schema,
    ty: Type,
}

/// The provider's schemas and value types, built once per process on first use: building them
/// (descriptions, validators, compiled patterns) is work the go-plugin handshake need not wait for.
struct Catalog {
    provider_schema: Schema,
    provider_type: Type,
    resources: HashMap<String, ResourceEntry>,
    data_sources: HashMap<String, DataSourceEntry>,
}

impl Catalog {
    fn build(provider: &dyn Provider) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources = provider
            .resources()
            .into_iter()
            .map(|resource| {
                let schema = resource.schema();
                let ty = schema.value_type();
                (resource.type_name().to_string(), ResourceEntry { resource, schema, ty })
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|data_source| {
                let schema = data_source.schema();
                let ty = schema.value_type();
                (data_source.type_name().to_string(), DataSourceEntry { data_source, schema, ty })
            })
            .collect();
        Self { provider_schema, provider_type, resources, data_sources }
    }
}

/// Serves one provider over tfplugin6.
pub struct ProviderService {
    provider: Arc<dyn Provider>,
    catalog: OnceLock<Catalog>,
    provider_data: RwLock<Option<ProviderData>>,
    /// Cancelled by StopProvider; replaced by a fresh token so later calls run normally.
    stop: Mutex<CancellationToken>,
}

impl ProviderService {
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        Self { provider, catalog: OnceLock::new(), provider_data: RwLock::new(None), stop: Mutex::new(CancellationToken::new()) }
    }

    fn catalog(&self) -> &Catalog {
        self.catalog.get_or_init(|| Catalog::build(self.provider.as_ref()))
    }

    /// Builds the schemas now rather than in the first call that needs them (the server does
    /// this right after the handshake line, while Terraform connects).
    pub fn warm_up(&self) {
        self.catalog();
    }

    fn context(&self, type_name: &str) -> Context {
        let data = self.provider_data.read().ok().and_then(|d| d.clone());
        let token = self.stop.lock().map(|t| t.clone()).unwrap_or_default();
        Context::new(data, token, type_name)
    }

    fn resource(&self, type_name: &str) -> Result<&ResourceEntry, Diagnostics> {
        self.catalog().resources.get(type_name).ok_or_else(|| {
            Diagnostic::error("Unknown resource type", format!("This provider has no resource type {type_name:?}.")).into()
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&DataSourceEntry, Diagnostics> {
        self.catalog().data_sources.get(type_name).ok_or_else(|| {
            Diagnostic::error("Unknown data source", format!("This provider has no data source {type_name:?}.")).into()
        })
    }

    /// Cancels every in-flight call's context (Terraform's Ctrl-C); the server keeps serving.
    pub fn stop_in_flight(&self) {
        if let Ok(mut token) = self.stop.lock() {
            token.cancel();
            *token = CancellationToken::new();
        }
    }
}

/// Runs a handler future, turning a panic into an error diagnostic that names the operation.
async fn guarded<T>(operation: &str, type_name: &str, future: impl Future<Output = T>) -> Result<T, Diagnostic> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(value) => Ok(value),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            log::error(&format!("panic in {operation} of {type_name}: {message}"));
            Err(Diagnostic::error(
                "Provider bug",
                format!("The provider panicked during {operation} of {type_name}: {message}. Please report this issue."),
            ))
        }
    }
}

fn ok<T>(message: T) -> Result<Response<T>, Status> {
    Ok(Response::new(message))
}

/// Collects a `Result<T, Diagnostics>` body: on error, the diagnostics go into an empty response.
macro_rules! try_diags {
    ($expr:expr, $diags:ident, $response:expr) => {
        match $expr {
            Ok(value) => value,
            Err(err) => {
                let err: Diagnostics = err.into();
                $diags.extend(err);
                let mut response = $response;
                response.diagnostics = diagnostics(&$diags);
                return ok(response);
            }
        }
    };
}

#[tonic::async_trait]
impl ProviderRpc for ProviderService {
    async fn get_metadata(&self, _request: Request<pb::get_metadata::Request>) -> Result<Response<pb::get_metadata::Response>, Status> {
        let catalog = self.catalog();
        ok(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: catalog.resources.keys().map(|t| pb::get_metadata::ResourceMetadata { type_name: t.clone() }).collect(),
            data_sources: catalog.data_sources.keys().map(|t| pb::get_metadata::DataSourceMetadata { type_name: t.clone() }).collect(),
            ..Default::default()
        })
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let catalog = self.catalog();
        ok(pb::get_provider_schema::Response {
            provider: Some(super::convert::schema(&catalog.provider_schema)),
            resource_schemas: catalog.resources.iter().map(|(k, e)| (k.clone(), super::convert::schema(&e.schema))).collect(),
            data_source_schemas: catalog.data_sources.iter().map(|(k, e)| (k.clone(), super::convert::schema(&e.schema))).collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        })
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let empty = pb::validate_provider_config::Response::default();
        let catalog = self.catalog();
        let config = try_diags!(decode(request.config.as_ref(), &catalog.provider_type, "provider configuration"), diags, empty);
        validate_config(&catalog.provider_schema.block, &config, &AttributePath::empty(), &mut diags);
        let more = try_diags!(guarded("validation", "the provider", self.provider.validate_config(&config)).await, diags, empty);
        diags.extend(more);
        ok(pb::validate_provider_config::Response { diagnostics: diagnostics(&diags) })
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let empty = pb::validate_resource_config::Response::default();
        let entry = try_diags!(self.resource(&request.type_name), diags, empty);
        let mut span = Span::start("ValidateResourceConfig", &request.type_name);
        let config = try_diags!(decode(request.config.as_ref(), &entry.ty, "configuration"), diags, empty);
        mark(&mut span, "decode");
        validate_config(&entry.schema.block, &config, &AttributePath::empty(), &mut diags);
        mark(&mut span, "schema");
        let ctx = self.context(&request.type_name);
        let more = try_diags!(guarded("validation", &request.type_name, entry.resource.validate(&ctx, &config)).await, diags, empty);
        mark(&mut span, "handler");
        diags.extend(more);
        ok(pb::validate_resource_config::Response { diagnostics: diagnostics(&diags) })
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let empty = pb::validate_data_resource_config::Response::default();
        let entry = try_diags!(self.data_source(&request.type_name), diags, empty);
        let config = try_diags!(decode(request.config.as_ref(), &entry.ty, "configuration"), diags, empty);
        validate_config(&entry.schema.block, &config, &AttributePath::empty(), &mut diags);
        let ctx = self.context(&request.type_name);
        let more = try_diags!(guarded("validation", &request.type_name, entry.data_source.validate(&ctx, &config)).await, diags, empty);
        diags.extend(more);
        ok(pb::validate_data_resource_config::Response { diagnostics: diagnostics(&diags) })
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let empty = pb::upgrade_resource_state::Response::default();
        let entry = try_diags!(self.resource(&request.type_name), diags, empty);
        let mut span = Span::start("UpgradeResourceState", &request.type_name);
        let raw = request.raw_state.unwrap_or_default();
        if raw.json.is_empty() {
            let detail = if raw.flatmap.is_empty() { "The stored state is empty." } else { "Stored state in the legacy flatmap format is not supported." };
            try_diags!(Err(Diagnostic::error("Cannot upgrade state", detail)), diags, empty);
        }
        let current = entry.schema.version;
        let json_bytes = if request.version == current {
            raw.json
        } else if request.version > current {
            let detail = format!(
                "The state was written by a newer provider (schema version {}, this provider has {current}). Upgrade the provider.",
                request.version
            );
            try_diags!(Err(Diagnostic::error("State from a newer provider", detail)), diags, empty)
        } else {
            let json: serde_json::Value = try_diags!(
                serde_json::from_slice(&raw.json).map_err(|e| Diagnostic::error("Invalid stored state", format!("The stored state is not valid JSON: {e}."))),
                diags,
                empty
            );
            let upgraded = try_diags!(
                guarded("state upgrade", &request.type_name, async { entry.resource.upgrade_state(request.version, json) }).await,
                diags,
                empty
            );
            let upgraded = try_diags!(upgraded, diags, empty);
            serde_json::to_vec(&upgraded).unwrap_or_default()
        };
        // At the current version, attributes the schema no longer has are dropped, not refused.
        let value = try_diags!(
            Value::from_json_lenient(&json_bytes, &entry.ty).map_err(|e| Diagnostic::error("Invalid stored state", format!("{e}."))),
            diags,
            empty
        );
        mark(&mut span, "decode");
        let upgraded_state = try_diags!(encode(&value, &entry.ty, "upgraded state"), diags, empty);
        mark(&mut span, "encode");
        ok(pb::upgrade_resource_state::Response { upgraded_state: Some(upgraded_state), diagnostics: diagnostics(&diags) })
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let empty = pb::configure_provider::Response::default();
        let config = try_diags!(decode(request.config.as_ref(), &self.catalog().provider_type, "provider configuration"), diags, empty);
        let ctx = self.context("the provider");
        let result = try_diags!(
            guarded("configure", "the provider", self.provider.configure(&ctx, &config, &request.terraform_version)).await,
            diags,
            empty
        );
        let data = try_diags!(result, diags, empty);
        if let Ok(mut slot) = self.provider_data.write() {
            *slot = Some(data);
        }
        ok(pb::configure_provider::Response { diagnostics: diagnostics(&diags) })
    }

    async fn read_resource(&self, request: Request<pb::read_resource::Request>) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let keep = pb::read_resource::Response { new_state: request.current_state.clone(), private: request.private.clone(), ..Default::default() };
        let entry = try_diags!(self.resource(&request.type_name), diags, keep);
        let mut span = Span::start("ReadResource", &request.type_name);
        let current = try_diags!(decode(request.current_state.as_ref(), &entry.ty, "state"), diags, keep);
        mark(&mut span, "decode");
        let ctx = self.context(&request.type_name);
        let result = try_diags!(guarded("read", &request.type_name, entry.resource.read(&ctx, &current, &request.private)).await, diags, keep);
        mark(&mut span, "handler");
        let StateResult { state, private, diags: more } = result;
        diags.extend(more);
        if diags.has_errors() && state.is_null() {
            // A failed refresh must not drop the object from state.
            let mut keep = keep;
            keep.diagnostics = diagnostics(&diags);
            return ok(keep);
        }
        let new_state = try_diags!(encode(&state, &entry.ty, "state"), diags, keep);
        mark(&mut span, "encode");
        ok(pb::read_resource::Response { new_state: Some(new_state), private, diagnostics: diagnostics(&diags), ..Default::default() })
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let empty = pb::plan_resource_change::Response::default();
        let entry = try_diags!(self.resource(&request.type_name), diags, empty);
        let mut span = Span::start("PlanResourceChange", &request.type_name);
        let prior = try_diags!(decode(request.prior_state.as_ref(), &entry.ty, "prior state"), diags, empty);
        let proposed = try_diags!(decode(request.proposed_new_state.as_ref(), &entry.ty, "proposed state"), diags, empty);
        let config = try_diags!(decode(request.config.as_ref(), &entry.ty, "configuration"), diags, empty);
        if proposed.is_null() {
            // Destroy: nothing to plan.
            let planned_state = try_diags!(encode(&Value::Null, &entry.ty, "planned state"), diags, empty);
            return ok(pb::plan_resource_change::Response { planned_state: Some(planned_state), planned_private: request.prior_private, ..Default::default() });
        }
        mark(&mut span, "decode");
        let mut plan = plan_change(&entry.schema.block, &prior, &proposed, &config, request.prior_private);
        mark(&mut span, "planner");
        let ctx = self.context(&request.type_name);
        let more = try_diags!(guarded("plan", &request.type_name, entry.resource.modify_plan(&ctx, &mut plan)).await, diags, empty);
        mark(&mut span, "handler");
        diags.extend(more);
        let planned_state = try_diags!(encode(&plan.planned, &entry.ty, "planned state"), diags, empty);
        mark(&mut span, "encode");
        ok(pb::plan_resource_change::Response {
            planned_state: Some(planned_state),
            requires_replace: plan.requires_replace.iter().map(super::convert::attribute_path).collect(),
            planned_private: plan.private,
            diagnostics: diagnostics(&diags),
            ..Default::default()
        })
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        // Until the handler says otherwise, what exists is the prior state.
        let keep = pb::apply_resource_change::Response { new_state: request.prior_state.clone(), private: request.planned_private.clone(), ..Default::default() };
        let entry = try_diags!(self.resource(&request.type_name), diags, keep);
        let mut span = Span::start("ApplyResourceChange", &request.type_name);
        let prior = try_diags!(decode(request.prior_state.as_ref(), &entry.ty, "prior state"), diags, keep);
        let planned = try_diags!(decode(request.planned_state.as_ref(), &entry.ty, "planned state"), diags, keep);
        let config = try_diags!(decode(request.config.as_ref(), &entry.ty, "configuration"), diags, keep);
        mark(&mut span, "decode");
        let ctx = self.context(&request.type_name);
        let resource = &entry.resource;
        let type_name = request.type_name.as_str();
        let private = request.planned_private.as_slice();

        let result = if planned.is_null() {
            let deleted = try_diags!(guarded("delete", type_name, resource.delete(&ctx, &prior, private)).await, diags, keep);
            if deleted.has_errors() {
                // The object may still exist: keep it in state.
                StateResult { state: prior, private: private.to_vec(), diags: deleted }
            } else {
                StateResult { state: Value::Null, private: Vec::new(), diags: deleted }
            }
        } else if prior.is_null() {
            let created = try_diags!(guarded("create", type_name, resource.create(&ctx, &planned, &config)).await, diags, keep);
            if created.state.is_null() && !created.diags.has_errors() {
                let mut created = created;
                created.diags.error("Provider bug", format!("Create of {type_name} returned no state and no error."));
                created
            } else {
                created
            }
        } else {
            let updated = try_diags!(guarded("update", type_name, resource.update(&ctx, &prior, &planned, &config, private)).await, diags, keep);
            if updated.state.is_null() { StateResult { state: prior, ..updated } } else { updated }
        };
        mark(&mut span, "handler");
        diags.extend(result.diags);
        let new_state = try_diags!(encode(&result.state, &entry.ty, "new state"), diags, keep);
        mark(&mut span, "encode");
        ok(pb::apply_resource_change::Response { new_state: Some(new_state), private: result.private, diagnostics: diagnostics(&diags), ..Default::default() })
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let empty = pb::import_resource_state::Response::default();
        let entry = try_diags!(self.resource(&request.type_name), diags, empty);
        let ctx = self.context(&request.type_name);
        let imported = try_diags!(guarded("import", &request.type_name, entry.resource.import(&ctx, &request.id)).await, diags, empty);
        let state = try_diags!(imported, diags, empty);
        let state = try_diags!(encode(&state, &entry.ty, "imported state"), diags, empty);
        ok(pb::import_resource_state::Response {
            imported_resources: vec![pb::import_resource_state::ImportedResource { type_name: request.type_name, state: Some(state), private: Vec::new() }],
            diagnostics: diagnostics(&diags),
            ..Default::default()
        })
    }

    async fn move_resource_state(
        &self,
        _request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let diags: Diagnostics = Diagnostic::error("Move not supported", "This provider does not support moving state between resource types.").into();
        ok(pb::move_resource_state::Response { diagnostics: diagnostics(&diags), ..Default::default() })
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let empty = pb::read_data_source::Response::default();
        let entry = try_diags!(self.data_source(&request.type_name), diags, empty);
        let config = try_diags!(decode(request.config.as_ref(), &entry.ty, "configuration"), diags, empty);
        let ctx = self.context(&request.type_name);
        let result = try_diags!(guarded("read", &request.type_name, entry.data_source.read(&ctx, &config)).await, diags, empty);
        diags.extend(result.diags);
        let state = if result.state.is_null() { config } else { result.state };
        let state = try_diags!(encode(&state, &entry.ty, "data source state"), diags, empty);
        ok(pb::read_data_source::Response { state: Some(state), diagnostics: diagnostics(&diags), ..Default::default() })
    }

    async fn validate_ephemeral_resource_config(
        &self,
        request: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        ok(pb::validate_ephemeral_resource_config::Response { diagnostics: no_ephemeral(&request.into_inner().type_name) })
    }

    async fn open_ephemeral_resource(
        &self,
        request: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        ok(pb::open_ephemeral_resource::Response { diagnostics: no_ephemeral(&request.into_inner().type_name), ..Default::default() })
    }

    async fn renew_ephemeral_resource(
        &self,
        request: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        ok(pb::renew_ephemeral_resource::Response { diagnostics: no_ephemeral(&request.into_inner().type_name), ..Default::default() })
    }

    async fn close_ephemeral_resource(
        &self,
        request: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        ok(pb::close_ephemeral_resource::Response { diagnostics: no_ephemeral(&request.into_inner().type_name) })
    }

    async fn get_functions(&self, _request: Request<pb::get_functions::Request>) -> Result<Response<pb::get_functions::Response>, Status> {
        ok(pb::get_functions::Response::default())
    }

    async fn call_function(&self, request: Request<pb::call_function::Request>) -> Result<Response<pb::call_function::Response>, Status> {
        let name = request.into_inner().name;
        ok(pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError { text: format!("This provider has no function {name:?}."), function_argument: None }),
        })
    }

    async fn stop_provider(&self, _request: Request<pb::stop_provider::Request>) -> Result<Response<pb::stop_provider::Response>, Status> {
        log::info("StopProvider: cancelling in-flight operations");
        self.stop_in_flight();
        ok(pb::stop_provider::Response::default())
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities { plan_destroy: false, get_provider_schema_optional: false, move_resource_state: false }
}

fn no_ephemeral(type_name: &str) -> Vec<pb::Diagnostic> {
    diagnostics(&Diagnostic::error("Unknown ephemeral resource", format!("This provider has no ephemeral resource {type_name:?}.")).into())
}
