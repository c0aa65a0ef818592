//! Faults under load: the database restarted, the disk full, clients that read slowly or never.
//! The mediator refuses what it cannot store, recovers when it can again, keeps serving
//! everyone else, and delivers every message it acknowledged, once.
//!
//! The database restart uses a PostgreSQL server of its own (`scripts/test-postgres` on another
//! port), so the other tests' server is left alone. The full disk is a small tmpfs mounted by the
//! test, which needs root; elsewhere it says so loudly and returns.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::load::{Load, assert_delivered_once, drain};
use common::ws;
use common::*;

/// The faults here are the database's and the disk's: no rate limit or queue quota may refuse the
/// load first (one source sends it all, faster than any party would, and nobody picks up until
/// the end: CI saw a slow run reach the per-source quota and read that as the restart's fault).
const UNLIMITED: &[&str] =
    &["--rate-limit-ip", "0", "--rate-limit-did", "0", "--queue-cap", "10000000", "--queue-cap-per-source", "10000000"];

fn workspace_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts").join(name)
}

/// A private PostgreSQL server on its own port, stopped (and its data removed) when dropped.
struct OwnPostgres {
    port: u16,
    data: String,
    url: String,
}

impl OwnPostgres {
    /// On a free port; another process may take the port between our look and the server's
    /// bind (it is in the ephemeral range), so a failed start is tried again on another.
    fn start() -> Self {
        let mut failures = Vec::new();
        for _ in 0..5 {
            let port = free_port();
            let data = format!("/tmp/mpc-id-fault-pg-{port}");
            let output = Command::new(workspace_script("test-postgres"))
                .env("MPC_ID_PGPORT", port.to_string())
                .env("MPC_ID_PGDATA", &data)
                .output()
                .expect("scripts/test-postgres");
            if output.status.success() {
                let url = String::from_utf8_lossy(&output.stdout).trim().to_owned();
                return OwnPostgres { port, data, url };
            }
            failures.push(String::from_utf8_lossy(&output.stderr).into_owned());
            let _ = std::fs::remove_dir_all(&data);
        }
        panic!("no PostgreSQL server: {failures:?}");
    }

    fn run(&self, command: &str) {
        let status = Command::new(workspace_script("test-postgres"))
            .arg(command)
            .env("MPC_ID_PGPORT", self.port.to_string())
            .env("MPC_ID_PGDATA", &self.data)
            .status()
            .expect("scripts/test-postgres");
        assert!(status.success(), "test-postgres {command} failed");
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = Command::new(workspace_script("test-postgres"))
            .arg("stop")
            .env("MPC_ID_PGPORT", self.port.to_string())
            .env("MPC_ID_PGDATA", &self.data)
            .status();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_under_load_loses_nothing_acknowledged() {
    let postgres = OwnPostgres::start();
    let data = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut mediator = spawn_mediator(port, data.path(), Some(&postgres.url), UNLIMITED);
    wait_ready(&base).await;
    let bob = Arc::new(Party::at("bob", &base).await);
    bob.enroll().await;

    let load = Load::start(&base, Arc::clone(&bob), 4, false).await;
    load.until_acknowledged(50).await;
    let before = load.acknowledged();
    postgres.run("restart");
    // The mediator reconnects by itself and takes forwards again.
    let deadline = Instant::now() + Duration::from_secs(30);
    while load.acknowledged() < before + 50 {
        assert!(Instant::now() < deadline, "no forward acknowledged after the restart ({} refused)", load.refused());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let acknowledged = load.stop().await;
    assert!(mediator.0.try_wait().expect("status").is_none(), "the mediator kept running");
    wait_ready(&base).await;
    assert_delivered_once(&acknowledged, &drain(&bob).await);
}

/// A tmpfs of `megabytes`, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<Self> {
        let dir = tempfile::tempdir().expect("tempdir");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status();
        match status {
            Ok(status) if status.success() => Some(SmallDisk { dir }),
            _ => None,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk to the last byte; returns the filler file.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        while file.write_all(&[0]).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_is_refused_cleanly_and_recovered_from() {
    let Some(disk) = SmallDisk::mount(16) else {
        eprintln!("\n!!! SKIPPED: cannot mount a tmpfs here (needs root) !!!\n");
        return;
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut mediator = spawn_mediator(port, disk.path(), None, UNLIMITED);
    wait_ready(&base).await;
    let bob = Arc::new(Party::at("bob", &base).await);
    bob.enroll().await;
    let load = Load::start(&base, Arc::clone(&bob), 2, false).await;
    load.until_acknowledged(20).await;

    // The disk fills up: forwards are refused (not acknowledged), the process stays up.
    let filler = disk.fill();
    let refused_before = load.refused();
    let deadline = Instant::now() + Duration::from_secs(30);
    while load.refused() < refused_before + 20 {
        assert!(Instant::now() < deadline, "forwards were still accepted on a full disk");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(mediator.0.try_wait().expect("status").is_none(), "the mediator kept running");
    // The refusal is a Problem Report, as for any other failure.
    let alice = Party::at("alice", &base).await;
    let (_, inner) = alice.seal_for(&bob, serde_json::json!({}));
    let refused = alice.http.post(format!("{base}/didcomm")).body(alice.forward(bob.did(), &inner)).send().await;
    let refused = refused.expect("an answer");
    let status = refused.status().as_u16();
    let body = refused.text().await.expect("body");
    assert!(status >= 500 && body.contains("problem-report"), "HTTP {status}: {body}");
    let health = mpc_test_support::http().get(format!("{base}/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), 200);

    // Space again: forwards are taken again, and nothing acknowledged was lost.
    std::fs::remove_file(&filler).expect("free the disk");
    let accepted = load.acknowledged();
    let deadline = Instant::now() + Duration::from_secs(30);
    while load.acknowledged() < accepted + 20 {
        assert!(Instant::now() < deadline, "no forward accepted after space came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let acknowledged = load.stop().await;
    assert_delivered_once(&acknowledged, &drain(&bob).await);
    drop(mediator);
}

/// A WebSocket of `party`'s with live delivery on.
async fn live(mediator: &TestMediator, party: &Party) -> ws::Socket {
    let mut socket = ws::connect(&mediator.base).await;
    let kind = format!("{PICKUP}live-delivery-change");
    ws::send(&mut socket, party, &kind, serde_json::json!({ "live_delivery": true })).await;
    // Live from the answer on: what was queued before stays for delivery-request (Message
    // Pickup 3.0), so the test forwards only once the mediator said it is live.
    let status = ws::next(&mut socket, party).await;
    assert_eq!(status["body"]["live_delivery"], true, "{status}");
    socket
}

/// The ids of the messages a `delivery` on a live socket carries, acknowledging them.
async fn take_delivery(socket: &mut ws::Socket, party: &Party, received: &mut Vec<String>) {
    let message = ws::next(socket, party).await;
    if message["type"] != format!("{PICKUP}delivery") {
        return; // a status, after an acknowledgement
    }
    let attachments = message["attachments"].as_array().cloned().unwrap_or_default();
    let mut queue_ids = Vec::new();
    for attachment in &attachments {
        received.push(party.open_attachment(attachment).0["id"].as_str().expect("id").to_owned());
        queue_ids.push(attachment["id"].clone());
    }
    let ack = serde_json::json!({ "message_id_list": queue_ids });
    ws::send(socket, party, &format!("{PICKUP}messages-received"), ack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_that_never_read_or_read_slowly_hold_up_no_one() {
    let mediator = TestMediator::start_with(Backend::Sqlite, |c| {
        c.rate_limit_ip = 0;
        c.rate_limit_did = 0;
    })
    .await;
    let alice = Party::new("alice", &mediator).await;
    // Six parties go live and never read again, while 3 MiB each is forwarded to them: their
    // pushes fill the sockets' buffers and stall.
    let mut stuck = Vec::new();
    for i in 0..6 {
        let party = Party::new(&format!("stuck{i}"), &mediator).await;
        party.enroll().await;
        let socket = live(&mediator, &party).await;
        for _ in 0..100 {
            let (_, inner) = alice.seal_for(&party, serde_json::json!({ "pad": "x".repeat(32 * 1024) }));
            assert_eq!(alice.post(alice.forward(party.did(), &inner)).await.status, 202);
        }
        stuck.push((party, socket));
    }

    // Bob reads slowly (20 ms a message) and gets everything, in order, once.
    let bob = Party::new("bob", &mediator).await;
    bob.enroll().await;
    let mut bob_socket = live(&mediator, &bob).await;
    let mut sent = Vec::new();
    for n in 0..50 {
        let (message, inner) = alice.seal_for(&bob, serde_json::json!({ "n": n }));
        assert_eq!(alice.post(alice.forward(bob.did(), &inner)).await.status, 202);
        sent.push(message["id"].as_str().expect("id").to_owned());
    }
    let mut received = Vec::new();
    while received.len() < sent.len() {
        take_delivery(&mut bob_socket, &bob, &mut received).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(received, sent, "the slow reader got every message once, in order");

    // Carol, reading normally, gets a message at once.
    let carol = Party::new("carol", &mediator).await;
    carol.enroll().await;
    let mut carol_socket = live(&mediator, &carol).await;
    let started = Instant::now();
    let (message, inner) = alice.seal_for(&carol, serde_json::json!({ "hello": "carol" }));
    assert_eq!(alice.post(alice.forward(carol.did(), &inner)).await.status, 202);
    let mut carol_got = Vec::new();
    while carol_got.is_empty() {
        take_delivery(&mut carol_socket, &carol, &mut carol_got).await;
    }
    assert_eq!(carol_got, [message["id"].as_str().expect("id")]);
    assert!(started.elapsed() < Duration::from_secs(2), "carol waited {:?}", started.elapsed());

    // Nothing the stuck parties never acknowledged is lost: all still queued.
    for (party, _) in &stuck {
        let status = party.ask(&format!("{PICKUP}status-request"), serde_json::json!({})).await;
        assert_eq!(status.body()["message_count"], 100, "{}'s queue", party.did());
    }
}
