//! The mpc-id mediator: a DIDComm v2 service that stores and forwards end-to-end encrypted
//! messages for parties that are offline or behind NAT.
//!
//! It is trusted to be available, never to be honest: it sees envelopes and metadata (who has a
//! queue here, sizes, times), never contents, and everything it says is checked by clients
//! against keys they resolved themselves.
//!
//! - [`config`]: options, from flags and the environment.
//! - [`identity`]: the mediator's keys and DIDs.
//! - [`store`]: the storage trait and its databases.
//! - [`protocol`]: forward, coordinate mediation, pickup, trust ping, discover features.
//! - [`ledger`]: the did:webvh logs it hosts.
//! - [`oob`]: short `_oobid` links for signed invitations.
//! - [`relay`]: the iroh relay for parties' peer connections, on the same port.
//! - [`http`]: the HTTP API and the WebSocket endpoint.
#![forbid(unsafe_code)]

mod activity;
pub mod config;
pub mod discovery;
mod documents;
mod error;
pub mod http;
pub mod identity;
pub mod ledger;
mod limits;
pub mod listener;
mod live;
mod metrics;
pub mod oob;
mod owners;
pub mod protocol;
pub mod relay;
pub mod store;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;

pub use config::MediatorConfig;
pub use error::{Error, Result};
use identity::MediatorIdentity;
use live::LiveHub;
use metrics::Metrics;
use store::Store;

/// A running mediator's shared state.
#[derive(Debug)]
pub struct Mediator {
    pub config: MediatorConfig,
    pub identity: MediatorIdentity,
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
    /// QUIC address discovery for parties behind NAT, when configured.
    pub discovery: Option<discovery::AddressDiscovery>,
}

/// A mediator listening on a socket, as returned by [`start`].
#[derive(Debug)]
pub struct RunningMediator {
    pub address: SocketAddr,
    pub state: Arc<Mediator>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl RunningMediator {
    /// Stops accepting connections, finishes requests in flight, and waits for the server.
    pub async fn stop(self) -> Result<()> {
        let _ = self.shutdown.send(());
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
    let state = Arc::new(Mediator::open(config, address).await?);
    let (shutdown, stopped) = tokio::sync::oneshot::channel();
    let server = http::serve(Arc::clone(&state), listener, async {
        let _ = stopped.await;
    });
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
pub fn init_logging(format: config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
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
    pub async fn open(config: MediatorConfig, bound: SocketAddr) -> Result<Self> {
        let data_dir = config
            .data_dir()
            .ok_or_else(|| Error::Startup("no data directory: set --data-dir or MPC_MEDIATOR_DATA_DIR".to_owned()))?;
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| Error::Startup(format!("cannot create data directory {}: {e}", data_dir.display())))?;
        let public_url = match &config.public_url {
            Some(url) => url.clone(),
            None => url::Url::parse(&format!("http://{bound}/")).map_err(|e| Error::Startup(e.to_string()))?,
        };
        let identity = MediatorIdentity::load_or_create(&data_dir, &public_url)?;
        config.check().map_err(Error::Startup)?;
        let database_url = config.database_url.clone().unwrap_or_else(|| store::default_sqlite_url(&data_dir));
        let store = store::open(&database_url).await?;
        let live = Arc::new(LiveHub::default());
        let hub = Arc::clone(&live);
        store.watch(Arc::new(move |owner: &str, message| hub.arrived(owner, message))).await?;
        tracing::info!(did = %identity.did, web_did = %identity.web_did, endpoint = %identity.endpoint, "mediator ready");
        let limits = limits::Limits::new(config.rate_limit_ip, config.rate_limit_did, config.enrollments_per_hour);
        let ledger_base = ledger_base(&public_url, config.public_url.is_some());
        let discovery = discovery::start(&config, &data_dir, &public_url).await?;
        Ok(Mediator {
            config,
            identity,
            store,
            metrics: Metrics::default(),
            live,
            limits,
            owners: Default::default(),
            activity: Default::default(),
            ledger_base,
            ledger_documents: Default::default(),
            discovery,
        })
    }

    /// Deletes expired messages, replay records past the replay window and enrollments idle
    /// past their time; run periodically.
    pub async fn sweep(&self) -> Result<store::Sweep> {
        self.limits.forget_idle();
        let now = now();
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

/// Unix seconds.
pub(crate) fn now() -> u64 {
    mpc_identity::unix_now()
}
