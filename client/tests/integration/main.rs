//! The integration tests of this crate, one binary with a module per subject (one link of
//! the dependencies instead of one per file). Each module's doc says what it covers.

mod did_endpoint;
mod http_policy;
mod live;
mod mediator_identity;
mod relay_lookup;
mod resolver;
