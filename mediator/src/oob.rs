//! The Out-of-Band store: short, content-addressed links for signed invitations, so that an
//! invitation fits a QR code a phone reads off a screen.
//!
//! `POST /oob` takes a signed invitation and answers with its `_oobid`, the base64url SHA-256 of
//! its canonical form (the JWS re-serialised in one fixed order, no whitespace: one invitation
//! re-posted with other spacing or member order is one link, not thousands); `GET /oob?_oobid=ID`
//! returns those bytes. The store accepts only invitations that verify, have not expired, and
//! come from a party this mediator serves, at most a quota of live links per party, and keeps
//! each until it expires or a maximum lifetime passes, whichever is first. A client re-hashes
//! what it fetches, so the store cannot swap an invitation for another.

use mpc_identity::did::webvh;
use mpc_identity::invitation::{MAX_INVITATION_BYTES, SignedInvitation, content_address};

use crate::Mediator;
use crate::error::{Error, Result};

impl Mediator {
    /// Publishes a signed invitation; returns its `_oobid`.
    pub(crate) async fn publish_invitation(&self, body: &str) -> Result<String> {
        if body.len() > MAX_INVITATION_BYTES {
            return Err(Error::Malformed {
                kind: "invitation",
                reason: format!("larger than {MAX_INVITATION_BYTES} bytes"),
            });
        }
        let now = self.now();
        let signed = SignedInvitation::parse(body)?;
        let canonical = signed.to_json();
        let from = signed.claimed_from()?;
        // A did:webvh party is served here if its log is hosted here; it is checked against that.
        if from.starts_with(webvh::PREFIX) {
            let document = self.hosted_document(&from).await?.ok_or_else(|| {
                Error::NotAuthorized(format!(
                    "{from} is not hosted by this mediator; only its parties may publish here"
                ))
            })?;
            let invitation = signed.verify_with(now, |_| Ok(document))?;
            return self.store_invitation(&canonical, &invitation.from, invitation.expires_time, now).await;
        }
        let invitation = signed.verify(now)?;
        if !self.store.is_mediated(&invitation.from).await? {
            return Err(Error::NotAuthorized(format!(
                "{} is not served by this mediator; only its parties may publish invitations here",
                invitation.from
            )));
        }
        self.store_invitation(&canonical, &invitation.from, invitation.expires_time, now).await
    }

    /// Stores a verified invitation in canonical form, within its inviter's quota and the
    /// maximum lifetime.
    async fn store_invitation(&self, canonical: &str, inviter: &str, expires: u64, now: u64) -> Result<String> {
        let id = content_address(canonical.as_bytes());
        if self.store.invitation(&id, now).await?.is_some() {
            return Ok(id);
        }
        let quota = self.config.oob_per_identity;
        if self.store.count_invitations(inviter, now).await? >= quota {
            return Err(Error::Quota(format!(
                "{inviter} already has {quota} short links here; they free up as their invitations expire"
            )));
        }
        let expires = expires.min(now.saturating_add(self.config.oob_max_lifetime.as_secs()));
        self.store.put_invitation(&id, canonical, inviter, expires).await?;
        Ok(id)
    }

    /// A published invitation, byte for byte.
    pub(crate) async fn published_invitation(&self, id: &str) -> Result<Option<String>> {
        self.store.invitation(id, self.now()).await
    }
}
