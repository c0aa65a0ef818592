//! The lobby's messages, and how they travel: each is a DIDComm plaintext signed by its sender
//! (so it can be shown to a third party, as the manifest is) and then sealed to the recipient
//! (authcrypt) and routed through the recipient's mediator, which may hold it while the
//! recipient is offline. The receiver checks that the signer is the envelope's sender.

use mpc_client::mediator::{self as client, Received};
use mpc_client::resolver::Resolver;
use mpc_identity::envelope::{self, PLAIN_TYP, SignedMessage};
use mpc_identity::keystore::UnlockedIdentity;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::manifest::{MANIFEST_TYPE, SignedManifest};

/// The protocol's message type prefix.
pub(crate) const PROTOCOL: &str = "https://mpc-id.dev/session/1.0/";
/// A party asks to join.
pub(crate) const JOIN_REQUEST: &str = "https://mpc-id.dev/session/1.0/join-request";
/// The host admits it.
pub(crate) const JOIN_ACCEPTED: &str = "https://mpc-id.dev/session/1.0/join-accepted";
/// The host refuses it.
pub(crate) const JOIN_REFUSED: &str = "https://mpc-id.dev/session/1.0/join-refused";
/// A party leaves the session.
pub(crate) const LEAVE: &str = "https://mpc-id.dev/session/1.0/leave";

/// The invitation attachment that carries a session offer.
pub(crate) const OFFER_ATTACHMENT: &str = "mpc-id-session";
/// The goal code of a session invitation.
pub(crate) const SESSION_GOAL_CODE: &str = "mpc-id.session";

/// What a session invitation offers, in its `mpc-id-session` attachment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionOffer {
    /// The session id.
    pub session: String,
    /// Its name.
    pub name: String,
    /// How many parties, the host included.
    pub parties: usize,
    /// Known when the host named the program at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_sha256: Option<String>,
    /// The program's file name, as the host has it (what joiners are shown; the hash is what
    /// is checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_name: Option<String>,
    /// Where the host left the program (a bundle) for parties who do not have it: fetched and
    /// checked against `program_sha256` at join, saved only once the party confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_url: Option<String>,
    #[serde(default)]
    /// The program's arguments.
    pub args: Vec<String>,
    /// The MPyC version every party must run.
    pub mpyc_version: String,
    #[serde(default)]
    /// Whether MPyC runs with its own TLS.
    pub mpyc_ssl: bool,
    /// Roles, when parties run different programs or arguments: each party picks one at join.
    /// Empty for a session where everyone runs the same program.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleOffer>,
    /// What a party must prove to be admitted (credentials, domains); empty: nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<Requirement>,
}

/// A proof the host asks of every party that joins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Requirement {
    /// A credential from `issuer` (of `type`, when given) about the party's DID, presented for
    /// this session.
    Credential {
        /// The issuer's DID.
        issuer: String,
        /// The credential's type, if any type will not do.
        #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
        credential_type: Option<String>,
    },
    /// Control of a web domain: its DID configuration links the party's DID.
    Domain {
        /// The domain's origin (`https://example.org`).
        origin: String,
    },
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Requirement::Credential { issuer, credential_type: Some(kind) } => {
                write!(f, "a {kind} credential from {}", mpc_identity::did::abbreviate(issuer))
            }
            Requirement::Credential { issuer, credential_type: None } => {
                write!(f, "a credential from {}", mpc_identity::did::abbreviate(issuer))
            }
            Requirement::Domain { origin } => write!(f, "control of the domain {origin}"),
        }
    }
}

/// A role of a session: the program and arguments of the parties that take it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleOffer {
    /// Its name (`[a-z0-9_-]`, at most 32 characters).
    pub name: String,
    /// The digest of its program (a file or a bundle).
    pub program_sha256: String,
    /// The program's file name, as the host has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_name: Option<String>,
    /// Where the host left this role's program (a bundle), as `SessionOffer::program_url` is for
    /// a session without roles: fetched and checked against `program_sha256` by a party that
    /// joins in this role and names no program of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_url: Option<String>,
    /// Its arguments, after MPyC's own.
    #[serde(default)]
    pub args: Vec<String>,
}

impl SessionOffer {
    /// The role `name`, if the session has it.
    pub fn role(&self, name: &str) -> Option<&RoleOffer> {
        self.roles.iter().find(|role| role.name == name)
    }
}

/// A lobby message, as its receiver acts on it.
#[derive(Clone, Debug)]
// Variant fields are named for what they hold; the variant docs say what they mean.
#[allow(missing_docs)]
pub enum LobbyMessage {
    /// A party asks to join; with MPyC TLS, it offers one certificate per possible index.
    JoinRequest {
        session: String,
        certificates: Vec<String>,
        /// The name the party gives itself (see [`crate::manifest::check_label`]).
        label: Option<String>,
        /// The role it takes, in a session with roles.
        role: Option<String>,
        /// Its credentials for the session's requirements: a presentation bound to the session
        /// (challenge: its id; domain: the host's DID).
        presentation: Option<Value>,
    },
    /// The host admitted the party (its index, when already fixed).
    JoinAccepted { session: String, index: Option<usize> },
    /// The host refused the party, saying why.
    JoinRefused { session: String, reason: String },
    /// The session is full: here is what everyone runs.
    Manifest { session: String, manifest: SignedManifest },
    /// A party leaves the session.
    Leave { session: String },
}

impl LobbyMessage {
    /// The session a message is about.
    pub fn session(&self) -> &str {
        match self {
            LobbyMessage::JoinRequest { session, .. }
            | LobbyMessage::JoinAccepted { session, .. }
            | LobbyMessage::JoinRefused { session, .. }
            | LobbyMessage::Manifest { session, .. }
            | LobbyMessage::Leave { session } => session,
        }
    }

    fn kind_and_body(&self) -> (&'static str, Value) {
        match self {
            LobbyMessage::JoinRequest { session, certificates, label, role, presentation } => {
                let mut body = json!({ "session": session, "certificates": certificates });
                if let Some(presentation) = presentation {
                    body["presentation"] = presentation.clone();
                }
                if let Some(label) = label {
                    body["label"] = json!(label);
                }
                if let Some(role) = role {
                    body["role"] = json!(role);
                }
                (JOIN_REQUEST, body)
            }
            LobbyMessage::JoinAccepted { session, index } => {
                (JOIN_ACCEPTED, json!({ "session": session, "index": index }))
            }
            LobbyMessage::JoinRefused { session, reason } => {
                (JOIN_REFUSED, json!({ "session": session, "reason": reason }))
            }
            LobbyMessage::Manifest { .. } => (MANIFEST_TYPE, Value::Null),
            LobbyMessage::Leave { session } => (LEAVE, json!({ "session": session })),
        }
    }
}

/// A lobby message whose signature and sender were checked.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// The DID that signed and sealed it.
    pub from: String,
    /// The message.
    pub message: LobbyMessage,
}

/// Signs `message` as `me` and sends it to `to` through `to`'s mediator.
pub async fn send(me: &UnlockedIdentity, to: &str, message: &LobbyMessage) -> Result<()> {
    let signed = match message {
        LobbyMessage::Manifest { manifest, .. } => manifest.0.clone(),
        other => {
            let (kind, body) = other.kind_and_body();
            let plaintext = json!({
                "typ": PLAIN_TYP,
                "type": kind,
                "id": uuid::Uuid::new_v4().to_string(),
                "from": me.record.did,
                "created_time": mpc_identity::unix_now(),
                "body": body,
            });
            envelope::sign(&plaintext, &me.keys, &me.record.signing_kid())?
        }
    };
    let (kind, _) = message.kind_and_body();
    let mut outer = client::new_message(kind, &me.record.did, json!({ "signed": signed }));
    outer["to"] = json!([to]);
    Ok(client::send(me, to, &outer).await?)
}

/// Whether a received message belongs to this protocol (others are left for `mpc-id inbox`).
pub fn is_lobby_message(received: &Received) -> bool {
    received.message["type"].as_str().is_some_and(|t| t.starts_with(PROTOCOL))
}

/// Verifies a received lobby message: the signed plaintext inside must be signed by the DID that
/// sealed the envelope, and be of the type the envelope says.
pub async fn open(resolver: &Resolver, received: &Received) -> Result<Incoming> {
    let outer_type = received.message["type"].as_str().unwrap_or_default().to_owned();
    let refuse = |reason: String| Error::rejected("(lobby message)", reason);
    let sealed_by = received
        .sender_kid
        .as_deref()
        .and_then(|kid| mpc_identity::did::split_did_url(kid).map(|(did, _)| did.to_owned()))
        .ok_or_else(|| refuse(format!("{outer_type} arrived anonymously; lobby messages must be authenticated")))?;
    let signed: SignedMessage = serde_json::from_value(received.message["body"]["signed"].clone())
        .map_err(|e| refuse(format!("{outer_type} carries no signed message ({e})")))?;
    let (verified, _) = resolver.verify_signed(&signed).await?;
    let from = verified.message["from"].as_str().unwrap_or_default().to_owned();
    if from != sealed_by {
        return Err(refuse(format!("{outer_type} is signed by {from} but was sent by {sealed_by}")));
    }
    if verified.message["type"] != outer_type.as_str() {
        return Err(refuse(format!("the signed message inside {outer_type} is a {}", verified.message["type"])));
    }
    let body = &verified.message["body"];
    let text = |field: &str| {
        body[field].as_str().map(str::to_owned).ok_or_else(|| refuse(format!("{outer_type} has no string `{field}`")))
    };
    let session = text("session")?;
    let message = match outer_type.as_str() {
        JOIN_REQUEST => {
            let certificates = match &body["certificates"] {
                Value::Null => Vec::new(),
                value => serde_json::from_value(value.clone())
                    .map_err(|e| refuse(format!("join-request `certificates`: {e}")))?,
            };
            let label = match &body["label"] {
                Value::Null => None,
                Value::String(label) => {
                    crate::manifest::check_label(label).map_err(|e| refuse(format!("join-request `label`: {e}")))?;
                    Some(label.clone())
                }
                _ => return Err(refuse("join-request `label` is not a string".to_owned())),
            };
            let role = match &body["role"] {
                Value::Null => None,
                Value::String(role) => Some(role.clone()),
                _ => return Err(refuse("join-request `role` is not a string".to_owned())),
            };
            let presentation = match &body["presentation"] {
                Value::Null => None,
                value @ Value::Object(_) => Some(value.clone()),
                _ => return Err(refuse("join-request `presentation` is not an object".to_owned())),
            };
            LobbyMessage::JoinRequest { session, certificates, label, role, presentation }
        }
        JOIN_ACCEPTED => {
            LobbyMessage::JoinAccepted { session, index: body["index"].as_u64().and_then(|i| usize::try_from(i).ok()) }
        }
        JOIN_REFUSED => LobbyMessage::JoinRefused { session, reason: text("reason")? },
        MANIFEST_TYPE => LobbyMessage::Manifest { session, manifest: SignedManifest(signed) },
        LEAVE => LobbyMessage::Leave { session },
        other => return Err(refuse(format!("unknown lobby message type {other}"))),
    };
    Ok(Incoming { from, message })
}
