//! An invitation as a peer receives it: a URL with `_oob`, or the signed JSON, then verified
//! against the (self-certifying) DID it names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpc_identity::invitation::SignedInvitation;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(signed) = SignedInvitation::parse(text) {
        let _ = signed.claimed_from();
        let _ = signed.verify(1_800_000_000);
    }
});
