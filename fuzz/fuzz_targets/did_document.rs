//! DID documents from elsewhere (did:web, did:jwk, did:webvh states): JSON to our document type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpc_identity::did::DidDocument;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(document) = DidDocument::from_foreign_json(&value) {
        let _ = document.didcomm_endpoint();
        let _ = mpc_identity::envelope::encrypted::recipient_keys(&document);
    }
    let _ = serde_json::from_value::<DidDocument>(value);
});
