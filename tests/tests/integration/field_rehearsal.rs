//! A field rehearsal, as a group would first use mpc-id: a mediator on the "internet" at
//! `https://mediator.test/` (a name, resolved through each namespace's own `/etc/hosts`), its
//! certificate obtained by ACME from Pebble; three parties behind the NAT lab's routers (two
//! endpoint-independent, one symmetric) whose DIDs name that URL, one of them a did:webvh resolved
//! over HTTPS; a session created, joined through its short link, and run with MPyC; and a headless
//! browser in a party's namespace opening the invitation page over HTTPS, a secure context that is
//! not localhost, where the page checks the signature itself.
//!
//! Needs root, nft, Pebble and chromium (`scripts/test` installs them); without namespaces the
//! test says so loudly and returns.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mpc_id_e2e::netlab::{KillOnDrop, Nat, NatLab, PUBLIC_IP, Site};
use mpc_id_e2e::session::{self, results, wait_all};
use mpc_test_support::pebble::Pebble;

const NAME: &str = "mediator.test";

/// `/etc/netns/NAMESPACE/hosts` for each namespace (which `ip netns exec` mounts over
/// `/etc/hosts`), removed again when dropped.
struct Names(Vec<PathBuf>);

impl Names {
    fn write(namespaces: &[String]) -> Self {
        let dirs: Vec<PathBuf> = namespaces.iter().map(|ns| Path::new("/etc/netns").join(ns)).collect();
        for dir in &dirs {
            std::fs::create_dir_all(dir).expect("/etc/netns/NS");
            let hosts = format!("127.0.0.1 localhost\n::1 localhost\n{PUBLIC_IP} {NAME}\n");
            std::fs::write(dir.join("hosts"), hosts).expect("hosts");
        }
        Names(dirs)
    }
}

impl Drop for Names {
    fn drop(&mut self) {
        for dir in &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn a_group_goes_from_new_to_an_mpc_through_an_https_mediator_on_the_internet() {
    let Some(browser) = mpc_test_support::chromium("field rehearsal") else { return };
    let lab = match NatLab::new(&[Nat::EndpointIndependent, Nat::EndpointIndependent, Nat::Symmetric]) {
        Ok(lab) => lab,
        Err(why) => {
            eprintln!("\n!!! SKIPPED: the NAT lab cannot be built here ({why}); it needs root and nft !!!\n");
            return;
        }
    };
    let mut namespaces = vec![lab.public()];
    namespaces.extend((0..3).map(|i| lab.host(i)));
    let _names = Names::write(&namespaces);
    let public = lab.public();
    let in_public = |program: &str| lab.command(&public, program);

    // The CA, then the mediator ordering its certificate for mediator.test on port 443.
    let Some(pebble) = Pebble::start_at("field rehearsal", PUBLIC_IP, 443, Duration::from_secs(3600), &in_public)
    else {
        return;
    };
    let files = tempfile::tempdir().expect("tempdir");
    let root = files.path().join("pebble-root.pem");
    pebble.issuing_root_into(&in_public, &root);
    let data = tempfile::tempdir().expect("data");
    let _mediator = KillOnDrop(
        lab.command(&public, mpc_test_support::binary("mpc-mediator"))
            .args(["--listen", &format!("{PUBLIC_IP}:443"), "--acme", NAME])
            .args(["--acme-directory", &pebble.directory, "--acme-ca-file"])
            .arg(&pebble.api_ca)
            .args(["--quic-listen", &format!("{PUBLIC_IP}:7842"), "--rate-limit-ip", "0", "--rate-limit-did", "0"])
            .arg("--data-dir")
            .arg(data.path())
            .env("RUST_LOG", "warn,iroh_relay=error")
            .spawn()
            .expect("mediator"),
    );
    let url = format!("https://{NAME}/");

    let sites: Vec<Site> = (0..3).map(|i| Site::new(&lab, i)).collect();
    // Each party trusts the CA the conventional way; no plain HTTP anywhere.
    let mpc_id = |site: &Site| {
        let mut command = site.mpc_id();
        command.env_remove("MPC_ID_INSECURE_HTTP").env("MPC_ID_CA_FILE", &root);
        command
    };
    let python = session::python();
    let program = session::program("secure_ranking.py");

    // Identities: the first waits for the certificate (ACME takes a moment).
    let deadline = Instant::now() + Duration::from_secs(60);
    let methods = [["--method", "peer"], ["--method", "webvh"], ["--method", "peer"]];
    for ((site, name), method) in sites.iter().zip(["alice", "bob", "carol"]).zip(methods) {
        loop {
            let output = mpc_id(site).args(["new", "-n", name, "--mediator", &url]).args(method).output().expect("new");
            if output.status.success() {
                break;
            }
            assert!(Instant::now() < deadline, "{name}: {}", String::from_utf8_lossy(&output.stderr));
            let _ = std::fs::remove_dir_all(site_home(site));
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    let created = mpc_id(&sites[0])
        .args(["session", "create", "--parties", "3", "--name", "field", "--url", "--python", &python, "--program"])
        .arg(&program)
        .output()
        .expect("create");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let invitation = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    assert!(invitation.starts_with(&format!("{url}oob?_oobid=")), "a short link on HTTPS: {invitation}");
    for site in &sites[1..] {
        let joined = mpc_id(site)
            .args(["session", "join", &invitation, "--yes", "--python", &python, "--program"])
            .arg(&program)
            .output()
            .expect("join");
        assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    }

    // The invitation page in a browser on Alice's machine: HTTPS under a name, so the page can
    // check the signature itself (WebCrypto needs a secure context).
    let browser_home = tempfile::tempdir().expect("browser home");
    let nssdb = browser_home.path().join(".pki/nssdb");
    std::fs::create_dir_all(&nssdb).expect("nssdb");
    let db = format!("sql:{}", nssdb.display());
    assert!(Command::new("certutil").args(["-d", &db, "-N", "--empty-password"]).status().expect("certutil").success());
    let trusted =
        Command::new("certutil").args(["-d", &db, "-A", "-t", "C,,", "-n", "pebble", "-i"]).arg(&root).status();
    assert!(trusted.expect("certutil").success(), "Pebble's root trusted by the browser");
    let page = lab
        .command(&sites[0].namespace, &browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"])
        .args(["--virtual-time-budget=10000", "--dump-dom", &invitation])
        .env("HOME", browser_home.path())
        .stderr(Stdio::null())
        .output()
        .expect("chromium");
    let dom = String::from_utf8_lossy(&page.stdout);
    assert!(dom.contains("Signature verified"), "the page verified the invitation in the browser: {dom}");

    // The run: every party through the relay first, then direct where the NATs allow.
    let runs = sites
        .iter()
        .map(|site| {
            use std::os::unix::process::CommandExt;
            let mut command = mpc_id(site);
            command
                .args(["run", "field", "--startup-timeout", "90s", "--"])
                .arg(&python)
                .arg(&program)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .process_group(0);
            command.spawn().expect("run")
        })
        .collect();
    let ended = wait_all(runs, Duration::from_secs(240));
    let expected = session::plain_results("secure_ranking.py", 3);
    for (name, run) in ["alice", "bob", "carol"].iter().zip(&ended) {
        assert_eq!(run.code, Some(0), "{name} ran: {}", run.stderr);
        assert_eq!(results(&run.stdout), expected, "{name}'s results");
        assert!(run.stderr.contains("all parties connected"), "{name}: {}", run.stderr);
    }
    // Carol, behind the symmetric NAT, is reached through the relay.
    assert!(ended[0].stderr.contains("party 2 (carol) connected (relayed"), "{}", ended[0].stderr);
}

/// Where a site keeps its keystore (a fresh one after a failed first attempt).
fn site_home(site: &Site) -> PathBuf {
    site.home().join("identities")
}
