//! Which party owns a recipient DID, cached: every forward asks, and the answer almost never
//! changes. It can only ever be the DID the recipient names (parties register only their own DIDs),
//! so a cached answer is never someone else's; it can only be stale after a removal, which this
//! instance forgets at once and other instances within [`TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::clock::Clock;

/// How long another instance's removal may go unnoticed here.
pub(crate) const TTL: Duration = Duration::from_secs(30);
/// Bound on memory: the cache is cleared when it grows past this many entries.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct OwnerCache {
    entries: Mutex<HashMap<String, (String, Instant)>>,
    clock: Clock,
}

impl OwnerCache {
    pub(crate) fn new(clock: &Clock) -> Self {
        OwnerCache { entries: Mutex::default(), clock: clock.clone() }
    }

    pub(crate) fn get(&self, recipient: &str) -> Option<String> {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(recipient)
            .filter(|(_, at)| self.clock.instant().saturating_duration_since(*at) < TTL)
            .map(|(owner, _)| owner.clone())
    }

    pub(crate) fn put(&self, recipient: &str, owner: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(recipient.to_owned(), (owner.to_owned(), self.clock.instant()));
    }

    /// Forgets everything (after enrollments expired, say).
    pub(crate) fn clear(&self) {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }

    pub(crate) fn forget(&self, recipient: &str) {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(recipient);
    }
}
