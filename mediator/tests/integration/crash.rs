//! The mediator process is killed with SIGKILL while senders are sending. After a restart,
//! every forward that got a success reply is delivered, and none twice once acknowledged.

use crate::common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

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

    // Eight senders forwarding as fast as they can; killed mid-load, once plenty of forwards
    // were acknowledged, with the senders still going.
    let load = load::Load::start(&base, Arc::clone(&bob), 8, true).await;
    load.until_acknowledged(50).await;
    child.0.kill().expect("SIGKILL");
    child.0.wait().expect("reaped");
    let acknowledged = load.stop().await;
    assert!(acknowledged.len() >= 50, "load was running when it died ({} acknowledged)", acknowledged.len());

    let _restarted = spawn_mediator(port, data.path(), database_url.as_deref(), &[]);
    wait_ready(&base).await;
    load::assert_delivered_once(&acknowledged, &load::drain(&bob).await);
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
        if mpc_test_support::postgres_url("postgres::every_acknowledged_forward_survives_sigkill").is_none() {
            return;
        }
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
