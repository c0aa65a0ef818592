//! Invitation sign and verify, did:peer:2 encode and resolve. `cargo bench -p mpc-identity`;
//! figures go into docs/BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mpc_identity::did::{self, MediatorEndpoint, peer2};
use mpc_identity::invitation::{Invitation, SignedInvitation};
use mpc_identity::keys::{PartyKeys, PublicKey};
use mpc_identity::keystore::{DidMethod, Keystore};
use mpc_identity::unix_now;

fn invitations(c: &mut Criterion) {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path()).expect("keystore");
    let mediator = MediatorEndpoint::from_url("https://mediator.example.org").expect("url");
    let mut group = c.benchmark_group("invitation");
    group.throughput(Throughput::Elements(1));
    for (label, method) in [("did-peer-2", DidMethod::Peer), ("did-key", DidMethod::Key)] {
        let party = store.create(label, method, Some(mediator.clone()), "pw").expect("create");
        let kid = party.record.signing_kid();
        let invitation = Invitation::new(&party.record, None, Some("bench"), Duration::from_secs(3600), unix_now());
        group.bench_function(format!("sign/{label}"), |b| {
            b.iter(|| black_box(invitation.sign(&party.keys, &kid).expect("sign")))
        });
        let json = invitation.sign(&party.keys, &kid).expect("sign").to_json();
        let now = unix_now();
        // What a receiver does with bytes off the wire: parse, resolve, verify, check.
        group.bench_function(format!("parse+verify/{label}"), |b| {
            b.iter(|| black_box(SignedInvitation::parse(black_box(&json)).expect("parse").verify(now).expect("verify")))
        });
    }
    group.finish();
}

/// The floor: one strict Ed25519 verification, which every invitation verification contains.
fn ed25519_baseline(c: &mut Criterion) {
    use ed25519_dalek::Signer;
    let keys = PartyKeys::generate().expect("rng");
    let message = [7u8; 600];
    let signature = keys.signing_key().sign(&message);
    let key = keys.verifying_key();
    c.bench_function("ed25519/verify_strict", |b| {
        b.iter(|| black_box(key.verify_strict(black_box(&message), &signature).is_ok()))
    });
}

fn did_peer_2(c: &mut Criterion) {
    let keys = PartyKeys::generate().expect("rng");
    let ed = PublicKey::Ed25519(keys.verifying_key());
    let x = PublicKey::X25519(keys.agreement_public());
    let mediator = MediatorEndpoint::from_url("https://mediator.example.org").expect("url");
    let mut group = c.benchmark_group("did-peer-2");
    group.throughput(Throughput::Elements(1));
    group.bench_function("encode", |b| b.iter(|| black_box(peer2::for_party(ed, x, Some(&mediator)).expect("encode"))));
    let did = peer2::for_party(ed, x, Some(&mediator)).expect("encode");
    group.bench_function("resolve", |b| b.iter(|| black_box(did::resolve(black_box(&did)).expect("resolve"))));
    group.finish();
}

criterion_group!(benches, invitations, ed25519_baseline, did_peer_2);
criterion_main!(benches);
