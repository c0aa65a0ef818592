//! The integration tests of this crate, one binary with a module per subject (one link of
//! the dependencies instead of one per file). Each module's doc says what it covers.

#[macro_use]
mod common;

mod acme;
mod bundles;
mod concurrent_forwards;
mod crash;
mod faults;
mod hostile_clients;
mod https;
mod invitation_page;
mod ledger;
mod live_delivery;
mod oob_store;
mod open_internet;
mod protocols;
mod relay;
