//! Tunnels against plain TCP on this machine's loopback, in one run: throughput of a 512 MiB
//! one-way transfer and the round-trip time of 1-byte requests (5,000 of them), for plain TCP,
//! a direct tunnel, and a tunnel forced through the mediator's relay. The ratios go into
//! docs/BENCHMARKS.md.
//!
//!     cargo bench -p mpc-id-e2e --bench tunnel

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mpc_connect::tunnel::{Forwarder, Server, TunnelOptions};
use mpc_connect::{Allowlist, EndpointAddr, PeerEndpoint, PeerEndpointConfig, RelayUrl, endpoint_id_of};
use mpc_identity::keys::PartyKeys;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BULK: usize = 512 * 1024 * 1024;
const ROUND_TRIPS: usize = 5_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    runtime.block_on(run());
}

async fn run() {
    let service = service().await;
    let data = tempfile::tempdir().expect("tempdir");
    let mediator = mpc_mediator::start(mpc_mediator::MediatorConfig::local(data.path())).await.expect("mediator");
    let relay: RelayUrl = format!("http://{}", mediator.address).parse().expect("relay");

    println!("| path | Gbit/s | RTT p50 µs | RTT p99 µs | throughput vs TCP | added RTT p50 µs |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let (tcp_rate, tcp_rtt) = measure(service).await;
    println!("| plain TCP | {:.2} | {:.0} | {:.0} | 1.00 | 0 |", tcp_rate, tcp_rtt.0, tcp_rtt.1);
    for relay_only in [false, true] {
        let (_keep, local) = tunnel(service, &mediator, &relay, relay_only).await;
        let (rate, rtt) = measure(local).await;
        let name = if relay_only { "tunnel, relayed" } else { "tunnel, direct" };
        println!(
            "| {name} | {rate:.2} | {:.0} | {:.0} | {:.2} | {:.0} |",
            rtt.0,
            rtt.1,
            rate / tcp_rate,
            rtt.0 - tcp_rtt.0
        );
    }
}

/// The service at the end of every path: first byte `b` = bulk (count to EOF, answer 1 byte),
/// `p` = ping-pong (echo each byte).
async fn service() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            tokio::spawn(async move {
                let mut mode = [0u8; 1];
                if tcp.read_exact(&mut mode).await.is_err() {
                    return;
                }
                let mut buffer = vec![0u8; 256 * 1024];
                if mode[0] == b'b' {
                    while let Ok(n) = tcp.read(&mut buffer).await {
                        if n == 0 {
                            break;
                        }
                    }
                    let _ = tcp.write_all(b"k").await;
                } else {
                    let mut byte = [0u8; 1];
                    while tcp.read_exact(&mut byte).await.is_ok() {
                        if tcp.write_all(&byte).await.is_err() {
                            break;
                        }
                    }
                }
            });
        }
    });
    addr
}

/// (Gbit/s, (RTT p50 µs, RTT p99 µs)) through `to`.
async fn measure(to: SocketAddr) -> (f64, (f64, f64)) {
    let mut tcp = connect(to).await;
    tcp.write_all(b"b").await.expect("mode");
    let chunk = vec![0x33u8; 256 * 1024];
    let started = Instant::now();
    for _ in 0..BULK / chunk.len() {
        tcp.write_all(&chunk).await.expect("write");
    }
    tcp.shutdown().await.expect("shutdown");
    let mut done = [0u8; 1];
    tcp.read_exact(&mut done).await.expect("done");
    let rate = BULK as f64 * 8.0 / started.elapsed().as_secs_f64() / 1e9;

    let mut tcp = connect(to).await;
    tcp.write_all(b"p").await.expect("mode");
    let mut times = Vec::with_capacity(ROUND_TRIPS);
    let mut byte = [0u8; 1];
    for i in 0..ROUND_TRIPS + 100 {
        let begun = Instant::now();
        tcp.write_all(&[i as u8]).await.expect("ping");
        tcp.read_exact(&mut byte).await.expect("pong");
        if i >= 100 {
            times.push(begun.elapsed());
        }
    }
    times.sort();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    (rate, (micros(times[times.len() / 2]), micros(times[times.len() * 99 / 100])))
}

async fn connect(to: SocketAddr) -> TcpStream {
    for _ in 0..200 {
        if let Ok(tcp) = TcpStream::connect(to).await {
            tcp.set_nodelay(true).expect("nodelay");
            return tcp;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot connect to {to}");
}

/// A tunnel to `service` between two fresh parties enrolled at the mediator; returns the
/// endpoints to keep and the forwarder's local address.
async fn tunnel(
    service: SocketAddr,
    mediator: &mpc_mediator::RunningMediator,
    relay: &RelayUrl,
    relay_only: bool,
) -> (Vec<Box<dyn std::any::Any>>, SocketAddr) {
    let (alice, bob) = (PartyKeys::generate().expect("keys"), PartyKeys::generate().expect("keys"));
    for party in [&alice, &bob] {
        // Relay access is for enrolled DIDs' keys; register these directly.
        let did = mpc_identity::did::key::encode(&party.verifying_key());
        mediator.register_relay_key(&party.verifying_key().to_bytes(), &did).await.expect("register");
    }
    let config = |peer: &PartyKeys| PeerEndpointConfig {
        relay: Some(relay.clone()),
        bind: (!relay_only).then(|| "127.0.0.1:0".parse().expect("addr")),
        allow: Allowlist::new([endpoint_id_of(&peer.verifying_key())]),
        discovery: None,
        relay_only,
        locate: None,
        verifier: None,
    };
    let alice_endpoint = PeerEndpoint::bind(alice.signing_key(), config(&bob)).await.expect("alice");
    let bob_endpoint = PeerEndpoint::bind(bob.signing_key(), config(&alice)).await.expect("bob");
    let options = TunnelOptions::default();
    let server = Server::start(bob_endpoint.clone(), service, options);
    let bob_addr = if relay_only {
        EndpointAddr::new(bob_endpoint.id()).with_relay_url(relay.clone())
    } else {
        bob_endpoint.addr()
    };
    let forwarder =
        Forwarder::start(alice_endpoint, bob_addr, "127.0.0.1:0".parse().expect("addr"), options).await.expect("fwd");
    let local = forwarder.local_addr();
    // Let the path settle (direct: hole punching on loopback is immediate).
    let _ = measure_warmup(local).await;
    (vec![Box::new(server), Box::new(forwarder), Box::new(bob_endpoint)], local)
}

async fn measure_warmup(to: SocketAddr) {
    let mut tcp = connect(to).await;
    tcp.write_all(b"p").await.expect("mode");
    let mut byte = [0u8; 1];
    for _ in 0..50 {
        tcp.write_all(b"x").await.expect("ping");
        tcp.read_exact(&mut byte).await.expect("pong");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
}
