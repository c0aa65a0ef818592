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
