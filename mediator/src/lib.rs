//! The mpc-id mediator: a DIDComm v2 service that stores and forwards end-to-end encrypted
//! messages for parties that are offline or behind NAT.
//!
//! Nothing lives here yet. The service (routing, coordinate mediation, pickup, live delivery,
//! SQLite and PostgreSQL storage) is the next piece of work; see `docs/ARCHITECTURE.md`.
#![forbid(unsafe_code)]
