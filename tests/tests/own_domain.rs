//! did:webvh on a party's own web site, as an organisation would run it: Alice's DID names
//! `https://org.test:8443/alice`, a Caddy file server with a certificate from the organisation's
//! private CA; `mpc-id publish --out` writes the files she uploads there; her mediator carries her
//! messages from a copy of her log. Bob resolves her over HTTPS from her site, sees where she is
//! resolved from, and messages her before and after she rotates her keys.
//!
//! `org.test` is a name, not an address, as did:webvh needs: the test runs in a network namespace
//! of its own whose `/etc/hosts` (`/etc/netns/NAME/hosts`, which `ip netns exec` mounts) gives it
//! 127.0.0.1. Needs root and Caddy (`scripts/test` installs it); without them it says so loudly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mpc_id_e2e::netlab::KillOnDrop;
use mpc_test_support::pki::PrivateCa;

const SITE: &str = "org.test";
const SITE_PORT: u16 = 8443;
const MEDIATOR_PORT: u16 = 7800;

/// A network namespace with only loopback, where `org.test` is 127.0.0.1; removed when dropped.
struct Namespace {
    name: String,
    hosts_dir: PathBuf,
}

impl Namespace {
    fn new() -> Result<Self, String> {
        let name = format!("mpcid-own-{}", std::process::id());
        let run = |args: &[&str]| -> Result<(), String> {
            let output = Command::new(args[0]).args(&args[1..]).output().map_err(|e| format!("{}: {e}", args[0]))?;
            if output.status.success() {
                Ok(())
            } else {
                Err(format!("{}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
            }
        };
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        run(&["ip", "netns", "add", &name])?;
        let namespace = Namespace { hosts_dir: Path::new("/etc/netns").join(&name), name };
        run(&["ip", "-n", &namespace.name, "link", "set", "lo", "up"])?;
        std::fs::create_dir_all(&namespace.hosts_dir).map_err(|e| e.to_string())?;
        let hosts = format!("127.0.0.1 localhost {SITE}\n::1 localhost\n");
        std::fs::write(namespace.hosts_dir.join("hosts"), hosts).map_err(|e| e.to_string())?;
        Ok(namespace)
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).arg(program);
        command
    }

    /// Waits until something listens on 127.0.0.1:`port` in the namespace.
    fn wait_for_port(&self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let probe = format!("import socket; socket.create_connection(('127.0.0.1', {port}), 1)");
        while !self.command("python3").args(["-c", &probe]).stderr(Stdio::null()).status().is_ok_and(|s| s.success()) {
            assert!(Instant::now() < deadline, "nothing listens on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
        let _ = std::fs::remove_dir_all(&self.hosts_dir);
    }
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn a_did_on_a_partys_own_site_is_published_by_upload_resolved_over_https_and_messaged() {
    if Command::new("caddy").arg("version").output().is_err() {
        assert!(std::env::var_os("MPC_ID_REQUIRE_PROXIES").is_none(), "caddy is not installed");
        eprintln!("\n!!! SKIPPED: caddy is not installed (apt-get install caddy) !!!\n");
        return;
    }
    let namespace = match Namespace::new() {
        Ok(namespace) => namespace,
        Err(why) => {
            eprintln!("\n!!! SKIPPED: no network namespace here ({why}); it needs root !!!\n");
            return;
        }
    };
    let files = tempfile::tempdir().expect("tempdir");
    let site = files.path().join("site");
    std::fs::create_dir_all(&site).expect("site");
    let ca = PrivateCa::new("Org private CA");
    let (cert, key) = ca.issue(&[SITE], files.path(), "org");

    // The organisation's web site: static files over HTTPS, nothing mpc-id specific.
    let caddyfile = format!(
        "{{\n  admin off\n  auto_https off\n  storage file_system {dir}/caddy\n}}\n\
         https://{SITE}:{SITE_PORT} {{\n  tls {cert} {key}\n  root * {site}\n  file_server\n}}\n",
        dir = files.path().display(),
        cert = cert.display(),
        key = key.display(),
        site = site.display(),
    );
    std::fs::write(files.path().join("Caddyfile"), caddyfile).expect("Caddyfile");
    let _caddy = KillOnDrop(
        namespace
            .command("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(files.path().join("Caddyfile"))
            .env("HOME", files.path())
            .env("XDG_DATA_HOME", files.path())
            .env("XDG_CONFIG_HOME", files.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("caddy"),
    );
    let data = tempfile::tempdir().expect("data");
    let _mediator = KillOnDrop(
        namespace
            .command(mpc_test_support::binary("mpc-mediator"))
            .args(["--listen", &format!("127.0.0.1:{MEDIATOR_PORT}")])
            .args(["--public-url", &format!("http://localhost:{MEDIATOR_PORT}/")])
            .args(["--rate-limit-ip", "0", "--rate-limit-did", "0"])
            .arg("--data-dir")
            .arg(data.path())
            .env("RUST_LOG", "warn,iroh_relay=error")
            .spawn()
            .expect("mediator"),
    );
    namespace.wait_for_port(SITE_PORT);
    namespace.wait_for_port(MEDIATOR_PORT);
    let mediator = format!("http://localhost:{MEDIATOR_PORT}/");
    let homes = [tempfile::tempdir().expect("alice"), tempfile::tempdir().expect("bob")];
    // Each party trusts the organisation's CA the conventional way.
    let mpc_id = |home: &Path| {
        let mut command = namespace.command(mpc_test_support::binary("mpc-id"));
        command
            .env("MPC_ID_HOME", home)
            .env("MPC_ID_PASSPHRASE", mpc_test_support::PASSPHRASE)
            .env("MPC_ID_CA_FILE", ca.root())
            .env_remove("MPC_ID_IDENTITY")
            .env_remove("RUST_LOG");
        command
    };
    let (alice_home, bob_home) = (homes[0].path(), homes[1].path());

    let host = format!("https://{SITE}:{SITE_PORT}/alice");
    let created = mpc_id(alice_home)
        .args(["new", "-n", "alice", "--method", "webvh", "--host", &host, "--mediator", &mediator, "--json"])
        .output()
        .expect("new");
    assert!(created.status.success(), "{}", text(&created));
    let record: serde_json::Value = serde_json::from_slice(&created.stdout).expect("json");
    let did = record["did"].as_str().expect("did").to_owned();
    assert!(did.starts_with("did:webvh:") && did.ends_with(&format!(":{SITE}%3A{SITE_PORT}:alice")), "{did}");
    let bob = mpc_id(bob_home).args(["new", "-n", "bob", "--mediator", &mediator]).output().expect("new bob");
    assert!(bob.status.success(), "{}", text(&bob));

    // Before the upload nobody can resolve her: Bob is told where the log was looked for.
    let early = mpc_id(bob_home).args(["peers", "add", &did, "--label", "alice"]).output().expect("peers add");
    assert!(!early.status.success(), "resolved before the log is on the site: {}", text(&early));
    assert!(text(&early).contains(&format!("https://{SITE}:{SITE_PORT}/alice/did.jsonl")), "{}", text(&early));

    // Publishing a DID on one's own site without --out says what to do instead.
    let no_out = mpc_id(alice_home).args(["publish", "-n", "alice"]).output().expect("publish");
    assert!(!no_out.status.success(), "{}", text(&no_out));
    assert!(text(&no_out).contains("--out DIR"), "{}", text(&no_out));

    let published =
        mpc_id(alice_home).args(["publish", "-n", "alice", "--out"]).arg(site.join("alice")).output().expect("publish");
    assert!(published.status.success(), "{}", text(&published));
    assert!(text(&published).contains("upload"), "{}", text(&published));
    assert!(site.join("alice/did.jsonl").is_file());

    let added = mpc_id(bob_home).args(["peers", "add", &did, "--label", "alice"]).output().expect("peers add");
    assert!(added.status.success(), "{}", text(&added));
    let place = format!("{SITE}:{SITE_PORT} (did:webvh, resolved over HTTPS)");
    assert!(text(&added).contains(&place), "{}", text(&added));
    let listed = mpc_id(bob_home).args(["peers", "list"]).output().expect("peers list");
    assert!(text(&listed).contains(&format!(" - {place}")), "{}", text(&listed));

    // Messages reach her through her mediator, which opens her pickups with the copy's keys;
    // after a rotation (uploaded, and the copy extended) with the new keys.
    let exchange = |message: &str| {
        let sent = mpc_id(bob_home).args(["send", "-n", "bob", &did, message]).output().expect("send");
        assert!(sent.status.success(), "{}", text(&sent));
        let inbox = mpc_id(alice_home).args(["inbox", "-n", "alice", "--json"]).output().expect("inbox");
        assert!(inbox.status.success(), "{}", text(&inbox));
        assert!(text(&inbox).contains(message), "{}", text(&inbox));
    };
    exchange("hello from bob");
    let rotated = mpc_id(alice_home)
        .args(["publish", "-n", "alice", "--rotate-keys", "--out"])
        .arg(site.join("alice"))
        .output()
        .expect("rotate");
    assert!(rotated.status.success(), "{}", text(&rotated));
    let refreshed = mpc_id(bob_home).args(["peers", "add", &did, "--label", "alice"]).output().expect("refresh");
    assert!(text(&refreshed).contains("2 entries verified"), "{}", text(&refreshed));
    exchange("hello again, new keys");

    // Without the organisation's CA, the site is not trusted, and the error names the fix.
    let stranger = tempfile::tempdir().expect("stranger");
    let mut untrusting = mpc_id(stranger.path());
    untrusting.env_remove("MPC_ID_CA_FILE");
    let refused = untrusting.args(["resolve", &did]).output().expect("resolve");
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(text(&refused).contains("--ca-file") && text(&refused).contains(SITE), "{}", text(&refused));
}
