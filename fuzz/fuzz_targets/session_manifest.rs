//! A session manifest as it arrives: the signed message, and its plaintext read as a manifest
//! (schema, session, the shape of the party list, MPyC certificates).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpc_session::manifest::{Manifest, SignedManifest};

const SESSION: &str = "0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(signed) = SignedManifest::parse(text) {
        let _ = signed.to_json();
    }
    if let Ok(plaintext) = serde_json::from_str::<serde_json::Value>(text) {
        let session = plaintext["body"]["session"].as_str().unwrap_or(SESSION).to_owned();
        let _ = Manifest::from_plaintext(&session, &plaintext);
    }
});
