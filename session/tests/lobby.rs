//! The lobby in one process: a real mediator (SQLite, HTTP on loopback) started in the test, and
//! parties as the library sees them (keystore, unlocked identity, session store, resolver), with
//! no CLI binary and no MPyC. Joins, admission, refusals, the manifest and leaving, in seconds.

use std::path::PathBuf;
use std::time::Duration;

use mpc_client::mediator::MediatorClient;
use mpc_client::resolver::Resolver;
use mpc_identity::keystore::{DidMethod, Keystore, UnlockedIdentity};
use mpc_identity::peerbook::PeerBook;
use mpc_session::lobby::{self, CreateOptions};
use mpc_session::store::{MemberStatus, SessionState, SessionStore};

const PASSPHRASE: &str = "lobby test passphrase";

/// A party: its keystore (in a directory of its own), unlocked identity, sessions and resolver.
struct Party {
    me: UnlockedIdentity,
    store: SessionStore,
    resolver: Resolver,
    _home: tempfile::TempDir,
}

impl Party {
    /// A did:peer identity enrolled at the mediator `url`.
    async fn enrolled(name: &str, url: &str) -> Party {
        let home = tempfile::tempdir().expect("home");
        let keystore = Keystore::open(home.path()).expect("keystore");
        let mediator = MediatorClient::connect(url).await.expect("the mediator answers");
        let me = keystore.create(name, DidMethod::Peer, Some(mediator.routing_endpoint()), PASSPHRASE).expect("new");
        mediator.enroll_with(&me, None).await.expect("enrolled");
        let resolver = Resolver::new(Some(PeerBook::open(home.path())));
        Party { me, store: SessionStore::open(home.path()), resolver, _home: home }
    }

    fn did(&self) -> &str {
        &self.me.record.did
    }
}

/// A mediator in this process, and the parties `names` enrolled at it (the first hosts).
async fn lobby_of(names: &[&str]) -> (mpc_mediator::RunningMediator, tempfile::TempDir, Vec<Party>) {
    let data = tempfile::tempdir().expect("data");
    let mediator = mpc_mediator::start(mpc_mediator::MediatorConfig::local(data.path())).await.expect("mediator");
    let url = format!("http://{}/", mediator.address);
    let mut parties = Vec::new();
    for name in names {
        parties.push(Party::enrolled(name, &url).await);
    }
    (mediator, data, parties)
}

/// A program file with `text`, in `dir`.
fn program(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("program");
    path
}

fn options(parties: usize, program: Option<PathBuf>) -> CreateOptions {
    CreateOptions {
        name: "in-process".to_owned(),
        parties,
        program,
        args: vec!["--no-log".to_owned()],
        ttl: Duration::from_secs(600),
        order: None,
        confirm: false,
        mpyc_ssl: false,
        mpyc_version: "0.11".to_owned(),
        label: None,
        share_program: false,
        roles: Vec::new(),
        my_role: None,
    }
}

#[tokio::test]
async fn three_parties_join_and_each_verifies_the_hosts_manifest() {
    let (_mediator, _data, parties) = lobby_of(&["alice", "bob", "carol"]).await;
    let files = tempfile::tempdir().expect("files");
    let sum = program(files.path(), "sum.py", "print('sum')\n");
    let [host, bob, carol] = &parties[..] else { unreachable!() };
    let created = lobby::create(&host.me, &host.store, options(3, Some(sum.clone()))).await.expect("create");
    let url = created.invitation_url.clone().expect("a short link");
    for (party, label) in [(bob, "Bob"), (carol, "Carol")] {
        let joined = lobby::join(&party.me, &party.store, &party.resolver, &url, Some(sum.clone()), Some(label.into()))
            .await
            .expect("join");
        assert_eq!(joined.state, SessionState::Open, "asked, not yet answered");
    }
    // The host hears both requests, admits them (no --confirm) and, full, signs the manifest.
    assert!(lobby::sync(&host.me, &host.store, &host.resolver).await.expect("host sync") >= 2);
    let mut record = host.store.find(&created.id).expect("the host's record");
    lobby::send_manifest_if_full(&host.me, &host.store, &host.resolver, &mut record, None).await.expect("manifest");
    assert_eq!(record.state, SessionState::Ready);
    for party in [bob, carol] {
        lobby::sync(&party.me, &party.store, &party.resolver).await.expect("sync");
        let record = party.store.find(&created.id).expect("record");
        assert_eq!(record.state, SessionState::Ready, "{}: {:?}", party.me.record.name, record.problem);
        let manifest = lobby::manifest_of(&party.me, &party.resolver, &record).await.expect("the manifest verifies");
        let order: Vec<&str> = manifest.parties.iter().map(|p| p.did.as_str()).collect();
        assert_eq!(order, [host.did(), bob.did(), carol.did()], "admission order");
        assert_eq!(manifest.parties[1].label.as_deref(), Some("Bob"));
        assert_eq!(manifest.args, ["--no-log"]);
    }
}

#[tokio::test]
async fn a_joiner_whose_program_differs_is_refused_before_anything_is_sent() {
    let (_mediator, _data, parties) = lobby_of(&["alice", "bob"]).await;
    let files = tempfile::tempdir().expect("files");
    let agreed = program(files.path(), "agreed.py", "print('agreed')\n");
    let other = program(files.path(), "other.py", "print('something else')\n");
    let [host, bob] = &parties[..] else { unreachable!() };
    let created = lobby::create(&host.me, &host.store, options(2, Some(agreed))).await.expect("create");
    let url = created.invitation_url.clone().expect("url");
    let refused = lobby::join(&bob.me, &bob.store, &bob.resolver, &url, Some(other), None).await;
    let error = refused.expect_err("another program").to_string();
    let agreed_digest = created.offer.program_sha256.clone().expect("the agreed digest");
    assert!(error.contains(&agreed_digest) && error.contains("refusing to run it"), "{error}");
    assert!(bob.store.list().expect("list").is_empty(), "nothing stored for a refused join");
    lobby::sync(&host.me, &host.store, &host.resolver).await.expect("host sync");
    let record = host.store.find(&created.id).expect("record");
    assert_eq!(record.members.len(), 1, "only the host: no request was sent");
}

#[tokio::test]
async fn a_host_that_confirms_by_hand_refuses_and_the_joiner_hears_why() {
    let (_mediator, _data, parties) = lobby_of(&["alice", "bob"]).await;
    let files = tempfile::tempdir().expect("files");
    let sum = program(files.path(), "sum.py", "print('sum')\n");
    let [host, bob] = &parties[..] else { unreachable!() };
    let created =
        lobby::create(&host.me, &host.store, CreateOptions { confirm: true, ..options(2, Some(sum.clone())) })
            .await
            .expect("create");
    let url = created.invitation_url.clone().expect("url");
    lobby::join(&bob.me, &bob.store, &bob.resolver, &url, Some(sum), None).await.expect("join");
    lobby::sync(&host.me, &host.store, &host.resolver).await.expect("host sync");
    let mut record = host.store.find(&created.id).expect("record");
    let waiting: Vec<_> = record.members.iter().filter(|m| m.status == MemberStatus::Pending).collect();
    assert_eq!(waiting.len(), 1, "bob waits for the host: {:?}", record.members);
    let bob_did = bob.did().to_owned();
    lobby::decide(&host.me, &host.store, &mut record, &bob_did, Some("not this time".into())).await.expect("refuse");
    lobby::sync(&bob.me, &bob.store, &bob.resolver).await.expect("bob sync");
    let heard = bob.store.find(&created.id).expect("record");
    assert_eq!(heard.state, SessionState::Refused { reason: "not this time".into() });
}

#[tokio::test]
async fn a_guest_who_leaves_is_no_longer_counted_by_the_host() {
    let (_mediator, _data, parties) = lobby_of(&["alice", "bob", "carol"]).await;
    let files = tempfile::tempdir().expect("files");
    let sum = program(files.path(), "sum.py", "print('sum')\n");
    let [host, bob, _carol] = &parties[..] else { unreachable!() };
    let created = lobby::create(&host.me, &host.store, options(3, Some(sum.clone()))).await.expect("create");
    let url = created.invitation_url.clone().expect("url");
    let mut joined = lobby::join(&bob.me, &bob.store, &bob.resolver, &url, Some(sum), None).await.expect("join");
    lobby::sync(&host.me, &host.store, &host.resolver).await.expect("host sync");
    let admitted = host.store.find(&created.id).expect("record").admitted().count();
    assert_eq!(admitted, 2, "the host and bob");
    lobby::sync(&bob.me, &bob.store, &bob.resolver).await.expect("bob sync");
    joined = bob.store.find(&joined.id).expect("record");
    lobby::leave(&bob.me, &bob.store, &bob.resolver, &mut joined).await.expect("leave");
    assert!(matches!(joined.state, SessionState::Closed { .. }), "{:?}", joined.state);
    lobby::sync(&host.me, &host.store, &host.resolver).await.expect("host sync");
    let record = host.store.find(&created.id).expect("record");
    assert_eq!(record.admitted().count(), 1, "only the host is left: {:?}", record.members);
    assert!(record.members.iter().any(|m| m.did == bob.did() && m.status == MemberStatus::Left));
}
