//! `mpc-id resolve`: a DID's document, as JSON or as a summary of its keys and services.

use mpc_identity::did::Relationship;
use mpc_identity::keystore::Keystore;

use crate::cli::ResolveArgs;
use crate::context::block_on;

pub fn resolve(keystore: &Keystore, args: &ResolveArgs) -> anyhow::Result<()> {
    let resolver = crate::context::resolver(keystore);
    let resolution = block_on(resolver.resolve(&args.did))??;
    if args.output.json {
        return crate::print_json(&resolution.document_json);
    }
    let document = &resolution.document;
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
