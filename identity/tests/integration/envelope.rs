//! Encrypted DIDComm envelopes between parties whose DIDs were resolved locally.

use mpc_identity::Error;
use mpc_identity::did::{self, DidDocument};
use mpc_identity::envelope::encrypted::{self, RecipientKey};
use mpc_identity::keystore::{DidMethod, Keystore, UnlockedIdentity};
use serde_json::json;

fn party(store: &Keystore, name: &str, method: DidMethod) -> (UnlockedIdentity, DidDocument, Vec<RecipientKey>) {
    let identity = store.create(name, method, None, "pw").expect("create");
    let document = did::resolve(&identity.record.did).expect("resolve");
    let keys = encrypted::recipient_keys(&document).expect("keys");
    (identity, document, keys)
}

fn kids(keys: &[RecipientKey]) -> Vec<String> {
    keys.iter().map(|k| k.kid.clone()).collect()
}

#[test]
fn authcrypt_names_the_sender_and_anoncrypt_does_not() {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path()).expect("keystore");
    for (sender_method, recipient_method) in [(DidMethod::Peer, DidMethod::Key), (DidMethod::Key, DidMethod::Peer)] {
        let tag = format!("{sender_method:?}-{recipient_method:?}").to_lowercase();
        let (alice, _, alice_keys) = party(&store, &format!("alice-{tag}"), sender_method);
        let (bob, _, bob_keys) = party(&store, &format!("bob-{tag}"), recipient_method);
        let message = json!({
            "id": "1", "type": "https://didcomm.org/trust-ping/2.0/ping",
            "from": alice.record.did, "to": [bob.record.did], "body": {"response_requested": true}
        });
        let jwe = encrypted::authcrypt(&message, &alice.keys, &alice_keys[0].kid, &bob_keys).expect("authcrypt");
        assert!(!jwe.contains("trust-ping"), "the content is encrypted");
        let opened = encrypted::decrypt(&jwe, &bob.keys, &kids(&bob_keys), did::resolve).expect("decrypt");
        assert_eq!(opened.message, message);
        assert_eq!(opened.sender_kid.as_deref(), Some(alice_keys[0].kid.as_str()));
        assert_eq!(opened.recipient_kid, bob_keys[0].kid);

        let jwe = encrypted::anoncrypt(&message, &bob_keys).expect("anoncrypt");
        let opened = encrypted::decrypt(&jwe, &bob.keys, &kids(&bob_keys), |_| panic!("no resolution")).expect("x");
        assert_eq!(opened.message, message);
        assert_eq!(opened.sender_kid, None);
    }
}

#[test]
fn several_recipients_each_decrypt_and_others_cannot() {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path()).expect("keystore");
    let (alice, _, alice_keys) = party(&store, "alice", DidMethod::Peer);
    let (bob, _, bob_keys) = party(&store, "bob", DidMethod::Peer);
    let (carol, _, carol_keys) = party(&store, "carol", DidMethod::Key);
    let (eve, _, eve_keys) = party(&store, "eve", DidMethod::Peer);
    let message = json!({"id": "2", "type": "t", "from": alice.record.did, "body": {}});
    let to: Vec<RecipientKey> = bob_keys.iter().chain(&carol_keys).cloned().collect();
    let jwe = encrypted::authcrypt(&message, &alice.keys, &alice_keys[0].kid, &to).expect("authcrypt");
    assert_eq!(encrypted::recipient_kids(&jwe).expect("kids"), kids(&to));
    for (identity, keys) in [(&bob, &bob_keys), (&carol, &carol_keys)] {
        let opened = encrypted::decrypt(&jwe, &identity.keys, &kids(keys), did::resolve).expect("decrypt");
        assert_eq!(opened.message, message);
    }
    let err = encrypted::decrypt(&jwe, &eve.keys, &kids(&eve_keys), did::resolve).expect_err("eve");
    assert!(matches!(err, Error::NotForUs { .. }), "{err}");
    // Eve claiming bob's key id still lacks bob's secret.
    let err = encrypted::decrypt(&jwe, &eve.keys, &kids(&bob_keys), did::resolve).expect_err("eve as bob");
    assert!(matches!(err, Error::Envelope(_)), "{err}");
}

#[test]
fn tampering_and_false_senders_are_refused() {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path()).expect("keystore");
    let (alice, _, alice_keys) = party(&store, "alice", DidMethod::Peer);
    let (bob, _, bob_keys) = party(&store, "bob", DidMethod::Peer);
    let (mallory, _, _) = party(&store, "mallory", DidMethod::Peer);

    let message = json!({"id": "3", "type": "t", "from": alice.record.did, "body": {"x": 1}});
    let jwe = encrypted::authcrypt(&message, &alice.keys, &alice_keys[0].kid, &bob_keys).expect("authcrypt");
    let mut envelope: serde_json::Value = serde_json::from_str(&jwe).expect("json");
    let ciphertext = envelope["ciphertext"].as_str().expect("ct").to_owned();
    let flipped = if ciphertext.starts_with('A') { "B" } else { "A" };
    envelope["ciphertext"] = json!(format!("{flipped}{}", &ciphertext[1..]));
    let err = encrypted::decrypt(&envelope.to_string(), &bob.keys, &kids(&bob_keys), did::resolve).expect_err("x");
    assert!(matches!(err, Error::Envelope(ref m) if m.contains("cannot decrypt")), "{err}");

    // Alice's key, but the message claims to be from mallory.
    let lie = json!({"id": "4", "type": "t", "from": mallory.record.did, "body": {}});
    let jwe = encrypted::authcrypt(&lie, &alice.keys, &alice_keys[0].kid, &bob_keys).expect("authcrypt");
    let err = encrypted::decrypt(&jwe, &bob.keys, &kids(&bob_keys), did::resolve).expect_err("lie");
    assert!(matches!(err, Error::SignerMismatch { .. }), "{err}");

    // Mallory's key under alice's key id: the sender key does not decrypt.
    let jwe = encrypted::authcrypt(&message, &mallory.keys, &alice_keys[0].kid, &bob_keys).expect("authcrypt");
    let err = encrypted::decrypt(&jwe, &bob.keys, &kids(&bob_keys), did::resolve).expect_err("forged");
    assert!(matches!(err, Error::Envelope(_)), "{err}");

    for garbage in ["", "{}", "[1]", "{\"recipients\": 5}"] {
        assert!(encrypted::decrypt(garbage, &bob.keys, &kids(&bob_keys), did::resolve).is_err(), "{garbage}");
    }
    let huge = "x".repeat(encrypted::MAX_ENVELOPE_BYTES + 1);
    let err = encrypted::recipient_kids(&huge).expect_err("huge");
    assert!(err.to_string().contains("at most"), "{err}");
}

/// Anoncrypt as Askar-based stacks (Indicio's didcomm-messaging) write it: no `epk` in the
/// protected header, an ephemeral key of its own in each recipient's header (the JWE General
/// JSON form allows it), A256CBC-HS512. Each recipient opens it; a swapped `epk` does not.
#[test]
fn anoncrypt_with_an_ephemeral_key_in_each_recipients_header_opens() {
    use affinidi_crypto::jose::key_agreement::{Curve, PrivateKeyAgreement, PublicKeyAgreement};
    use affinidi_crypto::jose::{aes_kw, content_encryption, ecdh};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use sha2::Digest;

    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path()).expect("keystore");
    let (bob, _, bob_keys) = party(&store, "bob", DidMethod::Peer);
    let (carol, _, carol_keys) = party(&store, "carol", DidMethod::Key);
    let message = json!({"id": "askar-1", "type": "https://didcomm.org/trust-ping/2.0/ping", "body": {}});
    let to = [bob_keys[0].clone(), carol_keys[0].clone()];

    let mut sorted: Vec<&str> = to.iter().map(|k| k.kid.as_str()).collect();
    sorted.sort_unstable();
    let apv = sha2::Sha256::digest(sorted.join(".").as_bytes());
    let protected = json!({"typ": "application/didcomm-encrypted+json", "alg": "ECDH-ES+A256KW",
        "enc": "A256CBC-HS512", "apv": B64.encode(apv)});
    let protected = B64.encode(protected.to_string());
    let cek = content_encryption::generate_cek();
    let iv = content_encryption::generate_iv();
    let (ciphertext, tag) =
        content_encryption::encrypt(message.to_string().as_bytes(), &cek, &iv, protected.as_bytes()).expect("encrypt");
    let recipients: Vec<_> = to
        .iter()
        .map(|recipient| {
            let ephemeral = PrivateKeyAgreement::generate(Curve::X25519);
            let public = PublicKeyAgreement::from_raw_bytes(Curve::X25519, recipient.key.as_bytes()).expect("key");
            let kek = ecdh::derive_key_es(&ephemeral, &public, b"ECDH-ES+A256KW", b"", &apv, 256).expect("ECDH-ES");
            let kek: [u8; 32] = kek.try_into().expect("256 bits");
            let wrapped = aes_kw::wrap(&kek, &cek).expect("wrap");
            json!({"encrypted_key": B64.encode(wrapped),
                "header": {"kid": recipient.kid, "epk": ephemeral.public_key().to_jwk()}})
        })
        .collect();
    let jwe = json!({"protected": protected, "recipients": recipients, "iv": B64.encode(iv),
        "ciphertext": B64.encode(ciphertext), "tag": B64.encode(tag)})
    .to_string();

    for (identity, keys) in [(&bob, &bob_keys), (&carol, &carol_keys)] {
        let opened = encrypted::decrypt(&jwe, &identity.keys, &kids(keys), |_| panic!("anoncrypt resolves nobody"))
            .expect("each recipient opens its own part");
        assert_eq!(opened.message, message);
    }
    // Bob's entry with Carol's ephemeral key derives the wrong key-encryption key.
    let mut swapped: serde_json::Value = serde_json::from_str(&jwe).expect("json");
    swapped["recipients"][0]["header"]["epk"] = swapped["recipients"][1]["header"]["epk"].clone();
    let err = encrypted::decrypt(&swapped.to_string(), &bob.keys, &kids(&bob_keys), did::resolve).expect_err("swapped");
    assert!(err.to_string().contains("cannot decrypt"), "{err}");
}
