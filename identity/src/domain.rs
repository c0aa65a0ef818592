//! Domain linkage (DIF "Well Known DID Configuration" 1.0): a web domain says which DIDs speak
//! for it by publishing `https://DOMAIN/.well-known/did-configuration.json`, a list of Domain
//! Linkage Credentials; each is issued by the DID about itself (`credentialSubject.id` = issuer)
//! and names the domain's origin. The file's place proves control of the domain, the
//! credential's signature control of the DID: together, that the two are run by the same hands.
//!
//! Credentials are made and checked here in the JSON Web Token form (EdDSA, the DID's Ed25519
//! key); the Data Integrity form is recognised and reported as not checked. Fetching the file is
//! the client's; this module only makes and verifies documents, against a DID document the
//! caller resolved.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signature;
use serde_json::{Value, json};

use crate::did::{DidDocument, split_did_url};
use crate::error::{Error, Result};
use crate::keys::{PartyKeys, verify_strict};
use crate::{rfc3339, unix_of};

/// Where a domain publishes its DID configuration.
pub const WELL_KNOWN_PATH: &str = "/.well-known/did-configuration.json";
/// The configuration's (and the credential's second) JSON-LD context.
pub const CONFIGURATION_CONTEXT: &str = "https://identity.foundation/.well-known/did-configuration/v1";
/// The credential's first context (VC Data Model 1.1, which the specification's credentials use).
pub const CREDENTIALS_V1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";
/// A configuration larger than this is refused before parsing (a credential is about 1 KiB).
pub const MAX_CONFIGURATION_BYTES: usize = 256 * 1024;
/// Clock difference tolerated between the issuer and this machine.
const LEEWAY_SECONDS: u64 = 300;

/// A verified link between a DID and a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linkage {
    /// The DID.
    pub did: String,
    /// The domain's origin (`https://example.org`).
    pub origin: String,
    /// When the credential expires (Unix seconds).
    pub expires: u64,
}

/// The origin of a domain as the specification compares them: `example.org`,
/// `https://example.org` and `https://Example.org:443/` are all `https://example.org`. Only
/// HTTPS origins can be linked, and only origins: a path, query or user name is refused.
pub fn origin_of(domain: &str) -> Result<String> {
    let invalid = |reason: &str| Error::InvalidDomain { domain: domain.to_owned(), reason: reason.to_owned() };
    let text = if domain.contains("://") { domain.to_owned() } else { format!("https://{domain}") };
    let url = url::Url::parse(&text).map_err(|e| invalid(&e.to_string()))?;
    if url.scheme() != "https" {
        return Err(invalid("only https:// domains can be linked"));
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("an origin has no user, query or fragment"));
    }
    if url.path() != "/" {
        return Err(invalid("an origin has no path (the configuration is always at /.well-known/)"));
    }
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| invalid("no host"))?;
    Ok(match url.port() {
        Some(port) => format!("https://{host}:{port}"),
        None => format!("https://{host}"),
    })
}

/// Most origins taken from one DID document's `LinkedDomains` services: each costs an HTTPS
/// fetch wherever the party is shown, and the document is the party's own text.
pub const MAX_LINKED_ORIGINS: usize = 8;

/// The origins a DID document says its subject controls: its `LinkedDomains` services (DIF Well
/// Known DID Configuration, "Linked Domain Service Endpoint"), whose endpoint is an origin or
/// `{"origins": [...]}`. Only a claim: each holds once the domain's configuration links the
/// DID back ([`verify_configuration`]). What is not an HTTPS origin is left out; at most
/// [`MAX_LINKED_ORIGINS`], without repeats.
pub fn linked_origins(document: &DidDocument) -> Vec<String> {
    let is_linked_domains = |kind: &Value| match kind {
        Value::String(kind) => kind == "LinkedDomains",
        Value::Array(kinds) => kinds.iter().any(|k| k == "LinkedDomains"),
        _ => false,
    };
    let mut origins: Vec<String> = Vec::new();
    for service in document.service.iter().filter(|s| is_linked_domains(&s.service_type)) {
        let endpoint = &service.service_endpoint;
        let listed: Vec<&Value> = match endpoint {
            Value::Object(object) => object.get("origins").and_then(|o| o.as_array()).into_iter().flatten().collect(),
            other => vec![other],
        };
        for origin in listed.into_iter().filter_map(|o| o.as_str()).filter_map(|o| origin_of(o).ok()) {
            if origins.len() < MAX_LINKED_ORIGINS && !origins.contains(&origin) {
                origins.push(origin);
            }
        }
    }
    origins
}

/// A Domain Linkage Credential in the JWT form: `did` (whose key `kid` signs) says it is linked
/// to `origin` from `issued` until `expires` (Unix seconds).
pub fn linkage_jwt(keys: &PartyKeys, kid: &str, did: &str, origin: &str, issued: u64, expires: u64) -> Result<String> {
    let origin = origin_of(origin)?;
    let header = json!({ "alg": "EdDSA", "kid": kid });
    let payload = json!({
        "exp": expires,
        "iss": did,
        "nbf": issued,
        "sub": did,
        "vc": {
            "@context": [CREDENTIALS_V1_CONTEXT, CONFIGURATION_CONTEXT],
            "issuer": did,
            "issuanceDate": rfc3339(issued),
            "expirationDate": rfc3339(expires),
            "type": ["VerifiableCredential", "DomainLinkageCredential"],
            "credentialSubject": { "id": did, "origin": origin },
        },
    });
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let signing_input = format!("{}.{}", encode(&header), encode(&payload));
    let signature = keys.sign(signing_input.as_bytes());
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes())))
}

/// The DID configuration to publish: `existing` (a domain may link several DIDs) with `did`'s
/// credentials replaced by `jwt`.
pub fn configuration_with(existing: Option<&str>, did: &str, jwt: &str) -> Result<String> {
    let mut linked: Vec<Value> = match existing {
        Some(text) => {
            let value: Value = serde_json::from_str(text).map_err(|e| Error::DomainLinkage {
                did: did.to_owned(),
                origin: "(the file given)".to_owned(),
                reason: format!("the existing configuration is not JSON: {e}"),
            })?;
            value["linked_dids"].as_array().cloned().unwrap_or_default()
        }
        None => Vec::new(),
    };
    linked.retain(|entry| subject_of(entry).as_deref() != Some(did));
    linked.push(Value::String(jwt.to_owned()));
    let configuration = json!({ "@context": CONFIGURATION_CONTEXT, "linked_dids": linked });
    serde_json::to_string_pretty(&configuration).map_err(|e| Error::DomainLinkage {
        did: did.to_owned(),
        origin: String::new(),
        reason: e.to_string(),
    })
}

/// Verifies that the DID configuration `text`, served by `origin`, links `did` to it: one of its
/// credentials is `did`'s, names `origin`, is current at `now`, and is signed by a key of
/// `document` (the DID's, as the caller resolved it). The error says what is missing or wrong.
pub fn verify_configuration(text: &str, did: &str, origin: &str, now: u64, document: &DidDocument) -> Result<Linkage> {
    let origin = origin_of(origin)?;
    let fail = |reason: String| Error::DomainLinkage { did: did.to_owned(), origin: origin.clone(), reason };
    if text.len() > MAX_CONFIGURATION_BYTES {
        return Err(fail(format!("the configuration is larger than {MAX_CONFIGURATION_BYTES} bytes")));
    }
    let configuration: Value =
        serde_json::from_str(text).map_err(|e| fail(format!("the configuration is not JSON: {e}")))?;
    let has_context = match &configuration["@context"] {
        Value::String(context) => context == CONFIGURATION_CONTEXT,
        Value::Array(contexts) => contexts.iter().any(|c| c == CONFIGURATION_CONTEXT),
        _ => false,
    };
    if !has_context {
        return Err(fail(format!("the configuration's `@context` is not `{CONFIGURATION_CONTEXT}`")));
    }
    let linked = configuration["linked_dids"]
        .as_array()
        .ok_or_else(|| fail("the configuration has no `linked_dids` list".to_owned()))?;
    let mine: Vec<&Value> = linked.iter().filter(|entry| subject_of(entry).as_deref() == Some(did)).collect();
    if mine.is_empty() {
        return Err(fail(format!(
            "the domain links {} other DID(s) but not this one: it does not claim this DID",
            linked.len()
        )));
    }
    let mut last = None;
    for entry in mine {
        let checked = match entry {
            Value::String(jwt) => verify_jwt(jwt, did, &origin, now, document),
            _ => Err("its credential is in the Data Integrity form, which mpc-id does not check yet".to_owned()),
        };
        match checked {
            Ok(expires) => return Ok(Linkage { did: did.to_owned(), origin: origin.clone(), expires }),
            Err(reason) => last = Some(reason),
        }
    }
    Err(fail(last.unwrap_or_default()))
}

/// The DID a linked entry is about (its JWT's `iss`, or its credential's subject), unverified.
fn subject_of(entry: &Value) -> Option<String> {
    match entry {
        Value::String(jwt) => {
            let payload = jwt.split('.').nth(1)?;
            let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
            payload["iss"].as_str().map(str::to_owned)
        }
        credential => credential.pointer("/credentialSubject/id").and_then(Value::as_str).map(str::to_owned),
    }
}

/// One JWT credential, checked as the specification says; its expiry, or what is wrong.
fn verify_jwt(
    jwt: &str,
    did: &str,
    origin: &str,
    now: u64,
    document: &DidDocument,
) -> std::result::Result<u64, String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err("its credential is not a JWT (three dot-separated parts)".to_owned());
    };
    let decode = |what: &str, part: &str| -> std::result::Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| format!("the JWT's {what} is not base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| format!("the JWT's {what} is not JSON"))
    };
    let (header, claims) = (decode("header", header)?, decode("payload", payload)?);
    let alg = header["alg"].as_str().unwrap_or("(none)");
    if alg != "EdDSA" {
        return Err(format!("the JWT is signed with `{alg}`; only EdDSA (Ed25519) is accepted"));
    }
    let kid = header["kid"].as_str().ok_or("the JWT header has no `kid`")?;
    if split_did_url(kid).map(|(signer, _)| signer) != Some(did) {
        return Err(format!("the JWT is signed by `{kid}`, not by a key of the DID"));
    }
    let key = document.authentication_key(kid).map_err(|e| e.to_string())?;
    let key = key.as_ed25519().map_err(|e| e.to_string())?;
    let raw = URL_SAFE_NO_PAD.decode(signature).map_err(|_| "the JWT's signature is not base64url".to_owned())?;
    let raw: [u8; 64] = raw.try_into().map_err(|_| "the JWT's signature is not 64 bytes".to_owned())?;
    let signing_input = &jwt[..jwt.len() - signature.len() - 1];
    if !verify_strict(key, signing_input.as_bytes(), &Signature::from_bytes(&raw)) {
        return Err(format!("the signature by `{kid}` does not verify: the credential was altered or forged"));
    }

    let credential = &claims["vc"];
    let subject = credential.pointer("/credentialSubject/id").and_then(Value::as_str);
    let issuer = match &credential["issuer"] {
        Value::Object(issuer) => issuer.get("id").and_then(Value::as_str),
        issuer => issuer.as_str(),
    };
    if claims["iss"].as_str() != Some(did) || claims["sub"].as_str() != Some(did) || subject != Some(did) {
        return Err("its `iss`, `sub` and `credentialSubject.id` must all be the DID".to_owned());
    }
    if issuer.is_some_and(|issuer| issuer != did) {
        return Err("its issuer is another DID than its subject".to_owned());
    }
    let types = credential["type"].as_array().cloned().unwrap_or_default();
    if !types.iter().any(|t| t == "DomainLinkageCredential") {
        return Err("it is not a DomainLinkageCredential".to_owned());
    }
    let named = credential.pointer("/credentialSubject/origin").and_then(Value::as_str).unwrap_or("(none)");
    if origin_of(named).ok().as_deref() != Some(origin) {
        return Err(format!("it names the origin `{named}`, not this one: it was made for another domain"));
    }
    let expires = match (claims["exp"].as_u64(), credential["expirationDate"].as_str().map(unix_of)) {
        (Some(exp), _) => exp,
        (None, Some(Some(date))) => date,
        _ => return Err("it has no expiry (`exp` or `expirationDate`)".to_owned()),
    };
    // The earlier of the JWT's `exp` and the credential's `expirationDate` ends it.
    let expires = match credential["expirationDate"].as_str().and_then(unix_of) {
        Some(date) => date.min(expires),
        None => expires,
    };
    if expires <= now {
        return Err(format!("it expired at {}", rfc3339(expires)));
    }
    let starts = claims["nbf"].as_u64().or_else(|| credential["issuanceDate"].as_str().and_then(unix_of));
    if starts.is_some_and(|starts| starts > now + LEEWAY_SECONDS) {
        return Err(format!("it is not valid before {}", rfc3339(starts.unwrap_or_default())));
    }
    Ok(expires)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::did::MediatorEndpoint;
    use crate::keystore::{DidMethod, Keystore};

    const DAY: u64 = 86_400;

    fn party() -> (tempfile::TempDir, crate::keystore::UnlockedIdentity) {
        let home = tempfile::tempdir().expect("home");
        let keystore = Keystore::open(home.path()).expect("keystore");
        let endpoint = MediatorEndpoint::from_url("https://mediator.example.org").expect("endpoint");
        let identity = keystore.create("org", DidMethod::Peer, Some(endpoint), "pw").expect("identity");
        (home, identity)
    }

    /// Both endpoint forms of the specification's example, other services ignored, what is not
    /// an HTTPS origin left out, repeats once, and no more than the cap from a long list.
    #[test]
    fn linked_domains_services_name_origins_in_both_forms_and_only_origins() {
        let (_home, org) = party();
        let mut document = crate::did::resolve(&org.record.did).expect("document");
        let service = |kind: Value, endpoint: Value| crate::did::Service {
            id: "#linked".into(),
            service_type: kind,
            service_endpoint: endpoint,
            extra: serde_json::Map::new(),
        };
        let many: Vec<String> = (0..20).map(|n| format!("https://site{n}.example")).collect();
        document.service = vec![
            service(json!("LinkedDomains"), json!({ "origins": ["https://foo.example.com", "identity.foundation"] })),
            service(json!(["LinkedDomains"]), json!("https://bar.example.com/")),
            service(json!("LinkedDomains"), json!("http://plain.example.com")),
            service(json!("LinkedDomains"), json!("https://path.example.com/x")),
            service(json!("DIDCommMessaging"), json!("https://not-a-domain.example.com")),
            service(json!("LinkedDomains"), json!("https://foo.example.com")),
        ];
        assert_eq!(
            linked_origins(&document),
            ["https://foo.example.com", "https://identity.foundation", "https://bar.example.com"]
        );
        document.service = vec![service(json!("LinkedDomains"), json!({ "origins": many }))];
        assert_eq!(linked_origins(&document).len(), MAX_LINKED_ORIGINS);
    }

    #[test]
    fn a_configuration_links_its_did_and_nothing_else() {
        let (_home, org) = party();
        let (_other_home, other) = party();
        let did = &org.record.did;
        let document = crate::did::resolve(did).expect("document");
        let now = crate::unix_now();
        let jwt = linkage_jwt(&org.keys, &org.record.signing_kid(), did, "example.org", now, now + DAY).expect("jwt");
        let file = configuration_with(None, did, &jwt).expect("file");
        let linked = verify_configuration(&file, did, "https://example.org/", now, &document).expect("linked");
        assert_eq!(linked.origin, "https://example.org");

        // Another domain serving the same file does not get the DID.
        let err = verify_configuration(&file, did, "evil.example", now, &document).expect_err("other origin");
        assert!(err.to_string().contains("another domain"), "{err}");
        // Expired.
        let err = verify_configuration(&file, did, "example.org", now + 2 * DAY, &document).expect_err("expired");
        assert!(err.to_string().contains("expired"), "{err}");
        // A DID the domain does not list.
        let other_document = crate::did::resolve(&other.record.did).expect("document");
        let err = verify_configuration(&file, &other.record.did, "example.org", now, &other_document).expect_err("x");
        assert!(err.to_string().contains("does not claim this DID"), "{err}");
        // A credential for the DID signed by someone else's key.
        let forged =
            linkage_jwt(&other.keys, &org.record.signing_kid(), did, "example.org", now, now + DAY).expect("jwt");
        let file = configuration_with(Some(&file), did, &forged).expect("file");
        let err = verify_configuration(&file, did, "example.org", now, &document).expect_err("forged");
        assert!(err.to_string().contains("does not verify"), "{err}");
    }

    #[test]
    fn a_configuration_keeps_the_other_dids_of_its_domain() {
        let ((_a, org), (_b, other)) = (party(), party());
        let now = crate::unix_now();
        let first = linkage_jwt(&org.keys, &org.record.signing_kid(), &org.record.did, "example.org", now, now + DAY)
            .expect("jwt");
        let second =
            linkage_jwt(&other.keys, &other.record.signing_kid(), &other.record.did, "example.org", now, now + DAY)
                .expect("jwt");
        let file = configuration_with(None, &org.record.did, &first).expect("file");
        let file = configuration_with(Some(&file), &other.record.did, &second).expect("file");
        let file = configuration_with(Some(&file), &org.record.did, &first).expect("file again");
        let value: Value = serde_json::from_str(&file).expect("json");
        assert_eq!(value["linked_dids"].as_array().map(Vec::len), Some(2), "{file}");
    }

    #[test]
    fn only_https_origins_can_be_linked() {
        assert_eq!(origin_of("Example.org").expect("name"), "https://example.org");
        assert_eq!(origin_of("https://example.org:8443/").expect("port"), "https://example.org:8443");
        for bad in ["http://example.org", "https://example.org/path", "https://user@example.org", "ftp://x"] {
            assert!(origin_of(bad).is_err(), "{bad}");
        }
    }
}
