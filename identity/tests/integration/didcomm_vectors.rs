//! DIDComm v2.1 test vectors (the spec's Appendix C, with the recipient secrets of Appendix A)
//! and the content encryptions the spec lists: every one is opened, and anything else is refused
//! naming the algorithm.

use affinidi_crypto::jose::key_agreement::{Curve, EphemeralKeyPair, PublicKeyAgreement};
use affinidi_crypto::jose::{aes_kw, ecdh, gcm};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mpc_identity::envelope::encrypted;
use mpc_identity::keys::PartyKeys;
use serde_json::{Value, json};

/// Appendix A.2: `did:example:bob#key-x25519-1`.
const BOB_KID: &str = "did:example:bob#key-x25519-1";
const BOB_X25519_D: &str = "b9NnuOCB0hm7YGNvaE9DMhwH_wjZA1-gWD6dA0JWdL0";

fn bob() -> PartyKeys {
    let d: [u8; 32] = URL_SAFE_NO_PAD.decode(BOB_X25519_D).expect("base64url").try_into().expect("32 bytes");
    // Only the X25519 key matters here; the Ed25519 seed is arbitrary.
    PartyKeys::from_secret_bytes(&[7u8; 32], &d)
}

/// The spec's "simple message", which every Appendix C vector encrypts.
fn simple_message() -> Value {
    json!({
        "id": "1234567890",
        "typ": "application/didcomm-plain+json",
        "type": "http://example.com/protocols/lets_do_lunch/1.0/proposal",
        "from": "did:example:alice",
        "to": ["did:example:bob"],
        "created_time": 1516269022,
        "expires_time": 1516385931,
        "body": {"messagespecificattribute": "and its value"}
    })
}

fn no_resolution(did: &str) -> mpc_identity::Result<mpc_identity::did::DidDocument> {
    panic!("anoncrypt names no sender to resolve, yet {did} was asked for")
}

#[test]
fn the_specs_anoncrypt_xc20p_vector_opens() {
    let jwe = include_str!("../vectors/didcomm_anoncrypt_x25519_xc20p.json");
    let opened = encrypted::decrypt(jwe, &bob(), &[BOB_KID.to_owned()], no_resolution).expect("the spec's vector");
    assert_eq!(opened.message, simple_message());
    assert_eq!(opened.sender_kid, None);
    assert_eq!(opened.recipient_kid, BOB_KID);
}

#[test]
fn an_altered_xc20p_message_is_refused() {
    let jwe = include_str!("../vectors/didcomm_anoncrypt_x25519_xc20p.json");
    let mut altered: Value = serde_json::from_str(jwe).expect("json");
    let mut ciphertext = URL_SAFE_NO_PAD.decode(altered["ciphertext"].as_str().expect("ciphertext")).expect("b64");
    ciphertext[0] ^= 1;
    altered["ciphertext"] = json!(URL_SAFE_NO_PAD.encode(ciphertext));
    let error = encrypted::decrypt(&altered.to_string(), &bob(), &[BOB_KID.to_owned()], no_resolution)
        .expect_err("altered")
        .to_string();
    assert!(error.contains("XC20P") && error.contains("does not verify"), "{error}");
}

/// An anoncrypt JWE for Bob's key with content encryption `enc`, built from the primitives here
/// (the spec's own A256GCM vector is for a P-521 key, which parties of mpc-id do not hold).
fn anoncrypt_to_bob(enc: &str, plaintext: &[u8]) -> String {
    let bob_public = PublicKeyAgreement::X25519(bob().agreement_public().to_bytes());
    let ephemeral = EphemeralKeyPair::generate(Curve::X25519);
    let apv = b"an apv naming the recipients".to_vec();
    let protected = json!({
        "epk": ephemeral.public.to_jwk(),
        "apv": URL_SAFE_NO_PAD.encode(&apv),
        "typ": "application/didcomm-encrypted+json",
        "enc": enc,
        "alg": "ECDH-ES+A256KW",
    });
    let protected = URL_SAFE_NO_PAD.encode(protected.to_string());
    let kek: [u8; 32] = ecdh::derive_sender_key(&ephemeral, &bob_public, &[], &apv).expect("kek");
    let cek = [42u8; 32];
    let iv = [9u8; 12];
    let (ciphertext, tag) = gcm::encrypt_a256(plaintext, &cek, &iv, protected.as_bytes()).expect("A256GCM");
    json!({
        "protected": protected,
        "recipients": [{"header": {"kid": BOB_KID}, "encrypted_key": URL_SAFE_NO_PAD.encode(aes_kw::wrap(&kek, &cek).expect("wrap"))}],
        "iv": URL_SAFE_NO_PAD.encode(iv),
        "ciphertext": URL_SAFE_NO_PAD.encode(ciphertext),
        "tag": URL_SAFE_NO_PAD.encode(tag),
    })
    .to_string()
}

#[test]
fn anoncrypt_with_a256gcm_opens() {
    let message = simple_message();
    let jwe = anoncrypt_to_bob("A256GCM", message.to_string().as_bytes());
    let opened = encrypted::decrypt(&jwe, &bob(), &[BOB_KID.to_owned()], no_resolution).expect("A256GCM");
    assert_eq!(opened.message, message);
}

#[test]
fn other_algorithms_are_refused_by_name() {
    let jwe = anoncrypt_to_bob("A256GCM", b"{}");
    let mut envelope: Value = serde_json::from_str(&jwe).expect("json");
    let protected = envelope["protected"].as_str().expect("protected");
    let mut header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(protected).expect("b64")).expect("json");
    for (alg, enc, named) in [
        ("ECDH-ES+A256KW", "A128GCM", "`A128GCM`"),
        ("ECDH-1PU+A256KW", "XC20P", "authcrypt"),
        ("RSA-OAEP", "A256GCM", "`RSA-OAEP`"),
    ] {
        header["alg"] = json!(alg);
        header["enc"] = json!(enc);
        envelope["protected"] = json!(URL_SAFE_NO_PAD.encode(header.to_string()));
        let error = encrypted::decrypt(&envelope.to_string(), &bob(), &[BOB_KID.to_owned()], no_resolution)
            .expect_err("unsupported")
            .to_string();
        assert!(error.contains("unsupported") && error.contains(named), "{alg} {enc}: {error}");
    }
}

/// An authcrypt JWE from `sender` (X25519 secret `sender_x`, key id `sender_kid`) to Bob that
/// names its sender in `apu` only, with no `skid`, as DIDComm allows.
fn authcrypt_without_skid(sender_x: [u8; 32], sender_kid: &str, message: &Value) -> String {
    use affinidi_crypto::jose::content_encryption;
    use affinidi_crypto::jose::key_agreement::PrivateKeyAgreement;
    let bob_public = PublicKeyAgreement::X25519(bob().agreement_public().to_bytes());
    let ephemeral = EphemeralKeyPair::generate(Curve::X25519);
    let apu = sender_kid.as_bytes().to_vec();
    let apv = b"recipients".to_vec();
    let protected = json!({
        "epk": ephemeral.public.to_jwk(), "apu": URL_SAFE_NO_PAD.encode(&apu), "apv": URL_SAFE_NO_PAD.encode(&apv),
        "typ": "application/didcomm-encrypted+json", "enc": "A256CBC-HS512", "alg": "ECDH-1PU+A256KW",
    });
    let protected = URL_SAFE_NO_PAD.encode(protected.to_string());
    let cek = [3u8; 64];
    let iv = [4u8; 16];
    let (ciphertext, tag) =
        content_encryption::encrypt(message.to_string().as_bytes(), &cek, &iv, protected.as_bytes()).expect("encrypt");
    let kek =
        ecdh::derive_sender_key_1pu(&ephemeral, &PrivateKeyAgreement::X25519(sender_x), &bob_public, &apu, &apv, &tag)
            .expect("kek");
    json!({
        "protected": protected,
        "recipients": [{"header": {"kid": BOB_KID}, "encrypted_key": URL_SAFE_NO_PAD.encode(aes_kw::wrap(&kek, &cek).expect("wrap"))}],
        "iv": URL_SAFE_NO_PAD.encode(iv), "ciphertext": URL_SAFE_NO_PAD.encode(ciphertext), "tag": URL_SAFE_NO_PAD.encode(tag),
    })
    .to_string()
}

#[test]
fn authcrypt_names_its_sender_by_apu_when_skid_is_absent() {
    use mpc_identity::did;
    use mpc_identity::keys::PublicKey;
    let alice_x = [11u8; 32];
    let alice = PartyKeys::from_secret_bytes(&[12u8; 32], &alice_x);
    let alice_did = did::peer2::for_party(
        PublicKey::Ed25519(alice.verifying_key()),
        PublicKey::X25519(alice.agreement_public()),
        None,
    )
    .expect("did");
    let alice_document = did::resolve(&alice_did).expect("document");
    let alice_kid = encrypted::recipient_keys(&alice_document).expect("keys")[0].kid.clone();
    let message = json!({"id": "1", "type": "https://didcomm.org/trust-ping/2.0/ping", "from": alice_did, "body": {}});
    let jwe = authcrypt_without_skid(alice_x, &alice_kid, &message);

    assert_eq!(encrypted::sender_did(&jwe).expect("claimed sender"), Some(alice_did.clone()));
    let opened =
        encrypted::decrypt(&jwe, &bob(), &[BOB_KID.to_owned()], |did| Ok(did::resolve(did).expect("resolves")))
            .expect("the sender found from apu");
    assert_eq!(opened.message, message);
    assert_eq!(opened.sender_kid.as_deref(), Some(alice_kid.as_str()));

    // Another party's key in `apu` does not open it: the key agreement binds the sender.
    let mallory = PartyKeys::from_secret_bytes(&[13u8; 32], &[14u8; 32]);
    let mallory_did = did::peer2::for_party(
        PublicKey::Ed25519(mallory.verifying_key()),
        PublicKey::X25519(mallory.agreement_public()),
        None,
    )
    .expect("did");
    let mallory_kid =
        encrypted::recipient_keys(&did::resolve(&mallory_did).expect("doc")).expect("keys")[0].kid.clone();
    let forged = authcrypt_without_skid(
        alice_x,
        &mallory_kid,
        &json!({"id": "2", "type": "x", "from": mallory_did, "body": {}}),
    );
    let error = encrypted::decrypt(&forged, &bob(), &[BOB_KID.to_owned()], |did| Ok(did::resolve(did).expect("doc")))
        .expect_err("not from mallory's key")
        .to_string();
    assert!(error.contains("does not unwrap") || error.contains("does not verify"), "{error}");
}

/// Appendix A.2: Bob's secret for `kid`.
fn bob_secret(kid: &str) -> encrypted::AgreementSecret {
    let secrets: Value = serde_json::from_str(include_str!("../vectors/didcomm_bob_secrets.json")).expect("json");
    let jwk = secrets.as_array().expect("list").iter().find(|jwk| jwk["kid"] == kid).expect("a secret of Bob's");
    encrypted::AgreementSecret::from_jwk(jwk).expect("a key-agreement secret")
}

/// Appendix B.1, the keys of Alice's that the vectors use, as Multikeys.
fn alice_document() -> mpc_identity::Result<mpc_identity::did::DidDocument> {
    let multikey = |codec: [u8; 2], x: &str| {
        let mut bytes = codec.to_vec();
        bytes.extend(URL_SAFE_NO_PAD.decode(x).expect("base64url"));
        format!("z{}", bs58::encode(bytes).into_string())
    };
    let document = json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": "did:example:alice",
        "verificationMethod": [
            { "id": "did:example:alice#key-1", "type": "Multikey", "controller": "did:example:alice",
              "publicKeyMultibase": multikey([0xed, 0x01], "G-boxFB6vOZBu-wXkm-9Lh79I8nf9Z50cILaOgKKGww") },
            { "id": "did:example:alice#key-x25519-1", "type": "Multikey", "controller": "did:example:alice",
              "publicKeyMultibase": multikey([0xec, 0x01], "avH0O2Y4tqLAq8y9zpianr8ajii5m4F_mICrzNlatXs") },
        ],
        "authentication": ["did:example:alice#key-1"],
        "assertionMethod": ["did:example:alice#key-1"],
        "keyAgreement": ["did:example:alice#key-x25519-1"],
    });
    Ok(serde_json::from_value(document).expect("a DID document"))
}

fn alice(did: &str) -> mpc_identity::Result<mpc_identity::did::DidDocument> {
    assert_eq!(did, "did:example:alice", "only Alice sends the spec's vectors");
    alice_document()
}

/// Appendix C.3: every anoncrypt vector, for every recipient key it is addressed to.
#[test]
fn every_anoncrypt_vector_of_the_spec_opens_for_each_recipient() {
    let vectors = [
        (include_str!("../vectors/didcomm_anoncrypt_x25519_xc20p.json"), "x25519", 3),
        (include_str!("../vectors/didcomm_anoncrypt_p384_a256cbc.json"), "p384", 2),
        (include_str!("../vectors/didcomm_anoncrypt_p521_a256gcm.json"), "p521", 2),
    ];
    for (jwe, curve, recipients) in vectors {
        for n in 1..=recipients {
            let kid = format!("did:example:bob#key-{curve}-{n}");
            let opened = encrypted::decrypt_for(jwe, &kid, &bob_secret(&kid), no_resolution)
                .unwrap_or_else(|e| panic!("{kid}: {e}"));
            assert_eq!(opened.message, simple_message(), "{kid}");
            assert_eq!(opened.sender_kid, None);
        }
    }
}

/// Appendix C.3: authcrypt (ECDH-1PU, X25519, A256CBC-HS512) from Alice, for each of Bob's keys.
#[test]
fn the_specs_authcrypt_vector_opens_and_names_alice() {
    let jwe = include_str!("../vectors/didcomm_authcrypt_x25519_a256cbc.json");
    for n in 1..=3 {
        let kid = format!("did:example:bob#key-x25519-{n}");
        let opened = encrypted::decrypt_for(jwe, &kid, &bob_secret(&kid), alice).expect("the spec's vector");
        assert_eq!(opened.message, simple_message());
        assert_eq!(opened.sender_kid.as_deref(), Some("did:example:alice#key-x25519-1"));
    }
    // Bob's X25519 secret as a party holds it opens it through `decrypt` too.
    let opened = encrypted::decrypt(jwe, &bob(), &[BOB_KID.to_owned()], alice).expect("as a party");
    assert_eq!(opened.message, simple_message());
}

/// Appendix C.3: signed by Alice, authcrypted and anoncrypted again to protect the sender
/// (P-521, XC20P): the anoncrypt layer opens to the authcrypt JWE inside, naming Alice.
#[test]
fn the_specs_sender_protecting_anoncrypt_layer_opens() {
    let jwe = include_str!("../vectors/didcomm_signed_authcrypt_anoncrypt_p521_xc20p.json");
    for kid in ["did:example:bob#key-p521-1", "did:example:bob#key-p521-2"] {
        let outer = encrypted::decrypt_for(jwe, kid, &bob_secret(kid), no_resolution).expect("anoncrypt layer");
        let inner = outer.message.to_string();
        assert_eq!(encrypted::sender_did(&inner).expect("authcrypt inside"), Some("did:example:alice".to_owned()));
        // The authcrypt inside is on P-521 too, which mpc-id does not read senders' keys for.
        let error = encrypted::decrypt_for(&inner, kid, &bob_secret(kid), alice).expect_err("P-521 sender").to_string();
        assert!(error.contains("authcrypt on P-521"), "{error}");
    }
}

/// Appendix C.3's authcrypt on P-256: its sender key is P-256, which mpc-id does not read from
/// DID documents (its parties and mediators hold X25519 keys); refused saying so, not garbled.
#[test]
fn authcrypt_on_p256_is_refused_naming_the_curve() {
    let jwe = include_str!("../vectors/didcomm_signed_authcrypt_p256_a256cbc.json");
    let kid = "did:example:bob#key-p256-1";
    let error = encrypted::decrypt_for(jwe, kid, &bob_secret(kid), alice).expect_err("P-256 sender").to_string();
    assert!(error.contains("authcrypt on P-256"), "{error}");
}

/// A signed message sent authcrypted (DIDComm's "signed, then encrypted"): its `from` is in the
/// JWS payload, and must name the authcrypt sender like a plaintext's would.
#[test]
fn a_signed_message_inside_authcrypt_is_checked_against_its_sender() {
    use mpc_identity::did;
    use mpc_identity::keys::PublicKey;
    let party = |seed: u8| {
        let keys = PartyKeys::from_secret_bytes(&[seed; 32], &[seed + 1; 32]);
        let did = did::peer2::for_party(
            PublicKey::Ed25519(keys.verifying_key()),
            PublicKey::X25519(keys.agreement_public()),
            None,
        )
        .expect("did");
        (keys, did)
    };
    let (alice, alice_did) = party(21);
    let (bob, bob_did) = party(23);
    let (_, mallory_did) = party(25);
    let bob_keys = encrypted::recipient_keys(&did::resolve(&bob_did).expect("doc")).expect("keys");
    let alice_doc = did::resolve(&alice_did).expect("doc");
    let alice_kid = encrypted::recipient_keys(&alice_doc).expect("keys")[0].kid.clone();
    let signing_kid = format!("{alice_did}#key-2");
    let seal = |from: &str| {
        let message = json!({"id": "s1", "type": "https://didcomm.org/basicmessage/2.0/message", "from": from,
                             "to": [bob_did], "body": {"content": "signed"}});
        let signed = mpc_identity::envelope::sign(&message, &alice, &signing_kid).expect("sign");
        let signed = serde_json::to_value(&signed).expect("json");
        encrypted::authcrypt(&signed, &alice, &alice_kid, &bob_keys).expect("authcrypt")
    };
    let bob_kid = bob_keys[0].kid.clone();
    let resolve = |did: &str| Ok(did::resolve(did).expect("doc"));
    let opened = encrypted::decrypt(&seal(&alice_did), &bob, std::slice::from_ref(&bob_kid), resolve)
        .expect("signed by the sender");
    assert!(opened.message.get("signatures").is_some(), "the JWS is handed on to be verified");
    let error = encrypted::decrypt(&seal(&mallory_did), &bob, &[bob_kid], resolve)
        .expect_err("a JWS claiming another sender")
        .to_string();
    assert!(error.contains(&mallory_did), "{error}");
}
