//! Coordinate Mediation 3.0 (and the 2.0 names, which some clients still send): granting
//! mediation and keeping each party's list of recipient DIDs.
//!
//! A party may register only its own DID or DID URLs under it. First come, first served would
//! otherwise let anyone squat another party's DID and swallow its messages.

use std::net::IpAddr;

use serde_json::{Value, json};

use super::{Incoming, Outcome};
use crate::Mediator;
use crate::error::{Error, Result};
use crate::store::UpdateResult;

use mpc_identity::protocols::{COORDINATE_MEDIATION as V3, COORDINATE_MEDIATION_2 as V2, message_name};

pub(super) fn handles(kind: &str) -> bool {
    message_name(kind, V3).or_else(|| message_name(kind, V2)).is_some()
}

pub(super) async fn handle(mediator: &Mediator, incoming: &Incoming, sender: &str, client: IpAddr) -> Result<Outcome> {
    let kind = incoming.kind();
    let (v2, name) = match message_name(kind, V3) {
        Some(name) => (false, name),
        None => (true, message_name(kind, V2).unwrap_or_default()),
    };
    let base = if v2 { V2 } else { V3 };
    match name {
        "mediate-request" => {
            if !mediator.store.is_mediated(sender).await? {
                admit_enrollment(mediator, incoming, sender, client).await?;
            }
            mediator.store.grant(sender, mediator.now()).await?;
            // The party's signing key is also its network address: let it use the relay.
            if let Some(key) = signing_key(mediator, sender) {
                mediator.store.add_relay_key(&mpc_identity::hex(&key), sender).await?;
            }
            tracing::info!(did = %sender, "granted mediation");
            // 3.0 made routing_did a list; 2.0 clients expect a string.
            let routing = if v2 { json!(mediator.identity.did) } else { json!([mediator.identity.did]) };
            Ok(Outcome::Reply(mediator.reply(
                incoming,
                &format!("{base}/mediate-grant"),
                json!({ "routing_did": routing }),
            )))
        }
        "recipient-update" | "keylist-update" => {
            require_mediated(mediator, sender).await?;
            let updates = incoming.body()["updates"].as_array().ok_or_else(|| Error::Malformed {
                kind: "recipient-update",
                reason: "`body.updates` must be a list".into(),
            })?;
            let mut updated = Vec::with_capacity(updates.len());
            for update in updates {
                updated.push(apply_update(mediator, sender, update).await?);
            }
            let reply = if v2 { "keylist-update-response" } else { "recipient-update-response" };
            Ok(Outcome::Reply(mediator.reply(incoming, &format!("{base}/{reply}"), json!({ "updated": updated }))))
        }
        "recipient-query" | "keylist-query" => {
            require_mediated(mediator, sender).await?;
            let (reply, field) = if v2 { ("keylist", "keys") } else { ("recipient", "dids") };
            let page = Page::of(incoming.body(), name)?;
            let all = mediator.store.recipients(sender).await?;
            let total = all.len();
            let list: Vec<Value> =
                all.into_iter().skip(page.offset).take(page.limit).map(|r| json!({ "recipient_did": r })).collect();
            let mut body = json!({ field: list });
            // Only when asked for: `pagination` is the page's size, where it starts, and how many
            // follow it.
            if page.asked {
                body["pagination"] = json!({
                    "count": list_len(&body[field]),
                    "offset": page.offset,
                    "remaining": total.saturating_sub(page.offset + list_len(&body[field])),
                });
            }
            Ok(Outcome::Reply(mediator.reply(incoming, &format!("{base}/{reply}"), body)))
        }
        _ => Err(Error::UnsupportedType(kind.to_owned())),
    }
}

/// The page a `recipient-query` (or `keylist-query`) asks for with `paginate`
/// (`{"limit": N, "offset": M}`); everything when it does not.
struct Page {
    limit: usize,
    offset: usize,
    asked: bool,
}

impl Page {
    fn of(body: &Value, kind: &str) -> Result<Self> {
        let Some(paginate) = body.get("paginate").filter(|p| !p.is_null()) else {
            return Ok(Page { limit: usize::MAX, offset: 0, asked: false });
        };
        let number = |field: &str, default: usize| match paginate.get(field) {
            None | Some(Value::Null) => Ok(default),
            Some(value) => value.as_u64().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| Error::Malformed {
                kind: "recipient-query",
                reason: format!("{kind}: `paginate.{field}` must be a non-negative integer"),
            }),
        };
        Ok(Page { limit: number("limit", usize::MAX)?, offset: number("offset", 0)?, asked: true })
    }
}

fn list_len(list: &Value) -> usize {
    list.as_array().map_or(0, Vec::len)
}

/// A new enrollment: within its source's hourly allowance, and with a valid token when the
/// mediator is closed. Enrolling is what lets a DID hold a queue, short links and relay access,
/// so it is the one step anonymous clients must not get for free.
async fn admit_enrollment(mediator: &Mediator, incoming: &Incoming, sender: &str, client: IpAddr) -> Result<()> {
    // A did:webvh DID hosted here spent its token when its name was created. An authenticated
    // did:webvh sender is one hosted here: its envelope opened only with the verified document
    // `learn_sender` took from this ledger (see `Mediator::resolve`), so there is nothing to load.
    let hosted = sender.starts_with(mpc_identity::did::webvh::PREFIX);
    if mediator.config.require_token && !hosted {
        let token = incoming.body()["token"].as_str().ok_or_else(|| {
            Error::NotAuthorized(
                "this mediator enrolls only holders of an enrollment token from its operator; \
                 ask them for one and enroll with `--token`"
                    .into(),
            )
        })?;
        // On a closed mediator only attempts with a valid token count against the address's
        // allowance: strangers without one must not lock out a token holder behind the same
        // address (a campus, a carrier's NAT).
        let digest = crate::tokens::digest(token);
        if !mediator.store.token_valid(&digest, mediator.now()).await? {
            return Err(Error::NotAuthorized("the enrollment token is unknown, used up or expired".into()));
        }
        mediator.limits.check_enrollment(client)?;
        if !mediator.store.redeem_token(&digest, mediator.now()).await? {
            return Err(Error::NotAuthorized("the enrollment token is unknown, used up or expired".into()));
        }
        tracing::info!(did = %sender, "enrolled with a token");
        return Ok(());
    }
    mediator.limits.check_enrollment(client)
}

async fn require_mediated(mediator: &Mediator, sender: &str) -> Result<()> {
    if mediator.store.is_mediated(sender).await? {
        Ok(())
    } else {
        Err(Error::NotAuthorized(format!("{sender} has not been granted mediation; send mediate-request first")))
    }
}

async fn apply_update(mediator: &Mediator, sender: &str, update: &Value) -> Result<Value> {
    let malformed = |reason: &str| Error::Malformed { kind: "recipient-update", reason: reason.to_owned() };
    let recipient = update["recipient_did"].as_str().ok_or_else(|| malformed("each update needs `recipient_did`"))?;
    let action = update["action"].as_str().ok_or_else(|| malformed("each update needs `action`"))?;
    let own = recipient == sender || mpc_identity::did::split_did_url(recipient).is_some_and(|(did, _)| did == sender);
    let result = if !own {
        "client_error"
    } else {
        let outcome = match action {
            "add" => {
                let max = mediator.config.max_recipients;
                if mediator.store.owner_of(recipient).await?.is_none()
                    && mediator.store.recipients(sender).await?.len() as u64 >= max
                {
                    return Err(Error::Quota(format!(
                        "{sender} already registered {max} recipients; remove one first"
                    )));
                }
                mediator.store.add_recipient(sender, recipient).await?
            }
            "remove" => {
                mediator.owners.forget(recipient);
                mediator.store.remove_recipient(sender, recipient).await?
            }
            _ => return Err(malformed("`action` must be `add` or `remove`")),
        };
        match outcome {
            UpdateResult::Success => "success",
            UpdateResult::NoChange => "no_change",
            UpdateResult::Taken => "client_error",
        }
    };
    Ok(json!({ "recipient_did": recipient, "action": action, "result": result }))
}

/// The Ed25519 signing key (first `authentication` key) of an authenticated sender.
fn signing_key(mediator: &Mediator, did: &str) -> Option<[u8; 32]> {
    let document = mediator.resolve(did).ok()?;
    let kid = match document.authentication.first()? {
        mpc_identity::did::Relationship::Reference(id) => document.absolute(id),
        mpc_identity::did::Relationship::Embedded(method) => document.absolute(&method.id),
    };
    let key = document.authentication_key(&kid).ok()?;
    key.as_ed25519().ok().map(|k| k.to_bytes())
}
