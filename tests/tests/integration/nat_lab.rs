//! Tunnels across real NATs in network namespaces (see `mpc_id_e2e::netlab`): the mediator on a
//! "public" network, parties behind an endpoint-independent NAT each and one behind a symmetric
//! NAT, every program a real process (`mpc-mediator`, `mpc-id`, Python TCP ends).
//!
//! What it proves: parties behind NATs reach each other by DID, first through the mediator's
//! relay; the two behind endpoint-independent NATs get a direct (hole-punched) path within 10 s
//! thanks to the mediator's QUIC address discovery, the one behind the symmetric NAT stays
//! relayed; 100 MB arrive byte-identical and 200 concurrent connections complete on each kind of
//! path; killing the relay mid-transfer is a clean error, not a hang.
//!
//! Needs root (to make namespaces) and `nft`; `scripts/test` installs nftables. Where namespaces
//! cannot be made, the test says so loudly and returns.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mpc_id_e2e::netlab::{KillOnDrop, Nat, NatLab, Site};
use mpc_id_e2e::session::Watched;
use serde_json::Value;

/// Collects a child's stdout lines (the tunnel's path reports).
fn lines_of(child: &mut Child) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let stdout = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().expect("lock").push(line);
        }
    });
    lines
}

fn send(site: &Site<'_>, port: u16, megabytes: u32) -> Value {
    let output = site.python(&["send", &port.to_string(), &megabytes.to_string()]).output().expect("python");
    assert!(output.status.success(), "probe failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("json")
}

/// Two sites behind endpoint-independent NATs and one behind a symmetric NAT; `None` (said
/// loudly) where namespaces cannot be made.
fn lab() -> Option<NatLab> {
    match NatLab::new(&[Nat::EndpointIndependent, Nat::EndpointIndependent, Nat::Symmetric]) {
        Ok(lab) => Some(lab),
        Err(why) => {
            eprintln!("\n!!! SKIPPED: the NAT lab cannot be built here ({why}); it needs root and nft !!!\n");
            None
        }
    }
}

#[test]
fn parties_behind_nats_reach_each_other_through_the_relay() {
    let Some(lab) = lab() else { return };
    let data = tempfile::tempdir().expect("tempdir");
    let mut mediator = lab.spawn_mediator(data.path());
    let site = |i: usize| Site::new(&lab, i);
    let (alice, bob, carol) = (site(0), site(1), site(2));
    let alice_did = alice.new_identity("alice");
    let bob_did = bob.new_identity("bob");
    let carol_did = carol.new_identity("carol");

    // Bob's service, and his tunnel for Alice and Carol.
    let _service = KillOnDrop(bob.python(&["serve", "7000"]).spawn().expect("service"));
    let _listen = KillOnDrop(
        bob.mpc_id()
            .args([
                "tunnel",
                "listen",
                "-n",
                "bob",
                "--allow",
                &alice_did,
                "--allow",
                &carol_did,
                "--to",
                "127.0.0.1:7000",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("bob listens"),
    );
    let connect = |site: &Site<'_>, name: &str, port: u16| {
        let mut child = site
            .mpc_id()
            .args(["tunnel", "connect", "-n", name, &bob_did, "--local", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .spawn()
            .expect("connect");
        let lines = lines_of(&mut child);
        (KillOnDrop(child), lines)
    };

    // Alice (endpoint-independent NAT) to Bob (endpoint-independent NAT).
    let (_alice_tunnel, alice_paths) = connect(&alice, "alice", 7100);
    let result = send(&alice, 7100, 100);
    assert_eq!(result["answer"], result["sent"], "100 MB from Alice arrived altered: {result}");
    eprintln!(
        "alice -> bob: {:.1} s, paths {:?}",
        result["seconds"].as_f64().unwrap_or(0.0),
        alice_paths.lock().expect("lock")
    );
    // Both behind endpoint-independent NATs: hole punching turns the path direct within 10 s.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !alice_paths.lock().expect("lock").iter().any(|p| p.contains("path  direct")) {
        assert!(Instant::now() < deadline, "no direct path within 10 s: {:?}", alice_paths.lock().expect("lock"));
        std::thread::sleep(Duration::from_millis(200));
    }
    let result = send(&alice, 7100, 100);
    assert_eq!(result["answer"], result["sent"], "100 MB on the direct path arrived altered: {result}");
    eprintln!("alice -> bob, direct: {:.1} s", result["seconds"].as_f64().unwrap_or(0.0));
    let output = alice.python(&["many", "7100", "200"]).output().expect("python");
    let many: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(many["ok"], 200, "200 concurrent connections through the direct tunnel: {many}");

    // Carol (symmetric NAT): relayed, and it works.
    let (_carol_tunnel, carol_paths) = connect(&carol, "carol", 7200);
    let result = send(&carol, 7200, 100);
    assert_eq!(result["answer"], result["sent"], "100 MB from Carol arrived altered: {result}");
    let paths = carol_paths.lock().expect("lock").clone();
    eprintln!("carol -> bob: {:.1} s, paths {paths:?}", result["seconds"].as_f64().unwrap_or(0.0));
    assert!(paths.iter().any(|p| p.contains("relayed")), "Carol's path was reported relayed: {paths:?}");
    assert!(!paths.iter().any(|p| p.contains("direct")), "behind a symmetric NAT the path stays relayed: {paths:?}");

    // 200 connections at once through Carol's (relayed) tunnel, each with its own data.
    let output = carol.python(&["many", "7200", "200"]).output().expect("python");
    let many: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(many["ok"], 200, "200 concurrent connections through one tunnel: {many}");

    // The relay killed mid-transfer: the sender sees an error or a short answer, not a hang.
    let started = Instant::now();
    let mut transfer: Watched = carol
        .python(&["send", "7200", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python")
        .into();
    transfer.wait_for("under way", Instant::now() + Duration::from_secs(60));
    let _ = mediator.0.kill();
    let _ = mediator.0.wait();
    let (ended, _) = transfer.wait(Duration::from_secs(120));
    let ended = ended.expect("the transfer hung after the relay died");
    let result = serde_json::from_str::<Value>(&ended.stdout).unwrap_or(Value::Null);
    assert_ne!(result["answer"], result["sent"], "a 100 GB transfer cannot have completed: {result}");
    eprintln!("relay killed: the transfer ended after {:.1} s: {result}", started.elapsed().as_secs_f64());
}

/// The session flow of `tests/sessions.rs` with each party behind its own NAT, one of them
/// symmetric (so its links stay relayed): the MPyC program completes with plain MPyC's results,
/// and `run --json` reports the endpoint-independent pair's path as it turns direct.
#[test]
fn a_session_runs_between_parties_behind_nats() {
    use mpc_id_e2e::session;
    let Some(lab) = lab() else { return };
    let data = tempfile::tempdir().expect("tempdir");
    let _mediator = lab.spawn_mediator(data.path());
    let sites: Vec<Site<'_>> = (0..3).map(|i| Site::new(&lab, i)).collect();
    let names = ["alice", "bob", "carol"];
    for (site, name) in sites.iter().zip(names) {
        site.new_identity(name);
    }
    let as_party = |i: usize| {
        let mut command = sites[i].mpc_id();
        command.env("MPC_ID_IDENTITY", names[i]);
        command
    };
    let program = "secure_ranking.py";
    let url = session::create(as_party(0), 3, "lab", program, &[]);
    for (i, name) in names.iter().enumerate().skip(1) {
        let output = session::join(as_party(i), &url, program);
        assert!(output.status.success(), "{name} joins: {}", String::from_utf8_lossy(&output.stderr));
    }
    let runs = (0..3).map(|i| session::spawn_run(as_party(i), "lab", program, &["--json"])).collect();
    let ended = session::wait_all(runs, Duration::from_secs(240));
    let expected = session::plain_results(program, 3);
    let mut events = Vec::new();
    for (name, run) in names.iter().zip(&ended) {
        assert_eq!(run.code, Some(0), "{name} behind its NAT: {}", run.stderr);
        assert_eq!(session::results(&run.stdout), expected, "{name}'s results");
        let own: Vec<Value> = run.stderr.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect();
        eprintln!("{name}: {}", own.iter().map(Value::to_string).collect::<Vec<_>>().join(" | "));
        events.push(own);
    }
    // Alice and Bob (both endpoint-independent) start relayed and are told when they turn
    // direct; every pair with Carol (symmetric) stays relayed, and nobody reports it otherwise.
    let path_of = |events: &[Value], party: u64| -> Vec<(String, bool)> {
        events
            .iter()
            .filter(|e| e["party"] == party && (e["event"] == "connected" || e["event"] == "path"))
            .map(|e| (e["event"].as_str().unwrap_or_default().to_owned(), e["path"]["direct"] == true))
            .collect()
    };
    for (me, peer) in [(0, 1), (1, 0)] {
        let seen = path_of(&events[me], peer);
        assert_eq!(seen.first(), Some(&("connected".to_owned(), false)), "{}: relayed first: {seen:?}", names[me]);
        assert!(seen.contains(&("path".to_owned(), true)), "{} is told the path turned direct: {seen:?}", names[me]);
    }
    for (me, peer) in [(0, 2), (1, 2), (2, 0), (2, 1)] {
        let seen = path_of(&events[me], peer);
        assert!(!seen.is_empty() && seen.iter().all(|(_, direct)| !direct), "{}: {seen:?}", names[me]);
    }
}
