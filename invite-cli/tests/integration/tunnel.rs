//! `mpc-id tunnel` between two identities enrolled at a real mediator on loopback: a TCP
//! service behind Bob is reached through Alice's local port, by DID alone; a party Bob did not
//! allow gets nothing through.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use mpc_test_support::KillOnDrop;

fn mpc_id(home: &Path) -> Command {
    mpc_test_support::mpc_id(env!("CARGO_BIN_EXE_mpc-id"), home)
}

fn new_party(home: &Path, name: &str, mediator: &str) -> String {
    let output = mpc_id(home).args(["new", "-n", name, "--mediator", mediator, "--json"]).output().expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let record: Value = serde_json::from_slice(&output.stdout).expect("json");
    record["did"].as_str().expect("did").to_owned()
}

fn free_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], mpc_test_support::free_port()))
}

/// Sends `payload` through `local` and returns what comes back (the service echoes a digest).
fn exchange(local: SocketAddr, payload: &[u8], patience: Duration) -> Option<Vec<u8>> {
    let deadline = Instant::now() + patience;
    loop {
        if let Ok(mut tcp) = TcpStream::connect(local) {
            tcp.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
            if tcp.write_all(payload).is_ok() && tcp.shutdown(std::net::Shutdown::Write).is_ok() {
                let mut answer = Vec::new();
                if tcp.read_to_end(&mut answer).is_ok() {
                    return Some(answer);
                }
            }
            return None;
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_service_behind_a_peer_is_reached_by_did_and_strangers_get_nothing() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let data = tempfile::tempdir().expect("tempdir");
    let running =
        runtime.block_on(mpc_mediator::start(mpc_mediator::MediatorConfig::local(data.path()))).expect("mediator");
    let mediator = format!("http://{}", running.address);
    let (alice_home, bob_home, carol_home) =
        (tempfile::tempdir().expect("a"), tempfile::tempdir().expect("b"), tempfile::tempdir().expect("c"));
    let alice = new_party(alice_home.path(), "alice", &mediator);
    let bob = new_party(bob_home.path(), "bob", &mediator);
    new_party(carol_home.path(), "carol", &mediator);

    // Bob's service: answers every connection with the length of what it received, as text.
    let service = TcpListener::bind("127.0.0.1:0").expect("bind");
    let service_addr = service.local_addr().expect("addr");
    std::thread::spawn(move || {
        for mut tcp in service.incoming().flatten() {
            let mut data = Vec::new();
            let _ = tcp.read_to_end(&mut data);
            let _ = tcp.write_all(format!("got {} bytes", data.len()).as_bytes());
        }
    });
    let _bob = KillOnDrop(
        mpc_id(bob_home.path())
            .args(["tunnel", "listen", "-n", "bob", "--allow", &alice, "--to", &service_addr.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("bob listens"),
    );
    let alice_local = free_port();
    let _alice = KillOnDrop(
        mpc_id(alice_home.path())
            .args(["tunnel", "connect", "-n", "alice", &bob, "--local", &alice_local.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("alice connects"),
    );
    let payload = vec![42u8; 300_000];
    let answer = exchange(alice_local, &payload, Duration::from_secs(30)).expect("through the tunnel");
    assert_eq!(String::from_utf8_lossy(&answer), "got 300000 bytes");

    // Carol is not on Bob's allowlist: her connection closes with nothing from Bob's service.
    let carol_local = free_port();
    let _carol = KillOnDrop(
        mpc_id(carol_home.path())
            .args(["tunnel", "connect", "-n", "carol", &bob, "--local", &carol_local.to_string(), "--timeout", "5s"])
            .stdout(Stdio::null())
            .spawn()
            .expect("carol tries"),
    );
    let refused = exchange(carol_local, b"let me in", Duration::from_secs(30));
    assert!(refused.as_ref().is_none_or(|answer| answer.is_empty()), "a stranger got an answer: {refused:?}");
    drop(running);
}
