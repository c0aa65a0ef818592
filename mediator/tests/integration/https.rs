//! HTTPS on the mediator's own port, with a certificate from a private CA: HTTP/1.1 and HTTP/2
//! by ALPN, WebSockets over TLS, a certificate replaced on disk served to the next client while
//! open connections carry on, a handshake that never comes closed at the header deadline, and a
//! key that does not match its certificate refused at start.

use std::time::{Duration, Instant};

use mpc_mediator::MediatorConfig;
use mpc_test_support::pki::PrivateCa;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A mediator serving HTTPS with a certificate `ca` issued for localhost, and its HTTPS URL.
async fn https_mediator(
    ca: &PrivateCa,
    files: &std::path::Path,
    adjust: impl FnOnce(&mut MediatorConfig),
) -> (mpc_mediator::RunningMediator, String) {
    let (cert, key) = ca.issue(&["localhost", "127.0.0.1"], files, "server");
    let mut config = MediatorConfig::local(files.join("data"));
    config.tls_cert = Some(cert);
    config.tls_key = Some(key);
    adjust(&mut config);
    let running = mpc_mediator::start(config).await.expect("the mediator starts with HTTPS");
    let url = format!("https://localhost:{}", running.address.port());
    (running, url)
}

/// The certificate (DER) a new TLS connection to `port` is served.
async fn served_certificate(ca: &PrivateCa, port: u16) -> Vec<u8> {
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(ca.client_config(&[b"http/1.1"])));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("a name");
    let tls = connector.connect(name, tcp).await.expect("a TLS handshake with a certificate the CA issued");
    tls.get_ref().1.peer_certificates().expect("a certificate")[0].to_vec()
}

#[tokio::test]
async fn https_serves_http1_http2_and_websockets_on_the_one_port() {
    let ca = PrivateCa::new("mpc-id test CA");
    let files = tempfile::tempdir().expect("tempdir");
    let (running, url) = https_mediator(&ca, files.path(), |_| {}).await;

    let client = |config: rustls::ClientConfig, http1_only: bool| {
        let builder = reqwest::Client::builder().tls_backend_preconfigured(config);
        let builder = if http1_only { builder.http1_only() } else { builder };
        builder.build().expect("client")
    };
    let h2 = client(ca.client_config(&[b"h2", b"http/1.1"]), false);
    let answer = h2.get(format!("{url}/healthz")).send().await.expect("HTTPS over HTTP/2");
    assert_eq!((answer.status().as_u16(), answer.version()), (200, reqwest::Version::HTTP_2));
    let h1 = client(ca.client_config(&[b"http/1.1"]), true);
    let answer = h1.get(format!("{url}/healthz")).send().await.expect("HTTPS over HTTP/1.1");
    assert_eq!((answer.status().as_u16(), answer.version()), (200, reqwest::Version::HTTP_11));

    // Its DID documents name the HTTPS and WSS endpoints (its own address, as it was given no
    // public URL), so parties that enroll send there.
    let document =
        h2.get(format!("{url}/.well-known/did.json")).send().await.expect("did.json").text().await.expect("text");
    let port = running.address.port();
    for endpoint in [format!("https://127.0.0.1:{port}/didcomm"), format!("wss://127.0.0.1:{port}/ws")] {
        assert!(document.contains(&endpoint), "{endpoint} in {document}");
    }

    // Live delivery's WebSocket upgrades over TLS.
    let connector = tokio_tungstenite::Connector::Rustls(std::sync::Arc::new(ca.client_config(&[b"http/1.1"])));
    let (socket, response) = tokio_tungstenite::connect_async_tls_with_config(
        format!("wss://localhost:{}/ws", running.address.port()),
        None,
        false,
        Some(connector),
    )
    .await
    .expect("a WebSocket over TLS");
    assert_eq!(response.status().as_u16(), 101);
    drop(socket);

    // Plain HTTP on the HTTPS port is no request at all.
    let plain =
        mpc_test_support::http().get(format!("http://127.0.0.1:{}/healthz", running.address.port())).send().await;
    assert!(
        plain.map(|r| r.status().as_u16() != 200).unwrap_or(true),
        "plain HTTP must not be served on the HTTPS port"
    );
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn a_replaced_certificate_is_served_to_the_next_client_and_open_connections_carry_on() {
    let ca = PrivateCa::new("mpc-id test CA");
    let files = tempfile::tempdir().expect("tempdir");
    let (running, _) =
        https_mediator(&ca, files.path(), |config| config.header_timeout = Duration::from_secs(60)).await;
    let port = running.address.port();
    let first = served_certificate(&ca, port).await;

    // A keep-alive connection, open across the change.
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(ca.client_config(&[b"http/1.1"])));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("a name");
    let mut open = connector.connect(name, tcp).await.expect("handshake");
    let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let mut answer = [0u8; 512];
    open.write_all(request).await.expect("request");
    let read = open.read(&mut answer).await.expect("answer");
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer[..read]));

    // The operator (or a renewal job) writes a new certificate over the old files.
    ca.issue(&["localhost", "127.0.0.1"], files.path(), "server");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = served_certificate(&ca, port).await;
        if now != first {
            break;
        }
        assert!(Instant::now() < deadline, "the new certificate was not served within 15 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    open.write_all(request).await.expect("the open connection still takes requests");
    let read = open.read(&mut answer).await.expect("answer");
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer[..read]));
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn a_client_that_never_starts_its_handshake_is_closed_at_the_header_deadline() {
    let ca = PrivateCa::new("mpc-id test CA");
    let files = tempfile::tempdir().expect("tempdir");
    let (running, _) = https_mediator(&ca, files.path(), |config| config.header_timeout = Duration::from_secs(1)).await;
    let mut silent = tokio::net::TcpStream::connect(running.address).await.expect("connect");
    let started = Instant::now();
    let mut byte = [0u8; 1];
    let closed = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut byte)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "the silent connection was not closed: {closed:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "closed only after {:?}", started.elapsed());
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn a_key_that_is_not_the_certificates_is_refused_at_start() {
    let ca = PrivateCa::new("mpc-id test CA");
    let files = tempfile::tempdir().expect("tempdir");
    let (cert, _) = ca.issue(&["localhost"], files.path(), "one");
    let (_, other_key) = ca.issue(&["localhost"], files.path(), "two");
    let mut config = MediatorConfig::local(files.path().join("data"));
    config.tls_cert = Some(cert);
    config.tls_key = Some(other_key.clone());
    let error = mpc_mediator::start(config).await.expect_err("a mismatched key is refused").to_string();
    assert!(error.contains("is not the key of") && error.contains(&other_key.display().to_string()), "{error}");
}

/// `--metrics-listen`: metrics in plain HTTP on an address of the operator's (a monitoring
/// network), and no longer on the public HTTPS port, whose health checks still answer.
#[tokio::test]
async fn metrics_on_a_listener_of_their_own_leave_the_public_port() {
    let ca = PrivateCa::new("mpc-id test CA");
    let files = tempfile::tempdir().expect("tempdir");
    let metrics_port = mpc_test_support::free_port();
    let (running, url) = https_mediator(&ca, files.path(), |config| {
        config.metrics_listen = Some(([127, 0, 0, 1], metrics_port).into());
    })
    .await;
    let https = reqwest::Client::builder().tls_backend_preconfigured(ca.client_config(&[b"http/1.1"])).build();
    let https = https.expect("client");
    assert_eq!(https.get(format!("{url}/metrics")).send().await.expect("metrics").status(), 404);
    assert_eq!(https.get(format!("{url}/healthz")).send().await.expect("healthz").status(), 200);
    let metrics = mpc_test_support::http().get(format!("http://127.0.0.1:{metrics_port}/metrics")).send().await;
    let metrics = metrics.expect("plain HTTP on the metrics listener");
    assert_eq!(metrics.status(), 200);
    assert!(metrics.text().await.expect("text").contains("mpc_mediator_"), "the mediator's metrics");
    // Only those: the rest of the service is not on the monitoring network.
    let other = mpc_test_support::http().get(format!("http://127.0.0.1:{metrics_port}/ledger")).send().await;
    assert_eq!(other.expect("answer").status(), 404);
    running.stop().await.expect("stop");
}
