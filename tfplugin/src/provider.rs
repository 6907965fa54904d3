//! The traits a provider implements — provider, resources, data sources — and the context each
//! call receives. Values here are `tfplugin::Value`s; protocol types never reach this module.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::diag::{AttributePath, Diagnostic, Diagnostics};
use crate::schema::Schema;
use crate::value::Value;

/// Whatever `Provider::configure` built (clients, settings), handed to every later call.
pub type ProviderData = Arc<dyn Any + Send + Sync>;

/// What every handler receives: the configured provider data and the stop signal.
#[derive(Clone)]
pub struct Context {
    provider_data: Option<ProviderData>,
    cancel: CancellationToken,
    /// The Terraform resource or data-source type the call is for, for messages.
    pub type_name: String,
}

impl Context {
    pub fn new(provider_data: Option<ProviderData>, cancel: CancellationToken, type_name: impl Into<String>) -> Self {
        Self { provider_data, cancel, type_name: type_name.into() }
    }

    /// The data `configure` returned, downcast to the provider's own type.
    ///
    /// # Errors
    /// A diagnostic when the provider was not configured yet or holds another type.
    pub fn provider_data<T: Any + Send + Sync>(&self) -> Result<Arc<T>, Diagnostic> {
        let data = self.provider_data.clone().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                format!("{} needs the provider to be configured before it can be used.", self.type_name),
            )
        })?;
        data.downcast::<T>().map_err(|_| Diagnostic::error("Provider bug", "the configured provider data has an unexpected type"))
    }

    /// Resolves when Terraform asked the provider to stop (Ctrl-C): long waits should give up,
    /// saving in state whatever already exists.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    pub fn cancellation_token(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

/// A provider: its configuration schema and the resources and data sources it offers.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider's type name, the prefix of its resources' names (`autoscale`).
    fn type_name(&self) -> &str;

    /// The schema of the `provider` block.
    fn schema(&self) -> Schema;

    /// Checks a provider configuration that may still hold unknown values.
    async fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Builds the clients and settings every later call uses.
    async fn configure(&self, ctx: &Context, config: &Value, terraform_version: &str) -> Result<ProviderData, Diagnostics>;

    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}

/// A plan being made for one resource instance; `modify_plan` may change `planned`.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The state before the change; null on create.
    pub prior: Value,
    /// The configuration as written (unknowns possible).
    pub config: Value,
    /// What the generic planner proposes; resources adjust it.
    pub planned: Value,
    /// Attributes whose change forces a replacement.
    pub requires_replace: Vec<AttributePath>,
    /// Opaque data kept beside the state, from prior state to new state.
    pub private: Vec<u8>,
}

impl Plan {
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }
}

/// What create, update and read return.
#[derive(Debug, Clone, Default)]
pub struct StateResult {
    /// The object as it now exists; `Value::Null` when there is none (nothing created, or gone).
    pub state: Value,
    pub private: Vec<u8>,
    pub diags: Diagnostics,
}

impl StateResult {
    pub fn ok(state: Value) -> Self {
        Self { state, ..Self::default() }
    }

    /// A failure after which `state` (possibly null) is what exists.
    pub fn failed(state: Value, diags: impl Into<Diagnostics>) -> Self {
        Self { state, private: Vec::new(), diags: diags.into() }
    }

    pub fn with_private(mut self, private: Vec<u8>) -> Self {
        self.private = private;
        self
    }
}

/// A managed resource type.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The full type name, e.g. `autoscale_spot_node_group`.
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    /// Checks configuration beyond the schema's validators. Values may be unknown.
    async fn validate(&self, _ctx: &Context, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Adjusts the generic plan: plan-time checks against the live object, computed values
    /// known in advance, conditional replacement.
    async fn modify_plan(&self, _ctx: &Context, _plan: &mut Plan) -> Diagnostics {
        Diagnostics::new()
    }

    async fn create(&self, ctx: &Context, planned: &Value, config: &Value) -> StateResult;

    /// Refreshes the object; a null state means it no longer exists.
    async fn read(&self, ctx: &Context, state: &Value, private: &[u8]) -> StateResult;

    async fn update(&self, ctx: &Context, prior: &Value, planned: &Value, config: &Value, private: &[u8]) -> StateResult;

    async fn delete(&self, ctx: &Context, prior: &Value, private: &[u8]) -> Diagnostics;

    /// Builds the state for `terraform import`; the server then reads it.
    async fn import(&self, _ctx: &Context, _id: &str) -> Result<Value, Diagnostics> {
        Err(Diagnostic::error("Import not supported", format!("{} cannot be imported.", self.type_name())).into())
    }

    /// Upgrades stored state JSON of `from_version` (older than the schema's) one or more
    /// versions, returning JSON of the current version.
    fn upgrade_state(&self, from_version: i64, _json: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        Err(Diagnostic::error(
            "Unsupported state version",
            format!("{} has no upgrader for stored state of schema version {from_version}.", self.type_name()),
        )
        .into())
    }
}

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    async fn validate(&self, _ctx: &Context, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Computes the data source's attributes from its configuration.
    async fn read(&self, ctx: &Context, config: &Value) -> StateResult;
}

/// The state of a freshly imported object: every attribute null except `id_attribute`, which
/// holds the id the user gave; the resource's read fills in the rest.
pub fn import_passthrough(schema: &Schema, id_attribute: &str, id: &str) -> Value {
    let mut fields = std::collections::BTreeMap::new();
    for attribute in &schema.block.attributes {
        fields.insert(attribute.name.clone(), Value::Null);
    }
    for block in &schema.block.blocks {
        let empty = match block.nesting {
            crate::schema::Nesting::List => Value::List(Vec::new()),
            crate::schema::Nesting::Set => Value::Set(Vec::new()),
            crate::schema::Nesting::Map => Value::Map(Default::default()),
            _ => Value::Null,
        };
        fields.insert(block.type_name.clone(), empty);
    }
    fields.insert(id_attribute.to_string(), Value::from(id));
    Value::Object(fields)
}
