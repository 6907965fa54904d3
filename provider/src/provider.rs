//! The `provider "autoscale"` block: AWS region, credentials, endpoints and retries, turned into
//! the clients every resource uses (built on first use).

use std::path::PathBuf;
use std::sync::Arc;

use tfplugin::provider::{Context, DataSource, Provider, ProviderData, Resource};
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value, validate};

use crate::aws::{AwsSettings, Configured};

/// The provider: resources and data sources over one set of AWS clients.
#[derive(Default)]
pub struct AutoscaleProvider;

impl AutoscaleProvider {
    pub fn new() -> Self {
        Self
    }
}

/// The provider block's schema.
pub fn provider_schema() -> Schema {
    Schema::new(
        0,
        Block::new(
            "The autoscale provider manages Kubernetes-on-AWS autoscaling: EKS managed node groups on spot capacity, \
             Cluster Autoscaler ASG tags, scheduled scaling and rendered autoscaling manifests. It takes AWS settings \
             the way the AWS SDKs do: environment variables (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, \
             `AWS_ENDPOINT_URL_EKS`, `AWS_ENDPOINT_URL_AUTO_SCALING`, `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL_PRICING`, ...) and shared \
             config files, overridden by the arguments below.",
        )
        .attribute(Attribute::string("region").optional().description(
            "AWS region, e.g. `eu-west-1`. Defaults to `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's region.",
        ))
        .attribute(Attribute::string("profile").optional().description("Named profile of the shared AWS config and credentials files."))
        .attribute(Attribute::string("access_key").optional().sensitive().description("AWS access key id. Prefer environment variables or profiles."))
        .attribute(Attribute::string("secret_key").optional().sensitive().description("AWS secret access key. Prefer environment variables or profiles."))
        .attribute(Attribute::string("token").optional().sensitive().description("AWS session token, with temporary credentials."))
        .attribute(
            Attribute::int("max_retries")
                .optional()
                .validator(validate::int_between(1, 100))
                .description("Attempts per AWS call, counting the first, before an error is returned. Defaults to `AWS_MAX_ATTEMPTS`, else `25`."),
        )
        .attribute(
            Attribute::string("retry_mode")
                .optional()
                .validator(validate::one_of(["standard", "adaptive"]))
                .description("How retries back off: `standard` (exponential backoff with jitter) or `adaptive` (also rate-limits the client after throttling). Defaults to `AWS_RETRY_MODE`, else `standard`."),
        )
        .attribute(Attribute::string("templates_dir").optional().description(
            "Directory of handlebars templates overriding the built-in manifest templates (same file names as `templates/` in the provider's repository). Rendered output is still validated.",
        ))
        .block(
            NestedBlock::single(
                "endpoints",
                Block::new("Custom service endpoints, e.g. a local emulator. Environment variables `AWS_ENDPOINT_URL_EKS`, `AWS_ENDPOINT_URL_AUTO_SCALING`, `AWS_ENDPOINT_URL_EC2` and `AWS_ENDPOINT_URL_PRICING` do the same.")
                    .attribute(Attribute::string("eks").optional().validator(url()).description("Endpoint URL of the EKS API."))
                    .attribute(Attribute::string("autoscaling").optional().validator(url()).description("Endpoint URL of the Auto Scaling API."))
                    .attribute(Attribute::string("ec2").optional().validator(url()).description("Endpoint URL of the EC2 API (spot price history, for `autoscale_cost_estimate`)."))
                    .attribute(Attribute::string("pricing").optional().validator(url()).description("Endpoint URL of the AWS Price List Query API (On-Demand prices, for `autoscale_cost_estimate`).")),
            )
            .max_items(1),
        ),
    )
}

fn url() -> Arc<dyn validate::Validator> {
    validate::matches(r"^https?://[^\s/]+(/.*)?$", "be an http or https URL")
}

#[tfplugin::async_trait]
impl Provider for AutoscaleProvider {
    fn type_name(&self) -> &str {
        "autoscale"
    }

    fn schema(&self) -> Schema {
        provider_schema()
    }

    async fn validate_config(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let access = config.get("access_key").is_some_and(|v| !v.is_null());
        let secret = config.get("secret_key").is_some_and(|v| !v.is_null());
        if access != secret {
            let missing = if access { "secret_key" } else { "access_key" };
            diags.push(
                Diagnostic::error("Incomplete credentials", "`access_key` and `secret_key` must be set together.")
                    .at(AttributePath::root(missing)),
            );
        }
        diags
    }

    async fn configure(&self, _ctx: &Context, config: &Value, _terraform_version: &str) -> Result<ProviderData, Diagnostics> {
        let text = |name: &str| config.get(name).and_then(Value::as_str).map(str::to_string);
        let endpoints = config.get("endpoints");
        let endpoint = |name: &str| endpoints.and_then(|e| e.get(name)).and_then(Value::as_str).map(str::to_string);
        let settings = AwsSettings {
            region: text("region"),
            profile: text("profile"),
            access_key: text("access_key"),
            secret_key: text("secret_key"),
            token: text("token"),
            max_retries: config.get("max_retries").and_then(Value::as_i64).map(|n| n.clamp(1, 100) as u32),
            adaptive_retries: text("retry_mode").as_deref() == Some("adaptive"),
            eks_endpoint: endpoint("eks"),
            autoscaling_endpoint: endpoint("autoscaling"),
            ec2_endpoint: endpoint("ec2"),
            pricing_endpoint: endpoint("pricing"),
            app_name: Some(crate::aws::APP_NAME.to_string()),
        };
        let templates_dir = text("templates_dir").map(PathBuf::from);
        // With a region in hand the clients wait for the first AWS call; without one the SDK's
        // search (profile files, instance metadata) runs now so that its failure is reported here.
        let region_known = settings.region.is_some()
            || ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
        if region_known {
            return Ok(Arc::new(Configured::lazy(settings, templates_dir)));
        }
        let configured = Configured::eager(settings, templates_dir).await.map_err(|err| {
            Diagnostics::from(Diagnostic::error("Cannot configure AWS access", err.to_string()).at(AttributePath::root("region")))
        })?;
        Ok(Arc::new(configured))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        crate::resources::all()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        crate::data_sources::all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_util::sync::CancellationToken;

    fn config(region: Option<&str>) -> Value {
        let mut fields: std::collections::BTreeMap<String, Value> =
            provider_schema().block.attributes.iter().map(|a| (a.name.clone(), Value::Null)).collect();
        fields.insert("endpoints".into(), Value::Null);
        if let Some(region) = region {
            fields.insert("region".into(), Value::from(region));
        }
        Value::Object(fields)
    }

    #[tokio::test]
    async fn clients_are_built_on_first_use_only() {
        let provider = AutoscaleProvider::new();
        let ctx = Context::new(None, CancellationToken::new(), "the provider");
        let data = provider.configure(&ctx, &config(Some("eu-west-3")), "1.0.3").await.unwrap_or_else(|d| panic!("{d:?}"));
        let configured = data.clone().downcast::<Configured>().unwrap_or_else(|_| panic!("provider data is not Configured"));
        assert!(!configured.clients_built(), "configure built the AWS clients");

        let ctx = Context::new(Some(data), CancellationToken::new(), "autoscale_spot_node_group");
        let first = crate::aws::clients(&ctx).await.unwrap_or_else(|d| panic!("{d:?}"));
        assert!(configured.clients_built());
        assert_eq!(first.region, "eu-west-3");
        let second = crate::aws::clients(&ctx).await.unwrap_or_else(|d| panic!("{d:?}"));
        assert!(Arc::ptr_eq(&first, &second), "clients built twice");
    }

    #[tokio::test]
    async fn unconfigured_provider_has_no_clients() {
        let ctx = Context::new(None, CancellationToken::new(), "autoscale_spot_node_group");
        let err = crate::aws::clients(&ctx).await.err().unwrap_or_else(|| panic!("clients without configure"));
        assert_eq!(err.summary, "Provider not configured");
    }
}
