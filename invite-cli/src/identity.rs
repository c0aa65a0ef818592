//! `mpc-id new`, `list` and `show`: creating identities and looking at them.

use anyhow::Context;
use mpc_client::mediator::MediatorClient;
use mpc_identity::did::{self, MediatorEndpoint};
use mpc_identity::keystore::{DidMethod, IdentityRecord, Keystore};

use crate::cli::{MethodArg, NewArgs, ShowArgs};
use crate::context::{block_on, chosen};
use crate::output::print_created;
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
    if args.host.is_some() && method != DidMethod::Webvh {
        anyhow::bail!("--host is where a did:webvh log is published; add `--method webvh`");
    }
    if let (DidMethod::Webvh, Some(host)) = (method, &args.host) {
        let mediator = mediator.as_ref().zip(args.mediator.as_deref());
        return crate::ledger::new_webvh_at(keystore, name, host, mediator, args.token.as_deref(), args.output.json);
    }
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
        return crate::output::print_json(&identity.record);
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
        return crate::output::print_json(&records);
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
        println!("{:<16} {:<11} {}", record.name, method, crate::output::abbreviate_did(&record.did));
    }
    Ok(())
}

pub fn show(keystore: &Keystore, args: &ShowArgs) -> anyhow::Result<()> {
    let record = keystore.load(&chosen(keystore, &args.identity.name)?)?;
    if args.document {
        // A did:webvh identity shows its own log's latest document, verified.
        let document = match keystore.log_of(&record.name)? {
            Some(log) => serde_json::to_value(did::webvh::verify_own(&record.did, &log)?.0)?,
            None => serde_json::to_value(did::resolve(&record.did)?)?,
        };
        return crate::output::print_json(&document);
    }
    if args.output.json {
        return crate::output::print_json(&record);
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
