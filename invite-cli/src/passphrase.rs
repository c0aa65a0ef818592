//! Getting the keystore passphrase: from `MPC_ID_PASSPHRASE`, else from the terminal. It is
//! never echoed, logged, or passed on the command line (where `ps` would show it).

use std::io::IsTerminal;

use anyhow::{Context, bail};
use zeroize::Zeroizing;

const ENV: &str = "MPC_ID_PASSPHRASE";

/// The passphrase to unlock identity `name`.
pub fn for_unlock(name: &str) -> anyhow::Result<Zeroizing<String>> {
    if let Some(value) = from_env() {
        return Ok(value);
    }
    prompt(&format!("Passphrase for identity `{name}`: "))
}

/// A passphrase for a new identity, asked twice at a terminal.
pub fn for_new(name: &str) -> anyhow::Result<Zeroizing<String>> {
    if let Some(value) = from_env() {
        return Ok(value);
    }
    let first = prompt(&format!("New passphrase for identity `{name}`: "))?;
    let second = prompt("Repeat the passphrase: ")?;
    if *first != *second {
        bail!("the two passphrases differ; nothing was created");
    }
    Ok(first)
}

fn from_env() -> Option<Zeroizing<String>> {
    std::env::var(ENV).ok().map(Zeroizing::new)
}

fn prompt(text: &str) -> anyhow::Result<Zeroizing<String>> {
    if !std::io::stdin().is_terminal() {
        bail!("no passphrase: set {ENV} or run in a terminal to be asked for it");
    }
    rpassword::prompt_password(text).map(Zeroizing::new).context("reading the passphrase from the terminal")
}
