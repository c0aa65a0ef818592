//! TCP port forwarding over peer connections: one QUIC stream per TCP connection, many at once.
//!
//! [`Server`] accepts connections from allowed peers and, for each stream a peer opens, connects
//! to a local target and copies bytes both ways. [`Forwarder`] listens on a local port and, for
//! each TCP connection accepted there, opens a stream to the peer.
//!
//! A forwarder never accepts a local connection and then drops it because the peer is not there
//! yet: MPyC, for one, counts an accepted connection as a connected party and would wait forever.
//! It holds the connection and retries until the peer is reached or `connect_timeout` passes, and
//! then closes it with a logged reason. The server side does the same for its local target.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use iroh::EndpointAddr;
use iroh::endpoint::{Connection, RecvStream, SendStream};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::endpoint::{PathReport, PeerEndpoint, selected_path};
use crate::error::{Error, Result};
use crate::local::{LocalAddr, LocalStream};

/// The first bytes of every tunnel stream. QUIC tells the peer about a stream only when data
/// flows, and many protocols wait for the server to speak first; the preamble opens the stream
/// at once (and names the protocol version).
pub(crate) const PREAMBLE: &[u8; 8] = b"mpctun/1";

/// How patient a tunnel is.
#[derive(Clone, Copy, Debug)]
pub struct TunnelOptions {
    /// How long a connection is held while the other side cannot be reached.
    pub connect_timeout: Duration,
    /// The pause between attempts meanwhile.
    pub retry_every: Duration,
}

impl Default for TunnelOptions {
    fn default() -> Self {
        TunnelOptions { connect_timeout: Duration::from_secs(60), retry_every: Duration::from_millis(250) }
    }
}

/// The serving side of a tunnel: streams from allowed peers become TCP connections to `target`.
#[derive(Debug)]
pub struct Server {
    task: JoinHandle<()>,
}

impl Server {
    /// Serves `target` to allowed peers of `endpoint` until dropped.
    pub fn start(endpoint: PeerEndpoint, target: SocketAddr, options: TunnelOptions) -> Self {
        let task = tokio::spawn(async move {
            while let Some(handshake) = endpoint.incoming().await {
                tokio::spawn(async move {
                    let Some(connection) = handshake.finish().await else { return };
                    tracing::info!(peer = %connection.remote_id(), "peer connected");
                    serve_connection(connection, LocalAddr::Tcp(target), options).await;
                });
            }
        });
        Server { task }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_connection(connection: Connection, target: LocalAddr, options: TunnelOptions) {
    let peer = connection.remote_id();
    loop {
        match connection.accept_bi().await {
            Ok((send, recv)) => {
                let target = target.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve_stream(send, recv, &target, options).await {
                        tracing::warn!(peer = %peer, error = %e, "tunnel stream ended with an error");
                    }
                });
            }
            Err(e) => {
                tracing::info!(peer = %peer, reason = %e, "peer connection closed");
                return;
            }
        }
    }
}

async fn serve_stream(
    send: SendStream,
    mut recv: RecvStream,
    target: &LocalAddr,
    options: TunnelOptions,
) -> Result<()> {
    let mut preamble = [0u8; PREAMBLE.len()];
    recv.read_exact(&mut preamble).await.map_err(|e| Error::Lost { peer: "(stream)".into(), reason: e.to_string() })?;
    if &preamble != PREAMBLE {
        return Err(Error::Lost { peer: "(stream)".into(), reason: "not an mpc-id tunnel stream".into() });
    }
    serve_target(send, recv, target, options, false).await
}

/// Connects a tunnel stream whose preamble was read to the local `target`. With `confirm`, says
/// so on the stream (one [`CONNECTED`] byte) before any byte of the target's.
pub(crate) async fn serve_target(
    mut send: SendStream,
    recv: RecvStream,
    target: &LocalAddr,
    options: TunnelOptions,
    confirm: bool,
) -> Result<()> {
    let local = connect_patiently(target, options).await?;
    if confirm {
        send.write_all(&[CONNECTED])
            .await
            .map_err(|e| Error::Lost { peer: "(stream)".into(), reason: e.to_string() })?;
    }
    pipe(local, target, send, recv).await
}

/// The byte a serving side sends on a stream it was asked to confirm, once its target accepted.
pub(crate) const CONNECTED: u8 = b'+';

/// How often a local target that is not listening yet is tried again. A refused connection on
/// this machine costs microseconds, and every moment between the target starting to listen and
/// the next try is added to the start-up of both ends (the peer's program already counts itself
/// connected: its forwarder accepted at once).
const LOCAL_RETRY: Duration = Duration::from_millis(5);

/// Connects to a local target, retrying while it is not (yet) listening.
async fn connect_patiently(target: &LocalAddr, options: TunnelOptions) -> Result<LocalStream> {
    let deadline = Instant::now() + options.connect_timeout;
    let retry_every = options.retry_every.min(LOCAL_RETRY);
    loop {
        match LocalStream::connect(target).await {
            Ok(local) => return Ok(local),
            Err(e) if Instant::now() + retry_every >= deadline => {
                return Err(Error::Local { addr: target.clone(), source: e });
            }
            Err(_) => tokio::time::sleep(retry_every).await,
        }
    }
}

/// The connecting side of a tunnel: TCP connections to a local port become streams to `peer`.
#[derive(Debug)]
pub struct Forwarder {
    local: SocketAddr,
    link: Arc<Mutex<Option<Connection>>>,
    task: JoinHandle<()>,
}

impl Forwarder {
    /// Listens on `listen` and forwards every connection to `peer`.
    pub async fn start(
        endpoint: PeerEndpoint,
        peer: EndpointAddr,
        listen: SocketAddr,
        options: TunnelOptions,
    ) -> Result<Self> {
        let local_error = |e| Error::Local { addr: LocalAddr::Tcp(listen), source: e };
        let listener = TcpListener::bind(listen).await.map_err(local_error)?;
        let local = listener.local_addr().map_err(local_error)?;
        let link: Arc<Mutex<Option<Connection>>> = Arc::default();
        let shared = Arc::clone(&link);
        let task = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((tcp, from)) => {
                        let _ = tcp.set_nodelay(true);
                        let (endpoint, peer, link) = (endpoint.clone(), peer.clone(), Arc::clone(&shared));
                        tokio::spawn(async move {
                            if let Err(e) = forward_one(&endpoint, peer, &link, tcp, options).await {
                                tracing::warn!(from = %from, error = %e, "tunnelled connection closed");
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "accepting a local connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        });
        Ok(Forwarder { local, link, task })
    }

    /// The local address applications connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The path the peer connection uses now; `None` while not connected.
    pub async fn path(&self) -> Option<PathReport> {
        self.link.lock().await.as_ref().and_then(selected_path)
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward_one(
    endpoint: &PeerEndpoint,
    peer: EndpointAddr,
    link: &Mutex<Option<Connection>>,
    tcp: TcpStream,
    options: TunnelOptions,
) -> Result<()> {
    let deadline = Instant::now() + options.connect_timeout;
    let peer_id = peer.id;
    let mut last_error;
    loop {
        match open_stream(endpoint, &peer, link, deadline).await {
            Ok((mut send, recv)) => {
                send.write_all(PREAMBLE)
                    .await
                    .map_err(|e| Error::Lost { peer: peer_id.to_string(), reason: e.to_string() })?;
                let from = LocalAddr::Tcp(tcp.peer_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0))));
                return pipe(LocalStream::Tcp(tcp), &from, send, recv).await;
            }
            Err(e) => last_error = e,
        }
        if Instant::now() + options.retry_every >= deadline {
            return Err(Error::Connect {
                peer: peer_id.to_string(),
                reason: format!("gave up after {:?}: {last_error}", options.connect_timeout),
            });
        }
        tokio::time::sleep(options.retry_every).await;
    }
}

/// A new stream on the shared connection to `peer`, connecting (again) if there is none.
async fn open_stream(
    endpoint: &PeerEndpoint,
    peer: &EndpointAddr,
    link: &Mutex<Option<Connection>>,
    deadline: Instant,
) -> Result<(SendStream, RecvStream)> {
    let mut current = link.lock().await;
    let connection = match current.as_ref() {
        Some(connection) if connection.close_reason().is_none() => connection.clone(),
        _ => {
            let remaining = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(100));
            let connection = endpoint.connect(peer.clone(), remaining).await?;
            *current = Some(connection.clone());
            connection
        }
    };
    drop(current);
    connection.open_bi().await.map_err(|e| Error::Lost { peer: peer.id.to_string(), reason: e.to_string() })
}

/// Copies both ways until both directions are done; a half-close is passed on as one. `local`
/// names the local end in errors.
pub(crate) async fn pipe(
    stream: LocalStream,
    local: &LocalAddr,
    mut send: SendStream,
    mut recv: RecvStream,
) -> Result<()> {
    let (mut local_read, mut local_write) = stream.into_split();
    let up = async {
        tokio::io::copy(&mut local_read, &mut send).await?;
        send.finish().map_err(std::io::Error::other)?;
        Ok::<_, std::io::Error>(())
    };
    let down = async {
        tokio::io::copy(&mut recv, &mut local_write).await?;
        local_write.shutdown().await
    };
    tokio::try_join!(up, down).map(|_| ()).map_err(|e| Error::Local { addr: local.clone(), source: e })
}
