//! Forward intake: how many anonymous forwards per second `mpc-mediator` takes (each answered
//! 202: stored, durable as the database promises) and how long one POST waits, at 1 and 100
//! recipients and 1, 16 and 256 senders. One load generator, the one a comparison with another
//! mediator uses: a closed loop of keep-alive HTTP/1.1 connections (one per sender, the 256
//! spread over eight 127.0.0.x source addresses) POSTing pre-made unique forwards of 1 KiB
//! messages; every cell measured in each of `MPC_ID_BENCH_ROUNDS` (default 3) interleaved
//! rounds against the same mediator process, medians reported; the mediator's own CPU per forward,
//! and its resident memory at the end.
//!
//!     cargo bench -p mpc-mediator --bench intake
//!
//! Nothing picks the messages up: this measures the intake, as a mediator under a burst of
//! messages for offline parties sees it. Each cell's recipients are new, so no queue grows
//! across rounds.

#[path = "../tests/integration/common/mod.rs"]
#[allow(dead_code)] // each bench uses part of the tests' client
#[allow(unused_imports)]
mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Party, spawn_mediator, wait_ready};
use mpc_test_support::{cpu_micros, rss_kib};
use serde_json::json;

/// (recipients, senders) of every cell, in the order each round measures them.
const CELLS: [(usize, usize); 6] = [(1, 1), (1, 16), (1, 256), (100, 1), (100, 16), (100, 256)];

/// One cell's figures in one round.
#[derive(Clone, Copy, Debug)]
struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_us: f64,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let rounds: usize = std::env::var("MPC_ID_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let data = tempfile::tempdir().expect("tempdir");
    let port = mpc_test_support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    // The measurement is of the service, not of its per-client shares.
    let mut extra = vec!["--rate-limit-ip", "0", "--rate-limit-did", "0", "--queue-cap", "10000000"];
    extra.extend(["--queue-cap-per-source", "10000000", "--queue-bytes-per-source", "1099511627776"]);
    extra.extend(["--max-connections-per-source", "4096", "--enrollments-per-hour", "0"]);
    let mediator = spawn_mediator(port, data.path(), None, &extra);
    wait_ready(&base).await;
    let sender = Party::at("alice", &base).await;
    let mut figures: Vec<Vec<Figures>> = vec![Vec::new(); CELLS.len()];
    let (mut forwards, mut largest_wal) = (0usize, 0u64);
    for round in 0..rounds {
        for (cell, &(recipients, senders)) in CELLS.iter().enumerate() {
            let measured = measure(&base, &sender, mediator.id(), recipients, senders).await;
            forwards += if senders == 1 { SOLO } else { MANY };
            eprintln!("round {round}: {recipients} recipient(s), {senders} sender(s): {measured:?}");
            figures[cell].push(measured);
            largest_wal = largest_wal.max(wal_bytes(data.path()));
        }
    }
    println!("| recipients | senders | forwards/s | p50 ms | p99 ms | mediator CPU µs/forward |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for (&(recipients, senders), cell) in CELLS.iter().zip(&figures) {
        let median = |pick: fn(&Figures) -> f64| {
            let mut values: Vec<f64> = cell.iter().map(pick).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        println!(
            "| {recipients} | {senders} | {:.0} | {:.2} | {:.2} | {:.0} |",
            median(|f| f.per_second),
            median(|f| f.p50_ms),
            median(|f| f.p99_ms),
            median(|f| f.cpu_us),
        );
    }
    println!();
    println!(
        "{rounds} rounds, medians; mediator RSS after {forwards} forwards: {:.1} MiB; the largest SQLite WAL seen \
         after a cell: {:.1} MiB",
        rss_kib(mediator.id()) as f64 / 1024.0,
        largest_wal as f64 / (1024.0 * 1024.0)
    );
}

/// The size of the SQLite write-ahead log(s) in the mediator's data directory.
fn wal_bytes(data: &std::path::Path) -> u64 {
    std::fs::read_dir(data)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().ends_with("-wal"))
        .filter_map(|entry| entry.metadata().ok())
        .map(|meta| meta.len())
        .sum()
}

/// Forwards sent by one sender alone, and by many together, in one cell.
const SOLO: usize = 2_000;
const MANY: usize = 8_000;

/// One cell: `recipients` new enrolled parties, `senders` connections posting pre-made forwards
/// to them (round robin) until all are taken.
async fn measure(base: &str, sender: &Party, pid: u32, recipients: usize, senders: usize) -> Figures {
    let mut parties = Vec::with_capacity(recipients);
    for n in 0..recipients {
        let party = Party::at(&format!("bob{n}"), base).await;
        party.enroll().await;
        parties.push(party);
    }
    // Made before the clock starts: the senders measure the mediator, not the sealing.
    let count = if senders == 1 { SOLO } else { MANY };
    let padding = "x".repeat(900);
    let forwards: Arc<Vec<String>> = Arc::new(
        (0..count)
            .map(|n| {
                let to = &parties[n % recipients];
                let (_, inner) = sender.seal_for(to, json!({ "n": n, "pad": padding }));
                sender.forward(to.did(), &inner)
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = cpu_micros(pid);
    let started = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|s| {
            // One keep-alive connection per sender, from one of eight addresses.
            let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (s % 8) as u8));
            let http = reqwest::Client::builder()
                .local_address(from)
                .http1_only()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client");
            let (forwards, next, url) = (Arc::clone(&forwards), Arc::clone(&next), format!("{base}/didcomm"));
            tokio::spawn(async move {
                let mut waits = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = forwards.get(n) else { break };
                    let sent = Instant::now();
                    let answer = http
                        .post(&url)
                        .header("content-type", "application/didcomm-encrypted+json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("POST");
                    assert_eq!(answer.status(), 202, "a forward was not taken");
                    let _ = answer.bytes().await;
                    waits.push(sent.elapsed());
                }
                waits
            })
        })
        .collect();
    let mut waits = Vec::with_capacity(count);
    for task in tasks {
        waits.extend(task.await.expect("sender"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_us = (cpu_micros(pid) - cpu_before) as f64 / count as f64;
    waits.sort();
    let at = |q: f64| waits[((waits.len() as f64 * q).ceil() as usize).clamp(1, waits.len()) - 1].as_secs_f64() * 1e3;
    Figures { per_second: count as f64 / elapsed, p50_ms: at(0.50), p99_ms: at(0.99), cpu_us }
}
