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
/// did:peer:2 is about 450). A did:peer:2's last 12 are those of its keys, not of its service:
/// parties at one mediator share that, and their DIDs would all end alike. For output only:
/// never compare or store the short form.
pub fn abbreviate(did: &str) -> String {
    if did.chars().count() <= 60 {
        return did.to_owned();
    }
    let keys = match did.strip_prefix("did:peer:2.") {
        Some(_) => did.find(".S").map_or(did, |service| &did[..service]),
        None => did,
    };
    let head: String = did.chars().take(40).collect();
    let tail: String = keys.chars().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{head}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviated_party_dids_at_one_mediator_still_differ() {
        let service = ".SeyJ0IjoiZG0iLCJzIjp7InVyaSI6Imh0dHA6Ly8xMjcuMC4wLjE6NzgwMC9kaWRjb21tIn19";
        let alice = format!(
            "did:peer:2.Ez6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V{service}"
        );
        let bob = format!(
            "did:peer:2.Ez6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc.Vz6MkrCD1csqtgdj8sjrsu8jxcbeyP6m7LiK87NzhfWqio5yr{service}"
        );
        let (a, b) = (abbreviate(&alice), abbreviate(&bob));
        assert_ne!(a, b, "{a}");
        assert!(a.starts_with("did:peer:2.Ez6LS") && a.ends_with("...d935YF4s8M7V"), "{a}");
        assert_eq!(
            abbreviate("did:key:z6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od9"),
            "did:key:z6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od9"
        );
    }

    #[test]
    fn unknown_methods_and_bad_syntax_are_named() {
        assert!(matches!(resolve("did:web:example.com"), Err(Error::UnsupportedMethod { method }) if method == "web"));
        assert!(matches!(resolve("did:peer:4zQm"), Err(Error::UnsupportedMethod { method }) if method == "peer:4"));
        for bad in ["", "did", "did:", "did:key", "did:key:", "did:KEY:z6Mk", "not a did"] {
            assert!(matches!(resolve(bad), Err(Error::InvalidDid { .. })), "{bad}");
        }
    }
}
