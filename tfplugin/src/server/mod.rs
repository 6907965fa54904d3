//! Serving a provider the way Terraform starts plugins (go-plugin): check the magic cookie and
//! protocol version, listen on a unix socket (or loopback TCP with TCP_NODELAY), print the
//! handshake line, require Terraform's client certificate, ignore SIGINT, and exit promptly when
//! the controller asks.

mod convert;
mod go_plugin;
pub mod profile;
mod service;
pub mod tls;

use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

use crate::log;
use crate::proto::health::health_server::HealthServer;
use crate::proto::plugin::grpc_broker_server::GrpcBrokerServer;
use crate::proto::plugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use crate::proto::tfplugin6::provider_server::ProviderServer;
use crate::provider::Provider;

pub use service::ProviderService;

/// The value Terraform sets in TF_PLUGIN_MAGIC_COOKIE when it starts a provider.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The plugin protocol this SDK speaks.
pub const PROTOCOL_VERSION: u32 = 6;

/// How to serve: the provider's registry address (for debug mode's reattach line) and options.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Full provider address, e.g. `registry.terraform.io/autoscale/autoscale`.
    pub address: String,
    /// Serve for a debugger or a hand-started session: no TLS, print TF_REATTACH_PROVIDERS.
    pub debug: bool,
}

/// Errors that stop the plugin from serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Started by something other than Terraform.
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         Please execute the program that consumes these plugins, which will\n\
         load any plugins automatically (Terraform runs this provider for you).\n\
         To serve it by hand for debugging, run it with --debug."
    )]
    NotStartedByTerraform,
    /// Terraform does not offer protocol 6.
    #[error(
        "This provider speaks plugin protocol 6, but Terraform offered only {offered:?} (PLUGIN_PROTOCOL_VERSIONS). \
         Use Terraform 1.0 or later."
    )]
    ProtocolNotOffered { offered: String },
    /// No port in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT could be bound.
    #[error("no free port between {min} and {max} on 127.0.0.1")]
    NoPort { min: u16, max: u16 },
    #[error("setting up TLS")]
    Tls(#[from] tls::TlsError),
    #[error("listening")]
    Io(#[from] std::io::Error),
    #[error("serving gRPC")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `provider` until Terraform shuts it down; returns the process exit code.
/// This is what a provider's `main` calls.
pub fn serve_main<P: Provider>(provider: P, address: &str) -> std::process::ExitCode {
    let debug = std::env::args().skip(1).any(|a| a == "--debug" || a == "-debug");
    let options = ServeOptions { address: address.to_string(), debug };
    install_panic_hook();
    // Terraform has at most -parallelism calls in flight and each costs this process well under a
    // millisecond of CPU: two workers keep one long call (a simulation) from holding up the rest,
    // without a thread (stack, allocator arena) per core of a large CI machine.
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("starting the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(Arc::new(provider), options)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("{text}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Panics inside handlers are caught and reported as diagnostics; the hook only logs them in
/// the line format Terraform reads.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        log::error(&format!("panic: {info}"));
    }));
}

/// Checks the environment Terraform set, before anything is bound.
///
/// # Errors
/// When the cookie is missing or protocol 6 is not offered.
pub fn check_environment(debug: bool) -> Result<(), ServeError> {
    if debug {
        return Ok(());
    }
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotStartedByTerraform);
    }
    if let Ok(offered) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        let has_six = offered.split(',').any(|v| v.trim() == PROTOCOL_VERSION.to_string());
        if !offered.trim().is_empty() && !has_six {
            return Err(ServeError::ProtocolNotOffered { offered });
        }
    }
    Ok(())
}

/// Serves until the controller's Shutdown (or, in debug mode, Ctrl-C).
///
/// # Errors
/// When the environment is wrong or the listener cannot be set up.
pub async fn serve(provider: Arc<dyn Provider>, options: ServeOptions) -> Result<(), ServeError> {
    check_environment(options.debug)?;
    let tls = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !options.debug && !pem.trim().is_empty() => Some(tls::server_tls(&pem)?),
        _ => None,
    };
    let acceptor = tls.as_ref().map(|t| tokio_rustls::TlsAcceptor::from(t.config.clone()));
    let (listener, network, address, socket_dir) = listen().await?;

    let (sender, receiver) = mpsc::channel::<Result<Conn, std::io::Error>>(16);
    tokio::spawn(accept_loop(listener, acceptor, sender));

    let shutdown = CancellationToken::new();
    let service = Arc::new(ProviderService::new(provider));
    let router = tonic::transport::Server::builder()
        .add_service(HealthServer::new(go_plugin::HealthService))
        .add_service(GrpcControllerServer::new(go_plugin::ControllerService { shutdown: shutdown.clone() }))
        .add_service(GrpcStdioServer::new(go_plugin::StdioService))
        .add_service(GrpcBrokerServer::new(go_plugin::BrokerService))
        .add_service(ProviderServer::from_arc(service.clone()).max_decoding_message_size(256 << 20).max_encoding_message_size(256 << 20));

    if options.debug {
        let reattach = serde_json::json!({
            options.address.clone(): {
                "Protocol": "grpc",
                "ProtocolVersion": PROTOCOL_VERSION,
                "Pid": std::process::id(),
                "Test": true,
                "Addr": { "Network": network, "String": address },
            }
        });
        println!("Provider started in debug mode. To attach Terraform, export:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n");
        println!("Stop it with Ctrl-C.");
    } else {
        let certificate = tls
            .as_ref()
            .map(|t| base64::engine::general_purpose::STANDARD_NO_PAD.encode(&t.certificate_der))
            .unwrap_or_default();
        // Terraform owns Ctrl-C: it asks in-flight work to stop through StopProvider, and a
        // provider killed by SIGINT mid-create would lose the object it just made. The handler
        // is installed here, before the handshake line: `ctrl_c()` in a spawned task would only
        // install it when first polled, and a SIGINT in between killed the process.
        let mut interrupts = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        tokio::spawn(async move {
            while interrupts.recv().await.is_some() {
                log::debug("ignoring SIGINT: Terraform stops providers through StopProvider");
            }
        });
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "1|{PROTOCOL_VERSION}|{network}|{address}|grpc|{certificate}")?;
        stdout.flush()?;
    }
    // Terraform dials and completes TLS on the accept loop's tasks meanwhile; its first call
    // (GetProviderSchema) finds the schemas built.
    service.warm_up();

    let stop = {
        let shutdown = shutdown.clone();
        let debug = options.debug;
        async move {
            if debug {
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            } else {
                shutdown.cancelled().await;
            }
        }
    };
    let served = router.serve_with_incoming_shutdown(ReceiverStream::new(receiver), stop);
    // Terraform keeps its connection open after Shutdown; graceful draining would wait for it,
    // so give in-flight responses a moment and then leave.
    let result = tokio::select! {
        result = served => result.map_err(ServeError::from),
        () = async { shutdown.cancelled().await; tokio::time::sleep(Duration::from_millis(300)).await } => Ok(()),
    };
    if let Some(dir) = socket_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

enum Listener {
    Unix(UnixListener),
    Tcp(TcpListener),
}

/// Binds the listener: a unix socket in a fresh temp dir, or loopback TCP when
/// `TFPLUGIN_TRANSPORT=tcp` (go-plugin's port range honoured).
async fn listen() -> Result<(Listener, &'static str, String, Option<PathBuf>), ServeError> {
    if std::env::var("TFPLUGIN_TRANSPORT").ok().as_deref() == Some("tcp") {
        let min = env_port("PLUGIN_MIN_PORT").unwrap_or(10000);
        let max = env_port("PLUGIN_MAX_PORT").unwrap_or(25000);
        for port in min..=max {
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
                let address = listener.local_addr()?.to_string();
                return Ok((Listener::Tcp(listener), "tcp", address, None));
            }
        }
        return Err(ServeError::NoPort { min, max });
    }
    let base = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let dir = tempdir_in(&base)?;
    let path = dir.join("plugin.sock");
    let listener = UnixListener::bind(&path)?;
    Ok((Listener::Unix(listener), "unix", path.display().to_string(), Some(dir)))
}

fn env_port(name: &str) -> Option<u16> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// A private directory for the socket (mode 0700 by umask-independent creation).
fn tempdir_in(base: &std::path::Path) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    for attempt in 0..100u32 {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let dir = base.join(format!("tfplugin-{}-{nanos:x}-{attempt}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
    Err(std::io::Error::other("could not create a socket directory"))
}

/// Accepts connections and completes TLS handshakes concurrently, so one slow or refused client
/// never blocks another.
async fn accept_loop(listener: Listener, acceptor: Option<tokio_rustls::TlsAcceptor>, sender: mpsc::Sender<Result<Conn, std::io::Error>>) {
    loop {
        let stream: Stream = match &listener {
            Listener::Unix(l) => match l.accept().await {
                Ok((s, _)) => Stream::Unix(s),
                Err(err) => {
                    log::warn(&format!("accepting a connection: {err}"));
                    continue;
                }
            },
            Listener::Tcp(l) => match l.accept().await {
                Ok((s, _)) => {
                    // Without it each small exchange waits ~40 ms for delayed ACKs.
                    let _ = s.set_nodelay(true);
                    Stream::Tcp(s)
                }
                Err(err) => {
                    log::warn(&format!("accepting a connection: {err}"));
                    continue;
                }
            },
        };
        let sender = sender.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let conn = match acceptor {
                None => Conn::Plain(stream),
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(tls) => Conn::Tls(Box::new(tls)),
                    Err(err) => {
                        log::warn(&format!("refused a connection: TLS handshake failed: {err}"));
                        return;
                    }
                },
            };
            let _ = sender.send(Ok(conn)).await;
        });
    }
}

/// A raw accepted socket.
enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

/// A connection handed to tonic: plain (debug mode) or TLS.
enum Conn {
    Plain(Stream),
    Tls(Box<tokio_rustls::server::TlsStream<Stream>>),
}

impl Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

macro_rules! delegate_io {
    ($self:ident, $inner:ident => $call:expr) => {
        match $self.get_mut() {
            Stream::Unix($inner) => { let $inner = Pin::new($inner); $call }
            Stream::Tcp($inner) => { let $inner = Pin::new($inner); $call }
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        delegate_io!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        delegate_io!(self, s => s.poll_write(cx, buf))
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        delegate_io!(self, s => s.poll_flush(cx))
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        delegate_io!(self, s => s.poll_shutdown(cx))
    }
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
