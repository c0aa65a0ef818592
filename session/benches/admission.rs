//! Join to manifest, with and without a required credential: a host and one guest against a
//! mediator in this process (SQLite, HTTP on loopback), the way `session/tests/integration/lobby.rs` drives
//! the lobby; the time from the guest's preview of the invitation to its verified, ready
//! manifest. `cargo bench -p mpc-session --bench admission [ROUNDS]`; figures go into
//! docs/BENCHMARKS.md ("Who is behind a DID").

use std::time::{Duration, Instant};

use mpc_client::mediator::MediatorClient;
use mpc_client::resolver::Resolver;
use mpc_identity::credential::{Claims, issue};
use mpc_identity::keystore::{DidMethod, Keystore, UnlockedIdentity};
use mpc_identity::peerbook::PeerBook;
use mpc_session::lobby::{self, CreateOptions};
use mpc_session::messages::Requirement;
use mpc_session::store::{SessionState, SessionStore};

struct Party {
    me: UnlockedIdentity,
    store: SessionStore,
    resolver: Resolver,
    _home: tempfile::TempDir,
}

async fn party(name: &str, url: &str) -> Party {
    let home = tempfile::tempdir().expect("home");
    let keystore = Keystore::open(home.path()).expect("keystore");
    let mediator = MediatorClient::connect(url).await.expect("mediator");
    let me = keystore.create(name, DidMethod::Peer, Some(mediator.routing_endpoint()), "pw").expect("new");
    mediator.enroll_with(&me, None).await.expect("enroll");
    let resolver = Resolver::new(Some(PeerBook::open(home.path())));
    Party { me, store: SessionStore::open(home.path()), resolver, _home: home }
}

/// One session: create, then the guest's preview, presentation, join; the host's sync (which
/// checks the proof, admits and sends the manifest); the guest's sync (which verifies it).
/// Returns the guest's time from preview to ready.
async fn one_session(
    host: &Party,
    guest: &Party,
    program: &std::path::Path,
    credential: Option<(&Requirement, &serde_json::Value)>,
) -> Duration {
    let options = CreateOptions {
        name: "bench".to_owned(),
        parties: 2,
        program: Some(program.to_owned()),
        args: Vec::new(),
        ttl: Duration::from_secs(600),
        order: None,
        confirm: false,
        mpyc_ssl: false,
        mpyc_version: "0.11".to_owned(),
        label: None,
        share_program: false,
        roles: Vec::new(),
        my_role: None,
        requirements: credential.map(|(r, _)| vec![r.clone()]).unwrap_or_default(),
    };
    let created = lobby::create(&host.me, &host.store, options).await.expect("create");
    let url = created.invitation_url.clone().expect("link");
    let started = Instant::now();
    let offered = lobby::preview(&guest.me, &guest.resolver, &url, mpc_identity::unix_now()).await.expect("preview");
    let held: Vec<serde_json::Value> = credential.map(|(_, c)| vec![c.clone()]).unwrap_or_default();
    let presentation =
        mpc_session::proofs::presentation_for(&guest.me, &guest.resolver, &offered.offer, &offered.host, &held)
            .await
            .expect("presentation");
    lobby::accept(&guest.me, &guest.store, offered, Some(program.to_owned()), None, None, presentation)
        .await
        .expect("join");
    lobby::sync(&host.me, &host.store, &host.resolver).await.expect("host");
    lobby::sync(&guest.me, &guest.store, &guest.resolver).await.expect("guest");
    let elapsed = started.elapsed();
    let record = guest.store.find(&created.id).expect("record");
    assert_eq!(record.state, SessionState::Ready, "{:?}", record.problem);
    elapsed
}

fn main() {
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(20);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let data = tempfile::tempdir().expect("data");
        let mut config = mpc_mediator::MediatorConfig::local(data.path());
        config.rate_limit_ip = 0;
        config.rate_limit_did = 0;
        // Every round creates a session, and so a short link.
        config.oob_per_identity = 1000;
        let mediator = mpc_mediator::start(config).await.expect("mediator");
        let url = format!("http://{}/", mediator.address);
        let (host, guest) = (party("host", &url).await, party("guest", &url).await);
        let org_home = tempfile::tempdir().expect("org");
        let org = Keystore::open(org_home.path()).expect("ks").create("org", DidMethod::Peer, None, "pw").expect("org");
        let now = mpc_identity::unix_now();
        let claims = Claims {
            subject: &guest.me.record.did,
            credential_type: "MemberCredential",
            claims: &[],
            valid_from: now,
            valid_until: Some(now + 3600),
        };
        let credential = issue(&org.keys, &org.record.signing_kid(), &org.record.did, &claims).expect("issue");
        let requirement = Requirement::Credential {
            issuer: org.record.did.clone(),
            credential_type: Some("MemberCredential".to_owned()),
        };
        let files = tempfile::tempdir().expect("files");
        let program = files.path().join("hello.py");
        std::fs::write(&program, "print('hello')\n").expect("program");
        let (mut plain, mut proven) = (Vec::new(), Vec::new());
        // Interleaved, so drift hits both alike; the first of each is a warm-up.
        for _ in 0..=rounds {
            plain.push(one_session(&host, &guest, &program, None).await);
            proven.push(one_session(&host, &guest, &program, Some((&requirement, &credential))).await);
        }
        for (label, mut times) in [("without a credential", plain), ("with a required credential", proven)] {
            times.remove(0);
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            println!(
                "join to manifest, {label}: median {:.1} ms, min {:.1} ms, max {:.1} ms ({} sessions)",
                ms(times[times.len() / 2]),
                ms(times[0]),
                ms(times[times.len() - 1]),
                times.len()
            );
        }
        mediator.stop().await.expect("stop");
    });
}
