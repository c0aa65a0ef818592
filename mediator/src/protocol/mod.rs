//! What the mediator does with a DIDComm message: open it, check who may do what, dispatch on
//! its type, and seal the reply to the sender.
//!
//! A request acts for the DID that authenticated it (the sender of an authcrypt envelope); the
//! only thing an anonymous sender may do is `forward`.

mod bundles;
mod mediation;
mod pickup;
mod routing;

pub(crate) use pickup::{MAX_BATCH, attachment};
pub(crate) use routing::source_of;

use std::net::IpAddr;

use serde_json::{Value, json};

use crate::Mediator;
use crate::error::{Error, Result};
use mpc_identity::did;
use mpc_identity::envelope::encrypted;

use mpc_identity::protocols::{
    DISCOVER_DISCLOSE, DISCOVER_QUERIES, FORWARD, MEDIATOR_PROTOCOLS, PING, PING_RESPONSE, PROBLEM_REPORT,
};

/// How far in the future a `created_time` may lie (clocks differ).
const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// Longest message id accepted.
pub(crate) const MAX_ID_BYTES: usize = 256;

/// How a message arrived, which decides what it may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Http,
    WebSocket,
}

/// An opened message and who sent it.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub message: Value,
    /// The authenticated sender's DID; `None` for anoncrypt.
    pub sender: Option<String>,
}

impl Incoming {
    pub(crate) fn id(&self) -> &str {
        self.message.get("id").and_then(Value::as_str).unwrap_or("")
    }

    pub(crate) fn kind(&self) -> &str {
        self.message.get("type").and_then(Value::as_str).unwrap_or("")
    }

    pub(crate) fn body(&self) -> &Value {
        self.message.get("body").unwrap_or(&Value::Null)
    }

    /// The sender, or an error for the anonymous: everything but `forward` needs one.
    pub(crate) fn authenticated(&self) -> Result<&str> {
        self.sender.as_deref().ok_or_else(|| {
            Error::NotAuthorized(format!(
                "`{}` must be authcrypted by its sender; only forward may be anonymous",
                self.kind()
            ))
        })
    }
}

/// What handling a message produced.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A plaintext reply for the sender.
    Reply(Value),
    /// Done; nothing to say.
    Accepted,
    /// Live delivery switched on or off (WebSocket only).
    LiveDelivery(bool, Value),
}

impl Mediator {
    /// Refuses a client address over its rate limit, before any work is spent on it.
    pub(crate) fn admit(&self, ip: std::net::IpAddr) -> Result<()> {
        self.limits.check_ip(ip)
    }

    /// Decrypts an envelope addressed to the mediator.
    pub(crate) fn open_envelope(&self, envelope: &str) -> Result<Incoming> {
        let kids = self.identity.own_kids();
        let opened = encrypted::decrypt(envelope, &self.identity.keys, kids, |did| self.resolve(did))?;
        let sender = opened.sender_kid.and_then(|kid| did::split_did_url(&kid).map(|(d, _)| d.to_owned()));
        let message = opened.message;
        let id = message.get("id").and_then(Value::as_str);
        if message.get("type").and_then(Value::as_str).is_none() || id.is_none() {
            return Err(Error::Malformed {
                kind: "DIDComm",
                reason: "a message needs a string `id` and `type`".into(),
            });
        }
        // Ids are remembered to refuse replays: they must not be a way to fill the database.
        if id.is_some_and(|id| id.len() > MAX_ID_BYTES) {
            return Err(Error::Malformed {
                kind: "DIDComm",
                reason: format!("`id` is longer than {MAX_ID_BYTES} bytes"),
            });
        }
        Ok(Incoming { message, sender })
    }

    /// Handles an opened message from the client at `client`.
    pub(crate) async fn handle(&self, incoming: &Incoming, transport: Transport, client: IpAddr) -> Result<Outcome> {
        let now = self.now();
        self.check_fresh(incoming, now)?;
        if let Some(sender) = &incoming.sender {
            self.limits.check_did(sender)?;
            // Ids are remembered (a database write) only for enrolled senders: anyone can make
            // fresh DIDs for free, and what a stranger may do (ask for mediation, ping, discover
            // features, forward: its envelope's digest is remembered) changes nothing a replay
            // could repeat to harm.
            if self.store.is_mediated(sender).await? {
                if !self.store.remember(sender, incoming.id(), now).await? {
                    return Err(Error::Replay(incoming.id().to_owned()));
                }
                self.touch(sender, now).await?;
            }
        }
        let kind = incoming.kind();
        if kind == FORWARD {
            return routing::forward(self, incoming, client).await;
        }
        let sender = incoming.authenticated()?;
        match kind {
            PING => Ok(if incoming.body()["response_requested"] == json!(false) {
                Outcome::Accepted
            } else {
                Outcome::Reply(self.reply(incoming, PING_RESPONSE, json!({})))
            }),
            DISCOVER_QUERIES => Ok(Outcome::Reply(self.disclose(incoming))),
            _ if mediation::handles(kind) => mediation::handle(self, incoming, sender, client).await,
            _ if pickup::handles(kind) => pickup::handle(self, incoming, sender, transport).await,
            _ if bundles::handles(kind) => bundles::handle(self, incoming, sender).await,
            other => Err(Error::UnsupportedType(other.to_owned())),
        }
    }

    /// Refuses a message older than the replay window by its `created_time` (its id or digest
    /// may have been forgotten, so a captured copy could otherwise be accepted again), or one
    /// claiming to come from well in the future (it would outlive the window).
    fn check_fresh(&self, incoming: &Incoming, now: u64) -> Result<()> {
        let Some(created) = incoming.message.get("created_time") else { return Ok(()) };
        let created = created.as_u64().ok_or_else(|| Error::Malformed {
            kind: "DIDComm",
            reason: "`created_time` must be a number of seconds since 1970".into(),
        })?;
        let window = self.config.replay_window.as_secs();
        if created.saturating_add(window) < now {
            return Err(Error::Replay(format!(
                "{} (created {} s ago, beyond the {window}-second replay window)",
                incoming.id(),
                now - created
            )));
        }
        if created > now.saturating_add(MAX_CLOCK_SKEW_SECS) {
            return Err(Error::Malformed {
                kind: "DIDComm",
                reason: format!("`created_time` is {} s in the future; check the sender's clock", created - now),
            });
        }
        Ok(())
    }

    /// Records that an enrolled party is active (at most once an hour per party), so that only
    /// enrollments nobody uses expire.
    async fn touch(&self, did: &str, now: u64) -> Result<()> {
        if self.activity.needs_touch(did, now) {
            self.store.touch(did, now).await?;
        }
        Ok(())
    }

    /// A reply to `incoming`, threaded to it.
    pub(crate) fn reply(&self, incoming: &Incoming, kind: &str, body: Value) -> Value {
        let mut reply = self.message(kind, body, incoming.sender.as_deref());
        reply["thid"] = json!(incoming.message.get("thid").and_then(Value::as_str).unwrap_or(incoming.id()));
        reply
    }

    /// A new message from the mediator.
    pub(crate) fn message(&self, kind: &str, body: Value, to: Option<&str>) -> Value {
        let mut message = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "type": kind,
            "from": self.identity.did,
            "created_time": self.now(),
            "body": body,
        });
        if let Some(to) = to {
            message["to"] = json!([to]);
        }
        message
    }

    /// A Problem Report 2.0 about `error`, threaded to the message that caused it when known.
    pub(crate) fn problem_report(&self, error: &Error, cause: Option<&Incoming>) -> Value {
        // Internal failures are logged in full; the sender learns only that one happened.
        let comment = match error.http_status() {
            500 => "the mediator failed to carry out the request; try again later".to_owned(),
            _ => error.to_string(),
        };
        let body = json!({ "code": error.problem_code(), "comment": comment });
        let mut report = self.message(PROBLEM_REPORT, body, cause.and_then(|c| c.sender.as_deref()));
        if let Some(cause) = cause {
            report["pthid"] = json!(cause.id());
        }
        report
    }

    /// Seals a plaintext message from the mediator to `to`'s key-agreement keys.
    pub(crate) fn seal(&self, message: &Value, to: &str) -> Result<String> {
        let document = self.resolve(to)?;
        let recipients = encrypted::recipient_keys(&document)?;
        Ok(encrypted::authcrypt(message, &self.identity.keys, &self.identity.agreement_kid, &recipients)?)
    }

    fn disclose(&self, incoming: &Incoming) -> Value {
        let queries = incoming.body()["queries"].as_array().cloned().unwrap_or_default();
        let disclosures: Vec<Value> = MEDIATOR_PROTOCOLS
            .iter()
            .filter(|protocol| {
                queries.iter().any(|q| {
                    q["feature-type"] == "protocol" && q["match"].as_str().is_some_and(|m| glob_match(m, protocol))
                })
            })
            .map(|protocol| json!({ "feature-type": "protocol", "id": protocol }))
            .collect();
        self.reply(incoming, DISCOVER_DISCLOSE, json!({ "disclosures": disclosures }))
    }
}

/// Discover Features matching: `*` matches any run of characters. Patterns come from outside,
/// so their size is bounded before the (backtracking) match.
fn glob_match(pattern: &str, text: &str) -> bool {
    if pattern.len() > 256 || pattern.matches('*').count() > 4 || !text.is_ascii() {
        return false;
    }
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            text.starts_with(head) && (0..=text.len() - head.len()).any(|i| glob_match(rest, &text[head.len() + i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn discover_features_globs() {
        assert!(glob_match("https://didcomm.org/*", "https://didcomm.org/routing/2.0"));
        assert!(glob_match("*pickup*", "https://didcomm.org/messagepickup/3.0"));
        assert!(glob_match("https://didcomm.org/trust-ping/2.0", "https://didcomm.org/trust-ping/2.0"));
        assert!(!glob_match("https://didcomm.org/trust-ping/1.0", "https://didcomm.org/trust-ping/2.0"));
        assert!(!glob_match("x*", "y"));
    }
}
