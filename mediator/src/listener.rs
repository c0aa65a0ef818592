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

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use ipnet::IpNet;
use tower::ServiceExt;

/// The limits a listener enforces, from the configuration.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub max_per_source: usize,
    pub header_timeout: Duration,
    pub trusted_proxies: Vec<IpNet>,
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
        if total >= self.limits.max_connections || (!proxy && from_source >= self.limits.max_per_source) {
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
        let Some(place) = admission.admit(peer.ip()) else {
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
        let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
            let client = client_address(peer, request.headers(), &trusted.limits.trusted_proxies);
            request.extensions_mut().insert(ClientAddr(client));
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let header_timeout = admission.limits.header_timeout;
        let mut stopping = stopping.clone();
        // The place travels with the socket, so a connection upgraded to a WebSocket (which
        // outlives the HTTP connection task) still counts until it closes.
        let tcp = Counted { tcp, _place: place };
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_timeout).max_buf_size(64 * 1024);
            let connection = builder.serve_connection(TokioIo::new(tcp), service).with_upgrades();
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = async { let _ = stopping.wait_for(|stop| *stop).await; } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(10), connection).await;
                }
            }
        });
    }
    let _ = stop.send(true);
    // Requests in flight finish (bounded by the graceful timeout above).
    while connections.join_next().await.is_some() {}
}

/// A connection's socket together with its place under the caps.
#[derive(Debug)]
struct Counted {
    tcp: tokio::net::TcpStream,
    _place: Admitted,
}

impl tokio::io::AsyncRead for Counted {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Counted {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

/// The client behind a request: the TCP peer, unless the peer is a trusted proxy, in which case
/// the nearest address in `X-Forwarded-For` that is not itself a trusted proxy (what a proxy
/// appends; anything further left was written by the client and proves nothing).
fn client_address(peer: SocketAddr, headers: &axum::http::HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer.ip()) {
        return peer.ip();
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => continue,
            Ok(ip) => return ip,
            // A malformed hop: stop trusting the list there.
            Err(_) => break,
        }
    }
    peer.ip()
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
        assert_eq!(client_address(from_proxy, &headers(&["198.51.100.7"]), &[proxy]), client);
        // A client's own claim, left of what the proxy appended, is ignored.
        assert_eq!(client_address(from_proxy, &headers(&["1.2.3.4, 198.51.100.7"]), &[proxy]), client);
        // Proxies in a chain are skipped.
        assert_eq!(client_address(from_proxy, &headers(&["198.51.100.7", "10.0.0.9"]), &[proxy]), client);
        // Anyone else's header is not believed.
        assert_eq!(client_address(direct, &headers(&["198.51.100.7"]), &[proxy]), direct.ip());
        // No header, or garbage: the proxy itself.
        assert_eq!(client_address(from_proxy, &headers(&[]), &[proxy]), from_proxy.ip());
        assert_eq!(client_address(from_proxy, &headers(&["not-an-ip"]), &[proxy]), from_proxy.ip());
    }

    #[test]
    fn admission_caps_per_source_and_in_total_and_frees_on_drop() {
        let limits = ConnectionLimits {
            max_connections: 3,
            max_per_source: 2,
            header_timeout: Duration::from_secs(1),
            trusted_proxies: vec!["10.0.0.1/32".parse().expect("net")],
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
}
