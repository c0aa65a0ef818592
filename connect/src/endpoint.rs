//! A party's endpoint: bound from its Ed25519 identity key, talking to nobody but the relay it is
//! given and the peers on its allowlist.
//!
//! The allowlist is enforced by a hook iroh runs after every TLS handshake, incoming and outgoing:
//! at that point the remote's endpoint id (its Ed25519 key) is authenticated, so a connection from
//! a key that is not a party of the session is closed before any stream is opened.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use ed25519_dalek::{SigningKey, VerifyingKey};
use iroh::address_lookup::{AddressLookup, EndpointInfo, Error as AddressLookupError, Item};
use iroh::endpoint::{AfterHandshakeOutcome, Connection, EndpointHooks, QuicTransportConfig, VarInt, presets};
use iroh::{Endpoint, EndpointAddr, EndpointId, RelayMode, RelayUrl, SecretKey};

use crate::error::{Error, Result};

type BoxStream<T> = std::pin::Pin<Box<dyn futures_util::Stream<Item = T> + Send + 'static>>;

/// The ALPN of mpc-id's TCP tunnels.
pub const TUNNEL_ALPN: &[u8] = b"mpc-id/tunnel/1";

/// The QUIC application error code a refused peer's connection is closed with.
pub const NOT_ALLOWED: u32 = 403;

/// The endpoint id of a party: its Ed25519 public key, as in its DID.
pub fn endpoint_id_of(key: &VerifyingKey) -> EndpointId {
    // Every valid Ed25519 key is a valid endpoint id; the fallback is unreachable.
    EndpointId::from_bytes(key.as_bytes()).unwrap_or_else(|_| SecretKey::from_bytes(&[0; 32]).public())
}

/// The endpoint ids this endpoint accepts connections from (and makes connections to). Shared:
/// a session adds its parties as it learns them.
#[derive(Clone, Debug, Default)]
pub struct Allowlist(Arc<RwLock<HashSet<EndpointId>>>);

impl Allowlist {
    /// An allowlist of exactly `ids`.
    pub fn new(ids: impl IntoIterator<Item = EndpointId>) -> Self {
        Allowlist(Arc::new(RwLock::new(ids.into_iter().collect())))
    }

    /// Admits `id` from now on.
    pub fn allow(&self, id: EndpointId) {
        self.0.write().unwrap_or_else(PoisonError::into_inner).insert(id);
    }

    /// Whether `id` is admitted.
    pub fn contains(&self, id: &EndpointId) -> bool {
        self.0.read().unwrap_or_else(PoisonError::into_inner).contains(id)
    }
}

#[derive(Debug)]
struct AllowlistHook(Allowlist);

impl EndpointHooks for AllowlistHook {
    async fn after_handshake(&self, conn: &Connection) -> AfterHandshakeOutcome {
        let peer = conn.remote_id();
        if self.0.contains(&peer) {
            AfterHandshakeOutcome::accept()
        } else {
            tracing::warn!(peer = %peer, "refused a peer that is not on the allowlist");
            AfterHandshakeOutcome::Reject {
                error_code: VarInt::from_u32(NOT_ALLOWED),
                reason: b"not on the allowlist".to_vec(),
            }
        }
    }
}

/// How to bind an endpoint.
#[derive(Clone, Debug, Default)]
pub struct PeerEndpointConfig {
    /// The one relay to use (the mediator's); `None` for direct connections only.
    pub relay: Option<RelayUrl>,
    /// The local UDP address; any port on all interfaces when `None`.
    pub bind: Option<SocketAddr>,
    /// Who may connect: checked after every handshake.
    pub allow: Allowlist,
    /// The relay's QUIC address discovery (from its `/relay-info`): without it, an endpoint behind
    /// NAT does not learn its public address, and hole punching cannot start.
    pub discovery: Option<RelayDiscovery>,
    /// Send only through the relay, never directly (for networks that drop UDP, and to measure
    /// the relayed path).
    pub relay_only: bool,
    /// Asked, whenever a peer is dialled with no working path, which relay the peer is connected
    /// to now: behind a mediator of several instances that is one instance's own relay, not
    /// the one the peer's DID names.
    pub locate: Option<Locate>,
    /// How the relay's and address discovery's TLS certificates are checked: the party's one
    /// trust (system roots, a private CA, a pinned self-signed discovery certificate). `None`:
    /// iroh's embedded public roots, plus the discovery certificate if the relay made its own.
    pub verifier: Option<RelayVerifier>,
}

/// Builds the verifier for the relay's TLS connections, from the crypto provider iroh uses.
#[derive(Clone)]
pub struct RelayVerifier(pub iroh_relay_client::tls::ServerCertVerifierBuilder);

impl std::fmt::Debug for RelayVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelayVerifier(..)")
    }
}

/// Finds the relay a peer is connected to now (the caller asks the peer's mediator; this crate
/// fetches nothing itself). `None`: not known, dial as the DID says.
#[derive(Clone)]
pub struct Locate(Arc<dyn Fn(EndpointId) -> LocateFuture + Send + Sync>);

/// What [`Locate`] returns.
pub type LocateFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Option<RelayUrl>> + Send>>;

impl Locate {
    /// A lookup by `find`.
    pub fn new(find: impl Fn(EndpointId) -> LocateFuture + Send + Sync + 'static) -> Self {
        Locate(Arc::new(find))
    }
}

impl std::fmt::Debug for Locate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Locate(..)")
    }
}

/// [`Locate`] as iroh's address lookup, which iroh runs on each dial without a working path.
#[derive(Debug)]
struct LocateLookup(Locate);

impl AddressLookup for LocateLookup {
    fn resolve(&self, id: EndpointId) -> Option<BoxStream<Result<Item, AddressLookupError>>> {
        use futures_util::StreamExt;
        let found = (self.0.0)(id);
        let items = futures_util::stream::once(found).filter_map(move |relay| async move {
            let relay = relay?;
            tracing::debug!(peer = %id.fmt_short(), %relay, "the peer's mediator says where its relay connection is");
            let info = EndpointInfo::new(id).with_relay_url(relay);
            Some(Ok(Item::new(info, "mpc-id-mediator", None)))
        });
        Some(Box::pin(items))
    }
}

/// Where a relay's QUIC address discovery listens, and the certificate to trust for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelayDiscovery {
    /// The UDP port of the relay's QUIC address discovery.
    pub quic_port: u16,
    /// DER; `None` when the relay's certificate chains to a public root.
    pub certificate: Option<Vec<u8>>,
}

/// iroh's QUIC defaults, but for the RTT assumed before the first sample: 100 ms instead of
/// QUIC's 333 ms. Parties of a session start at the same moment, and a first handshake packet sent
/// before the peer has reached the relay is dropped there; with the default, it is sent again only
/// after a second, and every start-up takes a second longer than it has to.
fn transport_config() -> QuicTransportConfig {
    QuicTransportConfig::builder().initial_rtt(Duration::from_millis(100)).build()
}

/// An incoming connection whose handshake, and the allowlist check after it, are still to come.
#[derive(Debug)]
pub struct Handshake(iroh::endpoint::Incoming);

impl Handshake {
    /// The connection, once the handshake completed and the peer passed the allowlist.
    pub async fn finish(self) -> Option<Connection> {
        match self.0.await {
            Ok(connection) => Some(connection),
            // Refused by the allowlist, or a failed handshake: logged, nothing more.
            Err(e) => {
                tracing::debug!(error = %e, "an incoming connection did not complete");
                None
            }
        }
    }
}

/// A bound endpoint.
#[derive(Clone, Debug)]
pub struct PeerEndpoint {
    endpoint: Endpoint,
    allow: Allowlist,
}

impl PeerEndpoint {
    /// Binds an endpoint whose secret key is `key`, the party's Ed25519 identity key.
    pub async fn bind(key: &SigningKey, config: PeerEndpointConfig) -> Result<Self> {
        // Address discovery only where the relay offers it (iroh would otherwise probe its
        // default port on every relay).
        let relay_mode = match &config.relay {
            Some(url) => {
                let quic = config.discovery.as_ref().map(|d| iroh_relay_client::RelayQuicConfig::new(d.quic_port));
                RelayMode::Custom(iroh::RelayMap::from(iroh::RelayConfig::new(url.clone(), quic)))
            }
            None => RelayMode::Disabled,
        };
        // `Minimal` sets only the TLS crypto provider: no default relays, no address lookup.
        let mut builder = Endpoint::builder(presets::Minimal)
            .secret_key(SecretKey::from_bytes(&key.to_bytes()))
            .alpns(vec![TUNNEL_ALPN.to_vec()])
            .relay_mode(relay_mode)
            .transport_config(transport_config())
            .hooks(AllowlistHook(config.allow.clone()));
        if let Some(verifier) = config.verifier.clone() {
            builder =
                builder.ca_tls_config(iroh_relay_client::tls::CaTlsConfig::custom_server_cert_verifier(verifier.0));
        } else if let Some(certificate) = config.discovery.as_ref().and_then(|d| d.certificate.clone()) {
            // The relay made its own certificate: trust exactly that one for it.
            let root = iroh_relay_client::tls::CaTlsConfig::custom_roots([certificate.into()]);
            builder = builder.ca_tls_config(root);
        }
        if let Some(locate) = config.locate.clone() {
            builder = builder.address_lookup(LocateLookup(locate));
        }
        if config.relay_only {
            builder = builder.clear_ip_transports();
        } else if let Some(addr) = config.bind {
            builder = builder.bind_addr(addr).map_err(|e| Error::Bind(format!("{addr}: {e}")))?;
        }
        let endpoint = builder.bind().await.map_err(|e| Error::Bind(e.to_string()))?;
        tracing::debug!(id = %endpoint.id(), "peer endpoint bound");
        Ok(PeerEndpoint { endpoint, allow: config.allow })
    }

    /// This endpoint's id: the party's Ed25519 identity key.
    pub fn id(&self) -> EndpointId {
        self.endpoint.id()
    }

    /// How peers can reach this endpoint now: its id, direct addresses and relay.
    pub fn addr(&self) -> EndpointAddr {
        self.endpoint.addr()
    }

    /// Who may connect to this endpoint.
    pub fn allowlist(&self) -> &Allowlist {
        &self.allow
    }

    /// Connects to a peer on the allowlist, within `timeout`.
    pub async fn connect(&self, peer: EndpointAddr, timeout: Duration) -> Result<Connection> {
        let id = peer.id;
        if !self.allow.contains(&id) {
            return Err(Error::NotAllowed(id.to_string()));
        }
        let connecting = self.endpoint.connect(peer, TUNNEL_ALPN);
        match tokio::time::timeout(timeout, connecting).await {
            Ok(Ok(connection)) => Ok(connection),
            Ok(Err(e)) => Err(Error::Connect { peer: id.to_string(), reason: e.to_string() }),
            Err(_) => Err(Error::Connect { peer: id.to_string(), reason: format!("no answer within {timeout:?}") }),
        }
    }

    /// The next incoming connection attempt; `None` once the endpoint closed. Finish it with
    /// [`Handshake::finish`] in a task of its own: anyone who knows the endpoint's address can
    /// start a handshake and never end it, and no other connection should wait for that.
    pub async fn incoming(&self) -> Option<Handshake> {
        self.endpoint.accept().await.map(Handshake)
    }

    /// The state of the connection to the relay: connected, or refused (with the relay's reason).
    pub fn relay_report(&self) -> Vec<RelayReport> {
        use iroh::Watcher;
        self.endpoint
            .home_relay_status()
            .get()
            .iter()
            .map(|status| RelayReport {
                url: status.url().to_string(),
                connected: status.is_connected(),
                refused: status.auth_denied_reason().map(str::to_owned),
            })
            .collect()
    }

    /// Closes every connection and the endpoint.
    pub async fn close(&self) {
        self.endpoint.close().await;
    }
}

/// The endpoint's link to its relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayReport {
    /// The relay's URL.
    pub url: String,
    /// Whether the endpoint is connected to it now.
    pub connected: bool,
    /// Why the relay refused this endpoint, if it did.
    pub refused: Option<String>,
}

/// The path a connection currently sends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathReport {
    /// `true` for a direct UDP path (possibly hole-punched), `false` through the relay.
    pub direct: bool,
    /// Round-trip time on that path.
    pub rtt: Duration,
    /// The remote address of that path (an IP address and port, or the relay URL).
    pub remote: String,
}

/// The peer's IP addresses on the paths of `connection`: the selected one first if it is direct,
/// then those the endpoint is still trying (the peer's addresses learned while connecting, which
/// the endpoint dials anyway), so that a peer reached through the relay at first need not wait
/// for hole punching to be found.
pub(crate) fn path_ips(connection: &Connection) -> Vec<std::net::IpAddr> {
    let paths = connection.paths();
    let mut ips: Vec<std::net::IpAddr> = Vec::new();
    let selected_first =
        paths.iter().filter(|path| path.is_selected()).chain(paths.iter().filter(|path| !path.is_selected()));
    for path in selected_first {
        if let iroh::TransportAddr::Ip(addr) = path.remote_addr()
            && !ips.contains(&addr.ip())
        {
            ips.push(addr.ip());
        }
    }
    ips
}

/// The path `connection` has selected, if any.
pub fn selected_path(connection: &Connection) -> Option<PathReport> {
    let paths = connection.paths();
    let selected = paths.iter().find(|path| path.is_selected())?;
    Some(PathReport { direct: selected.is_ip(), rtt: selected.rtt(), remote: format!("{:?}", selected.remote_addr()) })
}
