//! did:peer:2 (DIF Peer DID Method Specification, numalgo 2), written to the spec.
//!
//! `did:peer:2` is followed by one element per key or service, each `.` + a purpose code + value:
//! `A` assertion, `E` key agreement, `V` authentication, `I`/`D` capability invocation/delegation
//! (value: a multikey), and `S` service (value: unpadded base64url of the service JSON with the
//! spec's common-string abbreviations). Keys get the ids `#key-1`, `#key-2`, ... in the order
//! they appear; services without an id get `#service`, `#service-1`, ... The document also names
//! the equivalent did:peer:3 (a hash of the did:peer:2) in `alsoKnownAs`.
//!
//! Checked against the Python `did-peer-2` package, which follows the spec to the letter.

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::document::{
    DID_CONTEXT, DidDocument, MULTIKEY_CONTEXT, MediatorEndpoint, Relationship, Service, VerificationMethod,
};
use crate::error::{Error, Result};
use crate::keys::PublicKey;

/// What every did:peer:2 starts with.
pub const PREFIX: &str = "did:peer:2";

/// Longest did:peer:2 we will parse; real ones are a few hundred bytes.
pub const MAX_LEN: usize = 16 * 1024;

/// The abbreviations of the spec's "common string abbreviations" table.
const ABBREVIATIONS: [(&str, &str); 5] =
    [("type", "t"), ("DIDCommMessaging", "dm"), ("serviceEndpoint", "s"), ("routingKeys", "r"), ("accept", "a")];

/// What a key is for, as its purpose code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `A`: an assertion key.
    Assertion,
    /// `E`: a key-agreement (encryption) key.
    KeyAgreement,
    /// `V`: an authentication (verification) key.
    Authentication,
    /// `I`: a capability-invocation key.
    CapabilityInvocation,
    /// `D`: a capability-delegation key.
    CapabilityDelegation,
}

impl Purpose {
    fn code(self) -> char {
        match self {
            Purpose::Assertion => 'A',
            Purpose::KeyAgreement => 'E',
            Purpose::Authentication => 'V',
            Purpose::CapabilityInvocation => 'I',
            Purpose::CapabilityDelegation => 'D',
        }
    }

    fn from_code(code: char) -> Option<Self> {
        Some(match code {
            'A' => Purpose::Assertion,
            'E' => Purpose::KeyAgreement,
            'V' => Purpose::Authentication,
            'I' => Purpose::CapabilityInvocation,
            'D' => Purpose::CapabilityDelegation,
            _ => return None,
        })
    }
}

/// Encodes a did:peer:2 from keys (in order) and services (as full, unabbreviated JSON objects).
pub fn encode(keys: &[(Purpose, PublicKey)], services: &[Value]) -> Result<String> {
    let mut did = String::from(PREFIX);
    for (purpose, key) in keys {
        did.push('.');
        did.push(purpose.code());
        did.push_str(&key.to_multikey());
    }
    for service in services {
        let json = serde_json::to_vec(&abbreviate(service.clone()))
            .map_err(|e| Error::invalid_did(PREFIX, format!("service not serializable: {e}")))?;
        did.push_str(".S");
        did.push_str(&URL_SAFE_NO_PAD.encode(json));
    }
    Ok(did)
}

/// The did:peer:2 of a party: its X25519 key (`#key-1`), its Ed25519 key (`#key-2`) and, if it
/// has a mediator, a `DIDCommMessaging` service pointing there.
pub fn for_party(ed25519: PublicKey, x25519: PublicKey, mediator: Option<&MediatorEndpoint>) -> Result<String> {
    for_endpoints(ed25519, x25519, mediator.map(std::slice::from_ref).unwrap_or_default())
}

/// The did:peer:2 of a party with one `DIDCommMessaging` service per endpoint, in order (a
/// mediator lists its HTTP endpoint first and its WebSocket endpoint second: clients that take
/// the first service post to it, clients that want a socket find one).
pub fn for_endpoints(ed25519: PublicKey, x25519: PublicKey, endpoints: &[MediatorEndpoint]) -> Result<String> {
    // Field order is the one the spec's examples use; it fixes the DID's exact bytes.
    #[derive(Serialize)]
    struct Endpoint<'a> {
        uri: &'a str,
        accept: [&'a str; 1],
        #[serde(rename = "routingKeys")]
        routing_keys: &'a [String],
    }
    #[derive(Serialize)]
    struct DidCommService<'a> {
        #[serde(rename = "type")]
        service_type: &'a str,
        #[serde(rename = "serviceEndpoint")]
        endpoint: Endpoint<'a>,
    }
    let services = endpoints
        .iter()
        .map(|m| {
            serde_json::to_value(DidCommService {
                service_type: "DIDCommMessaging",
                endpoint: Endpoint { uri: &m.uri, accept: ["didcomm/v2"], routing_keys: &m.routing_keys },
            })
            .map_err(|e| Error::invalid_did(PREFIX, e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    encode(&[(Purpose::KeyAgreement, x25519), (Purpose::Authentication, ed25519)], &services)
}

/// Resolves a did:peer:2 to its document, validating every element.
pub fn resolve(did: &str) -> Result<DidDocument> {
    if did.len() > MAX_LEN {
        let head: String = did.chars().take(48).collect();
        return Err(Error::invalid_did(&format!("{head}..."), format!("longer than {MAX_LEN} bytes")));
    }
    let rest = did.strip_prefix(PREFIX).ok_or_else(|| Error::invalid_did(did, "not a did:peer:2"))?;
    let elements =
        rest.strip_prefix('.').ok_or_else(|| Error::invalid_did(did, "no keys or services after `did:peer:2`"))?;

    let mut doc = DidDocument {
        context: vec![DID_CONTEXT.into(), MULTIKEY_CONTEXT.into()],
        id: did.to_owned(),
        also_known_as: vec![peer3(did)],
        verification_method: Vec::new(),
        authentication: Vec::new(),
        assertion_method: Vec::new(),
        key_agreement: Vec::new(),
        capability_invocation: Vec::new(),
        capability_delegation: Vec::new(),
        service: Vec::new(),
    };
    // Services without an id are numbered among themselves: `#service`, `#service-1`, ...
    let mut unnamed_services = 0;
    for (position, element) in elements.split('.').enumerate() {
        let mut chars = element.chars();
        let code = chars.next().ok_or_else(|| Error::invalid_did(did, format!("element {} is empty", position + 1)))?;
        let value = chars.as_str();
        if code == 'S' {
            let (service, named) = decode_service(value, unnamed_services)
                .map_err(|reason| Error::invalid_did(did, format!("service element {}: {reason}", position + 1)))?;
            unnamed_services += usize::from(!named);
            doc.service.push(service);
            continue;
        }
        let purpose = Purpose::from_code(code).ok_or_else(|| {
            Error::invalid_did(did, format!("element {} has unknown purpose code `{code}`", position + 1))
        })?;
        PublicKey::from_multikey(value)
            .map_err(|e| Error::invalid_did(did, format!("element {}: {e}", position + 1)))?;
        let id = format!("#key-{}", doc.verification_method.len() + 1);
        doc.verification_method.push(VerificationMethod {
            id: id.clone(),
            method_type: "Multikey".to_owned(),
            controller: did.to_owned(),
            public_key_multibase: value.to_owned(),
            public_key_jwk: None,
        });
        let relationship = match purpose {
            Purpose::Assertion => &mut doc.assertion_method,
            Purpose::KeyAgreement => &mut doc.key_agreement,
            Purpose::Authentication => &mut doc.authentication,
            Purpose::CapabilityInvocation => &mut doc.capability_invocation,
            Purpose::CapabilityDelegation => &mut doc.capability_delegation,
        };
        relationship.push(Relationship::Reference(id));
    }
    Ok(doc)
}

/// The did:peer:3 that names the same document: a SHA-256 multihash of the part after `did:peer:2`.
pub fn peer3(did: &str) -> String {
    let suffix = did.strip_prefix(PREFIX).unwrap_or(did);
    let mut multihash = vec![0x12, 0x20];
    multihash.extend_from_slice(&Sha256::digest(suffix.as_bytes()));
    format!("did:peer:3z{}", bs58::encode(multihash).into_string())
}

/// Decodes one service element; also says whether it carried its own id.
fn decode_service(value: &str, unnamed_so_far: usize) -> Result<(Service, bool), String> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err("not unpadded base64url".to_owned());
    }
    // Tolerate padding-free input of any length, as the reference implementation does.
    let padded = format!("{value}{}", "=".repeat((4 - value.len() % 4) % 4));
    let bytes = URL_SAFE.decode(padded).map_err(|e| format!("bad base64url: {e}"))?;
    let json: Value = serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(mut service) = expand(json) else {
        return Err("not a JSON object".to_owned());
    };
    let named = service.contains_key("id");
    if !named {
        let id = if unnamed_so_far == 0 { "#service".to_owned() } else { format!("#service-{unnamed_so_far}") };
        service.insert("id".to_owned(), Value::String(id));
    }
    let service = serde_json::from_value(Value::Object(service)).map_err(|e| format!("not a service entry: {e}"))?;
    Ok((service, named))
}

fn abbreviate(value: Value) -> Value {
    rewrite(value, |s| ABBREVIATIONS.iter().find(|(long, _)| *long == s).map(|(_, short)| *short), "t")
}

fn expand(value: Value) -> Value {
    rewrite(value, |s| ABBREVIATIONS.iter().find(|(_, short)| *short == s).map(|(long, _)| *long), "type")
}

/// Replaces object keys everywhere, and the value of the type member, using `map`.
fn rewrite(value: Value, map: fn(&str) -> Option<&'static str>, type_key: &str) -> Value {
    match value {
        Value::Object(object) => {
            let mut out = Map::new();
            for (key, member) in object {
                let key = map(&key).map(str::to_owned).unwrap_or(key);
                out.insert(key, rewrite(member, map, type_key));
            }
            if let Some(Value::String(kind)) = out.get_mut(type_key)
                && let Some(replacement) = map(kind)
            {
                *kind = replacement.to_owned();
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|v| rewrite(v, map, type_key)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::PartyKeys;

    #[test]
    fn party_did_round_trips_keys_and_mediator() {
        let keys = PartyKeys::generate().expect("rng");
        let mediator = MediatorEndpoint {
            uri: "https://mediator.example/didcomm".to_owned(),
            routing_keys: vec!["did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp".to_owned()],
        };
        let did = for_party(
            PublicKey::Ed25519(keys.verifying_key()),
            PublicKey::X25519(keys.agreement_public()),
            Some(&mediator),
        )
        .expect("encode");
        let doc = resolve(&did).expect("resolve");
        assert_eq!(doc.didcomm_endpoint(), Some(mediator));
        assert_eq!(doc.service[0].id, "#service");
        let signing = doc.authentication_key(&format!("{did}#key-2")).expect("auth key");
        assert_eq!(signing, PublicKey::Ed25519(keys.verifying_key()));
        assert!(matches!(doc.authentication_key(&format!("{did}#key-1")), Err(Error::KeyNotAuthorized { .. })));
        assert_eq!(doc.key_agreement_keys().expect("ka")[0].1, PublicKey::X25519(keys.agreement_public()));
    }

    #[test]
    fn service_is_abbreviated_as_the_spec_says() {
        let keys = PartyKeys::generate().expect("rng");
        let mediator = MediatorEndpoint { uri: "http://m".to_owned(), routing_keys: vec![] };
        let did = for_party(
            PublicKey::Ed25519(keys.verifying_key()),
            PublicKey::X25519(keys.agreement_public()),
            Some(&mediator),
        )
        .expect("encode");
        let service = did.rsplit_once(".S").expect("service").1;
        let json = String::from_utf8(URL_SAFE_NO_PAD.decode(service).expect("b64")).expect("utf8");
        assert_eq!(json, r#"{"t":"dm","s":{"uri":"http://m","a":["didcomm/v2"],"r":[]}}"#);
    }

    #[test]
    fn malformed_elements_name_what_is_wrong() {
        let keys = PartyKeys::generate().expect("rng");
        let ed = PublicKey::Ed25519(keys.verifying_key()).to_multikey();
        for (did, needle) in [
            ("did:peer:2".to_owned(), "no keys or services"),
            (format!("did:peer:2.X{ed}"), "unknown purpose code `X`"),
            (format!("did:peer:2.V{ed}."), "is empty"),
            ("did:peer:2.Vz6Mkshort".to_owned(), "element 1"),
            (format!("did:peer:2.V{ed}.S!!!"), "not unpadded base64url"),
            (format!("did:peer:2.V{ed}.S{}", URL_SAFE_NO_PAD.encode("[1]")), "not a JSON object"),
            (format!("did:peer:2.V{ed}.S{}", URL_SAFE_NO_PAD.encode("{\"t\":\"dm\"}")), "not a service entry"),
        ] {
            let err = resolve(&did).expect_err(&did).to_string();
            assert!(err.contains(needle), "{did}: {err}");
        }
    }
}
