//! The mpc-id mediator: a DIDComm v2 service that stores and forwards end-to-end encrypted
//! messages for parties that are offline or behind NAT.
//!
//! It is trusted to be available, never to be honest: it sees envelopes and metadata (who has a
//! queue here, sizes, times), never contents, and everything it says is checked by clients
//! against keys they resolved themselves.
//!
//! Its public surface is what a host needs: [`MediatorConfig`], [`start`] (or
//! [`serve_until_signal`]) and the [`RunningMediator`] it returns, [`init_logging`], and
//! enrollment [`tokens`] for closed mediators. Inside, one module per concern:
//! `config`, `identity` (its keys and DIDs), `store` (the storage trait and its databases),
//! `protocol` (forward, coordinate mediation, pickup, trust ping, discover features), `ledger`
//! (the did:webvh logs it hosts), `oob` (short `_oobid` links), `relay` (the iroh relay for
//! parties' peer connections, on the same port), `discovery` (QUIC address discovery),
//! `listener` (accepting connections under caps), `routes` (the HTTP API) and `websocket` (a
//! WebSocket's DIDComm session).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! // A mediator on a loopback port, with SQLite in a data directory of its own.
//! let data = tempfile::tempdir()?;
//! let running = mpc_mediator::start(mpc_mediator::MediatorConfig::local(data.path())).await?;
//! println!("mediator {} listening on {}", running.did(), running.address);
//! assert!(running.did().starts_with("did:peer:2"));
//! running.stop().await?;
//! # Ok(()) })
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]

mod activity;
mod budget;
mod clock;
pub mod config;
mod discovery;
mod documents;
mod error;
mod identity;
mod ledger;
mod limits;
mod listener;
mod live;
mod metrics;
mod oob;
mod owners;
mod pages;
mod protocol;
mod refusals;
mod relay;
mod routes;
mod store;
mod tls;
pub mod tokens;
mod websocket;

use std::net::SocketAddr;
use std::sync::Arc;

pub use config::MediatorConfig;
pub use error::{Error, Result};
use identity::MediatorIdentity;
use live::LiveHub;
use metrics::Metrics;
use store::Store;
pub use store::default_sqlite_url;

/// A running mediator's shared state.
#[derive(Debug)]
pub(crate) struct Mediator {
    pub(crate) config: MediatorConfig,
    pub(crate) identity: MediatorIdentity,
    store: Box<dyn Store>,
    metrics: Metrics,
    live: Arc<LiveHub>,
    limits: limits::Limits,
    owners: owners::OwnerCache,
    activity: activity::Activity,
    /// Where hosted did:webvh DIDs live: the public URL, if it has a host name.
    ledger_base: Option<url::Url>,
    /// Verified documents of hosted did:webvh parties that talk DIDComm here, refreshed from the
    /// ledger whenever one sends (see `ledger::learn_sender`).
    ledger_documents: documents::DocumentCache,
    /// CPU (milliseconds) each client network may have the ledger spend verifying for it.
    pub(crate) ledger_cpu: budget::Budget,
    /// Bytes each client network may read from the routes anyone may read.
    pub(crate) egress: budget::Budget,
    /// Logs and witness files that failed verification, by content: refused again for a hash.
    pub(crate) ledger_refusals: refusals::Refusals,
    /// QUIC address discovery for parties behind NAT, when configured.
    pub(crate) discovery: Option<discovery::AddressDiscovery>,
    /// HTTPS on the listener, when configured.
    pub(crate) https: Option<tls::Https>,
    /// Now, for every rule that depends on time (tests move it).
    clock: clock::Clock,
}

/// A mediator listening on a socket, as returned by [`start`].
#[derive(Debug)]
pub struct RunningMediator {
    /// The socket it listens on.
    pub address: SocketAddr,
    state: Arc<Mediator>,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl RunningMediator {
    /// The mediator's own DID (did:peer:2), the one parties trust it by.
    pub fn did(&self) -> &str {
        &self.state.identity.did
    }

    /// The did:webvh address under which it hosts the party `name`'s log, if its public URL has
    /// a host name a DID can carry.
    pub fn ledger_address(&self, name: &str) -> Option<String> {
        self.state.ledger_address(name)
    }

    /// The `did:key` with which it witnesses the logs it hosts.
    pub fn witness_did(&self) -> String {
        self.state.witness_did()
    }

    /// Lets `did` use the relay with the Ed25519 key `key`, as enrolling would (benches and
    /// tests that measure the relay without a DIDComm enrollment first).
    #[cfg(feature = "test-hooks")]
    pub async fn register_relay_key(&self, key: &[u8; 32], did: &str) -> Result<()> {
        self.state.register_relay_key(&mpc_identity::hex(key), did).await
    }

    /// Moves the mediator's clock `by` ahead: expiry, sweeps, rate-limit buckets, budgets and
    /// replay windows see the time as later (tests of rules that take seconds or hours).
    #[cfg(feature = "test-hooks")]
    pub fn advance_clock(&self, by: std::time::Duration) {
        self.state.clock.advance(by);
    }

    /// Runs the periodic sweep now (tests that cannot wait for its hour): returns how many
    /// expired messages and idle enrollments it dropped.
    #[cfg(feature = "test-hooks")]
    pub async fn sweep_now(&self) -> Result<(u64, u64)> {
        let swept = self.state.sweep().await?;
        Ok((swept.expired_messages, swept.idle_enrollments))
    }

    /// Stops accepting connections, finishes requests in flight, and waits for the server.
    pub async fn stop(self) -> Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.map_err(|e| Error::Startup(format!("server task failed: {e}")))?
    }
}

/// Opens storage and keys, binds the listener and starts serving in the background.
pub async fn start(config: MediatorConfig) -> Result<RunningMediator> {
    match listener::raise_fd_limit() {
        Some(files) if (files as usize) < config.max_connections + 256 => tracing::warn!(
            files,
            max_connections = config.max_connections,
            "the open-file limit is below --max-connections (plus room for the database): raise LimitNOFILE"
        ),
        _ => {}
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| Error::Startup(format!("cannot listen on {}: {e}", config.listen)))?;
    let address = listener.local_addr().map_err(|e| Error::Startup(e.to_string()))?;
    let metrics_listener = match config.metrics_listen {
        Some(at) => Some(
            tokio::net::TcpListener::bind(at)
                .await
                .map_err(|e| Error::Startup(format!("cannot listen for metrics on {at}: {e}")))?,
        ),
        None => None,
    };
    let state = Arc::new(Mediator::open(config, address).await?);
    let (shutdown, stopped) = tokio::sync::watch::channel(false);
    let stopped_too = stopped.clone();
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    if let Some(listener) = metrics_listener {
        tokio::spawn(routes::serve_metrics(Arc::clone(&state), listener, until_stopped(stopped_too)));
    }
    let server = routes::serve(Arc::clone(&state), listener, until_stopped(stopped));
    let task = tokio::spawn(server);
    Ok(RunningMediator { address, state, shutdown, task })
}

/// Runs a mediator until SIGTERM or Ctrl-C, then shuts down gracefully. What both
/// `mpc-mediator` and `mpc-id mediator serve` do.
pub async fn serve_until_signal(config: MediatorConfig) -> Result<()> {
    let running = start(config).await?;
    tracing::info!(address = %running.address, "listening");
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    running.stop().await
}

/// Service logging: RUST_LOG or `info`, as text or JSON lines on stderr. For binaries to call.
///
/// iroh's relay logs a warning for every packet it drops for a receiver that reads too slowly
/// and for every client that goes away without a goodbye: one busy party would flood the log
/// (and the disk under it), so by default only its errors are logged.
pub fn init_logging(format: config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,iroh_relay=error"));
    use std::io::IsTerminal;
    // Colour only for a person at a terminal: a journal or a redirected file gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(mpc_identity::text::colour(std::io::stderr().is_terminal()));
    match format {
        config::LogFormat::Json => builder.json().init(),
        config::LogFormat::Text => builder.init(),
    }
}

/// SIGTERM (service managers) or Ctrl-C.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

impl Mediator {
    /// Opens the data directory, the database (migrating it) and the mediator's keys.
    pub(crate) async fn open(config: MediatorConfig, bound: SocketAddr) -> Result<Self> {
        let data_dir = config
            .data_dir()
            .ok_or_else(|| Error::Startup("no data directory: set --data-dir or MPC_MEDIATOR_DATA_DIR".to_owned()))?;
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| Error::Startup(format!("cannot create data directory {}: {e}", data_dir.display())))?;
        config.check().map_err(Error::Startup)?;
        let public_url = match &config.public_url {
            Some(url) => as_directory(url),
            None => default_public_url(&config, bound)?,
        };
        let identity = MediatorIdentity::load_or_create(&data_dir, &public_url)?;
        let database_url = config.database_url.clone().unwrap_or_else(|| store::default_sqlite_url(&data_dir));
        let store = store::open(&database_url).await?;
        let live = Arc::new(LiveHub::default());
        let hub = Arc::clone(&live);
        store.watch(Arc::new(move |owner: &str, message| hub.arrived(owner, message))).await?;
        tracing::info!(did = %identity.did, web_did = %identity.web_did, endpoint = %identity.endpoint, "mediator ready");
        // Ten seconds' worth may be owed: a legitimate publisher's largest log goes through.
        let clock = clock::Clock::default();
        let ledger_cpu =
            budget::Budget::new(config.ledger_cpu_ms_per_second, 10 * config.ledger_cpu_ms_per_second, &clock);
        let egress = budget::Budget::new(config.egress_bytes_per_second, 10 * config.egress_bytes_per_second, &clock);
        let limits =
            limits::Limits::new(config.rate_limit_ip, config.rate_limit_did, config.enrollments_per_hour, &clock);
        let ledger_base = ledger_base(&public_url, config.public_url.is_some());
        let https = tls::start(&config, &data_dir).await?;
        let resolver = https.as_ref().map(|https| Arc::clone(&https.resolver));
        let discovery = discovery::start(&config, &data_dir, &public_url, resolver).await?;
        Ok(Mediator {
            config,
            identity,
            store,
            metrics: Metrics::default(),
            live,
            limits,
            owners: owners::OwnerCache::new(&clock),
            activity: Default::default(),
            ledger_base,
            ledger_documents: Default::default(),
            ledger_cpu,
            egress,
            ledger_refusals: Default::default(),
            discovery,
            https,
            clock,
        })
    }

    /// Deletes expired messages, replay records past the replay window and enrollments idle
    /// past their time; run periodically.
    pub(crate) async fn sweep(&self) -> Result<store::Sweep> {
        self.limits.forget_idle();
        self.ledger_cpu.forget_paid();
        self.egress.forget_paid();
        let now = self.now();
        self.activity.forget_before(now);
        let seen_before = now.saturating_sub(self.config.replay_window.as_secs());
        let idle_before = now.saturating_sub(self.config.enrollment_idle.as_secs());
        let swept = self.store.sweep(now, seen_before, idle_before).await?;
        if swept.expired_messages > 0 {
            tracing::info!(expired = swept.expired_messages, "dropped expired messages");
        }
        if swept.idle_enrollments > 0 {
            self.owners.clear();
            tracing::info!(idle = swept.idle_enrollments, "dropped idle enrollments with their queues");
        }
        Ok(swept)
    }
}

impl Mediator {
    /// Unix seconds on the mediator's clock.
    pub(crate) fn now(&self) -> u64 {
        self.clock.unix_now()
    }

    /// The party that registered `recipient`, if any.
    pub(crate) async fn owner_of(&self, recipient: &str) -> Result<Option<String>> {
        if let Some(owner) = self.owners.get(recipient) {
            return Ok(Some(owner));
        }
        let owner = self.store.owner_of(recipient).await?;
        if let Some(owner) = &owner {
            self.owners.put(recipient, owner);
        }
        Ok(owner)
    }
}

/// Where parties reach a mediator that was not told: its ACME domain, else its own address (over
/// HTTPS when it has a certificate).
fn default_public_url(config: &MediatorConfig, bound: SocketAddr) -> Result<url::Url> {
    let url = match config.acme.first() {
        Some(domain) if bound.port() == 443 => format!("https://{domain}/"),
        Some(domain) => format!("https://{domain}:{}/", bound.port()),
        None if config.https() => format!("https://{bound}/"),
        None => format!("http://{bound}/"),
    };
    url::Url::parse(&url).map_err(|e| Error::Startup(e.to_string()))
}

/// `url` as the directory every path of this mediator is under: `https://host/mpc` (a proxy
/// that maps a path to this mediator) is `https://host/mpc/`, so that `didcomm` joins beneath it.
fn as_directory(url: &url::Url) -> url::Url {
    let mut base = url.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    base.set_query(None);
    base.set_fragment(None);
    base
}

/// did:webvh names hosts, not addresses: a public URL on an IP has no ledger, except that a
/// mediator left on its default loopback address hosts DIDs as `localhost` (for development).
fn ledger_base(public_url: &url::Url, explicit: bool) -> Option<url::Url> {
    match public_url.host() {
        Some(url::Host::Domain(_)) => Some(public_url.clone()),
        Some(url::Host::Ipv4(ip)) if !explicit && ip.is_loopback() => {
            let mut base = public_url.clone();
            base.set_host(Some("localhost")).ok()?;
            Some(base)
        }
        _ => None,
    }
}
