//! Verifiable credentials between mpc-id and an independent implementation (Digital Bazaar's vc
//! with the eddsa-jcs-2022 cryptosuite, from npm, installed by `scripts/test`): an organisation
//! issues a credential to a party with `mpc-id credential issue`, the party checks and keeps it,
//! the other implementation verifies it; a credential the other implementation issues verifies
//! in mpc-id and is kept too. Altered credentials fail on both sides, and nobody keeps a
//! credential that is about someone else.

use std::path::Path;
use std::process::{Command, Output};

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// `tests/node/credentials.mjs` with `args`: its JSON answer.
fn node(args: &[&str]) -> serde_json::Value {
    let script = mpc_id_e2e::workspace_root().join("tests/node/credentials.mjs");
    let output = match Command::new("node").arg(&script).args(args).output() {
        Ok(output) => output,
        Err(e) => panic!("node cannot run ({e}): scripts/test installs Node and tests/node's packages"),
    };
    assert!(output.status.success(), "node {args:?}: {}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("node {args:?}: no JSON ({e}): {}", text(&output)))
}

fn mpc_id(home: &Path) -> Command {
    mpc_test_support::mpc_id(mpc_test_support::binary("mpc-id"), home)
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", text(output));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn credentials_made_here_verify_there_and_credentials_made_there_verify_here() {
    if !mpc_id_e2e::workspace_root().join("tests/node/node_modules").is_dir() {
        assert!(std::env::var_os("MPC_ID_REQUIRE_NODE").is_none(), "tests/node's packages are not installed");
        eprintln!("\n!!! SKIPPED: tests/node's packages are not installed (cd tests/node && npm ci) !!!\n");
        return;
    }
    let homes =
        [tempfile::tempdir().expect("org"), tempfile::tempdir().expect("alice"), tempfile::tempdir().expect("bob")];
    let (org_home, alice_home, bob_home) = (homes[0].path(), homes[1].path(), homes[2].path());
    let mut dids = Vec::new();
    for (home, name) in [(org_home, "org"), (alice_home, "alice"), (bob_home, "bob")] {
        let created = json(&mpc_id(home).args(["new", "-n", name, "--json"]).output().expect("new"));
        dids.push((
            created["did"].as_str().expect("did").to_owned(),
            created["authentication_key"].as_str().expect("key").to_owned(),
        ));
    }
    let [(org, org_key), (alice, _), _] = [dids[0].clone(), dids[1].clone(), dids[2].clone()];
    let files = tempfile::tempdir().expect("files");
    let ours = files.path().join("alice-member.json");

    let issued = mpc_id(org_home)
        .args(["credential", "issue", "-n", "org", "--subject", &alice, "--type", "MemberCredential"])
        .args(["--claim", "department=oncology", "--expires", "30d", "--out"])
        .arg(&ours)
        .output()
        .expect("issue");
    assert!(issued.status.success(), "{}", text(&issued));

    // The holder checks and keeps it; someone else cannot keep it as theirs.
    let kept = json(
        &mpc_id(alice_home).args(["credential", "add", "-n", "alice", "--json"]).arg(&ours).output().expect("add"),
    );
    assert_eq!(kept["issuer"], org.as_str());
    assert_eq!(kept["claims"]["department"], "oncology");
    let stolen = mpc_id(bob_home).args(["credential", "add", "-n", "bob"]).arg(&ours).output().expect("add");
    assert!(!stolen.status.success() && text(&stolen).contains("not yours"), "{}", text(&stolen));

    // Ours verifies there, with the issuer's key as its DID document lists it.
    let credential: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ours).expect("read")).expect("json");
    let kid = credential["proof"]["verificationMethod"].as_str().expect("kid").to_owned();
    let there = node(&["verify", &ours.to_string_lossy(), &org, &kid, &org_key]);
    assert_eq!(there["verified"], true, "{there}");

    // Altered after issuance: refused on both sides.
    let mut altered = credential.clone();
    altered["credentialSubject"]["department"] = serde_json::json!("administration");
    let altered_file = files.path().join("altered.json");
    std::fs::write(&altered_file, altered.to_string()).expect("write");
    assert_eq!(node(&["verify", &altered_file.to_string_lossy(), &org, &kid, &org_key])["verified"], false);
    let here = mpc_id(bob_home).args(["credential", "verify"]).arg(&altered_file).output().expect("verify");
    assert!(!here.status.success() && text(&here).contains("does not verify"), "{}", text(&here));

    // Theirs, about Alice, verifies here and is kept beside ours.
    let theirs = node(&["issue", &alice, "MemberCredential"]);
    let theirs_file = files.path().join("theirs.json");
    std::fs::write(&theirs_file, theirs["credential"].to_string()).expect("write");
    let checked =
        json(&mpc_id(bob_home).args(["credential", "verify", "--json"]).arg(&theirs_file).output().expect("verify"));
    assert_eq!(checked["issuer"], theirs["issuer"]);
    assert_eq!(checked["claims"]["department"], "oncology");
    let kept = mpc_id(alice_home).args(["credential", "add", "-n", "alice"]).arg(&theirs_file).output().expect("add");
    assert!(kept.status.success(), "{}", text(&kept));
    let listed =
        json(&mpc_id(alice_home).args(["credential", "list", "-n", "alice", "--json"]).output().expect("list"));
    let listed = listed.as_array().expect("list");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|entry| entry["valid"] == true), "{listed:?}");

    // Theirs, altered: refused here too.
    let mut altered = theirs["credential"].clone();
    altered["credentialSubject"]["department"] = serde_json::json!("cardiology");
    std::fs::write(&altered_file, altered.to_string()).expect("write");
    let here = mpc_id(bob_home).args(["credential", "verify"]).arg(&altered_file).output().expect("verify");
    assert!(!here.status.success() && text(&here).contains("does not verify"), "{}", text(&here));
}

/// Admission by proof through the CLI: a host requires a MemberCredential from an organisation;
/// a party holding one joins (the presentation is chosen from its keystore) and every party's
/// `session status` shows what it proved apart from its label; a party without one is told,
/// before anything is sent, which credential it lacks.
#[test]
fn a_session_requiring_a_credential_admits_its_holder_and_tells_the_others_what_they_lack() {
    use mpc_id_e2e::session::{self, LoopbackMediator, Party};
    let mediator = LoopbackMediator::start();
    let [host, alice, bob] = ["host", "alice", "bob"].map(|name| Party::new(name, &mediator.url));
    let org_home = tempfile::tempdir().expect("org");
    let org = json(&mpc_id(org_home.path()).args(["new", "-n", "org", "--json"]).output().expect("new"));
    let org = org["did"].as_str().expect("did").to_owned();
    let files = tempfile::tempdir().expect("files");
    let issued = files.path().join("alice.json");
    let made = mpc_id(org_home.path())
        .args(["credential", "issue", "-n", "org", "--subject", &alice.did, "--type", "MemberCredential"])
        .args(["--claim", "department=oncology", "--out"])
        .arg(&issued)
        .output()
        .expect("issue");
    assert!(made.status.success(), "{}", text(&made));
    let added = alice.mpc_id().args(["credential", "add"]).arg(&issued).output().expect("add");
    assert!(added.status.success(), "{}", text(&added));

    let requirement = format!("{org}:MemberCredential");
    let url = session::create(host.mpc_id(), 2, "members", "hello.py", &["--require-credential", &requirement]);
    let refused = session::join(bob.mpc_id(), &url, "hello.py");
    assert!(!refused.status.success(), "joined without the credential: {}", text(&refused));
    assert!(text(&refused).contains("MemberCredential credential from"), "{}", text(&refused));
    let joined = session::join(alice.mpc_id(), &url, "hello.py");
    assert!(joined.status.success(), "{}", text(&joined));
    assert!(
        text(&joined).contains("requires   a MemberCredential credential"),
        "shown before agreeing: {}",
        text(&joined)
    );

    // The host admits her (full: the manifest goes out); she sees it, with what each proved.
    let status = host.mpc_id().args(["session", "status"]).output().expect("status");
    assert!(status.status.success(), "{}", text(&status));
    let status = alice.mpc_id().args(["session", "status"]).output().expect("status");
    assert!(text(&status).contains("ready"), "{}", text(&status));
    assert!(
        text(&status).contains("verified: MemberCredential from") && text(&status).contains("department = oncology"),
        "{}",
        text(&status)
    );
    let as_json = json(&alice.mpc_id().args(["session", "status", "--json"]).output().expect("status"));
    let verified = &as_json[0]["parties"][1]["verified"]["credentials"][0];
    assert_eq!(verified["issuer"], org.as_str(), "{as_json}");
    assert_eq!(verified["claims"]["department"], "oncology", "{as_json}");
    assert_eq!(as_json[0]["parties"][1]["label"], "alice", "the label, apart: {as_json}");
    // `run` says what each party proved before anything connects.
    let dry = alice
        .mpc_id()
        .args(["run", "members", "--dry-run", "--"])
        .arg(session::python())
        .arg(session::program("hello.py"))
        .output()
        .expect("run");
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("party 1 verified: MemberCredential from"), "{}", text(&dry));
}

/// An issuer revokes a credential through a Bitstring Status List it publishes: the credential
/// verifies while its bit is clear, and once the issuer sets it (and publishes the list again),
/// checking it fetches the list and refuses it, naming the revocation, for its holder too. A list
/// the issuer did not sign is refused, not believed.
#[test]
fn a_credential_its_issuer_revokes_through_a_status_list_is_refused_once_published() {
    let (org_home, alice_home) = (tempfile::tempdir().expect("org"), tempfile::tempdir().expect("alice"));
    let mut dids = Vec::new();
    for (home, name) in [(org_home.path(), "org"), (alice_home.path(), "alice")] {
        let created = json(&mpc_id(home).args(["new", "-n", name, "--json"]).output().expect("new"));
        dids.push(created["did"].as_str().expect("did").to_owned());
    }
    // The issuer's web space: a directory served over HTTP on localhost.
    let site = tempfile::tempdir().expect("site");
    let port = mpc_test_support::free_port();
    let python = std::env::var("MPC_ID_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let server = Command::new(python)
        .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
        .arg(site.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("a file server");
    let _server = mpc_test_support::KillOnDrop(server);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "the file server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let url = format!("http://localhost:{port}/status-1.json");
    let list = site.path().join("status-1.json");
    let made = mpc_id(org_home.path())
        .args(["credential", "status-list", "new", "-n", "org", "--url", &url, "--out"])
        .arg(&list)
        .output()
        .expect("new list");
    assert!(made.status.success(), "{}", text(&made));
    let credential = site.path().join("alice.json");
    let issued = mpc_id(org_home.path())
        .args(["credential", "issue", "-n", "org", "--subject", &dids[1], "--type", "MemberCredential"])
        .args(["--status", &format!("{url}#42"), "--out"])
        .arg(&credential)
        .output()
        .expect("issue");
    assert!(issued.status.success(), "{}", text(&issued));
    let verify = || mpc_id(alice_home.path()).args(["credential", "verify"]).arg(&credential).output().expect("verify");
    assert!(verify().status.success(), "valid while its bit is clear: {}", text(&verify()));
    let kept = mpc_id(alice_home.path()).args(["credential", "add", "-n", "alice"]).arg(&credential).output();
    assert!(kept.expect("add").status.success());

    // Someone rewrites the published list with the bit set but cannot sign as the issuer.
    let original = std::fs::read_to_string(&list).expect("list");
    let mut forged: serde_json::Value = serde_json::from_str(&original).expect("json");
    forged["issuer"] = serde_json::json!("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp");
    std::fs::write(&list, forged.to_string()).expect("forged");
    let refused = verify();
    assert!(!refused.status.success() && text(&refused).contains("not by its issuer"), "{}", text(&refused));
    std::fs::write(&list, &original).expect("restored");

    // The issuer revokes entry 42 and publishes the list again.
    let revoked =
        mpc_id(org_home.path()).args(["credential", "status-list", "set", "-n", "org"]).arg(&list).arg("42").output();
    let revoked = revoked.expect("set");
    assert!(revoked.status.success(), "{}", text(&revoked));
    let refused = verify();
    assert!(!refused.status.success(), "a revoked credential verified: {}", text(&refused));
    assert!(text(&refused).contains("revoked") && text(&refused).contains("index 42"), "{}", text(&refused));
    // Its holder sees it too, in the keystore's list.
    let listed = mpc_id(alice_home.path()).args(["credential", "list", "-n", "alice"]).output().expect("list");
    assert!(text(&listed).contains("revoked"), "{}", text(&listed));
}

/// A credential's issuer writes its claims, and an issuer may be hostile: what it wrote is shown
/// with control characters escaped (no terminal escape sequence or forged line gets through),
/// by `credential verify` and by the holder's `credential list`.
#[test]
fn a_hostile_issuers_claims_cannot_drive_the_terminal() {
    let (org_home, alice_home) = (tempfile::tempdir().expect("org"), tempfile::tempdir().expect("alice"));
    let mut dids = Vec::new();
    for (home, name) in [(org_home.path(), "org"), (alice_home.path(), "alice")] {
        let created = json(&mpc_id(home).args(["new", "-n", name, "--json"]).output().expect("new"));
        dids.push(created["did"].as_str().expect("did").to_owned());
    }
    let files = tempfile::tempdir().expect("files");
    let credential = files.path().join("alice.json");
    let hostile = "\u{1b}]0;owned\u{7}\u{1b}[2J\ninvited by  the bank\r";
    let issued = mpc_id(org_home.path())
        .args(["credential", "issue", "-n", "org", "--subject", &dids[1], "--type", "MemberCredential"])
        .args(["--claim", &format!("department={hostile}"), "--out"])
        .arg(&credential)
        .output()
        .expect("issue");
    assert!(issued.status.success(), "{}", text(&issued));
    let verified = mpc_id(alice_home.path()).args(["credential", "verify"]).arg(&credential).output().expect("verify");
    let added = mpc_id(alice_home.path()).args(["credential", "add", "-n", "alice"]).arg(&credential).output();
    let listed = mpc_id(alice_home.path()).args(["credential", "list", "-n", "alice"]).output().expect("list");
    for output in [verified, added.expect("add"), listed] {
        assert!(output.status.success(), "{}", text(&output));
        let shown = String::from_utf8(output.stdout).expect("utf8");
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "a control character reached the terminal: {shown:?}"
        );
        let claim = shown.lines().find(|l| l.contains("department")).expect("the claim is shown");
        assert!(claim.contains("the bank"), "on the claim's own line, escaped: {shown:?}");
        assert!(!shown.lines().any(|l| l.starts_with("invited by")), "no forged line: {shown:?}");
    }
}
