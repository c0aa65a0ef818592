//! Trust Ping 2.0 between parties: asking a peer whether it is reachable through its mediator,
//! and answering such a question. A peer answers while it watches its inbox, so a ping that
//! times out says "not watching", not "gone".

use std::time::{Duration, Instant};

use mpc_identity::keystore::UnlockedIdentity;
use mpc_identity::protocols::{PING, PING_RESPONSE};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::mediator::{self, MediatorClient};

/// How often the own queue is looked at while waiting for an answer.
const POLL_EVERY: Duration = Duration::from_millis(200);

/// Pings the party `peer` from `me` and waits (picking up at `mediator`, `me`'s own) until it
/// answers or `timeout` passes; returns the round-trip time, or `None` on timeout. The answer is
/// acknowledged; other messages stay queued.
pub async fn ping_peer(
    me: &UnlockedIdentity,
    mediator: &MediatorClient,
    peer: &str,
    timeout: Duration,
) -> Result<Option<Duration>> {
    let started = Instant::now();
    let mut ping = mediator::new_message(PING, &me.record.did, json!({ "response_requested": true }));
    ping["to"] = json!([peer]);
    mediator::send(me, peer, &ping).await?;
    let deadline = started + timeout;
    while Instant::now() < deadline {
        let answer = mediator
            .pickup(me, 100)
            .await?
            .into_iter()
            .find(|received| received.message["type"] == PING_RESPONSE && received.message["thid"] == ping["id"]);
        if let Some(answer) = answer {
            mediator.acknowledge(me, &[answer.id]).await?;
            return Ok(Some(started.elapsed()));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    Ok(None)
}

/// Answers `message` if it is a trust ping that asks for a response (the default); returns
/// whether it answered.
pub async fn answer_ping(me: &UnlockedIdentity, message: &Value) -> Result<bool> {
    let wants_answer = message["type"] == PING && message["body"]["response_requested"] != json!(false);
    let Some(from) = message["from"].as_str().filter(|_| wants_answer) else { return Ok(false) };
    let mut response = mediator::new_message(PING_RESPONSE, &me.record.did, json!({}));
    response["thid"] = message["id"].clone();
    response["to"] = json!([from]);
    mediator::send(me, from, &response).await.map_err(|e| match e {
        Error::Transport { url, reason } => Error::Transport { url, reason: format!("answering a ping: {reason}") },
        other => other,
    })?;
    Ok(true)
}
