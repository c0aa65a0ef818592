//! Pebble, Let's Encrypt's ACME test server (the Debian package `pebble`), with its fake DNS
//! (`pebble-challtestsrv`) answering every name with 127.0.0.1, so that a mediator on loopback can
//! obtain a certificate for any name by TLS-ALPN-01 on its own port.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::KillOnDrop;
use crate::pki::PrivateCa;

/// Set (by `scripts/test`) to make a missing Pebble a failure instead of a skip.
pub const REQUIRE_PEBBLE_VAR: &str = "MPC_ID_REQUIRE_PEBBLE";

/// A running Pebble and its DNS.
#[derive(Debug)]
pub struct Pebble {
    /// The ACME directory URL.
    pub directory: String,
    /// The PEM file of the CA that signs Pebble's own HTTPS (for the ACME client).
    pub api_ca: PathBuf,
    management: u16,
    ip: String,
    _ca: PrivateCa,
    _dir: tempfile::TempDir,
    _pebble: KillOnDrop,
    _dns: KillOnDrop,
}

impl Pebble {
    /// Starts Pebble validating TLS-ALPN-01 challenges on `tls_port`, issuing certificates valid
    /// for `validity`; `None` (said on stderr) when Pebble is not installed and not required.
    ///
    /// # Panics
    /// When it is required and missing, or does not start within 20 s.
    pub fn start(test: &str, tls_port: u16, validity: Duration) -> Option<Self> {
        Self::start_at(test, "127.0.0.1", tls_port, validity, &|program| Command::new(program))
    }

    /// [`Pebble::start`] listening on `ip` (its fake DNS answering every name with `ip` too), each
    /// of its programs started by `command` (say, inside a network namespace).
    ///
    /// # Panics
    /// When it is required and missing, or does not start within 20 s.
    pub fn start_at(
        test: &str,
        ip: &str,
        tls_port: u16,
        validity: Duration,
        command: &dyn Fn(&str) -> Command,
    ) -> Option<Self> {
        if Command::new("pebble").arg("-h").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
            assert!(std::env::var_os(REQUIRE_PEBBLE_VAR).is_none(), "{test}: pebble is not installed");
            eprintln!("SKIPPED {test}: pebble is not installed (apt-get install pebble)");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = PrivateCa::new("Pebble API CA");
        let (cert, key) = ca.issue(&["localhost", ip], dir.path(), "pebble");
        let (listen, management, dns_port) = (crate::free_port(), crate::free_port(), crate::free_port());
        let config = serde_json::json!({ "pebble": {
            "listenAddress": format!("{ip}:{listen}"),
            "managementListenAddress": format!("{ip}:{management}"),
            "certificate": cert, "privateKey": key,
            "httpPort": crate::free_port(), "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": false,
            "certificateValidityPeriod": validity.as_secs(),
        }});
        let config_path = dir.path().join("pebble.json");
        std::fs::write(&config_path, config.to_string()).expect("pebble.json");
        let dns = KillOnDrop(
            command("pebble-challtestsrv")
                .args(["-defaultIPv4", ip, "-defaultIPv6", "", "-dns01", &format!("{ip}:{dns_port}")])
                .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
                .args(["-management", &format!("{ip}:{}", crate::free_port())])
                .stdout(Stdio::null())
                .spawn()
                .expect("pebble-challtestsrv starts"),
        );
        let pebble = KillOnDrop(
            command("pebble")
                .arg("-config")
                .arg(&config_path)
                .args(["-dnsserver", &format!("{ip}:{dns_port}")])
                // No random validation delays, no nonces refused for practice: a test of ours,
                // not of the client's retries.
                .env("PEBBLE_VA_NOSLEEP", "1")
                .env("PEBBLE_WFE_NONCEREJECT", "0")
                .stdout(Stdio::null())
                .spawn()
                .expect("pebble starts"),
        );
        // Up once its management interface answers (from where its programs run).
        let fetch = "import ssl, sys, urllib.request; urllib.request.urlopen(sys.argv[1], \
                     context=ssl._create_unverified_context(), timeout=2)";
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let up = command("python3").args(["-c", fetch, &format!("https://{ip}:{management}/roots/0")]).output();
            if up.is_ok_and(|output| output.status.success()) {
                break;
            }
            assert!(Instant::now() < deadline, "pebble did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(Pebble {
            directory: format!("https://{ip}:{listen}/dir"),
            ip: ip.to_owned(),
            api_ca: ca.root(),
            management,
            _ca: ca,
            _dir: dir,
            _pebble: pebble,
            _dns: dns,
        })
    }

    /// The root of the certificates Pebble issues (PEM), from its management interface.
    ///
    /// # Panics
    /// When it cannot be fetched.
    pub async fn issuing_root(&self) -> String {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(self._ca.client_config(&[b"http/1.1"]))
            .build()
            .expect("client");
        let url = format!("https://{}:{}/roots/0", self.ip, self.management);
        client.get(&url).send().await.expect("pebble's root").text().await.expect("PEM")
    }
}

impl Pebble {
    /// [`Pebble::issuing_root`], fetched by `command("python3")` (from inside a namespace) and
    /// written to `path`.
    ///
    /// # Panics
    /// When it cannot be fetched.
    pub fn issuing_root_into(&self, command: &dyn Fn(&str) -> Command, path: &std::path::Path) {
        let fetch = "import ssl, sys, urllib.request; \
                     ctx = ssl.create_default_context(cafile=sys.argv[2]); \
                     sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], context=ctx).read())";
        let url = format!("https://{}:{}/roots/0", self.ip, self.management);
        let output = command("python3").args(["-c", fetch, &url]).arg(&self.api_ca).output().expect("python3");
        assert!(output.status.success(), "pebble's root: {}", String::from_utf8_lossy(&output.stderr));
        std::fs::write(path, output.stdout).expect("root written");
    }
}
