//! Routing 2.0: `forward`. The inner message is stored opaque for the party that registered the
//! `next` recipient, then pushed to that party if it is listening live.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Incoming, Outcome};
use crate::Mediator;
use crate::error::{Error, Result};
use crate::store::{Enqueued, NewMessage, QueueCaps};

pub(super) async fn forward(mediator: &Mediator, incoming: &Incoming, client: IpAddr) -> Result<Outcome> {
    let malformed = |reason: &str| Error::Malformed { kind: "forward", reason: reason.to_owned() };
    let next = incoming.body()["next"].as_str().ok_or_else(|| malformed("`body.next` must be a DID or DID URL"))?;
    let attachment = incoming.message["attachments"]
        .as_array()
        .and_then(|list| list.first())
        .ok_or_else(|| malformed("the forwarded message must be the first attachment"))?;
    let inner = attachment_payload(&attachment["data"])
        .ok_or_else(|| malformed("the attachment has no `json` or `base64` data"))?;

    // A DID URL in `next` is matched as given, then by its DID: senders disagree on which to use,
    // and a silent drop is the worst outcome.
    let owner = match mediator.owner_of(next).await? {
        Some(owner) => Some(owner),
        None => match mpc_identity::did::split_did_url(next) {
            Some((did, _)) => mediator.owner_of(did).await?,
            None => None,
        },
    };
    let owner = owner.ok_or_else(|| Error::UnknownRecipient(next.to_owned()))?;

    // The same envelope forwarded twice is a replay, whoever sends it.
    let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(inner.as_bytes()));
    let now = mediator.now();
    let id = uuid::Uuid::now_v7().to_string();
    let source = source_of(client);
    let message = NewMessage {
        id: &id,
        owner: &owner,
        recipient: next,
        body: &inner,
        digest: &digest,
        source: &source,
        received_at: now,
        expires_at: now.saturating_add(mediator.config.message_ttl.as_secs()),
    };
    // The store wakes the owner's live sessions.
    let caps = QueueCaps {
        owner: mediator.config.queue_cap,
        per_source: mediator.config.queue_cap_per_source,
        per_source_bytes: mediator.config.queue_bytes_per_source,
    };
    match mediator.store.enqueue_forward(&message, caps).await? {
        Enqueued::Stored => {}
        Enqueued::Replay => return Err(Error::Replay(format!("forward of envelope {digest}"))),
        Enqueued::QueueFull => return Err(Error::QueueFull(next.to_owned())),
        Enqueued::SourceFull => {
            return Err(Error::Quota(format!(
                "{} messages or {} bytes from your address already wait for `{next}`; it must pick them up first",
                caps.per_source, caps.per_source_bytes
            )));
        }
    }
    mediator.metrics.forwards_stored.inc();
    tracing::debug!(%id, owner = %owner, bytes = inner.len(), "stored a forwarded message");
    Ok(Outcome::Accepted)
}

/// The source a forward counts against: its client address, or for IPv6 the /64 it is in (one
/// host commonly holds a whole /64).
pub(crate) fn source_of(client: IpAddr) -> String {
    match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(prefix))
            }
        },
    }
}

/// The attachment's content as JSON text: `data.json` serialized, or `data.base64` decoded.
fn attachment_payload(data: &Value) -> Option<String> {
    if let Some(json) = data.get("json").filter(|v| v.is_object()) {
        return serde_json::to_string(json).ok();
    }
    let encoded = data.get("base64")?.as_str()?;
    let bytes = STANDARD.decode(encoded).or_else(|_| URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('='))).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    serde_json::from_str::<Value>(&text).ok().filter(Value::is_object).map(|_| text)
}
