//! did:webvh log verification: a `did.jsonl` (and optionally a `did-witness.json` after a line
//! holding only `--witness--`), for the DID its first entry claims.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (log, witness) = match text.split_once("\n--witness--\n") {
        Some((log, witness)) => (log, Some(witness)),
        None => (text, None),
    };
    let did = log
        .lines()
        .next()
        .and_then(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .and_then(|entry| entry["state"]["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "did:webvh:QmTestScid:example.org".to_owned());
    let _ = mpc_identity::did::webvh::verify(&did, log, witness);
});
