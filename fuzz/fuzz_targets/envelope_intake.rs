//! What the mediator does with an envelope before it can decrypt one: JWE parsing, recipient
//! and sender key ids, and the decryption attempt with its own keys (which fails for anything
//! not sealed to them); and JWS parsing and verification for signed messages.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mpc_identity::did;
use mpc_identity::envelope::{self, encrypted};
use mpc_identity::keys::PartyKeys;

/// The mediator's keys: fixed, so runs are repeatable.
static MEDIATOR: LazyLock<(PartyKeys, String)> = LazyLock::new(|| {
    let keys = PartyKeys::from_secret_bytes(&[7; 32], &[9; 32]);
    let did = did::peer2::for_party(
        mpc_identity::keys::PublicKey::Ed25519(keys.verifying_key()),
        mpc_identity::keys::PublicKey::X25519(keys.agreement_public()),
        None,
    )
    .unwrap_or_default();
    (keys, did)
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (keys, mediator) = &*MEDIATOR;
    let _ = encrypted::recipient_kids(text);
    let _ = encrypted::sender_did(text);
    let kids = [format!("{mediator}#key-1")];
    let _ = encrypted::decrypt(text, keys, &kids, did::resolve);
    if let Ok(signed) = envelope::parse(data) {
        let _ = signed.claimed_from();
        let _ = envelope::verify(&signed, did::resolve);
    }
});
