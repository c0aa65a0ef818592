//! A mediator that serves HTTPS itself, with a certificate from a private CA (as organisations
//! that run their own CA deploy it), used by real `mpc-id` processes that trust that CA the
//! conventional way (`MPC_ID_CA_FILE`): enrollment, a session created and joined, and a run whose
//! every byte goes through the relay over TLS, which the peer endpoint checks with the same trust
//! as the HTTP client. A party that does not trust the CA is told which host failed, why, and
//! what to give, at once.

use std::time::Duration;

use mpc_id_e2e::session::{self, LoopbackMediator, Party, results, wait_all};
use mpc_test_support::pki::PrivateCa;

#[test]
fn a_session_runs_relayed_through_a_mediator_serving_https_from_a_private_ca() {
    let ca = PrivateCa::new("Example Org private CA");
    let files = tempfile::tempdir().expect("tempdir");
    let (cert, key) = ca.issue(&["localhost"], files.path(), "mediator");
    let mediator = LoopbackMediator::start_https(&cert, &key);
    let parties = ["alice", "bob", "carol"].map(|name| Party::trusting(name, &mediator.url, Some(&ca.root())));
    let url = session::create(parties[0].mpc_id(), 3, "tls", "hello.py", &[]);
    assert!(url.starts_with("https://localhost:"), "the invitation link is on HTTPS: {url}");
    for party in &parties[1..] {
        let output = session::join(party.mpc_id(), &url, "hello.py");
        assert!(output.status.success(), "{} joins: {}", party.name, String::from_utf8_lossy(&output.stderr));
    }
    let runs = parties.iter().map(|p| session::spawn_run(p.mpc_id(), "tls", "hello.py", &["--relay-only"])).collect();
    let ended = wait_all(runs, Duration::from_secs(120));
    for (party, run) in parties.iter().zip(&ended) {
        assert_eq!(run.code, Some(0), "{} ran through the HTTPS relay: {}", party.name, run.stderr);
        assert!(!results(&run.stdout).is_empty() || run.stdout.contains("Hello"), "{}: {}", party.name, run.stdout);
        assert!(run.stderr.contains("all parties connected"), "{}", run.stderr);
        assert!(!run.stderr.contains("direct"), "--relay-only paths are relayed: {}", run.stderr);
    }

    // The same run where the CA is not trusted fails at once naming the fix, not at the
    // start-up timeout.
    let started = std::time::Instant::now();
    let mut untrusting = parties[0].mpc_id();
    untrusting.env_remove("MPC_ID_CA_FILE");
    let run = session::spawn_run(untrusting, "tls", "hello.py", &["--relay-only"]);
    let ended = wait_all(vec![run], Duration::from_secs(60));
    assert_ne!(ended[0].code, Some(0), "{}", ended[0].stderr);
    assert!(ended[0].stderr.contains("--ca-file") && ended[0].stderr.contains("localhost"), "{}", ended[0].stderr);
    assert!(started.elapsed() < Duration::from_secs(20), "told after {:?}", started.elapsed());
}

#[test]
fn a_party_that_does_not_trust_the_mediators_ca_is_told_the_host_the_cause_and_the_fix() {
    let ca = PrivateCa::new("Example Org private CA");
    let files = tempfile::tempdir().expect("tempdir");
    let (cert, key) = ca.issue(&["localhost"], files.path(), "mediator");
    let mediator = LoopbackMediator::start_https(&cert, &key);
    let stranger = tempfile::tempdir().expect("home");
    let started = std::time::Instant::now();
    let output = mpc_test_support::mpc_id(mpc_test_support::binary("mpc-id"), stranger.path())
        .env_remove("MPC_ID_CA_FILE")
        .args(["new", "-n", "dora", "--mediator", &mediator.url])
        .output()
        .expect("mpc-id new");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "an untrusted certificate must fail: {stderr}");
    assert!(started.elapsed() < Duration::from_secs(15), "failed only after {:?}", started.elapsed());
    for needed in ["localhost", "UnknownIssuer", "--ca-file"] {
        assert!(stderr.contains(needed), "{needed:?} in: {stderr}");
    }
    // And with the CA named on the command line, the same command works.
    let output = mpc_test_support::mpc_id(mpc_test_support::binary("mpc-id"), stranger.path())
        .arg("--ca-file")
        .arg(ca.root())
        .args(["new", "-n", "dora", "--mediator", &mediator.url])
        .output()
        .expect("mpc-id new");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// A service's log in a journal or a file carries no colour codes (they are for a terminal).
#[test]
fn a_mediator_logging_into_a_file_writes_no_colour_codes() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().expect("data");
    let port = mpc_test_support::free_port();
    let mut child = mpc_test_support::KillOnDrop(
        std::process::Command::new(mpc_test_support::binary("mpc-mediator"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data.path())
            .env("RUST_LOG", "info")
            .env_remove("NO_COLOR")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("mediator"),
    );
    let stderr = child.0.stderr.take().expect("stderr");
    let mut log = String::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        log.push_str(&line);
        log.push('\n');
        if line.contains("listening") {
            break;
        }
    }
    assert!(log.contains("mediator ready"), "{log}");
    assert!(!log.contains('\u{1b}'), "no escape sequences in a redirected log: {log:?}");
}

/// SIGHUP loads the certificate files again, even when their times did not change (a renewal
/// tool that keeps them, a copy that preserves them).
#[test]
fn sighup_loads_the_certificate_again() {
    let ca = PrivateCa::new("Example Org private CA");
    let files = tempfile::tempdir().expect("tempdir");
    let (cert, key) = ca.issue(&["localhost"], files.path(), "mediator");
    let mediator = LoopbackMediator::start_https(&cert, &key);
    let port: u16 = mediator.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let served = || {
        runtime.block_on(async {
            let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(ca.client_config(&[b"http/1.1"])));
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            let tls = connector.connect(name, tcp).await.expect("handshake");
            tls.get_ref().1.peer_certificates().expect("certificate")[0].to_vec()
        })
    };
    let first = served();
    let times = [&cert, &key].map(|path| std::fs::metadata(path).and_then(|m| m.modified()).expect("mtime"));
    ca.issue(&["localhost"], files.path(), "mediator");
    for (path, time) in [&cert, &key].into_iter().zip(times) {
        std::fs::File::options().write(true).open(path).and_then(|f| f.set_modified(time)).expect("set mtime");
    }
    // Unchanged times are not read again by the periodic check (mediator/src/tls.rs, on a clock
    // it moves): what loads the new pair here is the signal.
    assert_eq!(served(), first, "unchanged times: the files are not read again by themselves");
    let hup = std::process::Command::new("kill").args(["-HUP", &mediator.pid().to_string()]).status();
    assert!(hup.expect("kill").success());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while served() == first {
        assert!(std::time::Instant::now() < deadline, "SIGHUP did not load the new certificate");
        std::thread::sleep(Duration::from_millis(100));
    }
}
