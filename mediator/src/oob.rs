//! The Out-of-Band store: short, content-addressed links for signed invitations, so that an
//! invitation fits a QR code a phone reads off a screen.
//!
//! `POST /oob` takes a signed invitation and answers with its `_oobid`, the base64url SHA-256 of
//! its bytes; `GET /oob?_oobid=ID` returns those bytes unchanged. The store accepts only
//! invitations that verify, have not expired, and come from a party this mediator serves, and
//! keeps them until they expire. A client re-hashes what it fetches, so the store cannot swap an
//! invitation for another.

use mpc_identity::did::webvh;
use mpc_identity::invitation::{MAX_INVITATION_BYTES, SignedInvitation, content_address};

use crate::Mediator;
use crate::error::{Error, Result};

impl Mediator {
    /// Publishes a signed invitation; returns its `_oobid`.
    pub async fn publish_invitation(&self, body: &str) -> Result<String> {
        if body.len() > MAX_INVITATION_BYTES {
            return Err(Error::Malformed {
                kind: "invitation",
                reason: format!("larger than {MAX_INVITATION_BYTES} bytes"),
            });
        }
        let now = crate::now();
        let signed = SignedInvitation::parse(body)?;
        let from = signed.claimed_from()?;
        // A did:webvh party is served here if its log is hosted here; it is checked against that.
        if from.starts_with(webvh::PREFIX) {
            let document = self.hosted_document(&from).await?.ok_or_else(|| {
                Error::NotAuthorized(format!(
                    "{from} is not hosted by this mediator; only its parties may publish here"
                ))
            })?;
            let invitation = signed.verify_with(now, |_| Ok(document))?;
            let id = content_address(body.as_bytes());
            self.store.put_invitation(&id, body, &invitation.from, invitation.expires_time).await?;
            return Ok(id);
        }
        let invitation = signed.verify(now)?;
        if !self.store.is_mediated(&invitation.from).await? {
            return Err(Error::NotAuthorized(format!(
                "{} is not served by this mediator; only its parties may publish invitations here",
                invitation.from
            )));
        }
        let id = content_address(body.as_bytes());
        self.store.put_invitation(&id, body, &invitation.from, invitation.expires_time).await?;
        Ok(id)
    }

    /// A published invitation, byte for byte.
    pub async fn published_invitation(&self, id: &str) -> Result<Option<String>> {
        self.store.invitation(id, crate::now()).await
    }
}
