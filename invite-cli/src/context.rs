//! What commands share: unlocking the identity a command acts as (which identity, the one
//! passphrase prompt), the resolver that remembers verified peers, and the async runtime the
//! library calls run on. One place each, so every command asks and starts the same way.

use std::future::Future;

use anyhow::Context;
use mpc_client::Resolver;
use mpc_identity::keystore::{Keystore, UnlockedIdentity};
use mpc_identity::peerbook::PeerBook;

use crate::passphrase;

/// Unlocks the identity `name` names (or the only one, for the default name), asking for its
/// passphrase once.
pub fn unlock(keystore: &Keystore, name: &str) -> anyhow::Result<UnlockedIdentity> {
    let name = &crate::identity::chosen(keystore, name)?;
    let passphrase = passphrase::for_unlock(name)?;
    Ok(keystore.unlock(name, &passphrase)?)
}

/// A resolver that pins did:webvh logs in the keystore's peer book, so a later rollback or fork
/// of a peer's log is refused.
pub fn resolver(keystore: &Keystore) -> Resolver {
    Resolver::new(Some(PeerBook::open(keystore.home())))
}

/// How many threads a command's runtime has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threads {
    /// One: requests to a mediator, and `run`, where the MPyC program next to us needs the cores
    /// more and a message through a tunnel crosses fewer threads (measured: 1.33x of plain TCP
    /// with a thread per core, 1.24x with one).
    One,
    /// One per core: services that carry many connections at once (tunnels, the mediator, the
    /// demo's three parties and their mediator in one process).
    PerCore,
}

/// The async runtime a command runs its library calls on.
pub fn runtime(threads: Threads) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = match threads {
        Threads::One => tokio::runtime::Builder::new_current_thread(),
        Threads::PerCore => tokio::runtime::Builder::new_multi_thread(),
    };
    builder.enable_all().build().context("starting the async runtime")
}

/// Runs async work from a synchronous command, on one thread.
pub fn block_on<F: Future>(future: F) -> anyhow::Result<F::Output> {
    Ok(runtime(Threads::One)?.block_on(future))
}
