//! Accepting connections on the open internet: who gets a connection, for how long, and which
//! client address each request counts against.
//!
//! axum's own `serve` holds any number of connections for any time (no header-read timeout, no
//! idle timeout, no cap), so a few thousand idle or slowloris sockets exhaust the process's file
//! descriptors. This loop admits a connection only within a cap in total and per source address,
//! serves it with hyper's header-read timer (which runs from when a connection opens or its last
//! response ends, so it closes slowloris and idle keep-alive connections alike), and hands every
//! request the address it came from: the TCP peer, or, behind a trusted reverse proxy, the
//! address that proxy reports (see [`ClientAddr`]).
//!
//! Every phase of a connection has a deadline, so a slow client holds its place only briefly:
//! headers (hyper's timer, above), the body ([`TimedBody`]: a grace period, then a minimum rate),
//! and every write ([`Counted`]: a write that stalls past the write timeout closes the
//! connection, WebSockets and relayed streams included). Clients are counted by network, not
//! address, where one subscriber holds many addresses: IPv6 per /64 by default (see [`bucket`]).
//! And the last quarter of the connection slots is kept for sources holding fewer than
//! [`RESERVE_BELOW`] connections, so sources that fill the rest (slowly, from many addresses)
//! cannot keep a newcomer, or `/healthz`, out.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use ipnet::IpNet;
use tokio::sync::watch;
use tower::ServiceExt;

/// The limits a listener enforces, from the configuration.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionLimits {
    pub max_connections: usize,
    pub max_per_source: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub min_body_rate: u64,
    pub write_timeout: Duration,
    pub trusted_proxies: Vec<IpNet>,
    pub ipv6_prefix: u8,
}

impl ConnectionLimits {
    /// What the listener enforces under `config`.
    pub(crate) fn of(config: &crate::config::MediatorConfig) -> Self {
        ConnectionLimits {
            max_connections: config.max_connections,
            max_per_source: config.max_connections_per_source,
            header_timeout: config.header_timeout,
            body_timeout: config.body_timeout,
            min_body_rate: config.min_body_rate,
            write_timeout: config.write_timeout,
            trusted_proxies: config.trusted_proxies.clone(),
            ipv6_prefix: config.ipv6_prefix,
        }
    }
}

/// A source holding at least this many connections may not take the reserved slots.
const RESERVE_BELOW: usize = 2;

/// The network a client address counts as: an IPv4 address itself; an IPv6 address's network of
/// `v6_prefix` bits (a subscriber gets a /64 and picks any address in it); an IPv4 address
/// written as IPv6 (`::ffff:a.b.c.d`) as the IPv4 address.
pub(crate) fn bucket(ip: IpAddr, v6_prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u32::from(v6_prefix.min(128));
                let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
                IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & mask))
            }
        },
    }
}

/// The address a request counts against: the TCP peer, or what a trusted proxy says the client
/// was. Every request carries one (an extension set by the listener).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = axum::http::StatusCode;

    /// The listener's address, or the TCP peer's when the router is served by another server.
    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(client) = parts.extensions.get::<ClientAddr>() {
            return Ok(*client);
        }
        match parts.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() {
            Some(info) => Ok(ClientAddr(info.0.ip())),
            None => Err(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

/// Open connections, in total and per source address.
#[derive(Debug)]
struct Admission {
    limits: ConnectionLimits,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
struct Admitted {
    admission: Arc<Admission>,
    source: IpAddr,
}

impl Admission {
    /// A place for a connection from `source`, unless it or everyone is at the cap. A trusted
    /// proxy carries many clients, so only the total cap applies to it.
    fn admit(self: &Arc<Self>, source: IpAddr) -> Option<Admitted> {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let total: usize = open.values().sum();
        let from_source = open.get(&source).copied().unwrap_or(0);
        let proxy = self.limits.trusted_proxies.iter().any(|net| net.contains(&source));
        let max = self.limits.max_connections;
        // The last quarter is for sources that hold (almost) nothing yet.
        let unreserved = max - max / 4;
        let over_share = !proxy && from_source >= RESERVE_BELOW && total >= unreserved;
        if total >= max || over_share || (!proxy && from_source >= self.limits.max_per_source) {
            return None;
        }
        *open.entry(source).or_default() += 1;
        Some(Admitted { admission: Arc::clone(self), source })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.admission.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.source) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.source);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets connections finish their
/// requests in flight (WebSockets are closed).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mediator: Arc<crate::Mediator>,
    https: Option<crate::tls::Https>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let admission = Arc::new(Admission { limits, open: Mutex::new(HashMap::new()) });
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most likely: back off instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
            Some(_) = connections.join_next() => continue,
        };
        let source = bucket(peer.ip(), admission.limits.ipv6_prefix);
        let Some(place) = admission.admit(source) else {
            // Closing at once costs the attacker a handshake and us nothing more.
            mediator.metrics.connections_refused.inc();
            tracing::debug!(%peer, "refused a connection over the cap");
            continue;
        };
        // Small frames must leave at once: relayed QUIC packets and live deliveries stall for
        // tens of milliseconds under Nagle's algorithm and delayed ACKs.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let router = router.clone();
        let trusted = Arc::clone(&admission);
        let counted = Arc::clone(&mediator);
        let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
            let limits = &trusted.limits;
            let client = match client_address(peer, request.headers(), &limits.trusted_proxies) {
                Forwarded::Client(ip) => ip,
                Forwarded::Malformed(ip) => {
                    counted.metrics.forwarded_for_malformed.inc();
                    ip
                }
            };
            request.extensions_mut().insert(ClientAddr(bucket(client, limits.ipv6_prefix)));
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            let (grace, rate) = (limits.body_timeout, limits.min_body_rate);
            router.clone().oneshot(request.map(|body| axum::body::Body::new(TimedBody::new(body, grace, rate))))
        });
        let header_timeout = admission.limits.header_timeout;
        let stopping = stopping.clone();
        // The place travels with the socket, so a connection upgraded to a WebSocket (which
        // outlives the HTTP connection task) still counts until it closes.
        let tcp = Counted { tcp, _place: place, write_timeout: admission.limits.write_timeout, stalled: None };
        let https = https.clone();
        let counted = Arc::clone(&mediator);
        connections.spawn(async move {
            let Some(https) = https else {
                return serve_connection(TokioIo::new(tcp), service, header_timeout, stopping).await;
            };
            // The handshake shares the header deadline: a client that opens and says nothing
            // holds its place no longer over TLS than over plain HTTP.
            let tls = match tokio::time::timeout(header_timeout, https.acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    counted.metrics.tls_handshakes_failed.inc();
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    counted.metrics.tls_handshakes_failed.inc();
                    return;
                }
            };
            // An ACME CA checking the TLS-ALPN-01 challenge: the handshake was the answer.
            if tls.get_ref().1.alpn_protocol() == Some(crate::tls::ACME_ALPN) {
                return;
            }
            serve_connection(TokioIo::new(tls), service, header_timeout, stopping).await;
        });
    }
    let _ = stop.send(true);
    // Requests in flight finish (bounded by the graceful timeout above).
    while connections.join_next().await.is_some() {}
}

/// Serves HTTP/1.1 (and HTTP/2, which a TLS client picks by ALPN) on one connection until it
/// ends or the server stops.
async fn serve_connection<I, S>(
    io: TokioIo<I>,
    service: S,
    header_timeout: Duration,
    mut stopping: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<
            Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout).max_buf_size(64 * 1024);
    // HTTP/2: few streams at once per connection (each request still passes the rate limits),
    // WebSockets over extended CONNECT (RFC 8441), and dead peers found by keep-alive pings.
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(64)
        .max_header_list_size(64 * 1024)
        .enable_connect_protocol()
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20));
    let connection = builder.serve_connection_with_upgrades(io, service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = async { let _ = stopping.wait_for(|stop| *stop).await; } => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(10), connection).await;
        }
    }
}

/// A connection's socket together with its place under the caps, and the deadline of a write
/// the client is not reading.
#[derive(Debug)]
struct Counted {
    tcp: tokio::net::TcpStream,
    _place: Admitted,
    write_timeout: Duration,
    /// Set while a write waits for the client to read: when it fires, the write fails.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Counted {
    /// `poll` (a write) with the stall deadline: pending writes arm it, progress disarms it.
    fn deadline<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut tokio::net::TcpStream>, &mut Context<'_>) -> Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        match poll(Pin::new(&mut self.tcp), cx) {
            Poll::Pending => {
                let timeout = self.write_timeout;
                let stalled = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match stalled.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client stopped reading (write timeout)",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl tokio::io::AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.deadline(cx, |tcp, cx| tcp.poll_write(cx, buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.deadline(cx, |tcp, cx| tcp.poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.deadline(cx, |tcp, cx| tcp.poll_shutdown(cx))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.deadline(cx, |tcp, cx| tcp.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

/// A request body read against a deadline: after `grace`, at least `min_rate` bytes a second on
/// average, or the read fails with [`BodyTooSlow`] (and the connection closes, its body unread).
/// A body trickled a byte every few seconds is cut off after the grace, not held for ever.
#[derive(Debug)]
pub(crate) struct TimedBody {
    inner: hyper::body::Incoming,
    started: tokio::time::Instant,
    grace: Duration,
    min_rate: u64,
    received: u64,
    timer: Pin<Box<tokio::time::Sleep>>,
}

/// A request body that arrived slower than the mediator accepts.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly (the body timeout)")]
pub(crate) struct BodyTooSlow;

impl TimedBody {
    fn new(inner: hyper::body::Incoming, grace: Duration, min_rate: u64) -> Self {
        let started = tokio::time::Instant::now();
        TimedBody { inner, started, grace, min_rate, received: 0, timer: Box::pin(tokio::time::sleep(grace)) }
    }

    fn deadline(&self) -> tokio::time::Instant {
        let allowed = if self.min_rate == 0 { 0.0 } else { self.received as f64 / self.min_rate as f64 };
        self.started + self.grace + Duration::from_secs_f64(allowed.min(1e6))
    }
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    let deadline = this.deadline();
                    this.timer.as_mut().reset(deadline);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(other) => Poll::Ready(other.map(|frame| frame.map_err(Into::into))),
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTooSlow)))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Who a request is from, as [`client_address`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Forwarded {
    /// The client.
    Client(IpAddr),
    /// A trusted proxy's list held a hop that is no address (`unknown`, an obfuscated name,
    /// garbage): the request counts against the proxy itself, and the metric says so.
    Malformed(IpAddr),
}

/// The client behind a request: the TCP peer, unless the peer is a trusted proxy, in which case
/// the nearest address in `X-Forwarded-For` that is not itself a trusted proxy (what a proxy
/// appends; anything further left was written by the client and proves nothing). Hops may carry
/// a port (`203.0.113.7:4711`, `[2001:db8::7]:4711`) or brackets, as proxies write them.
fn client_address(peer: SocketAddr, headers: &axum::http::HeaderMap, trusted: &[IpNet]) -> Forwarded {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer.ip()) {
        return Forwarded::Client(peer.ip());
    }
    let forwarded =
        headers.get_all("x-forwarded-for").iter().map(|value| value.to_str().ok()).collect::<Option<Vec<_>>>();
    let Some(forwarded) = forwarded else { return Forwarded::Malformed(peer.ip()) };
    let hops = forwarded.iter().flat_map(|value| value.split(',')).map(str::trim).collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if is_trusted(&ip) => continue,
            Some(ip) => return Forwarded::Client(ip),
            // Not an address: stop trusting the list there.
            None => return Forwarded::Malformed(peer.ip()),
        }
    }
    Forwarded::Client(peer.ip())
}

/// One `X-Forwarded-For` hop: an address, with or without a port, IPv6 with or without brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim_matches('"');
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    let bracketed = hop.strip_prefix('[')?.strip_suffix(']')?;
    bracketed.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
}

/// Raises the soft limit on open files to the hard limit, so the connection cap, not the
/// process's descriptor table, decides how many clients are served. Returns the limit in force.
pub(crate) fn raise_fd_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if let Some(hard) = limit.maximum
        && limit.current != Some(hard)
    {
        limit.current = Some(hard);
        if let Err(e) = setrlimit(Resource::Nofile, limit) {
            tracing::warn!(error = %e, "cannot raise the open-file limit");
        }
    }
    getrlimit(Resource::Nofile).current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> axum::http::HeaderMap {
        let mut map = axum::http::HeaderMap::new();
        for value in xff {
            map.append("x-forwarded-for", value.parse().expect("header"));
        }
        map
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let proxy: IpNet = "10.0.0.0/8".parse().expect("net");
        let from_proxy = SocketAddr::from(([10, 0, 0, 5], 4000));
        let direct = SocketAddr::from(([203, 0, 113, 9], 4000));
        let client: IpAddr = "198.51.100.7".parse().expect("ip");
        let is = Forwarded::Client;
        assert_eq!(client_address(from_proxy, &headers(&["198.51.100.7"]), &[proxy]), is(client));
        // A client's own claim, left of what the proxy appended, is ignored.
        assert_eq!(client_address(from_proxy, &headers(&["1.2.3.4, 198.51.100.7"]), &[proxy]), is(client));
        // Proxies in a chain are skipped.
        assert_eq!(client_address(from_proxy, &headers(&["198.51.100.7", "10.0.0.9"]), &[proxy]), is(client));
        // Anyone else's header is not believed.
        assert_eq!(client_address(direct, &headers(&["198.51.100.7"]), &[proxy]), is(direct.ip()));
        // No header: the proxy itself.
        assert_eq!(client_address(from_proxy, &headers(&[]), &[proxy]), is(from_proxy.ip()));
        // Hops as proxies write them: with a port, IPv6 in brackets, with or without a port.
        assert_eq!(client_address(from_proxy, &headers(&["198.51.100.7:4711"]), &[proxy]), is(client));
        let v6: IpAddr = "2001:db8::7".parse().expect("ip");
        for hop in ["2001:db8::7", "[2001:db8::7]", "[2001:db8::7]:4711"] {
            assert_eq!(client_address(from_proxy, &headers(&[hop]), &[proxy]), is(v6), "{hop}");
        }
        // Garbage or `unknown`: the proxy itself, marked so the metric counts it.
        for hop in ["not-an-ip", "unknown", "_hidden"] {
            assert_eq!(
                client_address(from_proxy, &headers(&[hop]), &[proxy]),
                Forwarded::Malformed(from_proxy.ip()),
                "{hop}"
            );
        }
    }

    #[test]
    fn admission_caps_per_source_and_in_total_and_frees_on_drop() {
        let limits = ConnectionLimits {
            max_connections: 3,
            max_per_source: 2,
            header_timeout: Duration::from_secs(1),
            body_timeout: Duration::from_secs(1),
            min_body_rate: 1,
            write_timeout: Duration::from_secs(1),
            trusted_proxies: vec!["10.0.0.1/32".parse().expect("net")],
            ipv6_prefix: 64,
        };
        let admission = Arc::new(Admission { limits, open: Mutex::new(HashMap::new()) });
        let a: IpAddr = "127.0.0.2".parse().expect("ip");
        let b: IpAddr = "127.0.0.3".parse().expect("ip");
        let first = admission.admit(a).expect("first");
        let _second = admission.admit(a).expect("second");
        assert!(admission.admit(a).is_none(), "third from one source");
        let _other = admission.admit(b).expect("another source");
        assert!(admission.admit("127.0.0.4".parse().expect("ip")).is_none(), "total cap");
        drop(first);
        assert!(admission.admit(a).is_some(), "a freed place is reused");
    }

    #[test]
    fn the_last_quarter_of_slots_is_kept_for_sources_holding_almost_nothing() {
        let limits = ConnectionLimits {
            max_connections: 8,
            max_per_source: 8,
            header_timeout: Duration::from_secs(1),
            body_timeout: Duration::from_secs(1),
            min_body_rate: 1,
            write_timeout: Duration::from_secs(1),
            trusted_proxies: Vec::new(),
            ipv6_prefix: 64,
        };
        let admission = Arc::new(Admission { limits, open: Mutex::new(HashMap::new()) });
        let greedy: Vec<IpAddr> = ["127.0.0.2", "127.0.0.3"].iter().map(|a| a.parse().expect("ip")).collect();
        let mut held = Vec::new();
        for round in 0..4 {
            for source in &greedy {
                if let Some(place) = admission.admit(*source) {
                    held.push(place);
                } else {
                    assert!(round >= 3, "refused too early");
                }
            }
        }
        assert_eq!(held.len(), 6, "two sources take three quarters, not all");
        let newcomer: IpAddr = "127.0.0.9".parse().expect("ip");
        let _first = admission.admit(newcomer).expect("a newcomer gets a reserved slot");
        let _second = admission.admit(newcomer).expect("and a second");
    }

    #[test]
    fn ipv6_clients_count_per_network_and_ipv4_per_address() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert_eq!(bucket(ip("2001:db8:1:2:aaaa::1"), 64), ip("2001:db8:1:2::"));
        assert_eq!(bucket(ip("2001:db8:1:2:ffff::9"), 64), bucket(ip("2001:db8:1:2::1"), 64));
        assert_ne!(bucket(ip("2001:db8:1:3::1"), 64), bucket(ip("2001:db8:1:2::1"), 64));
        assert_eq!(bucket(ip("2001:db8::1"), 128), ip("2001:db8::1"));
        assert_eq!(bucket(ip("198.51.100.7"), 64), ip("198.51.100.7"));
        assert_eq!(bucket(ip("::ffff:198.51.100.7"), 64), ip("198.51.100.7"));
    }
}
