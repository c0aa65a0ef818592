//! A party written with sicpa's Python `didcomm`, called with the library's defaults (its
//! anoncrypt is XC20P, its forward wrapping its own), and a Rust party exchange messages through
//! an mpc-id mediator: the Python party enrolls, forwards to the Rust party, picks up its reply,
//! and goes live on the WebSocket the mediator's DID document names to have the next one pushed.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use mpc_client::mediator::{self as client, MediatorClient};
use mpc_id_e2e::{python_for, run_python_os, workspace_root};
use mpc_identity::keystore::{DidMethod, Keystore};
use serde_json::json;

const SCRIPT: &str = "mediator_interop.py";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_party_and_a_rust_party_talk_through_the_mediator() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running =
        mpc_mediator::start(mpc_mediator::MediatorConfig::local(dir.path().join("mediator"))).await.expect("mediator");
    let base = format!("http://{}", running.address);

    // The Rust party: an identity whose DID routes through the mediator, enrolled.
    let mediator = MediatorClient::connect(&base).await.expect("connect");
    let store = Keystore::open(dir.path().join("keystore")).expect("keystore");
    let rust = store.create("rust", DidMethod::Peer, Some(mediator.routing_endpoint()), "pw").expect("create");
    mediator.enroll(&rust).await.expect("enroll");

    // The Python party enrolls on its own.
    let base_arg = base.clone();
    let python =
        tokio::task::spawn_blocking(move || run_python_os(SCRIPT, &[OsStr::new("enroll"), OsStr::new(&base_arg)], ""))
            .await
            .expect("python");
    let python_did = python["did"].as_str().expect("did").to_owned();
    let identity_file = dir.path().join("python.json");
    std::fs::write(&identity_file, python.to_string()).expect("write");

    // Python -> mediator -> Rust.
    let hello = json!({
        "id": "py-1", "type": "https://didcomm.org/basicmessage/2.0/message",
        "from": python_did, "to": [rust.record.did], "body": {"content": "hello from python"}
    });
    let (file, to) = (identity_file.clone(), rust.record.did.clone());
    let base_arg = base.clone();
    tokio::task::spawn_blocking(move || {
        run_python_os(
            SCRIPT,
            &[OsStr::new("send"), file.as_os_str(), OsStr::new(&base_arg), OsStr::new(&to)],
            &hello.to_string(),
        )
    })
    .await
    .expect("python send");
    let received = mediator.pickup(&rust, 10).await.expect("pickup");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].message["body"]["content"], "hello from python");
    assert_eq!(received[0].sender_kid.as_deref(), Some(format!("{python_did}#key-1").as_str()));
    assert_eq!(mediator.acknowledge(&rust, &[received[0].id.clone()]).await.expect("ack"), 0);

    // Rust -> mediator -> Python, picked up by Python.
    let mut reply = client::new_message(
        "https://didcomm.org/basicmessage/2.0/message",
        &rust.record.did,
        json!({"content": "hello from rust"}),
    );
    reply["to"] = json!([python_did]);
    client::send(&rust, &python_did, &reply).await.expect("send to python");
    let file = identity_file.clone();
    let base_arg = base.clone();
    let picked = tokio::task::spawn_blocking(move || {
        run_python_os(SCRIPT, &[OsStr::new("pickup"), file.as_os_str(), OsStr::new(&base_arg)], "")
    })
    .await
    .expect("python pickup");
    let picked = picked.as_array().expect("list");
    assert_eq!(picked.len(), 1, "{picked:?}");
    assert_eq!(picked[0]["message"]["body"]["content"], "hello from rust");
    assert_eq!(picked[0]["encrypted_from"], format!("{}#key-1", rust.record.did).as_str());

    // Live: the Python party turns live delivery on, and the next message is pushed to it.
    let mut live = Command::new(python_for(SCRIPT))
        .arg(workspace_root().join("tests/python").join(SCRIPT))
        .args([OsStr::new("live"), identity_file.as_os_str(), OsStr::new(&base), OsStr::new("1")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python live");
    let mut stdout = BufReader::new(live.stdout.take().expect("stdout"));
    let mut ready = String::new();
    let ready = tokio::task::spawn_blocking(move || {
        stdout.read_line(&mut ready).expect("read");
        (ready, stdout)
    })
    .await
    .expect("ready line");
    let (line, mut stdout) = ready;
    assert_eq!(line.trim(), r#"{"live": true}"#, "the Python party did not go live");
    let mut pushed = client::new_message(
        "https://didcomm.org/basicmessage/2.0/message",
        &rust.record.did,
        json!({"content": "pushed to python"}),
    );
    pushed["to"] = json!([python_did]);
    client::send(&rust, &python_did, &pushed).await.expect("send while python is live");
    let (rest, status, stderr) = tokio::task::spawn_blocking(move || {
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).expect("read");
        let status = live.wait().expect("python exits");
        let mut stderr = String::new();
        live.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
        (rest, status, stderr)
    })
    .await
    .expect("python live");
    assert!(status.success(), "python live failed: {stderr}");
    let pushed: serde_json::Value = serde_json::from_str(&rest).expect("json");
    assert_eq!(pushed[0]["message"]["body"]["content"], "pushed to python", "{pushed}");
    assert_eq!(pushed[0]["encrypted_from"], format!("{}#key-1", rust.record.did).as_str());
    assert!(mediator.pickup(&rust, 10).await.expect("pickup").is_empty());
    running.stop().await.expect("stop");
}
