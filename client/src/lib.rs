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
//!   incrementally);
//! - [`tls`]: which servers are trusted (the system's roots plus a private CA's), for every TLS
//!   client in the process.
//!
//! What arrives is verified by `mpc-identity` against keys the caller resolved; nothing here
//! trusts a server for more than delivering bytes.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! # let data = tempfile::tempdir()?;
//! # let running = mpc_mediator::start(mpc_mediator::MediatorConfig::local(data.path())).await?;
//! # let url = format!("http://{}", running.address);
//! use mpc_client::MediatorClient;
//!
//! // A mediator is found by URL but trusted by DID: the document it serves must be exactly what
//! // its self-certifying did:peer:2 resolves to.
//! let mediator = MediatorClient::connect(&url).await?;
//! println!("{url} is {}; DIDComm goes to {}", mediator.did, mediator.endpoint);
//! # assert_eq!(mediator.did, running.did());
//! # running.stop().await?;
//! # Ok(()) })
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]

mod error;
pub mod http;
pub mod mediator;
pub mod ping;
pub mod relay;
pub mod resolver;
pub mod tls;

pub use error::{Error, Result};
pub use mediator::MediatorClient;
pub use resolver::Resolver;
