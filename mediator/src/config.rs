//! How a mediator is configured: every option a flag and an environment variable, with defaults
//! that run a working mediator on loopback with a SQLite file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// Options of `mpc-mediator` and `mpc-id mediator serve`.
#[derive(Clone, Debug, Args)]
pub struct MediatorConfig {
    /// Address to listen on.
    #[arg(long, env = "MPC_MEDIATOR_LISTEN", default_value = "127.0.0.1:7070")]
    pub listen: SocketAddr,

    /// The URL parties reach this mediator at (goes into its DID document and theirs)
    /// [default: http://LISTEN].
    #[arg(long, env = "MPC_MEDIATOR_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<url::Url>,

    /// Database: `sqlite://FILE` or `postgres://...` [default: SQLite file in the data directory].
    #[arg(long, env = "MPC_MEDIATOR_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,

    /// Where the mediator keeps its keys (and its SQLite database by default)
    /// [default: mpc-id-mediator under the data directory].
    #[arg(long, env = "MPC_MEDIATOR_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Largest accepted request or message, in bytes.
    #[arg(long, env = "MPC_MEDIATOR_MAX_MESSAGE_BYTES", default_value_t = 256 * 1024)]
    pub max_message_bytes: usize,

    /// Most messages queued for one party; further forwards are refused until it picks up.
    #[arg(long, env = "MPC_MEDIATOR_QUEUE_CAP", default_value_t = 10_000)]
    pub queue_cap: u64,

    /// How long an unpicked message is kept (e.g. 7d, 12h).
    #[arg(long, env = "MPC_MEDIATOR_MESSAGE_TTL", default_value = "7d", value_parser = humantime::parse_duration)]
    pub message_ttl: Duration,

    /// Requests a second one client address may make (0: no limit).
    #[arg(long, env = "MPC_MEDIATOR_RATE_LIMIT_IP", default_value_t = 200)]
    pub rate_limit_ip: u32,

    /// Requests a second one authenticated DID may make (0: no limit).
    #[arg(long, env = "MPC_MEDIATOR_RATE_LIMIT_DID", default_value_t = 100)]
    pub rate_limit_did: u32,

    /// How long a WebSocket may stay open without an authenticated message before it is closed.
    #[arg(long, env = "MPC_MEDIATOR_WS_AUTH_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub ws_auth_timeout: Duration,

    /// Log format on stderr.
    #[arg(long, env = "MPC_MEDIATOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// UDP address for QUIC address discovery, which tells parties behind NAT their public
    /// address so hole punching can work (iroh's port is 7842). Off when not given.
    #[arg(long, env = "MPC_MEDIATOR_QUIC_LISTEN", value_name = "ADDR")]
    pub quic_listen: Option<SocketAddr>,

    /// PEM certificate chain for QUIC address discovery [default: a self-signed one, made on
    /// first start in the data directory, that clients fetch from /relay-info].
    #[arg(long, env = "MPC_MEDIATOR_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[arg(long, env = "MPC_MEDIATOR_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl MediatorConfig {
    /// A configuration for tests and embedding: loopback on an ephemeral port, data in `data_dir`,
    /// no rate limits.
    pub fn local(data_dir: impl Into<PathBuf>) -> Self {
        MediatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            database_url: None,
            data_dir: Some(data_dir.into()),
            max_message_bytes: 256 * 1024,
            queue_cap: 10_000,
            message_ttl: Duration::from_secs(7 * 24 * 3600),
            rate_limit_ip: 0,
            rate_limit_did: 0,
            ws_auth_timeout: Duration::from_secs(30),
            log_format: LogFormat::Text,
            quic_listen: None,
            tls_cert: None,
            tls_key: None,
        }
    }

    /// The data directory, defaulted.
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.data_dir.clone().or_else(|| dirs::data_dir().map(|d| d.join("mpc-id-mediator")))
    }
}
