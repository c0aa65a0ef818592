//! A session's mesh: one authenticated connection between every pair of parties, each carrying a
//! control stream (heartbeats, and the end of a party's run) and the TCP tunnels of the
//! computation.
//!
//! Both parties of a pair dial each other, and the lower-indexed one takes the first connection
//! that is up, its own or the peer's, and closes the others: a party is reachable through a relay
//! only once it has spoken to it, and a dial that reached the relay before the peer did is tried
//! again only when QUIC's retransmission timer fires, so whoever comes second gets through at once.
//! The lower-indexed party opens the control stream, and tunnel streams flow the same way, as
//! MPyC's party i dials every party j > i: from a local forwarder at the lower-indexed party into
//! the higher-indexed party's own service (a TCP port or a Unix socket, see [`crate::local`]).
//!
//! A peer is *lost* when its heartbeats stop for `lost_after` before it said it finished. A killed
//! process or machine sends nothing at all, and QUIC by itself would notice only after its idle
//! timeout; MPyC by itself never notices. A party's last control line (its exit code, or why it
//! cannot go on) ends its control stream, and [`Mesh::close`] waits until every peer acknowledged
//! it: closing a QUIC connection discards what is still in flight, and a peer would then see a
//! broken connection instead of the reason.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::{EndpointAddr, EndpointId};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpSocket;
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::direct::{DirectOffer, DirectOut, Offered};
use crate::endpoint::{PathReport, PeerEndpoint, path_ips, selected_path};
use crate::error::{Error, Result};
use crate::local::{LocalAddr, LocalListener};
use crate::tunnel::{CONNECTED, PREAMBLE, TunnelOptions, pipe, serve_target};

/// The first bytes of a control stream (tunnel streams start with the tunnel preamble).
const CONTROL_PREAMBLE: &[u8; 8] = b"mpcctl/1";
/// The first bytes of a tunnel stream opened ahead of its local connection: the serving side
/// answers one byte once its service accepted (see [`Mesh::forward`]).
const AHEAD_PREAMBLE: &[u8; 8] = b"mpctun/a";
/// A control line longer than this is a protocol violation.
const MAX_CONTROL_LINE: usize = 1024;

/// Another party of the session.
#[derive(Clone, Debug)]
pub struct MeshPeer {
    /// Its party index.
    pub index: usize,
    /// How to dial it.
    pub addr: EndpointAddr,
}

/// The mesh's timing.
#[derive(Clone, Copy, Debug)]
pub struct MeshOptions {
    /// How often each side says it is alive.
    pub heartbeat: Duration,
    /// Silence after which a peer that has not finished counts as lost.
    pub lost_after: Duration,
    /// How long tunnels wait for a connection or for the local service.
    pub tunnel: TunnelOptions,
}

impl Default for MeshOptions {
    fn default() -> Self {
        MeshOptions {
            heartbeat: Duration::from_secs(1),
            lost_after: Duration::from_secs(5),
            tunnel: TunnelOptions::default(),
        }
    }
}

/// What happened to a peer.
#[derive(Clone, Debug, PartialEq, Eq)]
// Variant fields are named for what they hold; the variant docs say what they mean.
#[allow(missing_docs)]
pub enum MeshEvent {
    /// The peer's control stream is up: it is reachable and running.
    Connected { index: usize },
    /// The peer's program ended with this exit code.
    Finished { index: usize, code: i32 },
    /// The peer went silent or its connection broke before it finished.
    Lost { index: usize, reason: String },
    /// The peer cannot run, and says why (its program changed, its MPyC, its user stopped it).
    Failed { index: usize, reason: String },
    /// The peer offered something for a direct connection between the programs (see [`crate::direct`]).
    Offered { index: usize, offer: DirectOffer },
}

/// How this party's run ended, as its peers are told.
#[derive(Clone, Debug, PartialEq, Eq)]
enum End {
    Exit(i32),
    Failed(String),
}

/// Longest reason a party sends for not running (its line must fit `MAX_CONTROL_LINE`).
const MAX_REASON: usize = MAX_CONTROL_LINE - 16;

/// The connections of one party to all others. Dropping it stops every task it started.
#[derive(Debug)]
pub struct Mesh {
    endpoint: PeerEndpoint,
    links: HashMap<usize, watch::Receiver<Option<Connection>>>,
    events: mpsc::UnboundedReceiver<MeshEvent>,
    /// Kept so that `next_event` waits, rather than ends, once every link is over (every peer
    /// finished and ended its control stream, while this party's program still runs).
    _events_open: mpsc::UnboundedSender<MeshEvent>,
    exit: watch::Sender<Option<End>>,
    /// What this party offers its peers for direct connections (see [`crate::direct`]).
    direct: watch::Sender<DirectOut>,
    /// The IP addresses each peer's address names (a direct connection may reach it there).
    addresses: HashMap<usize, Vec<IpAddr>>,
    options: MeshOptions,
    tasks: Vec<JoinHandle<()>>,
    /// Held by every control writer until its last line is acknowledged (see [`Mesh::close`]).
    writers: Option<mpsc::Sender<()>>,
    writers_done: mpsc::Receiver<()>,
}

/// What every link task shares.
#[derive(Clone)]
struct Shared {
    events: mpsc::UnboundedSender<MeshEvent>,
    exit: watch::Receiver<Option<End>>,
    direct: watch::Receiver<DirectOut>,
    options: MeshOptions,
    /// Upgraded by each control writer for as long as it runs; weak, so that only writers count.
    writers: mpsc::WeakSender<()>,
}

/// The longest [`Mesh::close`] waits for peers to acknowledge this party's last line.
const FLUSH_FOR: Duration = Duration::from_secs(3);
/// How long [`Mesh::close`] gives the endpoint to send its connections' close before returning.
const CLOSE_FOR: Duration = Duration::from_millis(50);

impl Mesh {
    /// Starts connecting to `peers` as party `me`. Tunnel streams from lower-indexed peers are
    /// connected to `service` (where this party's own program listens), if there is one.
    pub fn start(
        endpoint: PeerEndpoint,
        me: usize,
        peers: Vec<MeshPeer>,
        service: Option<LocalAddr>,
        options: MeshOptions,
    ) -> Self {
        let (events_tx, events) = mpsc::unbounded_channel();
        let (exit, exit_rx) = watch::channel(None);
        let (writers, writers_done) = mpsc::channel(1);
        let (direct, direct_rx) = watch::channel(DirectOut::default());
        let shared = Shared {
            events: events_tx.clone(),
            exit: exit_rx,
            direct: direct_rx,
            options,
            writers: writers.downgrade(),
        };
        let addresses =
            peers.iter().map(|peer| (peer.index, peer.addr.ip_addrs().map(|addr| addr.ip()).collect())).collect();
        let mut links = HashMap::new();
        let mut routes = HashMap::new();
        let mut tasks = Vec::new();
        for peer in &peers {
            let (link, rx) = watch::channel(None);
            links.insert(peer.index, rx);
            let (route, arrivals) = mpsc::unbounded_channel();
            routes.insert(peer.addr.id, route);
            let (endpoint, peer, shared) = (endpoint.clone(), peer.clone(), shared.clone());
            tasks.push(if peer.index > me {
                tokio::spawn(lead(endpoint, peer, arrivals, link, shared))
            } else {
                tokio::spawn(follow(endpoint, peer, arrivals, link, service.clone(), shared))
            });
        }
        tasks.push(tokio::spawn(accept(endpoint.clone(), routes)));
        Mesh {
            endpoint,
            links,
            events,
            _events_open: events_tx,
            exit,
            direct,
            addresses,
            options,
            tasks,
            writers: Some(writers),
            writers_done,
        }
    }

    /// The next thing that happened to a peer; `None` never, while the mesh lives.
    pub async fn next_event(&mut self) -> Option<MeshEvent> {
        self.events.recv().await
    }

    /// Tells every peer that this party's program ended with `code`.
    pub fn announce_exit(&self, code: i32) {
        self.exit.send_replace(Some(End::Exit(code)));
    }

    /// Tells every peer (now, and any that connects later) that this party cannot run, and why:
    /// they stop at once, naming it, instead of waiting out their start-up timeout.
    pub fn announce_failure(&self, reason: &str) {
        // One line, bounded: it travels inside the line-based control protocol.
        let mut line: String = reason.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        if line.len() > MAX_REASON {
            let cut = (0..=MAX_REASON).rev().find(|&i| line.is_char_boundary(i)).unwrap_or(0);
            line.truncate(cut);
        }
        self.exit.send_replace(Some(End::Failed(line)));
    }

    /// Offers every peer `certificate` (DER, at most a few hundred bytes), the one this party's
    /// program presents on direct connections (see [`crate::direct`]).
    pub fn offer_certificate(&self, certificate: Vec<u8>) {
        self.direct.send_modify(|out| out.certificate = Some(Arc::new(certificate)));
    }

    /// Tells peer `index` the TCP port this party's program listens on for it, or (`None`) that
    /// it offers none. Once per peer: later offers to the same peer are not sent.
    pub fn offer_port(&self, index: usize, port: Option<u16>) {
        self.direct.send_modify(|out| {
            out.ports.entry(index).or_insert(port);
        });
    }

    /// Where peer `index`'s machine may be reached directly: the IP addresses of the connection's
    /// paths (the selected one first, if direct), then the addresses the peer's own address names.
    pub fn addresses_of(&self, index: usize) -> Vec<IpAddr> {
        let link = self.links.get(&index);
        let mut addresses: Vec<IpAddr> = link.and_then(|link| link.borrow().as_ref().map(path_ips)).unwrap_or_default();
        for ip in self.addresses.get(&index).into_iter().flatten() {
            if !addresses.contains(ip) {
                addresses.push(*ip);
            }
        }
        addresses
    }

    /// The path the connection to peer `index` uses now; `None` while not connected.
    pub fn path(&self, index: usize) -> Option<PathReport> {
        self.links.get(&index)?.borrow().as_ref().and_then(selected_path)
    }

    /// Listens on `listen` and tunnels every connection made there to peer `index` (which must
    /// have a higher index than this party), into that peer's service. Returns the address (a TCP
    /// port 0 becomes the one picked).
    ///
    /// The address is taken at once but listens only when the peer's service accepts a connection
    /// (the first tunnel is opened ahead to find out), so that a program connecting here is
    /// refused, and tries again as MPyC does, until the other end is really there. A forwarder
    /// that accepted at once would have the program count itself connected, and start its clock,
    /// while the peer's program is still starting. A Unix socket is created only then: its path
    /// must not exist before (it is made in a fresh private directory, normally).
    pub async fn forward(&mut self, index: usize, listen: LocalAddr) -> Result<LocalAddr> {
        let link = self.links.get(&index).cloned().ok_or_else(|| Error::Connect {
            peer: format!("party {index}"),
            reason: "not a party of this mesh".into(),
        })?;
        let local_error = |e| Error::Local { addr: listen.clone(), source: e };
        // Bound now, listening later (see above).
        let (pending, local) = match &listen {
            LocalAddr::Tcp(addr) => {
                let socket =
                    if addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }.map_err(local_error)?;
                // As a listener would: a port left in TIME_WAIT by an earlier run is still ours to bind.
                socket.set_reuseaddr(true).map_err(local_error)?;
                socket.bind(*addr).map_err(local_error)?;
                let bound = socket.local_addr().map_err(local_error)?;
                (PendingListener::Tcp(socket), LocalAddr::Tcp(bound))
            }
            LocalAddr::Unix(path) if path.exists() => {
                return Err(local_error(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the socket's path exists already",
                )));
            }
            LocalAddr::Unix(path) => (PendingListener::Unix(path.clone()), listen.clone()),
        };
        let options = self.options.tunnel;
        let shown = local.clone();
        self.tasks.push(tokio::spawn(async move {
            let mut ahead = match open_ahead(link.clone(), options, index).await {
                Ok(stream) => Some(stream),
                // The peer left or never came: the mesh reports that as an event, with its reason.
                Err(e) => {
                    tracing::debug!(party = index, error = %e, "the peer did not confirm its service; listening anyway");
                    None
                }
            };
            let listener = match pending.listen() {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::error!(local = %shown, error = %e, "cannot listen for the program's connections");
                    return;
                }
            };
            loop {
                let Ok((stream, from)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let (link, ahead, shown) = (link.clone(), ahead.take(), shown.clone());
                tokio::spawn(async move {
                    let result = async {
                        let (send, recv) = match ahead {
                            Some(stream) => stream,
                            None => open_tunnel(link, options, index, PREAMBLE).await?,
                        };
                        pipe(stream, &shown, send, recv).await
                    };
                    // A party's program closing its connections as it ends looks the same as one
                    // cut: what matters to the user (a peer lost, a program failed) is reported
                    // by the run itself; the detail is for `-v`.
                    if let Err(e) = result.await {
                        tracing::info!(from = %from, party = index, error = %e, "tunnelled connection closed");
                    }
                });
            }
        }));
        Ok(local)
    }

    /// Closes every connection and the endpoint, once every peer acknowledged this party's end (if
    /// one was announced; at most a few seconds). The endpoint finishes closing in the background.
    pub async fn close(mut self) {
        if self.exit.borrow().is_some() {
            // Every writer ends once its last line is acknowledged, or its connection is gone.
            self.writers.take();
            let _ = tokio::time::timeout(FLUSH_FOR, self.writers_done.recv()).await;
        }
        for task in &self.tasks {
            task.abort();
        }
        // Closing the endpoint sends every connection's close at once, then waits out QUIC's
        // closing period (three probe timeouts, about 0.25 s here) before it returns. Nothing
        // is left to deliver by then (the peers acknowledged this party's end), so that wait
        // goes on in the background; if the process ends first, the endpoint is let go of
        // without a drop that would call it unclosed.
        let endpoint = std::mem::ManuallyDrop::new(self.endpoint.clone());
        let closing = tokio::spawn(async move {
            endpoint.close().await;
            drop(std::mem::ManuallyDrop::into_inner(endpoint));
        });
        let _ = tokio::time::timeout(CLOSE_FOR, closing).await;
    }
}

impl Drop for Mesh {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A forwarder's address, taken but not listening yet.
enum PendingListener {
    Tcp(TcpSocket),
    Unix(std::path::PathBuf),
}

impl PendingListener {
    fn listen(self) -> std::io::Result<LocalListener> {
        match self {
            PendingListener::Tcp(socket) => socket.listen(64).map(LocalListener::Tcp),
            PendingListener::Unix(path) => tokio::net::UnixListener::bind(path).map(LocalListener::Unix),
        }
    }
}

/// Writes `line` and ends the stream with it; returns once the peer acknowledged all of it (or
/// could not).
async fn write_last(send: &mut SendStream, line: &str, patience: Duration) {
    if send.write_all(line.as_bytes()).await.is_err() || send.finish().is_err() {
        return;
    }
    let _ = tokio::time::timeout(patience, send.stopped()).await;
}

/// The connection to peer `index`, waiting up to `patience` for it.
async fn connected(
    mut link: watch::Receiver<Option<Connection>>,
    patience: Duration,
    index: usize,
) -> Result<Connection> {
    let wait = link.wait_for(|c| c.as_ref().is_some_and(|c| c.close_reason().is_none()));
    match tokio::time::timeout(patience, wait).await {
        Ok(Ok(connection)) => connection.clone().ok_or_else(|| lost(index, "no connection")),
        Ok(Err(_)) => Err(lost(index, "the mesh stopped")),
        Err(_) => {
            Err(Error::Connect { peer: format!("party {index}"), reason: format!("not connected within {patience:?}") })
        }
    }
}

/// A tunnel stream to peer `index`, opened before any local connection needs it; returns once the
/// peer's service accepted its end.
async fn open_ahead(
    link: watch::Receiver<Option<Connection>>,
    options: TunnelOptions,
    index: usize,
) -> Result<(SendStream, RecvStream)> {
    let (send, mut recv) = open_tunnel(link, options, index, AHEAD_PREAMBLE).await?;
    let mut answer = [0u8; 1];
    recv.read_exact(&mut answer).await.map_err(|e| lost(index, e))?;
    if answer[0] != CONNECTED {
        return Err(lost(index, "the peer answered a tunnel opened ahead with something else"));
    }
    Ok((send, recv))
}

/// A tunnel stream to peer `index`, started with `preamble`.
async fn open_tunnel(
    link: watch::Receiver<Option<Connection>>,
    options: TunnelOptions,
    index: usize,
    preamble: &[u8; 8],
) -> Result<(SendStream, RecvStream)> {
    let connection = connected(link, options.connect_timeout, index).await?;
    let (mut send, recv) = connection.open_bi().await.map_err(|e| lost(index, e))?;
    send.write_all(preamble).await.map_err(|e| lost(index, e))?;
    Ok((send, recv))
}

/// The application error code of a connection closed because the pair has another one.
const SUPERSEDED: u32 = 1;
/// The application error code of a connection from a key that is allowed but not in this mesh.
const NOT_IN_MESH: u32 = 2;

/// Leads the pair with a higher-indexed peer: takes the first connection that is up, its own dial
/// or the peer's, opens the control stream on it, and closes any that comes later.
async fn lead(
    endpoint: PeerEndpoint,
    peer: MeshPeer,
    mut arrivals: mpsc::UnboundedReceiver<Connection>,
    link: watch::Sender<Option<Connection>>,
    shared: Shared,
) {
    let index = peer.index;
    let connection = tokio::select! {
        connection = dial(&endpoint, &peer) => connection,
        Some(connection) = arrivals.recv() => connection,
    };
    let control = async {
        let (mut send, recv) = connection.open_bi().await.map_err(|e| lost(index, e))?;
        send.write_all(CONTROL_PREAMBLE).await.map_err(|e| lost(index, e))?;
        Ok::<_, Error>((send, recv))
    };
    let (send, recv) = match control.await {
        Ok(stream) => stream,
        Err(e) => {
            let _ = shared.events.send(MeshEvent::Lost { index, reason: e.to_string() });
            return;
        }
    };
    link.send_replace(Some(connection));
    let close_later_ones = async {
        while let Some(later) = arrivals.recv().await {
            later.close(SUPERSEDED.into(), b"this pair is connected already");
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        () = run_control(index, send, recv, shared) => {}
        () = close_later_ones => {}
    }
}

/// Follows the pair with a lower-indexed peer: dials it too, until the peer has chosen a
/// connection, and serves every connection with it; the one the peer opens the control stream on
/// becomes the link.
async fn follow(
    endpoint: PeerEndpoint,
    peer: MeshPeer,
    mut arrivals: mpsc::UnboundedReceiver<Connection>,
    link: watch::Sender<Option<Connection>>,
    service: Option<LocalAddr>,
    shared: Shared,
) {
    let index = peer.index;
    let link = Arc::new(link);
    let mut chosen = link.subscribe();
    let mut dialing = std::pin::pin!(async {
        tokio::select! {
            connection = dial(&endpoint, &peer) => Some(connection),
            _ = chosen.wait_for(Option::is_some) => None,
        }
    });
    let mut dialed = false;
    let mut serving = JoinSet::new();
    loop {
        let connection = tokio::select! {
            connection = &mut dialing, if !dialed => {
                dialed = true;
                match connection {
                    Some(connection) => connection,
                    None => continue,
                }
            }
            Some(connection) = arrivals.recv() => connection,
            Some(_) = serving.join_next() => continue,
            else => return,
        };
        serving.spawn(serve_peer(index, connection, Arc::clone(&link), service.clone(), shared.clone()));
    }
}

/// Dials a peer until it answers.
async fn dial(endpoint: &PeerEndpoint, peer: &MeshPeer) -> Connection {
    loop {
        match endpoint.connect(peer.addr.clone(), Duration::from_secs(10)).await {
            Ok(connection) => return connection,
            Err(e) => {
                tracing::debug!(party = peer.index, error = %e, "peer not reachable yet");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// Hands every incoming connection to the task of the party it comes from.
async fn accept(endpoint: PeerEndpoint, routes: HashMap<EndpointId, mpsc::UnboundedSender<Connection>>) {
    let routes = Arc::new(routes);
    while let Some(handshake) = endpoint.incoming().await {
        let routes = Arc::clone(&routes);
        tokio::spawn(async move {
            let Some(connection) = handshake.finish().await else { return };
            match routes.get(&connection.remote_id()) {
                Some(route) => {
                    let _ = route.send(connection);
                }
                // Allowed by the endpoint, but not a party of this session.
                None => connection.close(NOT_IN_MESH.into(), b"not a party of this session"),
            }
        });
    }
}

/// Dispatches the streams a lower-indexed peer opens on `connection`, by their preamble; its
/// control stream makes `connection` the pair's link.
async fn serve_peer(
    index: usize,
    connection: Connection,
    link: Arc<watch::Sender<Option<Connection>>>,
    service: Option<LocalAddr>,
    shared: Shared,
) {
    while let Ok((send, mut recv)) = connection.accept_bi().await {
        let (shared, link, connection) = (shared.clone(), Arc::clone(&link), connection.clone());
        let service = service.clone();
        tokio::spawn(async move {
            let mut preamble = [0u8; 8];
            if let Err(e) = recv.read_exact(&mut preamble).await {
                tracing::debug!(party = index, error = %e, "a stream ended before its preamble");
                return;
            }
            match (&preamble, &service) {
                (CONTROL_PREAMBLE, _) => {
                    link.send_replace(Some(connection));
                    run_control(index, send, recv, shared).await;
                }
                (PREAMBLE | AHEAD_PREAMBLE, Some(target)) => {
                    let confirm = &preamble == AHEAD_PREAMBLE;
                    if let Err(e) = serve_target(send, recv, target, shared.options.tunnel, confirm).await {
                        tracing::info!(party = index, error = %e, "tunnel stream ended with an error");
                    }
                }
                _ => tracing::warn!(party = index, "refused a stream that is neither control nor tunnel"),
            }
        });
    }
}

/// Heartbeats out, heartbeats and the peer's exit code in; reports what it learns.
async fn run_control(index: usize, mut send: SendStream, recv: RecvStream, shared: Shared) {
    // The peer counts as connected at its first line (a heartbeat at once, or why it cannot
    // run): a party that cannot run is never reported connected, so nobody launches for it.
    let options = shared.options;
    let mut exit = shared.exit.clone();
    let mut direct = shared.direct.clone();
    let held = shared.writers.upgrade();
    let writer = async move {
        // Counted by `Mesh::close` until the last line is acknowledged.
        let _held = held;
        let mut beat = tokio::time::interval(options.heartbeat);
        // An end announced before this stream was up is sent at once.
        let announced = exit.borrow_and_update().clone();
        if let Some(end) = announced {
            return write_last(&mut send, &end_line(&end), options.lost_after).await;
        }
        // Offers go before the first beat, so that a peer has this party's certificate by the
        // time it counts it connected.
        let mut offered = Offered::default();
        let mut offers_open = true;
        loop {
            let lines = offered.news(&direct.borrow_and_update(), index);
            if send.write_all(lines.as_bytes()).await.is_err() {
                return;
            }
            tokio::select! {
                _ = beat.tick() => if send.write_all(b"beat\n").await.is_err() {
                    return;
                },
                // The mesh is going when this ends: nothing more to offer, beats go on.
                changed = direct.changed(), if offers_open => offers_open = changed.is_ok(),
                changed = exit.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let announced = exit.borrow_and_update().clone();
                    if let Some(end) = announced {
                        return write_last(&mut send, &end_line(&end), options.lost_after).await;
                    }
                }
            }
        }
    };
    let events = shared.events.clone();
    let reader = async move {
        let mut lines = BufReader::new(recv);
        let mut finished = false;
        let mut heard = false;
        let mut line = String::new();
        loop {
            line.clear();
            let mut bounded = (&mut lines).take(MAX_CONTROL_LINE as u64);
            let read = tokio::time::timeout(options.lost_after, bounded.read_line(&mut line)).await;
            let reason = match read {
                Ok(Ok(0)) => "it closed the connection without finishing".to_owned(),
                Ok(Ok(_)) => match parse_control(&line) {
                    Some(Control::Beat | Control::Exit(_)) if !std::mem::replace(&mut heard, true) => {
                        let _ = events.send(MeshEvent::Connected { index });
                        if let Some(Control::Exit(code)) = parse_control(&line) {
                            finished = true;
                            let _ = events.send(MeshEvent::Finished { index, code });
                        }
                        continue;
                    }
                    Some(Control::Beat) => continue,
                    Some(Control::Exit(code)) => {
                        finished = true;
                        let _ = events.send(MeshEvent::Finished { index, code });
                        continue;
                    }
                    Some(Control::Fail(reason)) => {
                        heard = true;
                        finished = true;
                        let _ = events.send(MeshEvent::Failed { index, reason });
                        continue;
                    }
                    Some(Control::Offer(offer)) => {
                        let _ = events.send(MeshEvent::Offered { index, offer });
                        continue;
                    }
                    None => format!("it sent {:?}, which is not a control message", line.trim_end()),
                },
                Ok(Err(e)) => format!("its connection broke ({e})"),
                Err(_) => format!("no heartbeat for {:?}", options.lost_after),
            };
            if !finished {
                let _ = events.send(MeshEvent::Lost { index, reason });
            }
            return finished;
        }
    };
    // A peer that is lost takes the writer along. A peer that finished still listens (it waits
    // for this party's end, to know its own bytes arrived), so the writer goes on: beats, then
    // this party's end, until that is acknowledged or the peer closes the connection.
    let writer = tokio::spawn(writer);
    if !reader.await {
        writer.abort();
    }
}

enum Control {
    Beat,
    Exit(i32),
    Fail(String),
    Offer(DirectOffer),
}

fn parse_control(line: &str) -> Option<Control> {
    let line = line.strip_suffix('\n')?;
    match line.split_once(' ') {
        None if line == "beat" => Some(Control::Beat),
        Some(("exit", code)) => code.parse().ok().map(Control::Exit),
        Some(("fail", reason)) => Some(Control::Fail(reason.to_owned())),
        Some((verb, rest)) => DirectOffer::parse(verb, rest).map(Control::Offer),
        _ => None,
    }
}

fn end_line(end: &End) -> String {
    match end {
        End::Exit(code) => format!("exit {code}\n"),
        End::Failed(reason) => format!("fail {reason}\n"),
    }
}

fn lost(index: usize, reason: impl std::fmt::Display) -> Error {
    Error::Lost { peer: format!("party {index}"), reason: reason.to_string() }
}
