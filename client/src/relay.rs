//! Relay discovery: a mediator's `/relay-info`, which says where its relay's QUIC address
//! discovery listens. Without it, a party behind NAT does not learn its public address and hole
//! punching cannot start; with it, the relay's certificate is pinned (it is self-signed on most
//! mediators).

use base64::Engine;

use crate::error::{Error, Result};

/// Largest `/relay-info` answer read.
const MAX_RELAY_INFO_BYTES: usize = 64 * 1024;

/// Where a mediator's relay answers QUIC address discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayInfo {
    /// The UDP port of QUIC address discovery, on the relay's host.
    pub quic_port: u16,
    /// The relay's certificate (DER); `None` when it chains to a public root.
    pub certificate: Option<Vec<u8>>,
}

/// Asks the mediator at `base` (scheme, host and port) for its relay's address discovery;
/// `None` if it offers none.
pub async fn relay_info(base: &str) -> Result<Option<RelayInfo>> {
    let url = format!("{}/relay-info", base.trim_end_matches('/'));
    let failed = |reason: String| Error::Transport { url: url.clone(), reason };
    let info = fetch(&url).await?;
    let Some(quic_port) = info["quicPort"].as_u64().and_then(|p| u16::try_from(p).ok()) else { return Ok(None) };
    let certificate = match info["certificate"].as_str() {
        Some(text) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| failed(format!("`certificate` is not base64: {e}")))?,
        ),
        None => None,
    };
    Ok(Some(RelayInfo { quic_port, certificate }))
}

/// Asks the mediator at `base` which of its relays the party with endpoint id `endpoint` (64 hex
/// digits) is connected to now: `Some(url)` from a mediator of several instances that knows,
/// `None` when the relay its DID names is the one (one instance, or not connected now).
pub async fn relay_home(base: &str, endpoint: &str) -> Result<Option<String>> {
    RelayLookup::new()?.home(base, endpoint).await
}

/// Asks mediators where their parties' relay connections are, for a run that dials many peers
/// at once: one HTTP client (its connections kept and reused) and at most
/// [`LOOKUPS_IN_FLIGHT`] questions at a time. A client per question opened a connection each,
/// and sixteen parties behind one address, each asking about fifteen peers at once, passed a
/// mediator's cap on connections from one address (64 by default), which then refused the
/// parties' own requests.
#[derive(Clone, Debug)]
pub struct RelayLookup {
    http: reqwest::Client,
    in_flight: std::sync::Arc<tokio::sync::Semaphore>,
}

/// How many [`RelayLookup`] questions one process has in flight at most.
pub const LOOKUPS_IN_FLIGHT: usize = 2;

impl RelayLookup {
    /// A lookup with its own HTTP client (made in the runtime it is used in).
    pub fn new() -> Result<Self> {
        Ok(RelayLookup {
            http: crate::http::client(crate::http::Redirects::Follow)?,
            in_flight: std::sync::Arc::new(tokio::sync::Semaphore::new(LOOKUPS_IN_FLIGHT)),
        })
    }

    /// As [`relay_home`].
    pub async fn home(&self, base: &str, endpoint: &str) -> Result<Option<String>> {
        let url = format!("{}/relay-info?endpoint={endpoint}", base.trim_end_matches('/'));
        let _turn =
            self.in_flight.acquire().await.map_err(|e| Error::Transport { url: url.clone(), reason: e.to_string() })?;
        let info = fetch_with(&self.http, &url).await?;
        Ok(info["relayUrl"].as_str().map(str::to_owned))
    }
}

async fn fetch(url: &str) -> Result<serde_json::Value> {
    fetch_with(&crate::http::client(crate::http::Redirects::Follow)?, url).await
}

async fn fetch_with(http: &reqwest::Client, url: &str) -> Result<serde_json::Value> {
    let failed = |reason: String| Error::Transport { url: url.to_owned(), reason };
    crate::http::check_scheme(url)?;
    let response = http.get(url).send().await.map_err(|e| failed(crate::http::explain(&e)))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let text = crate::http::text_capped(response, url, MAX_RELAY_INFO_BYTES).await?;
    serde_json::from_str(&text).map_err(|e| failed(format!("not JSON: {e}")))
}
