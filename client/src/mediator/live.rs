//! Live delivery: one WebSocket to the mediator, on which it pushes each message for us as it
//! arrives (Message Pickup 3.0 live mode). Live mode does not touch what was queued before it
//! was turned on, so the session first asks for that backlog with `delivery-request`, batch by
//! batch, while new arrivals are pushed. Pushed messages stay queued until acknowledged, so a
//! connection that drops loses nothing: the next session asks for whatever is still queued.
//!
//! Anyone may forward to a party, so a live inbox must outlast junk at full speed. What cannot be
//! opened is acknowledged in batches (one request per [`super::PICKUP_BATCH`] ids or per
//! [`ACK_DELAY`], merged with the caller's own acknowledgements), never one request per message,
//! which would spend the party's own rate limit; and a rate-limit answer from the mediator makes
//! the inbox wait and retry, never end.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

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

/// Longest an unreadable message waits to be acknowledged with others.
const ACK_DELAY: Duration = Duration::from_millis(250);
/// The first wait after the mediator says we are over our rate limit; it doubles up to
/// [`MAX_BACKOFF`] while the answers keep coming.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// Most unreadable ids held for one acknowledgement (a request stays well under any mediator's
/// message size limit).
const MAX_PENDING_ACKS: usize = 1000;

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
    /// Ids of unreadable messages not yet acknowledged, and when they must be at the latest.
    unreadable: Vec<String>,
    ack_due: Option<Instant>,
    /// While over the rate limit: when to send again, and how long the next wait would be.
    quiet_until: Option<Instant>,
    backoff: Duration,
    /// How many messages this session discarded because they could not be opened.
    discarded: u64,
    /// Whether to ask for live mode again (after a refusal that may have been of that request).
    renew_live: bool,
}

impl MediatorClient {
    /// Opens a WebSocket to the mediator and turns on live delivery for `me`.
    pub async fn live(&self, me: &UnlockedIdentity) -> Result<LiveInbox> {
        // `ws` beside the DIDComm endpoint, under the path a proxy may put in front.
        let mut url =
            crate::http::mediator_base(&self.endpoint)?.join("ws").map_err(|e| transport(&self.endpoint, e))?;
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme).map_err(|()| transport(&self.endpoint, "cannot derive a WebSocket URL"))?;
        crate::http::check_scheme(url.as_str())?;
        // The one HTTP policy holds here too: a deadline for the handshake, and frames no larger
        // than the largest reply a mediator may send.
        let config =
            WebSocketConfig::default().max_message_size(Some(MAX_REPLY_BYTES)).max_frame_size(Some(MAX_REPLY_BYTES));
        // The same trust as every other TLS client here; HTTP/1.1, the protocol of the upgrade.
        let tls = tokio_tungstenite::Connector::Rustls(Arc::new(crate::tls::client_config(&[b"http/1.1"])?));
        let connect = tokio_tungstenite::connect_async_tls_with_config(url.as_str(), Some(config), false, Some(tls));
        let (socket, _) = tokio::time::timeout(crate::http::TIMEOUT, connect)
            .await
            .map_err(|_| {
                transport(url.as_str(), format!("no WebSocket within {} s (timed out)", crate::http::TIMEOUT.as_secs()))
            })?
            .map_err(|e| {
                let reason = e.to_string();
                match crate::tls::certificate_hint(&reason) {
                    Some(hint) => transport(url.as_str(), format!("{reason}; {hint}")),
                    None => transport(url.as_str(), reason),
                }
            })?;
        let mut inbox = LiveInbox {
            socket,
            url: url.to_string(),
            mediator_did: self.did.clone(),
            mediator_keys: self.keys.clone(),
            kid: own_agreement_kid(me)?,
            backlog_request: None,
            more_backlog: true,
            handed_out: RecentIds::default(),
            unreadable: Vec::new(),
            ack_due: None,
            quiet_until: None,
            backoff: FIRST_BACKOFF,
            discarded: 0,
            renew_live: false,
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
            let quiet = self.quiet_until.is_some_and(|until| Instant::now() < until);
            if !quiet {
                self.quiet_until = None;
                if !self.unreadable.is_empty()
                    && (self.unreadable.len() >= super::PICKUP_BATCH as usize
                        || self.ack_due.is_some_and(|due| Instant::now() >= due))
                {
                    self.flush_acknowledgements(me).await?;
                }
                if self.renew_live {
                    // The refused request may have been the one that turned live mode on.
                    self.renew_live = false;
                    self.send(me, &format!("{PICKUP}/live-delivery-change"), json!({ "live_delivery": true })).await?;
                }
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
            }
            // Wake for a frame, or when acknowledgements are due or a rate-limit wait ends.
            let wake_at = match (self.quiet_until, self.ack_due) {
                (Some(until), _) => Some(until),
                (None, Some(due)) if !self.unreadable.is_empty() => Some(due),
                _ => None,
            };
            let frame = tokio::select! {
                frame = self.socket.next() => frame,
                () = async {
                    match wake_at {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => continue,
            };
            let frame = match frame {
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
                if !is_rate_limited(&problem) {
                    return Err(problem);
                }
                // Over our own limit (a flood made us busy): wait, then ask again for whatever
                // is still queued, which brings back anything whose acknowledgement was refused.
                tracing::debug!(wait_ms = self.backoff.as_millis() as u64, "the mediator says slow down; waiting");
                self.quiet_until = Some(Instant::now() + self.backoff);
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                self.backlog_request = None;
                self.more_backlog = true;
                self.renew_live = true;
                continue;
            }
            self.backoff = FIRST_BACKOFF;
            let answers_backlog_request =
                self.backlog_request.is_some() && message["thid"].as_str() == self.backlog_request.as_deref();
            if message["type"] == format!("{PICKUP}/delivery") {
                let opened = open_delivery(me, &self.kid, &message).await;
                // What cannot be opened is discarded: left queued, it would be handed out
                // again on every reconnect. Acknowledged with others, not one request each.
                if !opened.unreadable.is_empty() {
                    self.discarded += opened.unreadable.len() as u64;
                    self.ack_due.get_or_insert_with(|| Instant::now() + ACK_DELAY);
                    // Bounded: past it, ids are left to a later batch of the backlog (asked
                    // for again after a rate-limit wait), not held here.
                    let room = MAX_PENDING_ACKS.saturating_sub(self.unreadable.len());
                    self.unreadable.extend(opened.unreadable.iter().take(room).cloned());
                }
                let fresh: Vec<Received> =
                    opened.received.into_iter().filter(|m| self.handed_out.insert(m.id.clone())).collect();
                // A batch of the backlog with anything new in it: ask for the next once this one
                // is acknowledged (or, unacknowledged, until a batch brings nothing new).
                if answers_backlog_request {
                    self.backlog_request = None;
                    self.more_backlog = !fresh.is_empty() || !opened.unreadable.is_empty();
                    if !opened.unreadable.is_empty() {
                        // The next batch would bring these again: acknowledge them first.
                        self.ack_due = Some(Instant::now());
                    }
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

    /// Acknowledges messages: the mediator deletes them. Unreadable messages waiting to be
    /// acknowledged go in the same request.
    pub async fn acknowledge(&mut self, me: &UnlockedIdentity, ids: &[String]) -> Result<()> {
        let mut all = std::mem::take(&mut self.unreadable);
        self.ack_due = None;
        all.extend(ids.iter().filter(|id| !all.contains(id)).cloned().collect::<Vec<_>>());
        if all.is_empty() {
            return Ok(());
        }
        self.send(me, &format!("{PICKUP}/messages-received"), json!({ "message_id_list": all })).await
    }

    /// How many messages this session discarded because they could not be opened.
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    async fn flush_acknowledgements(&mut self, me: &UnlockedIdentity) -> Result<()> {
        self.acknowledge(me, &[]).await
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

/// Whether a problem report says the party is over its rate limit (which waiting cures).
fn is_rate_limited(problem: &crate::Error) -> bool {
    matches!(problem, crate::Error::Problem { code, .. } if code.contains("rate-limited"))
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
