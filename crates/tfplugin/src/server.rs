//! `serve`: the plugin's life from launch to Shutdown.

use crate::handshake::{self, HandshakeError};
use crate::proto::{health, plugin, tfplugin6};
use crate::provider::Provider;
use crate::service::ProviderService;
use crate::tls;
use std::collections::VecDeque;
use std::io::Write;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// How long a connection may take to finish its TLS handshake. Terraform needs milliseconds;
/// the margin is for a machine under heavy load.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// TLS handshakes in progress at once. Terraform opens one connection per plugin process, so
/// more than a few pending at once means someone else is connecting.
const MAX_PENDING_HANDSHAKES: usize = 16;
/// At most one warning per this interval about refused connections; the rest are counted.
const REFUSAL_WARNING_INTERVAL: Duration = Duration::from_secs(10);
/// After Shutdown: time for the Shutdown answer to leave before the process ends anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(250);

/// Serves `provider` to the Terraform that launched this process and returns the exit code for
/// `main`. Blocks until Terraform shuts the plugin down.
pub fn serve(provider: impl Provider) -> ExitCode {
    serve_release(provider, None)
}

/// [`serve`] for a released binary: its first log line names `version`, so a Terraform log
/// (`TF_LOG_PROVIDER=INFO`) tells which release of the provider ran.
pub fn serve_version(provider: impl Provider, version: &str) -> ExitCode {
    serve_release(provider, Some(version))
}

fn serve_release(provider: impl Provider, version: Option<&str>) -> ExitCode {
    let launch = match handshake::check_environment(|k| std::env::var(k).ok()) {
        Ok(l) => l,
        Err(e @ HandshakeError::NoCookie) => {
            eprint!("{e}");
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::from(1);
        }
    };
    crate::logging::init_from_env();
    if let Some(version) = version {
        tracing::info!(
            version,
            protocol = handshake::PROTOCOL_VERSION,
            "provider starting"
        );
    }
    match start(Arc::new(provider), launch) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "plugin server failed");
            eprintln!("Error: {e}");
            ExitCode::from(1)
        }
    }
}

fn start(provider: Arc<dyn Provider>, launch: handshake::Launch) -> Result<(), String> {
    let acceptor = match &launch.client_cert_pem {
        Some(pem) => {
            let client_der =
                tls::pem_certificate_der(pem).map_err(|e| format!("PLUGIN_CLIENT_CERT: {e}"))?;
            let identity = tls::generate_server_identity()?;
            let cfg = tls::server_config(&identity, Some(client_der))?;
            Some((TlsAcceptor::from(Arc::new(cfg)), identity.cert_der))
        }
        None => {
            tracing::warn!(
                "PLUGIN_CLIENT_CERT is not set: serving without TLS or client authentication"
            );
            None
        }
    };
    let std_listener = handshake::bind(launch.port_range)?;
    std_listener
        .set_nonblocking(true)
        .map_err(|e| format!("listener: {e}"))?;
    let addr = std_listener
        .local_addr()
        .map_err(|e| format!("listener: {e}"))?;

    // Connections queue in the kernel until we accept them, so the line can go out now.
    let line = handshake::line(addr, acceptor.as_ref().map(|(_, der)| der.as_slice()));
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|_| stdout.flush())
        .map_err(|e| format!("stdout: {e}"))?;
    drop(stdout);

    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let result = rt.block_on(run(
        provider,
        std_listener,
        acceptor.map(|(a, _)| a),
        CancellationToken::new(),
    ));
    // Whatever the provider left running (connection pools, timers) must not hold up the exit.
    rt.shutdown_timeout(Duration::from_millis(100));
    result
}

/// Serves until `shutdown` is cancelled (by GRPCController.Shutdown or the caller).
pub(crate) async fn run(
    provider: Arc<dyn Provider>,
    std_listener: std::net::TcpListener,
    acceptor: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) -> Result<(), String> {
    let listener = TcpListener::from_std(std_listener).map_err(|e| format!("listener: {e}"))?;
    let stop = CancellationToken::new();
    tokio::spawn(stop_on_interrupt(stop.clone()));
    let incoming = accept_loop(listener, acceptor, shutdown.clone());
    let server = tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(
            tfplugin6::provider_server::ProviderServer::new(ProviderService::new(
                provider,
                stop.clone(),
            ))
            .max_decoding_message_size(256 << 20)
            .max_encoding_message_size(256 << 20),
        )
        .add_service(plugin::grpc_controller_server::GrpcControllerServer::new(
            Controller {
                stop,
                shutdown: shutdown.clone(),
            },
        ))
        .add_service(health::health_server::HealthServer::new(Health))
        .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        r = server => r.map_err(|e| format!("gRPC server: {e}")),
        () = deadline => Ok(()),
    }
}

/// Ctrl-C in a terminal signals the whole process group. The plugin survives SIGINT (go-plugin
/// plugins do the same: Terraform decides when they end) but stops its running work at once, as
/// StopProvider would: Terraform relays Ctrl-C as StopProvider during plan and apply, not during
/// every command (`terraform import` waits for the call in flight).
async fn stop_on_interrupt(stop: CancellationToken) {
    while tokio::signal::ctrl_c().await.is_ok() {
        tracing::debug!("SIGINT: stopping running work; Terraform ends the plugin");
        stop.cancel();
    }
}

/// Accepted connections after their TLS handshake, as the stream tonic serves.
fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) -> tokio_stream::wrappers::ReceiverStream<Result<Conn, std::io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let pending = Arc::new(PendingHandshakes::new(MAX_PENDING_HANDSHAKES));
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => break,
                a = listener.accept() => a,
            };
            let tcp = match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Typically out of descriptors: back off rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Without it every small gRPC frame waits for the peer's delayed ACK (~40 ms).
            let _ = tcp.set_nodelay(true);
            let tx = tx.clone();
            let conn = match &acceptor {
                None => futures_util::future::Either::Left(async { Some(Conn::Plain(tcp)) }),
                Some(acceptor) => futures_util::future::Either::Right(handshake(
                    acceptor.clone(),
                    tcp,
                    pending.admit(),
                    pending.clone(),
                )),
            };
            tokio::spawn(async move {
                if let Some(conn) = conn.await {
                    let _ = tx.send(Ok(conn)).await;
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// One TLS handshake, abandoned on timeout or when newer connections push it out of the bound.
async fn handshake(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    slot: Slot,
    pending: Arc<PendingHandshakes>,
) -> Option<Conn> {
    let outcome = tokio::select! {
        () = slot.evicted.cancelled() => Err(format!(
            "more than {MAX_PENDING_HANDSHAKES} TLS handshakes pending; closed the oldest"
        )),
        r = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)) => match r {
            Ok(Ok(tls)) => Ok(tls),
            Ok(Err(e)) => Err(format!("TLS handshake failed: {e}")),
            Err(_) => Err("TLS handshake timed out".to_string()),
        },
    };
    pending.finish(slot.id);
    match outcome {
        Ok(tls) => Some(Conn::Tls(Box::new(tls))),
        Err(reason) => {
            pending.refused(&reason);
            None
        }
    }
}

/// The handshakes in progress, oldest first. When a connection arrives with the bound reached,
/// the oldest is closed: a client that completes its handshake in milliseconds (Terraform)
/// is then never locked out by connections that stay silent, and no more than the bound are
/// ever held.
struct PendingHandshakes {
    bound: usize,
    queue: Mutex<VecDeque<(u64, CancellationToken)>>,
    next_id: AtomicU64,
    refusals: Mutex<Refusals>,
}

/// A place among the pending handshakes; `evicted` fires when a newer one takes it.
struct Slot {
    id: u64,
    evicted: CancellationToken,
}

#[derive(Default)]
struct Refusals {
    last_warning: Option<Instant>,
    unreported: u64,
}

impl PendingHandshakes {
    fn new(bound: usize) -> Self {
        PendingHandshakes {
            bound: bound.max(1),
            queue: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(0),
            refusals: Mutex::new(Refusals::default()),
        }
    }

    fn admit(&self) -> Slot {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let evicted = CancellationToken::new();
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        while queue.len() >= self.bound {
            if let Some((_, oldest)) = queue.pop_front() {
                oldest.cancel();
            }
        }
        queue.push_back((id, evicted.clone()));
        Slot { id, evicted }
    }

    fn finish(&self, id: u64) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.retain(|(i, _)| *i != id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Warns about a refused connection, at most once per interval (a flood of connections must
    /// not become a flood of log lines); the others are counted in the next warning.
    fn refused(&self, reason: &str) -> bool {
        let mut r = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if r.last_warning
            .is_some_and(|t| now.duration_since(t) < REFUSAL_WARNING_INTERVAL)
        {
            r.unreported += 1;
            return false;
        }
        let also = std::mem::take(&mut r.unreported);
        r.last_warning = Some(now);
        drop(r);
        tracing::warn!(
            reason,
            refused_since_last_warning = also,
            "refused a connection before serving it"
        );
        true
    }
}

/// One client connection, with or without TLS.
pub(crate) enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
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
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }
    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain(s) => s.is_write_vectored(),
            Conn::Tls(s) => s.is_write_vectored(),
        }
    }
}

/// go-plugin's controller: Shutdown stops running work and ends the process.
struct Controller {
    stop: CancellationToken,
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _: tonic::Request<plugin::Empty>,
    ) -> Result<tonic::Response<plugin::Empty>, tonic::Status> {
        tracing::debug!("Shutdown received");
        self.stop.cancel();
        self.shutdown.cancel();
        Ok(tonic::Response::new(plugin::Empty {}))
    }
}

struct Health;

#[tonic::async_trait]
impl health::health_server::Health for Health {
    async fn check(
        &self,
        _: tonic::Request<health::HealthCheckRequest>,
    ) -> Result<tonic::Response<health::HealthCheckResponse>, tonic::Status> {
        Ok(tonic::Response::new(health::HealthCheckResponse {
            status: health::health_check_response::ServingStatus::Serving as i32,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_pending_handshake_makes_room() {
        let pending = PendingHandshakes::new(2);
        let first = pending.admit();
        let second = pending.admit();
        assert!(!first.evicted.is_cancelled() && !second.evicted.is_cancelled());
        let third = pending.admit();
        assert!(first.evicted.is_cancelled(), "the oldest goes");
        assert!(!second.evicted.is_cancelled() && !third.evicted.is_cancelled());
        assert_eq!(pending.len(), 2);
        // A finished handshake frees its place: nobody is evicted for the next one.
        pending.finish(second.id);
        let fourth = pending.admit();
        assert!(!third.evicted.is_cancelled() && !fourth.evicted.is_cancelled());
        assert_eq!(pending.len(), 2);
        pending.finish(first.id); // already gone: harmless
        assert_eq!(pending.len(), 2);
    }

    #[test]
    fn refusal_warnings_are_rate_limited() {
        let pending = PendingHandshakes::new(1);
        assert!(
            pending.refused("first"),
            "the first refusal is reported at once"
        );
        assert!(!pending.refused("second"));
        assert!(!pending.refused("third"));
        let r = pending.refusals.lock().unwrap();
        assert_eq!(r.unreported, 2, "counted for the next warning");
    }
}
