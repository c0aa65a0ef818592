//! `mpc-id domain link` and `domain check`: linking a DID to a web domain, and checking a link.

use anyhow::Context;
use mpc_identity::domain;
use mpc_identity::keystore::Keystore;
use mpc_identity::unix_now;

use crate::cli::{DomainCheckArgs, DomainLinkArgs};
use crate::context::block_on;
use crate::output::{abbreviate_did, format_time};
use crate::passphrase;

pub fn link(keystore: &Keystore, args: &DomainLinkArgs) -> anyhow::Result<()> {
    let origin = domain::origin_of(&args.domain)?;
    let name = crate::context::chosen(keystore, &args.identity.name)?;
    let identity = keystore.unlock(&name, &passphrase::for_unlock(&name)?)?;
    let did = &identity.record.did;
    let existing = match std::fs::metadata(&args.out) {
        Ok(meta) if meta.len() > domain::MAX_CONFIGURATION_BYTES as u64 => {
            anyhow::bail!("`{}` is larger than a DID configuration can be; give another --out", args.out.display())
        }
        Ok(_) => {
            Some(std::fs::read_to_string(&args.out).with_context(|| format!("cannot read `{}`", args.out.display()))?)
        }
        Err(_) => None,
    };
    let now = unix_now();
    let expires = now.saturating_add(args.expires.as_secs());
    let jwt = domain::linkage_jwt(&identity.keys, &identity.record.signing_kid(), did, &origin, now, expires)?;
    let configuration = domain::configuration_with(existing.as_deref(), did, &jwt)?;
    write_public_file(&args.out, &configuration)?;
    if args.output.json {
        return crate::output::print_json(&serde_json::json!({
            "did": did,
            "origin": origin,
            "expires": format_time(expires),
            "file": args.out,
        }));
    }
    println!("Wrote {} linking {} to {origin}", args.out.display(), abbreviate_did(did));
    println!("  valid     until {}", format_time(expires));
    println!("  upload    to {origin}{}", domain::WELL_KNOWN_PATH);
    println!("  check     mpc-id domain check {did} {}", args.domain);
    if identity.record.method == mpc_identity::keystore::DidMethod::Webvh {
        // A peer finds the domain by itself once the DID document names it.
        println!("  announce  mpc-id publish --name {name} --linked-domain {}", args.domain);
    }
    Ok(())
}

pub fn check(keystore: &Keystore, args: &DomainCheckArgs) -> anyhow::Result<()> {
    let resolver = crate::context::resolver(keystore);
    let checked = block_on(resolver.check_domain(&args.did, &args.domain, unix_now()))?;
    if args.output.json {
        let (controls, origin, expires, reason) = match &checked {
            Ok(linkage) => (true, linkage.origin.clone(), Some(format_time(linkage.expires)), None),
            Err(e) => (false, domain::origin_of(&args.domain).unwrap_or_default(), None, Some(e.to_string())),
        };
        crate::output::print_json(&serde_json::json!({
            "did": args.did,
            "origin": origin,
            "controls": controls,
            "expires": expires,
            "reason": reason,
        }))?;
    }
    let linkage = checked?;
    if !args.output.json {
        println!("{} controls {}", abbreviate_did(&linkage.did), linkage.origin);
        println!("  proof     {}{} (Domain Linkage Credential, verified)", linkage.origin, domain::WELL_KNOWN_PATH);
        println!("  valid     until {}", format_time(linkage.expires));
    }
    Ok(())
}

/// One domain a party is said to control, as checked just now: until when the link holds, or
/// why it does not.
pub struct DomainCheck {
    pub origin: String,
    pub outcome: Result<u64, String>,
}

impl DomainCheck {
    /// The line shown under the party: `controls ORIGIN (until DATE)`, or why not. The reason
    /// may quote what the domain served: shown escaped.
    pub fn line(&self) -> String {
        match &self.outcome {
            Ok(until) => format!("controls {} (until {})", self.origin, format_time(*until)),
            Err(reason) => format!("{}: NOT PROVEN now: {}", self.origin, mpc_identity::text::shown(reason)),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match &self.outcome {
            Ok(until) => serde_json::json!({ "origin": self.origin, "controls": true, "until": until }),
            Err(reason) => serde_json::json!({ "origin": self.origin, "controls": false, "reason": reason }),
        }
    }
}

/// Checks, over HTTPS and all at once, the domains a party is said to control: `asked` (by the
/// user) and those its DID document claims (`LinkedDomains` services), each once.
pub async fn check_domains(
    resolver: &mpc_client::Resolver,
    did: &str,
    document: Option<&mpc_identity::did::DidDocument>,
    asked: &[String],
) -> Vec<DomainCheck> {
    let mut origins: Vec<String> = Vec::new();
    let claimed = document.map(domain::linked_origins).unwrap_or_default();
    for origin in asked.iter().cloned().chain(claimed) {
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    resolver
        .check_domains(did, &origins, unix_now())
        .await
        .into_iter()
        .map(|(origin, checked)| DomainCheck {
            outcome: checked.map(|linkage| linkage.expires).map_err(|e| e.to_string()),
            origin,
        })
        .collect()
}

/// The domains to check for a peer being added: each one asked for must hold (else the peer is
/// not added, and the error says which and why); those its document claims are shown either way.
pub fn check_new_peer_domains(
    resolver: &mpc_client::Resolver,
    did: &str,
    document: &mpc_identity::did::DidDocument,
    asked: &[String],
) -> anyhow::Result<Vec<DomainCheck>> {
    let asked = asked.iter().map(|d| domain::origin_of(d)).collect::<Result<Vec<_>, _>>()?;
    let checks = block_on(check_domains(resolver, did, Some(document), &asked))?;
    if let Some(failed) = checks.iter().find(|c| asked.contains(&c.origin) && c.outcome.is_err()) {
        let reason = failed.outcome.as_ref().err().map(|r| mpc_identity::text::shown(r)).unwrap_or_default();
        anyhow::bail!(
            "{} was not added: it does not prove control of {}: {reason}",
            abbreviate_did(did),
            failed.origin
        );
    }
    Ok(checks)
}

/// Replaces `path` with `text`, readable by all (it is for a web server): written beside it
/// first, so a reader never sees half a file.
fn write_public_file(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let file = path.file_name().with_context(|| format!("`{}` is not a file name", path.display()))?;
    let partial = dir.join(format!(".{}.partial", file.to_string_lossy()));
    std::fs::write(&partial, text).with_context(|| format!("cannot write `{}`", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}
