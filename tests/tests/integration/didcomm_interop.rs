//! Encrypted DIDComm between mpc-id and sicpa's Python `didcomm`, both ways, authcrypt and
//! anoncrypt, with did:peer:2 identities on both sides.

use std::ffi::OsStr;
use std::path::PathBuf;

use mpc_id_e2e::{run_python, run_python_os};
use mpc_identity::did;
use mpc_identity::envelope::encrypted;
use mpc_identity::keystore::{DidMethod, Keystore, UnlockedIdentity};
use serde_json::{Value, json};

const SCRIPT: &str = "didcomm_interop.py";

struct Sides {
    dir: tempfile::TempDir,
    rust: UnlockedIdentity,
    python_did: String,
}

impl Sides {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Keystore::open(dir.path().join("keystore")).expect("keystore");
        let rust = store.create("rust", DidMethod::Peer, None, "pw").expect("create");
        let python = run_python(SCRIPT, &["identity"], "");
        std::fs::write(dir.path().join("python.json"), python.to_string()).expect("write identity");
        let python_did = python["did"].as_str().expect("did").to_owned();
        Sides { dir, rust, python_did }
    }

    /// The file holding the Python party's DID and secrets.
    fn identity_file(&self) -> PathBuf {
        self.dir.path().join("python.json")
    }

    fn rust_kids(&self) -> Vec<String> {
        let document = did::resolve(&self.rust.record.did).expect("resolve");
        encrypted::recipient_keys(&document).expect("keys").into_iter().map(|k| k.kid).collect()
    }

    fn ping(&self, from: &str, to: &str) -> Value {
        json!({
            "id": uuid(), "type": "https://didcomm.org/trust-ping/2.0/ping",
            "from": from, "to": [to], "body": {"response_requested": true, "note": "from the other side"}
        })
    }
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[test]
fn rust_authcrypt_and_anoncrypt_open_in_python() {
    let sides = Sides::new();
    let python_document = did::resolve(&sides.python_did).expect("resolve python's DID here");
    let recipients = encrypted::recipient_keys(&python_document).expect("keys");
    let sender_kid = sides.rust_kids()[0].clone();
    for authenticated in [true, false] {
        let message = sides.ping(&sides.rust.record.did, &sides.python_did);
        let jwe = if authenticated {
            encrypted::authcrypt(&message, &sides.rust.keys, &sender_kid, &recipients).expect("authcrypt")
        } else {
            encrypted::anoncrypt(&message, &recipients).expect("anoncrypt")
        };
        let file = sides.identity_file();
        let opened = run_python_os(SCRIPT, &[OsStr::new("unpack"), file.as_os_str()], &jwe);
        assert_eq!(opened["authenticated"], authenticated);
        assert_eq!(opened["message"]["id"], message["id"]);
        assert_eq!(opened["message"]["body"], message["body"]);
        if authenticated {
            assert_eq!(opened["encrypted_from"], sender_kid.as_str());
        } else {
            assert_eq!(opened["encrypted_from"], Value::Null);
        }
    }
}

#[test]
fn python_authcrypt_and_anoncrypt_open_here() {
    let sides = Sides::new();
    for mode in ["authcrypt", "anoncrypt"] {
        let message = sides.ping(&sides.python_did, &sides.rust.record.did);
        let file = sides.identity_file();
        let jwe = run_python_os(
            SCRIPT,
            &[OsStr::new("pack"), file.as_os_str(), OsStr::new(&sides.rust.record.did), OsStr::new(mode)],
            &message.to_string(),
        );
        let opened =
            encrypted::decrypt(&jwe.to_string(), &sides.rust.keys, &sides.rust_kids(), did::resolve).expect(mode);
        assert_eq!(opened.message["id"], message["id"]);
        assert_eq!(opened.message["body"], message["body"]);
        match mode {
            "authcrypt" => assert_eq!(opened.sender_kid, Some(format!("{}#key-1", sides.python_did))),
            _ => assert_eq!(opened.sender_kid, None),
        }
    }
}

#[test]
fn signed_invitations_verify_on_the_other_side() {
    use mpc_identity::invitation::{Invitation, SignedInvitation};
    use mpc_identity::unix_now;

    let sides = Sides::new();
    let file = sides.identity_file();

    // Ours, checked by sicpa's JWS verification.
    let invitation = Invitation::new(&sides.rust.record, None, None, std::time::Duration::from_secs(600), unix_now());
    let signed = invitation.sign(&sides.rust.keys, &sides.rust.record.signing_kid()).expect("sign");
    let opened = run_python_os(SCRIPT, &[OsStr::new("unpack"), file.as_os_str()], &signed.to_json());
    assert_eq!(opened["non_repudiation"], true);
    assert_eq!(opened["sign_from"], sides.rust.record.signing_kid().as_str());
    assert_eq!(opened["message"]["id"], invitation.id.as_str());

    // Theirs: an invitation from the Python party, signed by sicpa, verified here.
    let python_document = did::resolve(&sides.python_did).expect("resolve");
    let keys: Vec<&str> = python_document.verification_method.iter().map(|m| m.public_key_multibase.as_str()).collect();
    let now = unix_now();
    let theirs = json!({
        "id": uuid(), "type": "https://didcomm.org/out-of-band/2.0/invitation",
        "from": sides.python_did, "created_time": now, "expires_time": now + 600,
        "body": {"goal_code": "mpc-id.connect", "accept": ["didcomm/v2"],
                 "keys": {"authentication": keys[1], "keyAgreement": keys[0]}}
    });
    let jws = run_python_os(SCRIPT, &[OsStr::new("sign"), file.as_os_str()], &theirs.to_string());
    let verified = SignedInvitation::parse(&jws.to_string()).expect("parse").verify(now).expect("verify");
    assert_eq!(verified.from, sides.python_did);
    assert_eq!(verified.id, theirs["id"].as_str().expect("id"));

    // And a byte changed in sicpa's signature is refused here.
    let mut forged = jws.clone();
    let signature = forged["signatures"][0]["signature"].as_str().expect("sig").to_owned();
    let swapped = if signature.starts_with('A') { "B" } else { "A" };
    forged["signatures"][0]["signature"] = json!(format!("{swapped}{}", &signature[1..]));
    assert!(SignedInvitation::parse(&forged.to_string()).expect("parse").verify(now).is_err());
}
