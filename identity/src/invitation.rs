//! Signed invitations: DIDComm Out-of-Band 2.0 invitations that carry everything a peer needs to
//! reach the inviter (its public keys and its mediator), signed with the inviter's Ed25519 key.
//!
//! An invitation travels as compact JSON, or as a URL whose `_oob` query parameter is the
//! base64url of that JSON. Nothing in it is trusted until [`SignedInvitation::verify`] has checked
//! the signature against the inviter's resolved DID, the type, the schema, the validity window and
//! that the keys and mediator in the body are the DID's own.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::did::{self, DidDocument, MediatorEndpoint};
use crate::envelope::{self, PLAIN_TYP, SignedMessage};
use crate::error::{Error, Result};
use crate::keys::PartyKeys;
use crate::keystore::IdentityRecord;
use crate::schema::Schema;

/// The DIDComm message type of an Out-of-Band 2.0 invitation.
pub const INVITATION_TYPE: &str = crate::protocols::OOB_INVITATION;
/// The goal code mpc-id uses when none is given.
pub const DEFAULT_GOAL_CODE: &str = "mpc-id.connect";
/// Inputs larger than this are refused before parsing.
pub const MAX_INVITATION_BYTES: usize = 64 * 1024;
/// How far in the future `created_time` may lie before we call the clock (or the sender) wrong.
pub const CLOCK_SKEW_SECS: u64 = 300;
/// The URL base used when the inviter has no mediator.
const NO_MEDIATOR_BASE: &str = "didcomm://invite";

/// An Out-of-Band 2.0 invitation, in the plaintext form that gets signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// Optional on the wire (DIDComm v2 plaintext `typ`); always sent by us.
    #[serde(default = "plain_typ")]
    pub typ: String,
    #[serde(rename = "type")]
    /// `https://didcomm.org/out-of-band/2.0/invitation`.
    pub message_type: String,
    /// A unique id, which a reply names as its parent thread.
    pub id: String,
    /// The inviter's DID.
    pub from: String,
    /// When it was made (Unix seconds).
    pub created_time: u64,
    /// When it stops being valid (Unix seconds).
    pub expires_time: u64,
    /// What is offered, and the inviter's keys and mediator.
    pub body: InvitationBody,
    /// What the invitation is for, beyond connecting (a session offer, say), as Out-of-Band 2.0
    /// attachments. Covered by the signature like everything else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// An Out-of-Band attachment with inline JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The attachment's id.
    pub id: String,
    /// Its media type (`application/json`).
    pub media_type: String,
    /// Its content.
    pub data: AttachmentData,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
/// An attachment's content, given inline as JSON.
pub struct AttachmentData {
    /// The JSON value.
    pub json: Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
/// What an invitation offers and how to reach the inviter.
pub struct InvitationBody {
    /// What it is for (`mpc-id.connect`, `mpc-id.session`).
    pub goal_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The same in words for people.
    pub goal: Option<String>,
    /// The DIDComm profiles the inviter accepts.
    pub accept: Vec<String>,
    /// The inviter's keys, which must be its DID's own.
    pub keys: InviterKeys,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The inviter's mediator, which must be its DID's own.
    pub mediator: Option<MediatorEndpoint>,
}

/// The inviter's public keys, as multikeys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviterKeys {
    /// The Ed25519 authentication key, multikey.
    pub authentication: String,
    /// The X25519 key-agreement key, multikey.
    pub key_agreement: String,
}

impl Invitation {
    /// An invitation from `inviter`, valid from `now` (unix seconds) for `ttl`.
    pub fn new(inviter: &IdentityRecord, goal_code: Option<&str>, goal: Option<&str>, ttl: Duration, now: u64) -> Self {
        Invitation {
            typ: PLAIN_TYP.to_owned(),
            message_type: INVITATION_TYPE.to_owned(),
            id: uuid::Uuid::new_v4().to_string(),
            from: inviter.did.clone(),
            created_time: now,
            expires_time: now.saturating_add(ttl.as_secs()),
            body: InvitationBody {
                goal_code: goal_code.unwrap_or(DEFAULT_GOAL_CODE).to_owned(),
                goal: goal.map(str::to_owned),
                accept: vec!["didcomm/v2".to_owned()],
                keys: InviterKeys {
                    authentication: inviter.authentication_key.clone(),
                    key_agreement: inviter.key_agreement_key.clone(),
                },
                mediator: inviter.mediator.clone(),
            },
            attachments: Vec::new(),
        }
    }

    /// The JSON of the attachment `id`, if there is one.
    pub fn attachment(&self, id: &str) -> Option<&Value> {
        self.attachments.iter().find(|a| a.id == id).map(|a| &a.data.json)
    }

    /// Signs the invitation as a DIDComm signed message with the key `kid`.
    pub fn sign(&self, keys: &PartyKeys, kid: &str) -> Result<SignedInvitation> {
        let plaintext = serde_json::to_value(self).map_err(|e| Error::NotSignedMessage(e.to_string()))?;
        Ok(SignedInvitation { envelope: envelope::sign(&plaintext, keys, kid)? })
    }
}

/// The `_oobid` of an invitation's bytes: unpadded base64url of their SHA-256.
pub fn content_address(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    URL_SAFE_NO_PAD.encode(Sha256::digest(bytes))
}

fn plain_typ() -> String {
    PLAIN_TYP.to_owned()
}

/// A signed invitation as it travels. Not yet trusted: call [`SignedInvitation::verify`].
#[derive(Clone, Debug)]
pub struct SignedInvitation {
    envelope: SignedMessage,
}

impl SignedInvitation {
    /// Reads an invitation from a URL carrying `_oob`, or from the signed JSON itself.
    pub fn parse(input: &str) -> Result<Self> {
        let input = input.trim();
        if input.len() > MAX_INVITATION_BYTES {
            return Err(Error::NotSignedMessage(format!(
                "input is {} bytes; invitations are at most {MAX_INVITATION_BYTES}",
                input.len()
            )));
        }
        if input.starts_with('{') {
            return Ok(SignedInvitation { envelope: envelope::parse(input.as_bytes())? });
        }
        let json = decode_url(input)?;
        let envelope = envelope::parse(&json)
            .map_err(|e| Error::InvalidInvitationUrl(format!("the `_oob` payload is truncated or corrupt ({e})")))?;
        Ok(SignedInvitation { envelope })
    }

    /// The sender the payload claims, unverified: which DID to resolve before [`Self::verify_with`].
    pub fn claimed_from(&self) -> Result<String> {
        self.envelope.claimed_from()
    }

    /// The signed message as compact JSON.
    pub fn to_json(&self) -> String {
        // A struct of strings always serializes.
        serde_json::to_string(&self.envelope).unwrap_or_default()
    }

    /// The signed message as a JSON value (for schema checks and `--json` output).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(&self.envelope).unwrap_or(Value::Null)
    }

    /// The `_oob` URL form, based beside the mediator's DIDComm endpoint (`https://host/oob?_oob=...`
    /// for `https://host/didcomm`, `https://host/mpc/oob?...` behind a proxy's path), or at
    /// `didcomm://invite` for an inviter without a mediator.
    pub fn to_url(&self, mediator: Option<&MediatorEndpoint>) -> String {
        let base = mediator
            .and_then(|m| url::Url::parse(&m.uri).ok())
            .and_then(|u| u.join("oob").ok())
            .map(String::from)
            .unwrap_or_else(|| NO_MEDIATOR_BASE.to_owned());
        format!("{base}?_oob={}", URL_SAFE_NO_PAD.encode(self.to_json()))
    }

    /// Verifies against self-certifying DIDs (did:key, did:peer:2), at unix time `now`.
    pub fn verify(&self, now: u64) -> Result<Invitation> {
        self.verify_with(now, did::resolve)
    }

    /// Verifies, resolving the inviter's DID with `resolve`, at unix time `now`.
    pub fn verify_with(&self, now: u64, resolve: impl FnOnce(&str) -> Result<DidDocument>) -> Result<Invitation> {
        let verified = envelope::verify(&self.envelope, resolve)?;
        let found = verified.message.get("type").and_then(Value::as_str).unwrap_or("(none)");
        if found != INVITATION_TYPE {
            return Err(Error::WrongType { found: found.to_owned(), expected: INVITATION_TYPE.to_owned() });
        }
        Schema::Invitation.validate(&verified.message)?;
        let invitation: Invitation = serde_json::from_value(verified.message)
            .map_err(|e| Error::SchemaViolation { schema: Schema::Invitation.name(), details: e.to_string() })?;
        if invitation.expires_time <= invitation.created_time {
            return Err(Error::InconsistentInvitation("it expires before it was created".to_owned()));
        }
        if now >= invitation.expires_time {
            return Err(Error::Expired { expired_at: invitation.expires_time, now });
        }
        if invitation.created_time > now.saturating_add(CLOCK_SKEW_SECS) {
            return Err(Error::NotYetValid { created_at: invitation.created_time, now });
        }
        check_body_matches_did(&invitation, &verified.signer, &verified.kid)?;
        Ok(invitation)
    }
}

/// The keys and mediator in the body must be the inviter's own, as its DID document says: a
/// peer acts on the body, so it must not be able to say anything the DID does not.
fn check_body_matches_did(invitation: &Invitation, document: &DidDocument, kid: &str) -> Result<()> {
    let keys = &invitation.body.keys;
    // Multikeys are canonical encodings, so comparing the text compares the keys.
    if document.authentication_method(kid)?.public_key_multibase != keys.authentication {
        return Err(Error::InconsistentInvitation(format!(
            "body.keys.authentication `{}` is not the key that signed",
            keys.authentication
        )));
    }
    if !document.has_key_agreement_key(&keys.key_agreement) {
        return Err(Error::InconsistentInvitation(format!(
            "body.keys.keyAgreement `{}` is not a key-agreement key of {}",
            keys.key_agreement, invitation.from
        )));
    }
    if let Some(endpoint) = document.didcomm_endpoint()
        && invitation.body.mediator.as_ref() != Some(&endpoint)
    {
        return Err(Error::InconsistentInvitation(format!(
            "body.mediator differs from the DIDCommMessaging service of {} ({})",
            invitation.from, endpoint.uri
        )));
    }
    Ok(())
}

fn decode_url(input: &str) -> Result<Vec<u8>> {
    let url = url::Url::parse(input)
        .map_err(|e| Error::InvalidInvitationUrl(format!("neither signed JSON nor a URL ({e})")))?;
    let mut oob = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "_oob" => oob = Some(value.into_owned()),
            "_oobid" => {
                return Err(Error::InvalidInvitationUrl(
                    "a short `_oobid` URL must be fetched first (mpc-client's `fetch_invitation`; `mpc-id inspect` does)"
                        .into(),
                ));
            }
            _ => {}
        }
    }
    let oob = oob.ok_or_else(|| Error::InvalidInvitationUrl("the URL has no `_oob` parameter".into()))?;
    // Accept padded and unpadded base64url, as the Out-of-Band spec's examples vary.
    let unpadded = oob.trim_end_matches('=');
    let padded = format!("{unpadded}{}", "=".repeat((4 - unpadded.len() % 4) % 4));
    URL_SAFE.decode(padded).map_err(|e| {
        Error::InvalidInvitationUrl(format!("the `_oob` parameter is not base64url; the URL may be truncated ({e})"))
    })
}
