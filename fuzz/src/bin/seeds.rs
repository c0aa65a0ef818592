//! Writes the seed corpus of every fuzz target into `fuzz/corpus/<target>/`: real, valid inputs
//! made by the library itself, so the fuzzers start deep inside each parser.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --bin seeds
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use mpc_identity::did::webvh::{self, Change, PartyDocument};
use mpc_identity::did::{self, MediatorEndpoint};
use mpc_identity::envelope::{self, encrypted};
use mpc_identity::invitation::Invitation;
use mpc_identity::keys::{PartyKeys, PublicKey};
use mpc_identity::keystore::{DidMethod, IdentityRecord};
use mpc_session::manifest::{Manifest, MpycSettings, PartyEntry, Program};
use serde_json::json;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mediator = MediatorEndpoint {
        uri: "https://mediator.example.org/didcomm".to_owned(),
        routing_keys: vec![
            "did:key:z6LSkMWwe3iq4YptpA8Pz46GPNwEdxXQZDTbzL32hQDX21hP#z6LSkMWwe3iq4YptpA8Pz46GPNwEdxXQZDTbzL32hQDX21hP"
                .to_owned(),
        ],
    };
    let alice = PartyKeys::from_secret_bytes(&[1; 32], &[2; 32]);
    let bob = PartyKeys::from_secret_bytes(&[3; 32], &[4; 32]);
    let peer = |keys: &PartyKeys, mediator: Option<&MediatorEndpoint>| {
        did::peer2::for_party(
            PublicKey::Ed25519(keys.verifying_key()),
            PublicKey::X25519(keys.agreement_public()),
            mediator,
        )
        .unwrap()
    };
    let alice_did = peer(&alice, Some(&mediator));
    let bob_did = peer(&bob, None);
    let key_did = did::key::encode(&alice.verifying_key());

    // DIDs and their documents.
    write(&root, "did_peer2", "peer2-mediated", &alice_did);
    write(&root, "did_peer2", "peer2-plain", &bob_did);
    write(&root, "did_peer2", "key", &key_did);
    for (name, id) in [("peer2", &alice_did), ("key", &key_did)] {
        let document = serde_json::to_string(&did::resolve(id).unwrap()).unwrap();
        write(&root, "did_document", name, &document);
    }
    write(
        &root,
        "did_document",
        "web",
        &json!({
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": "did:web:example.org",
            "verificationMethod": [{
                "id": "did:web:example.org#key-1", "type": "JsonWebKey2020", "controller": "did:web:example.org",
                "publicKeyJwk": { "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }
            }],
            "authentication": ["did:web:example.org#key-1"],
            "service": [{ "id": "#didcomm", "type": "DIDCommMessaging", "serviceEndpoint": { "uri": "https://example.org/didcomm" } }]
        })
        .to_string(),
    );

    // Invitations: the signed JSON and the URL form.
    let record = IdentityRecord {
        name: "alice".to_owned(),
        did: alice_did.clone(),
        method: DidMethod::Peer,
        authentication_key: PublicKey::Ed25519(alice.verifying_key()).to_multikey(),
        key_agreement_key: PublicKey::X25519(alice.agreement_public()).to_multikey(),
        mediator: Some(mediator.clone()),
        created: "2026-11-24T00:00:00Z".to_owned(),
    };
    let invitation = Invitation::new(&record, None, Some("seed"), Duration::from_secs(86_400 * 3650), 1_700_000_000);
    let signed = invitation.sign(&alice, &record.signing_kid()).unwrap();
    write(&root, "invitation", "json", &signed.to_json());
    write(&root, "invitation", "url", &signed.to_url(Some(&mediator)));
    write(&root, "envelope_intake", "jws", &signed.to_json());

    // did:webvh: a genesis entry, then an update (pre-rotation), and a witnessed log.
    let party = PartyDocument {
        authentication: PublicKey::Ed25519(alice.verifying_key()),
        key_agreement: PublicKey::X25519(alice.agreement_public()),
        mediator: Some(mediator.clone()),
    };
    let update = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let next = ed25519_dalek::SigningKey::from_bytes(&[6; 32]);
    let after = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    let address = "did:webvh:{SCID}:example.org:parties:alice";
    let (webvh_did, genesis) = webvh::create(address, &party, &update, Some(&next), None, None).unwrap();
    write(&root, "webvh_log", "genesis", &genesis);
    let moved = PartyDocument { mediator: None, ..party.clone() };
    let two =
        webvh::append(&webvh_did, &genesis, &Change::Document(Box::new(moved)), &next, Some(&after), None).unwrap();
    write(&root, "webvh_log", "two-entries", &two);
    let witness_key = ed25519_dalek::SigningKey::from_bytes(&[10; 32]);
    let witness_did = webvh::did_key_of(&witness_key);
    let (witnessed_did, witnessed) =
        webvh::create(address, &party, &update, Some(&next), Some(&witness_did), None).unwrap();
    if let Ok(Some(proofs)) = webvh::witness(&witnessed_did, &witnessed, None, &witness_key) {
        write(&root, "webvh_log", "witnessed", &format!("{witnessed}\n--witness--\n{proofs}"));
    }

    // Envelopes to the fuzz target's mediator: authcrypt from bob, anoncrypt.
    let mediator_keys = PartyKeys::from_secret_bytes(&[7; 32], &[9; 32]);
    let mediator_did = peer(&mediator_keys, None);
    let to = encrypted::recipient_keys(&did::resolve(&mediator_did).unwrap()).unwrap();
    let message = json!({ "id": "1", "type": "https://didcomm.org/trust-ping/2.0/ping", "from": bob_did, "body": {} });
    let bob_kid = encrypted::recipient_keys(&did::resolve(&bob_did).unwrap()).unwrap().remove(0).kid;
    write(&root, "envelope_intake", "authcrypt", &encrypted::authcrypt(&message, &bob, &bob_kid, &to).unwrap());
    write(&root, "envelope_intake", "anoncrypt", &encrypted::anoncrypt(&message, &to).unwrap());

    // A session manifest: signed, and its plaintext.
    let manifest = Manifest {
        session: "0123456789abcdef0123456789abcdef".to_owned(),
        name: "seed".to_owned(),
        expires_time: 2_000_000_000,
        program: Program { sha256: "ab".repeat(32) },
        args: vec!["--values".to_owned(), "8".to_owned()],
        mpyc: MpycSettings { version: "0.11".to_owned(), ssl: true },
        parties: [(&alice, &alice_did), (&bob, &bob_did)]
            .iter()
            .enumerate()
            .map(|(index, (keys, did))| PartyEntry {
                index,
                did: (*did).clone(),
                endpoint_id: keys.verifying_key().as_bytes().iter().map(|b| format!("{b:02x}")).collect(),
                relay: Some("https://mediator.example.org/".to_owned()),
                certificate: mpc_session::mpyc::certificates(keys, "0123456789abcdef0123456789abcdef", 2)
                    .unwrap()
                    .get(index)
                    .cloned(),
            })
            .collect(),
    };
    let signed = manifest.sign(&alice_did, &alice, &record.signing_kid()).unwrap();
    write(&root, "session_manifest", "signed", &signed.to_json());
    let jws: serde_json::Value = serde_json::from_str(&signed.to_json()).unwrap();
    let plaintext = base64_decode(jws["payload"].as_str().unwrap());
    write(&root, "session_manifest", "plaintext", &plaintext);
    let _ = envelope::parse(signed.to_json().as_bytes()).unwrap();
}

fn base64_decode(text: &str) -> String {
    use base64::Engine;
    String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).unwrap()).unwrap()
}

fn write(root: &Path, target: &str, name: &str, contents: &str) {
    let dir = root.join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), contents).unwrap();
}
