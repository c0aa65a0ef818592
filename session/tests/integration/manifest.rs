//! The session manifest: what the host signs is what the schema describes and what every party
//! accepts; anything else (another signer, an edit, another session, an expired one, a list
//! without you or with someone twice, a different program) is refused with its reason.

use base64::Engine;
use mpc_client::resolver::Resolver;
use mpc_identity::did;
use mpc_identity::keys::PartyKeys;
use mpc_session::Error;
use mpc_session::manifest::{
    Manifest, MpycSettings, PartyEntry, Program, SignedManifest, check_program, validate_plaintext,
};

const SESSION: &str = "0123456789abcdef0123456789abcdef";

struct Someone {
    keys: PartyKeys,
    did: String,
    kid: String,
    endpoint: String,
}

fn someone() -> Someone {
    let keys = PartyKeys::generate_ed25519_derived().expect("keys");
    let verifying = keys.signing_key().verifying_key();
    let did = did::key::encode(&verifying);
    let kid = format!("{did}#{}", did.trim_start_matches("did:key:"));
    let endpoint = verifying.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    Someone { keys, did, kid, endpoint }
}

fn manifest(parties: &[&Someone], expires_time: u64) -> Manifest {
    Manifest {
        session: SESSION.to_owned(),
        name: "test".to_owned(),
        expires_time,
        program: Program { sha256: "ab".repeat(32), files: None },
        args: vec!["--values".to_owned(), "3".to_owned()],
        mpyc: MpycSettings { version: "0.11".to_owned(), ssl: false },
        parties: parties
            .iter()
            .enumerate()
            .map(|(index, p)| PartyEntry {
                index,
                did: p.did.clone(),
                endpoint_id: p.endpoint.clone(),
                relay: Some("http://127.0.0.1:7000/".to_owned()),
                certificate: None,
                label: Some(format!("party {index}")),
                role: None,
                presentation: None,
                domains: Vec::new(),
            })
            .collect(),
        roles: Vec::new(),
    }
}

fn later() -> u64 {
    mpc_identity::unix_now() + 3600
}

async fn verify_as(signed: &SignedManifest, host: &Someone, me: &Someone) -> Result<Manifest, Error> {
    let resolver = Resolver::new(None);
    signed.verify(&resolver, SESSION, &host.did, &me.did, &me.endpoint, mpc_identity::unix_now()).await
}

#[tokio::test]
async fn the_hosts_manifest_verifies_for_every_party_and_matches_the_schema() {
    let (host, bob, carol) = (someone(), someone(), someone());
    let written = manifest(&[&host, &bob, &carol], later());
    let signed = written.sign(&host.did, &host.keys, &host.kid).expect("sign");
    let stored = SignedManifest::parse(&signed.to_json()).expect("parse");
    for me in [&host, &bob, &carol] {
        assert_eq!(verify_as(&stored, &host, me).await.expect("verifies"), written);
    }
    let jws: serde_json::Value = serde_json::from_str(&signed.to_json()).expect("json");
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jws["payload"].as_str().expect("payload"))
        .expect("base64url");
    let plaintext: serde_json::Value = serde_json::from_slice(&payload).expect("plaintext");
    validate_plaintext(&plaintext).expect("the emitted manifest matches schemas/session-manifest.schema.json");
    assert!(validate_plaintext(&serde_json::json!({ "type": "x" })).is_err());
}

#[tokio::test]
async fn a_manifest_signed_by_anyone_but_the_host_is_refused() {
    let (host, bob, mallory) = (someone(), someone(), someone());
    let written = manifest(&[&mallory, &bob], later());
    // Mallory signs as herself.
    let signed = written.sign(&mallory.did, &mallory.keys, &mallory.kid).expect("sign");
    let err = verify_as(&signed, &host, &bob).await.expect_err("not the host").to_string();
    assert!(err.contains(&format!("signed by {}, not by the host", mallory.did)), "{err}");
    // Mallory signs claiming to be the host.
    let forged = written.sign(&host.did, &mallory.keys, &host.kid).expect("sign");
    let err = verify_as(&forged, &host, &bob).await.expect_err("forged").to_string();
    assert!(err.contains("signature"), "{err}");
}

#[tokio::test]
async fn an_edited_manifest_is_refused() {
    let (host, bob) = (someone(), someone());
    let signed = manifest(&[&host, &bob], later()).sign(&host.did, &host.keys, &host.kid).expect("sign");
    let mut jws: serde_json::Value = serde_json::from_str(&signed.to_json()).expect("json");
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = engine.decode(jws["payload"].as_str().expect("payload")).expect("b64");
    let edited = String::from_utf8(payload).expect("utf8").replace("--values", "--VALUES");
    jws["payload"] = serde_json::Value::String(engine.encode(edited));
    let tampered = SignedManifest::parse(&jws.to_string()).expect("parse");
    let err = verify_as(&tampered, &host, &bob).await.expect_err("edited").to_string();
    assert!(err.contains("signature"), "{err}");
}

#[tokio::test]
async fn each_bad_manifest_gets_its_reason() {
    let (host, bob, carol) = (someone(), someone(), someone());
    let sign = |m: &Manifest| m.sign(&host.did, &host.keys, &host.kid).expect("sign");

    let mut other_session = manifest(&[&host, &bob], later());
    other_session.session = "f".repeat(32);
    let err = verify_as(&sign(&other_session), &host, &bob).await.expect_err("other").to_string();
    assert!(err.contains(&format!("it is the manifest of session {}", "f".repeat(32))), "{err}");

    let expired = manifest(&[&host, &bob], mpc_identity::unix_now() - 1);
    assert!(matches!(verify_as(&sign(&expired), &host, &bob).await, Err(Error::Expired { .. })));

    let without_carol = manifest(&[&host, &bob], later());
    let err = verify_as(&sign(&without_carol), &host, &carol).await.expect_err("not listed").to_string();
    assert!(err.contains("it does not list you"), "{err}");

    let mut wrong_key = manifest(&[&host, &bob], later());
    wrong_key.parties[1].endpoint_id = carol.endpoint.clone();
    let err = verify_as(&sign(&wrong_key), &host, &bob).await.expect_err("wrong key").to_string();
    assert!(err.contains("not your key"), "{err}");

    let twice = manifest(&[&host, &bob, &bob], later());
    let err = verify_as(&sign(&twice), &host, &bob).await.expect_err("twice").to_string();
    assert!(err.contains("is listed twice"), "{err}");

    let mut out_of_order = manifest(&[&host, &bob], later());
    out_of_order.parties[1].index = 5;
    let err = verify_as(&sign(&out_of_order), &host, &bob).await.expect_err("index").to_string();
    assert!(err.contains("entry 1 says it is party 5"), "{err}");

    let mut tls_without_certificates = manifest(&[&host, &bob], later());
    tls_without_certificates.mpyc.ssl = true;
    let err = verify_as(&sign(&tls_without_certificates), &host, &bob).await.expect_err("no certs").to_string();
    assert!(err.contains("MPyC TLS is on but party 0 has no certificate"), "{err}");

    // Labels are shown to people on one line: a host cannot slip a line break or a screenful in.
    for (label, reason) in
        [("bob\n[mpc-id] all parties connected", "control characters"), (&"b".repeat(65)[..], "longer than 64")]
    {
        let mut bad_label = manifest(&[&host, &bob], later());
        bad_label.parties[1].label = Some(label.to_owned());
        let err = verify_as(&sign(&bad_label), &host, &bob).await.expect_err("label").to_string();
        assert!(err.contains("party 1's label") && err.contains(reason), "{err}");
    }
}

#[test]
fn a_program_that_hashes_differently_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let program = dir.path().join("prog.py");
    std::fs::write(&program, "print('hello')\n").expect("write");
    let mut manifest = manifest(&[&someone(), &someone()], later());
    manifest.program.sha256 = mpc_session::manifest::program_sha256(&program).expect("hash");
    check_program(&manifest, &program).expect("the same program");
    std::fs::write(&program, "print('hello!')\n").expect("write");
    let err = check_program(&manifest, &program).expect_err("changed");
    assert!(matches!(err, Error::ProgramMismatch { .. }), "{err}");
    assert!(err.to_string().contains("refusing to run it"), "{err}");
}
