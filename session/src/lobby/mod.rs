//! The lobby: a host creates a session and invites; parties join through the host's mediator;
//! the host admits them (at once, or by hand), fixes the party order, and once the session is
//! full signs the manifest and sends it to everyone.
//!
//! Nothing here needs the host and the parties online together: every step is a message queued
//! at the recipient's mediator, and [`sync`] takes this party's lobby messages from its queue
//! and acts on them, whenever it runs (`session status`, `run`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use mpc_client::mediator::{self as client};
use mpc_client::resolver::Resolver;
use mpc_identity::invitation::{Attachment, AttachmentData, Invitation, SignedInvitation};
use mpc_identity::keystore::UnlockedIdentity;
use mpc_identity::unix_now;

use crate::error::{Error, Result};
use crate::manifest::{MAX_PARTIES, check_label, program_sha256};
use crate::messages::{self, LobbyMessage, OFFER_ATTACHMENT, RoleOffer, SESSION_GOAL_CODE, SessionOffer};
use crate::store::{Member, MemberStatus, Role, SessionRecord, SessionState, SessionStore};

mod admission;

pub(crate) use admission::role_refusal;
pub use admission::{decide, leave, manifest_of, send_manifest_if_full, sync, wait_until_ready};

/// What the host decides at creation.
#[derive(Clone, Debug)]
pub struct CreateOptions {
    /// The session's name, for people.
    pub name: String,
    /// How many parties, the host included.
    pub parties: usize,
    /// The program every party runs, if it is known now.
    pub program: Option<PathBuf>,
    /// Its arguments.
    pub args: Vec<String>,
    /// How long the session stays open.
    pub ttl: Duration,
    /// The party order by DID (the host among them); join order when `None`.
    pub order: Option<Vec<String>>,
    /// Admit parties by hand (`session admit`).
    pub confirm: bool,
    /// Whether MPyC runs with its own TLS inside the tunnels.
    pub mpyc_ssl: bool,
    /// The MPyC version the session runs (what the host's Python imports).
    pub mpyc_version: String,
    /// The name the host gives itself in the manifest.
    pub label: Option<String>,
    /// Leave the program (a bundle directory) at the host's mediator for parties who do not
    /// have it.
    pub share_program: bool,
    /// Roles, when parties run different programs or arguments (then `program` is `None`).
    pub roles: Vec<RoleOption>,
    /// The host's own role [default: the first].
    pub my_role: Option<String>,
    /// What every other party must prove to be admitted (see [`crate::proofs`]).
    pub requirements: Vec<crate::messages::Requirement>,
}

/// A role as the host defines it.
#[derive(Clone, Debug)]
pub struct RoleOption {
    /// Its name.
    pub name: String,
    /// Its program (a file or a bundle directory).
    pub program: PathBuf,
    /// Its arguments, after MPyC's own.
    pub args: Vec<String>,
}

/// Creates a session hosted by `me`, publishes its invitation at `me`'s mediator, and stores it.
pub async fn create(me: &UnlockedIdentity, store: &SessionStore, options: CreateOptions) -> Result<SessionRecord> {
    let mediator = me.record.mediator.clone().ok_or_else(|| {
        Error::Command(format!(
            "identity `{}` has no mediator; sessions travel through one (create it with --mediator)",
            me.record.name
        ))
    })?;
    if let Some(label) = &options.label {
        check_label(label).map_err(|e| Error::Command(format!("--label: {e}")))?;
    }
    if !(2..=MAX_PARTIES).contains(&options.parties) {
        return Err(Error::Command(format!("a session has 2 to {MAX_PARTIES} parties, not {}", options.parties)));
    }
    if let Some(order) = &options.order {
        if order.len() != options.parties {
            return Err(Error::Command(format!(
                "--order names {} parties; the session has {}",
                order.len(),
                options.parties
            )));
        }
        if !order.contains(&me.record.did) {
            return Err(Error::Command("--order must include the host's own DID".into()));
        }
    }
    let mut roles = role_offers(&options)?;
    let my_role = match (&options.my_role, roles.first()) {
        (Some(name), _) if roles.iter().any(|r| &r.name == name) => Some(name.clone()),
        (Some(name), _) => return Err(Error::Command(format!("--my-role `{name}` is not one of the --role names"))),
        (None, first) => first.map(|r| r.name.clone()),
    };
    let role_program = my_role.as_ref().and_then(|name| options.roles.iter().find(|r| &r.name == name));
    let program_path = role_program.map(|r| r.program.clone()).or_else(|| options.program.clone());
    let program_sha256 = options.program.as_deref().map(program_sha256).transpose()?;
    let now = unix_now();
    let until = now.saturating_add(options.ttl.as_secs());
    let program_url = match (&options.program, options.share_program) {
        (Some(path), true) => Some(share(me, &mediator.uri, path, until).await?),
        (None, true) if !options.roles.is_empty() => {
            // One bundle per role: a party fetches only its own role's.
            for (offer, role) in roles.iter_mut().zip(&options.roles) {
                offer.program_url = Some(share(me, &mediator.uri, &role.program, until).await?);
            }
            None
        }
        (None, true) => return Err(Error::Command("--share-program needs --program DIR (or --role NAME=DIR)".into())),
        (_, false) => None,
    };
    let session = uuid::Uuid::new_v4().simple().to_string();
    let offer = SessionOffer {
        session: session.clone(),
        name: options.name.clone(),
        parties: options.parties,
        program_sha256,
        program_name: options
            .program
            .as_deref()
            .and_then(|path| path.file_name())
            .map(|name| name.to_string_lossy().into_owned()),
        program_url,
        args: options.args.clone(),
        mpyc_version: options.mpyc_version.clone(),
        mpyc_ssl: options.mpyc_ssl,
        roles,
        requirements: options.requirements.clone(),
    };
    let mut invitation = Invitation::new(&me.record, Some(SESSION_GOAL_CODE), Some(&options.name), options.ttl, now);
    invitation.attachments.push(Attachment {
        id: OFFER_ATTACHMENT.to_owned(),
        media_type: "application/json".to_owned(),
        data: AttachmentData { json: serde_json::to_value(&offer).map_err(|e| Error::Command(e.to_string()))? },
    });
    let signed = invitation.sign(&me.keys, &me.record.signing_kid())?;
    let invitation_url = client::publish_invitation(&mediator.uri, &signed).await?;
    let certificates = own_certificates(me, &offer)?;
    let record = SessionRecord {
        id: session,
        identity: me.record.name.clone(),
        me: me.record.did.clone(),
        host: me.record.did.clone(),
        role: Role::Host,
        expires_time: invitation.expires_time,
        offer,
        invitation: signed.to_json(),
        invitation_url: Some(invitation_url),
        program: program_path.map(absolute),
        program_role: my_role.clone(),
        python: None,
        state: SessionState::Open,
        members: vec![Member {
            did: me.record.did.clone(),
            status: MemberStatus::Admitted,
            certificates,
            label: options.label,
            program_role: my_role,
            asked_time: now,
            presentation: None,
            domains: Vec::new(),
        }],
        order: options.order,
        confirm: options.confirm,
        manifest: None,
        problem: None,
    };
    store.save(&record)?;
    Ok(record)
}

/// A session invitation, fetched and verified against its host's DID: what a party is asked to
/// agree to, before it agrees ([`accept`]).
#[derive(Clone, Debug)]
pub struct Offered {
    /// What the host offers.
    pub offer: SessionOffer,
    /// The host's DID.
    pub host: String,
    /// When the offer expires (Unix seconds).
    pub expires_time: u64,
    signed: SignedInvitation,
    url: Option<String>,
}

/// Leaves the bundle `path` at the mediator `uri` until `until`; where it can be fetched.
async fn share(me: &UnlockedIdentity, uri: &str, path: &Path, until: u64) -> Result<String> {
    if !path.is_dir() {
        return Err(Error::Command(format!(
            "--share-program shares a bundle: make {} a directory with a {} (and its modules beside it)",
            path.display(),
            crate::bundle::ENTRY
        )));
    }
    let bundle = crate::bundle::read_for_sharing(path)?;
    let client = client::MediatorClient::connect(uri).await?;
    Ok(client.share_bundle(me, &bundle, until).await?)
}

/// The roles of `options`, each program hashed; none when the session has none.
fn role_offers(options: &CreateOptions) -> Result<Vec<RoleOffer>> {
    if options.roles.is_empty() {
        return Ok(Vec::new());
    }
    if options.program.is_some() {
        return Err(Error::Command("a session with --role gives each role its program: drop --program".into()));
    }
    let mut offers: Vec<RoleOffer> = Vec::new();
    for role in &options.roles {
        crate::manifest::check_role_name(&role.name).map_err(Error::Command)?;
        if offers.iter().any(|r| r.name == role.name) {
            return Err(Error::Command(format!("role `{}` is given twice", role.name)));
        }
        offers.push(RoleOffer {
            name: role.name.clone(),
            program_sha256: program_sha256(&role.program)?,
            program_name: role.program.file_name().map(|n| n.to_string_lossy().into_owned()),
            program_url: None,
            args: role.args.clone(),
        });
    }
    Ok(offers)
}

/// Fetches (for a short link) and verifies a session invitation as of unix time `now`; sends
/// nothing.
pub async fn preview(me: &UnlockedIdentity, resolver: &Resolver, invitation: &str, now: u64) -> Result<Offered> {
    let signed = client::read_invitation(invitation).await?;
    let (verified, _) = resolver.verify_invitation(&signed, now).await?;
    let offer: SessionOffer = verified
        .attachment(OFFER_ATTACHMENT)
        .ok_or_else(|| Error::NotASession("it offers no session (no `mpc-id-session` attachment)".into()))
        .and_then(|json| {
            serde_json::from_value(json.clone()).map_err(|e| Error::NotASession(format!("its session offer: {e}")))
        })?;
    if offer.session.len() != 32 || !offer.session.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::NotASession(format!("`{}` is not a session id", offer.session)));
    }
    if verified.from == me.record.did {
        return Err(Error::Command("this is your own session; its host is already in it".into()));
    }
    let url = client::oobid_of(invitation).map(|_| invitation.to_owned());
    Ok(Offered { offer, host: verified.from, expires_time: verified.expires_time, signed, url })
}

/// Joins a previewed session: checks `program` against its hash, sends the signed join request
/// to the host, and stores the session.
pub async fn accept(
    me: &UnlockedIdentity,
    store: &SessionStore,
    offered: Offered,
    program: Option<PathBuf>,
    label: Option<String>,
    role: Option<String>,
    presentation: Option<serde_json::Value>,
) -> Result<SessionRecord> {
    let Offered { offer, host, expires_time, signed, url } = offered;
    if let Some(label) = &label {
        check_label(label).map_err(|e| Error::Command(format!("--label: {e}")))?;
    }
    if let Some(reason) = role_refusal(&offer, role.as_deref()) {
        return Err(Error::Command(reason));
    }
    let expected = match role.as_deref().and_then(|name| offer.role(name)) {
        Some(role) => Some(&role.program_sha256),
        None => offer.program_sha256.as_ref(),
    };
    if let (Some(expected), Some(path)) = (expected, &program) {
        let found = program_sha256(path)?;
        if &found != expected {
            return Err(Error::ProgramMismatch { path: path.clone(), found, expected: expected.clone() });
        }
    }
    let certificates = own_certificates(me, &offer)?;
    let request = LobbyMessage::JoinRequest {
        session: offer.session.clone(),
        certificates,
        label,
        role: role.clone(),
        presentation,
    };
    messages::send(me, &host, &request).await?;
    let record = SessionRecord {
        id: offer.session.clone(),
        identity: me.record.name.clone(),
        me: me.record.did.clone(),
        host,
        role: Role::Guest,
        expires_time,
        offer,
        invitation: signed.to_json(),
        invitation_url: url,
        program: program.map(absolute),
        program_role: role,
        python: None,
        state: SessionState::Open,
        members: Vec::new(),
        order: None,
        confirm: false,
        manifest: None,
        problem: None,
    };
    store.save(&record)?;
    Ok(record)
}

fn own_certificates(me: &UnlockedIdentity, offer: &SessionOffer) -> Result<Vec<String>> {
    if offer.mpyc_ssl { crate::mpyc::certificates(&me.keys, &offer.session, offer.parties) } else { Ok(Vec::new()) }
}

fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}
