//! did:webvh against the independent Python implementation (PyPI `did-webvh`): logs written here
//! (genesis with pre-rotation, key rotation, endpoint change, deactivation) verify there at every
//! version, a log edited by a host is refused there too, and a log written there verifies here.

use std::ffi::OsStr;

use mpc_id_e2e::run_python_os;
use mpc_identity::Error;
use mpc_identity::keystore::{Keystore, LedgerUpdate};
use serde_json::Value;

const SCRIPT: &str = "webvh_interop.py";
const ADDRESS: &str = "did:webvh:{SCID}:example.org:parties:rust";

fn python_resolves(did_url: &str, log: &str) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("did.jsonl");
    std::fs::write(&path, log).expect("write log");
    run_python_os(SCRIPT, &[OsStr::new("verify"), OsStr::new(did_url), path.as_os_str()], "")
}

#[test]
fn logs_made_here_verify_in_python_at_every_version() {
    let home = tempfile::tempdir().expect("home");
    let keystore = Keystore::open(home.path()).expect("keystore");
    let (mut identity, _) = keystore.create_webvh("rust", ADDRESS, None, None, "pw").expect("create");
    let mut keys_by_version = vec![identity.record.authentication_key.clone()];
    let changes = [
        LedgerUpdate { rotate_keys: true, ..Default::default() },
        LedgerUpdate {
            mediator: Some(Some(mpc_identity::did::MediatorEndpoint {
                uri: "https://example.org/didcomm".into(),
                routing_keys: vec![],
            })),
            ..Default::default()
        },
    ];
    for change in &changes {
        let (next, _) = keystore.advance_webvh(&identity, change, "pw").expect("update");
        identity = next;
        keys_by_version.push(identity.record.authentication_key.clone());
    }
    let did = identity.record.did.clone();
    let log = keystore.log_of("rust").expect("read").expect("log");

    for (i, key) in keys_by_version.iter().enumerate() {
        let version = i + 1;
        let result = python_resolves(&format!("{did}?versionNumber={version}"), &log);
        assert!(result["didResolutionMetadata"].get("error").is_none(), "version {version}: {result}");
        assert_eq!(result["didDocument"]["id"], did.as_str());
        assert_eq!(result["didDocument"]["verificationMethod"][0]["publicKeyMultibase"], key.as_str());
        assert_eq!(result["didDocumentMetadata"]["versionNumber"].as_u64(), Some(version as u64), "{result}");
    }
    let latest = python_resolves(&did, &log);
    assert_eq!(latest["didDocument"]["service"][0]["serviceEndpoint"]["uri"], "https://example.org/didcomm");

    // The same edit a dishonest host would make is refused there as well as here.
    let evil = log.replacen(&keys_by_version[1], &keys_by_version[0], 1);
    let refused = python_resolves(&did, &evil);
    assert!(refused["didResolutionMetadata"].get("error").is_some(), "python accepted an edited log: {refused}");
    assert!(matches!(mpc_identity::did::webvh::verify(&did, &evil, None), Err(Error::LedgerInvalid { .. })));

    // Deactivation as we write it is deactivation there.
    keystore.advance_webvh(&identity, &LedgerUpdate { deactivate: true, ..Default::default() }, "pw").expect("end");
    let ended = keystore.log_of("rust").expect("read").expect("log");
    let result = python_resolves(&did, &ended);
    assert_eq!(result["didDocumentMetadata"]["deactivated"], true, "{result}");
}

#[test]
fn logs_made_in_python_verify_here() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("python-did");
    let made = run_python_os(SCRIPT, &[OsStr::new("create"), target.as_os_str()], "");
    let did = made["did"].as_str().expect("did");
    let log = std::fs::read_to_string(made["log"].as_str().expect("path")).expect("read log");
    let verified = mpc_identity::did::webvh::verify(did, &log, None).expect("python's log verifies here");
    assert_eq!(verified.version_ids.len(), 2);
    assert_eq!(verified.document.id, did);
    assert_eq!(verified.document.didcomm_endpoint().map(|e| e.uri), Some("https://example.org/didcomm".to_owned()));
    let first = mpc_identity::did::webvh::verify(&format!("{did}?versionNumber=1"), &log, None).expect("v1");
    assert!(first.document.service.is_empty());
    // And one flipped character in it is caught.
    let edited = log.replacen("example.org/didcomm", "example.org/evilcom", 1);
    assert!(mpc_identity::did::webvh::verify(did, &edited, None).is_err());
}
