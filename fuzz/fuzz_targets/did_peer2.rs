//! DIDs as text: did:peer:2 decoding (and did:key, through the same self-certifying resolver).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = mpc_identity::did::peer2::resolve(text);
    let _ = mpc_identity::did::resolve(text);
});
