//! `mpc-id new --method webvh`, `publish` and `peers`: DIDs on a ledger, and the peer book.

use anyhow::Context;
use mpc_client::mediator::{self as client, MediatorClient};
use mpc_client::resolver::{self, Resolver};
use mpc_identity::did::webvh;
use mpc_identity::keystore::{DidMethod, Keystore, LedgerUpdate};
use mpc_identity::peerbook::PeerBook;
use mpc_identity::unix_now;

use crate::cli::{PeersAddArgs, PublishArgs};
use crate::context::block_on;
use crate::passphrase;

/// Creates a did:webvh identity whose log `mediator` (reached at `url`) hosts, and publishes it.
pub fn new_webvh(
    keystore: &Keystore,
    name: &str,
    (mediator, url): (&MediatorClient, &str),
    witnessed: bool,
    token: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let base = url::Url::parse(url).with_context(|| format!("invalid mediator URL `{url}`"))?;
    let address = webvh::address_of(&base, &["parties", name])?;
    let resolver = Resolver::new(None);
    let witness = if witnessed { Some(block_on(resolver.ledger_witness(url))??) } else { None };
    let passphrase = passphrase::for_new(name)?;
    let endpoint = Some(mediator.routing_endpoint());
    let (identity, log) = keystore.create_webvh(name, &address, endpoint, witness.as_deref(), &passphrase)?;
    if let Err(err) = block_on(resolver.publish_with_token(&identity.record.did, &log, token))? {
        // Nobody knows this DID yet: better no identity than one the ledger does not hold.
        keystore.remove(name)?;
        return Err(err).context(format!("identity `{name}` was not created"));
    }
    // The mediator knows the DID from its ledger now, so it can take the enrollment.
    block_on(mediator.enroll(&identity))?.with_context(|| {
        format!("identity `{name}` was created but not enrolled; retry with `mpc-id mediator enroll --name {name}`")
    })?;
    if json {
        return crate::output::print_json(&identity.record);
    }
    let ledger = webvh::file_url(&identity.record.did, webvh::LOG_FILE)?;
    crate::output::print_created(keystore, &identity.record, Some(ledger.as_str()));
    Ok(())
}

/// Creates a did:webvh identity whose log lives on the party's own web site at `host` (an HTTPS
/// URL it can publish files under). Nothing is uploaded there: `publish --out DIR` writes the
/// files. The mediator, if any, gets a copy of the log so it can carry the DID's messages.
pub fn new_webvh_at(
    keystore: &Keystore,
    name: &str,
    host: &str,
    mediator: Option<(&MediatorClient, &str)>,
    token: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let base = url::Url::parse(host).with_context(|| format!("--host `{host}` is not a URL"))?;
    let local = base.host_str() == Some("localhost");
    if base.scheme() != "https" && !(local && base.scheme() == "http") {
        anyhow::bail!(
            "--host `{host}` must be an https:// URL: did:webvh logs are fetched over HTTPS \
             (plain http:// only for localhost)"
        );
    }
    if base.query().is_some() || base.fragment().is_some() {
        anyhow::bail!("--host `{host}` must be a plain URL, without `?` or `#`");
    }
    let address = webvh::address_of(&base, &[])?;
    let passphrase = passphrase::for_new(name)?;
    let endpoint = mediator.map(|(client, _)| client.routing_endpoint());
    let (identity, log) = keystore.create_webvh(name, &address, endpoint, None, &passphrase)?;
    if let Some((client, url)) = mediator {
        let resolver = Resolver::new(None);
        if let Err(err) = block_on(resolver.keep_copy_at(url, &log, None, token))? {
            // Better no identity than one its mediator cannot talk to.
            keystore.remove(name)?;
            return Err(err).context(format!("identity `{name}` was not created"));
        }
        block_on(client.enroll(&identity))?.with_context(|| {
            format!("identity `{name}` was created but not enrolled; retry with `mpc-id mediator enroll --name {name}`")
        })?;
    }
    if json {
        return crate::output::print_json(&identity.record);
    }
    let ledger = webvh::file_url(&identity.record.did, webvh::LOG_FILE)?;
    crate::output::print_created(keystore, &identity.record, Some(ledger.as_str()));
    println!();
    println!("Nobody can resolve the DID until its log is at {ledger}:");
    println!("  mpc-id publish --name {name} --out DIR    # then upload DIR/{} there", webvh::LOG_FILE);
    Ok(())
}

pub fn publish(keystore: &Keystore, args: &PublishArgs) -> anyhow::Result<()> {
    let name = &crate::context::chosen(keystore, &args.identity.name)?;
    let record = keystore.load(name)?;
    if record.method != DidMethod::Webvh {
        anyhow::bail!(mpc_identity::Error::NotWebvh { name: name.clone() });
    }
    let mediator = match &args.mediator {
        Some(url) => Some(Some(block_on(MediatorClient::connect(url))??.routing_endpoint())),
        None => None,
    };
    let passphrase = passphrase::for_unlock(name)?;
    let identity = keystore.unlock(name, &passphrase)?;
    let linked_domains = match (args.no_linked_domains, args.linked_domains.is_empty()) {
        (true, _) => Some(Vec::new()),
        (false, false) => Some(
            args.linked_domains.iter().map(|d| mpc_identity::domain::origin_of(d)).collect::<Result<Vec<_>, _>>()?,
        ),
        (false, true) => None,
    };
    let change = LedgerUpdate { rotate_keys: args.rotate_keys, mediator, deactivate: args.deactivate, linked_domains };
    let nothing_new =
        !change.rotate_keys && change.mediator.is_none() && !change.deactivate && change.linked_domains.is_none();
    let (identity, log) = if nothing_new {
        let log = keystore.log_of(name)?.context("the identity holds no log")?;
        (identity, log)
    } else {
        keystore.advance_webvh(&identity, &change, &passphrase)?
    };
    let did = &identity.record.did;
    let (document, deactivated) = webvh::verify_own(did, &log)?;
    let linked = mpc_identity::domain::linked_origins(&document);
    let version_number = log.lines().count();
    let version_id = log
        .lines()
        .last()
        .and_then(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .and_then(|entry| entry["versionId"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let proofs = match &args.witness_proofs {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the witness proofs `{}`", path.display()))?,
        ),
        None => None,
    };
    if let Some(dir) = &args.out {
        write_log_files(dir, &log, proofs.as_deref())?;
    }
    // A log is published where its DID names (a mediator's ledger takes it); on the party's own
    // site, the party uploads what `--out` wrote. A mediator that does not host the DID (its own
    // site, or another mediator after a move) keeps a copy to carry its messages.
    let mediator_url = identity.record.mediator.as_ref().map(|m| m.uri.clone());
    let known_host = [record.mediator.as_ref().map(|m| m.uri.as_str()), mediator_url.as_deref()]
        .into_iter()
        .flatten()
        .any(|url| resolver::hosted_by(did, url));
    let resolver = Resolver::new(None);
    let retry = format!(
        "saved in the keystore but not published; run `mpc-id publish --name {name}` again \
         (with `--witness-proofs FILE` if your DID's witnesses are not its host, \
         `--out DIR` if it lives on your own site)"
    );
    let put = args.out.is_none() || known_host;
    if put {
        let published = match &proofs {
            Some(proofs) => block_on(resolver.publish_with_witness_proofs(did, &log, proofs, None))?,
            None => block_on(resolver.publish(did, &log))?,
        };
        published.context(retry.clone())?;
    }
    if let Some(url) = mediator_url.as_deref().filter(|url| !resolver::hosted_by(did, url)) {
        block_on(resolver.keep_copy_at(url, &log, proofs.as_deref(), None))?
            .with_context(|| format!("the mediator {url} could not keep a copy of the log; {retry}"))?;
    }
    if args.output.json {
        return crate::output::print_json(&serde_json::json!({
            "did": did,
            "versionId": version_id,
            "versionNumber": version_number,
            "deactivated": deactivated,
            "linkedDomains": linked,
        }));
    }
    match (&args.out, put) {
        (Some(dir), false) => {
            let at = webvh::file_url(did, webvh::LOG_FILE)?;
            println!("Wrote version {version_number} of {did} to {}", dir.display());
            println!("  upload    {} to {at}", dir.join(webvh::LOG_FILE).display());
        }
        _ => println!("Published version {version_number} of {did}"),
    }
    println!("  entry     {version_id}");
    if deactivated {
        println!("  DEACTIVATED: the DID can no longer be updated or used");
    } else {
        println!("  signing   {} (Ed25519)", identity.record.authentication_key);
        println!("  agreement {} (X25519)", identity.record.key_agreement_key);
        for origin in &linked {
            println!("  domain    {origin} (peers check its /.well-known/did-configuration.json)");
        }
    }
    Ok(())
}

pub fn add_peer(keystore: &Keystore, args: &PeersAddArgs) -> anyhow::Result<()> {
    let book = PeerBook::open(keystore.home());
    let resolver = Resolver::new(Some(book.clone()));
    let (did, document) = if args.peer.starts_with("did:") {
        let resolution = block_on(resolver.resolve_for_use(&args.peer))??;
        (resolution.document.id.clone(), resolution.document)
    } else {
        let text = crate::invite::read_input(&args.peer)?;
        let signed = block_on(client::read_invitation(&text))??;
        let (invitation, resolution) =
            block_on(resolver.verify_invitation(&signed, unix_now()))?.context("invalid invitation")?;
        (invitation.from, resolution.document)
    };
    // Domains it is said to control are checked before anything is kept.
    let domains = crate::domain::check_new_peer_domains(&resolver, &did, &document, &args.domain)?;
    let mut peer = resolver::peer_from(&did, &document);
    peer.label.clone_from(&args.label);
    peer.domains = domains.iter().filter(|c| c.outcome.is_ok()).map(|c| c.origin.clone()).collect();
    // did:webvh resolution pinned the log already; this adds the label and refreshes the keys.
    let pinned = book.get(&did)?;
    peer.log_entries = pinned.as_ref().and_then(|p| p.log_entries);
    peer.log_version_id = pinned.as_ref().and_then(|p| p.log_version_id.clone());
    let peer = book.record(peer, None)?;
    if args.output.json {
        return crate::output::print_json(&peer);
    }
    println!("Verified and added {}", peer.did);
    print_peer(&peer);
    for check in &domains {
        println!("  domain    {}", check.line());
    }
    Ok(())
}

pub fn list_peers(keystore: &Keystore, json: bool) -> anyhow::Result<()> {
    let book = PeerBook::open(keystore.home());
    let peers = book.list()?;
    // The domains each peer was shown to control, checked again now (all at once): a domain
    // that stopped linking the DID says so here, not only when the peer was added.
    let resolver = Resolver::new(Some(book));
    let checks = block_on(futures_util::future::join_all(
        peers.iter().map(|peer| crate::domain::check_domains(&resolver, &peer.did, None, &peer.domains)),
    ))?;
    if json {
        let listed: Vec<serde_json::Value> = peers
            .iter()
            .zip(&checks)
            .map(|(peer, checks)| {
                let mut value = serde_json::to_value(peer).unwrap_or_default();
                if !checks.is_empty() {
                    value["domains"] = checks.iter().map(crate::domain::DomainCheck::to_json).collect();
                }
                value
            })
            .collect();
        return crate::output::print_json(&listed);
    }
    if peers.is_empty() {
        println!("No peers yet. Add one with `mpc-id peers add <did|invitation>`.");
    }
    for (peer, checks) in peers.iter().zip(&checks) {
        let label = peer.label.as_deref().unwrap_or("-");
        let version = peer.log_entries.map(|n| format!("log v{n}")).unwrap_or_default();
        let ended = if peer.deactivated { " DEACTIVATED" } else { "" };
        let place = webvh::provenance(&peer.did).map(|place| format!(" - {place}")).unwrap_or_default();
        let label = mpc_identity::text::shown(label);
        println!("{label:<16} {}{place} {version}{ended}", crate::output::abbreviate_did(&peer.did));
        for check in checks {
            println!("{:<16} {}", "", check.line());
        }
    }
    Ok(())
}

fn print_peer(peer: &mpc_identity::peerbook::Peer) {
    if let Some(label) = &peer.label {
        println!("  label     {}", mpc_identity::text::shown(label));
    }
    if let Some(place) = webvh::provenance(&peer.did) {
        println!("  host      {place}");
    }
    if let Some(key) = &peer.authentication_key {
        println!("  signing   {key} (Ed25519)");
    }
    if let Some(key) = &peer.key_agreement_key {
        println!("  agreement {key} (X25519)");
    }
    if let Some(mediator) = &peer.mediator {
        println!("  mediator  {}", mediator.uri);
    }
    if let (Some(n), Some(id)) = (peer.log_entries, &peer.log_version_id) {
        println!("  log       {n} entries verified, last {id}");
    }
}

/// Writes a log (and its witness proofs) into `dir` for the party to upload: public files, in a
/// directory of the party's choosing, each replaced whole.
fn write_log_files(dir: &std::path::Path, log: &str, proofs: Option<&str>) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut files = vec![(webvh::LOG_FILE, log.to_owned())];
    if let Some(proofs) = proofs {
        files.push((webvh::WITNESS_FILE, proofs.to_owned()));
    }
    for (file, text) in files {
        let path = dir.join(file);
        let partial = dir.join(format!(".{file}.partial"));
        std::fs::write(&partial, text).with_context(|| format!("cannot write `{}`", partial.display()))?;
        std::fs::rename(&partial, &path).with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(())
}
