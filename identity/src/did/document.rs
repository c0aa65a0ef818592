//! W3C DID documents: the shape every resolver returns, and the look-ups the rest of the crate
//! makes in them (which key may sign for a DID, which keys to encrypt to, where its mediator is).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::keys::PublicKey;

pub(super) const DID_CONTEXT: &str = "https://www.w3.org/ns/did/v1";
pub(super) const MULTIKEY_CONTEXT: &str = "https://w3id.org/security/multikey/v1";

/// A DID document (DID Core 1.0), limited to what DIDComm parties use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidDocument {
    /// Usually an array of URLs; a single string, and JSON-LD objects, also occur.
    #[serde(rename = "@context", default, deserialize_with = "one_or_many")]
    pub context: Vec<Value>,
    /// The DID this document describes.
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Other identifiers of the same subject (did:webvh lists its did:web here).
    pub also_known_as: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// The keys, each with an id relative to or under the DID.
    pub verification_method: Vec<VerificationMethod>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Keys that authenticate as the DID (sign its messages).
    pub authentication: Vec<Relationship>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Keys that make assertions (sign credentials).
    pub assertion_method: Vec<Relationship>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Keys that messages to the DID are encrypted to.
    pub key_agreement: Vec<Relationship>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Keys that may invoke capabilities.
    pub capability_invocation: Vec<Relationship>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Keys that may delegate capabilities.
    pub capability_delegation: Vec<Relationship>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Services, among them the DIDComm endpoint.
    pub service: Vec<Service>,
}

/// A verification method in Multikey form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMethod {
    /// The key's id (a DID URL, or a fragment relative to the document).
    pub id: String,
    #[serde(rename = "type")]
    /// Its type (`Multikey`, `Ed25519VerificationKey2020`, `JsonWebKey2020`, ...).
    pub method_type: String,
    /// The DID that controls the key.
    pub controller: String,
    /// Empty when the method gives only a JWK that is not an Ed25519/X25519 key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub public_key_multibase: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The key as a JWK, for types that carry it so.
    pub public_key_jwk: Option<Value>,
}

/// An entry of a verification relationship: a reference to a method, or the method itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Relationship {
    /// A key listed under `verificationMethod`, by id.
    Reference(String),
    /// A key given in place.
    Embedded(VerificationMethod),
}

/// A service entry. Kept close to JSON because did:peer:2 services may carry any members.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// The service's id.
    pub id: String,
    #[serde(rename = "type")]
    /// Its type (`DIDCommMessaging` for ours), a string or a list.
    pub service_type: Value,
    /// Where it is: a URI, an object, or a list of them.
    pub service_endpoint: Value,
    #[serde(flatten)]
    /// Members this crate does not interpret, kept as they came.
    pub extra: Map<String, Value>,
}

/// Where a party's DIDComm messages go: its mediator's URI and the keys that wrap `forward`s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediatorEndpoint {
    /// The endpoint URI (`https://host/didcomm`), or a DID for DID-as-endpoint routing.
    pub uri: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Keys (DID URLs) that messages are wrapped for on the way, outermost last.
    pub routing_keys: Vec<String>,
}

impl MediatorEndpoint {
    /// A mediator endpoint from a user-given URL: absolute `http(s)` or `ws(s)`, with a host.
    pub fn from_url(text: &str) -> Result<Self> {
        let url = url::Url::parse(text)
            .map_err(|e| Error::InvalidMediatorUrl { url: text.to_owned(), reason: e.to_string() })?;
        if !matches!(url.scheme(), "http" | "https" | "ws" | "wss") {
            return Err(Error::InvalidMediatorUrl {
                url: text.to_owned(),
                reason: format!("scheme `{}` is not http, https, ws or wss", url.scheme()),
            });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::InvalidMediatorUrl { url: text.to_owned(), reason: "no host".to_owned() });
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::InvalidMediatorUrl {
                url: text.to_owned(),
                reason: "credentials do not belong in a public endpoint".to_owned(),
            });
        }
        Ok(MediatorEndpoint { uri: url.to_string(), routing_keys: Vec::new() })
    }
}

impl DidDocument {
    /// A document from another implementation (ssi's did:web and did:jwk). Ed25519 and X25519
    /// keys given only as JWKs (`OKP`) get their multikey form too, so they can be used here.
    pub fn from_foreign_json(value: &Value) -> Result<Self> {
        let mut document: DidDocument = serde_json::from_value(value.clone())
            .map_err(|e| Error::invalid_did(value["id"].as_str().unwrap_or("(no id)"), e.to_string()))?;
        let embedded = [
            &mut document.authentication,
            &mut document.assertion_method,
            &mut document.key_agreement,
            &mut document.capability_invocation,
            &mut document.capability_delegation,
        ]
        .into_iter()
        .flat_map(|list| list.iter_mut())
        .filter_map(|entry| match entry {
            Relationship::Embedded(method) => Some(method),
            Relationship::Reference(_) => None,
        });
        for method in document.verification_method.iter_mut().chain(embedded) {
            if method.public_key_multibase.is_empty()
                && let Some(key) = method.public_key_jwk.as_ref().and_then(okp_multikey)
            {
                method.public_key_multibase = key;
            }
        }
        Ok(document)
    }

    /// The Ed25519 key that `kid` names, provided it is listed under `authentication`.
    ///
    /// `kid` is a DID URL; it must belong to this document's DID (or to one of its
    /// `alsoKnownAs` aliases) so that a key cannot sign in someone else's name.
    pub fn authentication_key(&self, kid: &str) -> Result<PublicKey> {
        let method = self.authentication_method(kid)?;
        let key = PublicKey::from_multikey(&method.public_key_multibase)?;
        key.as_ed25519()?;
        Ok(key)
    }

    /// The verification method `kid` names, provided it is listed under `authentication`.
    pub fn authentication_method(&self, kid: &str) -> Result<&VerificationMethod> {
        let (did, fragment) =
            split_did_url(kid).ok_or_else(|| Error::KeyNotAuthorized { kid: kid.to_owned(), did: self.id.clone() })?;
        if did != self.id && !self.also_known_as.iter().any(|alias| alias == did) {
            return Err(Error::SignerMismatch { kid: kid.to_owned(), from: self.id.clone() });
        }
        self.authentication
            .iter()
            .find_map(|entry| match entry {
                Relationship::Reference(id) if self.same_fragment(id, fragment) => self.method(id),
                Relationship::Embedded(method) if self.same_fragment(&method.id, fragment) => Some(method),
                _ => None,
            })
            .ok_or_else(|| Error::KeyNotAuthorized { kid: kid.to_owned(), did: self.id.clone() })
    }

    /// Whether `multikey` is one of this document's key-agreement keys.
    pub fn has_key_agreement_key(&self, multikey: &str) -> bool {
        self.key_agreement.iter().any(|entry| match entry {
            Relationship::Reference(id) => self.method(id).is_some_and(|m| m.public_key_multibase == multikey),
            Relationship::Embedded(method) => method.public_key_multibase == multikey,
        })
    }

    /// All key-agreement keys with their absolute ids.
    pub fn key_agreement_keys(&self) -> Result<Vec<(String, PublicKey)>> {
        self.key_agreement
            .iter()
            .map(|entry| {
                let method = match entry {
                    Relationship::Reference(id) => self.method(id).ok_or_else(|| {
                        Error::invalid_did(
                            &self.id,
                            format!("keyAgreement names `{id}` but no such verification method"),
                        )
                    })?,
                    Relationship::Embedded(method) => method,
                };
                Ok((self.absolute(&method.id), PublicKey::from_multikey(&method.public_key_multibase)?))
            })
            .collect()
    }

    /// The first `DIDCommMessaging` service's endpoint, in either the DIDComm v2.1 object form
    /// (`{"uri", "routingKeys"}`) or the older string form.
    pub fn didcomm_endpoint(&self) -> Option<MediatorEndpoint> {
        self.service.iter().find(|s| s.service_type == "DIDCommMessaging").and_then(|s| match &s.service_endpoint {
            Value::String(uri) => {
                Some(MediatorEndpoint { uri: uri.clone(), routing_keys: string_list(s.extra.get("routingKeys")) })
            }
            Value::Object(map) => Some(MediatorEndpoint {
                uri: map.get("uri")?.as_str()?.to_owned(),
                routing_keys: string_list(map.get("routingKeys")),
            }),
            _ => None,
        })
    }

    /// Makes a relative id (`#key-1`) absolute (`did:...#key-1`).
    pub fn absolute(&self, id: &str) -> String {
        if id.starts_with('#') { format!("{}{id}", self.id) } else { id.to_owned() }
    }

    fn method(&self, id: &str) -> Option<&VerificationMethod> {
        let wanted = self.absolute(id);
        self.verification_method.iter().find(|m| self.absolute(&m.id) == wanted)
    }

    fn same_fragment(&self, id: &str, fragment: &str) -> bool {
        split_did_url(&self.absolute(id)).is_some_and(|(_, f)| f == fragment)
    }
}

/// The multikey of an `OKP` JWK on Ed25519 or X25519, if it is one.
fn okp_multikey(jwk: &Value) -> Option<String> {
    use base64::Engine;
    if jwk.get("kty")?.as_str()? != "OKP" {
        return None;
    }
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(jwk.get("x")?.as_str()?).ok()?;
    let bytes: [u8; 32] = x.try_into().ok()?;
    let key = match jwk.get("crv")?.as_str()? {
        "Ed25519" => PublicKey::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(&bytes).ok()?),
        "X25519" => PublicKey::X25519(x25519_dalek::PublicKey::from(bytes)),
        _ => return None,
    };
    Some(key.to_multikey())
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Value>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(items) => items,
        other => vec![other],
    })
}

/// Splits `did:...#fragment` into the DID and the fragment.
pub fn split_did_url(url: &str) -> Option<(&str, &str)> {
    let (did, fragment) = url.split_once('#')?;
    (did.starts_with("did:") && !fragment.is_empty()).then_some((did, fragment))
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}
