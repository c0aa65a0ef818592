//! The integration tests of this crate, one binary with a module per subject (one link of
//! the dependencies instead of one per file). Each module's doc says what it covers.

mod credentials;
mod did_peer_2_interop;
mod didcomm_interop;
mod direct;
mod field_rehearsal;
mod fuzz_seeds;
mod hostile_host;
mod https_mediator;
mod mediator_interop;
mod mpyc_version;
mod nat_lab;
mod openapi;
mod own_domain;
mod proxies;
mod readme;
mod sessions;
mod webvh_interop;
mod wheel;
