//! Program bundles (ours, `https://mpc-id.dev/program-bundle/1.0`): a session's host leaves its
//! program at its mediator so that parties who do not have it can fetch it (`GET /bundles/ID`).
//!
//! Only a party this mediator serves may share, proved by the authcrypt it sends with; each is
//! bounded in how many bundles it keeps here and their bytes. A bundle is stored under its digest,
//! which the mediator computes itself from the files, so its URL names its content: a joiner
//! checks the digest the host signed into the invitation, and the mediator cannot swap one.
//!
//! Readable by whoever knows the digest. Why not only by the session's parties: a program is
//! not a secret of the computation (MPC hides the parties' inputs, and every party must read the
//! code it agrees to run); its digest travels only in the host's invitation; and reads that need
//! no DID let a party fetch before it has joined, which is when it decides to.

use serde_json::json;

use super::{Incoming, Outcome};
use crate::Mediator;
use crate::error::{Error, Result};
use mpc_identity::bundle::SharedBundle;
use mpc_identity::protocols::{PROGRAM_BUNDLE_SHARE, PROGRAM_BUNDLE_SHARED};

/// Most bundles one party keeps here at a time.
pub(crate) const MAX_BUNDLES_PER_PARTY: u64 = 8;
/// Most bytes of bundles one party keeps here at a time.
pub(crate) const MAX_BUNDLE_BYTES_PER_PARTY: u64 = 16 * 1024 * 1024;

pub(super) fn handles(kind: &str) -> bool {
    kind == PROGRAM_BUNDLE_SHARE
}

pub(super) async fn handle(mediator: &Mediator, incoming: &Incoming, sender: &str) -> Result<Outcome> {
    if !mediator.store.is_mediated(sender).await? {
        return Err(Error::NotAuthorized(format!(
            "{sender} is not served by this mediator; only its parties may share programs here"
        )));
    }
    let malformed = |reason: String| Error::Malformed { kind: "program-bundle/share", reason };
    let now = mediator.now();
    let expires = incoming.body()["expires_time"]
        .as_u64()
        .ok_or_else(|| malformed("`body.expires_time` must be a time (seconds since 1970)".into()))?;
    if expires <= now {
        return Err(malformed("`body.expires_time` has passed".into()));
    }
    let expires = expires.min(now.saturating_add(mediator.config.oob_max_lifetime.as_secs()));
    let attachment = incoming.message["attachments"]
        .as_array()
        .and_then(|list| list.first())
        .map(|a| a["data"]["json"].clone())
        .ok_or_else(|| malformed("the bundle must come as the first attachment (`data.json`)".into()))?;
    let bundle: SharedBundle =
        serde_json::from_value(attachment).map_err(|e| malformed(format!("not a program bundle: {e}")))?;
    let checked = bundle.check().map_err(|e| malformed(e.to_string()))?;
    let bytes: u64 = checked.files.iter().map(|(file, _)| file.size).sum();
    let (count, used) = mediator.store.bundle_usage(sender, now).await?;
    if count >= MAX_BUNDLES_PER_PARTY || used.saturating_add(bytes) > MAX_BUNDLE_BYTES_PER_PARTY {
        return Err(Error::Quota(format!(
            "{sender} already shares {count} bundles ({used} bytes) here; at most {MAX_BUNDLES_PER_PARTY} and \
             {MAX_BUNDLE_BYTES_PER_PARTY} bytes, freed as they expire"
        )));
    }
    let body = serde_json::to_string(&bundle).map_err(|e| malformed(e.to_string()))?;
    mediator.store.put_bundle(&checked.digest, sender, &body, bytes, expires).await?;
    tracing::info!(did = %sender, digest = %checked.digest, bytes, "program bundle shared");
    let url = format!("{}bundles/{}", mediator.identity.public_base(), checked.digest);
    let reply = json!({ "digest": checked.digest, "url": url, "expires_time": expires });
    Ok(Outcome::Reply(mediator.reply(incoming, PROGRAM_BUNDLE_SHARED, reply)))
}
