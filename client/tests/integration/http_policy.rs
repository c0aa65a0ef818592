//! The one HTTP policy of every request a party makes, against hostile servers on loopback: an
//! endless body is cut off at the cap (not read into memory), a server that never answers times
//! out, and redirects are bounded (and refused where a DID names the host).

use std::time::{Duration, Instant};

use mpc_client::mediator::{self as client, MediatorClient};
use mpc_client::resolver::Resolver;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What a hostile server does with each request.
#[derive(Clone, Copy)]
enum Hostile {
    /// A 200 whose chunked body never ends (until the client hangs up, or 2 GiB).
    EndlessBody,
    /// Accepts, reads, never answers.
    Silent,
    /// Redirects every request to itself.
    RedirectLoop,
}

/// Serves `behaviour` on a loopback port; returns the port and a count of requests seen.
async fn hostile(behaviour: Hostile) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let counter = std::sync::Arc::clone(&counter);
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                match behaviour {
                    Hostile::EndlessBody => {
                        let head =
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                        if stream.write_all(head.as_bytes()).await.is_err() {
                            return;
                        }
                        let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
                        for _ in 0..(2 * 1024 * 16) {
                            if stream.write_all(chunk.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                    Hostile::Silent => tokio::time::sleep(Duration::from_secs(120)).await,
                    Hostile::RedirectLoop => {
                        let head = format!(
                            "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{port}/oob?_oobid=again\r\ncontent-length: 0\r\n\r\n"
                        );
                        let _ = stream.write_all(head.as_bytes()).await;
                    }
                }
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn an_endless_body_is_cut_off_at_the_cap() {
    let (port, _) = hostile(Hostile::EndlessBody).await;
    let started = Instant::now();
    let short_link = client::fetch_invitation(&format!("http://127.0.0.1:{port}/oob?_oobid=x")).await;
    let error = short_link.expect_err("an endless invitation").to_string();
    assert!(error.contains("larger than"), "{error}");

    let did_web = Resolver::new(None).resolve(&format!("did:web:127.0.0.1%3A{port}")).await;
    let error = did_web.expect_err("an endless did:web document").to_string();
    assert!(error.contains("larger than"), "{error}");

    let mediator = MediatorClient::connect(&format!("http://127.0.0.1:{port}")).await;
    let error = mediator.expect_err("an endless mediator document").to_string();
    assert!(error.contains("larger than"), "{error}");
    // Cut off at the cap, not after reading the 2 GiB on offer.
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
}

// On a paused clock: the deadline passes as soon as nothing else is left to do, not after 30 s.
#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_out() {
    let (port, _) = hostile(Hostile::Silent).await;
    let started = tokio::time::Instant::now();
    let result = client::fetch_invitation(&format!("http://127.0.0.1:{port}/oob?_oobid=x")).await;
    let elapsed = started.elapsed();
    let error = result.expect_err("no answer").to_string();
    assert!(error.contains("timed out") || error.contains("timeout"), "{error}");
    assert!(elapsed >= mpc_client::http::TIMEOUT && elapsed < mpc_client::http::TIMEOUT * 2, "{elapsed:?}");
}

#[tokio::test]
async fn redirects_are_bounded_and_refused_where_a_did_names_the_host() {
    let (port, seen) = hostile(Hostile::RedirectLoop).await;
    let result = client::fetch_invitation(&format!("http://127.0.0.1:{port}/oob?_oobid=x")).await;
    assert!(result.is_err(), "a redirect loop must fail");
    let followed = seen.swap(0, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(followed, 1 + mpc_client::http::MAX_REDIRECTS, "the first request and at most the cap of redirects");

    let did_web = Resolver::new(None).resolve(&format!("did:web:127.0.0.1%3A{port}")).await;
    assert!(did_web.is_err(), "a did:web host that redirects is refused");
    assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 1, "did:web follows no redirect");
}

/// Serves TLS with a self-signed certificate for `localhost` (no root vouches for it) and answers
/// every request with an empty 200; returns the port.
async fn self_signed_tls() -> u16 {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config =
        rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut stream) = acceptor.accept(stream).await else { return };
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
            });
        }
    });
    port
}

#[tokio::test]
async fn tls_is_checked_against_the_systems_roots() {
    // The handshake runs (rustls with ring, the one provider linked) and reaches the certificate,
    // which no root vouches for: refused, saying why.
    let port = self_signed_tls().await;
    let error = MediatorClient::connect(&format!("https://localhost:{port}")).await.expect_err("untrusted").to_string();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
}

// On a paused clock, like the other deadline test.
#[tokio::test(start_paused = true)]
async fn a_websocket_that_never_opens_times_out() {
    // A mediator whose DID document is genuine but whose `/ws` accepts and never upgrades.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let keys = mpc_identity::keys::PartyKeys::generate().expect("keys");
    let endpoint = mpc_identity::did::MediatorEndpoint::from_url(&format!("{base}/didcomm")).expect("url");
    let did = mpc_identity::did::peer2::for_party(
        mpc_identity::keys::PublicKey::Ed25519(keys.verifying_key()),
        mpc_identity::keys::PublicKey::X25519(keys.agreement_public()),
        Some(&endpoint),
    )
    .expect("did");
    let document = serde_json::to_value(mpc_identity::did::resolve(&did).expect("resolves")).expect("json");
    let app = axum::Router::new()
        .route("/.well-known/did-peer.json", axum::routing::get(move || async move { document.to_string() }))
        .route("/ws", axum::routing::get(std::future::pending::<String>));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let home = tempfile::tempdir().expect("home");
    let keystore = mpc_identity::keystore::Keystore::open(home.path()).expect("keystore");
    let me = keystore.create("alice", mpc_identity::keystore::DidMethod::Key, None, "pw").expect("identity");
    let mediator = MediatorClient::connect(&base).await.expect("the genuine document");
    let started = tokio::time::Instant::now();
    let error = mediator.live(&me).await.expect_err("no upgrade").to_string();
    assert!(error.contains("timed out"), "{error}");
    assert!(started.elapsed() >= mpc_client::http::TIMEOUT, "{:?}", started.elapsed());
}
