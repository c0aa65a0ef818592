//! `mpc-id resolve`: a DID's document, as JSON or as a summary of its keys and services.

use mpc_identity::did::Relationship;
use mpc_identity::keystore::Keystore;

use mpc_client::resolver::DidResolution;

use crate::cli::ResolveArgs;
use crate::context::block_on;

pub fn resolve(keystore: &Keystore, args: &ResolveArgs) -> anyhow::Result<()> {
    let resolver = crate::context::resolver(keystore);
    let resolution = block_on(resolver.resolve(&args.did))??;
    let Some(document) = &resolution.document else {
        return deactivated(&args.did, &resolution, args.output.json);
    };
    if args.output.json {
        return crate::output::print_json(&resolution.document_json);
    }
    println!("{}", document.id);
    if let Some(log) = &resolution.log {
        let state = if log.deactivated { "  DEACTIVATED" } else { "" };
        println!(
            "  log  version {} of {} ({}), {}, verified from genesis{state}",
            log.version_number,
            log.version_ids.len(),
            log.version_time,
            log.version_id
        );
    }
    for alias in &document.also_known_as {
        println!("  also known as  {alias}");
    }
    let purposes = [
        ("authentication", &document.authentication),
        ("assertionMethod", &document.assertion_method),
        ("keyAgreement", &document.key_agreement),
        ("capabilityInvocation", &document.capability_invocation),
        ("capabilityDelegation", &document.capability_delegation),
    ];
    for method in &document.verification_method {
        let id = document.absolute(&method.id);
        let used_for: Vec<&str> = purposes
            .iter()
            .filter(|(_, list)| {
                list.iter().any(|r| matches!(r, Relationship::Reference(r) if document.absolute(r) == id))
            })
            .map(|(name, _)| *name)
            .collect();
        println!("  key  {}  {}  ({})", method.id, method.public_key_multibase, used_for.join(", "));
    }
    for service in &document.service {
        println!("  service  {}  {}  {}", service.id, service.service_type, service.service_endpoint);
    }
    Ok(())
}

/// A deactivated DID has no document to show (did:webvh 1.0: a resolver MUST NOT return it):
/// say so, and how to see what it was.
fn deactivated(did: &str, resolution: &DidResolution, json: bool) -> anyhow::Result<()> {
    let log = resolution.log.as_ref();
    if json {
        // DID Resolution's result, so that tools see `deactivated` where the spec puts it.
        return crate::output::print_json(&serde_json::json!({
            "didDocument": null,
            "didResolutionMetadata": { "deactivated": true },
            "didDocumentMetadata": {
                "deactivated": true,
                "versionId": log.map(|l| l.version_id.as_str()),
                "versionTime": log.map(|l| l.version_time.as_str()),
            },
        }));
    }
    println!("{did}");
    println!("  DEACTIVATED by its controller: it has no document, and its keys must not be used");
    if let Some(log) = log {
        println!(
            "  log  {} entries, verified from genesis; ended at {} ({})",
            log.version_ids.len(),
            log.version_id,
            log.version_time
        );
        if log.version_ids.len() > 1 {
            let last_active = log.version_ids.len() - 1;
            println!("  to see the document before it ended:  mpc-id resolve '{did}?versionNumber={last_active}'");
        }
    }
    Ok(())
}
