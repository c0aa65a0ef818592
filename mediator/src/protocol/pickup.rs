//! Message Pickup 3.0: a party asks how many messages wait, takes them, and acknowledges them.
//! Messages are deleted only on `messages-received`, never on delivery, so a party that vanishes
//! mid-delivery loses nothing.

use serde_json::{Value, json};

use super::{Incoming, Outcome, Transport};
use crate::Mediator;
use crate::error::{Error, Result};

use mpc_identity::protocols::{
    PICKUP, PICKUP_DELIVERY as DELIVERY, PICKUP_STATUS as STATUS, QUEUE_PURGE as PURGE, message_name,
};
/// Most messages one delivery carries.
pub(crate) const MAX_BATCH: u32 = 100;

pub(super) fn handles(kind: &str) -> bool {
    message_name(kind, PICKUP).is_some() || kind == PURGE
}

pub(super) async fn handle(
    mediator: &Mediator,
    incoming: &Incoming,
    sender: &str,
    transport: Transport,
) -> Result<Outcome> {
    if !mediator.store.is_mediated(sender).await? {
        return Err(Error::NotAuthorized(format!("{sender} has no queue here; send mediate-request first")));
    }
    let body = incoming.body();
    let recipient = recipient_filter(mediator, sender, body).await?;
    if incoming.kind() == PURGE {
        let purged = mediator.store.purge(sender).await?;
        tracing::info!(did = %sender, purged, "purged a queue at its owner's request");
        let mut status = mediator.status(incoming, sender, None).await?;
        status["body"]["purged"] = json!(purged);
        return Ok(Outcome::Reply(status));
    }
    // Deletes everything queued for the sender: a party whose queue an attacker filled empties
    // it in one request (ours; Message Pickup only deletes by id).
    match message_name(incoming.kind(), PICKUP).unwrap_or_default() {
        "status-request" => Ok(Outcome::Reply(mediator.status(incoming, sender, recipient).await?)),
        "delivery-request" => {
            let limit = body["limit"].as_u64().map_or(MAX_BATCH, |l| l.clamp(1, u64::from(MAX_BATCH)) as u32);
            // Ours, beside Message Pickup: `cursor` (from a previous delivery) pages past
            // messages a client keeps queued, so they never hide later ones.
            let after = body["cursor"].as_u64().unwrap_or(0);
            let messages = mediator.store.fetch(sender, recipient, after, limit).await?;
            let Some(last) = messages.last() else {
                return Ok(Outcome::Reply(mediator.status(incoming, sender, recipient).await?));
            };
            mediator.metrics.messages_delivered.add(messages.len() as u64);
            let mut reply = mediator.reply(incoming, DELIVERY, json!({ "cursor": last.seq }));
            if let Some(recipient) = recipient {
                reply["body"]["recipient_did"] = json!(recipient);
            }
            reply["attachments"] = Value::Array(messages.iter().map(attachment).collect());
            Ok(Outcome::Reply(reply))
        }
        "messages-received" => {
            let ids: Vec<String> = body["message_id_list"]
                .as_array()
                .ok_or_else(|| Error::Malformed {
                    kind: "messages-received",
                    reason: "`body.message_id_list` must be a list".into(),
                })?
                .iter()
                .filter_map(|id| id.as_str().map(str::to_owned))
                .collect();
            let deleted = mediator.store.delete(sender, &ids).await?;
            mediator.metrics.messages_acknowledged.add(deleted);
            Ok(Outcome::Reply(mediator.status(incoming, sender, recipient).await?))
        }
        "live-delivery-change" => {
            if transport != Transport::WebSocket {
                return Err(Error::NeedsWebSocket("live delivery"));
            }
            let live = body["live_delivery"].as_bool().ok_or_else(|| Error::Malformed {
                kind: "live-delivery-change",
                reason: "`body.live_delivery` must be true or false".into(),
            })?;
            let mut status = mediator.status(incoming, sender, recipient).await?;
            status["body"]["live_delivery"] = json!(live);
            Ok(Outcome::LiveDelivery(live, status))
        }
        _ => Err(Error::UnsupportedType(incoming.kind().to_owned())),
    }
}

/// A `recipient_did` filter must name one of the sender's own recipients.
async fn recipient_filter<'a>(mediator: &Mediator, sender: &str, body: &'a Value) -> Result<Option<&'a str>> {
    let Some(recipient) = body.get("recipient_did").and_then(Value::as_str) else { return Ok(None) };
    match mediator.store.owner_of(recipient).await? {
        Some(owner) if owner == sender => Ok(Some(recipient)),
        _ => Err(Error::NotAuthorized(format!("{recipient} is not a recipient of {sender}"))),
    }
}

/// A message as a delivery attachment; its id is what `messages-received` acknowledges.
pub(crate) fn attachment(message: &crate::store::StoredMessage) -> Value {
    let data = serde_json::from_str::<Value>(&message.body).unwrap_or(Value::Null);
    json!({ "id": message.id, "data": { "json": data } })
}

impl Mediator {
    /// A `status` reply for `owner`'s queue.
    pub(crate) async fn status(&self, incoming: &Incoming, owner: &str, recipient: Option<&str>) -> Result<Value> {
        let count = self.store.count(owner, recipient).await?;
        let mut body = json!({ "message_count": count, "live_delivery": false });
        if let Some(recipient) = recipient {
            body["recipient_did"] = json!(recipient);
        }
        Ok(self.reply(incoming, STATUS, body))
    }
}
