//! A mediator that obtains its HTTPS certificate itself, by ACME, from Pebble (Let's Encrypt's
//! own test server): TLS-ALPN-01 answered on the HTTPS port, the account key and certificate
//! cached owner-only in the data directory, the cached certificate served after a restart
//! without a new order, and a renewal before the certificate expires.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mpc_mediator::MediatorConfig;
use mpc_test_support::pebble::Pebble;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

const DOMAIN: &str = "mediator.test";

/// The certificate a TLS client asking for `DOMAIN` on `port` is served, if the handshake
/// succeeds with `root` as the only trust.
async fn served(root: &str, port: u16) -> Option<Vec<u8>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(root.as_bytes()) {
        roots.add(cert.ok()?).ok()?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let name = rustls::pki_types::ServerName::try_from(DOMAIN).ok()?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.ok()?;
    Some(tls.get_ref().1.peer_certificates()?[0].to_vec())
}

/// Waits up to `within` for a certificate other than `not`.
async fn wait_for_certificate(root: &str, port: u16, not: Option<&[u8]>, within: Duration) -> Vec<u8> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(cert) = served(root, port).await
            && Some(cert.as_slice()) != not
        {
            return cert;
        }
        assert!(Instant::now() < deadline, "no (new) certificate for {DOMAIN} within {within:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_is_obtained_by_acme_cached_reused_after_a_restart_and_renewed() {
    let port = mpc_test_support::free_port();
    // Certificates valid for 30 s: renewal is due after 20.
    let Some(pebble) = Pebble::start("acme", port, Duration::from_secs(30)) else { return };
    let data = tempfile::tempdir().expect("tempdir");
    let config = || {
        let mut config = MediatorConfig::local(data.path());
        config.listen = ([127, 0, 0, 1], port).into();
        config.acme = vec![DOMAIN.to_owned()];
        config.acme_directory = pebble.directory.parse().expect("URL");
        config.acme_ca_file = Some(pebble.api_ca.clone());
        config
    };
    let running = mpc_mediator::start(config()).await.expect("the mediator starts with ACME");
    let root = pebble.issuing_root().await;
    let first = wait_for_certificate(&root, port, None, Duration::from_secs(60)).await;

    // The account key (which can revoke the certificate) and the certificate are owner-only.
    let cached: Vec<_> = std::fs::read_dir(data.path().join("acme")).expect("an ACME cache").flatten().collect();
    assert!(cached.len() >= 2, "account and certificate cached: {cached:?}");
    for file in &cached {
        let mode = file.metadata().expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is owner-only", file.path().display());
    }

    // A restart serves the cached certificate at once: no new order.
    running.stop().await.expect("stops");
    let running = mpc_mediator::start(config()).await.expect("restarts");
    let after_restart = wait_for_certificate(&root, port, None, Duration::from_secs(3)).await;
    assert_eq!(after_restart, first, "the cached certificate is served after a restart");

    // Two thirds into its lifetime, a new certificate replaces it.
    let renewed = wait_for_certificate(&root, port, Some(&first), Duration::from_secs(45)).await;
    assert_ne!(renewed, first);
    running.stop().await.expect("stops");
}
