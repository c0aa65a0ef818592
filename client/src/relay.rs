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
    let url = format!("{}/relay-info?endpoint={endpoint}", base.trim_end_matches('/'));
    let info = fetch(&url).await?;
    Ok(info["relayUrl"].as_str().map(str::to_owned))
}

async fn fetch(url: &str) -> Result<serde_json::Value> {
    let failed = |reason: String| Error::Transport { url: url.to_owned(), reason };
    crate::http::check_scheme(url)?;
    let http = crate::http::client(crate::http::Redirects::Follow)?;
    let response = http.get(url).send().await.map_err(|e| failed(crate::http::explain(&e)))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let text = crate::http::text_capped(response, url, MAX_RELAY_INFO_BYTES).await?;
    serde_json::from_str(&text).map_err(|e| failed(format!("not JSON: {e}")))
}
