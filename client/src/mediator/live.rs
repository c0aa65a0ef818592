//! Live delivery: one WebSocket to the mediator, on which it pushes each message for us as it
//! arrives (Message Pickup 3.0 live mode). Live mode does not touch what was queued before it
//! was turned on, so the session first asks for that backlog with `delivery-request`, batch by
//! batch, while new arrivals are pushed. Pushed messages stay queued until acknowledged, so a
//! connection that drops loses nothing: the next session asks for whatever is still queued.

use std::collections::{HashSet, VecDeque};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::{
    MAX_REPLY_BYTES, MediatorClient, PICKUP, Received, new_message, open_delivery, own_agreement_kid, problem_of,
    transport,
};
use mpc_identity::did;
use mpc_identity::envelope::encrypted::{self, RecipientKey};
use mpc_identity::keystore::UnlockedIdentity;

use crate::error::Result;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A live session with a mediator.
#[derive(Debug)]
pub struct LiveInbox {
    socket: Socket,
    url: String,
    mediator_did: String,
    mediator_keys: Vec<RecipientKey>,
    kid: String,
    /// The id of our pending `delivery-request` for the backlog, while there may be more of it.
    backlog_request: Option<String>,
    /// Whether to ask for the next batch of the backlog before waiting again.
    more_backlog: bool,
    /// Ids handed out lately: a message that arrives while a batch of the backlog is asked for
    /// comes both ways (pushed, and in the batch), and is handed out once.
    handed_out: RecentIds,
}

impl MediatorClient {
    /// Opens a WebSocket to the mediator and turns on live delivery for `me`.
    pub async fn live(&self, me: &UnlockedIdentity) -> Result<LiveInbox> {
        let mut url = url::Url::parse(&self.endpoint).map_err(|e| transport(&self.endpoint, e))?;
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme).map_err(|()| transport(&self.endpoint, "cannot derive a WebSocket URL"))?;
        url.set_path("/ws");
        // The one HTTP policy holds here too: a deadline for the handshake, and frames no larger
        // than the largest reply a mediator may send.
        let config =
            WebSocketConfig::default().max_message_size(Some(MAX_REPLY_BYTES)).max_frame_size(Some(MAX_REPLY_BYTES));
        let connect = tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), false);
        let (socket, _) = tokio::time::timeout(crate::http::TIMEOUT, connect)
            .await
            .map_err(|_| {
                transport(url.as_str(), format!("no WebSocket within {} s (timed out)", crate::http::TIMEOUT.as_secs()))
            })?
            .map_err(|e| transport(url.as_str(), e))?;
        let mut inbox = LiveInbox {
            socket,
            url: url.to_string(),
            mediator_did: self.did.clone(),
            mediator_keys: self.keys.clone(),
            kid: own_agreement_kid(me)?,
            backlog_request: None,
            more_backlog: true,
            handed_out: RecentIds::default(),
        };
        inbox.send(me, &format!("{PICKUP}/live-delivery-change"), json!({ "live_delivery": true })).await?;
        Ok(inbox)
    }
}

impl LiveInbox {
    /// Waits for the next messages: first what was queued (asked for, a batch at a time), then
    /// what the mediator pushes as it arrives. Each is opened and handed out once.
    pub async fn next(&mut self, me: &UnlockedIdentity) -> Result<Vec<Received>> {
        loop {
            if self.more_backlog {
                self.more_backlog = false;
                let request = new_message(
                    &format!("{PICKUP}/delivery-request"),
                    &me.record.did,
                    json!({ "limit": super::PICKUP_BATCH }),
                );
                self.backlog_request = request["id"].as_str().map(str::to_owned);
                self.send_message(me, &request).await?;
            }
            let frame = match self.socket.next().await {
                Some(Ok(frame)) => frame,
                Some(Err(e)) => return Err(transport(&self.url, e)),
                None => return Err(transport(&self.url, "the mediator closed the connection")),
            };
            let Ok(text) = frame.to_text() else { continue };
            if text.is_empty() {
                continue;
            }
            let message = self.open(me, text)?;
            if let Some(problem) = problem_of(&message) {
                return Err(problem);
            }
            let answers_backlog_request =
                self.backlog_request.is_some() && message["thid"].as_str() == self.backlog_request.as_deref();
            if message["type"] == format!("{PICKUP}/delivery") {
                let opened = open_delivery(me, &self.kid, &message).await;
                // What cannot be opened is discarded: left queued, it would be handed out
                // again on every reconnect.
                if !opened.unreadable.is_empty() {
                    self.acknowledge(me, &opened.unreadable).await?;
                }
                let fresh: Vec<Received> =
                    opened.received.into_iter().filter(|m| self.handed_out.insert(m.id.clone())).collect();
                // A batch of the backlog with anything new in it: ask for the next once this one
                // is acknowledged (or, unacknowledged, until a batch brings nothing new).
                if answers_backlog_request {
                    self.backlog_request = None;
                    self.more_backlog = !fresh.is_empty() || !opened.unreadable.is_empty();
                }
                if fresh.is_empty() {
                    continue;
                }
                return Ok(fresh);
            }
            if answers_backlog_request {
                // A `status` in answer to the request: nothing (more) was queued.
                self.backlog_request = None;
            }
            // Other status replies to our requests carry nothing to hand out.
        }
    }

    /// Acknowledges messages: the mediator deletes them.
    pub async fn acknowledge(&mut self, me: &UnlockedIdentity, ids: &[String]) -> Result<()> {
        self.send(me, &format!("{PICKUP}/messages-received"), json!({ "message_id_list": ids })).await
    }

    async fn send(&mut self, me: &UnlockedIdentity, kind: &str, body: Value) -> Result<()> {
        let message = new_message(kind, &me.record.did, body);
        self.send_message(me, &message).await
    }

    async fn send_message(&mut self, me: &UnlockedIdentity, message: &Value) -> Result<()> {
        let sealed = encrypted::authcrypt(message, &me.keys, &self.kid, &self.mediator_keys)?;
        self.socket.send(Message::text(sealed)).await.map_err(|e| transport(&self.url, e))
    }

    /// Opens a frame: sealed to us by the mediator (or a problem report in clear).
    fn open(&self, me: &UnlockedIdentity, text: &str) -> Result<Value> {
        if !text.contains("\"ciphertext\"") {
            return serde_json::from_str(text).map_err(|e| transport(&self.url, format!("not JSON ({e})")));
        }
        let opened = encrypted::decrypt(text, &me.keys, std::slice::from_ref(&self.kid), did::resolve)?;
        let sender = opened.sender_kid.as_deref().and_then(|k| did::split_did_url(k).map(|(d, _)| d.to_owned()));
        if sender.as_deref() != Some(self.mediator_did.as_str()) {
            return Err(transport(&self.url, "a pushed message was not sealed by the mediator"));
        }
        Ok(opened.message)
    }
}

/// The ids of the last [`RecentIds::CAPACITY`] messages handed out, oldest forgotten first.
#[derive(Debug, Default)]
struct RecentIds {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl RecentIds {
    /// Well above what can arrive twice: a batch of the backlog and the pushes meanwhile.
    const CAPACITY: usize = 4096;

    /// Remembers `id`; `false` if it was handed out lately.
    fn insert(&mut self, id: String) -> bool {
        if !self.set.insert(id.clone()) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > Self::CAPACITY
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        true
    }
}
