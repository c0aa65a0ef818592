/*!
*   Shared test utilities for the didwebvh-rs crate.
*
*   Provides common helpers used across multiple test modules to avoid
*   code duplication. All items are `pub(crate)` and only compiled in test builds.
*/

use affinidi_data_integrity::{DataIntegrityProof, crypto_suites::CryptoSuite};
use affinidi_secrets_resolver::secrets::Secret;
use serde_json::{Value, json};
use std::sync::Arc;

use crate::{Multibase, parameters::Parameters};

/// A well-known ed25519 multibase public key used as a default in parameter tests.
///
/// This avoids repeating the same 49-character string across dozens of test sites.
#[cfg(test)]
pub const TEST_UPDATE_KEY: &str = "z6Mkp7QveNebyWs4z1kJ7Aa7CymUjRpjPYnBYh6Cr1t6JoXY";

/// Generates a fresh Ed25519 signing key with a `did:key` URI.
///
/// The key ID is set to `did:key:{pk}#{pk}` where `pk` is the public key
/// in multibase format. This matches the format expected by the log entry
/// signing and verification logic.
pub fn generate_signing_key() -> Secret {
    let mut key = Secret::generate_ed25519(None, None);
    let pk = key.get_public_keymultibase().unwrap();
    key.id = format!("did:key:{pk}#{pk}");
    key
}

/// Builds a minimal but valid DID document for testing purposes.
///
/// The document includes a single `Multikey` verification method derived from the
/// provided signing key, along with `authentication` and `assertionMethod` references.
/// This is the smallest document that satisfies the WebVH validation requirements.
pub fn did_doc_with_key(did: &str, key: &Secret) -> Value {
    let pk = key.get_public_keymultibase().unwrap();
    json!({
        "id": did,
        "@context": ["https://www.w3.org/ns/did/v1"],
        "verificationMethod": [{
            "id": format!("{did}#key-0"),
            "type": "Multikey",
            "publicKeyMultibase": pk,
            "controller": did
        }],
        "authentication": [format!("{did}#key-0")],
        "assertionMethod": [format!("{did}#key-0")],
    })
}

/// Generates a signing key and matching [`Parameters`] with `update_keys` set.
///
/// Returns a tuple of `(Secret, Parameters)` ready for use in DID creation tests.
pub fn key_and_params() -> (Secret, Parameters) {
    let key = generate_signing_key();
    let params = Parameters {
        update_keys: Some(Arc::new(vec![Multibase::new(
            key.get_public_keymultibase().unwrap(),
        )])),
        ..Default::default()
    };
    (key, params)
}

/// A `reqwest` DNS resolver returning fixed answers for every name, counting
/// lookups. Stands in for DNS in egress-guard tests so they stay hermetic.
#[cfg(all(
    feature = "network",
    not(all(target_arch = "wasm32", target_os = "unknown"))
))]
pub struct StubResolver {
    answers: Vec<std::net::IpAddr>,
    pub lookups: Arc<std::sync::atomic::AtomicUsize>,
}

#[cfg(all(
    feature = "network",
    not(all(target_arch = "wasm32", target_os = "unknown"))
))]
impl StubResolver {
    pub fn new(answers: &[&str]) -> Self {
        Self {
            answers: answers.iter().map(|a| a.parse().unwrap()).collect(),
            lookups: Arc::default(),
        }
    }
}

#[cfg(all(
    feature = "network",
    not(all(target_arch = "wasm32", target_os = "unknown"))
))]
impl reqwest::dns::Resolve for StubResolver {
    fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        self.lookups
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let addrs: Vec<std::net::SocketAddr> = self
            .answers
            .iter()
            .map(|ip| std::net::SocketAddr::new(*ip, 0))
            .collect();
        Box::pin(async move { Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs) })
    }
}

/// Creates a minimal `DataIntegrityProof` for use in tests.
///
/// The `vm` parameter sets the `verification_method` field, which is the
/// key used to track which witness produced the proof. All other fields
/// are populated with placeholder values sufficient for unit testing.
pub fn make_test_proof(vm: &str) -> DataIntegrityProof {
    DataIntegrityProof::new(
        CryptoSuite::EddsaJcs2022,
        vm.to_string(),     // verification_method
        "test".to_string(), // proof_purpose
        None,               // proof_value
        None,               // created
        None,               // context
    )
}
