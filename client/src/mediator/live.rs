//! Live delivery: one WebSocket to the mediator, on which it pushes each message for us as it
//! arrives (Message Pickup 3.0 live mode). Pushed messages stay queued until acknowledged, so a
//! connection that drops loses nothing: the next session is pushed whatever is still queued.

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
        };
        inbox.send(me, &format!("{PICKUP}/live-delivery-change"), json!({ "live_delivery": true })).await?;
        Ok(inbox)
    }
}

impl LiveInbox {
    /// Waits for the next messages the mediator pushes, and opens them.
    pub async fn next(&mut self, me: &UnlockedIdentity) -> Result<Vec<Received>> {
        loop {
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
            if message["type"] == format!("{PICKUP}/delivery") {
                let opened = open_delivery(me, &self.kid, &message).await;
                // What cannot be opened is discarded: left queued, it would be pushed again
                // on every reconnect.
                if !opened.unreadable.is_empty() {
                    self.acknowledge(me, &opened.unreadable).await?;
                }
                if opened.received.is_empty() {
                    continue;
                }
                return Ok(opened.received);
            }
            // Status replies to our requests carry nothing to hand out.
        }
    }

    /// Acknowledges messages: the mediator deletes them.
    pub async fn acknowledge(&mut self, me: &UnlockedIdentity, ids: &[String]) -> Result<()> {
        self.send(me, &format!("{PICKUP}/messages-received"), json!({ "message_id_list": ids })).await
    }

    async fn send(&mut self, me: &UnlockedIdentity, kind: &str, body: Value) -> Result<()> {
        let message = new_message(kind, &me.record.did, body);
        let sealed = encrypted::authcrypt(&message, &me.keys, &self.kid, &self.mediator_keys)?;
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
