//! QUIC address discovery: a UDP port where a party's endpoint learns the address and port its
//! NAT gives it, as seen from the public side. Without it, parties behind NAT cannot tell each
//! other where to punch holes and stay relayed.
//!
//! It speaks QUIC, so it needs TLS: it uses the mediator's HTTPS certificate (files or ACME),
//! or, on a plain-HTTP mediator, makes a self-signed one on first start (kept in the data
//! directory) that clients fetch from `/relay-info`. The discovery port only reports addresses; a forged answer could at worst make
//! hole punching fail, never let anyone into a peer connection, which is authenticated by the
//! parties' own keys.

use std::path::Path;
use std::sync::Arc;

use iroh_relay::server::{QuicConfig, Server, ServerConfig};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::ResolvesServerCert;

use crate::config::MediatorConfig;
use crate::error::{Error, Result};

const CERT_FILE: &str = "quic-cert.der";
const KEY_FILE: &str = "quic-key.der";

/// The running discovery service, and what clients need to use it.
#[derive(Debug)]
pub(crate) struct AddressDiscovery {
    _server: Server,
    pub port: u16,
    /// The self-signed certificate clients must trust (DER); `None` with a configured one.
    pub certificate: Option<Vec<u8>>,
}

/// Starts address discovery if `--quic-listen` is set.
pub(crate) async fn start(
    config: &MediatorConfig,
    data_dir: &Path,
    public_url: &url::Url,
    https: Option<Arc<dyn ResolvesServerCert>>,
) -> Result<Option<AddressDiscovery>> {
    let Some(bind) = config.quic_listen else { return Ok(None) };
    let builder = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| Error::Startup(format!("QUIC address discovery TLS: {e}")))?
        .with_no_client_auth();
    // The HTTPS certificate when there is one (reloads and renewals included): clients check it
    // as they check the mediator's, and need nothing pinned.
    let (tls, self_signed) = match https {
        Some(resolver) => (builder.with_cert_resolver(resolver), None),
        None => {
            let (cert, key) = self_signed(data_dir, public_url, bind)?;
            let chain = vec![CertificateDer::from(cert.clone())];
            let tls = builder
                .with_single_cert(chain, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)))
                .map_err(|e| Error::Startup(format!("QUIC address discovery TLS: {e}")))?;
            (tls, Some(cert))
        }
    };
    let mut quic = QuicConfig::new(bind);
    quic.server_config = Some(tls);
    let mut server_config = ServerConfig::default();
    server_config.quic = Some(quic);
    let server = Server::spawn(server_config)
        .await
        .map_err(|e| Error::Startup(format!("QUIC address discovery on {bind}: {e}")))?;
    let port = server.quic_addr().map(|a| a.port()).unwrap_or(bind.port());
    tracing::info!(port, "QUIC address discovery listening");
    Ok(Some(AddressDiscovery { _server: server, port, certificate: self_signed }))
}

/// The mediator's self-signed certificate and PKCS#8 key, made once and kept (0600).
fn self_signed(data_dir: &Path, public_url: &url::Url, bind: std::net::SocketAddr) -> Result<(Vec<u8>, Vec<u8>)> {
    let (cert_path, key_path) = (data_dir.join(CERT_FILE), data_dir.join(KEY_FILE));
    if let (Ok(cert), Ok(key)) = (std::fs::read(&cert_path), std::fs::read(&key_path)) {
        return Ok((cert, key));
    }
    let mut names: Vec<String> =
        public_url.host_str().map(|h| vec![h.trim_matches(['[', ']']).to_owned()]).unwrap_or_default();
    if !bind.ip().is_unspecified() {
        names.push(bind.ip().to_string());
    }
    names.push("localhost".to_owned());
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| Error::Startup(format!("making a self-signed certificate: {e}")))?;
    let (cert, key) = (certified.cert.der().to_vec(), certified.signing_key.serialize_der());
    write_private(&cert_path, &cert)?;
    write_private(&key_path, &key)?;
    Ok((cert, key))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    mpc_identity::files::replace_private_file(path, bytes)
        .map_err(|e| Error::Startup(format!("writing {}: {e}", path.display())))
}
