//! `mpc-id new`, `list` and `show`: creating identities and looking at them.

use anyhow::Context;
use mpc_client::mediator::MediatorClient;
use mpc_identity::did::{self, MediatorEndpoint};
use mpc_identity::keystore::{DidMethod, IdentityRecord, Keystore};

use crate::cli::{MethodArg, NewArgs, ShowArgs};
use crate::context::block_on;
use crate::passphrase;

pub fn new(keystore: &Keystore, args: &NewArgs) -> anyhow::Result<()> {
    let name = &args.identity.name;
    mpc_identity::keystore::validate_name(name)?;
    // Fail fast, before any key exists: a bad URL, then an unreachable or dishonest mediator.
    if let Some(url) = &args.mediator {
        MediatorEndpoint::from_url(url)?;
    }
    let mediator =
        args.mediator.as_deref().map(|url| block_on(MediatorClient::connect(url))).transpose()?.transpose()?;
    let method = match args.method {
        MethodArg::Key => DidMethod::Key,
        MethodArg::Peer => DidMethod::Peer,
        MethodArg::Webvh => DidMethod::Webvh,
    };
    if method == DidMethod::Webvh {
        let mediator = mediator
            .as_ref()
            .zip(args.mediator.as_deref())
            .context("did:webvh needs --mediator URL: the mediator hosts your DID's log and is named in it")?;
        return crate::ledger::new_webvh(
            keystore,
            name,
            mediator,
            args.witness,
            args.token.as_deref(),
            args.output.json,
        );
    }
    if method == DidMethod::Key && mediator.is_some() {
        tracing::info!("did:key cannot name a mediator; it is kept in the keystore and put into invitations");
    }
    let passphrase = passphrase::for_new(name)?;
    let endpoint = mediator.as_ref().map(MediatorClient::routing_endpoint);
    let identity = keystore.create(name, method, endpoint, &passphrase)?;
    if let Some(mediator) = &mediator {
        block_on(mediator.enroll_with(&identity, args.token.as_deref()))?.with_context(|| {
            format!("identity `{name}` was created but not enrolled; retry with `mpc-id mediator enroll --name {name}`")
        })?;
    }
    if args.output.json {
        return crate::print_json(&identity.record);
    }
    print_created(keystore, &identity.record, None);
    Ok(())
}

pub fn list(keystore: &Keystore, json: bool) -> anyhow::Result<()> {
    let mut records = Vec::new();
    for entry in keystore.list()? {
        match entry {
            Ok(record) => records.push(record),
            // One damaged file must not hide the others; say which it is and go on.
            Err(err) => tracing::warn!("{err}"),
        }
    }
    if json {
        return crate::print_json(&records);
    }
    if records.is_empty() {
        println!("No identities in {}. Create one with `mpc-id new`.", keystore.home().display());
    }
    for record in &records {
        let method = match record.method {
            DidMethod::Key => "did:key",
            DidMethod::Peer => "did:peer:2",
            DidMethod::Webvh => "did:webvh",
        };
        println!("{:<16} {:<11} {}", record.name, method, crate::abbreviate_did(&record.did));
    }
    Ok(())
}

/// What `new` says: the label and a short DID (the whole one is a screen wide: `show` and
/// `--json` have it), where messages go, and where the keys are.
pub(crate) fn print_created(keystore: &Keystore, record: &IdentityRecord, ledger: Option<&str>) {
    println!("Created identity `{}`  {}", record.name, crate::abbreviate_did(&record.did));
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

pub fn show(keystore: &Keystore, args: &ShowArgs) -> anyhow::Result<()> {
    let record = keystore.load(&chosen(keystore, &args.identity.name)?)?;
    if args.document {
        // A did:webvh identity shows its own log's latest document, verified.
        let document = match keystore.log_of(&record.name)? {
            Some(log) => serde_json::to_value(did::webvh::verify_own(&record.did, &log)?.0)?,
            None => serde_json::to_value(did::resolve(&record.did)?)?,
        };
        return crate::print_json(&document);
    }
    if args.output.json {
        return crate::print_json(&record);
    }
    println!("Identity `{}`", record.name);
    print_record(&record);
    Ok(())
}

fn print_record(record: &IdentityRecord) {
    println!("  did       {}", record.did);
    println!("  signing   {} (Ed25519)", record.authentication_key);
    println!("  agreement {} (X25519)", record.key_agreement_key);
    match &record.mediator {
        Some(mediator) => println!("  mediator  {}", mediator.uri),
        None => println!("  mediator  none"),
    }
    println!("  created   {}", record.created);
}

/// The identity a command acts as: the one named, or, when none was named (`-n` defaults to
/// `default`) and there is no `default`, the only identity in the keystore. With several and no
/// name, the error lists them with the option to pick one.
pub fn chosen(keystore: &Keystore, name: &str) -> anyhow::Result<String> {
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
