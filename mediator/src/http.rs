//! The HTTP face of the mediator: `POST /didcomm` and the WebSocket at `/ws` for DIDComm,
//! `/.well-known/did.json` for its DID document, and `/healthz`, `/readyz`, `/metrics` for
//! operators. Replies travel back on the same connection.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::Mediator;
use crate::error::{Error, Result};
use crate::listener::ClientAddr;
use crate::live::Arrival;
use crate::protocol::{Incoming, Outcome, Transport};
use crate::store::{HostedLog, StoredMessage};

const ENCRYPTED: &str = "application/didcomm-encrypted+json";
const PLAIN: &str = "application/didcomm-plain+json";

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    mediator: Arc<Mediator>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let sweeper = tokio::spawn(sweep_forever(Arc::clone(&mediator)));
    let limits = mediator.config.connection_limits();
    crate::listener::serve(listener, router(Arc::clone(&mediator)), limits, mediator, shutdown).await;
    sweeper.abort();
    Ok(())
}

/// The routes, for embedding in another server.
pub fn router(mediator: Arc<Mediator>) -> Router {
    // Everything a client sends goes through the per-address rate limit first, the relay too.
    let relay = Router::new()
        .route(iroh_relay::http::RELAY_PATH, get(crate::relay::relay_handler))
        .route(iroh_relay::http::RELAY_PROBE_PATH, get(|| async { StatusCode::OK }))
        .route("/relay-info", get(relay_info))
        .with_state(crate::relay::Relay::new(Arc::clone(&mediator)));
    let client_facing = Router::new()
        .route("/didcomm", post(didcomm))
        .route("/ws", get(websocket))
        .route("/oob", post(publish_invitation).get(fetch_invitation))
        .route("/parties/{name}/did.jsonl", get(hosted_log).put(publish_log))
        .route("/parties/{name}/did-witness.json", get(hosted_witness))
        .route("/ledger", get(ledger_info))
        .with_state(Arc::clone(&mediator))
        .merge(relay)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&mediator), admit));
    Router::new()
        .merge(client_facing)
        .route("/.well-known/did.json", get(did_web_document))
        .route("/.well-known/did-peer.json", get(did_peer_document))
        .route("/openapi.json", get(openapi))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .with_state(mediator)
}

async fn sweep_forever(mediator: Arc<Mediator>) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        if let Err(e) = mediator.sweep().await {
            tracing::warn!(error = %e, "sweeping expired messages failed");
        }
    }
}

/// Refuses a client address over its rate limit before any work is spent on the request.
async fn admit(
    State(mediator): State<Arc<Mediator>>,
    client: ClientAddr,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match mediator.admit(client.0) {
        Ok(()) => next.run(request).await,
        Err(error) => plain_problem(&mediator, &error, status_of(&error)),
    }
}

async fn didcomm(State(mediator): State<Arc<Mediator>>, client: ClientAddr, body: Body) -> Response {
    mediator.metrics.requests.inc();
    let limit = mediator.config.max_message_bytes;
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let error = Error::Malformed { kind: "request", reason: format!("larger than the {limit}-byte limit") };
            return plain_problem(&mediator, &error, StatusCode::PAYLOAD_TOO_LARGE);
        }
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        let error = Error::Malformed { kind: "request", reason: "not UTF-8 JSON".to_owned() };
        return plain_problem(&mediator, &error, StatusCode::BAD_REQUEST);
    };
    mediator.learn_sender(text).await;
    let incoming = match mediator.open_envelope(text) {
        Ok(incoming) => incoming,
        Err(error) => return plain_problem(&mediator, &error, status_of(&error)),
    };
    match mediator.handle(&incoming, Transport::Http, client.0).await {
        Ok(Outcome::Accepted) => StatusCode::ACCEPTED.into_response(),
        Ok(Outcome::Reply(reply)) | Ok(Outcome::LiveDelivery(_, reply)) => {
            sealed(&mediator, &reply, &incoming, StatusCode::OK)
        }
        Err(error) => problem(&mediator, &error, &incoming),
    }
}

/// A problem report to the sender of `incoming`: sealed to it when it is known, in clear if not.
fn problem(mediator: &Mediator, error: &Error, incoming: &Incoming) -> Response {
    log_problem(mediator, error);
    let report = mediator.problem_report(error, Some(incoming));
    match &incoming.sender {
        Some(_) => sealed(mediator, &report, incoming, status_of(error)),
        None => json_response(status_of(error), PLAIN, report.to_string()),
    }
}

/// A problem report for a request we could not open: in clear, naming no one.
fn plain_problem(mediator: &Mediator, error: &Error, status: StatusCode) -> Response {
    log_problem(mediator, error);
    json_response(status, PLAIN, mediator.problem_report(error, None).to_string())
}

fn log_problem(mediator: &Mediator, error: &Error) {
    mediator.metrics.problems.inc();
    match error.http_status() {
        500 => tracing::error!(error = %error, "request failed"),
        _ => tracing::debug!(error = %error, "request refused"),
    }
}

fn sealed(mediator: &Mediator, reply: &Value, incoming: &Incoming, status: StatusCode) -> Response {
    let content_type = if incoming.sender.is_some() { ENCRYPTED } else { PLAIN };
    match seal_text(mediator, reply, incoming) {
        Some(body) => json_response(status, content_type, body),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn status_of(error: &Error) -> StatusCode {
    StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn json_response(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn publish_invitation(State(mediator): State<Arc<Mediator>>, body: Body) -> Response {
    let limit = mpc_identity::invitation::MAX_INVITATION_BYTES;
    let text = match axum::body::to_bytes(body, limit).await.map(|b| String::from_utf8(b.to_vec())) {
        Ok(Ok(text)) => text,
        _ => {
            let error =
                Error::Malformed { kind: "invitation", reason: format!("not UTF-8 text of at most {limit} bytes") };
            return plain_problem(&mediator, &error, status_of(&error));
        }
    };
    match mediator.publish_invitation(&text).await {
        Ok(id) => {
            let url = format!("{}?_oobid={id}", mediator.identity.oob_base());
            json_response(
                StatusCode::CREATED,
                "application/json",
                serde_json::json!({ "_oobid": id, "url": url }).to_string(),
            )
        }
        Err(error) => plain_problem(&mediator, &error, status_of(&error)),
    }
}

async fn publish_log(
    State(mediator): State<Arc<Mediator>>,
    client: ClientAddr,
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let limit = mpc_identity::did::webvh::MAX_LOG_BYTES;
    let text = match axum::body::to_bytes(body, limit).await.map(|b| String::from_utf8(b.to_vec())) {
        Ok(Ok(text)) => text,
        _ => {
            let error =
                Error::Malformed { kind: "DID log", reason: format!("not UTF-8 text of at most {limit} bytes") };
            return ledger_error(&error);
        }
    };
    match mediator.publish_log(&name, &text, client.0, token).await {
        Ok(published) => {
            let status = if published.changed { StatusCode::CREATED } else { StatusCode::OK };
            let reply = serde_json::json!({ "did": published.did, "entries": published.entries });
            json_response(status, "application/json", reply.to_string())
        }
        Err(error) => ledger_error(&error),
    }
}

/// Ledger errors as `{"error", "code"}`: the publisher is a plain HTTP client, not a DIDComm one.
fn ledger_error(error: &Error) -> Response {
    match error.http_status() {
        500 => tracing::error!(error = %error, "publishing a DID log failed"),
        _ => tracing::debug!(error = %error, "DID log refused"),
    }
    let status = status_of(error);
    let body = serde_json::json!({ "error": error.to_string(), "code": error.problem_code() });
    json_response(status, "application/json", body.to_string())
}

/// What a party's endpoint needs to use the relay fully: the QUIC address discovery port, and the
/// self-signed certificate to trust for it (if the mediator made its own).
async fn relay_info(State(relay): State<crate::relay::Relay>) -> Response {
    use base64::Engine;
    let discovery = relay.mediator().discovery.as_ref();
    let body = serde_json::json!({
        "quicPort": discovery.map(|d| d.port),
        "certificate": discovery
            .and_then(|d| d.certificate.as_ref())
            .map(|der| base64::engine::general_purpose::STANDARD.encode(der)),
    });
    json_response(StatusCode::OK, "application/json", body.to_string())
}

/// What a party needs to create a DID here: the address pattern and the witness key.
async fn ledger_info(State(mediator): State<Arc<Mediator>>) -> Response {
    let body = serde_json::json!({
        "address": mediator.ledger_address("{name}"),
        "witness": mediator.witness_did(),
    });
    json_response(StatusCode::OK, "application/json", body.to_string())
}

async fn hosted_log(
    State(mediator): State<Arc<Mediator>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    match mediator.hosted_log(&name).await {
        Ok(Some(hosted)) => json_response(StatusCode::OK, "application/jsonl", hosted.log),
        Ok(None) => (StatusCode::NOT_FOUND, "no DID log of that name here\n").into_response(),
        Err(error) => ledger_error(&error),
    }
}

async fn hosted_witness(
    State(mediator): State<Arc<Mediator>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    match mediator.hosted_log(&name).await {
        Ok(Some(HostedLog { witness: Some(witness), .. })) => {
            json_response(StatusCode::OK, "application/json", witness)
        }
        Ok(_) => (StatusCode::NOT_FOUND, "no witness proofs of that name here\n").into_response(),
        Err(error) => ledger_error(&error),
    }
}

async fn fetch_invitation(
    State(mediator): State<Arc<Mediator>>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(id) = query.get("_oobid") else {
        return (StatusCode::BAD_REQUEST, "give `_oobid`\n").into_response();
    };
    match mediator.published_invitation(id).await {
        Ok(Some(body)) => json_response(StatusCode::OK, "application/didcomm-signed+json", body),
        Ok(None) => (StatusCode::NOT_FOUND, "no such invitation, or it expired\n").into_response(),
        Err(error) => plain_problem(&mediator, &error, status_of(&error)),
    }
}

async fn did_web_document(State(mediator): State<Arc<Mediator>>) -> Response {
    let document = serde_json::to_string(&mediator.identity.web_document()).unwrap_or_default();
    json_response(StatusCode::OK, "application/did+json", document)
}

async fn did_peer_document(State(mediator): State<Arc<Mediator>>) -> Response {
    let document = serde_json::to_string(mediator.identity.document()).unwrap_or_default();
    json_response(StatusCode::OK, "application/did+json", document)
}

/// The description of these endpoints (`schemas/mediator.openapi.json`, kept with the code and
/// checked against the running service by a property-based test).
async fn openapi() -> Response {
    json_response(StatusCode::OK, "application/json", include_str!("../../schemas/mediator.openapi.json").to_owned())
}

async fn ready(State(mediator): State<Arc<Mediator>>) -> Response {
    match mediator.store.ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

async fn metrics(State(mediator): State<Arc<Mediator>>) -> Response {
    let mut response = mediator.metrics.render().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    response
}

async fn websocket(State(mediator): State<Arc<Mediator>>, client: ClientAddr, upgrade: WebSocketUpgrade) -> Response {
    let limit = mediator.config.max_message_bytes;
    // Small buffers: most sessions sit idle waiting for live deliveries, and the defaults
    // (128 KiB to read) would cost that much per open socket.
    upgrade
        .max_message_size(limit)
        .max_frame_size(limit)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| session(mediator, socket, client))
}

/// One WebSocket session. It belongs to the DID of the first message that authenticates on it;
/// with live delivery on, new messages for that DID are pushed as they arrive. A message pushed
/// stays queued until acknowledged; the session keeps a cursor (the last queue position pushed),
/// so nothing is pushed twice on it however long acknowledgements take.
async fn session(mediator: Arc<Mediator>, mut socket: WebSocket, client: ClientAddr) {
    mediator.metrics.websockets_open.inc();
    let mut owner: Option<String> = None;
    let mut live: Option<broadcast::Receiver<Arrival>> = None;
    let mut cursor: u64 = 0;
    // A socket nobody authenticates on is closed: it would otherwise hold a session for free.
    let unauthenticated_deadline = tokio::time::Instant::now() + mediator.config.ws_auth_timeout;
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
    mediator.learn_sender(text).await;
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
                    // Push everything still queued, then new arrivals: wake once at once.
                    *cursor = 0;
                    let receiver = mediator.live.subscribe(did);
                    mediator.live.notify(did);
                    Some(receiver)
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
fn seal_text(mediator: &Mediator, message: &Value, incoming: &Incoming) -> Option<String> {
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
