//! One WebSocket's DIDComm session: requests and replies as text frames, and with Message
//! Pickup's live mode on, each message for the session's DID pushed as it arrives.

use std::sync::Arc;

use axum::extract::ws::{Message as WsMessage, WebSocket};
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::Mediator;
use crate::error::Error;
use crate::listener::ClientAddr;
use crate::live::Arrival;
use crate::protocol::{Incoming, Outcome, Transport};
use crate::store::StoredMessage;

/// One WebSocket session. It belongs to the DID of the first message that authenticates on it;
/// with live delivery on, new messages for that DID are pushed as they arrive (those queued
/// before are left to `delivery-request`, as the protocol says). A message pushed
/// stays queued until acknowledged; the session keeps a cursor (the last queue position pushed),
/// so nothing is pushed twice on it however long acknowledgements take.
pub(crate) async fn session(mediator: Arc<Mediator>, mut socket: WebSocket, client: ClientAddr) {
    mediator.metrics.websockets_open.inc();
    let mut owner: Option<String> = None;
    let mut live: Option<broadcast::Receiver<Arrival>> = None;
    let mut cursor: u64 = 0;
    // A socket nobody authenticates on is closed: it would otherwise hold a session for free.
    let unauthenticated_deadline = tokio::time::Instant::now() + mediator.config.ws_auth_timeout;
    // A socket is pinged every interval; one that sends nothing, not even a pong, for three is
    // gone (a peer that vanished without a FIN, or one holding the socket and never reading).
    let ping_every = mediator.config.ws_ping_interval.max(std::time::Duration::from_millis(100));
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut last_heard = tokio::time::Instant::now();
    loop {
        let deadline = async {
            if owner.is_none() {
                tokio::time::sleep_until(unauthenticated_deadline).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let wake = async {
            match live.as_mut() {
                // A lagged receiver still means "there is news"; a closed one never wakes again.
                Some(receiver) => match receiver.recv().await {
                    Ok(arrival) => arrival,
                    Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => std::future::pending().await,
                },
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            frame = socket.recv() => {
                last_heard = tokio::time::Instant::now();
                let text = match frame {
                    Some(Ok(WsMessage::Text(text))) => text.to_string(),
                    Some(Ok(WsMessage::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                };
                mediator.metrics.requests.inc();
                if let Err(error) = mediator.admit(client.0) {
                    let report = mediator.problem_report(&error, None).to_string();
                    if socket.send(WsMessage::Text(report.into())).await.is_err() {
                        break;
                    }
                    continue;
                }
                let reply = on_frame(&mediator, &text, client, &mut owner, &mut live, &mut cursor).await;
                if let Some(reply) = reply
                    && socket.send(WsMessage::Text(reply.into())).await.is_err()
                {
                    break;
                }
            }
            _ = pings.tick() => {
                if last_heard.elapsed() >= ping_every * 3 {
                    tracing::debug!(client = %client.0, "closing a WebSocket that stopped answering pings");
                    break;
                }
                if socket.send(WsMessage::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
            () = deadline => {
                tracing::debug!(client = %client.0, "closing a WebSocket that no enrolled party authenticated on");
                let _ = socket.send(WsMessage::Close(None)).await;
                break;
            }
            arrival = wake => {
                let (Some(owner), Some(receiver)) = (&owner, live.as_mut()) else { continue };
                let mut sent = true;
                for delivery in push(&mediator, owner, arrival, receiver, &mut cursor).await {
                    sent = sent && socket.send(WsMessage::Text(delivery.into())).await.is_ok();
                }
                if !sent {
                    break;
                }
            }
        }
    }
    mediator.metrics.websockets_closed.inc();
}

/// Handles one frame; returns what to send back.
async fn on_frame(
    mediator: &Mediator,
    text: &str,
    client: ClientAddr,
    owner: &mut Option<String>,
    live: &mut Option<broadcast::Receiver<Arrival>>,
    cursor: &mut u64,
) -> Option<String> {
    mediator.learn_sender(text, client.0).await;
    let incoming = match mediator.open_envelope(text) {
        Ok(incoming) => incoming,
        Err(error) => return Some(mediator.problem_report(&error, None).to_string()),
    };
    if let (Some(current), Some(sender)) = (owner.as_deref(), incoming.sender.as_deref())
        && current != sender
    {
        let error = Error::NotAuthorized(format!("this WebSocket belongs to {current}; open another for {sender}"));
        return seal_text(mediator, &mediator.problem_report(&error, Some(&incoming)), &incoming);
    }
    let outcome = mediator.handle(&incoming, Transport::WebSocket, client.0).await;
    // Only a party enrolled here lifts the deadline of an unauthenticated socket: a fresh key
    // costs nothing to make.
    if outcome.is_ok()
        && owner.is_none()
        && let Some(sender) = incoming.sender.as_deref()
        && mediator.store.is_mediated(sender).await.unwrap_or(false)
    {
        *owner = Some(sender.to_owned());
    }
    match outcome {
        Ok(Outcome::Accepted) => None,
        Ok(Outcome::Reply(mut reply)) => {
            // Message Pickup's `status` says whether live delivery is on for this connection,
            // which only the socket knows.
            if reply["type"] == mpc_identity::protocols::PICKUP_STATUS {
                reply["body"]["live_delivery"] = serde_json::json!(live.is_some());
            }
            seal_text(mediator, &reply, &incoming)
        }
        Ok(Outcome::LiveDelivery(on, status)) => {
            owner.clone_from(&incoming.sender);
            *live = match (on, owner.as_deref()) {
                (true, Some(did)) => {
                    // Message Pickup 3.0: "messages already queued are not affected by live
                    // mode; they must still be requested with delivery-request". So only what
                    // arrives from now on is pushed: subscribe first, then start the cursor at
                    // the newest queued message, so that nothing falls between the two.
                    let Some(receiver) = mediator.live.subscribe(did, mediator.config.live_sockets_per_did) else {
                        let error = Error::Quota(format!(
                            "{did} has {} live WebSockets here already (--live-sockets-per-did); close one first",
                            mediator.config.live_sockets_per_did
                        ));
                        mediator.metrics.problems.inc();
                        return seal_text(mediator, &mediator.problem_report(&error, Some(&incoming)), &incoming);
                    };
                    match mediator.store.last_seq(did).await {
                        Ok(last) => {
                            *cursor = last;
                            Some(receiver)
                        }
                        Err(error) => {
                            mediator.metrics.problems.inc();
                            return seal_text(mediator, &mediator.problem_report(&error, Some(&incoming)), &incoming);
                        }
                    }
                }
                _ => None,
            };
            seal_text(mediator, &status, &incoming)
        }
        Err(error) => {
            mediator.metrics.problems.inc();
            seal_text(mediator, &mediator.problem_report(&error, Some(&incoming)), &incoming)
        }
    }
}

/// `message` sealed to the sender of `incoming`, or in clear when it was anonymous; `None` (logged)
/// if sealing fails.
pub(crate) fn seal_text(mediator: &Mediator, message: &Value, incoming: &Incoming) -> Option<String> {
    match incoming.sender.as_deref() {
        Some(to) => mediator.seal(message, to).map_err(|e| tracing::error!(error = %e, "cannot seal")).ok(),
        None => Some(message.to_string()),
    }
}

/// Sealed `delivery` messages of what arrived after `cursor`, which moves past it: the messages
/// the wake-ups carried, taking any others already waiting, or the queue when a wake-up carried
/// none (or the session fell behind).
async fn push(
    mediator: &Mediator,
    owner: &str,
    arrival: Arrival,
    receiver: &mut broadcast::Receiver<Arrival>,
    cursor: &mut u64,
) -> Vec<String> {
    let limit = crate::protocol::MAX_BATCH as usize;
    let mut arrivals: Vec<Arc<[StoredMessage]>> = Vec::new();
    let (mut count, mut read_queue) = (0, false);
    let mut next = Some(arrival);
    while let Some(arrival) = next.take() {
        match arrival {
            Some(messages) => {
                count += messages.len();
                arrivals.push(messages);
            }
            None => read_queue = true,
        }
        if count < limit && !read_queue {
            next = match receiver.try_recv() {
                Ok(arrival) => Some(arrival),
                Err(TryRecvError::Lagged(_)) => Some(None),
                Err(TryRecvError::Empty | TryRecvError::Closed) => None,
            };
        }
    }
    let fetched: Vec<StoredMessage>;
    let messages: Vec<&StoredMessage> = if read_queue {
        // The queue holds everything that arrived, in order.
        fetched = match mediator.store.fetch(owner, None, *cursor, crate::protocol::MAX_BATCH).await {
            Ok(fetched) => fetched,
            Err(e) => {
                tracing::warn!(error = %e, "live delivery could not read the queue");
                return Vec::new();
            }
        };
        if fetched.len() == limit {
            // More may wait behind this batch: look again after sending it.
            mediator.live.notify(owner);
        }
        fetched.iter().collect()
    } else {
        // Those at or before the cursor were queued before the last read of the queue, and
        // pushed with it.
        arrivals.iter().flat_map(|messages| messages.iter()).filter(|message| message.seq > *cursor).collect()
    };
    let Some(last) = messages.last() else { return Vec::new() };
    *cursor = last.seq;
    mediator.metrics.messages_delivered.add(messages.len() as u64);
    messages
        .chunks(limit)
        .filter_map(|chunk| {
            let mut delivery =
                mediator.message(mpc_identity::protocols::PICKUP_DELIVERY, serde_json::json!({}), Some(owner));
            delivery["attachments"] =
                Value::Array(chunk.iter().map(|message| crate::protocol::attachment(message)).collect());
            mediator.seal(&delivery, owner).map_err(|e| tracing::error!(error = %e, "cannot seal a delivery")).ok()
        })
        .collect()
}
