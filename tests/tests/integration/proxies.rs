//! The mediator behind the TLS-terminating proxies people run, Caddy and nginx (the Debian
//! packages), each with the configuration `docs/DEPLOY.md` gives: real `mpc-id` processes enroll
//! (DIDComm POST), send a message near the size cap and receive it live over WSS, run a session
//! whose every byte crosses the relay's WebSocket upgrade, and the mediator tells clients behind
//! the proxy apart by `X-Forwarded-For` (one client over its rate limit, another still served).

use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mpc_id_e2e::session::{self, Party, Watched, wait_all};
use mpc_test_support::pki::PrivateCa;
use mpc_test_support::{KillOnDrop, binary, free_port};

/// Which proxy, started with our configuration in front of `upstream`.
#[derive(Clone, Copy, Debug)]
enum Proxy {
    Caddy,
    Nginx,
}

impl Proxy {
    /// Starts the proxy on 127.0.0.1:`port` with `cert`/`key`, or `None` (said) when it is not
    /// installed and not required.
    fn start(self, dir: &Path, port: u16, upstream: u16, cert: &Path, key: &Path, prefix: &str) -> Option<KillOnDrop> {
        let program = match self {
            Proxy::Caddy => "caddy",
            Proxy::Nginx => "nginx",
        };
        if Command::new(program).arg("-v").output().is_err() && Command::new(program).arg("version").output().is_err() {
            assert!(std::env::var_os("MPC_ID_REQUIRE_PROXIES").is_none(), "{program} is not installed");
            eprintln!("SKIPPED: {program} is not installed (apt-get install caddy nginx-light)");
            return None;
        }
        let child = match self {
            Proxy::Caddy => {
                // Under a path, as docs/DEPLOY.md gives it: the path stripped on the way in, and
                // the relay's two paths at the root, where iroh's relay client dials them.
                let site = if prefix.is_empty() {
                    format!("reverse_proxy 127.0.0.1:{upstream}")
                } else {
                    format!(
                        "handle_path {prefix}/* {{\n    reverse_proxy 127.0.0.1:{upstream}\n  }}\n  \
                         @relay path /relay /ping\n  handle @relay {{\n    reverse_proxy 127.0.0.1:{upstream}\n  }}"
                    )
                };
                let config = format!(
                    "{{\n  admin off\n  auto_https off\n  storage file_system {dir}/caddy\n}}\n\
                     https://localhost:{port} {{\n  tls {cert} {key}\n  {site}\n}}\n",
                    dir = dir.display(),
                    cert = cert.display(),
                    key = key.display()
                );
                std::fs::write(dir.join("Caddyfile"), config).expect("Caddyfile");
                Command::new("caddy")
                    .args(["run", "--adapter", "caddyfile", "--config"])
                    .arg(dir.join("Caddyfile"))
                    .env("XDG_DATA_HOME", dir)
                    .env("XDG_CONFIG_HOME", dir)
                    .env("HOME", dir)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("caddy starts")
            }
            Proxy::Nginx => {
                assert!(prefix.is_empty(), "nginx is tested at the root");
                // The server block of docs/DEPLOY.md, in a configuration of its own (one process,
                // in the foreground, every file under `dir`).
                let config = format!(
                    "daemon off;\nmaster_process off;\nerror_log stderr;\npid {dir}/nginx.pid;\n\
                     events {{ worker_connections 1024; }}\n\
                     http {{\n  access_log off;\n  client_body_temp_path {dir}/body;\n  proxy_temp_path {dir}/proxy;\n\
                       map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}\n\
                       server {{\n    listen 127.0.0.1:{port} ssl http2;\n    server_name localhost;\n\
                         ssl_certificate {cert};\n    ssl_certificate_key {key};\n    client_max_body_size 512k;\n\
                         location / {{\n      proxy_pass http://127.0.0.1:{upstream};\n      proxy_http_version 1.1;\n\
                           proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection $connection_upgrade;\n\
                           proxy_set_header Host $host;\n      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
                           proxy_read_timeout 3600s;\n    }}\n  }}\n}}\n",
                    dir = dir.display(),
                    cert = cert.display(),
                    key = key.display()
                );
                std::fs::write(dir.join("nginx.conf"), config).expect("nginx.conf");
                Command::new("nginx")
                    .arg("-c")
                    .arg(dir.join("nginx.conf"))
                    .arg("-p")
                    .arg(dir)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("nginx starts")
            }
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "{program} did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(KillOnDrop(child))
    }
}

/// The whole flow through `proxy`, which maps `https://localhost:PORT{prefix}/` to the mediator.
fn behind(proxy: Proxy, prefix: &str) {
    let ca = PrivateCa::new("Example Org private CA");
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = ca.issue(&["localhost"], dir.path(), "proxy");
    let (port, upstream, quic) = (free_port(), free_port(), free_port());
    let url = format!("https://localhost:{port}{prefix}");
    let data = tempfile::tempdir().expect("data");
    let _mediator = KillOnDrop(
        Command::new(binary("mpc-mediator"))
            .args(["--listen", &format!("127.0.0.1:{upstream}"), "--public-url", &format!("{url}/")])
            .args(["--trusted-proxy", "127.0.0.1/32", "--quic-listen", &format!("127.0.0.1:{quic}")])
            .args(["--rate-limit-ip", "20", "--rate-limit-did", "0"])
            .arg("--data-dir")
            .arg(data.path())
            .env("RUST_LOG", "warn,iroh_relay=error")
            .spawn()
            .expect("mediator"),
    );
    let Some(_proxy) = proxy.start(dir.path(), port, upstream, &cert, &key, prefix) else { return };

    // X-Forwarded-For: one client (127.0.0.2) over its limit, another (127.0.0.3) still served.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = |from: &str| {
            reqwest::Client::builder()
                .tls_backend_preconfigured(ca.client_config(&[b"http/1.1"]))
                .local_address(from.parse::<IpAddr>().ok())
                .resolve("localhost", ([127, 0, 0, 1], port).into())
                .build()
                .expect("client")
        };
        let (noisy, quiet) = (client("127.0.0.2"), client("127.0.0.3"));
        let mut limited = false;
        for _ in 0..200 {
            let status = noisy.get(format!("{url}/oob?_oobid=x")).send().await.expect("through the proxy").status();
            if status.as_u16() == 429 {
                limited = true;
                break;
            }
        }
        assert!(limited, "{proxy:?}: the noisy client behind the proxy was never limited");
        let status = quiet.get(format!("{url}/healthz")).send().await.expect("through the proxy").status();
        assert_eq!(status.as_u16(), 200, "{proxy:?}: another client behind the same proxy is still served");
    });

    let parties = ["alice", "bob", "carol"].map(|name| Party::trusting(name, &url, Some(&ca.root())));
    // An invitation's short link keeps the path, and its page's script and style load.
    let invited = parties[0].mpc_id().args(["invite", "--url"]).output().expect("invite --url");
    assert!(invited.status.success(), "{proxy:?}: {}", String::from_utf8_lossy(&invited.stderr));
    let link = String::from_utf8_lossy(&invited.stdout).trim().to_owned();
    assert!(link.starts_with(&format!("{url}/oob?_oobid=")), "{proxy:?}: {link}");
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(ca.client_config(&[b"http/1.1"]))
            .resolve("localhost", ([127, 0, 0, 1], port).into())
            .build()
            .expect("client");
        let page = http.get(&link).header("accept", "text/html").send().await.expect("page");
        assert_eq!(page.status(), 200, "{proxy:?}: {link}");
        let page = page.text().await.expect("page");
        for asset in ["assets/invitation.js", "assets/invitation.css"] {
            assert!(page.contains(&format!("\"{asset}\"")), "{proxy:?}: a relative link to {asset}");
            let fetched = http.get(format!("{url}/{asset}")).send().await.expect("asset");
            assert_eq!(fetched.status(), 200, "{proxy:?}: {url}/{asset}");
        }
    });
    // A message near the size cap, delivered live over WSS.
    let mut watch: Watched = parties[1]
        .mpc_id()
        .args(["inbox", "--watch", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("inbox --watch")
        .into();
    watch.wait_for("watching the inbox", Instant::now() + Duration::from_secs(20));
    let big = "x".repeat(120 * 1024);
    let sent = parties[0].mpc_id().args(["send", &parties[1].did, &big]).output().expect("send");
    assert!(sent.status.success(), "{proxy:?} send: {}", String::from_utf8_lossy(&sent.stderr));
    watch.wait_for(&big[..1024], Instant::now() + Duration::from_secs(20));
    // The whole line (120 KiB may come in several reads).
    let deadline = Instant::now() + Duration::from_secs(20);
    while !watch.stdout().contains('\n') {
        assert!(Instant::now() < deadline, "{proxy:?}: the message's line did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
    let shown = watch.stdout();
    let line = shown.lines().next().expect("a line");
    assert!(line.contains(&big[..1024]) && line.len() > big.len(), "{proxy:?}: {}", &line[..200.min(line.len())]);
    watch.kill();

    // A session, every byte through the relay's WebSocket upgrade.
    let invitation = session::create(parties[0].mpc_id(), 3, "proxied", "hello.py", &[]);
    for party in &parties[1..] {
        let output = session::join(party.mpc_id(), &invitation, "hello.py");
        assert!(output.status.success(), "{proxy:?} {} joins: {}", party.name, String::from_utf8_lossy(&output.stderr));
    }
    let runs =
        parties.iter().map(|p| session::spawn_run(p.mpc_id(), "proxied", "hello.py", &["--relay-only"])).collect();
    for (party, run) in parties.iter().zip(wait_all(runs, Duration::from_secs(120))) {
        assert_eq!(run.code, Some(0), "{proxy:?}: {} ran through the relay: {}", party.name, run.stderr);
        assert!(run.stderr.contains("all parties connected"), "{}", run.stderr);
    }
}

#[test]
fn the_mediator_works_behind_caddy() {
    behind(Proxy::Caddy, "");
}

#[test]
fn the_mediator_works_behind_nginx() {
    behind(Proxy::Nginx, "");
}

/// A mediator a proxy serves under a path (`https://host/mpc/`): every link it hands out, every
/// party's DID and the pages keep the path.
#[test]
fn the_mediator_works_under_a_path_behind_caddy() {
    behind(Proxy::Caddy, "/mpc");
}

/// A mediator whose public URL has a path, reached with the path kept (a proxy that passes it
/// on; here no proxy at all): did:webvh DIDs name the path, their logs are published and
/// resolved under it, and a message reaches a party through the DIDComm endpoint under it.
#[test]
fn a_mediator_under_a_path_hosts_did_webvh_there() {
    let port = free_port();
    let url = format!("http://localhost:{port}/mpc/");
    let data = tempfile::tempdir().expect("data");
    let _mediator = KillOnDrop(
        Command::new(binary("mpc-mediator"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--public-url", &url])
            .arg("--data-dir")
            .arg(data.path())
            .env("RUST_LOG", "warn,iroh_relay=error")
            .spawn()
            .expect("mediator"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the mediator did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let bob = Party::new("bob", &url);
    let dana = Party::new("dana-peer", &url);
    let made = dana.mpc_id().args(["new", "-n", "dana", "--method", "webvh", "--mediator", &url, "--json"]).output();
    let made = made.expect("new --method webvh");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let record: serde_json::Value = serde_json::from_slice(&made.stdout).expect("json");
    let webvh = record["did"].as_str().expect("did").to_owned();
    assert!(webvh.ends_with(&format!(":localhost%3A{port}:mpc:parties:dana")), "{webvh} names the path");
    let resolved = bob.mpc_id().args(["resolve", &webvh]).output().expect("resolve");
    assert!(resolved.status.success(), "resolve: {}", String::from_utf8_lossy(&resolved.stderr));
    let sent = bob.mpc_id().args(["send", &webvh, "under the path"]).output().expect("send");
    assert!(sent.status.success(), "send: {}", String::from_utf8_lossy(&sent.stderr));
    let inbox = dana.mpc_id().args(["inbox", "-n", "dana", "--json"]).output().expect("inbox");
    assert!(inbox.status.success(), "inbox: {}", String::from_utf8_lossy(&inbox.stderr));
    assert!(
        String::from_utf8_lossy(&inbox.stdout).contains("under the path"),
        "{}",
        String::from_utf8_lossy(&inbox.stdout)
    );
}
