//! did:peer:2 against the Python `did-peer-2` package, which follows the spec to the letter:
//! DIDs made here resolve to the same documents there, and DIDs made there resolve the same here.

use mpc_id_e2e::run_python;
use mpc_identity::did::{self, MediatorEndpoint, peer2};
use mpc_identity::keys::{PartyKeys, PublicKey};
use serde_json::Value;

const SCRIPT: &str = "did_peer_2_interop.py";

#[test]
fn dids_made_here_resolve_identically_in_python() {
    let mediators = [
        None,
        Some(MediatorEndpoint { uri: "https://mediator.example.org/".into(), routing_keys: vec![] }),
        Some(MediatorEndpoint {
            uri: "http://127.0.0.1:7070/didcomm".into(),
            routing_keys: vec!["did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp".into()],
        }),
    ];
    let dids: Vec<String> = (0..24)
        .map(|i| {
            let keys = PartyKeys::generate().expect("rng");
            peer2::for_party(
                PublicKey::Ed25519(keys.verifying_key()),
                PublicKey::X25519(keys.agreement_public()),
                mediators[i % mediators.len()].as_ref(),
            )
            .expect("encode")
        })
        .collect();
    let theirs = run_python(SCRIPT, &["resolve"], &serde_json::to_string(&dids).expect("json"));
    let theirs = theirs.as_array().expect("list");
    assert_eq!(theirs.len(), dids.len());
    for (did, their_document) in dids.iter().zip(theirs) {
        let ours = serde_json::to_value(did::resolve(did).expect("resolve here")).expect("json");
        assert_eq!(&ours, their_document, "documents differ for {did}");
    }
}

#[test]
fn dids_made_in_python_resolve_identically_here() {
    let generated = run_python(SCRIPT, &["generate", "24"], "");
    let generated = generated.as_array().expect("list");
    assert_eq!(generated.len(), 24);
    let mut with_mediator = 0;
    for entry in generated {
        let did = entry["did"].as_str().expect("did");
        let ours = did::resolve(did).unwrap_or_else(|e| panic!("{did}: {e}"));
        assert_eq!(serde_json::to_value(&ours).expect("json"), entry["document"], "documents differ for {did}");
        if ours.didcomm_endpoint().is_some() {
            with_mediator += 1;
        }
    }
    assert!(with_mediator >= 12, "the generated set covers DIDComm services ({with_mediator})");
}

#[test]
fn malformed_dids_are_refused_by_both_implementations() {
    let keys = PartyKeys::generate().expect("rng");
    let ed = PublicKey::Ed25519(keys.verifying_key()).to_multikey();
    let bad = [
        "did:peer:2".to_owned(),
        format!("did:peer:2.X{ed}"),
        "did:peer:2.Vnotbase58".to_owned(),
        format!("did:peer:2.V{ed}.S"),
        format!("did:peer:2.V{ed}.S!!"),
        format!("did:peer:2..V{ed}"),
    ];
    let theirs = run_python(SCRIPT, &["accepts"], &serde_json::to_string(&bad).expect("json"));
    for (did, accepted_there) in bad.iter().zip(theirs.as_array().expect("list")) {
        assert_eq!(accepted_there, &Value::Bool(false), "python accepts {did}");
        assert!(did::resolve(did).is_err(), "we accept {did}");
    }
    // And a good one is accepted by both, so the check above can fail.
    let good =
        peer2::for_party(PublicKey::Ed25519(keys.verifying_key()), PublicKey::X25519(keys.agreement_public()), None)
            .expect("encode");
    let theirs = run_python(SCRIPT, &["accepts"], &serde_json::to_string(&[&good]).expect("json"));
    assert_eq!(theirs, Value::Array(vec![Value::Bool(true)]));
}
