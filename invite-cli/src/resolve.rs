//! `mpc-id resolve`: a DID's document, as JSON or as a summary of its keys and services.

use mpc_identity::did::{self, Relationship};

use crate::cli::ResolveArgs;

pub fn resolve(args: &ResolveArgs) -> anyhow::Result<()> {
    let document = did::resolve(&args.did)?;
    if args.output.json {
        return crate::print_json(&document);
    }
    println!("{}", document.id);
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
