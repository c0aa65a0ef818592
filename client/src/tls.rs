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
///
/// The system's part is made once per process (see [`system_verifier`]); `pinned` is checked
/// by a verifier of its own, which knows only those certificates.
pub fn verifier(
    provider: Arc<CryptoProvider>,
    pinned: impl IntoIterator<Item = CertificateDer<'static>>,
) -> io::Result<Arc<dyn ServerCertVerifier>> {
    let system = system_verifier().map_err(io::Error::other)?;
    let certificates: Vec<CertificateDer<'static>> = pinned.into_iter().collect();
    let mut roots = rustls::RootCertStore::empty();
    let (_, refused) = roots.add_parsable_certificates(certificates.iter().cloned());
    if refused > 0 {
        return Err(io::Error::other("a pinned certificate is not one a TLS client can trust"));
    }
    if roots.is_empty() {
        return Ok(system);
    }
    let pinned = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(io::Error::other)?;
    Ok(Arc::new(SystemOrPinned { system, pinned, certificates }))
}

/// The system's trust and the extra roots, made once per process: making it reads and parses
/// the system's CA store (about 20 ms of CPU here: every file in `/etc/ssl/certs`), and a
/// command makes a client for each mediator and relay it asks.
fn system_verifier() -> Result<Arc<dyn ServerCertVerifier>> {
    static SYSTEM: OnceLock<std::result::Result<Arc<dyn ServerCertVerifier>, String>> = OnceLock::new();
    SYSTEM
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let roots = extra_roots().map_err(|e| e.to_string())?;
            let verifier =
                rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider).map_err(|e| e.to_string())?;
            Ok(Arc::new(verifier) as Arc<dyn ServerCertVerifier>)
        })
        .clone()
        .map_err(Error::Tls)
}

/// A server's certificate is good if it is one of the pinned ones (judged as the platform
/// verifier with those as extra roots would: its name, its validity), or else if the system's
/// trust takes it; one issued by a pinned certificate is tried there last. A certificate
/// neither takes is refused with the system's reason. The pinned ones are looked at first
/// because the platform verifier logs every refusal as an error, and a relay's own certificate
/// is refused by the system's trust on every connection.
#[derive(Debug)]
struct SystemOrPinned {
    system: Arc<dyn ServerCertVerifier>,
    pinned: Arc<rustls::client::WebPkiServerVerifier>,
    certificates: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for SystemOrPinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let by_pin = || self.pinned.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        if self.certificates.contains(end_entity) {
            return by_pin();
        }
        let by_system = self.system.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match by_system {
            Ok(verified) => Ok(verified),
            Err(system_says) => by_pin().map_err(|_| system_says),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.system.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.system.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.system.supported_verify_schemes()
    }
}

/// A client configuration with [`verifier`], ring, TLS 1.2 and 1.3, offering `alpn`.
pub fn client_config(alpn: &[&[u8]]) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = system_verifier()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{ServerName, UnixTime};

    fn self_signed(name: &str) -> CertificateDer<'static> {
        rcgen::generate_simple_self_signed(vec![name.to_owned()]).expect("a certificate").cert.der().clone()
    }

    fn check(
        verifier: &Arc<dyn ServerCertVerifier>,
        cert: &CertificateDer<'static>,
        name: &str,
    ) -> std::result::Result<(), rustls::Error> {
        let name = ServerName::try_from(name.to_owned()).expect("a name");
        verifier.verify_server_cert(cert, &[], &name, &[], UnixTime::now()).map(|_| ())
    }

    /// The tests that verify: one at a time, so that what one has logged is its own.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// A relay's own certificate, pinned, is trusted for its name and nothing else; one not
    /// pinned is refused as the system's trust refuses it, and the system's trust is shared with
    /// every other client (one read of the CA store).
    #[test]
    fn a_pinned_certificate_is_trusted_for_its_name_only() {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let relay = self_signed("relay.example");
        let pinned = verifier(provider.clone(), [relay.clone()]).expect("a verifier");
        assert_eq!(check(&pinned, &relay, "relay.example"), Ok(()));
        assert_eq!(
            check(&pinned, &relay, "other.example"),
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext {
                expected: ServerName::try_from("other.example").expect("a name"),
                presented: vec!["DnsName(\"relay.example\")".to_owned()],
            })),
        );
        let stranger = self_signed("relay.example");
        assert!(
            matches!(
                check(&pinned, &stranger, "relay.example"),
                Err(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer))
            ),
            "a certificate nobody pinned is refused"
        );
        let system = verifier(provider.clone(), []).expect("a verifier");
        assert!(check(&system, &relay, "relay.example").is_err(), "the pin is only where it was given");
        assert!(Arc::ptr_eq(&system, &system_verifier().expect("the system's")), "one system verifier");
        assert!(verifier(provider, [CertificateDer::from(b"not a certificate".to_vec())]).is_err());
    }

    /// What the platform verifier logs through the `log` facade, at error level.
    static LOGGED_ERRORS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

    struct Listener;

    impl log::Log for Listener {
        fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
            metadata.level() <= log::Level::Error
        }
        fn log(&self, record: &log::Record<'_>) {
            if self.enabled(record.metadata()) {
                LOGGED_ERRORS.lock().expect("the log").push(format!("{}: {}", record.target(), record.args()));
            }
        }
        fn flush(&self) {}
    }

    /// A relay's own certificate, pinned, is taken without the system's trust refusing it first:
    /// the platform verifier logs each refusal as an error, which `-v` shows on every run.
    #[test]
    fn a_pinned_certificate_is_not_first_refused_by_the_system() {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = log::set_logger(&Listener);
        log::set_max_level(log::LevelFilter::Error);
        let relay = self_signed("relay.example");
        let pinned = verifier(Arc::new(rustls::crypto::ring::default_provider()), [relay.clone()]).expect("a verifier");
        // What another test logged before is not this one's.
        LOGGED_ERRORS.lock().expect("the log").clear();
        assert_eq!(check(&pinned, &relay, "relay.example"), Ok(()));
        let logged = LOGGED_ERRORS.lock().expect("the log").clone();
        assert!(
            logged.iter().all(|line| !line.contains("relay.example") && !line.contains("UnknownIssuer")),
            "{logged:?}"
        );
    }
}
