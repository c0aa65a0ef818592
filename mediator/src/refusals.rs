//! Verifications that failed, remembered by the SHA-256 of what was verified: the same forged log
//! or witness file sent again is refused at the cost of a hash, not a verification.
//!
//! Successes need no such memory: what verified is stored, and the ledger answers a resend of
//! it from the store (`ledger`). Bounded in entries (a key and a one-line reason each), oldest
//! forgotten first.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// Most refusals kept: with reasons cut to [`MAX_REASON`] bytes, under a megabyte in all.
const CAPACITY: usize = 2048;
const MAX_REASON: usize = 400;

#[derive(Debug, Default)]
pub(crate) struct Refusals {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    reasons: HashMap<[u8; 32], String>,
    order: VecDeque<[u8; 32]>,
}

/// The key of what was verified: every part, each prefixed with its length.
pub(crate) fn key(parts: &[&str]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

impl Refusals {
    /// Why `key` failed before, if it did.
    pub(crate) fn get(&self, key: &[u8; 32]) -> Option<String> {
        let inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.reasons.get(key).cloned()
    }

    /// Remembers that `key` failed, and why.
    pub(crate) fn insert(&self, key: [u8; 32], reason: &str) {
        let mut reason = reason.to_owned();
        if reason.len() > MAX_REASON {
            let mut end = MAX_REASON;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
        }
        let mut inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if inner.reasons.insert(key, reason).is_none() {
            inner.order.push_back(key);
        }
        while inner.order.len() > CAPACITY {
            if let Some(oldest) = inner.order.pop_front() {
                inner.reasons.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_found_by_content_and_the_oldest_forgotten() {
        let refusals = Refusals::default();
        let first = key(&["did", "log"]);
        assert_ne!(first, key(&["didl", "og"]), "parts are delimited");
        refusals.insert(first, "entry 2 does not verify");
        assert_eq!(refusals.get(&first).as_deref(), Some("entry 2 does not verify"));
        for n in 0..CAPACITY {
            refusals.insert(key(&[&n.to_string()]), &"x".repeat(1000));
        }
        assert_eq!(refusals.get(&first), None, "the oldest is forgotten");
        assert_eq!(refusals.get(&key(&["5"])).map(|r| r.len()), Some(MAX_REASON));
    }
}
