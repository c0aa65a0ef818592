//! Bitstring Status List v1.0: an issuer revokes (or suspends) credentials it issued by setting
//! their bit in a list it publishes, as a credential of its own, at an HTTPS URL the credentials
//! name (`credentialStatus`).
//!
//! This is the network-free part: the entries a credential names, making and updating a list,
//! and checking a fetched list (its issuer's proof, that it is the list and purpose the entry
//! names, the bit). `mpc-client`'s resolver fetches lists and refuses a credential whose bit is
//! set.
//!
//! ```
//! use mpc_identity::status_list::{decode, encode};
//!
//! let mut bits = vec![0u8; 16 * 1024];
//! bits[0] = 0b0100_0000; // index 1: the leftmost bit of the first byte is index 0
//! let encoded = encode(&bits).unwrap();
//! assert!(encoded.starts_with('u'), "multibase base64url");
//! assert_eq!(decode(&encoded).unwrap(), bits);
//! ```

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::credential::{CREDENTIALS_V2_CONTEXT, Claims, verify_signed};
use crate::did::DidDocument;
use crate::error::{Error, Result};
use crate::keys::PartyKeys;

/// The `credentialStatus` type of an entry in a Bitstring Status List.
pub const ENTRY_TYPE: &str = "BitstringStatusListEntry";
/// The type of the credential that carries a list.
pub const LIST_CREDENTIAL_TYPE: &str = "BitstringStatusListCredential";
/// The fewest bits a list has (16 KiB): the specification's minimum, so that fetching a list
/// does not tell its issuer which credential is being checked.
pub const MIN_BITS: usize = 131_072;
/// The most bytes a list's bitstring may expand to here (against a compression bomb).
pub const MAX_LIST_BYTES: usize = 4 * 1024 * 1024;

/// Where a credential's status is kept: bit `index` of the list at `list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusEntry {
    /// `revocation` or `suspension`.
    pub purpose: String,
    /// The credential's bit in the list.
    pub index: usize,
    /// The list credential's URL (HTTPS).
    pub list: String,
}

impl StatusEntry {
    /// The entry as a credential carries it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": format!("{}#{}", self.list, self.index),
            "type": ENTRY_TYPE,
            "statusPurpose": self.purpose,
            "statusListIndex": self.index.to_string(),
            "statusListCredential": self.list,
        })
    }
}

fn invalid(reason: String) -> Error {
    Error::Credential(reason)
}

/// The status entries a credential names (none when it has no `credentialStatus`). A status of
/// another type, or a purpose other than revocation or suspension, is refused: a status that
/// cannot be checked must not pass as good.
pub fn entries(credential: &Value) -> Result<Vec<StatusEntry>> {
    let statuses = match &credential["credentialStatus"] {
        Value::Null => return Ok(Vec::new()),
        Value::Array(statuses) => statuses.clone(),
        status => vec![status.clone()],
    };
    statuses
        .iter()
        .map(|status| {
            let kind = status["type"].as_str().unwrap_or("(none)");
            if kind != ENTRY_TYPE {
                return Err(invalid(format!("its status is of type `{kind}`, which mpc-id cannot check")));
            }
            let purpose = status["statusPurpose"].as_str().unwrap_or("(none)");
            if !matches!(purpose, "revocation" | "suspension") {
                return Err(invalid(format!("its status purpose `{purpose}` is not revocation or suspension")));
            }
            let index = match &status["statusListIndex"] {
                Value::String(text) => text.parse::<usize>().ok(),
                Value::Number(number) => number.as_u64().and_then(|n| usize::try_from(n).ok()),
                _ => None,
            }
            .ok_or_else(|| invalid("its status has no `statusListIndex` number".to_owned()))?;
            let list = status["statusListCredential"]
                .as_str()
                .filter(|url| url.starts_with("https://") || url.starts_with("http://localhost"))
                .ok_or_else(|| invalid("its status names no HTTPS `statusListCredential`".to_owned()))?;
            Ok(StatusEntry { purpose: purpose.to_owned(), index, list: list.to_owned() })
        })
        .collect()
}

/// Issues a credential (as [`crate::credential::issue`]) whose status the issuer keeps in the
/// lists `status` names: the credential's bit in each.
pub fn issue_with_status(
    keys: &PartyKeys,
    kid: &str,
    issuer: &str,
    claims: &Claims<'_>,
    status: &[StatusEntry],
) -> Result<Value> {
    let mut credential = crate::credential::unsigned(issuer, claims)?;
    match status {
        [] => {}
        [one] => credential["credentialStatus"] = one.to_json(),
        many => credential["credentialStatus"] = Value::Array(many.iter().map(StatusEntry::to_json).collect()),
    }
    crate::credential::sign(keys, kid, credential)
}

/// A new list of `bits` bits (at least [`MIN_BITS`]), all clear, published by `issuer` at `url`
/// for `purpose`, signed by its key `kid`.
pub fn new_list(
    keys: &PartyKeys,
    kid: &str,
    issuer: &str,
    url: &str,
    purpose: &str,
    bits: usize,
    now: u64,
) -> Result<Value> {
    if !matches!(purpose, "revocation" | "suspension") {
        return Err(invalid(format!("a list's purpose is revocation or suspension, not `{purpose}`")));
    }
    if !url.starts_with("https://") && !url.starts_with("http://localhost") {
        return Err(invalid(format!("a list is published over HTTPS; `{url}` is not an https:// URL")));
    }
    let bytes = bits.max(MIN_BITS).div_ceil(8);
    let list = json!({
        "@context": [CREDENTIALS_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": crate::rfc3339(now),
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode(&vec![0u8; bytes])?,
        },
    });
    crate::credential::sign(keys, kid, list)
}

/// The list with bit `index` set (or cleared), signed again by its issuer's key `kid`.
pub fn set(keys: &PartyKeys, kid: &str, list: &Value, index: usize, value: bool, now: u64) -> Result<Value> {
    let mut bits = decode(list["credentialSubject"]["encodedList"].as_str().unwrap_or(""))?;
    let byte = bits
        .get_mut(index / 8)
        .ok_or_else(|| invalid(format!("index {index} is beyond the list's {} bits", bits_len(list))))?;
    let mask = 0x80u8 >> (index % 8);
    if value {
        *byte |= mask;
    } else {
        *byte &= !mask;
    }
    let mut updated = list.clone();
    if let Some(object) = updated.as_object_mut() {
        object.remove("proof");
    }
    updated["validFrom"] = Value::String(crate::rfc3339(now));
    updated["credentialSubject"]["encodedList"] = Value::String(encode(&bits)?);
    crate::credential::sign(keys, kid, updated)
}

fn bits_len(list: &Value) -> usize {
    decode(list["credentialSubject"]["encodedList"].as_str().unwrap_or("")).map(|b| b.len() * 8).unwrap_or(0)
}

/// Whether `entry`'s bit is set in `list`, the list credential fetched from `entry.list`, after
/// checking it: signed by `issuer` (the credential's issuer, whose DID document is `document`),
/// valid at `now`, the list the entry names, for the entry's purpose.
pub fn is_set(list: &Value, document: &DidDocument, issuer: &str, entry: &StatusEntry, now: u64) -> Result<bool> {
    let where_ = &entry.list;
    let list_issuer = crate::credential::issuer_of(list)?;
    if list_issuer != issuer {
        return Err(invalid(format!("its status list {where_} is issued by {list_issuer}, not by its issuer")));
    }
    let signed = verify_signed(list, document, now).map_err(|e| invalid(format!("its status list {where_}: {e}")))?;
    if !signed.types.iter().any(|t| t == LIST_CREDENTIAL_TYPE) {
        return Err(invalid(format!("{where_} is not a {LIST_CREDENTIAL_TYPE}")));
    }
    if list["id"].as_str().is_some_and(|id| id != where_) {
        return Err(invalid(format!("{where_} serves the status list of another URL")));
    }
    let subject = &list["credentialSubject"];
    if subject["statusPurpose"].as_str() != Some(entry.purpose.as_str()) {
        return Err(invalid(format!("its status list {where_} is not for {}", entry.purpose)));
    }
    let bits = decode(subject["encodedList"].as_str().unwrap_or(""))
        .map_err(|e| invalid(format!("its status list {where_}: {e}")))?;
    let byte = bits.get(entry.index / 8).ok_or_else(|| {
        invalid(format!("its status index {} is beyond the {} bits of {where_}", entry.index, bits.len() * 8))
    })?;
    Ok(byte & (0x80u8 >> (entry.index % 8)) != 0)
}

/// A bitstring as a list carries it: GZIP-compressed, then multibase base64url (`u`).
pub fn encode(bits: &[u8]) -> Result<String> {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(bits).map_err(|e| invalid(format!("cannot compress a status list: {e}")))?;
    let compressed = gzip.finish().map_err(|e| invalid(format!("cannot compress a status list: {e}")))?;
    Ok(format!("u{}", URL_SAFE_NO_PAD.encode(compressed)))
}

/// The bitstring of an `encodedList`, at most [`MAX_LIST_BYTES`].
pub fn decode(encoded: &str) -> Result<Vec<u8>> {
    let text = encoded
        .strip_prefix('u')
        .ok_or_else(|| invalid("its `encodedList` is not multibase base64url (`u...`)".to_owned()))?;
    let compressed = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| invalid(format!("its `encodedList` is not base64url: {e}")))?;
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .take(MAX_LIST_BYTES as u64 + 1)
        .read_to_end(&mut bits)
        .map_err(|e| invalid(format!("its `encodedList` is not GZIP: {e}")))?;
    if bits.len() > MAX_LIST_BYTES {
        return Err(invalid(format!("its `encodedList` expands past {MAX_LIST_BYTES} bytes")));
    }
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::{DidMethod, Keystore};

    #[test]
    fn a_set_bit_is_seen_only_by_its_own_entry_and_a_forged_list_is_refused() {
        let home = tempfile::tempdir().expect("home");
        let keystore = Keystore::open(home.path()).expect("keystore");
        let issuer = keystore.create("hospital", DidMethod::Key, None, "pw").expect("issuer");
        let other = keystore.create("mallory", DidMethod::Key, None, "pw").expect("other");
        let document = crate::did::resolve(&issuer.record.did).expect("document");
        let (did, kid) = (&issuer.record.did, issuer.record.signing_kid());
        let url = "https://hospital.example/status/1";
        let list = new_list(&issuer.keys, &kid, did, url, "revocation", 0, 1_700_000_000).expect("list");
        let entry = |index| StatusEntry { purpose: "revocation".into(), index, list: url.into() };
        assert!(!is_set(&list, &document, did, &entry(42), 1_700_000_100).expect("clear"));
        let revoked = set(&issuer.keys, &kid, &list, 42, true, 1_700_000_050).expect("set");
        assert!(is_set(&revoked, &document, did, &entry(42), 1_700_000_100).expect("checked"));
        assert!(!is_set(&revoked, &document, did, &entry(43), 1_700_000_100).expect("its neighbour"));
        assert!(is_set(&revoked, &document, did, &entry(MIN_BITS), 1_700_000_100).is_err(), "beyond the list");
        // The list's bits changed without its issuer's signature: refused.
        let mut forged = list.clone();
        forged["credentialSubject"]["encodedList"] = revoked["credentialSubject"]["encodedList"].clone();
        assert!(is_set(&forged, &document, did, &entry(42), 1_700_000_100).is_err());
        // A list someone else signed for this issuer's credentials: refused.
        let foreign = new_list(&other.keys, &other.record.signing_kid(), &other.record.did, url, "revocation", 0, 0)
            .expect("foreign");
        let foreign_document = crate::did::resolve(&other.record.did).expect("document");
        let error = is_set(&foreign, &foreign_document, did, &entry(42), 1_700_000_100).expect_err("foreign");
        assert!(error.to_string().contains("not by its issuer"), "{error}");
        // A suspension list does not answer for revocation.
        let suspension = new_list(&issuer.keys, &kid, did, url, "suspension", 0, 0).expect("list");
        assert!(is_set(&suspension, &document, did, &entry(42), 1_700_000_100).is_err());
    }

    #[test]
    fn statuses_that_cannot_be_checked_are_refused_not_ignored() {
        let status = |status: Value| entries(&json!({ "credentialStatus": status }));
        assert!(entries(&json!({})).expect("none").is_empty());
        assert!(status(json!({ "type": "StatusList2021Entry" })).is_err());
        let entry = json!({ "type": ENTRY_TYPE, "statusPurpose": "revocation", "statusListIndex": "7",
                            "statusListCredential": "https://issuer.example/list" });
        assert_eq!(status(entry.clone()).expect("entry")[0].index, 7);
        assert!(
            status(json!({ "type": ENTRY_TYPE, "statusPurpose": "message", "statusListIndex": "7",
                               "statusListCredential": "https://issuer.example/list" }))
            .is_err()
        );
        let mut plain_http = entry;
        plain_http["statusListCredential"] = json!("http://issuer.example/list");
        assert!(status(plain_http).is_err(), "a list is fetched over HTTPS");
    }

    #[test]
    fn a_compression_bomb_is_cut_off() {
        let bomb = encode(&vec![0u8; MAX_LIST_BYTES + 1]).expect("encode");
        assert!(decode(&bomb).is_err());
    }
}
