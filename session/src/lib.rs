//! Sessions for mpc-id: from invitations to an executed MPyC computation.
//!
//! - [`lobby`]: a host creates a session and invites; parties join through the host's mediator;
//!   the host admits them and, once the session is full, signs and sends the manifest.
//! - [`joining`]: the party side of joining, in steps a front end shows and asks between:
//!   preview the invitation, prepare (role, credentials, the host's shared program), join.
//! - [`messages`]: the lobby's DIDComm messages, signed by their senders and sealed to their
//!   recipients.
//! - [`manifest`]: the signed agreement (parties, program hash, arguments, MPyC version and
//!   certificates) that every party verifies before anything runs.
//! - [`run`]: connects every pair of parties (`mpc_connect::mesh`), launches MPyC with arguments
//!   that point at local forwarders, and stops it with a clear error if a peer vanishes.
//! - [`mpyc`]: MPyC's arguments, `.ini` and TLS files.
//! - [`provision`]: mpc-id's own Python with a session's MPyC, for users whose Python has none.
//! - [`store`]: the sessions this party knows, one file each.
//!
//! Parties are shown to people by the label they chose and their abbreviated DID; labels are
//! checked where they enter (a join request, the command line):
//!
//! ```
//! use mpc_session::manifest::{check_label, who};
//!
//! assert!(check_label("carol").is_ok());
//! assert!(check_label(" carol").is_err(), "no spaces at the edges");
//! let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
//! assert_eq!(who(Some("carol"), did), format!("carol, {}", mpc_identity::did::abbreviate(did)));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]

pub mod bundle;
mod error;
pub mod joining;
pub mod lobby;
pub mod manifest;
pub mod messages;
pub mod mpyc;
pub mod proofs;
pub mod provision;
pub mod run;
pub mod store;

pub use error::{Error, Result};
