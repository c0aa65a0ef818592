//! Direct connections between the parties' programs (`session/src/run/direct.rs`): the launcher's
//! TLS port admits only the certificates its party's peers sent over the mesh, and a connection
//! only as the party whose certificate it presented. Run against the real launcher and a real
//! MPyC program, with intruders connecting as a real TLS client would.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, Stdio};

use mpc_test_support::KillOnDrop;

/// A fresh key and certificate, written as PEM into `dir`; returns their paths and the
/// certificate's DER in hex.
fn credentials(dir: &Path, name: &str) -> (String, String, String) {
    let key = rcgen::KeyPair::generate().expect("a key");
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name.push(rcgen::DnType::CommonName, format!("test {name}"));
    let certificate = params.self_signed(&key).expect("a certificate");
    let (crt, pem) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    std::fs::write(&crt, certificate.pem()).expect("write certificate");
    std::fs::write(&pem, key.serialize_pem()).expect("write key");
    let hex = mpc_identity::hex(certificate.der());
    (crt.display().to_string(), pem.display().to_string(), hex)
}

#[test]
fn the_direct_port_admits_only_a_peers_certificate_speaking_as_that_peer() {
    let python = mpc_id_e2e::session::python();
    let root = mpc_id_e2e::workspace_root();
    let dir = tempfile::tempdir().expect("temp dir");
    let run = dir.path();
    // This party is party 1 of 2: it listens for party 0.
    let (own_crt, own_key, own_hex) = credentials(run, "direct");
    let (peer_crt, peer_key, peer_hex) = credentials(run, "party0");
    let (stranger_crt, stranger_key, _) = credentials(run, "stranger");
    let go = UnixListener::bind(run.join("go")).expect("go socket");
    let launcher = root.join("session/src/mpyc_launcher.py");
    let program = root.join("tests/python/transport_probe.py");
    let child = Command::new(&python)
        .arg(&launcher)
        .args([run.display().to_string(), "15001".into(), "-".into(), "direct".into()])
        .arg(&program)
        .args(["-I", "1", "-P", "127.0.0.1:15000", "-P", "127.0.0.1:15001"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the launcher");
    let _launcher = KillOnDrop(child);
    let (mut said, _) = go.accept().expect("the launcher says its port");
    let mut line = String::new();
    BufReader::new(&said).read_line(&mut line).expect("its port");
    let port: u16 = line.trim().strip_prefix("port ").and_then(|p| p.parse().ok()).expect("a port line");
    let direct = serde_json::json!({
        "certificate": own_crt, "key": own_key, "dial": [],
        "accept": [{ "party": 0, "certificate": peer_hex }],
    });
    std::fs::write(run.join("direct.json"), direct.to_string()).expect("direct.json");
    said.write_all(b"+").expect("go");

    let intrude = |crt: &str, key: &str, party: &str| {
        let out = Command::new(&python)
            .arg(root.join("tests/python/direct_intruder.py"))
            .args([&port.to_string(), crt, key, &own_hex, party])
            .output()
            .expect("the intruder");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    // Someone with a certificate of their own, and the peer's certificate speaking as another
    // party, are cut; the peer as itself is let in (MPyC then waits for its keys).
    assert_eq!(intrude(&stranger_crt, &stranger_key, "0"), "cut", "a stranger's certificate was admitted");
    assert_eq!(intrude(&peer_crt, &peer_key, "1"), "cut", "party 0's certificate was admitted as party 1");
    assert_eq!(intrude(&peer_crt, &peer_key, "0"), "open", "party 0 itself was not admitted");
}
