//! Which TLS servers a party trusts, one answer for every TLS client in the process: the HTTP
//! client, the live inbox's WebSocket, and the peer endpoint's relay and address-discovery
//! connections.
//!
//! Trust is the operating system's (the platform verifier, which on Linux reads the system store
//! and honours `SSL_CERT_FILE` and `SSL_CERT_DIR`), plus the certificates of a private CA a user
//! names: `--ca-file FILE` on the command line, or `MPC_ID_CA_FILE`. Organisations that run
//! their own CA, and tests, trust a mediator that way without touching the system store.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::{Error, Result};

/// The environment variable naming a PEM file of extra CA certificates.
pub const CA_FILE_ENV: &str = "MPC_ID_CA_FILE";

/// The extra roots, read once per process.
static EXTRA_ROOTS: OnceLock<std::result::Result<Vec<CertificateDer<'static>>, String>> = OnceLock::new();

/// Trusts the CA certificates in `path` (PEM) for every TLS connection this process makes, in
/// addition to the system's. Call it before the first connection (the CLI does, for
/// `--ca-file`); a later call, or one after `MPC_ID_CA_FILE` was read, is an error.
pub fn trust_ca_file(path: &Path) -> Result<()> {
    let roots = read_roots(path);
    let failed = roots.as_ref().err().cloned();
    EXTRA_ROOTS.set(roots).map_err(|_| Error::Tls("the CA file was already chosen for this process".to_owned()))?;
    failed.map_or(Ok(()), |reason| Err(Error::Tls(reason)))
}

/// The extra roots: from [`trust_ca_file`], else from `MPC_ID_CA_FILE`, else none.
fn extra_roots() -> Result<Vec<CertificateDer<'static>>> {
    EXTRA_ROOTS
        .get_or_init(|| match std::env::var_os(CA_FILE_ENV) {
            Some(path) if !path.is_empty() => read_roots(&PathBuf::from(path)),
            _ => Ok(Vec::new()),
        })
        .clone()
        .map_err(Error::Tls)
}

fn read_roots(path: &Path) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    let roots = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read CA certificates from {}: {e} (give a PEM file)", path.display()))?;
    if roots.is_empty() {
        return Err(format!("{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path.display()));
    }
    Ok(roots)
}

/// The verifier every TLS client uses: the system's trust plus the extra roots, plus `pinned`
/// (a certificate a server made for itself and the caller obtained some other authenticated
/// way, such as a relay's self-signed address-discovery certificate).
pub fn verifier(
    provider: Arc<CryptoProvider>,
    pinned: impl IntoIterator<Item = CertificateDer<'static>>,
) -> io::Result<Arc<dyn ServerCertVerifier>> {
    let mut roots = extra_roots().map_err(io::Error::other)?;
    roots.extend(pinned);
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider).map_err(io::Error::other)?;
    Ok(Arc::new(verifier))
}

/// The verifier of [`client_config`], made once per process: making one reads and parses the
/// system's CA store (about 20 ms of CPU here), and a command makes a client for each mediator
/// and relay it asks (`mpc-id run`, one per peer).
static CLIENT_VERIFIER: OnceLock<std::result::Result<Arc<dyn ServerCertVerifier>, String>> = OnceLock::new();

/// A client configuration with [`verifier`], ring, TLS 1.2 and 1.3, offering `alpn`.
pub fn client_config(alpn: &[&[u8]]) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = CLIENT_VERIFIER
        .get_or_init(|| verifier(provider.clone(), []).map_err(|e| e.to_string()))
        .clone()
        .map_err(Error::Tls)?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    Ok(config)
}

/// What to tell a user whose connection failed on a certificate, given the error's text; `None`
/// when the failure is not about certificates.
pub fn certificate_hint(reason: &str) -> Option<&'static str> {
    let lower = reason.to_ascii_lowercase();
    if lower.contains("not valid for name") {
        Some("the server's TLS certificate is for another name: use the URL with the name the certificate names")
    } else if lower.contains("expired") {
        Some("the server's TLS certificate has expired (or this machine's clock is wrong): tell its operator")
    } else if lower.contains("unknownissuer") || lower.contains("unknown issuer") || lower.contains("certificate") {
        Some(
            "the server's TLS certificate is not trusted here: if it comes from a private CA, trust \
             that CA with --ca-file FILE or MPC_ID_CA_FILE=FILE (or SSL_CERT_FILE)",
        )
    } else {
        None
    }
}
