//! Black-box tests of the `mpc-id` binary, each in its own temporary keystore.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mpc_identity::schema::Schema;
use predicates::prelude::*;
use serde_json::Value;

use mpc_test_support::PASSPHRASE;

/// `mpc-id` with `home` as its keystore and the passphrase in the environment.
fn mpc_id(home: &Path) -> Command {
    Command::from(mpc_test_support::mpc_id(env!("CARGO_BIN_EXE_mpc-id"), home))
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf8")
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

/// An error exit (1, not a panic's 101) with a single-line reason containing `needle`.
fn assert_refused(output: &Output, needle: &str) {
    assert_eq!(output.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reason: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(reason.len(), 1, "one error line expected: {stderr}");
    assert!(reason[0].contains(needle), "expected `{needle}` in: {stderr}");
}

/// A real mediator on loopback for the commands that talk to one; it stops when dropped.
struct Mediator {
    url: String,
    _data: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn mediator() -> Mediator {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let data = tempfile::tempdir().expect("tempdir");
    let running = runtime
        .block_on(mpc_mediator::start(mpc_mediator::MediatorConfig::local(data.path())))
        .expect("mediator starts");
    let url = format!("http://{}", running.address);
    // The server task lives as long as the runtime.
    std::mem::forget(running);
    Mediator { url, _data: data, _runtime: runtime }
}

fn did_of(home: &Path, name: &str) -> String {
    let record = json_of(&mpc_id(home).args(["show", "-n", name, "--json"]).output().expect("run"));
    record["did"].as_str().expect("did").to_owned()
}

fn new_identity(home: &Path, name: &str, extra: &[&str]) {
    mpc_id(home).args(["new", "--name", name]).args(extra).assert().success();
}

#[test]
fn help_teaches_with_examples() {
    let home = tempfile::tempdir().expect("tempdir");
    mpc_id(home.path()).arg("--help").assert().success().stdout(predicate::str::contains("Examples:"));
    for command in [
        "new",
        "list",
        "show",
        "invite",
        "inspect",
        "resolve",
        "send",
        "inbox",
        "ping",
        "demo",
        "completions",
        "run",
        "session create",
        "session join",
        "session status",
        "session export",
    ] {
        let mut args: Vec<&str> = command.split(' ').collect();
        args.push("--help");
        mpc_id(home.path()).args(args).assert().success().stdout(predicate::str::contains("Usage:"));
    }
    mpc_id(home.path()).arg("frobnicate").assert().code(2);
}

#[test]
fn new_list_and_show_describe_the_identity() {
    let home = tempfile::tempdir().expect("tempdir");
    let mediator = mediator();
    let created = mpc_id(home.path())
        .args(["new", "--name", "alice", "--mediator", &mediator.url, "--json"])
        .output()
        .expect("run");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let record = json_of(&created);
    Schema::Identity.validate(&record).expect("identity schema");
    let did = record["did"].as_str().expect("did").to_owned();
    assert!(did.starts_with("did:peer:2.Ez6LS"), "{did}");
    let endpoint = format!("{}/didcomm", mediator.url);
    assert_eq!(record["mediator"]["uri"], endpoint.as_str());
    let routing_key = record["mediator"]["routingKeys"][0].as_str().expect("a routing key");
    assert!(routing_key.starts_with("did:key:z6LS") && routing_key.contains("#z6LS"), "{routing_key}");

    new_identity(home.path(), "bob", &["--method", "key"]);
    let listed = json_of(&mpc_id(home.path()).args(["list", "--json"]).output().expect("run"));
    let names: Vec<&str> =
        listed.as_array().expect("array").iter().map(|r| r["name"].as_str().expect("name")).collect();
    assert_eq!(names, ["alice", "bob"]);
    for entry in listed.as_array().expect("array") {
        Schema::Identity.validate(entry).expect("identity schema");
    }
    let text = stdout(&mpc_id(home.path()).arg("list").output().expect("run"));
    assert!(text.contains("alice") && text.contains("did:key:z6Mk"), "{text}");

    let shown = json_of(&mpc_id(home.path()).args(["show", "--name", "alice", "--json"]).output().expect("run"));
    assert_eq!(shown, record);
    let document = json_of(&mpc_id(home.path()).args(["show", "-n", "alice", "--document"]).output().expect("run"));
    assert_eq!(document["id"], did.as_str());
    assert_eq!(document["service"][0]["serviceEndpoint"]["uri"], endpoint.as_str());
    let text = stdout(&mpc_id(home.path()).args(["show", "-n", "bob"]).output().expect("run"));
    assert!(text.contains("mediator  none"), "{text}");

    // For people, `new` says the label and a short DID on one line (the whole did:peer:2 is
    // hundreds of characters); `show` has it whole.
    let text = stdout(
        &mpc_id(home.path()).args(["new", "--name", "carol", "--mediator", &mediator.url]).output().expect("run"),
    );
    let first = text.lines().next().unwrap_or_default();
    assert!(first.starts_with("Created identity `carol`  did:peer:2.Ez6LS") && first.contains("..."), "{text}");
    assert!(text.lines().all(|line| line.chars().count() <= 100), "no screen-wide line: {text}");
    let carol = did_of(home.path(), "carol");
    let shown = stdout(&mpc_id(home.path()).args(["show", "-n", "carol"]).output().expect("run"));
    assert!(shown.contains(&carol), "{shown}");
}

#[test]
fn new_refuses_what_it_cannot_do_well() {
    let home = tempfile::tempdir().expect("tempdir");
    new_identity(home.path(), "alice", &[]);
    assert_refused(&mpc_id(home.path()).args(["new", "--name", "alice"]).output().expect("run"), "already exists");
    assert_refused(
        &mpc_id(home.path()).args(["new", "--name", "x", "--mediator", "ftp://m"]).output().expect("run"),
        "invalid mediator URL",
    );
    assert_refused(
        &mpc_id(home.path()).args(["new", "--name", "../x"]).output().expect("run"),
        "invalid identity name",
    );
    // Plain HTTP only to this machine: a mediator across a network is reached over HTTPS (or,
    // in a lab, with --insecure-http, which then gets as far as the unreachable address).
    let started = std::time::Instant::now();
    let plain = mpc_id(home.path()).args(["new", "-n", "z", "--mediator", "http://192.0.2.1:7070"]).output();
    assert_refused(&plain.expect("run"), "use the https:// address (or, in a lab, --insecure-http");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "refused before connecting");
    let lab = mpc_id(home.path())
        .args(["--insecure-http", "new", "-n", "z", "--mediator", "http://0.0.0.0:9/"])
        .output()
        .expect("run");
    let lab = String::from_utf8_lossy(&lab.stderr);
    assert!(lab.contains("0.0.0.0:9") && !lab.contains("https:// address"), "{lab}");
    let no_passphrase = mpc_id(home.path()).env_remove("MPC_ID_PASSPHRASE").args(["new", "-n", "y"]).output();
    assert_refused(&no_passphrase.expect("run"), "MPC_ID_PASSPHRASE");
    assert_refused(&mpc_id(home.path()).args(["show", "-n", "nobody"]).output().expect("run"), "no identity named");
}

#[test]
fn invitations_verify_and_their_json_matches_the_schemas() {
    let home = tempfile::tempdir().expect("tempdir");
    let mediator = mediator();
    new_identity(home.path(), "alice", &["--mediator", &mediator.url]);
    let output = mpc_id(home.path())
        .args(["invite", "-n", "alice", "--json", "--goal", "tally the votes", "--expires", "2h"])
        .output()
        .expect("run");
    assert!(output.status.success());
    let envelope = json_of(&output);
    Schema::SignedMessage.validate(&envelope).expect("signed message schema");
    let payload = URL_SAFE_NO_PAD.decode(envelope["payload"].as_str().expect("payload")).expect("b64");
    let plaintext: Value = serde_json::from_slice(&payload).expect("json");
    Schema::Invitation.validate(&plaintext).expect("invitation schema");
    let ttl = plaintext["expires_time"].as_u64().expect("exp") - plaintext["created_time"].as_u64().expect("iat");
    assert_eq!(ttl, 7200);

    let file = home.path().join("alice.invitation.json");
    fs::write(&file, envelope.to_string()).expect("write");
    let inspected = mpc_id(home.path()).args(["inspect", "--json"]).arg(&file).output().expect("run");
    assert!(inspected.status.success());
    let inspected = json_of(&inspected);
    assert_eq!(inspected["valid"], true);
    assert_eq!(inspected["invitation"]["body"]["goal"], "tally the votes");
    Schema::Invitation.validate(&inspected["invitation"]).expect("schema");

    // The text form: a short link the mediator stores, small enough to draw in 80 columns.
    let text = stdout(&mpc_id(home.path()).args(["invite", "-n", "alice"]).output().expect("run"));
    assert!(text.contains("error correction") && !text.contains("note:"), "{text}");
    let widest = text.lines().take_while(|l| l.contains('█')).map(|l| l.chars().count()).max().expect("a QR code");
    assert!(widest <= 80, "QR code {widest} columns wide");
    let url = mpc_id(home.path()).args(["invite", "-n", "alice", "--url"]).output().expect("run");
    assert!(stdout(&url).starts_with(&format!("{}/oob?_oobid=", mediator.url)), "{}", stdout(&url));
    mpc_id(home.path())
        .args(["inspect", "-"])
        .write_stdin(url.stdout)
        .assert()
        .success()
        .stdout(predicate::str::contains("Valid invitation"));
    // --long puts the whole invitation in the URL.
    let long = stdout(&mpc_id(home.path()).args(["invite", "-n", "alice", "--url", "--long"]).output().expect("run"));
    assert!(long.starts_with(&format!("{}/oob?_oob=", mediator.url)), "{long}");
    mpc_id(home.path()).args(["inspect", long.trim()]).assert().success();
}

#[test]
fn the_png_qr_code_decodes_to_the_same_url_and_inspects() {
    let home = tempfile::tempdir().expect("tempdir");
    new_identity(home.path(), "bob", &["--method", "key"]);
    let png = home.path().join("bob.png");
    let svg = home.path().join("bob.svg");
    let output = mpc_id(home.path())
        .args(["invite", "-n", "bob", "--url", "--png"])
        .arg(&png)
        .arg("--svg")
        .arg(&svg)
        .output()
        .expect("run");
    assert!(output.status.success());
    let url = stdout(&output).trim().to_owned();
    // Decoded here by a reader of our own choosing, not by the CLI's (which `inspect` checks).
    let image = image::open(&png).expect("PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grid = prepared.detect_grids().into_iter().next().expect("a QR code in the PNG");
    let (_, decoded) = grid.decode().expect("QR decodes");
    assert_eq!(decoded, url);
    assert!(fs::read_to_string(&svg).expect("svg").contains("<svg"));
    mpc_id(home.path()).arg("inspect").arg(&png).assert().success().stdout(predicate::str::contains("did:key:z6Mk"));
}

#[test]
fn inspect_refuses_tampered_and_malformed_input_with_one_line_each() {
    let home = tempfile::tempdir().expect("tempdir");
    new_identity(home.path(), "alice", &[]);
    let envelope = json_of(&mpc_id(home.path()).args(["invite", "-n", "alice", "--json"]).output().expect("run"));
    let write = |name: &str, content: &str| {
        let path = home.path().join(name);
        fs::write(&path, content).expect("write");
        path
    };

    let mut flipped = envelope.clone();
    let sig = flipped["signatures"][0]["signature"].as_str().expect("sig");
    let mut raw = URL_SAFE_NO_PAD.decode(sig).expect("b64");
    raw[0] ^= 0x80;
    flipped["signatures"][0]["signature"] = Value::String(URL_SAFE_NO_PAD.encode(raw));
    let cases = [
        (write("flipped.json", &flipped.to_string()), "bad signature"),
        (write("garbage.json", "{\"hello\": "), "not valid JSON"),
        (write("text.txt", "hello"), "neither signed JSON nor a URL"),
        (write("cut.txt", "https://m.example/oob?_oob=eyJwYXlsb2FkIjoiZXlKMGVYQWlPaUpoY0"), "truncated"),
        (home.path().join("missing.json"), "reading it as a file failed"),
    ];
    for (path, needle) in cases {
        assert_refused(&mpc_id(home.path()).arg("inspect").arg(&path).output().expect("run"), needle);
    }
    assert_refused(&mpc_id(home.path()).args(["inspect", "-"]).write_stdin("").output().expect("run"), "URL");
}

#[test]
fn an_invitation_past_its_expiry_is_refused() {
    let home = tempfile::tempdir().expect("tempdir");
    new_identity(home.path(), "alice", &["--method", "key"]);
    // Alice's own invitation, as `mpc-id invite --expires 1m` made it an hour ago: the clock is
    // moved (by dating it), not waited for.
    let alice = mpc_identity::keystore::Keystore::open(home.path())
        .and_then(|keystore| keystore.unlock("alice", PASSPHRASE))
        .expect("alice");
    let hour_ago = mpc_identity::unix_now() - 3600;
    let old = mpc_identity::invitation::Invitation::new(
        &alice.record,
        None,
        None,
        std::time::Duration::from_secs(60),
        hour_ago,
    );
    let old = old.sign(&alice.keys, &alice.record.signing_kid()).expect("sign");
    let output = mpc_id(home.path()).args(["inspect", "-"]).write_stdin(old.to_json()).output().expect("run");
    assert_refused(&output, "expired at");
    // The same, within its lifetime, is accepted: only the time differs.
    let fresh = mpc_identity::invitation::Invitation::new(
        &alice.record,
        None,
        None,
        std::time::Duration::from_secs(60),
        hour_ago + 3590,
    );
    let fresh = fresh.sign(&alice.keys, &alice.record.signing_kid()).expect("sign");
    let output = mpc_id(home.path()).args(["inspect", "-"]).write_stdin(fresh.to_json()).output().expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn a_wrong_passphrase_cannot_sign() {
    let home = tempfile::tempdir().expect("tempdir");
    new_identity(home.path(), "alice", &[]);
    let output = mpc_id(home.path()).env("MPC_ID_PASSPHRASE", "nope").args(["invite", "-n", "alice"]).output();
    assert_refused(&output.expect("run"), "wrong passphrase");
}

#[test]
fn resolve_prints_documents_and_names_bad_dids() {
    let home = tempfile::tempdir().expect("tempdir");
    let did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
    let resolution = json_of(&mpc_id(home.path()).args(["resolve", did, "--json"]).output().expect("run"));
    // DID Resolution's result: a did:key has no versions, so no document metadata.
    assert_eq!(resolution["didResolutionMetadata"]["contentType"], "application/did+ld+json");
    assert_eq!(resolution["didDocumentMetadata"], serde_json::json!({}));
    let document = &resolution["didDocument"];
    assert_eq!(document["id"], did);
    assert_eq!(document["keyAgreement"][0], format!("{did}#z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW").as_str());
    let text = stdout(&mpc_id(home.path()).args(["resolve", did]).output().expect("run"));
    assert!(text.contains("authentication") && text.contains("keyAgreement"), "{text}");
    assert_refused(
        &mpc_id(home.path())
            .args(["resolve", "did:ethr:0xb9c5714089478a327f09197987f16f9e5d936e8a"])
            .output()
            .expect("run"),
        "unsupported",
    );
    assert_refused(&mpc_id(home.path()).args(["resolve", "did:peer:2.Q"]).output().expect("run"), "invalid DID");
    assert_refused(&mpc_id(home.path()).args(["resolve", "nonsense"]).output().expect("run"), "invalid DID");
}

#[test]
fn loose_file_permissions_are_fixed_with_a_warning() {
    let home = tempfile::tempdir().expect("tempdir");
    new_identity(home.path(), "alice", &[]);
    let file = home.path().join("identities/alice.json");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("chmod");
    let output = mpc_id(home.path()).args(["show", "-n", "alice"]).output().expect("run");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("permissions were too open"));
    assert_eq!(fs::metadata(&file).expect("meta").permissions().mode() & 0o777, 0o600);
}

#[test]
fn concurrent_new_processes_do_not_corrupt_the_store() {
    let home = tempfile::tempdir().expect("tempdir");
    let bin = assert_cmd::cargo::cargo_bin("mpc-id");
    let children: Vec<_> = (0..8)
        .map(|i| {
            let name = if i < 4 { "shared".to_owned() } else { format!("p{i}") };
            std::process::Command::new(&bin)
                .args(["new", "--name", &name, "--json"])
                .env("MPC_ID_HOME", home.path())
                .env("MPC_ID_PASSPHRASE", PASSPHRASE)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().expect("wait")).collect();
    assert_eq!(outputs[..4].iter().filter(|o| o.status.success()).count(), 1, "one winner for `shared`");
    assert!(outputs[4..].iter().all(|o| o.status.success()));
    let listed = json_of(&mpc_id(home.path()).args(["list", "--json"]).output().expect("run"));
    assert_eq!(listed.as_array().expect("array").len(), 5);
    mpc_id(home.path()).args(["invite", "-n", "shared", "--url"]).assert().success();
}

#[test]
fn the_demo_walks_through_the_flow_and_refuses_the_forgery() {
    let home = tempfile::tempdir().expect("tempdir");
    let keep = home.path().join("kept");
    let output = mpc_id(home.path()).env_remove("MPC_ID_PASSPHRASE").args(["demo", "--keep"]).arg(&keep).output();
    let output = output.expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = stdout(&output);
    assert!(text.contains("verified it (signed by did:peer:2."), "{text}");
    assert!(text.contains("refused: bad signature"), "{text}");
    assert!(text.contains("/oob?_oobid=") && text.contains("level H"), "{text}");
    // The MPC ran through the tunnels: alice's program printed the ranking of all 24 inputs.
    assert!(text.contains("all parties connected"), "{text}");
    assert!(text.contains("max: 958") && text.contains("above 500: 11"), "{text}");
    assert!(text.contains("every party's program exited 0"), "{text}");
    for name in ["alice", "bob", "carol"] {
        let listed = json_of(&mpc_id(&keep.join(name)).args(["list", "--json"]).output().expect("run"));
        assert_eq!(listed.as_array().expect("array").len(), 1, "{name}'s keystore");
    }
}

#[test]
fn parties_enroll_ping_and_message_each_other_through_a_mediator() {
    let mediator = mediator();
    let (alice, bob) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
    new_identity(alice.path(), "alice", &["--mediator", &mediator.url]);
    new_identity(bob.path(), "bob", &["--mediator", &mediator.url]);
    let bob_did = did_of(bob.path(), "bob");

    mpc_id(alice.path()).args(["ping", "-n", "alice"]).assert().success().stdout(predicate::str::contains("answered"));
    let pinged = json_of(&mpc_id(alice.path()).args(["ping", "-n", "alice", "--json"]).output().expect("run"));
    assert!(pinged["round_trip_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{pinged}");
    let enrolled =
        json_of(&mpc_id(bob.path()).args(["mediator", "enroll", "-n", "bob", "--json"]).output().expect("run"));
    assert_eq!(enrolled["did"], bob_did.as_str(), "enrolling again is harmless");
    mpc_id(bob.path()).args(["inbox", "-n", "bob"]).assert().success().stdout(predicate::str::contains("no messages"));

    // A watching inbox answers pings; a message sent meanwhile shows up in it.
    let mut watch = std::process::Command::new(assert_cmd::cargo::cargo_bin("mpc-id"))
        .args(["inbox", "-n", "bob", "--watch", "--json"])
        .env("MPC_ID_HOME", bob.path())
        .env("MPC_ID_PASSPHRASE", PASSPHRASE)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map(mpc_test_support::watched::Watched::from)
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    mpc_id(alice.path())
        .args(["ping", "-n", "alice", &bob_did])
        .assert()
        .success()
        .stdout(predicate::str::contains("answered in"));
    let sent = json_of(
        &mpc_id(alice.path())
            .args(["send", "-n", "alice", &bob_did, "the inputs are ready", "--json"])
            .output()
            .expect("run"),
    );
    assert_eq!(sent["to"], bob_did.as_str());
    watch.wait_for("the inputs are ready", deadline);
    // Shown, then acknowledged: the queue empties (read without acknowledging, `--keep`).
    while !stdout(&mpc_id(bob.path()).args(["inbox", "-n", "bob", "--keep"]).output().expect("run"))
        .contains("no messages")
    {
        assert!(std::time::Instant::now() < deadline, "the watching inbox did not acknowledge");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let seen = watch.kill().stdout;
    let contents: Vec<Value> = seen.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert!(contents.iter().any(|m| m["message"]["body"]["content"] == "the inputs are ready"), "{seen}");
    assert!(
        contents
            .iter()
            .all(|m| m["sender_kid"].as_str().is_some_and(|k| k.starts_with(&did_of(alice.path(), "alice"))))
    );

    // Acknowledged: nothing left.
    mpc_id(bob.path()).args(["inbox", "-n", "bob"]).assert().success().stdout(predicate::str::contains("no messages"));
    // Refusals are one line each.
    assert_refused(
        &mpc_id(alice.path())
            .args(["send", "-n", "alice", "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "x"])
            .output()
            .expect("run"),
        "no DIDCommMessaging service",
    );
    assert_refused(
        &mpc_id(alice.path()).args(["new", "-n", "z", "--mediator", "http://127.0.0.1:1"]).output().expect("run"),
        "mediator at",
    );
}

#[test]
fn completions_are_generated() {
    let home = tempfile::tempdir().expect("tempdir");
    for shell in ["bash", "zsh", "fish"] {
        mpc_id(home.path()).args(["completions", shell]).assert().success().stdout(predicate::str::contains("inspect"));
    }
}

/// With one identity in the keystore, commands use it without `-n`; with several, the error
/// names them and how to pick one.
#[test]
fn the_only_identity_is_used_without_naming_it() {
    let home = tempfile::tempdir().expect("home");
    let created = mpc_id(home.path()).args(["new", "--name", "alice", "--json"]).output().expect("new");
    assert!(created.status.success());
    let did = json_of(&created)["did"].as_str().expect("did").to_owned();
    let shown = mpc_id(home.path()).args(["show", "--json"]).output().expect("show");
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    assert_eq!(json_of(&shown)["did"], did.as_str());
    let invited = mpc_id(home.path()).args(["invite", "--json"]).output().expect("invite");
    assert!(invited.status.success(), "{}", String::from_utf8_lossy(&invited.stderr));

    assert!(mpc_id(home.path()).args(["new", "--name", "bob"]).output().expect("new").status.success());
    let ambiguous = mpc_id(home.path()).args(["show"]).output().expect("show");
    assert_refused(&ambiguous, "alice, bob");
    assert!(String::from_utf8_lossy(&ambiguous.stderr).contains("-n alice"));
}

/// On a machine whose Python has no MPyC, nothing is installed by hand: the demo makes mpc-id's
/// own environment with the pinned MPyC, saying so, and runs; the next use finds it made, from
/// another keystore too (one environment per user and MPyC version), and `mpc-id python` runs it.
#[test]
fn the_demo_provisions_mpyc_when_the_python_on_path_has_none() {
    let home = tempfile::tempdir().expect("tempdir");
    let other_keystore = tempfile::tempdir().expect("tempdir");
    // The user's data directory, where mpc-id keeps its environments.
    let data = home.path().join("data");
    // A Python that has no MPyC, first on PATH: a fresh virtual environment.
    let bare = home.path().join("bare");
    let made = std::process::Command::new("python3").args(["-m", "venv"]).arg(&bare).status().expect("python3");
    assert!(made.success(), "python3 -m venv");
    let path = format!("{}:{}", bare.join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let demo = |keystore: &Path| {
        let output = mpc_id(keystore)
            .env_remove("MPC_ID_PYTHON")
            .env("PATH", &path)
            .env("XDG_DATA_HOME", &data)
            .arg("demo")
            .output();
        let output = output.expect("run");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout(&output).contains("every party's program exited 0"), "{}", stdout(&output));
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let first = demo(home.path());
    assert!(first.contains("`python3` has no MPyC"), "says why: {first}");
    assert!(first.contains("making a Python environment for MPyC 0.11"), "says what it does: {first}");
    assert!(first.contains("pip: "), "shows the install as it goes: {first}");
    let managed = data.join("mpc-id/python/mpyc-0.11/bin/python");
    let version = std::process::Command::new(&managed).args(["-c", "import mpyc; print(mpyc.__version__)"]).output();
    // MPyC logs as it is imported; the version is the last line.
    let version = String::from_utf8_lossy(&version.expect("managed python").stdout).into_owned();
    assert_eq!(version.lines().last(), Some("0.11"), "{version}");
    // With MPyC's optional speed-ups, which this platform has wheels for.
    let speed_ups =
        std::process::Command::new(&managed).args(["-c", "import numpy, gmpy2, uvloop"]).output().expect("python");
    assert!(speed_ups.status.success(), "numpy, gmpy2 and uvloop: {}", String::from_utf8_lossy(&speed_ups.stderr));
    let leftovers: Vec<_> = std::fs::read_dir(data.join("mpc-id/python"))
        .expect("python dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, ["mpyc-0.11"], "no scratch directory is left");
    let second = demo(other_keystore.path());
    assert!(!second.contains("making a Python environment"), "made once, for every keystore: {second}");
    let python = mpc_id(other_keystore.path())
        .env("PATH", &path)
        .env("XDG_DATA_HOME", &data)
        .args(["python", "-c", "import mpyc, sys; print(sys.prefix)"])
        .output()
        .expect("mpc-id python");
    assert!(python.status.success(), "{}", String::from_utf8_lossy(&python.stderr));
    assert!(stdout(&python).contains("mpyc-0.11"), "mpc-id python is mpc-id's own: {}", stdout(&python));
}

/// `mpc-id ... | head`: output into a closed pipe ends mpc-id quietly, as SIGPIPE ends a C tool
/// (status 141), not with a panic message and status 101.
#[test]
fn a_closed_pipe_ends_output_quietly() {
    let home = tempfile::tempdir().expect("tempdir");
    let did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mpc-id"))
        .env("MPC_ID_HOME", home.path())
        .args(["resolve", did, "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mpc-id");
    // The reader goes away before mpc-id writes a byte.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(141), "{stderr}");
}
