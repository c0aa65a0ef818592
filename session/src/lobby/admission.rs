//! The lobby's messages as they arrive: [`sync`] takes this party's lobby messages from its
//! mediator and acts on them; the host admits or refuses each join request (at once, or by hand
//! with [`decide`]), a party leaves or the host cancels ([`leave`]), and once the session is full
//! the host signs the manifest and sends it to everyone ([`send_manifest_if_full`]).

use std::time::Duration;

use mpc_client::mediator::MediatorClient;
use mpc_client::resolver::Resolver;
use mpc_identity::keystore::UnlockedIdentity;
use mpc_identity::unix_now;

use crate::error::{Error, Result};
use crate::manifest::{Manifest, MpycSettings, PartyEntry, Program, RoleSpec, SignedManifest};
use crate::messages::{self, LobbyMessage, SessionOffer};
use crate::store::{Member, MemberStatus, Role, SessionRecord, SessionState, SessionStore};
use mpc_identity::hex;

/// Pages one sync reads at most (a full queue of the mediator's default cap).
const MAX_SYNC_PAGES: usize = 100;

/// Takes `me`'s lobby messages from its mediator and acts on them; returns how many it handled.
/// Other messages stay queued for `mpc-id inbox`; sync pages past them (and the client discards
/// what cannot be opened), so however many wait at the head of the queue, lobby messages behind
/// them are reached.
pub async fn sync(me: &UnlockedIdentity, store: &SessionStore, resolver: &Resolver) -> Result<usize> {
    let Some(mediator) = &me.record.mediator else { return Ok(0) };
    let client = MediatorClient::connect(&mediator.uri).await?;
    let mut cursor = None;
    let mut total = 0;
    for _ in 0..MAX_SYNC_PAGES {
        let page = client.pickup_page(me, 100, cursor).await?;
        let mut handled = Vec::new();
        for message in page.received.iter().filter(|m| messages::is_lobby_message(m)) {
            match messages::open(resolver, message).await {
                Ok(incoming) => {
                    if let Err(e) = handle(me, store, resolver, incoming).await {
                        tracing::warn!(error = %e, "a lobby message could not be handled");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "refused a lobby message"),
            }
            // Handled or refused, it is done with: a bad message must not block the queue.
            handled.push(message.id.clone());
        }
        if !handled.is_empty() {
            client.acknowledge(me, &handled).await?;
        }
        total += handled.len();
        if !page.full || page.cursor.is_none() {
            break;
        }
        cursor = page.cursor;
    }
    for mut record in store.list()?.into_iter().filter(|r| r.me == me.record.did && r.role == Role::Host) {
        send_manifest_if_full(me, store, resolver, &mut record, None).await?;
    }
    Ok(total)
}

async fn handle(
    me: &UnlockedIdentity,
    store: &SessionStore,
    resolver: &Resolver,
    incoming: messages::Incoming,
) -> Result<()> {
    let session = incoming.message.session().to_owned();
    let mut record = match store.find(&session) {
        Ok(record) if record.id == session && record.me == me.record.did => record,
        _ => return Err(Error::rejected(&session, format!("{} wrote about a session we do not know", incoming.from))),
    };
    match (record.role, incoming.message) {
        // A party of the manifest leaves: the session cannot run, and whoever runs it is told why.
        (_, LobbyMessage::Leave { .. }) if record.state == SessionState::Ready => {
            let manifest = manifest_of(me, resolver, &record).await?;
            if let Some(party) = manifest.entry_of(&incoming.from).filter(|p| p.did != record.me) {
                let who = crate::manifest::who(party.label.as_deref(), &party.did);
                record.state = SessionState::Closed { reason: format!("party {} ({who}) left it", party.index) };
                store.save(&record)?;
            }
        }
        (Role::Host, LobbyMessage::JoinRequest { certificates, label, role, presentation, .. }) => {
            // Proofs first (they need the network); asked again, a decided party is answered
            // from the record.
            let proven = if record.members.iter().any(|m| m.did == incoming.from) {
                Ok((None, Vec::new()))
            } else {
                crate::proofs::check_joiner(
                    resolver,
                    &record.offer,
                    &record.host,
                    &incoming.from,
                    presentation.as_ref(),
                )
                .await
            };
            let joiner = Joiner { did: &incoming.from, certificates, label, role, proven };
            let reply = admit_request(&mut record, joiner);
            store.save(&record)?;
            if let Some(reply) = reply {
                messages::send(me, &incoming.from, &reply).await?;
            }
        }
        (Role::Host, LobbyMessage::Leave { .. }) => {
            if record.state != SessionState::Ready
                && let Some(member) = record.member_mut(&incoming.from)
            {
                member.status = MemberStatus::Left;
                store.save(&record)?;
            }
        }
        (Role::Guest, message) if incoming.from == record.host => match message {
            LobbyMessage::JoinAccepted { index, .. } => {
                if record.state == SessionState::Open {
                    record.state = SessionState::Admitted { index };
                }
                store.save(&record)?;
            }
            LobbyMessage::JoinRefused { reason, .. } => {
                record.state = SessionState::Refused { reason };
                store.save(&record)?;
            }
            LobbyMessage::Manifest { manifest, .. } => {
                let endpoint = hex(me.keys.signing_key().verifying_key().as_bytes());
                let verified = match manifest
                    .verify(resolver, &record.id, &record.host, &record.me, &endpoint, unix_now())
                    .await
                {
                    Ok(verified) => crate::proofs::check_manifest(resolver, &record.offer, &record.host, &verified)
                        .await
                        .map(|()| verified),
                    Err(e) => Err(e),
                };
                match verified {
                    Ok(_) => {
                        record.manifest = Some(manifest.to_json());
                        record.state = SessionState::Ready;
                        record.problem = None;
                    }
                    Err(e) => record.problem = Some(e.to_string()),
                }
                store.save(&record)?;
            }
            _ => {}
        },
        (_, message) => {
            return Err(Error::rejected(&session, format!("{} may not send {message:?} here", incoming.from)));
        }
    }
    Ok(())
}

/// A join request as the host decides on it.
struct Joiner<'a> {
    did: &'a str,
    certificates: Vec<String>,
    label: Option<String>,
    role: Option<String>,
    /// What its proofs showed (the presentation and domains to record), or why they fail.
    proven: std::result::Result<(Option<serde_json::Value>, Vec<String>), String>,
}

/// The host's decision on a join request, recorded in `record`; the reply to send, if any.
fn admit_request(record: &mut SessionRecord, joiner: Joiner<'_>) -> Option<LobbyMessage> {
    let Joiner { did: from, certificates, label, role, proven } = joiner;
    let session = record.id.clone();
    let refuse = |reason: String| Some(LobbyMessage::JoinRefused { session: session.clone(), reason });
    if let Some(member) = record.members.iter().find(|m| m.did == from) {
        // Asked again: the same answer.
        return match &member.status {
            MemberStatus::Admitted => Some(LobbyMessage::JoinAccepted { session, index: index_of(record, from) }),
            MemberStatus::Refused { reason } => refuse(reason.clone()),
            MemberStatus::Pending => None,
            MemberStatus::Left => refuse("you left this session".into()),
        };
    }
    let now = unix_now();
    let reason = if now >= record.expires_time {
        Some("the session has expired".to_owned())
    } else if record.state != SessionState::Open || record.admitted().count() >= record.offer.parties {
        Some(format!("the session is full ({} of {} parties)", record.offer.parties, record.offer.parties))
    } else if record.order.as_ref().is_some_and(|order| !order.iter().any(|d| d == from)) {
        Some("you are not in this session's party list".to_owned())
    } else if let Some(reason) = role_refusal(&record.offer, role.as_deref()) {
        Some(reason)
    } else if let Err(reason) = &proven {
        Some(reason.clone())
    } else if record.offer.mpyc_ssl {
        check_offered_certificates(&certificates, record.offer.parties).err()
    } else {
        None
    };
    let (presentation, domains) = proven.unwrap_or_default();
    let status = match &reason {
        Some(reason) => MemberStatus::Refused { reason: reason.clone() },
        None if record.confirm => MemberStatus::Pending,
        None => MemberStatus::Admitted,
    };
    let admitted = status == MemberStatus::Admitted;
    record.members.push(Member {
        did: from.to_owned(),
        status,
        certificates,
        label,
        program_role: role,
        asked_time: now,
        presentation,
        domains,
    });
    match reason {
        Some(reason) => refuse(reason),
        None if admitted => Some(LobbyMessage::JoinAccepted { session, index: index_of(record, from) }),
        None => None,
    }
}

/// Why a party asking for `role` cannot join a session offering `offer`, if it cannot.
pub(crate) fn role_refusal(offer: &SessionOffer, role: Option<&str>) -> Option<String> {
    let names = || offer.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ");
    match (role, offer.roles.is_empty()) {
        (None, true) => None,
        (Some(role), true) => Some(format!("this session has no roles (asked for `{role}`)")),
        (None, false) => Some(format!("this session has roles ({}): pick one with --role NAME", names())),
        (Some(role), false) if offer.role(role).is_none() => {
            Some(format!("this session has no role `{role}` (its roles: {})", names()))
        }
        (Some(_), false) => None,
    }
}

fn check_offered_certificates(certificates: &[String], parties: usize) -> std::result::Result<(), String> {
    if certificates.len() != parties {
        return Err(format!(
            "MPyC TLS needs {parties} certificates, one per index; the request has {}",
            certificates.len()
        ));
    }
    for (index, pem) in certificates.iter().enumerate() {
        crate::mpyc::check_certificate(pem, index)?;
    }
    Ok(())
}

/// The party index of `did`: its place in `--order`, else its place in admission order.
fn index_of(record: &SessionRecord, did: &str) -> Option<usize> {
    match &record.order {
        Some(order) => order.iter().position(|d| d == did),
        None => record.admitted().position(|m| m.did == did),
    }
}

/// Host: admits a pending party (with `--confirm`), or refuses one; tells it so.
pub async fn decide(
    me: &UnlockedIdentity,
    store: &SessionStore,
    record: &mut SessionRecord,
    did: &str,
    admit: Option<String>,
) -> Result<()> {
    if record.role != Role::Host {
        return Err(Error::Command("only the host admits or refuses parties".into()));
    }
    let session = record.id.clone();
    let member =
        record.member_mut(did).ok_or_else(|| Error::rejected(&session, format!("{did} has not asked to join")))?;
    let reply = match admit {
        None => {
            member.status = MemberStatus::Admitted;
            if record.admitted().count() > record.offer.parties {
                // Not saved: the member stays as it was on disk.
                return Err(Error::rejected(&session, "the session is already full"));
            }
            LobbyMessage::JoinAccepted { session, index: index_of(record, did) }
        }
        Some(reason) => {
            member.status = MemberStatus::Refused { reason: reason.clone() };
            LobbyMessage::JoinRefused { session, reason }
        }
    };
    store.save(record)?;
    messages::send(me, did, &reply).await
}

/// A party leaves (guest), or the host cancels the session and tells everyone it admitted.
pub async fn leave(
    me: &UnlockedIdentity,
    store: &SessionStore,
    resolver: &Resolver,
    record: &mut SessionRecord,
) -> Result<()> {
    if record.state == SessionState::Ready {
        // Everyone runs from the manifest now: each party is told, so nobody waits for this one.
        let manifest = manifest_of(me, resolver, record).await?;
        for party in manifest.parties.iter().filter(|p| p.did != me.record.did) {
            if let Err(e) = messages::send(me, &party.did, &LobbyMessage::Leave { session: record.id.clone() }).await {
                tracing::warn!(to = %party.did, error = %e, "could not tell a party that you left");
            }
        }
        record.state = SessionState::Closed { reason: "left".into() };
        return store.save(record);
    }
    match record.role {
        Role::Guest => messages::send(me, &record.host, &LobbyMessage::Leave { session: record.id.clone() }).await?,
        Role::Host => {
            let reason = "the host cancelled the session".to_owned();
            for member in record.admitted().filter(|m| m.did != me.record.did) {
                let refusal = LobbyMessage::JoinRefused { session: record.id.clone(), reason: reason.clone() };
                if let Err(e) = messages::send(me, &member.did, &refusal).await {
                    tracing::warn!(to = %member.did, error = %e, "could not tell a party the session is cancelled");
                }
            }
        }
    }
    record.state = SessionState::Closed { reason: "left".into() };
    store.save(record)
}

/// The files of the host's program bundle at `path`, if it is one and has the digest agreed.
fn bundle_files(path: Option<&std::path::Path>, digest: &str) -> Option<Vec<crate::bundle::BundleFile>> {
    match crate::bundle::program_digest(path?) {
        Ok((found, files)) if found == digest => files,
        _ => None,
    }
}

/// Host: once the session is full, signs the manifest and sends it to every party. The program
/// is the one named at creation, else `program_sha256` (what the host's `run` was given).
pub async fn send_manifest_if_full(
    me: &UnlockedIdentity,
    store: &SessionStore,
    resolver: &Resolver,
    record: &mut SessionRecord,
    program_sha256: Option<String>,
) -> Result<()> {
    if record.role != Role::Host
        || record.state != SessionState::Open
        || record.admitted().count() != record.offer.parties
    {
        return Ok(());
    }
    let first_role = record.offer.roles.first().map(|role| role.program_sha256.clone());
    let Some(program) = first_role.or_else(|| record.offer.program_sha256.clone()).or(program_sha256) else {
        // Named at `run`, which calls again with it.
        return Ok(());
    };
    let mut members: Vec<&Member> = record.admitted().collect();
    members.sort_by_key(|m| index_of(record, &m.did).unwrap_or(usize::MAX));
    let mut parties = Vec::new();
    for (index, member) in members.iter().enumerate() {
        let document = resolver.resolve_for_use(&member.did).await?.document;
        let address = mpc_connect::peer::address(&document)?;
        parties.push(PartyEntry {
            index,
            did: member.did.clone(),
            endpoint_id: hex(address.id.as_bytes()),
            relay: address.relay_urls().next().map(ToString::to_string),
            certificate: member.certificates.get(index).cloned(),
            label: member.label.clone(),
            role: member.program_role.clone(),
            presentation: member.presentation.clone(),
            domains: member.domains.clone(),
        });
    }
    let manifest = Manifest {
        session: record.id.clone(),
        name: record.offer.name.clone(),
        expires_time: record.expires_time,
        program: Program { files: bundle_files(record.program.as_deref(), &program), sha256: program },
        args: record.offer.roles.first().map_or_else(|| record.offer.args.clone(), |role| role.args.clone()),
        mpyc: MpycSettings { version: record.offer.mpyc_version.clone(), ssl: record.offer.mpyc_ssl },
        parties,
        roles: record
            .offer
            .roles
            .iter()
            .map(|role| RoleSpec {
                name: role.name.clone(),
                program: Program { sha256: role.program_sha256.clone(), files: None },
                args: role.args.clone(),
            })
            .collect(),
    };
    let signed = manifest.sign(&me.record.did, &me.keys, &me.record.signing_kid())?;
    record.manifest = Some(signed.to_json());
    record.state = SessionState::Ready;
    store.save(record)?;
    for party in manifest.parties.iter().filter(|p| p.did != me.record.did) {
        let message = LobbyMessage::Manifest { session: record.id.clone(), manifest: signed.clone() };
        messages::send(me, &party.did, &message).await?;
    }
    Ok(())
}

/// The stored manifest of a ready session, verified again (it is re-read from disk), with every
/// party's proofs: wherever the parties are shown or run with (`session status`, `run`), a
/// domain that stopped linking a party, or a credential revoked or expired since the manifest
/// arrived, is found then, not only when it arrived.
pub async fn manifest_of(me: &UnlockedIdentity, resolver: &Resolver, record: &SessionRecord) -> Result<Manifest> {
    let text = record.manifest.as_deref().ok_or_else(|| Error::rejected(&record.id, "it has no manifest yet"))?;
    let endpoint = hex(me.keys.signing_key().verifying_key().as_bytes());
    let manifest = SignedManifest::parse(text)?
        .verify(resolver, &record.id, &record.host, &record.me, &endpoint, unix_now())
        .await?;
    crate::proofs::check_manifest(resolver, &record.offer, &record.host, &manifest).await?;
    Ok(manifest)
}

/// Syncs until the session `id` has a verified manifest (the host signs and sends it as soon as
/// the session is full, with `program_sha256` if none was named at creation), or `timeout`
/// passes. `waiting` is called after every sync that left it not ready.
pub async fn wait_until_ready(
    me: &UnlockedIdentity,
    store: &SessionStore,
    resolver: &Resolver,
    id: &str,
    program_sha256: Option<String>,
    timeout: Duration,
    mut waiting: impl FnMut(&SessionRecord),
) -> Result<SessionRecord> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        sync(me, store, resolver).await?;
        let mut record = store.find(id)?;
        send_manifest_if_full(me, store, resolver, &mut record, program_sha256.clone()).await?;
        match &record.state {
            SessionState::Ready => return Ok(record),
            SessionState::Refused { reason } => {
                return Err(Error::Refused { session: record.id.clone(), reason: reason.clone() });
            }
            SessionState::Closed { reason } => {
                return Err(Error::rejected(&record.id, format!("it is closed ({reason})")));
            }
            SessionState::Open | SessionState::Admitted { .. } => {}
        }
        if let Some(problem) = &record.problem {
            return Err(Error::bad_manifest(&record.id, problem.clone()));
        }
        let now = unix_now();
        if now >= record.expires_time {
            return Err(Error::Expired { session: record.id.clone(), expired_at: record.expires_time, now });
        }
        if tokio::time::Instant::now() >= deadline {
            let joined = if record.role == Role::Host {
                format!("{} of {} parties admitted", record.admitted().count(), record.offer.parties)
            } else {
                "no manifest from the host yet".to_owned()
            };
            return Err(Error::StartupTimeout { seconds: timeout.as_secs(), missing: joined });
        }
        waiting(&record);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
