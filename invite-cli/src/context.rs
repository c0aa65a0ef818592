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
    let name = &chosen(keystore, name)?;
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

/// The identity a command acts as: the one named, or, when none was named (`-n` defaults to
/// `default`) and there is no `default`, the only identity in the keystore. With several and no
/// name, the error lists them with the option to pick one.
pub(crate) fn chosen(keystore: &Keystore, name: &str) -> anyhow::Result<String> {
    if name != crate::cli::DEFAULT_IDENTITY || keystore.load(name).is_ok() {
        return Ok(name.to_owned());
    }
    let names: Vec<String> = keystore.list().unwrap_or_default().into_iter().flatten().map(|r| r.name).collect();
    match names.as_slice() {
        [only] => Ok(only.clone()),
        [] => {
            anyhow::bail!("no identity in {} yet; create one with `mpc-id new --name NAME`", keystore.home().display())
        }
        several => anyhow::bail!(
            "several identities ({}); pick one with -n NAME (or set MPC_ID_IDENTITY), as in `-n {}`",
            several.join(", "),
            several[0]
        ),
    }
}
