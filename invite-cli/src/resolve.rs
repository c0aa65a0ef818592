//! `mpc-id resolve`: a DID's document, as JSON or as a summary of its keys and services.

use mpc_identity::did::Relationship;
use mpc_identity::keystore::Keystore;
use serde_json::json;

use mpc_client::resolver::DidResolution;

use crate::cli::ResolveArgs;
use crate::context::block_on;

pub fn resolve(keystore: &Keystore, args: &ResolveArgs) -> anyhow::Result<()> {
    let resolver = crate::context::resolver(keystore);
    let resolution = match block_on(resolver.resolve(&args.did))? {
        Ok(resolution) => resolution,
        Err(error) if args.output.json => {
            // DID Resolution's result for a failure, for tools, and the error for people.
            crate::output::print_json(&failed(&error))?;
            return Err(error.into());
        }
        Err(error) => return Err(error.into()),
    };
    if args.output.json {
        return crate::output::print_json(&result(&resolution));
    }
    let Some(document) = &resolution.document else {
        return deactivated(&args.did, &resolution);
    };
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

/// DID Resolution's result (W3C DID Resolution, did:webvh 1.0 "DID Resolution"): the document
/// (none for a deactivated DID, unless an earlier version was asked for), resolution metadata,
/// and document metadata (for a did:webvh: version, times, SCID, `portable`, `deactivated`).
fn result(resolution: &DidResolution) -> serde_json::Value {
    let metadata = match &resolution.log {
        Some(log) => log.document_metadata(),
        None if resolution.deactivated => json!({ "deactivated": true }),
        None => json!({}),
    };
    json!({
        "didDocument": resolution.document_json,
        "didResolutionMetadata": { "contentType": "application/did+ld+json" },
        "didDocumentMetadata": metadata,
    })
}

/// The result of a resolution that failed: `notFound` when the DID's host has no log for it,
/// `invalidDid` when what it has (or the DID itself) does not verify, `internalError` otherwise,
/// with the reason as RFC 9457 problem details.
fn failed(error: &mpc_client::Error) -> serde_json::Value {
    let text = error.to_string();
    let code = if text.contains("HTTP 404") {
        "notFound"
    } else if matches!(error, mpc_client::Error::Identity(_)) {
        "invalidDid"
    } else {
        "internalError"
    };
    json!({
        "didDocument": null,
        "didResolutionMetadata": {
            "error": code,
            "problemDetails": { "title": "The DID could not be resolved.", "detail": text },
        },
        "didDocumentMetadata": {},
    })
}

/// A deactivated DID has no document to show (did:webvh 1.0: a resolver MUST NOT return it):
/// say so, and how to see what it was.
fn deactivated(did: &str, resolution: &DidResolution) -> anyhow::Result<()> {
    let log = resolution.log.as_ref();
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
