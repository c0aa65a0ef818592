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
    let jwe = include_str!("vectors/didcomm_anoncrypt_x25519_xc20p.json");
    let opened = encrypted::decrypt(jwe, &bob(), &[BOB_KID.to_owned()], no_resolution).expect("the spec's vector");
    assert_eq!(opened.message, simple_message());
    assert_eq!(opened.sender_kid, None);
    assert_eq!(opened.recipient_kid, BOB_KID);
}

#[test]
fn an_altered_xc20p_message_is_refused() {
    let jwe = include_str!("vectors/didcomm_anoncrypt_x25519_xc20p.json");
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
