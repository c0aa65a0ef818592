//! did:webvh: verifying a whole log of 1, 10 and 100 entries (what every resolution does), and
//! writing one entry. `cargo bench -p mpc-identity --bench webvh`; figures go into
//! docs/BENCHMARKS.md.

use std::hint::black_box;

use chrono::{Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use mpc_identity::did::MediatorEndpoint;
use mpc_identity::did::webvh::{self, Change, PartyDocument};
use mpc_identity::keys::{PartyKeys, PublicKey};

fn key() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("rng");
    SigningKey::from_bytes(&seed)
}

fn party() -> PartyDocument {
    let keys = PartyKeys::generate().expect("keys");
    PartyDocument {
        authentication: PublicKey::Ed25519(keys.verifying_key()),
        key_agreement: PublicKey::X25519(keys.agreement_public()),
        mediator: Some(MediatorEndpoint { uri: "https://mediator.example.org/didcomm".into(), routing_keys: vec![] }),
        linked_domains: Vec::new(),
    }
}

/// A log of `entries` entries with pre-rotation, one key rotation per entry, a second apart.
fn log_of(entries: usize) -> (String, String, SigningKey) {
    let start = Utc::now() - Duration::seconds(entries as i64 + 10);
    let (mut signer, mut next) = (key(), key());
    let (did, mut log) = webvh::create(
        "did:webvh:{SCID}:mediator.example.org:parties:bench",
        &party(),
        &signer,
        Some(&next),
        None,
        Some(start.fixed_offset()),
    )
    .expect("create");
    for i in 1..entries {
        let after = key();
        let at = (start + Duration::seconds(i as i64)).fixed_offset();
        log = webvh::append(&did, &log, &Change::Document(Box::new(party())), &next, Some(&after), Some(at))
            .expect("append");
        signer = std::mem::replace(&mut next, after);
    }
    drop(signer);
    (did, log, next)
}

fn verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("webvh");
    for entries in [1, 10, 100] {
        let (did, log, _) = log_of(entries);
        group.bench_function(format!("verify/{entries}-entries"), |b| {
            b.iter(|| black_box(webvh::verify(black_box(&did), black_box(&log), None).expect("verifies")))
        });
    }
    let (did, log, next) = log_of(10);
    let change = Change::Document(Box::new(party()));
    let following = key();
    group.bench_function("append/to-10-entries", |b| {
        b.iter(|| {
            // `append` checks the log it extends entry by entry, then writes and signs one entry.
            let when = Some(Utc::now().fixed_offset());
            black_box(webvh::append(&did, &log, &change, &next, Some(&following), when).expect("append"))
        })
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
