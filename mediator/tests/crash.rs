//! The mediator process is killed with SIGKILL while senders are sending. After a restart,
//! every forward that got a success reply is delivered, and none twice once acknowledged.

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

async fn every_acknowledged_forward_survives_sigkill(backend: Backend) {
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres_database().await),
    };
    let data = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn_mediator(port, data.path(), database_url.as_deref(), &[]);
    wait_ready(&base).await;

    let bob = Arc::new(Party::at("bob", &base).await);
    bob.enroll().await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));

    // Eight senders forwarding as fast as they can.
    let mut senders = Vec::new();
    for n in 0..8 {
        let (bob, acknowledged, base) = (Arc::clone(&bob), Arc::clone(&acknowledged), base.clone());
        senders.push(tokio::spawn(async move {
            let alice = Party::at(&format!("alice{n}"), &base).await;
            loop {
                let (message, inner) = alice.seal_for(&bob, json!({"n": n}));
                let forward = alice.forward(bob.did(), &inner);
                let sent = alice
                    .http
                    .post(format!("{base}/didcomm"))
                    .body(forward)
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 202 => {
                        acknowledged.lock().expect("lock").push(message["id"].as_str().expect("id").to_owned());
                    }
                    // Refused or cut off by the kill: not acknowledged, so no promise was made.
                    _ => return,
                }
            }
        }));
    }
    // Kill it mid-load: once plenty of forwards were acknowledged, with senders still going.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().expect("lock").len() < 50 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.0.kill().expect("SIGKILL");
    child.0.wait().expect("reaped");
    for sender in senders {
        let _ = sender.await;
    }
    let acknowledged: Vec<String> = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 50, "load was running when it died ({} acknowledged)", acknowledged.len());

    let _restarted = spawn_mediator(port, data.path(), database_url.as_deref(), &[]);
    wait_ready(&base).await;
    let mut delivered = Vec::new();
    loop {
        let batch = bob.ask(&format!("{PICKUP}delivery-request"), json!({"limit": 100})).await;
        let Some(attachments) = batch.message.as_ref().and_then(|m| m["attachments"].as_array()).cloned() else {
            break;
        };
        let mut ids = Vec::new();
        for attachment in &attachments {
            delivered.push(bob.open_attachment(attachment).0["id"].as_str().expect("id").to_owned());
            ids.push(attachment["id"].clone());
        }
        bob.ask(&format!("{PICKUP}messages-received"), json!({"message_id_list": ids})).await;
    }
    let unique: HashSet<&String> = delivered.iter().collect();
    assert_eq!(unique.len(), delivered.len(), "a message was delivered twice after acknowledgement");
    let missing: Vec<&String> = acknowledged.iter().filter(|id| !unique.contains(id)).collect();
    assert!(missing.is_empty(), "{} acknowledged forwards lost: {missing:?}", missing.len());
}

// Several threads, so the senders really are concurrent.
mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn every_acknowledged_forward_survives_sigkill() {
        super::every_acknowledged_forward_survives_sigkill(super::Backend::Sqlite).await
    }
}
mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn every_acknowledged_forward_survives_sigkill() {
        super::every_acknowledged_forward_survives_sigkill(super::Backend::Postgres).await
    }
}

/// SIGTERM: requests in flight finish, and the process exits 0.
#[tokio::test]
async fn sigterm_shuts_down_cleanly() {
    let data = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn_mediator(port, data.path(), None, &[]);
    wait_ready(&base).await;
    let alice = Party::at("alice", &base).await;
    assert_eq!(alice.ask(PING, json!({})).await.status, 200);
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(Instant::now() < deadline, "still running 10 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
