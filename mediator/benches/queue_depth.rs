//! What a forward costs as its recipient's queue deepens: one recipient (a session host, or any
//! popular party) against 100, with each queue filled to 70% of its cap first and nobody picking
//! up; then 1, 16 and 256 concurrent senders in turn, each measured on its share of the last
//! 25%. Against `mpc-mediator` running as its own process, on SQLite and (with
//! MPC_ID_TEST_POSTGRES_URL set) PostgreSQL.
//!
//!     MPC_ID_TEST_POSTGRES_URL=$(scripts/test-postgres) cargo bench -p mpc-mediator --bench queue_depth

#[path = "../tests/integration/common/mod.rs"]
#[allow(dead_code)] // each bench uses part of the tests' client
#[allow(unused_imports)]
mod common;

use std::sync::Arc;
use std::time::Instant;

use common::{Party, fresh_postgres_database, spawn_mediator, wait_ready};
use futures_util::StreamExt;
use mpc_test_support::cpu_micros;
use serde_json::json;

/// The mediator's default queue cap (per recipient, and per source address).
const CAP: usize = 10_000;
/// Concurrent senders of each measured cell, and the forwards each cell posts.
const CELLS: [(usize, usize); 3] = [(1, 500), (16, 1_000), (256, 1_000)];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let mut backends = vec![("SQLite", None)];
    if std::env::var_os("MPC_ID_TEST_POSTGRES_URL").is_some() {
        backends.push(("PostgreSQL", Some(fresh_postgres_database().await)));
    } else {
        eprintln!("MPC_ID_TEST_POSTGRES_URL not set: PostgreSQL skipped");
    }
    println!(
        "| database | recipients | queued before (each) | senders | measured | msgs/s | p50 ms | p99 ms | mediator CPU µs/msg |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, database) in backends {
        for recipients in [1, 100] {
            let data = tempfile::tempdir().expect("tempdir");
            let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
            let base = format!("http://127.0.0.1:{port}");
            let database = match &database {
                // A fresh database per cell: each starts with empty queues.
                Some(_) => Some(fresh_postgres_database().await),
                None => None,
            };
            let child =
                // One loopback address sends everything: its own per-source share is the whole cap.
                spawn_mediator(port, data.path(), database.as_deref(), &["--rate-limit-ip", "0", "--rate-limit-did", "0", "--queue-cap-per-source", "10000", "--enrollments-per-hour", "0", "--max-connections-per-source", "4096"]);
            wait_ready(&base).await;
            let alice = Party::at("alice", &base).await;
            let mut parties = Vec::new();
            for n in 0..recipients {
                let party = Party::at(&format!("r{n}"), &base).await;
                party.enroll().await;
                parties.push(party);
            }
            // 70% of the cap in every queue, then the cells: all of them envelopes sealed first.
            let per_queue = CAP / recipients.max(1);
            let filled = per_queue * 7 / 10;
            let measured_total: usize = CELLS.iter().map(|(_, n)| n).sum();
            let total = filled * recipients + measured_total;
            let forwards: Vec<String> = (0..total)
                .map(|n| {
                    let to = &parties[n % recipients];
                    let (_, inner) = alice.seal_for(to, json!({ "n": n, "pad": "x".repeat(900) }));
                    alice.forward(to.did(), &inner)
                })
                .collect();
            let (fill, mut rest) = forwards.split_at(filled * recipients);
            post_all(&alice, fill, 16).await;
            for (senders, count) in CELLS {
                let (measured, later) = rest.split_at(count);
                rest = later;
                let cpu_before = cpu_micros(child.id());
                let started = Instant::now();
                let mut latencies = post_all(&alice, measured, senders).await;
                let elapsed = started.elapsed().as_secs_f64();
                let cpu = (cpu_micros(child.id()) - cpu_before) as f64 / measured.len() as f64;
                latencies.sort_by(f64::total_cmp);
                let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
                println!(
                    "| {name} | {recipients} | {filled} | {senders} | {} | {:.0} | {:.2} | {:.2} | {cpu:.0} |",
                    measured.len(),
                    measured.len() as f64 / elapsed,
                    at(0.5),
                    at(0.99)
                );
            }
            drop(child);
        }
    }
}

/// Posts every forward with `senders` in flight; each must be accepted. Returns the latencies
/// in milliseconds.
async fn post_all(alice: &Party, forwards: &[String], senders: usize) -> Vec<f64> {
    let alice = Arc::new(alice);
    futures_util::stream::iter(forwards.iter().cloned())
        .map(|forward| {
            let alice = Arc::clone(&alice);
            async move {
                let started = Instant::now();
                let answer = alice.post(forward).await;
                assert_eq!(answer.status, 202, "a forward refused: {:?}", answer.message);
                started.elapsed().as_secs_f64() * 1000.0
            }
        })
        .buffer_unordered(senders)
        .collect()
        .await
}
