//! The example provider started by hand the way Terraform's go-plugin client starts it: the
//! magic cookie and protocol checks, the handshake line, AutoMTLS (the client certificate is
//! required and pinned), gRPC over the unix socket or loopback TCP, SIGINT ignored,
//! StopProvider cancelling in-flight work, calls served concurrently, GRPCController.Shutdown,
//! and `--debug`.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use base64::Engine;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};
use tonic::transport::{Channel, Endpoint, Uri};

use common::{ChildGuard, collect, example_binary, lines, run_with_timeout};
use tfplugin::proto::plugin::Empty;
use tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tfplugin::value::{Type, Value};

/// What Terraform sets (spelled out here rather than taken from the SDK, so a typo there fails).
const COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Variables of the parent environment that would change how the plugin starts.
const PLUGIN_VARS: &[&str] = &[
    COOKIE_KEY,
    "PLUGIN_PROTOCOL_VERSIONS",
    "PLUGIN_CLIENT_CERT",
    "PLUGIN_MIN_PORT",
    "PLUGIN_MAX_PORT",
    "PLUGIN_UNIX_SOCKET_DIR",
    "TFPLUGIN_TRANSPORT",
    "TF_LOG",
    "TF_LOG_PROVIDER",
];

// ---------------------------------------------------------------------------------------------
// Certificates

/// A client certificate and key like go-plugin's AutoMTLS client makes: self-signed, a CA,
/// for `localhost`, with an ECDSA P-521 key.
struct Identity {
    pem: String,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    fn generate() -> Self {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, "localhost");
        params.distinguished_name.push(DnType::OrganizationName, "HashiCorp");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment, KeyUsagePurpose::KeyCertSign];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth, ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.self_signed(&key).unwrap();
        Self { pem: cert.pem(), cert: cert.der().clone(), key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())) }
    }
}

/// Trusts exactly the certificate from the handshake line, as go-plugin's client does (it makes
/// that certificate its only root; a CA certificate as the leaf is fine for Go, not for webpki).
#[derive(Debug)]
struct PinnedServer {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("not the certificate from the handshake line".into()))
        }
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A TLS client configuration trusting `server_cert` and presenting `client` (or nothing).
fn tls_config(server_cert: &CertificateDer<'static>, client: Option<&Identity>) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedServer { expected: server_cert.clone(), algorithms: provider.signature_verification_algorithms });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client {
        Some(identity) => builder.with_client_auth_cert(vec![identity.cert.clone()], identity.key.clone_key()).unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

// ---------------------------------------------------------------------------------------------
// gRPC client

#[derive(Debug, Clone)]
enum Addr {
    Unix(PathBuf),
    Tcp(String),
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Opens the socket and, given a TLS configuration, completes the TLS handshake over it.
async fn open(addr: Addr, tls: Option<Arc<rustls::ClientConfig>>) -> std::io::Result<TokioIo<Box<dyn Io>>> {
    let raw: Box<dyn Io> = match &addr {
        Addr::Unix(path) => Box::new(UnixStream::connect(path).await?),
        Addr::Tcp(address) => {
            let stream = TcpStream::connect(address).await?;
            stream.set_nodelay(true)?;
            Box::new(stream)
        }
    };
    let stream: Box<dyn Io> = match tls {
        None => raw,
        Some(config) => {
            let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
            Box::new(tokio_rustls::TlsConnector::from(config).connect(name, raw).await?)
        }
    };
    Ok(TokioIo::new(stream))
}

/// A tonic channel over one connection to the plugin.
async fn channel(addr: &Addr, tls: Option<Arc<rustls::ClientConfig>>) -> Result<Channel, String> {
    let addr = addr.clone();
    let connector = tower::service_fn(move |_: Uri| open(addr.clone(), tls.clone()));
    Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(5))
        .connect_with_connector(connector)
        .await
        .map_err(|e| format!("connecting: {e:?}"))
}

/// Connects and calls GetProviderSchema, all within 10 s.
async fn try_schema(addr: &Addr, tls: Option<Arc<rustls::ClientConfig>>) -> Result<pb::get_provider_schema::Response, String> {
    let attempt = async {
        let channel = channel(addr, tls).await?;
        ProviderClient::new(channel)
            .get_provider_schema(pb::get_provider_schema::Request::default())
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| format!("GetProviderSchema: {status:?}"))
    };
    tokio::time::timeout(Duration::from_secs(10), attempt).await.unwrap_or_else(|_| Err("timed out".into()))
}

fn assert_schema(schema: &pb::get_provider_schema::Response) {
    assert!(schema.resource_schemas.contains_key("example_note"), "resources: {:?}", schema.resource_schemas.keys());
    assert!(schema.data_source_schemas.contains_key("example_upper"), "data sources: {:?}", schema.data_source_schemas.keys());
    let note = schema.resource_schemas["example_note"].block.as_ref().unwrap();
    assert!(note.attributes.iter().any(|a| a.name == "content" && a.required));
    assert_eq!(schema.resource_schemas["example_note"].version, 1);
}

/// The value type of a schema block, as Terraform derives it.
fn block_type(block: &pb::schema::Block) -> Type {
    use pb::schema::nested_block::NestingMode;
    let mut attributes = BTreeMap::new();
    for attribute in &block.attributes {
        assert!(attribute.nested_type.is_none(), "nested attribute types are not needed here");
        attributes.insert(attribute.name.clone(), Type::from_json(&attribute.r#type).unwrap());
    }
    for nested in &block.block_types {
        let inner = block_type(nested.block.as_ref().unwrap());
        let ty = match NestingMode::try_from(nested.nesting).unwrap() {
            NestingMode::Single | NestingMode::Group => inner,
            NestingMode::List => Type::list(inner),
            NestingMode::Set => Type::set(inner),
            NestingMode::Map => Type::map(inner),
            NestingMode::Invalid => panic!("invalid nesting for {}", nested.type_name),
        };
        attributes.insert(nested.type_name.clone(), ty);
    }
    Type::Object(attributes)
}

fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue { msgpack: value.to_msgpack(ty).unwrap(), json: Vec::new() })
}

fn errors(diagnostics: &[pb::Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The plugin process

/// The example provider, started with `env`; killed when dropped.
struct Plugin {
    child: ChildGuard,
    stdout: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// PLUGIN_UNIX_SOCKET_DIR: the socket's directory is made inside it.
    socket_base: tempfile::TempDir,
}

/// The handshake line, parsed.
struct Handshake {
    network: String,
    address: String,
    server_cert: CertificateDer<'static>,
    elapsed: Duration,
}

impl Handshake {
    fn addr(&self) -> Addr {
        match self.network.as_str() {
            "unix" => Addr::Unix(PathBuf::from(&self.address)),
            "tcp" => Addr::Tcp(self.address.clone()),
            other => panic!("unexpected network {other}"),
        }
    }
}

impl Plugin {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Plugin {
        let socket_base = tempfile::Builder::new().prefix("tfplugin-sock-").tempdir().unwrap();
        let mut command = Command::new(example_binary());
        command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for var in PLUGIN_VARS {
            command.env_remove(var);
        }
        command.env("PLUGIN_UNIX_SOCKET_DIR", socket_base.path());
        command.envs(env.iter().copied());
        let mut child = ChildGuard::new(command.spawn().unwrap());
        let stdout = lines(child.child_mut().stdout.take().unwrap());
        let stderr = collect(child.child_mut().stderr.take().unwrap());
        Plugin { child, stdout, stderr, socket_base }
    }

    /// Started as Terraform starts it, with `client` as its client certificate.
    fn start_for(client: &Identity, extra: &[(&str, &str)]) -> Plugin {
        let mut env = vec![(COOKIE_KEY, COOKIE_VALUE), ("PLUGIN_PROTOCOL_VERSIONS", "5,6"), ("PLUGIN_CLIENT_CERT", client.pem.as_str())];
        env.extend_from_slice(extra);
        Self::start(&[], &env)
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Reads the handshake line (waiting up to 10 s) and checks its shape.
    fn handshake(&self) -> Handshake {
        let started = Instant::now();
        let line = self
            .stdout
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no handshake line within 10 s; stderr:\n{}", self.stderr()));
        let elapsed = started.elapsed();
        let parts: Vec<&str> = line.split('|').collect();
        assert_eq!(parts.len(), 6, "handshake line {line:?}");
        assert_eq!(parts[0], "1", "core protocol version in {line:?}");
        assert_eq!(parts[1], "6", "plugin protocol version in {line:?}");
        assert_eq!(parts[4], "grpc", "protocol in {line:?}");
        // go-plugin decodes the certificate with base64.RawStdEncoding: no padding allowed.
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(parts[5])
            .unwrap_or_else(|e| panic!("certificate in the handshake line is not unpadded base64 ({e}): {line:?}"));
        assert!(!der.is_empty(), "no certificate in {line:?}");
        Handshake { network: parts[2].to_string(), address: parts[3].to_string(), server_cert: CertificateDer::from(der), elapsed }
    }
}

fn send_sigint(pid: u32) {
    let status = Command::new("kill").args(["-INT", &pid.to_string()]).status().unwrap();
    assert!(status.success(), "kill -INT {pid} failed");
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn refuses_to_run_without_the_magic_cookie() {
    for cookie in [None, Some("not-the-cookie")] {
        let mut command = Command::new(example_binary());
        for var in PLUGIN_VARS {
            command.env_remove(var);
        }
        if let Some(cookie) = cookie {
            command.env(COOKIE_KEY, cookie);
        }
        let output = run_with_timeout(&mut command, Duration::from_secs(10));
        assert_eq!(output.code, Some(1), "cookie {cookie:?}: {output:?}");
        assert!(output.stderr.contains("This binary is a plugin"), "stderr: {}", output.stderr);
        assert!(output.stderr.contains("--debug"), "stderr should say how to serve by hand: {}", output.stderr);
        assert_eq!(output.stdout, "", "nothing may reach stdout (Terraform reads the handshake there)");
    }
}

#[test]
fn refuses_when_protocol_6_is_not_offered() {
    let mut command = Command::new(example_binary());
    for var in PLUGIN_VARS {
        command.env_remove(var);
    }
    command.env(COOKIE_KEY, COOKIE_VALUE).env("PLUGIN_PROTOCOL_VERSIONS", "5");
    let output = run_with_timeout(&mut command, Duration::from_secs(10));
    assert_ne!(output.code, Some(0), "{output:?}");
    assert!(output.code.is_some(), "killed by a signal: {output:?}");
    assert!(output.stderr.contains("protocol 6"), "stderr: {}", output.stderr);
    assert_eq!(output.stdout, "", "no handshake line may be printed");
}

/// (a) the right client certificate gets a working gRPC connection; (b) no client certificate,
/// or no TLS at all, is refused; (c) another self-signed certificate is refused — and the
/// refusals do not disturb the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_requires_the_client_certificate() {
    let client = Identity::generate();
    let plugin = Plugin::start_for(&client, &[]);
    let handshake = plugin.handshake();
    println!("handshake line after {:?}", handshake.elapsed);
    assert!(handshake.elapsed <= Duration::from_secs(2), "handshake took {:?}", handshake.elapsed);
    assert_eq!(handshake.network, "unix");
    let socket = PathBuf::from(&handshake.address);
    assert!(socket.starts_with(plugin.socket_base.path()), "socket {socket:?} outside PLUGIN_UNIX_SOCKET_DIR");
    {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        assert!(std::fs::metadata(&socket).unwrap().file_type().is_socket());
        let mode = std::fs::metadata(socket.parent().unwrap()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "socket directory mode");
    }
    let addr = handshake.addr();

    // (a)
    let schema = try_schema(&addr, Some(tls_config(&handshake.server_cert, Some(&client)))).await.unwrap();
    assert_schema(&schema);

    // (b)
    let refused = try_schema(&addr, Some(tls_config(&handshake.server_cert, None))).await;
    assert!(refused.is_err(), "a client without a certificate was served");
    println!("without a client certificate: {}", refused.unwrap_err());
    let refused = try_schema(&addr, None).await;
    assert!(refused.is_err(), "a plaintext client was served");

    // (c)
    let stranger = Identity::generate();
    let refused = try_schema(&addr, Some(tls_config(&handshake.server_cert, Some(&stranger)))).await;
    assert!(refused.is_err(), "a client with another certificate was served");
    println!("with another certificate: {}", refused.unwrap_err());

    // Still serving the real client.
    let schema = try_schema(&addr, Some(tls_config(&handshake.server_cert, Some(&client)))).await.unwrap();
    assert_schema(&schema);
    // Each of the three refusals is the server's doing, not a client-side failure.
    let refusals = plugin.stderr().matches("refused a connection").count();
    assert!(refusals >= 3, "expected 3 logged refusals, got {refusals}: {}", plugin.stderr());
}

/// (d) GRPCController.Shutdown ends the process with exit code 0 promptly, socket dir removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_shutdown_exits_promptly() {
    let client = Identity::generate();
    let mut plugin = Plugin::start_for(&client, &[]);
    let handshake = plugin.handshake();
    let socket_dir = PathBuf::from(&handshake.address).parent().unwrap().to_path_buf();
    let channel = channel(&handshake.addr(), Some(tls_config(&handshake.server_cert, Some(&client)))).await.unwrap();
    // A working connection first, kept open across the shutdown as Terraform keeps its own.
    ProviderClient::new(channel.clone()).get_provider_schema(pb::get_provider_schema::Request::default()).await.unwrap();

    let started = Instant::now();
    let reply = tokio::time::timeout(Duration::from_secs(5), GrpcControllerClient::new(channel.clone()).shutdown(Empty {})).await;
    let status = plugin.child.wait_timeout(Duration::from_secs(5));
    let elapsed = started.elapsed();
    println!("Shutdown reply {:?}; exited {status:?} after {elapsed:?}", reply.as_ref().map(|r| r.is_ok()));
    assert!(matches!(reply, Ok(Ok(_))), "Shutdown should be answered: {reply:?}");
    let status = status.unwrap_or_else(|| panic!("still running 5 s after Shutdown; stderr:\n{}", plugin.stderr()));
    assert_eq!(status.code(), Some(0), "exit status after Shutdown; stderr:\n{}", plugin.stderr());
    assert!(elapsed <= Duration::from_millis(1500), "took {elapsed:?} to exit after Shutdown");
    assert!(!socket_dir.exists(), "socket directory {socket_dir:?} left behind");
    drop(channel);
}

/// (e) SIGINT (Terraform's Ctrl-C reaches the whole process group) does not stop the provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_is_ignored() {
    let client = Identity::generate();
    let mut plugin = Plugin::start_for(&client, &[]);
    let handshake = plugin.handshake();
    // Right after the handshake line, before any call: the window where a late handler would
    // let the default action kill the process.
    send_sigint(plugin.child.id());
    let tls = tls_config(&handshake.server_cert, Some(&client));
    let schema = try_schema(&handshake.addr(), Some(tls.clone())).await;
    assert!(plugin.child.try_wait().is_none(), "SIGINT stopped the provider; stderr:\n{}", plugin.stderr());
    assert_schema(&schema.unwrap());

    send_sigint(plugin.child.id());
    send_sigint(plugin.child.id());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(plugin.child.try_wait().is_none(), "a second SIGINT stopped the provider; stderr:\n{}", plugin.stderr());
    assert_schema(&try_schema(&handshake.addr(), Some(tls)).await.unwrap());
}

/// The example provider, connected over mTLS and configured to keep its notes in `store`.
struct NoteProvider {
    plugin: Plugin,
    provider: ProviderClient<Channel>,
    note_type: Type,
    store: tempfile::TempDir,
}

impl NoteProvider {
    async fn configured() -> Self {
        let client = Identity::generate();
        let plugin = Plugin::start_for(&client, &[]);
        let handshake = plugin.handshake();
        let channel = channel(&handshake.addr(), Some(tls_config(&handshake.server_cert, Some(&client)))).await.unwrap();
        let mut provider = ProviderClient::new(channel);

        let schema = provider.get_provider_schema(pb::get_provider_schema::Request::default()).await.unwrap().into_inner();
        let provider_type = block_type(schema.provider.as_ref().unwrap().block.as_ref().unwrap());
        let note_type = block_type(schema.resource_schemas["example_note"].block.as_ref().unwrap());
        let store = tempfile::tempdir().unwrap();
        let config = Value::object([("directory", Value::from(store.path().display().to_string()))]);
        let configured = provider
            .configure_provider(pb::configure_provider::Request { terraform_version: "1.0.3".into(), config: dynamic(&config, &provider_type), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(errors(&configured.diagnostics), Vec::<String>::new());
        Self { plugin, provider, note_type, store }
    }
}

/// ApplyResourceChange creating the note `name`, whose apply waits `delay_seconds` after writing it.
fn create_note(note_type: &Type, name: &str, delay_seconds: i64) -> pb::apply_resource_change::Request {
    let fields = |computed: Value| {
        Value::object([
            ("id", computed.clone()),
            ("name", Value::from(name)),
            ("content", Value::from("abc")),
            ("tags", Value::Null),
            ("length", computed),
            ("apply_delay_seconds", Value::from(delay_seconds)),
            ("panic_on_create", Value::Null),
            ("timeouts", Value::Null),
        ])
    };
    pb::apply_resource_change::Request {
        type_name: "example_note".into(),
        prior_state: dynamic(&Value::Null, note_type),
        planned_state: dynamic(&fields(Value::Unknown), note_type),
        config: dynamic(&fields(Value::Null), note_type),
        ..Default::default()
    }
}

/// (f) StopProvider cancels a slow apply: it returns soon with a "cancelled" error and the note
/// it had already written; the provider serves on, and later applies are not cancelled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_provider_cancels_a_slow_apply() {
    let NoteProvider { plugin, mut provider, note_type, store } = NoteProvider::configured().await;

    let slow = {
        let mut provider = provider.clone();
        let request = create_note(&note_type, "slow", 30);
        tokio::spawn(async move { provider.apply_resource_change(request).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Create writes the note before it waits: once the file is there, the apply is in its wait
    // (so the stop cannot overtake it on a loaded machine).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !store.path().join("slow.json").exists() {
        assert!(Instant::now() < deadline, "the slow apply never wrote its note; stderr:\n{}", plugin.stderr());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!slow.is_finished(), "the 30 s apply finished early");
    let stopped_at = Instant::now();
    let stop = provider.stop_provider(pb::stop_provider::Request {}).await.unwrap().into_inner();
    assert_eq!(stop.error, "");
    let applied = tokio::time::timeout(Duration::from_secs(10), slow)
        .await
        .expect("the apply did not return within 10 s of StopProvider")
        .unwrap()
        .unwrap()
        .into_inner();
    let elapsed = stopped_at.elapsed();
    println!("apply returned {elapsed:?} after StopProvider");
    assert!(elapsed <= Duration::from_secs(5), "apply took {elapsed:?} to notice StopProvider");

    let failures = errors(&applied.diagnostics);
    assert!(failures.iter().any(|e| e.to_lowercase().contains("cancelled")), "expected a cancellation error, got {failures:?}");
    let state = Value::from_msgpack(&applied.new_state.as_ref().expect("new_state").msgpack, &note_type).unwrap();
    assert_eq!(state.get("name").and_then(Value::as_str), Some("slow"), "new state {state:?}");
    assert_eq!(state.get("id").and_then(Value::as_str), Some("slow"), "new state {state:?}");
    assert_eq!(state.get("length").and_then(Value::as_i64), Some(3), "new state {state:?}");
    assert!(store.path().join("slow.json").exists(), "the note written before the wait is gone");

    // Still serving, and the stop does not cancel what comes after it.
    let schema = provider.get_provider_schema(pb::get_provider_schema::Request::default()).await.unwrap().into_inner();
    assert_schema(&schema);
    let after = provider.apply_resource_change(create_note(&note_type, "after", 0)).await.unwrap().into_inner();
    assert_eq!(errors(&after.diagnostics), Vec::<String>::new());
    let state = Value::from_msgpack(&after.new_state.unwrap().msgpack, &note_type).unwrap();
    assert_eq!(state.get("id").and_then(Value::as_str), Some("after"));
    assert!(store.path().join("after.json").exists());
    drop(plugin);
}

/// Calls on one connection run concurrently, as Terraform sends up to -parallelism of them at
/// once: two 3-second applies sent together finish in less time than one after the other would
/// take (6 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_on_one_connection_run_concurrently() {
    let NoteProvider { plugin, provider, note_type, store } = NoteProvider::configured().await;
    let started = Instant::now();
    let calls = ["one", "two"].map(|name| {
        let mut provider = provider.clone();
        let request = create_note(&note_type, name, 3);
        tokio::spawn(async move { provider.apply_resource_change(request).await })
    });
    for call in calls {
        let applied = call.await.unwrap().unwrap().into_inner();
        assert_eq!(errors(&applied.diagnostics), Vec::<String>::new());
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(5500), "two 3 s applies took {elapsed:?}: the calls ran one after the other");
    assert!(store.path().join("one.json").exists() && store.path().join("two.json").exists());
    drop(plugin);
}

/// (g) TFPLUGIN_TRANSPORT=tcp: loopback TCP within PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT, skipping a
/// port that is taken; calls work over it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_transport_honours_the_port_range() {
    // Hold the first port of the range so the plugin has to move on.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let min = taken.local_addr().unwrap().port();
    let max = min.saturating_add(20);
    let (min_text, max_text) = (min.to_string(), max.to_string());
    let client = Identity::generate();
    let plugin = Plugin::start_for(&client, &[("TFPLUGIN_TRANSPORT", "tcp"), ("PLUGIN_MIN_PORT", &min_text), ("PLUGIN_MAX_PORT", &max_text)]);
    let handshake = plugin.handshake();
    assert_eq!(handshake.network, "tcp");
    let (host, port) = handshake.address.rsplit_once(':').unwrap();
    assert_eq!(host, "127.0.0.1");
    let port: u16 = port.parse().unwrap();
    assert!(port > min && port <= max, "port {port} outside {}..={max}", min + 1);
    let schema = try_schema(&handshake.addr(), Some(tls_config(&handshake.server_cert, Some(&client)))).await.unwrap();
    assert_schema(&schema);
    // Without the certificate, TCP is refused as well.
    assert!(try_schema(&handshake.addr(), Some(tls_config(&handshake.server_cert, None))).await.is_err());
    drop(taken);
}

/// (h) `--debug`: no cookie needed, a TF_REATTACH_PROVIDERS line on stdout, plaintext gRPC on a
/// unix socket, and Ctrl-C stops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_mode_prints_reattach_config() {
    let mut plugin = Plugin::start(&["--debug"], &[]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    let reattach = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = plugin
            .stdout
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no TF_REATTACH_PROVIDERS line; stdout so far {seen:?}; stderr:\n{}", plugin.stderr()));
        if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            let json = rest.strip_suffix('\'').unwrap_or_else(|| panic!("unterminated quote in {line:?}"));
            break serde_json::from_str::<serde_json::Value>(json).unwrap_or_else(|e| panic!("not JSON ({e}): {json}"));
        }
        seen.push(line);
    };
    let entry = &reattach["registry.terraform.io/tfplugin/example"];
    assert_eq!(entry["Protocol"], "grpc", "{reattach}");
    assert_eq!(entry["ProtocolVersion"], 6, "{reattach}");
    assert_eq!(entry["Pid"], plugin.child.id(), "{reattach}");
    assert_eq!(entry["Test"], true, "{reattach}");
    assert_eq!(entry["Addr"]["Network"], "unix", "{reattach}");
    let socket = PathBuf::from(entry["Addr"]["String"].as_str().unwrap());
    assert!(socket.starts_with(plugin.socket_base.path()), "{socket:?}");

    let schema = try_schema(&Addr::Unix(socket.clone()), None).await.unwrap();
    assert_schema(&schema);

    send_sigint(plugin.child.id());
    let status = plugin.child.wait_timeout(Duration::from_secs(3));
    assert_eq!(status.and_then(|s| s.code()), Some(0), "Ctrl-C should end debug mode; stderr:\n{}", plugin.stderr());
    assert!(!socket_dir_exists(&socket), "socket directory left behind");
}

fn socket_dir_exists(socket: &Path) -> bool {
    socket.parent().is_some_and(Path::exists)
}
