//! The HTTP routes of the mediator: `POST /didcomm` and the upgrade to a WebSocket at `/ws` for
//! DIDComm (the session on it is `websocket`'s), short links (`/oob`), the did:webvh logs it
//! hosts, its DID documents, relay discovery, and `/healthz`, `/readyz`, `/metrics` for
//! operators. Replies travel back on the same connection.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::Value;

use crate::Mediator;
use crate::error::{Error, Result};
use crate::listener::ClientAddr;
use crate::protocol::{Incoming, Outcome, Transport};
use crate::store::HostedLog;
use crate::websocket::seal_text;

const ENCRYPTED: &str = "application/didcomm-encrypted+json";
const PLAIN: &str = "application/didcomm-plain+json";

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub(crate) async fn serve(
    mediator: Arc<Mediator>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let sweeper = tokio::spawn(sweep_forever(Arc::clone(&mediator)));
    let limits = crate::listener::ConnectionLimits::of(&mediator.config);
    let https = mediator.https.clone();
    crate::listener::serve(listener, router(Arc::clone(&mediator)), limits, mediator, https, shutdown).await;
    sweeper.abort();
    Ok(())
}

/// Serves `/metrics`, `/healthz` and `/readyz` alone on `listener` (`--metrics-listen`), plain
/// HTTP under the same connection limits, until `shutdown` completes.
pub(crate) async fn serve_metrics(
    mediator: Arc<Mediator>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let limits = crate::listener::ConnectionLimits::of(&mediator.config);
    let routes = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .with_state(Arc::clone(&mediator));
    crate::listener::serve(listener, routes, limits, mediator, None, shutdown).await;
}

/// The routes, for embedding in another server.
pub(crate) fn router(mediator: Arc<Mediator>) -> Router {
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
        .route("/parties/{name}/did-witness.json", get(hosted_witness).put(add_witness_proofs))
        .route("/ledger", get(ledger_info))
        .route("/ledger/copies", put(keep_copy))
        .route("/bundles/{digest}", get(shared_bundle))
        .with_state(Arc::clone(&mediator))
        .merge(relay)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&mediator), egress))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&mediator), admit));
    let prefix = public_path(&mediator);
    // Metrics on a listener of their own (`--metrics-listen`) are not served to the internet.
    let metrics_here = mediator.config.metrics_listen.is_none();
    let routes = Router::new()
        .merge(client_facing)
        .route("/.well-known/did.json", get(did_web_document))
        .route("/.well-known/did-peer.json", get(did_peer_document))
        .route("/openapi.json", get(openapi))
        .route("/assets/invitation.js", get(|| async { asset("text/javascript; charset=utf-8", crate::pages::SCRIPT) }))
        .route("/assets/invitation.css", get(|| async { asset("text/css; charset=utf-8", crate::pages::STYLE) }))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready));
    let routes = if metrics_here { routes.route("/metrics", get(metrics)) } else { routes };
    let routes = routes.with_state(mediator);
    // A public URL with a path (`https://host/mpc/`): served under it as well as at the root, so
    // that a proxy may pass the path on or strip it.
    match prefix {
        Some(prefix) => Router::new().nest(&prefix, routes.clone()).merge(routes),
        None => routes,
    }
}

/// The path of the public URL without its last `/` (`/mpc`), when it has one.
fn public_path(mediator: &Mediator) -> Option<String> {
    let base = url::Url::parse(&mediator.identity.public_base()).ok()?;
    let path = base.path().trim_end_matches('/');
    (!path.is_empty()).then(|| path.to_owned())
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

/// What anyone may read (DID logs, witness files, invitations, bundles) is paid for in bytes: a
/// client network that read more than its egress budget is refused until it is paid down, so a
/// small request for a large log cannot be repeated to flood the mediator's uplink.
async fn egress(
    State(mediator): State<Arc<Mediator>>,
    client: ClientAddr,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if request.method() != axum::http::Method::GET {
        return next.run(request).await;
    }
    if !mediator.egress.allows(client.0) {
        let error = Error::RateLimited(format!(
            "{}: more bytes read than --egress-bytes-per-second allows; retry in a few seconds",
            client.0
        ));
        return plain_problem(&mediator, &error, status_of(&error));
    }
    let response = next.run(request).await;
    if let Some(bytes) = axum::body::HttpBody::size_hint(response.body()).exact() {
        mediator.egress.charge(client.0, bytes as f64);
    }
    response
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
    let bytes: Bytes = match read_body(&mediator, body, limit, "request").await {
        Ok(bytes) => bytes,
        Err(error @ Error::TooSlow) => return plain_problem(&mediator, &error, StatusCode::REQUEST_TIMEOUT),
        Err(error) => return plain_problem(&mediator, &error, StatusCode::PAYLOAD_TOO_LARGE),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        let error = Error::Malformed { kind: "request", reason: "not UTF-8 JSON".to_owned() };
        return plain_problem(&mediator, &error, StatusCode::BAD_REQUEST);
    };
    mediator.learn_sender(text, client.0).await;
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
    let text = match body_text(&mediator, body, mpc_identity::invitation::MAX_INVITATION_BYTES, "invitation").await {
        Ok(text) => text,
        Err(error) => return plain_problem(&mediator, &error, status_of(&error)),
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
    let (log, witness) = match publication(&mediator, &headers, body).await {
        Ok(publication) => publication,
        Err(error) => return ledger_error(&error),
    };
    let published = mediator.publish_log(&name, &log, witness.as_deref(), client.0, bearer(&headers)).await;
    publication_response(published)
}

/// `PUT /ledger/copies`: a copy of the log of a did:webvh DID hosted elsewhere, kept so that
/// this mediator can talk DIDComm with its controller (see `Mediator::keep_copy`). The body is
/// what `PUT /parties/{name}/did.jsonl` takes.
async fn keep_copy(
    State(mediator): State<Arc<Mediator>>,
    client: ClientAddr,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Response {
    let (log, witness) = match publication(&mediator, &headers, body).await {
        Ok(publication) => publication,
        Err(error) => return ledger_error(&error),
    };
    publication_response(mediator.keep_copy(&log, witness.as_deref(), client.0, bearer(&headers)).await)
}

/// An enrollment token presented as `Authorization: Bearer TOKEN`.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

/// A publication's log and witness proofs: the log alone (`text/jsonl`), or with the proofs of
/// its witnesses, `{"log": "<did.jsonl>", "witness": <did-witness.json>}` (`application/json`).
async fn publication(
    mediator: &Mediator,
    headers: &axum::http::HeaderMap,
    body: Body,
) -> Result<(String, Option<String>)> {
    let text = body_text(mediator, body, mpc_identity::did::webvh::MAX_LOG_BYTES, "DID log").await?;
    // The media type alone, parameters aside: `application/jsonl` (and `text/jsonl`, what
    // did:webvh 1.0 serves logs as) is a log, not JSON.
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Ok((text, None));
    }
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(body) if body["log"].is_string() => {
            let log = body["log"].as_str().unwrap_or_default().to_owned();
            let witness = (!body["witness"].is_null()).then(|| body["witness"].to_string());
            Ok((log, witness))
        }
        _ => {
            let reason = "a JSON body must be {\"log\": \"<did.jsonl>\", \"witness\": [...]}".to_owned();
            Err(Error::Malformed { kind: "DID log", reason })
        }
    }
}

/// `201 Created` for a log stored or grown, `200 OK` for one held already, with the DID and
/// its number of entries.
fn publication_response(published: Result<crate::ledger::Published>) -> Response {
    match published {
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

/// `PUT /parties/{name}/did-witness.json`: witness proofs for a hosted log, merged into those
/// held (see `Mediator::add_witness_proofs`).
async fn add_witness_proofs(
    State(mediator): State<Arc<Mediator>>,
    client: ClientAddr,
    axum::extract::Path(name): axum::extract::Path<String>,
    body: Body,
) -> Response {
    let text = match body_text(&mediator, body, mpc_identity::did::webvh::MAX_WITNESS_BYTES, "witness proofs").await {
        Ok(text) => text,
        Err(error) => return ledger_error(&error),
    };
    match mediator.add_witness_proofs(&name, &text, client.0).await {
        Ok(proofs) => {
            json_response(StatusCode::OK, "application/json", serde_json::json!({ "proofs": proofs }).to_string())
        }
        Err(error) => ledger_error(&error),
    }
}

/// What a party's endpoint needs to use the relay fully: the QUIC address discovery port, and the
/// self-signed certificate to trust for it (if the mediator made its own).
/// With `?endpoint=KEY` (a party's endpoint id, 64 hex digits), also which of this mediator's
/// instances' relays that party is connected to now (`relayUrl`), where the instances record it.
async fn relay_info(
    State(relay): State<crate::relay::Relay>,
    axum::extract::Query(query): axum::extract::Query<RelayInfoQuery>,
) -> Response {
    use base64::Engine;
    let discovery = relay.mediator().discovery.as_ref();
    let mut body = serde_json::json!({
        "quicPort": discovery.map(|d| d.port),
        "certificate": discovery
            .and_then(|d| d.certificate.as_ref())
            .map(|der| base64::engine::general_purpose::STANDARD.encode(der)),
    });
    if let Some(endpoint) = query.endpoint {
        let key = endpoint.to_ascii_lowercase();
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return (StatusCode::BAD_REQUEST, "`endpoint` must be an endpoint id: 64 hex digits\n").into_response();
        }
        match relay.home_of(&key).await {
            Ok(home) => body["relayUrl"] = serde_json::json!(home),
            Err(e) => {
                tracing::error!(error = %e, "cannot look up a relay client's instance");
                return (StatusCode::SERVICE_UNAVAILABLE, "cannot look that up now; try again\n").into_response();
            }
        }
    }
    json_response(StatusCode::OK, "application/json", body.to_string())
}

#[derive(serde::Deserialize)]
struct RelayInfoQuery {
    endpoint: Option<String>,
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
        Ok(Some(hosted)) => json_response(StatusCode::OK, "text/jsonl", hosted.log),
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

/// `GET /oob?_oobid=ID`: the invitation's bytes, or for a browser (`Accept: text/html`) a page
/// about it (`pages`). The bytes are what every other client gets, unchanged.
async fn fetch_invitation(
    State(mediator): State<Arc<Mediator>>,
    headers: axum::http::HeaderMap,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(id) = query.get("_oobid") else {
        return (StatusCode::BAD_REQUEST, "give `_oobid`\n").into_response();
    };
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|kind| kind.trim().starts_with("text/html")));
    let mut response = match mediator.published_invitation(id).await {
        Ok(Some(body)) if wants_page => {
            let link = format!("{}?_oobid={id}", mediator.identity.oob_base());
            let page = crate::pages::invitation_page(&body, &link, mediator.now());
            let mut response = (StatusCode::OK, page).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(crate::pages::CONTENT_SECURITY_POLICY),
            );
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            response
        }
        Ok(Some(body)) => json_response(StatusCode::OK, "application/didcomm-signed+json", body),
        Ok(None) => (StatusCode::NOT_FOUND, "no such invitation, or it expired\n").into_response(),
        Err(error) => plain_problem(&mediator, &error, status_of(&error)),
    };
    // One URL, two representations: caches must key on what was asked for.
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// `GET /bundles/DIGEST`: a program bundle a party shared here (`protocol::bundles`).
async fn shared_bundle(
    State(mediator): State<Arc<Mediator>>,
    axum::extract::Path(digest): axum::extract::Path<String>,
) -> Response {
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return (StatusCode::BAD_REQUEST, "a bundle is named by its digest: 64 lowercase hex digits\n").into_response();
    }
    match mediator.store.bundle(&digest, mediator.now()).await {
        Ok(Some(body)) => json_response(StatusCode::OK, "application/json", body),
        Ok(None) => (StatusCode::NOT_FOUND, "no such program bundle, or it expired\n").into_response(),
        Err(error) => plain_problem(&mediator, &error, status_of(&error)),
    }
}

/// A request body as text: at most `limit` bytes of UTF-8, else a refusal naming `kind`.
async fn body_text(mediator: &Mediator, body: Body, limit: usize, kind: &'static str) -> Result<String> {
    let bytes = read_body(mediator, body, limit, kind).await?;
    String::from_utf8(bytes.to_vec()).map_err(|_| Error::Malformed { kind, reason: "not UTF-8 text".to_owned() })
}

/// A request body of at most `limit` bytes, or why not: too large, or too slow (the listener's
/// body deadline, see `listener::TimedBody`).
async fn read_body(mediator: &Mediator, body: Body, limit: usize, kind: &'static str) -> Result<Bytes> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(error) = cause {
            if error.is::<crate::listener::BodyTooSlow>() {
                mediator.metrics.bodies_too_slow.inc();
                return Error::TooSlow;
            }
            cause = error.source();
        }
        Error::Malformed { kind, reason: format!("larger than the {limit}-byte limit, or cut off") }
    })
}

/// A static asset of the pages, with the headers every page response carries.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
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
        .on_upgrade(move |socket| crate::websocket::session(mediator, socket, client))
}
