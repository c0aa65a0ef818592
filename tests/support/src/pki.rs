//! A private certificate authority on disk, as an organisation that runs its own CA has: a root
//! certificate clients are told to trust (`ca.pem`), and server certificates it issues.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// A CA whose root is in `<dir>/ca.pem`.
#[derive(Debug)]
pub struct PrivateCa {
    dir: tempfile::TempDir,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl PrivateCa {
    /// A new CA named `name`.
    ///
    /// # Panics
    /// When the key or certificate cannot be made or written.
    pub fn new(name: &str) -> Self {
        let dir = tempfile::tempdir().expect("a directory for the CA");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a CA key")).expect("a CA");
        std::fs::write(dir.path().join("ca.pem"), issuer.pem()).expect("ca.pem written");
        PrivateCa { dir, issuer }
    }

    /// The root certificate (PEM), the file clients trust.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Issues a server certificate for `names` (DNS names or IP addresses) and writes it and its
    /// key as `<stem>.pem` and `<stem>-key.pem` under `dir`; returns both paths.
    ///
    /// # Panics
    /// When it cannot be made or written.
    pub fn issue(&self, names: &[&str], dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().expect("a server key");
        let params = CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("server certificate parameters");
        let certificate = params.signed_by(&key, &self.issuer).expect("a server certificate");
        let (cert_path, key_path) = (dir.join(format!("{stem}.pem")), dir.join(format!("{stem}-key.pem")));
        std::fs::write(&cert_path, certificate.pem()).expect("certificate written");
        std::fs::write(&key_path, key.serialize_pem()).expect("key written");
        (cert_path, key_path)
    }

    /// A rustls client configuration that trusts this CA only.
    ///
    /// # Panics
    /// When the root does not parse.
    pub fn client_config(&self, alpn: &[&[u8]]) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.issuer.der().clone()).expect("the root parses");
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        config
    }
}
