//! did:webvh from the command line, against a real mediator on loopback: create and publish,
//! rotate, resolve from another party's home, peers added by DID and by invitation, names that
//! are taken, and deactivation.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

fn mpc_id(home: &Path) -> Command {
    Command::from(mpc_test_support::mpc_id(env!("CARGO_BIN_EXE_mpc-id"), home))
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf8")
}

fn refused(output: Output, needle: &str) {
    assert_eq!(output.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(needle), "expected `{needle}` in: {stderr}");
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

/// A mediator on loopback; it hosts DIDs as `localhost:PORT`.
fn mediator() -> (String, tempfile::TempDir, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let data = tempfile::tempdir().expect("tempdir");
    let running = runtime
        .block_on(mpc_mediator::start(mpc_mediator::MediatorConfig::local(data.path())))
        .expect("mediator starts");
    let url = format!("http://localhost:{}", running.address.port());
    std::mem::forget(running);
    (url, data, runtime)
}

#[test]
fn a_webvh_identity_lives_rotates_and_ends_on_the_ledger() {
    let (url, _data, _runtime) = mediator();
    let (alice_home, bob_home, carol_home) =
        (tempfile::tempdir().expect("a"), tempfile::tempdir().expect("b"), tempfile::tempdir().expect("c"));
    let alice = |args: &[&str]| mpc_id(alice_home.path()).args(args).output().expect("run");
    let bob = |args: &[&str]| mpc_id(bob_home.path()).args(args).output().expect("run");

    let created = json(&ok(alice(&["new", "-n", "alice", "--method", "webvh", "--mediator", &url, "--json"])));
    let did = created["did"].as_str().expect("did").to_owned();
    assert!(did.starts_with("did:webvh:") && did.ends_with(":parties:alice"), "{did}");
    let first_key = created["authentication_key"].as_str().expect("key").to_owned();

    // Bob resolves it from the ledger, verified, and sees version 1.
    let resolved = ok(bob(&["resolve", &did]));
    assert!(resolved.contains("version 1 of 1"), "{resolved}");
    assert!(resolved.contains(&first_key), "{resolved}");

    // Alice rotates; Bob sees the new key at version 2 and the old one at version 1.
    let published = json(&ok(alice(&["publish", "-n", "alice", "--rotate-keys", "--json"])));
    assert_eq!(published["versionNumber"], 2);
    let shown = json(&ok(alice(&["show", "-n", "alice", "--json"])));
    let second_key = shown["authentication_key"].as_str().expect("key").to_owned();
    assert_ne!(first_key, second_key);
    let resolved = ok(bob(&["resolve", &did]));
    assert!(resolved.contains("version 2 of 2") && resolved.contains(&second_key), "{resolved}");
    let old = ok(bob(&["resolve", &format!("{did}?versionNumber=1")]));
    assert!(old.contains(&first_key), "{old}");

    // Bob adds Alice by DID, then by her (short-link) invitation signed with the rotated key.
    let added = json(&ok(bob(&["peers", "add", &did, "--label", "alice", "--json"])));
    assert_eq!(added["logEntries"], 2);
    assert_eq!(added["authenticationKey"], second_key.as_str());
    let link = ok(alice(&["invite", "-n", "alice", "--url"]));
    assert!(link.contains("_oobid="), "{link}");
    let by_invitation = json(&ok(bob(&["peers", "add", link.trim(), "--json"])));
    assert_eq!(by_invitation["did"], did.as_str());
    assert_eq!(by_invitation["label"], "alice");
    let peers = json(&ok(bob(&["peers", "list", "--json"])));
    assert_eq!(peers.as_array().map(Vec::len), Some(1));

    // Carol cannot take the name; her keystore keeps nothing of the attempt.
    let carol = mpc_id(carol_home.path())
        .args(["new", "-n", "alice", "--method", "webvh", "--mediator", &url])
        .output()
        .expect("run");
    refused(carol, "taken");
    assert!(ok(mpc_id(carol_home.path()).args(["list", "--json"]).output().expect("run")).contains("[]"));

    // A witnessed DID: the mediator co-signs, and resolution requires its proof.
    let witnessed =
        json(&ok(bob(&["new", "-n", "bob", "--method", "webvh", "--mediator", &url, "--witness", "--json"])));
    let bob_did = witnessed["did"].as_str().expect("did");
    let resolved = json(&ok(alice(&["resolve", bob_did, "--json"])));
    assert_eq!(resolved["didDocument"]["id"], bob_did, "{resolved}");
    let metadata = &resolved["didDocumentMetadata"];
    assert_eq!(metadata["versionNumber"], 1, "{resolved}");
    assert_eq!(metadata["created"], metadata["versionTime"], "{resolved}");
    assert_eq!(metadata["updated"], metadata["versionTime"], "{resolved}");
    assert_eq!(metadata["deactivated"], false, "{resolved}");
    assert!(bob_did.contains(metadata["scid"].as_str().expect("scid")), "{resolved}");
    let proofs = ok(mpc_id(carol_home.path()).args(["resolve", bob_did]).output().expect("run"));
    assert!(proofs.contains("version 1 of 1"), "{proofs}");
    // Bob's own copy holds no witness proofs (the host does); it still opens, signs and rotates.
    assert!(ok(bob(&["invite", "-n", "bob", "--url"])).contains("_oobid="));
    let rotated = json(&ok(bob(&["publish", "-n", "bob", "--rotate-keys", "--json"])));
    assert_eq!(rotated["versionNumber"], 2);
    assert!(ok(alice(&["resolve", bob_did])).contains("version 2 of 2"));

    // did:webvh parties message each other through the mediator, each resolved from the ledger.
    let _ = ok(alice(&["send", "-n", "alice", bob_did, "hello from the ledger"]));
    let inbox = ok(bob(&["inbox", "-n", "bob", "--json"]));
    assert!(inbox.contains("hello from the ledger") && inbox.contains(&did), "{inbox}");

    // An IP address cannot name a did:webvh host.
    let ip_url = url.replace("localhost", "127.0.0.1");
    refused(
        mpc_id(carol_home.path())
            .args(["new", "-n", "carol", "--method", "webvh", "--mediator", &ip_url])
            .output()
            .expect("run"),
        "host name",
    );

    // Deactivation: resolvable, but no longer accepted as a peer.
    let ended = json(&ok(alice(&["publish", "-n", "alice", "--deactivate", "--json"])));
    assert_eq!(ended["deactivated"], true);
    let shown = ok(bob(&["resolve", &did]));
    assert!(shown.contains("DEACTIVATED") && !shown.contains(&second_key), "no document: {shown}");
    let resolution = json(&ok(bob(&["resolve", &did, "--json"])));
    assert_eq!(resolution["didDocument"], serde_json::Value::Null, "{resolution}");
    let metadata = &resolution["didDocumentMetadata"];
    assert_eq!(metadata["deactivated"], true, "{resolution}");
    assert_eq!(metadata["versionId"], ended["versionId"], "{resolution}");
    assert_eq!(metadata["updated"], metadata["versionTime"], "{resolution}");
    // DID Resolution metadata for a version of a deactivated DID: its document, its own version
    // and time, and the DID's creation, last update and deactivation.
    let second = json(&ok(bob(&["resolve", &format!("{did}?versionNumber=2"), "--json"])));
    assert_eq!(second["didDocument"]["id"], did.as_str(), "{second}");
    let versioned = &second["didDocumentMetadata"];
    assert_eq!(versioned["versionNumber"], 2, "{second}");
    assert!(versioned["versionId"].as_str().is_some_and(|id| id.starts_with("2-")), "{second}");
    assert_eq!(versioned["deactivated"], true, "{second}");
    assert_eq!(versioned["updated"], metadata["versionTime"], "{second}");
    assert_eq!(versioned["created"], metadata["created"], "{second}");
    assert!(versioned["created"].as_str() < versioned["versionTime"].as_str(), "{second}");
    // A DID whose host has no log: DID Resolution's `notFound`, and a failure.
    let missing = did.replace(":parties:alice", ":parties:nobody");
    let unknown = bob(&["resolve", &missing, "--json"]);
    assert!(!unknown.status.success());
    let unknown = json(&String::from_utf8_lossy(&unknown.stdout));
    assert_eq!(unknown["didResolutionMetadata"]["error"], "notFound", "{unknown}");
    // Earlier versions still resolve, saying the DID was deactivated since.
    let before = ok(bob(&["resolve", &format!("{did}?versionNumber=2")]));
    assert!(before.contains(&second_key) && before.contains("DEACTIVATED"), "{before}");
    refused(bob(&["peers", "add", &did]), "deactivated");
    refused(alice(&["publish", "-n", "alice", "--rotate-keys"]), "deactivated");
}
