//! Verified documents of hosted did:webvh parties, kept for opening their envelopes and sealing
//! replies. Each is tagged with the length of the log it came from, so it is re-verified only
//! when the log grew; the cache is bounded by the bytes of its documents, since any sender can
//! name a hosted DID.

use std::collections::HashMap;
use std::sync::RwLock;

use mpc_identity::did::DidDocument;

/// Most bytes of documents kept (serialized size).
const MAX_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Default)]
pub(crate) struct DocumentCache {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    documents: HashMap<String, Cached>,
    bytes: usize,
}

#[derive(Debug)]
struct Cached {
    entries: u32,
    document: DidDocument,
    bytes: usize,
}

impl DocumentCache {
    pub(crate) fn get(&self, did: &str) -> Option<DidDocument> {
        let inner = self.inner.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.documents.get(did).map(|cached| cached.document.clone())
    }

    /// Whether the document held for `did` came from a log of `entries` entries.
    pub(crate) fn is_current(&self, did: &str, entries: u32) -> bool {
        let inner = self.inner.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.documents.get(did).is_some_and(|cached| cached.entries == entries)
    }

    /// Keeps `document`, evicting others while the cache is over its byte budget.
    pub(crate) fn insert(&self, did: String, entries: u32, document: DidDocument) {
        let bytes = did.len() + serde_json::to_vec(&document).map_or(0, |json| json.len());
        let mut inner = self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(old) = inner.documents.remove(&did) {
            inner.bytes -= old.bytes;
        }
        while inner.bytes + bytes > MAX_BYTES {
            let Some(victim) = inner.documents.keys().next().cloned() else { break };
            if let Some(old) = inner.documents.remove(&victim) {
                inner.bytes -= old.bytes;
            }
        }
        inner.bytes += bytes;
        inner.documents.insert(did, Cached { entries, document, bytes });
    }

    pub(crate) fn remove(&self, did: &str) {
        let mut inner = self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(old) = inner.documents.remove(did) {
            inner.bytes -= old.bytes;
        }
    }
}
