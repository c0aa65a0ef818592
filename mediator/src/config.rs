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

    /// The URL parties reach this mediator at (goes into its DID document and theirs), with a
    /// path when a proxy maps one to it (`https://example.org/mpc/`) [default: http://LISTEN].
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

    /// Most messages forwarded from one client address that one party's queue holds: a single
    /// source cannot fill a queue and lock out the party's real peers.
    #[arg(long, env = "MPC_MEDIATOR_QUEUE_CAP_PER_SOURCE", default_value_t = 1_000)]
    pub queue_cap_per_source: u64,

    /// Most bytes of a party's queue that messages from one client network may fill.
    #[arg(long, env = "MPC_MEDIATOR_QUEUE_BYTES_PER_SOURCE", default_value_t = 32 * 1024 * 1024)]
    pub queue_bytes_per_source: u64,

    /// How long a message id or forwarded envelope is remembered to refuse replays; a message
    /// whose `created_time` is older is refused outright. Must be longer than --message-ttl.
    #[arg(long, env = "MPC_MEDIATOR_REPLAY_WINDOW", default_value = "30d", value_parser = humantime::parse_duration)]
    pub replay_window: Duration,

    /// Most TCP connections open at once, in total.
    #[arg(long, env = "MPC_MEDIATOR_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,

    /// Most TCP connections open at once from one client address (trusted proxies excepted).
    #[arg(long, env = "MPC_MEDIATOR_MAX_CONNECTIONS_PER_SOURCE", default_value_t = 64)]
    pub max_connections_per_source: usize,

    /// How long a connection may take to send a request's headers, counted from when it opens or
    /// its previous response ends: slow and idle keep-alive connections are closed after it.
    #[arg(long, env = "MPC_MEDIATOR_HEADER_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_timeout: Duration,

    /// A reverse proxy (CIDR, repeatable or comma-separated) whose `X-Forwarded-For` names the
    /// client: requests from it count against that address, not the proxy's.
    #[arg(long = "trusted-proxy", env = "MPC_MEDIATOR_TRUSTED_PROXIES", value_name = "CIDR", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// How long a request's body may take beyond what --min-body-rate allows: a body trickled
    /// slower is cut off (408) and its connection closed.
    #[arg(long, env = "MPC_MEDIATOR_BODY_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub body_timeout: Duration,

    /// The slowest a request body may arrive, in bytes per second, once --body-timeout is spent.
    #[arg(long, env = "MPC_MEDIATOR_MIN_BODY_RATE", default_value_t = 16 * 1024)]
    pub min_body_rate: u64,

    /// How long a write to a client may stall (a response, a live delivery, relayed packets)
    /// before the connection is closed: a client that stops reading does not hold its place.
    #[arg(long, env = "MPC_MEDIATOR_WRITE_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub write_timeout: Duration,

    /// How often a WebSocket is pinged; one that sends nothing (not even the pong) for three
    /// intervals is closed.
    #[arg(long, env = "MPC_MEDIATOR_WS_PING_INTERVAL", default_value = "30s", value_parser = humantime::parse_duration)]
    pub ws_ping_interval: Duration,

    /// Milliseconds of CPU the ledger may spend a second verifying logs and witness proofs sent
    /// by one client network (ten seconds' worth may be spent at once); past it, 429. 0: no budget.
    #[arg(long, env = "MPC_MEDIATOR_LEDGER_CPU_MS_PER_SECOND", default_value_t = 50)]
    pub ledger_cpu_ms_per_second: u64,

    /// Bytes a second one client network may read from the routes anyone may read (DID logs,
    /// witness files, invitations, program bundles; ten seconds' worth at once); past it, 429.
    /// 0: no budget.
    #[arg(long, env = "MPC_MEDIATOR_EGRESS_BYTES_PER_SECOND", default_value_t = 2_000_000)]
    pub egress_bytes_per_second: u64,

    /// Most WebSockets with live delivery on that one party may hold open at once (0: no cap).
    #[arg(long, env = "MPC_MEDIATOR_LIVE_SOCKETS_PER_DID", default_value_t = 8)]
    pub live_sockets_per_did: usize,

    /// IPv6 clients are counted per network of this prefix length (a /64 is what one subscriber
    /// gets), IPv4 clients per address.
    #[arg(long, env = "MPC_MEDIATOR_IPV6_PREFIX", default_value_t = 64, value_parser = clap::value_parser!(u8).range(1..=128))]
    pub ipv6_prefix: u8,

    /// Enrollments (mediate-request from a DID not enrolled yet) one client address may make
    /// per hour (0: no limit).
    #[arg(long, env = "MPC_MEDIATOR_ENROLLMENTS_PER_HOUR", default_value_t = 20)]
    pub enrollments_per_hour: u32,

    /// Most recipient DIDs one party may register.
    #[arg(long, env = "MPC_MEDIATOR_MAX_RECIPIENTS", default_value_t = 16)]
    pub max_recipients: u64,

    /// An enrollment nobody has used for this long expires, with its queue and recipients.
    #[arg(long, env = "MPC_MEDIATOR_ENROLLMENT_IDLE", default_value = "90d", value_parser = humantime::parse_duration)]
    pub enrollment_idle: Duration,

    /// Closed mode: only identities that present an enrollment token made with
    /// `mpc-id mediator token create` may enroll.
    #[arg(long, env = "MPC_MEDIATOR_REQUIRE_TOKEN")]
    pub require_token: bool,

    /// Longest time a short invitation link lives, whatever the invitation's own expiry.
    #[arg(long, env = "MPC_MEDIATOR_OOB_MAX_LIFETIME", default_value = "30d", value_parser = humantime::parse_duration)]
    pub oob_max_lifetime: Duration,

    /// Most live short invitation links one identity may hold.
    #[arg(long, env = "MPC_MEDIATOR_OOB_PER_IDENTITY", default_value_t = 20)]
    pub oob_per_identity: u64,

    /// Most did:webvh names one client address may create per day (0: no limit).
    #[arg(long, env = "MPC_MEDIATOR_LEDGER_NAMES_PER_DAY", default_value_t = 10)]
    pub ledger_names_per_day: u32,

    /// Most entries a hosted did:webvh log may have.
    #[arg(long, env = "MPC_MEDIATOR_LEDGER_MAX_ENTRIES", default_value_t = 200)]
    pub ledger_max_entries: u32,

    /// Largest hosted did:webvh log, in bytes (at most 4 MiB).
    #[arg(long, env = "MPC_MEDIATOR_LEDGER_MAX_BYTES", default_value_t = 1024 * 1024)]
    pub ledger_max_bytes: usize,

    /// This instance's own relay URL, for a mediator of several instances behind one public URL
    /// on one PostgreSQL database: each instance needs an address of its own that parties
    /// reach. Relay connections that land here are recorded, and a peer dialling such a party
    /// through another instance is sent here (`/relay-info?endpoint=`). Leave it out with one
    /// instance.
    #[arg(long, env = "MPC_MEDIATOR_RELAY_URL", value_name = "URL")]
    pub relay_url: Option<url::Url>,

    /// Bytes a second one party may send through the relay, over all its relay connections
    /// (0: no limit): one busy pair of parties cannot starve the others of the relay.
    #[arg(long, env = "MPC_MEDIATOR_RELAY_BYTES_PER_SECOND", default_value_t = 50_000_000)]
    pub relay_bytes_per_second: u64,

    /// Log format on stderr.
    #[arg(long, env = "MPC_MEDIATOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Serve `/metrics` (with `/healthz` and `/readyz`) on this address instead, in plain HTTP,
    /// for a monitoring network (e.g. 127.0.0.1:9090): `--listen` then serves no `/metrics`.
    #[arg(long, env = "MPC_MEDIATOR_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,

    /// UDP address for QUIC address discovery, which tells parties behind NAT their public
    /// address so hole punching can work (iroh's port is 7842). Off when not given.
    #[arg(long, env = "MPC_MEDIATOR_QUIC_LISTEN", value_name = "ADDR")]
    pub quic_listen: Option<SocketAddr>,

    /// PEM certificate chain: serve HTTPS (HTTP/1.1 and HTTP/2) on --listen, and QUIC address
    /// discovery with the same certificate. Read again when the file changes or on SIGHUP,
    /// without dropping connections [default: plain HTTP; address discovery then makes a
    /// self-signed certificate, kept in the data directory, that clients fetch from /relay-info].
    #[arg(long, env = "MPC_MEDIATOR_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[arg(long, env = "MPC_MEDIATOR_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Serve HTTPS with a certificate for DOMAIN obtained and renewed by ACME (repeatable; the
    /// TLS-ALPN-01 challenge is answered on --listen, which must be reachable on port 443 under
    /// DOMAIN). Account key and certificate are cached in the data directory.
    #[arg(long, env = "MPC_MEDIATOR_ACME", value_name = "DOMAIN", value_delimiter = ',', conflicts_with = "tls_cert")]
    pub acme: Vec<String>,

    /// Contact address given to the ACME CA (expiry warnings).
    #[arg(long, env = "MPC_MEDIATOR_ACME_EMAIL", value_name = "EMAIL", requires = "acme")]
    pub acme_email: Option<String>,

    /// The ACME CA's directory [default: Let's Encrypt production; its staging directory is
    /// https://acme-staging-v02.api.letsencrypt.org/directory].
    #[arg(long, env = "MPC_MEDIATOR_ACME_DIRECTORY", value_name = "URL", default_value = LETS_ENCRYPT)]
    pub acme_directory: url::Url,

    /// PEM CA certificates to trust for the ACME directory's own HTTPS (a private ACME CA),
    /// besides the system's.
    #[arg(long, env = "MPC_MEDIATOR_ACME_CA_FILE", value_name = "FILE", requires = "acme")]
    pub acme_ca_file: Option<PathBuf>,
}

/// Let's Encrypt's production ACME directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
/// How log lines are written.
pub enum LogFormat {
    /// For people: one line per event.
    Text,
    /// For log collectors: one JSON object per line.
    Json,
}

impl MediatorConfig {
    /// A configuration for tests and embedding: loopback on an ephemeral port, data in `data_dir`,
    /// no rate limits, no per-source caps (tests run every client from one address).
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
            queue_cap_per_source: 10_000,
            queue_bytes_per_source: 1 << 40,
            replay_window: Duration::from_secs(30 * 24 * 3600),
            max_connections: 4096,
            max_connections_per_source: 4096,
            header_timeout: Duration::from_secs(10),
            trusted_proxies: Vec::new(),
            body_timeout: Duration::from_secs(10),
            min_body_rate: 16 * 1024,
            write_timeout: Duration::from_secs(30),
            ws_ping_interval: Duration::from_secs(30),
            ipv6_prefix: 64,
            live_sockets_per_did: 8,
            ledger_cpu_ms_per_second: 0,
            egress_bytes_per_second: 0,
            enrollments_per_hour: 0,
            max_recipients: 16,
            enrollment_idle: Duration::from_secs(90 * 24 * 3600),
            require_token: false,
            oob_max_lifetime: Duration::from_secs(30 * 24 * 3600),
            oob_per_identity: 20,
            ledger_names_per_day: 0,
            ledger_max_entries: 200,
            ledger_max_bytes: 1024 * 1024,
            relay_url: None,
            relay_bytes_per_second: 0,
            log_format: LogFormat::Text,
            quic_listen: None,
            metrics_listen: None,
            tls_cert: None,
            tls_key: None,
            acme: Vec::new(),
            acme_email: None,
            acme_directory: url::Url::parse(LETS_ENCRYPT).expect("a valid URL"),
            acme_ca_file: None,
        }
    }

    /// Settings that contradict each other, named.
    pub fn check(&self) -> Result<(), String> {
        if self.replay_window < self.message_ttl {
            return Err(format!(
                "--replay-window ({}) must be at least --message-ttl ({}): a replayed forward must be \
                 recognised for as long as the original could still be queued",
                humantime::format_duration(self.replay_window),
                humantime::format_duration(self.message_ttl)
            ));
        }
        for domain in &self.acme {
            if url::Host::parse(domain).map_or(true, |host| !matches!(host, url::Host::Domain(_)))
                || !domain.contains('.')
            {
                return Err(format!(
                    "--acme {domain:?}: give a DNS name such as mediator.example.org (not an address)"
                ));
            }
        }
        Ok(())
    }

    /// Whether the mediator serves HTTPS on its listener.
    pub fn https(&self) -> bool {
        self.tls_cert.is_some() || !self.acme.is_empty()
    }

    /// The database URL, defaulted to the SQLite file in the data directory.
    pub fn database_url(&self) -> crate::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        let data_dir = self.data_dir().ok_or_else(|| {
            crate::Error::Startup("no data directory: set --data-dir or MPC_MEDIATOR_DATA_DIR".into())
        })?;
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| crate::Error::Startup(format!("cannot create data directory {}: {e}", data_dir.display())))?;
        Ok(crate::store::default_sqlite_url(&data_dir))
    }

    /// The data directory, defaulted.
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.data_dir.clone().or_else(|| dirs::data_dir().map(|d| d.join("mpc-id-mediator")))
    }
}
