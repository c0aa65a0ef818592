//! Forward intake: how many anonymous forwards per second `mpc-mediator` takes (each answered
//! 202: stored, durable as the database promises) and how long one POST waits, at 1 and 100
//! recipients and 1, 16 and 256 senders. One load generator, the one a comparison with another
//! mediator uses: a closed loop of keep-alive HTTP/1.1 connections (one per sender, the 256
//! spread over eight 127.0.0.x source addresses) POSTing pre-made unique forwards of 1 KiB
//! messages (a cell of one sender sends `MPC_ID_BENCH_SOLO`, default 2,000: more gives its p99
//! more checkpoints to meet); every cell measured in each of `MPC_ID_BENCH_ROUNDS` (default 3) interleaved
//! rounds against the same mediator process, medians reported; the mediator's own CPU per forward,
//! and its resident memory at the end.
//!
//!     cargo bench -p mpc-mediator --bench intake
//!
//! Nothing picks the messages up: this measures the intake, as a mediator under a burst of
//! messages for offline parties sees it. Each cell's recipients are new, so no queue grows
//! across rounds.
//!
//! With `MPC_ID_BENCH_AFFINIDI` naming an Affinidi messaging mediator binary (`scripts/bench-affinidi`
//! installs one and runs this), every cell is measured on both mediators in turn, by the same
//! load generator with the same workload: its forwards POSTed to its `/inbound`, sealed to its DID.

#[path = "../tests/integration/common/mod.rs"]
#[allow(dead_code)] // each bench uses part of the tests' client
#[allow(unused_imports)]
mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[path = "support/affinidi.rs"]
mod affinidi;

use common::{Party, forward_via, spawn_mediator, wait_ready};
use mpc_identity::envelope::encrypted;
use mpc_test_support::{cpu_micros, rss_kib};
use serde_json::json;

/// (recipients, senders) of every cell, in the order each round measures them.
const CELLS: [(usize, usize); 6] = [(1, 1), (1, 16), (1, 256), (100, 1), (100, 16), (100, 256)];

/// One cell's figures in one round.
#[derive(Clone, Copy, Debug)]
struct Figures {
    per_second: f64,
    /// Forwards answered with an error (or not answered): not counted in `per_second`.
    failed: f64,
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
    let ours = Target { name: "mpc-mediator", url: format!("{base}/didcomm"), pid: mediator.id(), enroll: true };
    let mut targets = vec![(ours, sender.mediator_keys.clone())];
    let other = match std::env::var_os("MPC_ID_BENCH_AFFINIDI") {
        Some(binary) => Some(affinidi::start(std::path::Path::new(&binary), mpc_test_support::free_port()).await),
        None => None,
    };
    if let Some(other) = &other {
        let target = Target { name: "Affinidi", url: other.inbound.clone(), pid: other.process.id(), enroll: false };
        targets.push((target, other.keys.clone()));
    }
    // `MPC_ID_BENCH_CELLS=1x1,100x16` measures only those (recipients x senders) cells.
    let only = std::env::var("MPC_ID_BENCH_CELLS").ok();
    let wanted = |recipients: usize, senders: usize| {
        only.as_deref().is_none_or(|list| list.split(',').any(|cell| cell.trim() == format!("{recipients}x{senders}")))
    };
    let mut figures: Vec<Vec<Vec<Figures>>> = vec![vec![Vec::new(); CELLS.len()]; targets.len()];
    let (mut forwards, mut largest_wal) = (0usize, 0u64);
    for round in 0..rounds {
        for (cell, &(recipients, senders)) in CELLS.iter().enumerate().filter(|(_, (r, s))| wanted(*r, *s)) {
            for (t, (target, keys)) in targets.iter().enumerate() {
                let measured = measure(&base, &sender, target, keys, recipients, senders).await;
                eprintln!(
                    "round {round}: {}, {recipients} recipient(s), {senders} sender(s): {measured:?}",
                    target.name
                );
                figures[t][cell].push(measured);
            }
            forwards += if senders == 1 { solo() } else { MANY };
            largest_wal = largest_wal.max(wal_bytes(data.path()));
        }
    }
    println!("| mediator | recipients | senders | forwards/s | p50 ms | p99 ms | CPU µs/forward | failed |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (cell, &(recipients, senders)) in CELLS.iter().enumerate().filter(|(_, (r, s))| wanted(*r, *s)) {
        for (t, (target, _)) in targets.iter().enumerate() {
            let runs = &figures[t][cell];
            let median = |pick: fn(&Figures) -> f64| {
                let mut values: Vec<f64> = runs.iter().map(pick).collect();
                values.sort_by(f64::total_cmp);
                values[values.len() / 2]
            };
            println!(
                "| {} | {recipients} | {senders} | {:.0} | {:.2} | {:.2} | {:.0} | {:.0} |",
                target.name,
                median(|f| f.per_second),
                median(|f| f.p50_ms),
                median(|f| f.p99_ms),
                median(|f| f.cpu_us),
                median(|f| f.failed),
            );
        }
    }
    println!();
    println!(
        "{rounds} rounds, medians; after {forwards} forwards each, resident memory: mpc-mediator {:.1} MiB (the \
         largest SQLite WAL seen after a cell: {:.1} MiB)",
        rss_kib(mediator.id()) as f64 / 1024.0,
        largest_wal as f64 / (1024.0 * 1024.0)
    );
    if let Some(other) = &other {
        println!(
            "Affinidi {:.1} MiB ({}; its store holds {:.1} MiB on disk)",
            rss_kib(other.process.id()) as f64 / 1024.0,
            other.durability,
            other.stored_bytes() as f64 / (1024.0 * 1024.0)
        );
    }
}

/// A mediator under measurement.
struct Target {
    name: &'static str,
    /// Where forwards are POSTed.
    url: String,
    pid: u32,
    /// Whether its recipients enroll first (ours refuses forwards for parties it does not serve;
    /// Affinidi's registers a recipient on its first forward).
    enroll: bool,
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

/// Forwards sent by one sender alone (unless `MPC_ID_BENCH_SOLO` says), and by many together, in
/// one cell.
const SOLO: usize = 2_000;
const MANY: usize = 8_000;

fn solo() -> usize {
    std::env::var("MPC_ID_BENCH_SOLO").ok().and_then(|n| n.parse().ok()).unwrap_or(SOLO)
}

/// One cell: `recipients` new parties, `senders` connections posting pre-made forwards to them
/// (round robin, sealed to `keys`, the mediator's) until all are taken.
async fn measure(
    base: &str,
    sender: &Party,
    target: &Target,
    keys: &[encrypted::RecipientKey],
    recipients: usize,
    senders: usize,
) -> Figures {
    let mut parties = Vec::with_capacity(recipients);
    for n in 0..recipients {
        let party = Party::at(&format!("bob{n}"), base).await;
        if target.enroll {
            party.enroll().await;
        }
        parties.push(party);
    }
    // Made before the clock starts: the senders measure the mediator, not the sealing.
    let count = if senders == 1 { solo() } else { MANY };
    let padding = "x".repeat(900);
    let forwards: Arc<Vec<String>> = Arc::new(
        (0..count)
            .map(|n| {
                let to = &parties[n % recipients];
                let (_, inner) = sender.seal_for(to, json!({ "n": n, "pad": padding }));
                forward_via(keys, to.did(), &inner)
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let pid = target.pid;
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
            let (forwards, next, url) = (Arc::clone(&forwards), Arc::clone(&next), target.url.clone());
            tokio::spawn(async move {
                let (mut waits, mut failed) = (Vec::new(), 0usize);
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = forwards.get(n) else { break };
                    let sent = Instant::now();
                    let answer = http
                        .post(&url)
                        .header("content-type", "application/didcomm-encrypted+json")
                        .body(body.clone())
                        .send()
                        .await;
                    let taken = match answer {
                        Ok(answer) => {
                            let status = answer.status();
                            let text = answer.text().await.unwrap_or_default();
                            if !status.is_success() && failed == 0 {
                                eprintln!(
                                    "a forward was not taken: {status} {}",
                                    text.chars().take(300).collect::<String>()
                                );
                            }
                            status.is_success()
                        }
                        Err(e) => {
                            if failed == 0 {
                                eprintln!("a forward was not answered: {e}");
                            }
                            false
                        }
                    };
                    if !taken {
                        failed += 1;
                        continue;
                    }
                    waits.push(sent.elapsed());
                }
                (waits, failed)
            })
        })
        .collect();
    let (mut waits, mut failed) = (Vec::with_capacity(count), 0);
    for task in tasks {
        let (taken, refused) = task.await.expect("sender");
        waits.extend(taken);
        failed += refused;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_us = (cpu_micros(pid) - cpu_before) as f64 / count as f64;
    waits.sort();
    if waits.is_empty() {
        return Figures { per_second: 0.0, failed: failed as f64, p50_ms: f64::NAN, p99_ms: f64::NAN, cpu_us };
    }
    let at = |q: f64| waits[((waits.len() as f64 * q).ceil() as usize).clamp(1, waits.len()) - 1].as_secs_f64() * 1e3;
    let per_second = waits.len() as f64 / elapsed;
    Figures { per_second, failed: failed as f64, p50_ms: at(0.50), p99_ms: at(0.99), cpu_us }
}
