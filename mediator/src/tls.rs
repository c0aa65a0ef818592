//! HTTPS on the mediator's own port: a certificate from files (reloaded when they change or on
//! SIGHUP, without dropping a connection), or one it obtains and renews itself by ACME.
//!
//! did:webvh resolves only over HTTPS, a browser checks an invitation's signature only in a
//! secure context, and parties' metadata should not travel in the clear: a mediator on the
//! internet serves HTTPS. Plain HTTP stays for loopback, tests and TLS-terminating proxies.
//!
//! ACME uses the TLS-ALPN-01 challenge, answered on this same port, so one open port (443)
//! suffices. The ACME account key and the certificate are cached in the data directory (0600),
//! so a restart deploys the cached certificate instead of placing a new order; renewal starts
//! when two thirds of the certificate's lifetime have passed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::config::MediatorConfig;
use crate::error::{Error, Result};

/// The ALPN protocol of the TLS-ALPN-01 challenge: such a connection carries no HTTP.
pub(crate) const ACME_ALPN: &[u8] = b"acme-tls/1";

/// How often the certificate files are checked for changes.
const RELOAD_CHECK: Duration = Duration::from_secs(2);

/// The running HTTPS set-up: what accepts TLS on the listener, and what chooses its certificate
/// (shared with QUIC address discovery).
#[derive(Clone)]
pub(crate) struct Https {
    pub(crate) acceptor: tokio_rustls::TlsAcceptor,
    pub(crate) resolver: Arc<dyn ResolvesServerCert>,
}

impl std::fmt::Debug for Https {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Https(..)")
    }
}

/// Starts HTTPS if a certificate or ACME is configured; `None` for plain HTTP.
pub(crate) async fn start(config: &MediatorConfig, data_dir: &Path) -> Result<Option<Https>> {
    let (resolver, acme): (Arc<dyn ResolvesServerCert>, bool) = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => (FileCertificate::watch(cert.clone(), key.clone())?, false),
        _ if !config.acme.is_empty() => (start_acme(config, data_dir)?, true),
        _ => return Ok(None),
    };
    let mut server = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Startup(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::clone(&resolver));
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    if acme {
        server.alpn_protocols.push(ACME_ALPN.to_vec());
    }
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    Ok(Some(Https { acceptor, resolver }))
}

/// A certificate and key read from PEM files, read again when either file changes.
#[derive(Debug)]
struct FileCertificate {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for FileCertificate {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|current| Arc::clone(&current))
    }
}

impl FileCertificate {
    /// Loads the pair (an unusable pair stops start-up) and watches the files: a change, or
    /// SIGHUP, loads them again; a pair that does not load then keeps the old one, logged.
    fn watch(cert: PathBuf, key: PathBuf) -> Result<Arc<Self>> {
        let loaded = load(&cert, &key).map_err(Error::Startup)?;
        let watched = Arc::new(FileCertificate { cert, key, current: RwLock::new(Arc::new(loaded)) });
        let files = Arc::clone(&watched);
        tokio::spawn(async move {
            let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut seen = files.modified();
            loop {
                let signalled = tokio::select! {
                    Some(()) = async { match hangup.as_mut() { Some(h) => h.recv().await, None => None } } => true,
                    () = tokio::time::sleep(RELOAD_CHECK) => false,
                };
                let now = files.modified();
                if signalled || now != seen {
                    seen = now;
                    files.reload();
                }
            }
        });
        Ok(watched)
    }

    fn modified(&self) -> [Option<SystemTime>; 2] {
        [&self.cert, &self.key].map(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
    }

    fn reload(&self) {
        match load(&self.cert, &self.key) {
            Ok(loaded) => {
                if let Ok(mut current) = self.current.write() {
                    *current = Arc::new(loaded);
                }
                tracing::info!(cert = %self.cert.display(), "loaded the TLS certificate again");
            }
            Err(reason) => tracing::warn!(%reason, "kept the previous TLS certificate"),
        }
    }
}

/// A certificate chain and its private key, checked to belong together.
fn load(cert: &Path, key: &Path) -> std::result::Result<CertifiedKey, String> {
    let chain = read_certificates(cert).map_err(|e| format!("reading the certificate {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no PEM certificate", cert.display()));
    }
    let key_der =
        PrivateKeyDer::from_pem_file(key).map_err(|e| format!("reading the private key {}: {e}", key.display()))?;
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| format!("the private key {} cannot sign: {e}", key.display()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| format!("{} is not the key of {}: {e}", key.display(), cert.display()))?;
    Ok(certified)
}

/// Every certificate of a PEM file.
fn read_certificates(path: &Path) -> std::result::Result<Vec<CertificateDer<'static>>, rustls::pki_types::pem::Error> {
    CertificateDer::pem_file_iter(path)?.collect()
}

/// Starts the ACME client in the background: it deploys a cached certificate at once, orders one
/// when there is none, and renews it before it expires.
fn start_acme(config: &MediatorConfig, data_dir: &Path) -> Result<Arc<dyn ResolvesServerCert>> {
    let client = acme_client_config(config.acme_ca_file.as_deref())?;
    let mut acme = tokio_rustls_acme::AcmeConfig::new(&config.acme)
        .client_tls_config(Arc::new(client))
        .directory(config.acme_directory.as_str())
        .cache(AcmeCache { dir: data_dir.join("acme") });
    if let Some(email) = &config.acme_email {
        acme = acme.contact_push(format!("mailto:{email}"));
    }
    let mut state = acme.state();
    let resolver = state.resolver();
    let domains = config.acme.join(", ");
    tokio::spawn(async move {
        while let Some(event) = state.next().await {
            match event {
                Ok(done) => tracing::info!(%domains, event = ?done, "ACME"),
                Err(error) => tracing::warn!(%domains, %error, "ACME (will try again)"),
            }
        }
    });
    Ok(resolver)
}

/// How the ACME client checks the directory's certificate: the system's roots, and `ca_file`
/// (a staging or private CA's own root, such as Pebble's).
fn acme_client_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let extra = match ca_file {
        Some(path) => read_certificates(path)
            .map_err(|e| Error::Startup(format!("reading --acme-ca-file {}: {e}", path.display())))?,
        None => Vec::new(),
    };
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
        .map_err(|e| Error::Startup(format!("ACME client TLS: {e}")))?;
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Startup(format!("ACME client TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// The ACME account key and certificates, one file each under `dir`, owner-only (the account key
/// can revoke the certificates), replaced atomically so a crash leaves the old file whole.
#[derive(Debug)]
struct AcmeCache {
    dir: PathBuf,
}

impl AcmeCache {
    /// `kind-HASH`: the hash of what the file belongs to (domains or contacts, and directory).
    fn path(&self, kind: &str, names: &[String], directory: &str) -> PathBuf {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        for name in names {
            hash.update(name.as_bytes());
            hash.update([0]);
        }
        hash.update(directory.as_bytes());
        let digest = hash.finalize();
        let name: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{kind}-{name}"))
    }

    fn load(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn store(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&self.dir)?;
        mpc_identity::files::replace_private_file(path, bytes)
    }
}

#[async_trait::async_trait]
impl tokio_rustls_acme::CertCache for AcmeCache {
    type EC = std::io::Error;

    async fn load_cert(&self, domains: &[String], directory: &str) -> std::io::Result<Option<Vec<u8>>> {
        Self::load(&self.path("certificate", domains, directory))
    }

    async fn store_cert(&self, domains: &[String], directory: &str, cert: &[u8]) -> std::io::Result<()> {
        self.store(&self.path("certificate", domains, directory), cert)
    }
}

#[async_trait::async_trait]
impl tokio_rustls_acme::AccountCache for AcmeCache {
    type EA = std::io::Error;

    async fn load_account(&self, contact: &[String], directory: &str) -> std::io::Result<Option<Vec<u8>>> {
        Self::load(&self.path("account", contact, directory))
    }

    async fn store_account(&self, contact: &[String], directory: &str, account: &[u8]) -> std::io::Result<()> {
        self.store(&self.path("account", contact, directory), account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpc_test_support::pki::PrivateCa;

    fn served(watched: &FileCertificate) -> Vec<u8> {
        watched.current.read().expect("lock").cert[0].to_vec()
    }

    /// Yields to the watcher a few times, the clock `by` further on.
    async fn advance(by: Duration) {
        tokio::time::advance(by).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    /// Files replaced with their times kept are not read again by the periodic check (SIGHUP is
    /// what loads them: `tests/tests/integration/https_mediator.rs`); a new time is. The clock is
    /// moved past the check interval, not waited for.
    #[tokio::test(start_paused = true)]
    async fn the_files_are_read_again_when_their_times_change_and_only_then() {
        let ca = PrivateCa::new("tls watch test CA");
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = ca.issue(&["localhost"], dir.path(), "server");
        let watched = FileCertificate::watch(cert.clone(), key.clone()).expect("watch");
        let first = served(&watched);
        let times = [&cert, &key].map(|path| std::fs::metadata(path).and_then(|m| m.modified()).expect("mtime"));
        ca.issue(&["localhost"], dir.path(), "server");
        for (path, time) in [&cert, &key].into_iter().zip(times) {
            std::fs::File::options().write(true).open(path).and_then(|f| f.set_modified(time)).expect("set mtime");
        }
        for _ in 0..3 {
            advance(RELOAD_CHECK).await;
        }
        assert_eq!(served(&watched), first, "unchanged times: not read again");
        let later = times[0] + Duration::from_secs(10);
        for path in [&cert, &key] {
            std::fs::File::options().write(true).open(path).and_then(|f| f.set_modified(later)).expect("set mtime");
        }
        advance(RELOAD_CHECK).await;
        assert_ne!(served(&watched), first, "new times: the new pair is served");
    }
}
