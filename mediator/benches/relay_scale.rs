//! The relay at scale: 100 pairs of parties, every byte through one `mpc-mediator` process's
//! relay (`relay_only` endpoints, as `--relay-only` runs), measured three ways:
//!
//! 1. bulk: every pair sends 4 MB at once through its tunnel; aggregate throughput, each pair's
//!    throughput (min, median, max, Jain's fairness index), the mediator's CPU and memory;
//! 2. round trips: every pair makes 300 one-byte round trips at once; p50 and p99, against one
//!    pair alone and plain TCP on loopback;
//! 3. one greedy pair: one pair sends as fast as it can while the 99 others make round trips,
//!    with the per-party relay budget off (`--relay-bytes-per-second 0`) and at 10 MB/s (on
//!    this 2-core machine one pair cannot reach the default 50 MB/s while 99 others are served).
//!
//!     cargo bench -p mpc-mediator --bench relay_scale
//!
//! `MPC_ID_RELAY_PAIRS` sets the pairs (default 100).

#[path = "../tests/integration/common/mod.rs"]
#[allow(dead_code)] // each bench uses part of the tests' client
#[allow(unused_imports)]
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Party, spawn_mediator, wait_ready};
use mpc_connect::tunnel::{Forwarder, Server, TunnelOptions};
use mpc_connect::{Allowlist, EndpointAddr, PeerEndpoint, PeerEndpointConfig, RelayUrl, endpoint_id_of};
use mpc_test_support::{cpu_micros, rss_kib};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BULK_BYTES: usize = 4_000_000;
const ROUND_TRIPS: usize = 300;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let pairs: usize = std::env::var("MPC_ID_RELAY_PAIRS").ok().and_then(|p| p.parse().ok()).unwrap_or(100);
    let plain = plain_tcp_rtt().await;
    println!("plain TCP on loopback, one-byte round trips: p50 {:.0} µs, p99 {:.0} µs", plain.0, plain.1);
    for budget in ["0", "10000000"] {
        let data = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let flags = [
            "--rate-limit-ip",
            "0",
            "--rate-limit-did",
            "0",
            "--enrollments-per-hour",
            "0",
            "--max-connections-per-source",
            "4096",
            "--relay-bytes-per-second",
            budget,
        ];
        let mediator = spawn_mediator(port, data.path(), None, &flags);
        wait_ready(&base).await;
        let relay: RelayUrl = base.parse().expect("relay url");
        let links = connect_pairs(&base, &relay, pairs).await;
        let pid = mediator.id();
        println!(
            "\n--relay-bytes-per-second {budget}: {pairs} relayed pairs, one mediator (RSS at rest with them connected: {:.1} MiB)",
            rss_kib(pid) as f64 / 1024.0
        );

        if budget == "0" {
            let cpu = cpu_micros(pid);
            let started = Instant::now();
            let rates: Vec<f64> = futures_util::future::join_all(links.iter().map(|l| bulk(l.local, BULK_BYTES))).await;
            let wall = started.elapsed().as_secs_f64();
            let cpu = (cpu_micros(pid) - cpu) as f64 / 1e6;
            let mut sorted = rates.clone();
            sorted.sort_by(f64::total_cmp);
            let jain =
                rates.iter().sum::<f64>().powi(2) / (rates.len() as f64 * rates.iter().map(|r| r * r).sum::<f64>());
            println!(
                "bulk, {} MB per pair at once: aggregate {:.0} Mbit/s; per pair min {:.1} / median {:.1} / max {:.1} Mbit/s, Jain {:.3}; mediator {:.2} CPU s ({:.0}% of {:.1} s), RSS {:.1} MiB",
                BULK_BYTES / 1_000_000,
                (pairs * BULK_BYTES * 8) as f64 / wall / 1e6,
                sorted[0],
                sorted[sorted.len() / 2],
                sorted[sorted.len() - 1],
                jain,
                cpu,
                cpu / wall * 100.0,
                wall,
                rss_kib(pid) as f64 / 1024.0
            );
            let alone = round_trips(&links[..1], ROUND_TRIPS).await;
            println!("round trips, one pair alone: p50 {:.0} µs, p99 {:.0} µs", alone.0, alone.1);
            let cpu = cpu_micros(pid);
            let all = round_trips(&links, ROUND_TRIPS).await;
            println!(
                "round trips, all {pairs} pairs at once: p50 {:.0} µs, p99 {:.0} µs (added to plain TCP: p50 {:.0}, p99 {:.0}); mediator {:.0} µs CPU per relayed round trip",
                all.0,
                all.1,
                all.0 - plain.0,
                all.1 - plain.1,
                (cpu_micros(pid) - cpu) as f64 / (pairs * (ROUND_TRIPS + 50)) as f64
            );
        }
        // One greedy pair against the others' round trips.
        let stop = Arc::new(AtomicBool::new(false));
        let greedy = tokio::spawn(flood(links[0].local, Arc::clone(&stop)));
        tokio::time::sleep(Duration::from_millis(500)).await;
        let others = round_trips(&links[1..], ROUND_TRIPS).await;
        stop.store(true, Ordering::Relaxed);
        let flooded = greedy.await.expect("flood");
        println!(
            "round trips of the other {} pairs while one pair floods: p50 {:.0} µs, p99 {:.0} µs; the greedy pair got {:.0} Mbit/s",
            pairs - 1,
            others.0,
            others.1,
            flooded
        );
        drop(links);
        drop(mediator);
    }
}

/// One relayed pair: the sender's forwarder, with the endpoints and server kept alive.
struct Link {
    local: SocketAddr,
    _forwarder: Forwarder,
    _server: Server,
    _endpoints: (PeerEndpoint, PeerEndpoint),
}

async fn connect_pairs(base: &str, relay: &RelayUrl, pairs: usize) -> Vec<Link> {
    let target = echo_or_sink().await;
    let options = TunnelOptions { connect_timeout: Duration::from_secs(30), retry_every: Duration::from_millis(100) };
    let mut links = Vec::new();
    for n in 0..pairs {
        let (a, b) = (Party::at(&format!("a{n}"), base).await, Party::at(&format!("b{n}"), base).await);
        a.enroll().await;
        b.enroll().await;
        let config = |peer: &Party| {
            let allow = Allowlist::new([endpoint_id_of(&peer.identity.keys.verifying_key())]);
            PeerEndpointConfig { relay: Some(relay.clone()), allow, relay_only: true, ..Default::default() }
        };
        let sender = PeerEndpoint::bind(a.identity.keys.signing_key(), config(&b)).await.expect("bind");
        let receiver = PeerEndpoint::bind(b.identity.keys.signing_key(), config(&a)).await.expect("bind");
        let server = Server::start(receiver.clone(), target, options);
        let address = EndpointAddr::new(receiver.id()).with_relay_url(relay.clone());
        let forwarder = Forwarder::start(sender.clone(), address, "127.0.0.1:0".parse().expect("addr"), options)
            .await
            .expect("forwarder");
        let local = forwarder.local_addr();
        // Connected before anything is measured.
        let _ = exchange(local, 1).await;
        links.push(Link { local, _forwarder: forwarder, _server: server, _endpoints: (sender, receiver) });
    }
    links
}

/// A target behind every receiver: a connection starting with `E` is echoed byte by byte, one
/// starting with `S` is read to its end and answered with one byte.
async fn echo_or_sink() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                let mut mode = [0u8];
                if tcp.read_exact(&mut mode).await.is_err() {
                    return;
                }
                let mut buffer = vec![0u8; 64 * 1024];
                if mode[0] == b'E' {
                    while let Ok(n @ 1..) = tcp.read(&mut buffer).await {
                        if tcp.write_all(&buffer[..n]).await.is_err() {
                            return;
                        }
                    }
                } else {
                    while let Ok(1..) = tcp.read(&mut buffer).await {}
                    let _ = tcp.write_all(b"k").await;
                }
            });
        }
    });
    address
}

/// `count` one-byte round trips on one connection; their times in µs.
async fn exchange(local: SocketAddr, count: usize) -> Vec<f64> {
    let mut tcp = TcpStream::connect(local).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    tcp.write_all(b"E").await.expect("mode");
    let mut times = Vec::with_capacity(count);
    let mut byte = [0u8];
    for _ in 0..count {
        let started = Instant::now();
        tcp.write_all(b"x").await.expect("write");
        tcp.read_exact(&mut byte).await.expect("echo");
        times.push(started.elapsed().as_secs_f64() * 1e6);
    }
    times
}

/// Round trips on every link at once (50 first, unmeasured, per link); (p50, p99) in µs.
async fn round_trips(links: &[Link], count: usize) -> (f64, f64) {
    let all = futures_util::future::join_all(links.iter().map(|l| exchange(l.local, count + 50))).await;
    let mut times: Vec<f64> = all.into_iter().flat_map(|t| t.into_iter().skip(50)).collect();
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

/// Sends `bytes` through a link and waits for the answer; Mbit/s.
async fn bulk(local: SocketAddr, bytes: usize) -> f64 {
    let started = Instant::now();
    let mut tcp = TcpStream::connect(local).await.expect("connect");
    tcp.write_all(b"S").await.expect("mode");
    let chunk = vec![7u8; 64 * 1024];
    let mut sent = 0;
    while sent < bytes {
        let n = chunk.len().min(bytes - sent);
        tcp.write_all(&chunk[..n]).await.expect("write");
        sent += n;
    }
    tcp.shutdown().await.expect("shutdown");
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.expect("answer");
    (bytes * 8) as f64 / started.elapsed().as_secs_f64() / 1e6
}

/// Sends as fast as a link takes until `stop`; Mbit/s.
async fn flood(local: SocketAddr, stop: Arc<AtomicBool>) -> f64 {
    let started = Instant::now();
    let mut tcp = TcpStream::connect(local).await.expect("connect");
    tcp.write_all(b"S").await.expect("mode");
    let chunk = vec![7u8; 64 * 1024];
    let mut sent = 0usize;
    while !stop.load(Ordering::Relaxed) {
        if tcp.write_all(&chunk).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    (sent * 8) as f64 / started.elapsed().as_secs_f64() / 1e6
}

/// Plain TCP round trips on loopback, the floor; (p50, p99) in µs.
async fn plain_tcp_rtt() -> (f64, f64) {
    let target = echo_or_sink().await;
    let mut times = exchange(target, ROUND_TRIPS + 50).await.split_off(50);
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() * 99 / 100])
}
