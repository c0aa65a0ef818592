//! The keystore on a real filesystem: encryption, permissions, damage and concurrent writers.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Barrier};

use mpc_identity::Error;
use mpc_identity::keys::PublicKey;
use mpc_identity::keystore::{DidMethod, Keystore};
use serde_json::Value;

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn identities_are_stored_encrypted_and_owner_only() {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path().join("store")).expect("open");
    let created = store.create("alice", DidMethod::Peer, None, "hunter2-but-longer").expect("create");
    let file = home.path().join("store/identities/alice.json");
    assert_eq!(mode(&home.path().join("store")), 0o700);
    assert_eq!(mode(&home.path().join("store/identities")), 0o700);
    assert_eq!(mode(&file), 0o600);

    let text = fs::read_to_string(&file).expect("read");
    let secret = created.keys.signing_key().to_bytes();
    let secret_b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, secret);
    assert!(!text.contains(&secret_b64), "secret key stored in clear");
    let json: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(json["sealed"]["kdf"], "argon2id");

    let unlocked = store.unlock("alice", "hunter2-but-longer").expect("unlock");
    assert_eq!(unlocked.keys.verifying_key(), created.keys.verifying_key());
    assert_eq!(PublicKey::X25519(unlocked.keys.agreement_public()).to_multikey(), created.record.key_agreement_key);
}

#[test]
fn a_wrong_passphrase_is_a_clear_error_and_changes_nothing() {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path()).expect("open");
    store.create("alice", DidMethod::Key, None, "right").expect("create");
    let file = home.path().join("identities/alice.json");
    let before = fs::read(&file).expect("read");
    let err = store.unlock("alice", "wrong").expect_err("wrong passphrase");
    assert!(matches!(err, Error::WrongPassphrase { ref name } if name == "alice"), "{err}");
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
    assert_eq!(fs::read(&file).expect("read"), before);
    assert!(store.unlock("alice", "right").is_ok());
    assert!(matches!(store.create("bob", DidMethod::Key, None, ""), Err(Error::EmptyPassphrase)));
}

#[test]
fn loose_permissions_are_tightened() {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path()).expect("open");
    store.create("alice", DidMethod::Peer, None, "pw").expect("create");
    let file = home.path().join("identities/alice.json");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("chmod");
    fs::set_permissions(home.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let store = Keystore::open(home.path()).expect("reopen");
    store.load("alice").expect("load");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(home.path()), 0o700);
}

#[test]
fn edited_or_swapped_files_are_detected() {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path()).expect("open");
    store.create("alice", DidMethod::Peer, None, "pw").expect("alice");
    store.create("bob", DidMethod::Peer, None, "pw").expect("bob");
    let alice_path = home.path().join("identities/alice.json");
    let bob_path = home.path().join("identities/bob.json");
    let original = fs::read_to_string(&alice_path).expect("read");

    // A key swapped in the public record no longer matches the DID.
    let mut edited: Value = serde_json::from_str(&original).expect("json");
    let bob: Value = serde_json::from_str(&fs::read_to_string(&bob_path).expect("read")).expect("json");
    edited["identity"]["key_agreement_key"] = bob["identity"]["key_agreement_key"].clone();
    fs::write(&alice_path, edited.to_string()).expect("write");
    assert!(matches!(store.load("alice"), Err(Error::CorruptKeystore { .. })));

    // Bob's sealed keys in alice's file do not open: they are bound to bob's DID.
    let mut swapped: Value = serde_json::from_str(&original).expect("json");
    swapped["sealed"] = bob["sealed"].clone();
    fs::write(&alice_path, swapped.to_string()).expect("write");
    assert!(matches!(store.unlock("alice", "pw"), Err(Error::WrongPassphrase { .. })));

    // A truncated file is reported by name, and does not hide the others from `list`.
    fs::write(&alice_path, &original[..original.len() / 2]).expect("write");
    let listed = store.list().expect("list");
    assert_eq!(listed.len(), 2);
    assert!(matches!(&listed[0], Err(Error::CorruptKeystore { path, .. }) if path.ends_with("alice.json")));
    assert_eq!(listed[1].as_ref().expect("bob").name, "bob");
}

#[test]
fn names_symlinks_and_duplicates_are_refused() {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path()).expect("open");
    for bad in ["", "../etc", "a/b", "-x", ".hidden", &"n".repeat(65)] {
        assert!(matches!(store.create(bad, DidMethod::Key, None, "pw"), Err(Error::InvalidName { .. })), "{bad}");
    }
    store.create("alice", DidMethod::Key, None, "pw").expect("create");
    assert!(matches!(store.create("alice", DidMethod::Key, None, "pw"), Err(Error::IdentityExists { .. })));
    let target = home.path().join("elsewhere.json");
    fs::copy(home.path().join("identities/alice.json"), &target).expect("copy");
    std::os::unix::fs::symlink(&target, home.path().join("identities/linked.json")).expect("symlink");
    assert!(matches!(store.load("linked"), Err(Error::CorruptKeystore { .. })));
    assert!(matches!(store.load("nobody"), Err(Error::UnknownIdentity { .. })));
}

#[test]
fn concurrent_creates_never_corrupt_the_store() {
    let home = tempfile::tempdir().expect("tempdir");
    let threads = 12;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            let path = home.path().to_owned();
            std::thread::spawn(move || {
                let store = Keystore::open(path).expect("open");
                barrier.wait();
                // Half race for one name, half create their own.
                let name = if i % 2 == 0 { "contested".to_owned() } else { format!("party-{i}") };
                store.create(&name, DidMethod::Peer, None, &format!("pw{i}")).map(|id| (i, id.record.did))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().expect("thread")).collect();
    let contested_winners: Vec<_> = results
        .iter()
        .enumerate()
        .filter(|(i, r)| i % 2 == 0 && r.is_ok())
        .map(|(_, r)| r.as_ref().expect("ok").clone())
        .collect();
    assert_eq!(contested_winners.len(), 1, "exactly one writer wins a name");
    for (i, result) in results.iter().enumerate() {
        if i % 2 == 0 && result.is_err() {
            assert!(matches!(result, Err(Error::IdentityExists { .. })), "{result:?}");
        }
    }
    let store = Keystore::open(home.path()).expect("open");
    let listed: Vec<_> = store.list().expect("list").into_iter().map(|r| r.expect("every file intact")).collect();
    assert_eq!(listed.len(), 1 + threads / 2);
    let (winner, did) = &contested_winners[0];
    let unlocked = store.unlock("contested", &format!("pw{winner}")).expect("winner's passphrase opens it");
    assert_eq!(&unlocked.record.did, did);
    let leftovers: Vec<_> = fs::read_dir(home.path().join("identities"))
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}
