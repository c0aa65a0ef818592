//! How results are shown: JSON for tools, times and DIDs for people. Every command module prints
//! through these, so that `--json` and the one-line forms stay the same everywhere.

use mpc_identity::keystore::{IdentityRecord, Keystore};

/// Prints a value as pretty JSON on stdout.
pub(crate) fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Unix seconds as RFC 3339.
pub(crate) fn format_time(unix: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix)).to_string()
}

/// Long did:peer:2 DIDs shortened for one-line output; `--json` always has them whole.
pub(crate) fn abbreviate_did(did: &str) -> String {
    mpc_identity::did::abbreviate(did)
}

/// What `new` says: the label and a short DID (the whole one is a screen wide: `show` and
/// `--json` have it), where messages go, and where the keys are.
pub(crate) fn print_created(keystore: &Keystore, record: &IdentityRecord, ledger: Option<&str>) {
    println!("Created identity `{}`  {}", record.name, abbreviate_did(&record.did));
    match &record.mediator {
        Some(mediator) => println!("  mediator  {}", mediator.uri),
        None => println!("  mediator  none (direct connections only)"),
    }
    if let Some(ledger) = ledger {
        println!("  ledger    {ledger} (verifiable history of the DID)");
    }
    println!("  keystore  {} (encrypted, owner-only)", keystore.home().display());
    println!();
    println!("Whole DID and keys: `mpc-id show --name {}`", record.name);
    println!("Next: `mpc-id invite --name {}` shows a signed invitation for your peers.", record.name);
}

/// A command line as one might type it (quoting only what needs it), with what a terminal must
/// not see escaped: arguments come from the host.
pub(crate) fn shell_words(command: &[String]) -> String {
    command
        .iter()
        .map(|word| {
            if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c)) {
                word.clone()
            } else {
                format!("'{}'", mpc_identity::text::shown(&word.replace('\'', r"'\''")))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
