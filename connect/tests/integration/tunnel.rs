//! Tunnels between two endpoints on loopback (direct paths, no relay): bulk data arrives
//! byte-identical, many connections share one peer link, strangers are refused, waiting is
//! bounded, and a peer that disappears is an error rather than a hang.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use mpc_connect::tunnel::{Forwarder, Server, TunnelOptions};
use mpc_connect::{Allowlist, PeerEndpoint, PeerEndpointConfig, endpoint_id_of};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn key() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("rng");
    SigningKey::from_bytes(&seed)
}

const LOOPBACK: &str = "127.0.0.1:0";

async fn endpoint(key: &SigningKey, allow: &[&SigningKey]) -> PeerEndpoint {
    let allow = Allowlist::new(allow.iter().map(|k| endpoint_id_of(&k.verifying_key())));
    let config = PeerEndpointConfig {
        relay: None,
        bind: Some(LOOPBACK.parse().expect("addr")),
        allow,
        discovery: None,
        relay_only: false,
        locate: None,
        verifier: None,
    };
    PeerEndpoint::bind(key, config).await.expect("bind")
}

fn quick() -> TunnelOptions {
    TunnelOptions { connect_timeout: Duration::from_secs(3), retry_every: Duration::from_millis(100) }
}

/// A TCP service that answers each connection with the SHA-256 of everything it received.
async fn hashing_target() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind(LOOPBACK).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut hasher = Sha256::new();
                let mut buffer = vec![0u8; 64 * 1024];
                loop {
                    match tcp.read(&mut buffer).await {
                        Ok(0) => break,
                        Ok(n) => hasher.update(&buffer[..n]),
                        Err(_) => return,
                    }
                }
                let _ = tcp.write_all(&hasher.finalize()).await;
            });
        }
    });
    (addr, connections)
}

/// Sends `len` pseudo-random bytes through `to`, returns (our hash, the hash the far side saw).
async fn send_and_hash(to: SocketAddr, len: usize, seed: u64) -> ([u8; 32], Vec<u8>) {
    let mut tcp = TcpStream::connect(to).await.expect("connect to the forwarder");
    let mut state = seed | 1;
    let mut ours = Sha256::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut sent = 0;
    while sent < len {
        let n = chunk.len().min(len - sent);
        for byte in chunk[..n].iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
        ours.update(&chunk[..n]);
        tcp.write_all(&chunk[..n]).await.expect("write");
        sent += n;
    }
    tcp.shutdown().await.expect("half-close");
    let mut theirs = Vec::new();
    tcp.read_to_end(&mut theirs).await.expect("read the answer");
    (ours.finalize().into(), theirs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_megabytes_arrive_byte_identical() {
    let (alice_key, bob_key) = (key(), key());
    let alice = endpoint(&alice_key, &[&bob_key]).await;
    let bob = endpoint(&bob_key, &[&alice_key]).await;
    let (target, _) = hashing_target().await;
    let _server = Server::start(bob.clone(), target, quick());
    let forwarder = Forwarder::start(alice, bob.addr(), LOOPBACK.parse().expect("addr"), quick()).await.expect("fwd");

    let (ours, theirs) = send_and_hash(forwarder.local_addr(), 100 * 1024 * 1024, 7).await;
    assert_eq!(theirs, ours.to_vec(), "the far side saw different bytes");
    let path = forwarder.path().await.expect("connected");
    assert!(path.direct, "loopback peers talk directly: {path:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_connections_share_one_link() {
    let (alice_key, bob_key) = (key(), key());
    let alice = endpoint(&alice_key, &[&bob_key]).await;
    let bob = endpoint(&bob_key, &[&alice_key]).await;
    let (target, connections) = hashing_target().await;
    let _server = Server::start(bob.clone(), target, quick());
    let forwarder = Forwarder::start(alice, bob.addr(), LOOPBACK.parse().expect("addr"), quick()).await.expect("fwd");
    let local = forwarder.local_addr();

    let tasks: Vec<_> = (0..200u64)
        .map(|i| tokio::spawn(async move { send_and_hash(local, 16 * 1024 + i as usize, i + 1).await }))
        .collect();
    for task in tasks {
        let (ours, theirs) = task.await.expect("task");
        assert_eq!(theirs, ours.to_vec());
    }
    assert_eq!(connections.load(Ordering::SeqCst), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_off_the_allowlist_is_refused_and_nothing_reaches_the_target() {
    let (bob_key, mallory_key) = (key(), key());
    let bob = endpoint(&bob_key, &[]).await; // Bob allows nobody.
    let mallory = endpoint(&mallory_key, &[&bob_key]).await;
    let (target, connections) = hashing_target().await;
    let _server = Server::start(bob.clone(), target, quick());
    let forwarder = Forwarder::start(mallory, bob.addr(), LOOPBACK.parse().expect("addr"), quick()).await.expect("fwd");

    let mut tcp = TcpStream::connect(forwarder.local_addr()).await.expect("local connect");
    let _ = tcp.write_all(b"let me in").await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), tcp.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the refused tunnel must close, not hang");
    assert!(answer.is_empty(), "nothing may come back: {answer:?}");
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the target was never reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_holds_a_stream_until_its_target_listens() {
    let (alice_key, bob_key) = (key(), key());
    let alice = endpoint(&alice_key, &[&bob_key]).await;
    let bob = endpoint(&bob_key, &[&alice_key]).await;
    // Reserve a port for a target that starts late.
    let reserved = TcpListener::bind(LOOPBACK).await.expect("bind");
    let target = reserved.local_addr().expect("addr");
    drop(reserved);
    let patient = TunnelOptions { connect_timeout: Duration::from_secs(10), retry_every: Duration::from_millis(100) };
    let _server = Server::start(bob.clone(), target, patient);
    let forwarder = Forwarder::start(alice, bob.addr(), LOOPBACK.parse().expect("addr"), patient).await.expect("fwd");
    let local = forwarder.local_addr();
    let client = tokio::spawn(async move { send_and_hash(local, 1000, 3).await });
    // Long enough for the server to find the target closed a few times (it retries every 100 ms).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let listener = TcpListener::bind(target).await.expect("late target");
    let (mut tcp, _) = listener.accept().await.expect("the held stream arrives");
    let mut received = Vec::new();
    tcp.read_to_end(&mut received).await.expect("read");
    tcp.write_all(&Sha256::digest(&received)).await.expect("answer");
    drop(tcp);
    let (ours, theirs) = client.await.expect("client");
    assert_eq!(theirs, ours.to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_vanishes_mid_transfer_is_an_error_not_a_hang() {
    let (alice_key, bob_key) = (key(), key());
    let alice = endpoint(&alice_key, &[&bob_key]).await;
    let bob = endpoint(&bob_key, &[&alice_key]).await;
    let (target, _) = hashing_target().await;
    let server = Server::start(bob.clone(), target, quick());
    let forwarder = Forwarder::start(alice, bob.addr(), LOOPBACK.parse().expect("addr"), quick()).await.expect("fwd");
    let local = forwarder.local_addr();
    let (under_way, started) = tokio::sync::oneshot::channel();
    let transfer = tokio::spawn(async move {
        let mut tcp = TcpStream::connect(local).await.expect("connect");
        let chunk = vec![0x5a; 64 * 1024];
        let mut under_way = Some(under_way);
        // Write until the tunnel breaks; the peer is killed once a megabyte is through.
        for n in 0..100_000 {
            if tcp.write_all(&chunk).await.is_err() {
                return true;
            }
            if n == 16 {
                let _ = under_way.take().map(|tx| tx.send(()));
            }
        }
        false
    });
    tokio::time::timeout(Duration::from_secs(30), started).await.expect("under way").expect("writer");
    drop(server);
    bob.close().await;
    let broke = tokio::time::timeout(Duration::from_secs(30), transfer).await.expect("no hang").expect("task");
    assert!(broke, "the writer must see the tunnel break");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forwarder_holds_a_connection_until_the_peer_comes_up() {
    let (alice_key, bob_key) = (key(), key());
    let alice = endpoint(&alice_key, &[&bob_key]).await;
    // Bob's address is known before Bob runs (as from a session), and he starts late.
    let port = std::net::UdpSocket::bind(LOOPBACK).expect("udp").local_addr().expect("addr").port();
    let bob_addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let peer = mpc_connect::EndpointAddr::new(endpoint_id_of(&bob_key.verifying_key())).with_ip_addr(bob_addr);
    let patient = TunnelOptions { connect_timeout: Duration::from_secs(20), retry_every: Duration::from_millis(200) };
    let forwarder = Forwarder::start(alice, peer, LOOPBACK.parse().expect("addr"), patient).await.expect("fwd");
    let local = forwarder.local_addr();
    let client = tokio::spawn(async move { send_and_hash(local, 4096, 11).await });

    // Away long enough for the forwarder to find no one a few times (it retries every 200 ms).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let allow = Allowlist::new([endpoint_id_of(&alice_key.verifying_key())]);
    let bob = PeerEndpoint::bind(
        &bob_key,
        PeerEndpointConfig {
            relay: None,
            bind: Some(bob_addr),
            allow,
            discovery: None,
            relay_only: false,
            locate: None,
            verifier: None,
        },
    )
    .await
    .expect("bob binds late");
    let (target, _) = hashing_target().await;
    let _server = Server::start(bob, target, patient);
    let (ours, theirs) = tokio::time::timeout(Duration::from_secs(20), client).await.expect("in time").expect("task");
    assert_eq!(theirs, ours.to_vec(), "the connection held while Bob was away went through");
}

/// Passes a peer's first datagram on to `to`, and drops everything after it, both ways: the peer
/// starts a handshake that never ends.
/// Also returns a receiver told once that datagram has been passed on.
async fn one_datagram_proxy(to: SocketAddr) -> (SocketAddr, tokio::sync::oneshot::Receiver<()>) {
    let socket = tokio::net::UdpSocket::bind(LOOPBACK).await.expect("bind");
    let addr = socket.local_addr().expect("addr");
    let (passed, passed_on) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut buffer = vec![0u8; 65536];
        let Ok((n, _)) = socket.recv_from(&mut buffer).await else { return };
        let _ = socket.send_to(&buffer[..n], to).await;
        let _ = passed.send(());
        while socket.recv_from(&mut buffer).await.is_ok() {}
    });
    (addr, passed_on)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_that_never_ends_holds_up_no_one_else() {
    let (alice_key, bob_key, stuck_key) = (key(), key(), key());
    let bob = endpoint(&bob_key, &[&alice_key, &stuck_key]).await;
    let (target, _) = hashing_target().await;
    let _server = Server::start(bob.clone(), target, quick());
    // A peer whose handshake reaches Bob and then goes silent.
    let bob_udp = *bob.addr().ip_addrs().next().expect("bob's address");
    let (proxy, passed_on) = one_datagram_proxy(bob_udp).await;
    let through_proxy = mpc_connect::EndpointAddr::new(bob.addr().id).with_ip_addr(proxy);
    let stuck = endpoint(&stuck_key, &[&bob_key]).await;
    let stalled = tokio::spawn(async move { stuck.connect(through_proxy, Duration::from_secs(30)).await });
    tokio::time::timeout(Duration::from_secs(10), passed_on).await.expect("the handshake reached Bob").expect("proxy");
    // Meanwhile Alice connects and tunnels as usual.
    let alice = endpoint(&alice_key, &[&bob_key]).await;
    let forwarder = Forwarder::start(alice, bob.addr(), LOOPBACK.parse().expect("addr"), quick()).await.expect("fwd");
    let (ours, theirs) = tokio::time::timeout(Duration::from_secs(5), send_and_hash(forwarder.local_addr(), 10_000, 7))
        .await
        .expect("Alice is served while the other handshake hangs");
    assert_eq!(ours.as_slice(), theirs.as_slice());
    assert!(!stalled.is_finished(), "the stalled handshake is still pending");
    stalled.abort();
}
