//! Signed invitations against tampering: every way of altering one is refused with its own error.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mpc_identity::did::MediatorEndpoint;
use mpc_identity::envelope;
use mpc_identity::invitation::{Invitation, SignedInvitation};
use mpc_identity::keystore::{DidMethod, Keystore, UnlockedIdentity};
use mpc_identity::schema::Schema;
use mpc_identity::{Error, unix_now};
use serde_json::{Value, json};

struct Party {
    _home: tempfile::TempDir,
    identity: UnlockedIdentity,
}

fn party(name: &str, method: DidMethod) -> Party {
    let home = tempfile::tempdir().expect("tempdir");
    let keystore = Keystore::open(home.path()).expect("keystore");
    let mediator = MediatorEndpoint::from_url("https://mediator.example.org").expect("url");
    let identity = keystore.create(name, method, Some(mediator), "pw").expect("create");
    Party { _home: home, identity }
}

fn invitation(p: &Party) -> Invitation {
    Invitation::new(&p.identity.record, None, Some("run the auction"), Duration::from_secs(3600), unix_now())
}

fn signed(p: &Party) -> SignedInvitation {
    invitation(p).sign(&p.identity.keys, &p.identity.record.signing_kid()).expect("sign")
}

/// Signs an arbitrary plaintext as `p`, for crafting invitations the API would not make.
fn sign_value(p: &Party, message: &Value, kid: &str) -> SignedInvitation {
    let signed = envelope::sign(message, &p.identity.keys, kid).expect("sign");
    SignedInvitation::parse(&serde_json::to_string(&signed).expect("json")).expect("parse")
}

fn envelope_of(s: &SignedInvitation) -> Value {
    s.to_value()
}

/// Edits the signed payload in place without re-signing, as an attacker on the wire would.
fn edit_payload(envelope: &mut Value, edit: impl FnOnce(&mut Value)) {
    let payload = URL_SAFE_NO_PAD.decode(envelope["payload"].as_str().expect("payload")).expect("b64");
    let mut message: Value = serde_json::from_slice(&payload).expect("json");
    edit(&mut message);
    envelope["payload"] = json!(URL_SAFE_NO_PAD.encode(message.to_string()));
}

fn reparse(v: &Value) -> SignedInvitation {
    SignedInvitation::parse(&v.to_string()).expect("still parses")
}

#[test]
fn a_valid_invitation_verifies_from_json_and_url_and_matches_the_schemas() {
    for method in [DidMethod::Peer, DidMethod::Key] {
        let alice = party("alice", method);
        let s = signed(&alice);
        Schema::SignedMessage.validate(&s.to_value()).expect("envelope schema");
        let from_json = SignedInvitation::parse(&s.to_json()).expect("parse").verify(unix_now()).expect("verify");
        let url = s.to_url(alice.identity.record.mediator.as_ref());
        assert!(url.starts_with("https://mediator.example.org/oob?_oob="), "{url}");
        let from_url = SignedInvitation::parse(&url).expect("parse url").verify(unix_now()).expect("verify url");
        assert_eq!(from_json, from_url);
        assert_eq!(from_json.from, alice.identity.record.did);
        assert_eq!(from_json.body.keys.authentication, alice.identity.record.authentication_key);
        assert_eq!(from_json.body.goal.as_deref(), Some("run the auction"));
        Schema::Invitation.validate(&serde_json::to_value(&from_json).expect("json")).expect("invitation schema");
    }
}

#[test]
fn a_flipped_signature_byte_is_a_bad_signature() {
    let alice = party("alice", DidMethod::Peer);
    let mut v = envelope_of(&signed(&alice));
    let sig = v["signatures"][0]["signature"].as_str().expect("sig").to_owned();
    let mut raw = URL_SAFE_NO_PAD.decode(sig).expect("b64");
    raw[10] ^= 0x01;
    v["signatures"][0]["signature"] = json!(URL_SAFE_NO_PAD.encode(raw));
    let err = reparse(&v).verify(unix_now()).expect_err("tampered");
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
    assert!(err.to_string().contains("altered after signing"), "{err}");
}

#[test]
fn an_edited_body_is_a_bad_signature() {
    let alice = party("alice", DidMethod::Peer);
    let mut v = envelope_of(&signed(&alice));
    edit_payload(&mut v, |message| message["body"]["goal"] = json!("send me your inputs in clear"));
    let err = reparse(&v).verify(unix_now()).expect_err("tampered");
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
}

#[test]
fn a_swapped_from_is_a_signer_mismatch() {
    let alice = party("alice", DidMethod::Peer);
    let mallory = party("mallory", DidMethod::Peer);
    let mut v = envelope_of(&signed(&alice));
    edit_payload(&mut v, |message| message["from"] = json!(mallory.identity.record.did));
    let err = reparse(&v).verify(unix_now()).expect_err("swapped");
    assert!(matches!(err, Error::SignerMismatch { .. }), "{err}");
    assert!(err.to_string().contains("signer mismatch"), "{err}");
}

#[test]
fn signing_in_someone_elses_name_fails_either_way() {
    let alice = party("alice", DidMethod::Peer);
    let mallory = party("mallory", DidMethod::Peer);
    let message = serde_json::to_value(invitation(&alice)).expect("json");
    // Mallory signs alice's invitation naming her own key: the signer is not the sender.
    let err = sign_value(&mallory, &message, &mallory.identity.record.signing_kid()).verify(unix_now()).expect_err("x");
    assert!(matches!(err, Error::SignerMismatch { .. }), "{err}");
    // Mallory signs naming alice's key: the signature does not verify under it.
    let err = sign_value(&mallory, &message, &alice.identity.record.signing_kid()).verify(unix_now()).expect_err("x");
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
}

#[test]
fn an_expired_invitation_is_refused_and_so_is_one_from_the_future() {
    let alice = party("alice", DidMethod::Key);
    let now = unix_now();
    let old = Invitation::new(&alice.identity.record, None, None, Duration::from_secs(60), now - 3600);
    let err = old.sign(&alice.identity.keys, &alice.identity.record.signing_kid()).expect("sign").verify(now);
    assert!(matches!(err, Err(Error::Expired { .. })), "{err:?}");
    assert!(err.expect_err("expired").to_string().contains("expired at"));
    let future = Invitation::new(&alice.identity.record, None, None, Duration::from_secs(60), now + 3600);
    let err = future.sign(&alice.identity.keys, &alice.identity.record.signing_kid()).expect("sign").verify(now);
    assert!(matches!(err, Err(Error::NotYetValid { .. })), "{err:?}");
}

#[test]
fn a_truncated_url_is_refused_as_such() {
    let alice = party("alice", DidMethod::Peer);
    let url = signed(&alice).to_url(alice.identity.record.mediator.as_ref());
    for cut in [url.len() / 2, url.len() - 7, url.len() - 1] {
        let err = SignedInvitation::parse(&url[..cut]).expect_err("truncated");
        assert!(matches!(err, Error::InvalidInvitationUrl(_)), "{cut}: {err}");
        assert!(err.to_string().contains("truncated"), "{err}");
    }
    let err = SignedInvitation::parse("https://mediator.example.org/oob?x=1").expect_err("no oob");
    assert!(err.to_string().contains("no `_oob` parameter"), "{err}");
}

#[test]
fn non_json_and_wrong_shapes_are_not_signed_messages() {
    for input in ["{not json", "{\"payload\": 1}", "{\"payload\":\"e30\",\"signatures\":[]}"] {
        let err = SignedInvitation::parse(input).and_then(|s| s.verify(unix_now())).expect_err(input);
        assert!(matches!(err, Error::NotSignedMessage(_)), "{input}: {err}");
    }
    let err = SignedInvitation::parse("hello there").expect_err("text");
    assert!(matches!(err, Error::InvalidInvitationUrl(_)), "{err}");
    let huge = format!("{{\"payload\":\"{}\"}}", "A".repeat(100_000));
    assert!(SignedInvitation::parse(&huge).expect_err("huge").to_string().contains("at most"));
}

#[test]
fn a_signed_message_of_another_type_is_not_an_invitation() {
    let alice = party("alice", DidMethod::Peer);
    let mut message = serde_json::to_value(invitation(&alice)).expect("json");
    message["type"] = json!("https://didcomm.org/trust-ping/2.0/ping");
    let err = sign_value(&alice, &message, &alice.identity.record.signing_kid()).verify(unix_now()).expect_err("type");
    assert!(matches!(err, Error::WrongType { .. }), "{err}");
}

#[test]
fn a_signed_invitation_that_breaks_the_schema_is_refused() {
    let alice = party("alice", DidMethod::Peer);
    let mut message = serde_json::to_value(invitation(&alice)).expect("json");
    message["body"].as_object_mut().expect("body").remove("keys");
    let err =
        sign_value(&alice, &message, &alice.identity.record.signing_kid()).verify(unix_now()).expect_err("schema");
    assert!(matches!(err, Error::SchemaViolation { .. }), "{err}");
    assert!(err.to_string().contains("keys"), "{err}");
}

#[test]
fn keys_or_mediator_that_are_not_the_senders_own_are_refused() {
    let alice = party("alice", DidMethod::Peer);
    let mallory = party("mallory", DidMethod::Peer);
    let kid = alice.identity.record.signing_kid();
    let mut message = serde_json::to_value(invitation(&alice)).expect("json");
    message["body"]["keys"]["keyAgreement"] = json!(mallory.identity.record.key_agreement_key);
    let err = sign_value(&alice, &message, &kid).verify(unix_now()).expect_err("keys");
    assert!(matches!(err, Error::InconsistentInvitation(_)), "{err}");

    let mut message = serde_json::to_value(invitation(&alice)).expect("json");
    message["body"]["mediator"]["uri"] = json!("https://evil.example.org/");
    let err = sign_value(&alice, &message, &kid).verify(unix_now()).expect_err("mediator");
    assert!(matches!(err, Error::InconsistentInvitation(_)), "{err}");
}

#[test]
fn only_authentication_keys_may_sign_and_only_eddsa() {
    let alice = party("alice", DidMethod::Peer);
    let message = serde_json::to_value(invitation(&alice)).expect("json");
    // #key-1 of a party's did:peer:2 is its X25519 key-agreement key.
    let kid = format!("{}#key-1", alice.identity.record.did);
    let err = sign_value(&alice, &message, &kid).verify(unix_now()).expect_err("kid");
    assert!(matches!(err, Error::KeyNotAuthorized { .. }), "{err}");

    let mut v = envelope_of(&signed(&alice));
    v["signatures"][0]["protected"] =
        json!(URL_SAFE_NO_PAD.encode(r#"{"typ":"application/didcomm-signed+json","alg":"none"}"#));
    let err = reparse(&v).verify(unix_now()).expect_err("alg");
    assert!(matches!(err, Error::UnsupportedAlgorithm(ref alg) if alg == "none"), "{err}");
}
