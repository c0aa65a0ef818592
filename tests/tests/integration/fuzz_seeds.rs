//! The fuzzers' kept seeds (`fuzz/corpus/`) through the parsers they start from, in the ordinary
//! test run: each is still a valid input of its kind, so the fuzzers keep starting deep inside
//! the parsers as the formats evolve.

use std::path::PathBuf;

use mpc_identity::did::{self, DidDocument};
use mpc_identity::invitation::SignedInvitation;
use mpc_session::manifest::{Manifest, SignedManifest};

fn seeds(target: &str) -> Vec<(String, String)> {
    let dir: PathBuf = mpc_id_e2e::workspace_root().join("fuzz/corpus").join(target);
    let mut seeds: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("entry").path();
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("text"))
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds for {target}");
    seeds
}

#[test]
fn every_kept_seed_is_a_valid_input_of_its_parser() {
    let now = 1_800_000_000;
    for (name, text) in seeds("invitation") {
        let signed = SignedInvitation::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        signed.verify(now).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (name, text) in seeds("did_peer2") {
        did::resolve(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (name, text) in seeds("did_document") {
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        DidDocument::from_foreign_json(&value).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (name, text) in seeds("webvh_log") {
        let (log, witness) = match text.split_once("\n--witness--\n") {
            Some((log, witness)) => (log, Some(witness)),
            None => (text.as_str(), None),
        };
        let first: serde_json::Value = serde_json::from_str(log.lines().next().expect("line")).expect("json");
        let id = first["state"]["id"].as_str().expect("id");
        did::webvh::verify(id, log, witness).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (name, text) in seeds("envelope_intake") {
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(value.get("ciphertext").is_some() || value.get("signatures").is_some(), "{name}");
    }
    for (name, text) in seeds("session_manifest") {
        if name.contains("plaintext") {
            let value: serde_json::Value = serde_json::from_str(&text).expect("json");
            let session = value["body"]["session"].as_str().expect("session");
            Manifest::from_plaintext(session, &value).unwrap_or_else(|e| panic!("{name}: {e}"));
        } else {
            SignedManifest::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
