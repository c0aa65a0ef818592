//! Credentials and presentations: issue, verify one credential, verify a session's presentation
//! (its own proof, then its credential's), with the DID documents already resolved (did:peer:2,
//! computed). `cargo bench -p mpc-identity --bench credentials`; figures go into
//! docs/BENCHMARKS.md ("Who is behind a DID").

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mpc_identity::credential::{self, Claims};
use mpc_identity::keystore::{DidMethod, Keystore};
use mpc_identity::{did, presentation, unix_now};

fn credentials(c: &mut Criterion) {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Keystore::open(home.path()).expect("keystore");
    let org = store.create("org", DidMethod::Peer, None, "pw").expect("org");
    let alice = store.create("alice", DidMethod::Peer, None, "pw").expect("alice");
    let now = unix_now();
    let claims = [("department".to_owned(), "oncology".to_owned())];
    let claims = Claims {
        subject: &alice.record.did,
        credential_type: "MemberCredential",
        claims: &claims,
        valid_from: now,
        valid_until: Some(now + 3600),
    };
    let (org_document, alice_document) =
        (did::resolve(&org.record.did).expect("org"), did::resolve(&alice.record.did).expect("alice"));
    let mut group = c.benchmark_group("credential");
    group.throughput(Throughput::Elements(1));
    group.bench_function("issue", |b| {
        b.iter(|| {
            black_box(credential::issue(&org.keys, &org.record.signing_kid(), &org.record.did, &claims).expect("issue"))
        })
    });
    let issued = credential::issue(&org.keys, &org.record.signing_kid(), &org.record.did, &claims).expect("issue");
    group.bench_function("verify", |b| {
        b.iter(|| black_box(credential::verify(black_box(&issued), &org_document, now).expect("verify")))
    });
    let session = "0123456789abcdef0123456789abcdef";
    let shown = presentation::present(
        &alice.keys,
        &alice.record.signing_kid(),
        &alice.record.did,
        vec![issued.clone()],
        session,
        "did:example:host",
        now,
    )
    .expect("present");
    // What a host does per join request (documents resolved): the presentation's proof, then
    // its credential's.
    group.bench_function("verify-presentation", |b| {
        b.iter(|| {
            let credentials =
                presentation::verify(black_box(&shown), &alice_document, session, "did:example:host").expect("vp");
            for credential in &credentials {
                black_box(credential::verify(credential, &org_document, now).expect("vc"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, credentials);
criterion_main!(benches);
