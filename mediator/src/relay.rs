//! The iroh relay, served on the mediator's own HTTP port at `/relay`: parties' peer connections
//! pass through it until hole punching gives them a direct path, and for good where NATs forbid
//! one. It forwards QUIC packets that are end-to-end encrypted between the parties; it sees who
//! talks to whom and how much, never what.
//!
//! Only parties this mediator knows may use it: a relay client proves its Ed25519 key in the
//! relay handshake, and the key must be the signing key of a DID that enrolled here (recorded at
//! `mediate-request`). Each party may open a limited number of relay connections per minute, and
//! send at most `--relay-bytes-per-second` through the relay over all of them: past its budget,
//! the relay stops reading its sockets (TCP pushes back, QUIC slows down) while every other
//! party's frames keep flowing.

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{Sink, Stream};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use iroh_base::EndpointId;
use iroh_relay::http::{CLIENT_AUTH_HEADER, ProtocolVersion};
use iroh_relay::protos::handshake;
use iroh_relay::protos::streams::StreamError;
use iroh_relay::server::client::Config;
use iroh_relay::server::clients::Clients;
use iroh_relay::server::streams::RelayedStream;
use iroh_relay::server::{Access, AccessControl, ClientRequest, ConnectionId, DynAccessControl, Metrics};
use iroh_relay::{ExportKeyingMaterial, KeyCache};
use n0_error::AnyError;

use crate::Mediator;

/// Relay connections a party may open per minute (reconnects after network changes included).
const CONNECTIONS_PER_MINUTE: u32 = 60;

/// Largest relay WebSocket message: a relayed datagram batch and its framing.
const MAX_RELAY_FRAME: usize = 128 * 1024;

/// The relay's state, shared by its HTTP handler.
#[derive(Clone, Debug)]
pub(crate) struct Relay {
    mediator: Arc<Mediator>,
    key_cache: KeyCache,
    access: Arc<dyn DynAccessControl>,
    metrics: Arc<Metrics>,
    clients: Clients,
    /// Each party's budget of KiB sent through the relay; `None` without a limit.
    send_budgets: Option<Arc<DefaultKeyedRateLimiter<[u8; 32]>>>,
}

impl Relay {
    pub(crate) fn new(mediator: Arc<Mediator>) -> Self {
        let per_minute = NonZeroU32::new(CONNECTIONS_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        let access = KnownParties {
            home: mediator.config.relay_url.as_ref().map(ToString::to_string),
            connections: Mutex::new(HashMap::new()),
            mediator: Arc::clone(&mediator),
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
        };
        let send_budgets = send_quota(mediator.config.relay_bytes_per_second).map(|q| Arc::new(RateLimiter::keyed(q)));
        Relay {
            mediator,
            key_cache: KeyCache::new(1024),
            access: Arc::new(access),
            metrics: Arc::new(Metrics::default()),
            clients: Clients::default(),
            send_budgets,
        }
    }

    /// The budget the party with relay key `key` sends against, if there is a limit.
    fn send_budget(&self, key: [u8; 32]) -> Option<SendBudget> {
        let limiter = self.send_budgets.as_ref()?;
        // Forget parties whose budget has refilled, so the table holds only the recently busy.
        limiter.retain_recent();
        Some(SendBudget { limiter: Arc::clone(limiter), key, held: None })
    }
}

/// A party's relay budget in KiB cells: `bytes_per_second`, with a burst of one second's worth
/// and never less than two of the largest frames (so any frame can be paid for).
fn send_quota(bytes_per_second: u64) -> Option<Quota> {
    let kib = u32::try_from(bytes_per_second.div_ceil(1024)).unwrap_or(u32::MAX);
    let rate = NonZeroU32::new(kib)?;
    let largest = u32::try_from(2 * MAX_RELAY_FRAME / 1024).unwrap_or(u32::MAX);
    let burst = NonZeroU32::new(kib.max(largest)).unwrap_or(rate);
    Some(Quota::per_second(rate).allow_burst(burst))
}

/// What one relay connection's party may still send: a frame past the budget is held (and the
/// socket not read) until the budget allows it.
struct SendBudget {
    limiter: Arc<DefaultKeyedRateLimiter<[u8; 32]>>,
    key: [u8; 32],
    held: Option<(Bytes, Pin<Box<tokio::time::Sleep>>)>,
}

impl SendBudget {
    /// Pays for `frame` and hands it back, or holds it until it can be paid for.
    fn pay(&mut self, frame: Bytes) -> Option<Bytes> {
        let kib = u32::try_from(frame.len().div_ceil(1024)).unwrap_or(u32::MAX);
        let cells = NonZeroU32::new(kib).unwrap_or(NonZeroU32::MIN);
        match self.limiter.check_key_n(&self.key, cells) {
            // `Err`: larger than the burst, which `send_quota` rules out for a frame we accept.
            Ok(Ok(())) | Err(_) => Some(frame),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                self.held = Some((frame, Box::pin(tokio::time::sleep(wait))));
                None
            }
        }
    }

    /// The held frame, once its wait is over and it is paid for.
    fn poll_held(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let Some((frame, wait)) = self.held.as_mut() else { return Poll::Ready(None) };
        ready!(wait.as_mut().poll(cx));
        let frame = frame.clone();
        self.held = None;
        match self.pay(frame) {
            Some(frame) => Poll::Ready(Some(frame)),
            None => {
                // Held again (another connection of the party spent the budget): wait anew.
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

impl Relay {
    pub(crate) fn mediator(&self) -> &Mediator {
        &self.mediator
    }

    /// The relay the party with relay key `key` (hex) is connected to now, if an instance
    /// recorded it.
    pub(crate) async fn home_of(&self, key: &str) -> crate::Result<Option<String>> {
        self.mediator.store.relay_home(key).await
    }
}

/// Admits relay clients whose key belongs to a DID enrolled here, within their rate; with
/// `--relay-url` (one of several instances), records where each party's connection is.
#[derive(Debug)]
struct KnownParties {
    mediator: Arc<Mediator>,
    limiter: Arc<DefaultKeyedRateLimiter<[u8; 32]>>,
    /// This instance's relay URL, recorded for the parties connected here.
    home: Option<String>,
    /// Open connections per party on this instance: its record is cleared when the last closes.
    connections: Mutex<HashMap<EndpointId, usize>>,
}

impl KnownParties {
    async fn record_home(&self, endpoint: EndpointId) {
        let Some(home) = &self.home else { return };
        *self.connections.lock().unwrap_or_else(PoisonError::into_inner).entry(endpoint).or_default() += 1;
        if let Err(e) = self.mediator.store.set_relay_home(&mpc_identity::hex(endpoint.as_bytes()), home).await {
            tracing::error!(error = %e, "cannot record where a relay client is connected");
        }
    }
}

impl AccessControl for KnownParties {
    async fn on_connect(&self, request: &ClientRequest) -> Access {
        let key = *request.endpoint_id().as_bytes();
        let owner = match self.mediator.store.relay_key_owner(&mpc_identity::hex(&key)).await {
            Ok(owner) => owner,
            Err(e) => {
                tracing::error!(error = %e, "relay access check failed");
                return Access::Deny { reason: Some("the mediator cannot check access now".into()) };
            }
        };
        let Some(did) = owner else {
            tracing::info!(endpoint = %request.endpoint_id(), "refused a relay client this mediator does not know");
            return Access::Deny { reason: Some("unknown party: enroll with this mediator first".into()) };
        };
        if self.limiter.check_key(&key).is_err() {
            tracing::warn!(did = %did, "relay connection rate exceeded");
            return Access::Deny { reason: Some("too many relay connections; slow down".into()) };
        }
        tracing::debug!(did = %did, "relay client admitted");
        self.record_home(request.endpoint_id()).await;
        Access::Allow
    }

    fn on_disconnect(&self, endpoint: EndpointId, _connection: ConnectionId) {
        let Some(home) = self.home.clone() else { return };
        let mut connections = self.connections.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(open) = connections.get_mut(&endpoint) else { return };
        *open -= 1;
        if *open > 0 {
            return;
        }
        connections.remove(&endpoint);
        let (mediator, key) = (Arc::clone(&self.mediator), mpc_identity::hex(endpoint.as_bytes()));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = mediator.store.clear_relay_home(&key, &home).await {
                    tracing::error!(error = %e, "cannot clear where a relay client was connected");
                }
            });
        }
    }
}

/// `GET /relay`: the WebSocket a relay client speaks iroh's relay protocol on.
pub(crate) async fn relay_handler(
    State(relay): State<Relay>,
    request: axum::extract::Request,
) -> Result<Response, StatusCode> {
    let (mut parts, _body) = request.into_parts();
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &()).await.map_err(|_| StatusCode::BAD_REQUEST)?;
    let client_auth = parts.headers.get(CLIENT_AUTH_HEADER).cloned();
    // Small buffers: an idle or never-finishing relay socket must cost little (the defaults are
    // 128 KiB each way); a relayed packet is at most 64 KiB.
    let upgrade = upgrade
        .protocols([ProtocolVersion::V2.to_str()])
        .read_buffer_size(16 * 1024)
        .write_buffer_size(16 * 1024)
        .max_message_size(MAX_RELAY_FRAME)
        .max_frame_size(MAX_RELAY_FRAME);
    Ok(upgrade.on_upgrade(move |socket| async move {
        let mut adapter = Adapter { socket: Box::pin(socket), budget: None };
        // Anyone may open the socket; whoever does not finish the handshake within the header
        // timeout loses it.
        let deadline = relay.mediator.config.header_timeout;
        let admitted = tokio::time::timeout(deadline, async {
            let authenticated = handshake::serverside(&mut adapter, client_auth)
                .await
                .map_err(|e| tracing::debug!(error = %e, "relay handshake failed"))?;
            let request = ClientRequest::new(authenticated.client_key, ProtocolVersion::V2, parts);
            authenticated
                .authorize_with(&request, &relay.access, &mut adapter)
                .await
                .map_err(|e| tracing::debug!(error = %e, "relay client not admitted"))
        })
        .await;
        let guard = match admitted {
            Ok(Ok(guard)) => guard,
            Ok(Err(())) => return,
            Err(_) => return tracing::debug!("relay handshake not finished in time"),
        };
        adapter.budget = relay.send_budget(*guard.endpoint_id().as_bytes());
        let stream = RelayedStream::new(adapter, relay.key_cache.clone());
        relay.clients.register(Config::new(guard, stream, ProtocolVersion::V2), relay.metrics.clone());
    }))
}

/// axum's WebSocket as the byte stream and sink iroh-relay's protocol runs on; what the party
/// sends is metered against its budget once it is admitted.
struct Adapter {
    socket: Pin<Box<WebSocket>>,
    budget: Option<SendBudget>,
}

impl Stream for Adapter {
    type Item = Result<Bytes, StreamError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(budget) = this.budget.as_mut()
            && let Some(frame) = ready!(budget.poll_held(cx))
        {
            return Poll::Ready(Some(Ok(frame)));
        }
        loop {
            let frame = match ready!(this.socket.as_mut().poll_next(cx)) {
                Some(Ok(Message::Binary(data))) => data,
                Some(Ok(Message::Close(_))) | None => return Poll::Ready(None),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Poll::Ready(Some(Err(AnyError::from_std(e)))),
            };
            let Some(budget) = this.budget.as_mut() else { return Poll::Ready(Some(Ok(frame))) };
            return match budget.pay(frame) {
                Some(frame) => Poll::Ready(Some(Ok(frame))),
                // Held: poll its wait now, so this task wakes when it is over.
                None => match ready!(budget.poll_held(cx)) {
                    Some(frame) => Poll::Ready(Some(Ok(frame))),
                    None => continue,
                },
            };
        }
    }
}

impl Sink<Bytes> for Adapter {
    type Error = StreamError;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.socket.as_mut().poll_ready(cx).map_err(AnyError::from_std)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Bytes) -> Result<(), Self::Error> {
        self.socket.as_mut().start_send(Message::Binary(item)).map_err(AnyError::from_std)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.socket.as_mut().poll_flush(cx).map_err(AnyError::from_std)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.socket.as_mut().poll_close(cx).map_err(AnyError::from_std)
    }
}

// axum's WebSocket has no access to TLS keying material: the handshake falls back to signing a
// challenge from the relay, which proves the key just as well.
impl ExportKeyingMaterial for Adapter {
    fn export_keying_material<T: AsMut<[u8]>>(&self, _output: T, _label: &[u8], _context: Option<&[u8]>) -> Option<T> {
        None
    }
}

impl Mediator {
    /// Lets `endpoint_id` (hex) use the relay for `did`; what `mediate-request` does for a
    /// party's signing key, for tools that provision parties out of band (and the benchmark).
    #[cfg(feature = "test-hooks")]
    pub(crate) async fn register_relay_key(&self, endpoint_id: &str, did: &str) -> crate::Result<()> {
        self.store.add_relay_key(endpoint_id, did).await
    }
}
