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

/// Checks each domain a peer is said to control; the lines to show, or the first that fails.
pub fn check_peer_domains(
    resolver: &mpc_client::Resolver,
    did: &str,
    domains: &[String],
) -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::new();
    for wanted in domains {
        let linkage = block_on(resolver.check_domain(did, wanted, unix_now()))?
            .with_context(|| format!("{} was not added: it does not prove control of {wanted}", abbreviate_did(did)))?;
        lines.push(format!("controls {} (until {})", linkage.origin, format_time(linkage.expires)));
    }
    Ok(lines)
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
