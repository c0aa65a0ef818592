//! Peer connectivity for mpc-id: encrypted, authenticated links between parties, and TCP tunnels
//! over them.
//!
//! A party's endpoint is an [iroh] QUIC endpoint whose secret key *is* the party's Ed25519
//! identity key, so the endpoint id a peer sees after the handshake is the key in the party's DID:
//! nothing else has to be trusted. iroh is kept behind this crate's small API ([`endpoint`],
//! [`tunnel`]) and configured to contact nobody but the relay it is given: no default relays, no
//! DNS discovery, no port mapping.
//!
//! - [`endpoint`]: binding an endpoint from a party's key, the allowlist checked after every
//!   handshake, and which path (direct or relayed) a connection uses.
//! - [`peer`]: a peer's endpoint id and relay, from its verified DID document.
//! - [`tunnel`]: TCP port forwarding over a peer connection, one QUIC stream per TCP connection.
//! - [`local`]: the local end of a tunnel, a TCP address or a Unix socket.
//! - [`direct`]: what parties offer each other so that their programs can meet directly.
//! - [`mesh`]: a session's connections between every pair of parties, with heartbeats that
//!   tell a vanished peer from a slow one, and tunnels into each party's service port.
//!
//! ```no_run
//! # async fn example(key: ed25519_dalek::SigningKey, peer: mpc_connect::EndpointAddr) -> mpc_connect::Result<()> {
//! use std::time::Duration;
//!
//! use mpc_connect::{Allowlist, PeerEndpoint, PeerEndpointConfig};
//!
//! // An endpoint whose id is the party's identity key, admitting only the one peer.
//! let config = PeerEndpointConfig { allow: Allowlist::new([peer.id]), ..Default::default() };
//! let endpoint = PeerEndpoint::bind(&key, config).await?;
//! let connection = endpoint.connect(peer, Duration::from_secs(10)).await?;
//! println!("connected to {}", connection.remote_id());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]

pub mod direct;
pub mod endpoint;
mod error;
pub mod local;
pub mod mesh;
pub mod peer;
pub mod tunnel;

pub use endpoint::{
    Allowlist, Handshake, Locate, LocateFuture, PathReport, PeerEndpoint, PeerEndpointConfig, RelayDiscovery,
    RelayReport, endpoint_id_of,
};
pub use error::{Error, Result};
pub use iroh::{EndpointAddr, EndpointId, RelayUrl};
pub use local::LocalAddr;
