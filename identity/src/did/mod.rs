//! DIDs: one resolver facade over the methods this crate implements.
//!
//! did:key and did:peer:2 are self-certifying: the document is computed from the identifier, so
//! resolving them needs no network and no trust in anyone.

mod document;
pub mod key;
pub mod peer2;
pub mod webvh;

pub use document::{DidDocument, MediatorEndpoint, Relationship, Service, VerificationMethod, split_did_url};

use crate::error::{Error, Result};

/// Resolves any DID this build supports to its document.
pub fn resolve(did: &str) -> Result<DidDocument> {
    let method = method_of(did)?;
    match method {
        "key" => key::resolve(did),
        "peer" if did.starts_with(peer2::PREFIX) => peer2::resolve(did),
        "peer" => Err(Error::UnsupportedMethod { method: format!("peer:{}", did[9..].chars().next().unwrap_or('?')) }),
        other => Err(Error::UnsupportedMethod { method: other.to_owned() }),
    }
}

/// The method name of a DID (`key` for `did:key:...`), checking the generic DID syntax.
pub fn method_of(did: &str) -> Result<&str> {
    let rest = did.strip_prefix("did:").ok_or_else(|| Error::invalid_did(did, "does not start with `did:`"))?;
    let (method, specific) =
        rest.split_once(':').ok_or_else(|| Error::invalid_did(did, "no method-specific identifier"))?;
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return Err(Error::invalid_did(did, "the method name must be lowercase letters and digits"));
    }
    if specific.is_empty() {
        return Err(Error::invalid_did(did, "empty method-specific identifier"));
    }
    Ok(method)
}

/// A DID as people read it: whole up to 60 characters, else its first 40 and last 12 (a
/// did:peer:2 is about 450). For output only: never compare or store the short form.
pub fn abbreviate(did: &str) -> String {
    if did.chars().count() <= 60 {
        return did.to_owned();
    }
    let head: String = did.chars().take(40).collect();
    let tail: String = did.chars().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{head}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_and_bad_syntax_are_named() {
        assert!(matches!(resolve("did:web:example.com"), Err(Error::UnsupportedMethod { method }) if method == "web"));
        assert!(matches!(resolve("did:peer:4zQm"), Err(Error::UnsupportedMethod { method }) if method == "peer:4"));
        for bad in ["", "did", "did:", "did:key", "did:key:", "did:KEY:z6Mk", "not a did"] {
            assert!(matches!(resolve(bad), Err(Error::InvalidDid { .. })), "{bad}");
        }
    }
}
