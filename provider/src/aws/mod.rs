//! AWS access: one set of clients per configured provider, built the way the AWS SDKs resolve
//! settings, plus the small pieces every service module shares (error text, polling).

pub mod actions;
pub mod asg_tags;
pub mod batch;
pub mod eks;
pub mod node_groups;
pub mod prices;
pub mod scheduled_actions;
pub mod wait;

use std::path::PathBuf;
use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::Credentials;
use aws_types::app_name::AppName;
use aws_types::region::Region;
use tfplugin::Diagnostic;
use tfplugin::provider::Context;

/// Settings from the provider block; unset ones fall back to the SDK's environment and files.
/// Its `Debug` output redacts the secret key and the session token.
#[derive(Clone, Default)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub token: Option<String>,
    pub max_retries: Option<u32>,
    pub adaptive_retries: bool,
    pub eks_endpoint: Option<String>,
    pub autoscaling_endpoint: Option<String>,
    pub ec2_endpoint: Option<String>,
    pub pricing_endpoint: Option<String>,
    /// The SDK app name (`app/<name>` in the user agent); the provider sets [`APP_NAME`], other
    /// callers (the tests' own clients) leave it unset, so AWS-side logs tell them apart.
    pub app_name: Option<String>,
}

impl std::fmt::Debug for AwsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("AwsSettings")
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("access_key", &self.access_key)
            .field("secret_key", &redacted(&self.secret_key))
            .field("token", &redacted(&self.token))
            .field("max_retries", &self.max_retries)
            .field("adaptive_retries", &self.adaptive_retries)
            .field("eks_endpoint", &self.eks_endpoint)
            .field("autoscaling_endpoint", &self.autoscaling_endpoint)
            .field("ec2_endpoint", &self.ec2_endpoint)
            .field("pricing_endpoint", &self.pricing_endpoint)
            .field("app_name", &self.app_name)
            .finish()
    }
}

/// Errors building the clients.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No region anywhere: provider block, environment or profile.
    #[error("no AWS region is set: set `region` in the provider block, or AWS_REGION in the environment")]
    NoRegion,
    /// An app name the SDK refuses (it allows letters, digits and a few marks).
    #[error("invalid SDK app name {0:?}")]
    AppName(String),
}

/// The app name the provider's AWS clients send in their user agent. It holds only the program's
/// name — no version, host or account data — and AWS (CloudTrail's `userAgent`) and the emulator's
/// call log show it, so the provider's calls can be told from other tools'.
pub const APP_NAME: &str = "terraform-provider-autoscale";

/// Attempts per call when the provider block says nothing; the AWS provider's default.
const DEFAULT_MAX_ATTEMPTS: u32 = 25;

/// The clients and settings every resource and data source uses.
pub struct Clients {
    pub eks: aws_sdk_eks::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub region: String,
    /// DescribeTags shared by all resource instances of this provider process (coalesced).
    pub asg_tags: asg_tags::TagReader,
    /// DescribeScheduledActions shared by all resource instances of this provider process
    /// (coalesced by group).
    pub scheduled_actions: scheduled_actions::ScheduledActionReader,
    /// Overrides of the built-in manifest templates.
    pub templates_dir: Option<PathBuf>,
    /// On-Demand prices and spot price histories, each asked once per process.
    pub prices: prices::PriceBook,
}

impl Clients {
    /// Resolves settings like the AWS SDKs (environment, shared files) with the provider block's
    /// values taking precedence.
    ///
    /// # Errors
    /// When no region can be found.
    pub async fn new(settings: AwsSettings, templates_dir: Option<PathBuf>) -> Result<Self, ConfigError> {
        // The provider block wins; then the SDKs' own variables; then the AWS provider's default.
        let attempts = settings
            .max_retries
            .or_else(|| std::env::var("AWS_MAX_ATTEMPTS").ok().and_then(|v| v.trim().parse().ok()))
            .unwrap_or(DEFAULT_MAX_ATTEMPTS)
            .clamp(1, 100);
        let adaptive = settings.adaptive_retries || std::env::var("AWS_RETRY_MODE").is_ok_and(|m| m.trim() == "adaptive");
        let retry = if adaptive { RetryConfig::adaptive() } else { RetryConfig::standard() }
            .with_max_attempts(attempts)
            .with_initial_backoff(std::time::Duration::from_millis(200))
            .with_max_backoff(std::time::Duration::from_secs(20));
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry).timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .operation_attempt_timeout(std::time::Duration::from_secs(60))
                .build(),
        );
        if let Some(region) = settings.region.clone() {
            loader = loader.region(Region::new(region));
        }
        if let Some(name) = &settings.app_name {
            loader = loader.app_name(AppName::new(name.clone()).map_err(|_| ConfigError::AppName(name.clone()))?);
        }
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let (Some(access), Some(secret)) = (&settings.access_key, &settings.secret_key) {
            loader = loader.credentials_provider(Credentials::new(access, secret, settings.token.clone(), None, "provider-block"));
        }
        let sdk = loader.load().await;
        let region = sdk.region().map(ToString::to_string).ok_or(ConfigError::NoRegion)?;

        let mut eks = aws_sdk_eks::config::Builder::from(&sdk);
        if let Some(endpoint) = &settings.eks_endpoint {
            eks = eks.endpoint_url(endpoint);
        }
        let mut autoscaling = aws_sdk_autoscaling::config::Builder::from(&sdk);
        if let Some(endpoint) = &settings.autoscaling_endpoint {
            autoscaling = autoscaling.endpoint_url(endpoint);
        }
        let autoscaling = aws_sdk_autoscaling::Client::from_conf(autoscaling.build());
        let mut ec2 = aws_sdk_ec2::config::Builder::from(&sdk);
        if let Some(endpoint) = &settings.ec2_endpoint {
            ec2 = ec2.endpoint_url(endpoint);
        }
        // The Price List API answers in a few regions only (see prices::pricing_region).
        let mut pricing = aws_sdk_pricing::config::Builder::from(&sdk).region(Region::new(prices::pricing_region(&region).to_string()));
        if let Some(endpoint) = &settings.pricing_endpoint {
            pricing = pricing.endpoint_url(endpoint);
        }
        let prices = prices::PriceBook::new(aws_sdk_pricing::Client::from_conf(pricing.build()), aws_sdk_ec2::Client::from_conf(ec2.build()), &region);
        Ok(Self {
            prices,
            eks: aws_sdk_eks::Client::from_conf(eks.build()),
            asg_tags: asg_tags::TagReader::new(autoscaling.clone()),
            scheduled_actions: scheduled_actions::ScheduledActionReader::new(autoscaling.clone()),
            autoscaling,
            region,
            templates_dir,
        })
    }
}

/// What `configure` keeps: the settings, and the AWS clients built from them on first use. A
/// plan of manifest resources never calls AWS, and loading the SDK's configuration costs tens of
/// milliseconds and memory in every provider process Terraform starts.
pub struct Configured {
    settings: AwsSettings,
    /// Overrides of the built-in manifest templates.
    pub templates_dir: Option<PathBuf>,
    clients: tokio::sync::OnceCell<Arc<Clients>>,
}

impl Configured {
    /// Settings whose clients are built by the first `clients` call.
    pub fn lazy(settings: AwsSettings, templates_dir: Option<PathBuf>) -> Self {
        Self { settings, templates_dir, clients: tokio::sync::OnceCell::new() }
    }

    /// Settings with their clients built now (so a missing region is reported by `configure`).
    ///
    /// # Errors
    /// When no region can be found.
    pub async fn eager(settings: AwsSettings, templates_dir: Option<PathBuf>) -> Result<Self, ConfigError> {
        let clients = Clients::new(settings.clone(), templates_dir.clone()).await?;
        Ok(Self::from_clients(settings, Arc::new(clients)))
    }

    /// Already-built clients (unit tests with mocked HTTP).
    pub fn from_clients(settings: AwsSettings, clients: Arc<Clients>) -> Self {
        let templates_dir = clients.templates_dir.clone();
        Self { settings, templates_dir, clients: tokio::sync::OnceCell::new_with(Some(clients)) }
    }

    /// Whether the clients exist yet.
    pub fn clients_built(&self) -> bool {
        self.clients.initialized()
    }

    /// The clients, built on the first call; concurrent first calls share one build.
    ///
    /// # Errors
    /// When no region can be found.
    pub async fn clients(&self) -> Result<Arc<Clients>, ConfigError> {
        self.clients
            .get_or_try_init(|| async { Clients::new(self.settings.clone(), self.templates_dir.clone()).await.map(Arc::new) })
            .await
            .cloned()
    }
}

/// The configured provider's AWS clients, for a resource or data source call.
///
/// # Errors
/// A diagnostic when the provider is not configured or its clients cannot be built.
pub async fn clients(ctx: &Context) -> Result<Arc<Clients>, Diagnostic> {
    let configured = ctx.provider_data::<Configured>()?;
    configured.clients().await.map_err(|err| {
        Diagnostic::error("Cannot configure AWS access", format!("{err} (the provider block's `region` argument)."))
    })
}

impl Clients {
    /// Clients from already-built service clients (unit tests with mocked HTTP), with the
    /// shared readers set up as `new` does.
    pub fn from_service_clients(eks: aws_sdk_eks::Client, autoscaling: aws_sdk_autoscaling::Client, region: &str) -> Self {
        // Price clients built like the others but never configured with credentials: unit tests
        // with mocked EKS and Auto Scaling do not price anything.
        let ec2 = aws_sdk_ec2::Config::builder().behavior_version(BehaviorVersion::latest()).region(Region::new(region.to_string())).build();
        let pricing = aws_sdk_pricing::Config::builder().behavior_version(BehaviorVersion::latest()).region(Region::new(prices::pricing_region(region).to_string())).build();
        Self {
            prices: prices::PriceBook::new(aws_sdk_pricing::Client::from_conf(pricing), aws_sdk_ec2::Client::from_conf(ec2), region),
            asg_tags: asg_tags::TagReader::new(autoscaling.clone()),
            scheduled_actions: scheduled_actions::ScheduledActionReader::new(autoscaling.clone()),
            eks,
            autoscaling,
            region: region.to_string(),
            templates_dir: None,
        }
    }
}

/// The message of an SDK error with the service's own error code and text, without the
/// debug dump the SDK's Display gives ("service error").
pub fn error_text<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            match (inner.code(), inner.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                _ => inner.to_string(),
            }
        }
        SdkError::TimeoutError(_) => "the request timed out".into(),
        SdkError::DispatchFailure(failure) => {
            let mut text = "the request could not be sent".to_string();
            if let Some(cause) = std::error::Error::source(err) {
                text.push_str(&format!(": {cause}"));
            }
            if failure.is_io() {
                text.push_str(" (connection problem)");
            }
            text
        }
        SdkError::ResponseError(_) => "the response could not be read".into(),
        other => other.to_string(),
    }
}

/// Whether AWS answered the call (with an error). When it did not — the connection failed or
/// dropped, the call timed out — a mutating call may have been carried out all the same.
pub fn answered<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> bool {
    matches!(err, aws_smithy_runtime_api::client::result::SdkError::ServiceError(_))
}

/// The AWS error code of an SDK error, when the service returned one.
pub fn error_code<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Option<&str>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    err.as_service_error().and_then(aws_smithy_types::error::metadata::ProvideErrorMetadata::code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_the_secret_key_and_token() {
        let settings = AwsSettings {
            access_key: Some("AKIDEXAMPLE".into()),
            secret_key: Some("wJalrXUtnFEMI-secret".into()),
            token: Some("session-token-value".into()),
            ..Default::default()
        };
        let text = format!("{settings:?}");
        assert!(text.contains("AKIDEXAMPLE"), "{text}");
        assert!(!text.contains("wJalrXUtnFEMI-secret") && !text.contains("session-token-value"), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
    }
}
