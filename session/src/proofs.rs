//! Admission by proof: what a host may ask of the parties that join (a credential from an
//! issuer, control of a domain), how a joiner answers (a presentation of its credentials bound
//! to the session: challenge = the session id, domain = the host's DID), how the host checks it
//! before admitting, and how every party checks it again in the manifest.
//!
//! A proof shows what its issuer says about a DID, or that a domain's operator links the DID;
//! labels stay claims. See docs/SECURITY.md, "Who is behind a DID".

use mpc_client::resolver::Resolver;
use mpc_identity::credential::VerifiedCredential;
use mpc_identity::keystore::UnlockedIdentity;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::messages::{Requirement, SessionOffer};

/// A `--require-credential` argument: `ISSUER_DID` or `ISSUER_DID:Type`, where a last segment
/// that starts with a capital letter (as credential types do: `MemberCredential`) is the type.
pub fn credential_requirement(text: &str) -> Result<Requirement> {
    let bad = |reason: &str| Error::Command(format!("--require-credential `{text}`: {reason}"));
    let (issuer, credential_type) = match text.rsplit_once(':') {
        Some((issuer, last))
            if last.starts_with(|c: char| c.is_ascii_uppercase())
                && last.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (issuer, Some(last.to_owned()))
        }
        _ => (text, None),
    };
    if !issuer.starts_with("did:") || issuer.matches(':').count() < 2 {
        return Err(bad("give the issuer's DID, then `:Type` if one type will do (did:...:MemberCredential)"));
    }
    Ok(Requirement::Credential { issuer: issuer.to_owned(), credential_type })
}

/// A `--require-domain` argument: a domain, as an https:// origin.
pub fn domain_requirement(text: &str) -> Result<Requirement> {
    let origin = mpc_identity::domain::origin_of(text).map_err(|e| Error::Command(format!("--require-domain: {e}")))?;
    Ok(Requirement::Domain { origin })
}

/// The joiner's answer to the session's credential requirements: a presentation, bound to the
/// session and its host, of the credentials in `held` that meet them (each checked first);
/// `None` when the session asks for none. The error names every requirement nothing met.
pub async fn presentation_for(
    me: &UnlockedIdentity,
    resolver: &Resolver,
    offer: &SessionOffer,
    host: &str,
    held: &[Value],
) -> Result<Option<Value>> {
    let wanted: Vec<&Requirement> =
        offer.requirements.iter().filter(|r| matches!(r, Requirement::Credential { .. })).collect();
    if wanted.is_empty() {
        return Ok(None);
    }
    let now = mpc_identity::unix_now();
    let mut usable = Vec::new();
    for credential in held {
        match resolver.verify_credential(credential, now).await {
            Ok(verified) if verified.subject == me.record.did => usable.push((credential.clone(), verified)),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "a held credential does not verify; not presented"),
        }
    }
    let mut chosen = Vec::new();
    let mut missing = Vec::new();
    for requirement in wanted {
        match usable.iter().find(|(_, verified)| meets(requirement, verified)) {
            Some((credential, _)) if !chosen.contains(credential) => chosen.push(credential.clone()),
            Some(_) => {}
            None => missing.push(requirement.to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(Error::Command(format!(
            "this session admits only parties with {}; you hold no valid credential for that: ask its issuer \
             for one and add it with `mpc-id credential add -n {} FILE`",
            missing.join(" and "),
            me.record.name
        )));
    }
    let presentation = mpc_identity::presentation::present(
        &me.keys,
        &me.record.signing_kid(),
        &me.record.did,
        chosen,
        &offer.session,
        host,
        now,
    )?;
    Ok(Some(presentation))
}

/// The host's check of a joiner: its presentation meets every credential requirement and every
/// domain requirement's DID configuration links it. What to record (the presentation, the
/// domains), or why it is refused (naming the credential or domain).
pub(crate) async fn check_joiner(
    resolver: &Resolver,
    offer: &SessionOffer,
    host: &str,
    joiner: &str,
    presentation: Option<&Value>,
) -> std::result::Result<(Option<Value>, Vec<String>), String> {
    let now = mpc_identity::unix_now();
    check_party(resolver, offer, host, joiner, presentation, now).await?;
    let domains = offer
        .requirements
        .iter()
        .filter_map(|r| if let Requirement::Domain { origin } = r { Some(origin.clone()) } else { None })
        .collect();
    let needs_presentation = offer.requirements.iter().any(|r| matches!(r, Requirement::Credential { .. }));
    Ok((presentation.filter(|_| needs_presentation).cloned(), domains))
}

/// Every party's check of the manifest: each party but the host meets the session's
/// requirements, by the presentation and domains the manifest records for it.
pub(crate) async fn check_manifest(
    resolver: &Resolver,
    offer: &SessionOffer,
    host: &str,
    manifest: &Manifest,
) -> Result<()> {
    let now = mpc_identity::unix_now();
    for party in manifest.parties.iter().filter(|p| p.did != host) {
        check_party(resolver, offer, host, &party.did, party.presentation.as_ref(), now).await.map_err(|reason| {
            Error::bad_manifest(
                &manifest.session,
                format!("party {} does not meet the session's requirements: {reason}", party.index),
            )
        })?;
    }
    Ok(())
}

async fn check_party(
    resolver: &Resolver,
    offer: &SessionOffer,
    host: &str,
    party: &str,
    presentation: Option<&Value>,
    now: u64,
) -> std::result::Result<(), String> {
    let credentials: Vec<&Requirement> =
        offer.requirements.iter().filter(|r| matches!(r, Requirement::Credential { .. })).collect();
    if !credentials.is_empty() {
        let presentation = presentation.ok_or_else(|| {
            format!("this session admits only parties with {}: no credential was presented", list(&credentials))
        })?;
        let (holder, verified) = resolver
            .verify_presentation(presentation, &offer.session, host, now)
            .await
            .map_err(|e| format!("the credential presentation does not verify: {e}"))?;
        if holder != party {
            return Err(format!("the credential presentation is by {holder}, not by this party"));
        }
        for requirement in credentials {
            if !verified.iter().any(|credential| meets(requirement, credential)) {
                return Err(format!("no valid credential was presented for {requirement}"));
            }
        }
    }
    for requirement in &offer.requirements {
        if let Requirement::Domain { origin } = requirement {
            resolver
                .check_domain(party, origin, now)
                .await
                .map_err(|e| format!("the domain {origin} does not link this party's DID: {e}"))?;
        }
    }
    Ok(())
}

fn meets(requirement: &Requirement, credential: &VerifiedCredential) -> bool {
    match requirement {
        Requirement::Credential { issuer, credential_type } => {
            &credential.issuer == issuer && credential.has_type(credential_type.as_deref())
        }
        Requirement::Domain { .. } => false,
    }
}

fn list(requirements: &[&Requirement]) -> String {
    requirements.iter().map(ToString::to_string).collect::<Vec<_>>().join(" and ")
}

/// The credentials a presentation holds, as tools read them: `{issuer, type, claims}` each (the
/// presentation was verified when it was accepted: by the host at admission, by each party when
/// the manifest arrived).
pub fn presented(presentation: Option<&Value>) -> Vec<Value> {
    let credentials = presentation
        .map(|p| match &p["verifiableCredential"] {
            Value::Array(list) => list.clone(),
            Value::Null => Vec::new(),
            single => vec![single.clone()],
        })
        .unwrap_or_default();
    credentials
        .iter()
        .map(|credential| {
            let types: Vec<&str> = credential["type"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|t| *t != "VerifiableCredential")
                .collect();
            let mut claims = credential["credentialSubject"].as_object().cloned().unwrap_or_default();
            claims.remove("id");
            serde_json::json!({
                "issuer": mpc_identity::credential::issuer_of(credential).unwrap_or_default(),
                "type": types,
                "claims": claims,
            })
        })
        .collect()
}

/// What a party proved, as people read it: `MemberCredential from did:key:z6Mk...
/// (department = oncology)`, `controls https://example.org`. Claims are others' text: shown
/// escaped.
pub fn proven(presentation: Option<&Value>, domains: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    for credential in presented(presentation) {
        let types: Vec<&str> = credential["type"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let claims: Vec<String> = credential["claims"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(key, value)| format!("{key} = {}", value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
            .collect();
        let claims = if claims.is_empty() { String::new() } else { format!(" ({})", claims.join(", ")) };
        let kind = if types.is_empty() { "credential".to_owned() } else { types.join(", ") };
        let issuer = mpc_identity::did::abbreviate(credential["issuer"].as_str().unwrap_or_default());
        lines.push(mpc_identity::text::shown(&format!("{kind} from {issuer}{claims}")).into_owned());
    }
    for origin in domains {
        lines.push(format!("controls {}", mpc_identity::text::shown(origin)));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_requirement_reads_its_type_from_a_capitalised_last_segment() {
        let did = "did:webvh:QmSCID:example.org:org";
        assert_eq!(
            credential_requirement(&format!("{did}:MemberCredential")).expect("typed"),
            Requirement::Credential { issuer: did.to_owned(), credential_type: Some("MemberCredential".to_owned()) }
        );
        assert_eq!(
            credential_requirement(did).expect("any type"),
            Requirement::Credential { issuer: did.to_owned(), credential_type: None }
        );
        assert!(credential_requirement("MemberCredential").is_err());
        assert!(domain_requirement("http://example.org").is_err());
        assert_eq!(
            domain_requirement("Example.org").expect("domain"),
            Requirement::Domain { origin: "https://example.org".to_owned() }
        );
    }
}
