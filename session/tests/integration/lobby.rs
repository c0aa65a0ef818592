//! The lobby in one process: a real mediator (SQLite, HTTP on loopback) started in the test, and
//! parties as the library sees them (keystore, unlocked identity, session store, resolver), with
//! no CLI binary and no MPyC. Joins, admission, refusals, the manifest and leaving, in seconds.

use std::path::PathBuf;
use std::time::Duration;

use mpc_client::mediator::MediatorClient;
use mpc_client::resolver::Resolver;
use mpc_identity::keystore::{DidMethod, Keystore, UnlockedIdentity};
use mpc_identity::peerbook::PeerBook;
use mpc_session::joining::{JoinOptions, Joining};
use mpc_session::lobby::{self, CreateOptions};
use mpc_session::store::{MemberStatus, SessionRecord, SessionState, SessionStore};

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

    fn home(&self) -> &std::path::Path {
        self._home.path()
    }

    /// Joins with the party's own copy of `program`, under `label`.
    async fn join(&self, url: &str, program: PathBuf, label: Option<&str>) -> mpc_session::Result<SessionRecord> {
        let options = JoinOptions { program: Some(program), label: label.map(str::to_owned), ..JoinOptions::default() };
        mpc_session::joining::join(&self.me, &self.store, &self.resolver, self.home(), url, options).await
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
        requirements: Vec::new(),
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
        let joined = party.join(&url, sum.clone(), Some(label)).await.expect("join");
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
    let refused = bob.join(&url, other, None).await;
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
    bob.join(&url, sum, None).await.expect("join");
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

/// A session invitation past its lifetime is refused when previewed, naming the expiry, and
/// nothing is stored or sent: the joiner's clock is moved, not waited for.
#[tokio::test]
async fn an_expired_session_invitation_is_refused_before_anything_is_sent() {
    let (_mediator, _data, parties) = lobby_of(&["alice", "bob"]).await;
    let files = tempfile::tempdir().expect("files");
    let sum = program(files.path(), "sum.py", "print('sum')\n");
    let [host, bob] = &parties[..] else { unreachable!() };
    let brief = CreateOptions { ttl: Duration::from_secs(2), ..options(2, Some(sum.clone())) };
    let created = lobby::create(&host.me, &host.store, brief).await.expect("create");
    let url = created.invitation_url.clone().expect("url");
    let now = mpc_identity::unix_now();
    Joining::preview_at(&bob.me, &bob.resolver, &url, now).await.expect("within its lifetime it previews");
    let Err(late) = Joining::preview_at(&bob.me, &bob.resolver, &url, now + 3).await else {
        panic!("an invitation past its lifetime previewed");
    };
    assert!(late.to_string().contains("expired"), "{late}");
    assert!(bob.store.find(&created.id).is_err(), "nothing stored for an expired session");
}

#[tokio::test]
async fn a_guest_who_leaves_is_no_longer_counted_by_the_host() {
    let (_mediator, _data, parties) = lobby_of(&["alice", "bob", "carol"]).await;
    let files = tempfile::tempdir().expect("files");
    let sum = program(files.path(), "sum.py", "print('sum')\n");
    let [host, bob, _carol] = &parties[..] else { unreachable!() };
    let created = lobby::create(&host.me, &host.store, options(3, Some(sum.clone()))).await.expect("create");
    let url = created.invitation_url.clone().expect("url");
    let mut joined = bob.join(&url, sum, None).await.expect("join");
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

/// Admission by proof: a session that requires a credential from an issuer admits the party that
/// presents one (bound to this session and host), refuses a party that presents none or presents
/// someone else's, saying which proof is missing; the manifest carries the presentation, which
/// the admitted party checks again and which reads as what it proved.
#[tokio::test]
async fn a_session_admits_only_parties_that_prove_the_required_credential() {
    use mpc_identity::credential::{Claims, issue};
    use mpc_session::messages::Requirement;
    let (_mediator, _data, parties) = lobby_of(&["host", "alice", "mallory", "carol"]).await;
    let [host, alice, mallory, carol] = &parties[..] else { unreachable!() };
    // The organisation that vouches for its members: an identity of its own, not a party.
    let org_home = tempfile::tempdir().expect("org");
    let org = Keystore::open(org_home.path())
        .expect("keystore")
        .create("org", DidMethod::Peer, None, PASSPHRASE)
        .expect("org");
    let now = mpc_identity::unix_now();
    let member = |subject: &str| {
        let claims = [("department".to_owned(), "oncology".to_owned())];
        let claims = Claims {
            subject,
            credential_type: "MemberCredential",
            claims: &claims,
            valid_from: now,
            valid_until: Some(now + 3600),
        };
        issue(&org.keys, &org.record.signing_kid(), &org.record.did, &claims).expect("issued")
    };
    let requirement = Requirement::Credential {
        issuer: org.record.did.clone(),
        credential_type: Some("MemberCredential".to_owned()),
    };
    let files = tempfile::tempdir().expect("files");
    let sum = program(files.path(), "sum.py", "print('sum')\n");
    let created = lobby::create(
        &host.me,
        &host.store,
        CreateOptions { requirements: vec![requirement], ..options(2, Some(sum)) },
    )
    .await
    .expect("create");
    let url = created.invitation_url.clone().expect("a short link");

    // Mallory holds no credential: told so before anything is sent; sending without, refused.
    let offered =
        lobby::preview(&mallory.me, &mallory.resolver, &url, mpc_identity::unix_now()).await.expect("preview");
    let err = mpc_session::proofs::presentation_for(&mallory.me, &mallory.resolver, &offered.offer, &offered.host, &[])
        .await
        .expect_err("no credential");
    assert!(err.to_string().contains("MemberCredential credential from"), "{err}");
    lobby::accept(&mallory.me, &mallory.store, offered, None, None, None, None).await.expect("sent anyway");
    // Carol presents Alice's credential in a presentation of her own.
    let offered = lobby::preview(&carol.me, &carol.resolver, &url, mpc_identity::unix_now()).await.expect("preview");
    let stolen = mpc_identity::presentation::present(
        &carol.me.keys,
        &carol.me.record.signing_kid(),
        carol.did(),
        vec![member(alice.did())],
        &offered.offer.session,
        &offered.host,
        now,
    )
    .expect("presentation");
    lobby::accept(&carol.me, &carol.store, offered, None, None, None, Some(stolen)).await.expect("sent");
    // Alice presents her own.
    let offered = lobby::preview(&alice.me, &alice.resolver, &url, mpc_identity::unix_now()).await.expect("preview");
    let presentation = mpc_session::proofs::presentation_for(
        &alice.me,
        &alice.resolver,
        &offered.offer,
        &offered.host,
        &[member(alice.did())],
    )
    .await
    .expect("alice's presentation");
    lobby::accept(&alice.me, &alice.store, offered, None, None, None, presentation).await.expect("join");

    lobby::sync(&host.me, &host.store, &host.resolver).await.expect("host sync");
    let record = host.store.find(&created.id).expect("record");
    let status = |did: &str| record.members.iter().find(|m| m.did == did).map(|m| m.status.clone());
    assert_eq!(status(alice.did()), Some(MemberStatus::Admitted), "{:?}", record.members);
    for (party, needle) in [(mallory, "no credential was presented"), (carol, "not its holder")] {
        lobby::sync(&party.me, &party.store, &party.resolver).await.expect("sync");
        match party.store.find(&created.id).expect("record").state {
            SessionState::Refused { reason } => {
                assert!(reason.contains("credential") && reason.contains(needle), "{}: {reason}", party.me.record.name);
            }
            other => panic!("{} was not refused: {other:?}", party.me.record.name),
        }
    }
    // Full with Alice: the manifest carries her presentation, which she checks again.
    let mut record = host.store.find(&created.id).expect("record");
    lobby::send_manifest_if_full(&host.me, &host.store, &host.resolver, &mut record, None).await.expect("manifest");
    assert_eq!(record.state, SessionState::Ready, "{:?}", record.members);
    lobby::sync(&alice.me, &alice.store, &alice.resolver).await.expect("alice sync");
    let record = alice.store.find(&created.id).expect("record");
    assert_eq!(record.state, SessionState::Ready, "{:?}", record.problem);
    let manifest = lobby::manifest_of(&alice.me, &alice.resolver, &record).await.expect("manifest");
    let entry = manifest.entry_of(alice.did()).expect("alice");
    let proven = mpc_session::proofs::proven(entry.presentation.as_ref(), &entry.domains);
    assert!(
        proven.iter().any(|line| line.starts_with("MemberCredential from") && line.contains("oncology")),
        "{proven:?}"
    );
}

/// A program the host shares is fetched, checked and shown before the joiner agrees, and saved
/// only when it joins, into mpc-id's own directory for the session: nothing the host sent chose
/// the path, and nothing was written before the decision.
#[tokio::test]
async fn a_shared_program_is_shown_before_joining_and_saved_only_into_the_joiners_own_directory() {
    let (_mediator, _data, parties) = lobby_of(&["alice", "bob"]).await;
    let files = tempfile::tempdir().expect("files");
    let text = "print('shared by the host')\n";
    let sum = files.path().join("sum");
    std::fs::create_dir(&sum).expect("a program directory");
    program(&sum, "__main__.py", text);
    let [host, bob] = &parties[..] else { unreachable!() };
    let shared = CreateOptions { share_program: true, ..options(2, Some(sum)) };
    let created = lobby::create(&host.me, &host.store, shared).await.expect("create");
    let url = created.invitation_url.clone().expect("url");

    let mut joining = Joining::preview(&bob.me, &bob.resolver, &url).await.expect("preview");
    assert_eq!(joining.offered().offer.session, created.id);
    joining.prepare(&bob.me, &bob.resolver, bob.home(), JoinOptions::default()).await.expect("prepare");
    let shown = joining.shared_program().expect("the host's program, fetched for the joiner to read");
    let expected_dir = bob.home().join("programs").join(&created.id);
    assert_eq!(shown.dir, expected_dir);
    let paths: Vec<&str> = shown.bundle.files.iter().map(|(file, _)| file.path.as_str()).collect();
    assert_eq!(paths, ["__main__.py"]);
    assert!(!expected_dir.exists(), "nothing is written before the joiner agrees");
    assert!(bob.store.list().expect("list").is_empty(), "nothing stored before the joiner agrees");

    let record = joining.join(&bob.me, &bob.store).await.expect("join");
    assert_eq!(record.program.as_deref(), Some(expected_dir.as_path()));
    assert_eq!(std::fs::read_to_string(expected_dir.join("__main__.py")).expect("saved"), text);
    lobby::sync(&host.me, &host.store, &host.resolver).await.expect("host sync");
    assert_eq!(host.store.find(&created.id).expect("record").members.len(), 2, "bob's request arrived");
}

/// A directory that already exists is never written into: the join stops there, before
/// anything is sent, and the joiner's files are untouched.
#[tokio::test]
async fn a_shared_program_never_lands_in_an_existing_directory_and_the_join_stops_before_sending() {
    let (_mediator, _data, parties) = lobby_of(&["alice", "bob"]).await;
    let files = tempfile::tempdir().expect("files");
    let sum = files.path().join("sum");
    std::fs::create_dir(&sum).expect("a program directory");
    program(&sum, "__main__.py", "print('sum')\n");
    let [host, bob] = &parties[..] else { unreachable!() };
    let shared = CreateOptions { share_program: true, ..options(2, Some(sum)) };
    let created = lobby::create(&host.me, &host.store, shared).await.expect("create");
    let url = created.invitation_url.clone().expect("url");
    let existing = tempfile::tempdir().expect("the joiner's directory");
    std::fs::write(existing.path().join("__main__.py"), "mine").expect("a file of the joiner's");

    let options = JoinOptions { program_dir: Some(existing.path().to_owned()), ..JoinOptions::default() };
    let mut joining = Joining::preview(&bob.me, &bob.resolver, &url).await.expect("preview");
    joining.prepare(&bob.me, &bob.resolver, bob.home(), options).await.expect("prepare");
    let error = joining.join(&bob.me, &bob.store).await.expect_err("an existing directory").to_string();
    assert!(error.contains(&existing.path().display().to_string()), "{error}");
    assert_eq!(std::fs::read_to_string(existing.path().join("__main__.py")).expect("kept"), "mine");
    assert!(bob.store.list().expect("list").is_empty(), "nothing stored");
    lobby::sync(&host.me, &host.store, &host.resolver).await.expect("host sync");
    assert_eq!(host.store.find(&created.id).expect("record").members.len(), 1, "no request was sent");
}

/// A host that fixes the party order gets it whatever order the parties join in, and a DID the
/// order does not name is refused, told why, and never counted.
#[tokio::test]
async fn a_fixed_party_order_holds_whoever_joins_first_and_strangers_are_refused() {
    let (_mediator, _data, parties) = lobby_of(&["alice", "bob", "carol", "mallory"]).await;
    let files = tempfile::tempdir().expect("files");
    let sum = program(files.path(), "sum.py", "print('sum')\n");
    let [host, bob, carol, mallory] = &parties[..] else { unreachable!() };
    let order = vec![carol.did().to_owned(), host.did().to_owned(), bob.did().to_owned()];
    let ordered = CreateOptions { order: Some(order.clone()), ..options(3, Some(sum.clone())) };
    let created = lobby::create(&host.me, &host.store, ordered).await.expect("create");
    let url = created.invitation_url.clone().expect("url");
    // Bob first, then the stranger, then Carol.
    bob.join(&url, sum.clone(), None).await.expect("bob joins");
    mallory.join(&url, sum.clone(), None).await.expect("mallory's request is sent");
    carol.join(&url, sum, None).await.expect("carol joins");
    lobby::sync(&host.me, &host.store, &host.resolver).await.expect("host sync");
    let mut record = host.store.find(&created.id).expect("record");
    assert!(record.admitted().all(|m| m.did != mallory.did()), "a DID outside the order is never admitted");
    let stranger = record.members.iter().find(|m| m.did == mallory.did()).expect("the request is recorded");
    assert!(matches!(&stranger.status, MemberStatus::Refused { reason } if reason.contains("party list")));
    lobby::send_manifest_if_full(&host.me, &host.store, &host.resolver, &mut record, None).await.expect("manifest");
    assert_eq!(record.state, SessionState::Ready);
    for party in [bob, carol] {
        lobby::sync(&party.me, &party.store, &party.resolver).await.expect("sync");
        let record = party.store.find(&created.id).expect("record");
        let manifest = lobby::manifest_of(&party.me, &party.resolver, &record).await.expect("manifest");
        let dids: Vec<&str> = manifest.parties.iter().map(|p| p.did.as_str()).collect();
        assert_eq!(dids, order.iter().map(String::as_str).collect::<Vec<_>>(), "the host's order, not join order");
    }
    lobby::sync(&mallory.me, &mallory.store, &mallory.resolver).await.expect("mallory syncs");
    let refused = mallory.store.find(&created.id).expect("mallory's record");
    let SessionState::Refused { reason } = &refused.state else { panic!("not refused: {:?}", refused.state) };
    assert!(reason.contains("party list"), "{reason}");
}
