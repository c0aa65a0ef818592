//! From DIDs to endpoints. A party's endpoint id is its DID's Ed25519 signing key (the first
//! `authentication` key), and its relay is the mediator its DID names: the scheme, host and port
//! of its DIDComm service, where the mediator serves `/relay`. So a peer is dialled by DID alone,
//! with nothing but what its verified DID document says.

use iroh::{EndpointAddr, EndpointId, RelayUrl};
use mpc_identity::did::{DidDocument, MediatorEndpoint, Relationship};

use ed25519_dalek::SigningKey;

use crate::endpoint::{Allowlist, Locate, PeerEndpoint, PeerEndpointConfig, RelayDiscovery, endpoint_id_of};
use crate::error::{Error, Result};

/// The endpoint id of the party `document` describes.
pub fn endpoint_id(document: &DidDocument) -> Result<EndpointId> {
    let unusable = |reason: String| Error::Connect { peer: document.id.clone(), reason };
    let kid = match document.authentication.first() {
        Some(Relationship::Reference(id)) => document.absolute(id),
        Some(Relationship::Embedded(method)) => document.absolute(&method.id),
        None => return Err(unusable("its DID has no authentication key".into())),
    };
    let key = document.authentication_key(&kid).map_err(|e| unusable(e.to_string()))?;
    let key = key.as_ed25519().map_err(|e| unusable(e.to_string()))?;
    Ok(endpoint_id_of(key))
}

/// The relay of a mediator: its endpoint URI without the path.
pub fn relay_of(mediator: &MediatorEndpoint) -> Option<RelayUrl> {
    let mut url = url::Url::parse(&mediator.uri).ok()?;
    url.set_path("/");
    url.set_query(None);
    url.set_fragment(None);
    url.as_str().parse().ok()
}

/// Binds a party's endpoint: its identity key, the relay of its own mediator (with the relay's
/// address `discovery`, which the caller asked the mediator for, so that an endpoint behind NAT
/// learns its public address), `allow`, how to `locate` peers' current relays, and how to check
/// the relay's TLS certificate (`verifier`).
pub async fn bind_party(
    key: &SigningKey,
    mediator: Option<&MediatorEndpoint>,
    discovery: Option<RelayDiscovery>,
    allow: Allowlist,
    relay_only: bool,
    locate: Option<Locate>,
    verifier: Option<crate::endpoint::RelayVerifier>,
) -> Result<PeerEndpoint> {
    let relay = mediator.and_then(relay_of);
    if relay.is_none() {
        tracing::warn!("this identity names no mediator: direct connections only, no relay");
    }
    PeerEndpoint::bind(key, PeerEndpointConfig { relay, bind: None, allow, discovery, relay_only, locate, verifier })
        .await
}

/// How to dial the party `document` describes: its endpoint id, and its mediator's relay.
pub fn address(document: &DidDocument) -> Result<EndpointAddr> {
    let id = endpoint_id(document)?;
    let mut address = EndpointAddr::new(id);
    if let Some(relay) = document.didcomm_endpoint().as_ref().and_then(relay_of) {
        address = address.with_relay_url(relay);
    }
    Ok(address)
}
