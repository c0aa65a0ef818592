//! Who is behind a DID, on an organisation's own web site (`https://org.test:8443`, a Caddy file
//! server with a certificate from the organisation's private CA):
//! - did:webvh there: Alice's DID names `https://org.test:8443/alice`; `mpc-id publish --out`
//!   writes the files she uploads; her mediator carries her messages from a copy of her log. Bob
//!   resolves her over HTTPS from her site, sees where she is resolved from, and messages her
//!   before and after she rotates her keys.
//! - domain linkage: the site's `/.well-known/did-configuration.json` links a DID made here and
//!   one made by an independent implementation (Sphereon's wellknown-dids-client with jose, from
//!   npm); each side verifies the other's.
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

/// The organisation's web site: static files from `root` over HTTPS at `https://org.test:8443`,
/// nothing mpc-id specific (the Caddy site of docs/DEPLOY.md, "An organisation's own DIDs and
/// domain"), in a namespace of its own; `None` (said loudly) where that cannot be.
struct Site {
    namespace: Namespace,
    files: tempfile::TempDir,
    ca: PrivateCa,
    _caddy: KillOnDrop,
}

impl Site {
    fn start(test: &str) -> Option<Site> {
        if Command::new("caddy").arg("version").output().is_err() {
            assert!(std::env::var_os("MPC_ID_REQUIRE_PROXIES").is_none(), "caddy is not installed");
            eprintln!("\n!!! SKIPPED {test}: caddy is not installed (apt-get install caddy) !!!\n");
            return None;
        }
        let namespace = match Namespace::new() {
            Ok(namespace) => namespace,
            Err(why) => {
                eprintln!("\n!!! SKIPPED {test}: no network namespace here ({why}); it needs root !!!\n");
                return None;
            }
        };
        let files = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(files.path().join("site")).expect("site");
        let ca = PrivateCa::new("Org private CA");
        let (cert, key) = ca.issue(&[SITE], files.path(), "org");
        let caddyfile = format!(
            "{{\n  admin off\n  auto_https off\n  storage file_system {dir}/caddy\n}}\n\
             https://{SITE}:{SITE_PORT} {{\n  tls {cert} {key}\n  root * {site}\n  file_server\n  \
             @logs path *.jsonl\n  header @logs Content-Type text/jsonl\n}}\n",
            dir = files.path().display(),
            cert = cert.display(),
            key = key.display(),
            site = files.path().join("site").display(),
        );
        std::fs::write(files.path().join("Caddyfile"), caddyfile).expect("Caddyfile");
        let caddy = KillOnDrop(
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
        namespace.wait_for_port(SITE_PORT);
        Some(Site { namespace, files, ca, _caddy: caddy })
    }

    /// A mediator in the site's namespace (plain HTTP on `localhost:MEDIATOR_PORT`, its data in
    /// `data`), and its URL.
    fn mediator(&self, data: &Path) -> (KillOnDrop, String) {
        let process = KillOnDrop(
            self.namespace
                .command(mpc_test_support::binary("mpc-mediator"))
                .args(["--listen", &format!("127.0.0.1:{MEDIATOR_PORT}")])
                .args(["--public-url", &format!("http://localhost:{MEDIATOR_PORT}/")])
                .args(["--rate-limit-ip", "0", "--rate-limit-did", "0"])
                .arg("--data-dir")
                .arg(data)
                .env("RUST_LOG", "warn,iroh_relay=error")
                .spawn()
                .expect("mediator"),
        );
        self.namespace.wait_for_port(MEDIATOR_PORT);
        (process, format!("http://localhost:{MEDIATOR_PORT}/"))
    }

    /// Where the site's files are (`/` of the site).
    fn root(&self) -> PathBuf {
        self.files.path().join("site")
    }

    /// `mpc-id` in the site's namespace with `home` as its keystore, trusting the organisation's
    /// CA the conventional way.
    fn mpc_id(&self, home: &Path) -> Command {
        let mut command = self.namespace.command(mpc_test_support::binary("mpc-id"));
        command
            .env("MPC_ID_HOME", home)
            .env("MPC_ID_PASSPHRASE", mpc_test_support::PASSPHRASE)
            .env("MPC_ID_CA_FILE", self.ca.root())
            .env_remove("MPC_ID_IDENTITY")
            .env_remove("RUST_LOG");
        command
    }
}

#[test]
fn a_did_on_a_partys_own_site_is_published_by_upload_resolved_over_https_and_messaged() {
    let Some(site_server) = Site::start("own-site did:webvh") else { return };
    let namespace = &site_server.namespace;
    let site = site_server.root();
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
    namespace.wait_for_port(MEDIATOR_PORT);
    let mediator = format!("http://localhost:{MEDIATOR_PORT}/");
    let homes = [tempfile::tempdir().expect("alice"), tempfile::tempdir().expect("bob")];
    let mpc_id = |home: &Path| site_server.mpc_id(home);
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

/// `tests/node/domain_linkage.mjs` with `args`: its JSON answer.
fn node(args: &[&str]) -> serde_json::Value {
    let script = mpc_id_e2e::workspace_root().join("tests/node/domain_linkage.mjs");
    let output = match Command::new("node").arg(&script).args(args).output() {
        Ok(output) => output,
        Err(e) => panic!("node cannot run ({e}): scripts/test installs Node and tests/node's packages"),
    };
    assert!(output.status.success(), "node {args:?}: {}", text(&output));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("node {args:?} answered no JSON ({e}): {}", text(&output)))
}

#[test]
fn a_domain_links_dids_made_here_and_by_an_independent_implementation_each_verified_by_the_other() {
    if !mpc_id_e2e::workspace_root().join("tests/node/node_modules").is_dir() {
        assert!(std::env::var_os("MPC_ID_REQUIRE_NODE").is_none(), "tests/node's packages are not installed");
        eprintln!("\n!!! SKIPPED: tests/node's packages are not installed (cd tests/node && npm ci) !!!\n");
        return;
    }
    let Some(site) = Site::start("domain linkage") else { return };
    let origin = format!("https://{SITE}:{SITE_PORT}");
    let well_known = site.root().join(".well-known/did-configuration.json");
    let homes = [tempfile::tempdir().expect("org"), tempfile::tempdir().expect("bob")];
    let (org_home, bob_home) = (homes[0].path(), homes[1].path());
    for (home, name) in [(org_home, "org"), (bob_home, "bob")] {
        let created = site.mpc_id(home).args(["new", "-n", name]).output().expect("new");
        assert!(created.status.success(), "{}", text(&created));
    }
    let show = |home: &Path, name: &str| -> serde_json::Value {
        let shown = site.mpc_id(home).args(["show", "-n", name, "--json"]).output().expect("show");
        serde_json::from_slice(&shown.stdout).expect("json")
    };
    let (org, bob) = (show(org_home, "org"), show(bob_home, "bob"));
    let org_did = org["did"].as_str().expect("did").to_owned();

    // The independent implementation links its own did:key first; linking ours keeps its entry.
    std::fs::create_dir_all(well_known.parent().expect("dir")).expect(".well-known");
    let theirs = node(&["issue", &origin]);
    let their_did = theirs["did"].as_str().expect("did").to_owned();
    std::fs::write(&well_known, theirs["configuration"].to_string()).expect("their configuration");
    let linked = site
        .mpc_id(org_home)
        .args(["domain", "link", &origin, "-n", "org", "--out"])
        .arg(&well_known)
        .output()
        .expect("link");
    assert!(linked.status.success(), "{}", text(&linked));
    assert!(text(&linked).contains(&format!("{origin}/.well-known/did-configuration.json")), "{}", text(&linked));

    // Ours verifies there...
    let key = org["authentication_key"].as_str().expect("key");
    let there = node(&["verify", &well_known.to_string_lossy(), &org_did, &origin, key]);
    assert_eq!(there["status"], "VALID", "{there}");
    // ...and theirs here, fetched over HTTPS from the domain.
    for did in [&org_did, &their_did] {
        let checked = site.mpc_id(bob_home).args(["domain", "check", did, &origin]).output().expect("check");
        assert!(checked.status.success(), "{did}: {}", text(&checked));
        assert!(text(&checked).contains(&format!("controls {origin}")), "{}", text(&checked));
    }
    let added = site
        .mpc_id(bob_home)
        .args(["peers", "add", &org_did, "--label", "org", "--domain", &origin])
        .output()
        .expect("peers add");
    assert!(added.status.success(), "{}", text(&added));
    assert!(text(&added).contains(&format!("controls {origin}")), "{}", text(&added));
    // Shown again, the peer's domain is checked again.
    let listed = site.mpc_id(bob_home).args(["peers", "list"]).output().expect("peers list");
    assert!(text(&listed).contains(&format!("controls {origin}")), "{}", text(&listed));

    // A DID the domain does not list does not control it, and is not added as if it did; the
    // independent implementation agrees.
    let bob_did = bob["did"].as_str().expect("did");
    let claimed = site.mpc_id(org_home).args(["domain", "check", bob_did, &origin, "--json"]).output().expect("check");
    assert!(!claimed.status.success(), "{}", text(&claimed));
    let answer: serde_json::Value = serde_json::from_slice(&claimed.stdout).expect("json");
    assert_eq!(answer["controls"], false, "{answer}");
    assert!(answer["reason"].as_str().is_some_and(|r| r.contains("does not claim this DID")), "{answer}");
    let refused = site.mpc_id(org_home).args(["peers", "add", bob_did, "--domain", &origin]).output().expect("add");
    assert!(!refused.status.success() && text(&refused).contains("not added"), "{}", text(&refused));
    let bob_key = bob["authentication_key"].as_str().expect("key");
    let there = node(&["verify", &well_known.to_string_lossy(), bob_did, &origin, bob_key]);
    assert_eq!(there["status"], "INVALID", "{there}");

    // Admission by domain: a session that requires control of the domain admits a party whose
    // DID the domain links and refuses one it does not, naming the domain.
    let data = tempfile::tempdir().expect("data");
    let (_mediator, mediator) = site.mediator(data.path());
    let python = mpc_id_e2e::session::python();
    let program = mpc_id_e2e::session::program("hello.py");
    let session_homes =
        [tempfile::tempdir().expect("host"), tempfile::tempdir().expect("member"), tempfile::tempdir().expect("guest")];
    for (home, name) in session_homes.iter().zip(["host", "member", "guest"]) {
        let created =
            site.mpc_id(home.path()).args(["new", "-n", name, "--mediator", &mediator]).output().expect("new");
        assert!(created.status.success(), "{}", text(&created));
    }
    let linked = site
        .mpc_id(session_homes[1].path())
        .args(["domain", "link", &origin, "-n", "member", "--out"])
        .arg(&well_known)
        .output()
        .expect("link");
    assert!(linked.status.success(), "{}", text(&linked));
    let created = site
        .mpc_id(session_homes[0].path())
        .args(["session", "create", "--parties", "2", "--url", "--python", &python, "--require-domain", &origin])
        .arg("--program")
        .arg(&program)
        .output()
        .expect("create");
    assert!(created.status.success(), "{}", text(&created));
    let invitation = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    for home in &session_homes[1..] {
        let joined = site
            .mpc_id(home.path())
            .args(["session", "join", &invitation, "--yes", "--python", &python, "--program"])
            .arg(&program)
            .output()
            .expect("join");
        assert!(joined.status.success(), "{}", text(&joined));
    }
    let hosted = site.mpc_id(session_homes[0].path()).args(["session", "status"]).output().expect("status");
    assert!(text(&hosted).contains(&format!("verified: controls {origin}")), "{}", text(&hosted));
    let refused = site.mpc_id(session_homes[2].path()).args(["session", "status"]).output().expect("status");
    assert!(text(&refused).contains("refused") && text(&refused).contains("domain"), "{}", text(&refused));
    let member = site.mpc_id(session_homes[1].path()).args(["session", "status"]).output().expect("status");
    assert!(
        text(&member).contains("ready") && text(&member).contains(&format!("controls {origin}")),
        "{}",
        text(&member)
    );

    // A configuration whose credential for the DID carries another signature fails both ways.
    let mut forged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&well_known).expect("read")).expect("json");
    let jwts: Vec<String> =
        forged["linked_dids"].as_array().expect("list").iter().map(|j| j.as_str().expect("jwt").to_owned()).collect();
    let (theirs_jwt, ours_jwt) = (&jwts[0], &jwts[1]);
    let (signed, _) = ours_jwt.rsplit_once('.').expect("jwt");
    let (_, other_signature) = theirs_jwt.rsplit_once('.').expect("jwt");
    forged["linked_dids"] = serde_json::json!([format!("{signed}.{other_signature}")]);
    std::fs::write(&well_known, forged.to_string()).expect("forged");
    let checked = site.mpc_id(bob_home).args(["domain", "check", &org_did, &origin]).output().expect("check");
    assert!(!checked.status.success(), "a forged credential must not link: {}", text(&checked));
    let there = node(&["verify", &well_known.to_string_lossy(), &org_did, &origin, key]);
    assert_eq!(there["status"], "INVALID", "{there}");
    // Wherever the peer is shown now, the domain no longer vouches for it, and that is said.
    let listed = site.mpc_id(bob_home).args(["peers", "list"]).output().expect("peers list");
    assert!(listed.status.success(), "{}", text(&listed));
    assert!(!text(&listed).contains(&format!("controls {origin}")), "{}", text(&listed));
    assert!(text(&listed).contains(&format!("{origin}: NOT PROVEN now")), "{}", text(&listed));
    let listed = site.mpc_id(bob_home).args(["peers", "list", "--json"]).output().expect("peers list");
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json");
    let org_entry = listed.as_array().expect("list").iter().find(|p| p["did"] == org_did.as_str()).expect("org");
    assert_eq!(org_entry["domains"][0]["origin"], origin.as_str(), "{org_entry}");
    assert_eq!(org_entry["domains"][0]["controls"], false, "{org_entry}");
    // The session's member no longer proves the domain either: shown again, its manifest is
    // checked again, and what no longer holds is said instead of "verified".
    let member = site.mpc_id(session_homes[1].path()).args(["session", "status"]).output().expect("status");
    assert!(!text(&member).contains(&format!("verified: controls {origin}")), "{}", text(&member));
    assert!(text(&member).contains("no longer verifies") && text(&member).contains(&origin), "{}", text(&member));
    // And the host's run of the session stops before anything starts, naming what no longer holds.
    let host = session_homes[0].path();
    let status = site.mpc_id(host).args(["session", "status", "--json"]).output().expect("status");
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    let id = status[0]["id"].as_str().expect("the session's id");
    let run = site.mpc_id(host).args(["run", id, "--dry-run"]).output().expect("run");
    assert!(!run.status.success(), "{}", text(&run));
    assert!(
        text(&run).contains("does not meet the session's requirements") && text(&run).contains(&origin),
        "{}",
        text(&run)
    );
}

/// An organisation's did:webvh names its domain (`publish --linked-domain`, a `LinkedDomains`
/// service): a peer that adds it without being told the domain finds it, checks the domain's
/// configuration, and shows "controls" only while the domain links the DID back; a DID that names
/// a domain which does not link it is shown with the claim refused.
#[test]
fn a_did_that_names_its_domain_is_shown_controlling_it_only_while_the_domain_links_it_back() {
    let Some(site) = Site::start("LinkedDomains") else { return };
    let origin = format!("https://{SITE}:{SITE_PORT}");
    let well_known = site.root().join(".well-known/did-configuration.json");
    std::fs::create_dir_all(well_known.parent().expect("dir")).expect(".well-known");
    let data = tempfile::tempdir().expect("data");
    let (_mediator, mediator) = site.mediator(data.path());
    let homes =
        [tempfile::tempdir().expect("org"), tempfile::tempdir().expect("mallory"), tempfile::tempdir().expect("bob")];
    let mut dids = Vec::new();
    for (home, name) in homes.iter().zip(["org", "mallory", "bob"]) {
        let created = site
            .mpc_id(home.path())
            .args(["new", "-n", name, "--method", "webvh", "--mediator", &mediator, "--json"])
            .output()
            .expect("new");
        assert!(created.status.success(), "{}", text(&created));
        let created: serde_json::Value = serde_json::from_slice(&created.stdout).expect("json");
        dids.push(created["did"].as_str().expect("did").to_owned());
    }
    let (org, mallory, bob) = (homes[0].path(), homes[1].path(), homes[2].path());

    // The organisation links the domain to its DID, and its DID names the domain.
    let linked = site
        .mpc_id(org)
        .args(["domain", "link", &origin, "-n", "org", "--out"])
        .arg(&well_known)
        .output()
        .expect("link");
    assert!(linked.status.success(), "{}", text(&linked));
    assert!(
        text(&linked).contains(&format!("mpc-id publish --name org --linked-domain {origin}")),
        "{}",
        text(&linked)
    );
    let published =
        site.mpc_id(org).args(["publish", "-n", "org", "--linked-domain", &origin]).output().expect("publish");
    assert!(published.status.success(), "{}", text(&published));
    assert!(text(&published).contains(&format!("domain    {origin}")), "{}", text(&published));
    // Mallory names the same domain, which does not link her DID.
    let claimed =
        site.mpc_id(mallory).args(["publish", "-n", "mallory", "--linked-domain", &origin]).output().expect("publish");
    assert!(claimed.status.success(), "{}", text(&claimed));

    // Bob adds both by DID alone: the organisation is shown controlling the domain, Mallory's
    // claim is shown refused, and both are added (a claim is not a requirement).
    let added = site.mpc_id(bob).args(["peers", "add", &dids[0], "--label", "org"]).output().expect("add");
    assert!(added.status.success(), "{}", text(&added));
    assert!(text(&added).contains(&format!("controls {origin}")), "{}", text(&added));
    let added = site.mpc_id(bob).args(["peers", "add", &dids[1], "--label", "mallory"]).output().expect("add");
    assert!(added.status.success(), "{}", text(&added));
    assert!(text(&added).contains(&format!("{origin}: NOT PROVEN now")), "{}", text(&added));
    assert!(!text(&added).contains(&format!("controls {origin}")), "{}", text(&added));
    let listed = |home: &Path| -> serde_json::Value {
        let listed = site.mpc_id(home).args(["peers", "list", "--json"]).output().expect("list");
        serde_json::from_slice(&listed.stdout).expect("json")
    };
    let peers = listed(bob);
    let domains_of = |peers: &serde_json::Value, did: &str| {
        peers.as_array().expect("list").iter().find(|p| p["did"] == did).expect("peer")["domains"].clone()
    };
    assert_eq!(domains_of(&peers, &dids[0])[0]["controls"], true, "{peers}");
    assert!(domains_of(&peers, &dids[1]).is_null(), "an unproven claim is not kept: {peers}");

    // An invitation from the organisation shows the domain, checked.
    let invitation = site.mpc_id(org).args(["invite", "-n", "org", "--url"]).output().expect("invite");
    assert!(invitation.status.success(), "{}", text(&invitation));
    let url = String::from_utf8_lossy(&invitation.stdout).trim().to_owned();
    let inspected = site.mpc_id(bob).args(["inspect", &url]).output().expect("inspect");
    assert!(text(&inspected).contains(&format!("domain    controls {origin}")), "{}", text(&inspected));

    // The domain takes the link down: wherever the organisation is shown now, it is not proven.
    std::fs::remove_file(&well_known).expect("remove");
    assert_eq!(domains_of(&listed(bob), &dids[0])[0]["controls"], false);
    let inspected = site.mpc_id(bob).args(["inspect", &url]).output().expect("inspect");
    assert!(text(&inspected).contains(&format!("{origin}: NOT PROVEN now")), "{}", text(&inspected));
}
