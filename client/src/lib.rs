//! The network side of an mpc-id party: everything that speaks HTTP or WebSocket to a mediator
//! or a DID ledger.
//!
//! - [`mediator`]: enrolling with a mediator, sending through a peer's mediator, picking up
//!   (by request or live over a WebSocket), short links;
//! - [`ping`]: Trust Ping between parties (asking and answering);
//! - [`relay`]: where a mediator's relay answers QUIC address discovery;
//! - [`resolver`]: DID resolution that fetches (did:webvh logs, did:web documents) on top of the
//!   core's network-free methods, and publishing did:webvh logs to their host;
//! - [`http`]: the one policy every request follows (deadlines, redirects, size caps read
//!   incrementally).
//!
//! What arrives is verified by `mpc-identity` against keys the caller resolved; nothing here
//! trusts a server for more than delivering bytes.
//!
//! ```no_run
//! # async fn example() -> Result<(), mpc_client::Error> {
//! use mpc_client::Resolver;
//!
//! // A resolver without a peer book: did:webvh logs are verified but not pinned.
//! let resolver = Resolver::new(None);
//! let resolution = resolver.resolve("did:webvh:QmExample:ledger.example.org:alice").await?;
//! println!("{} has {} key-agreement keys", resolution.document.id, resolution.document.key_agreement.len());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]

mod error;
pub mod http;
pub mod mediator;
pub mod ping;
pub mod relay;
pub mod resolver;

pub use error::{Error, Result};
pub use mediator::MediatorClient;
pub use resolver::Resolver;
