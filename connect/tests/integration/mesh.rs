//! A session's mesh on loopback: three parties connect pairwise, tunnels reach the
//! higher-indexed party's service, a party's exit code reaches the others, and a party that
//! goes away unannounced is reported lost. (A party killed outright, whose connections just go
//! silent and are caught by the heartbeat timeout, is `tests/tests/integration/sessions.rs`'s case.)

use std::time::Duration;

use ed25519_dalek::SigningKey;
use mpc_connect::mesh::{Mesh, MeshEvent, MeshOptions, MeshPeer};
use mpc_connect::tunnel::TunnelOptions;
use mpc_connect::{Allowlist, LocalAddr, PeerEndpoint, PeerEndpointConfig, endpoint_id_of};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

fn key() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("rng");
    SigningKey::from_bytes(&seed)
}

fn options() -> MeshOptions {
    MeshOptions {
        heartbeat: Duration::from_millis(200),
        lost_after: Duration::from_secs(1),
        tunnel: TunnelOptions { connect_timeout: Duration::from_secs(5), retry_every: Duration::from_millis(50) },
    }
}

/// Three endpoints on loopback that allow each other.
async fn endpoints() -> Vec<PeerEndpoint> {
    let keys: Vec<SigningKey> = (0..3).map(|_| key()).collect();
    let allow = || Allowlist::new(keys.iter().map(|k| endpoint_id_of(&k.verifying_key())));
    let mut endpoints = Vec::new();
    for key in &keys {
        let config = PeerEndpointConfig {
            relay: None,
            bind: Some("127.0.0.1:0".parse().expect("addr")),
            allow: allow(),
            discovery: None,
            relay_only: false,
            locate: None,
            verifier: None,
        };
        endpoints.push(PeerEndpoint::bind(key, config).await.expect("bind"));
    }
    endpoints
}

/// An echo service (what party `i`'s MPyC port stands for here).
async fn echo() -> LocalAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = LocalAddr::Tcp(listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 1024];
                while let Ok(n) = tcp.read(&mut buffer).await {
                    if n == 0 || tcp.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

async fn meshes(endpoints: &[PeerEndpoint]) -> Vec<Mesh> {
    let services = vec![echo().await, echo().await, echo().await];
    meshes_serving(endpoints, services)
}

fn meshes_serving(endpoints: &[PeerEndpoint], services: Vec<LocalAddr>) -> Vec<Mesh> {
    let mut meshes = Vec::new();
    for (me, endpoint) in endpoints.iter().enumerate() {
        let peers = endpoints
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != me)
            .map(|(index, e)| MeshPeer { index, addr: e.addr() })
            .collect();
        meshes.push(Mesh::start(endpoint.clone(), me, peers, Some(services[me].clone()), options()));
    }
    meshes
}

/// A forwarder on any free loopback port.
fn any_port() -> LocalAddr {
    LocalAddr::Tcp("127.0.0.1:0".parse().expect("addr"))
}

fn tcp(addr: LocalAddr) -> std::net::SocketAddr {
    match addr {
        LocalAddr::Tcp(addr) => addr,
        other => panic!("not TCP: {other}"),
    }
}

/// Connects as MPyC does: again and again while refused (5 s at most).
async fn connect_when_listening(to: std::net::SocketAddr) -> TcpStream {
    for _ in 0..250 {
        if let Ok(tcp) = TcpStream::connect(to).await {
            return tcp;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{to} never accepted");
}

async fn next(mesh: &mut Mesh) -> MeshEvent {
    tokio::time::timeout(Duration::from_secs(10), mesh.next_event()).await.expect("an event in time").expect("event")
}

async fn all_connected(mesh: &mut Mesh) {
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match next(mesh).await {
            MeshEvent::Connected { index } => seen.push(index),
            other => panic!("expected connections first, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parties_connect_pairwise_tunnel_to_higher_parties_and_learn_each_others_exit() {
    let endpoints = endpoints().await;
    let mut meshes = meshes(&endpoints).await;
    for mesh in &mut meshes {
        all_connected(mesh).await;
    }
    // Party 0 reaches party 2's service through a local forwarder.
    let local = tcp(meshes[0].forward(2, any_port()).await.expect("forward"));
    let mut tcp = connect_when_listening(local).await;
    tcp.write_all(b"hello party 2").await.expect("write");
    let mut answer = [0u8; 13];
    tcp.read_exact(&mut answer).await.expect("echo");
    assert_eq!(&answer, b"hello party 2");
    assert!(meshes[0].path(2).is_some_and(|p| p.direct), "loopback paths are direct");
    // A forwarder only goes to higher-indexed parties that are in the mesh.
    assert!(meshes[0].forward(7, any_port()).await.is_err());

    // Party 1's program ends well: the others hear it, and its going quiet afterwards is fine.
    meshes[1].announce_exit(0);
    for i in [0, 2] {
        assert_eq!(next(&mut meshes[i]).await, MeshEvent::Finished { index: 1, code: 0 });
    }
    let one = meshes.remove(1);
    one.close().await;
    let quiet = tokio::time::timeout(Duration::from_secs(2), meshes[0].next_event()).await;
    assert!(quiet.is_err(), "no event after a finished party left: {quiet:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarder_accepts_only_once_the_peers_service_does() {
    let endpoints = endpoints().await;
    // Party 1's program has not started: its port is chosen, nothing listens on it yet.
    let later = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port_of_1 = later.local_addr().expect("addr");
    drop(later);
    let mut meshes = meshes_serving(&endpoints, vec![echo().await, LocalAddr::Tcp(port_of_1), echo().await]);
    for mesh in &mut meshes {
        all_connected(mesh).await;
    }
    let local = tcp(meshes[0].forward(1, any_port()).await.expect("forward"));
    // Refused, as a connection straight to party 1 would be, so the program keeps trying...
    for _ in 0..10 {
        let refused = TcpStream::connect(local).await.expect_err("refused while party 1's program is not there");
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    // ...until it is.
    let listener = TcpListener::bind(port_of_1).await.expect("party 1's program listens");
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.expect("accept");
        let mut hello = [0u8; 5];
        tcp.read_exact(&mut hello).await.expect("read");
        tcp.write_all(&hello).await.expect("echo");
    });
    let mut tcp = connect_when_listening(local).await;
    tcp.write_all(b"hello").await.expect("write");
    let mut answer = [0u8; 5];
    tcp.read_exact(&mut answer).await.expect("echo");
    assert_eq!(&answer, b"hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tunnels_run_between_unix_sockets_and_a_forwarders_socket_appears_once_the_peers_service_does() {
    // As `mpc-id run` sets it up: every program's socket in a private directory of its party.
    let endpoints = endpoints().await;
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("dir")).collect();
    let service_of = |i: usize| dirs[i].path().join("service");
    let mut meshes = meshes_serving(&endpoints, (0..3).map(|i| LocalAddr::Unix(service_of(i))).collect());
    for mesh in &mut meshes {
        all_connected(mesh).await;
    }
    let forwarder = dirs[0].path().join("to-1");
    let local = meshes[0].forward(1, LocalAddr::Unix(forwarder.clone())).await.expect("forward");
    assert_eq!(local, LocalAddr::Unix(forwarder.clone()));
    // Party 1's program is not there yet: no socket to connect to, so a program keeps trying.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!forwarder.exists(), "the forwarder's socket exists before party 1's program listens");
    let listener = UnixListener::bind(service_of(1)).expect("party 1's program listens");
    tokio::spawn(async move {
        let (mut unix, _) = listener.accept().await.expect("accept");
        let mut hello = [0u8; 12];
        unix.read_exact(&mut hello).await.expect("read");
        unix.write_all(&hello).await.expect("echo");
    });
    let mut unix = None;
    for _ in 0..250 {
        if let Ok(connected) = UnixStream::connect(&forwarder).await {
            unix = Some(connected);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut unix = unix.expect("the forwarder's socket accepts once party 1's program does");
    unix.write_all(b"over sockets").await.expect("write");
    let mut answer = [0u8; 12];
    unix.read_exact(&mut answer).await.expect("echo");
    assert_eq!(&answer, b"over sockets");
    // A path that is there already is not taken over.
    let taken = meshes[0].forward(2, LocalAddr::Unix(forwarder.clone())).await;
    assert!(taken.is_err(), "a forwarder replaced an existing socket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_that_leaves_without_finishing_is_lost() {
    let endpoints = endpoints().await;
    let mut meshes = meshes(&endpoints).await;
    for mesh in &mut meshes {
        all_connected(mesh).await;
    }
    // Party 2's mesh stops without a word about its program.
    let started = std::time::Instant::now();
    drop(meshes.pop());
    for mesh in &mut meshes {
        match next(mesh).await {
            MeshEvent::Lost { index: 2, reason } => assert!(!reason.is_empty()),
            other => panic!("expected party 2 lost, got {other:?}"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    // A failing program is reported with its code.
    meshes[1].announce_exit(3);
    assert_eq!(next(&mut meshes[0]).await, MeshEvent::Finished { index: 1, code: 3 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_connects_when_only_the_higher_indexed_party_gets_through() {
    // Party 0 has a stale address for party 1 (nothing answers there); party 1 has party 0's.
    // As when the lower party's first dial reached the relay before party 1 did: party 1's own
    // dial connects the pair, and the lower party still leads it.
    let endpoints = endpoints().await;
    let nobody = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    let stale = iroh::EndpointAddr::new(endpoints[1].id()).with_ip_addr(nobody);
    let services = [echo().await, echo().await];
    let mut meshes = [
        Mesh::start(
            endpoints[0].clone(),
            0,
            vec![MeshPeer { index: 1, addr: stale }],
            Some(services[0].clone()),
            options(),
        ),
        Mesh::start(
            endpoints[1].clone(),
            1,
            vec![MeshPeer { index: 0, addr: endpoints[0].addr() }],
            Some(services[1].clone()),
            options(),
        ),
    ];
    assert_eq!(next(&mut meshes[0]).await, MeshEvent::Connected { index: 1 });
    assert_eq!(next(&mut meshes[1]).await, MeshEvent::Connected { index: 0 });
    let local = tcp(meshes[0].forward(1, any_port()).await.expect("forward"));
    let mut tcp = connect_when_listening(local).await;
    tcp.write_all(b"over 1's dial").await.expect("write");
    let mut answer = [0u8; 13];
    tcp.read_exact(&mut answer).await.expect("echo");
    assert_eq!(&answer, b"over 1's dial");
    // Party 1's exit reaches party 0 on the same connection.
    meshes[1].announce_exit(0);
    assert_eq!(next(&mut meshes[0]).await, MeshEvent::Finished { index: 1, code: 0 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partys_last_word_arrives_though_it_closes_at_once() {
    let endpoints = endpoints().await;
    let mut meshes = meshes(&endpoints).await;
    for mesh in &mut meshes {
        all_connected(mesh).await;
    }
    // Party 2 cannot go on, says why (at length), and closes straight away: closing a connection
    // drops what is still in flight, so the reason must be acknowledged before.
    let reason = format!("program changed since the session was agreed: {}", "x".repeat(900));
    let two = meshes.pop().expect("party 2");
    two.announce_failure(&reason);
    two.close().await;
    for mesh in &mut meshes {
        assert_eq!(next(mesh).await, MeshEvent::Failed { index: 2, reason: reason.clone() });
    }
    // Party 1 finishes and closes at once too; party 0, still running, hears it and then waits
    // quietly: its mesh does not end because every peer's link did.
    let one = meshes.pop().expect("party 1");
    one.announce_exit(0);
    one.close().await;
    assert_eq!(next(&mut meshes[0]).await, MeshEvent::Finished { index: 1, code: 0 });
    let quiet = tokio::time::timeout(Duration::from_secs(2), meshes[0].next_event()).await;
    assert!(quiet.is_err(), "the mesh waits while it lives: {quiet:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_that_finished_still_hears_the_others_finish() {
    let endpoints = endpoints().await;
    let mut meshes = meshes(&endpoints).await;
    for mesh in &mut meshes {
        all_connected(mesh).await;
    }
    // Party 1's program ends first; it waits to hear the others end (so that it knows its own
    // last bytes arrived) and must not take their ending of its link for them vanishing.
    meshes[1].announce_exit(0);
    for i in [0, 2] {
        assert_eq!(next(&mut meshes[i]).await, MeshEvent::Finished { index: 1, code: 0 });
    }
    let early = tokio::time::timeout(Duration::from_secs(2), meshes[1].next_event()).await;
    assert!(early.is_err(), "nothing happened to the others yet: {early:?}");
    for i in [0, 2] {
        meshes[i].announce_exit(0);
    }
    let mut heard = vec![next(&mut meshes[1]).await, next(&mut meshes[1]).await];
    heard.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(heard, [MeshEvent::Finished { index: 0, code: 0 }, MeshEvent::Finished { index: 2, code: 0 }]);
}
