//! When each enrolled party last acted, so that enrollments nobody uses expire (an anonymous
//! client can enroll fresh keys; what it enrolls must not be kept forever). The database is told
//! at most once an hour per party: requests stay one write each.

use std::collections::HashMap;
use std::sync::Mutex;

/// How often one party's activity is written.
const EVERY_SECS: u64 = 3600;

#[derive(Debug, Default)]
pub(crate) struct Activity {
    /// Party -> when its activity was last written. Holds parties active in the last hour.
    written: Mutex<HashMap<String, u64>>,
}

impl Activity {
    /// Whether `did`'s activity at `now` should be written (and notes that it will be).
    pub(crate) fn needs_touch(&self, did: &str, now: u64) -> bool {
        let mut written = self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match written.get(did) {
            Some(at) if now.saturating_sub(*at) < EVERY_SECS => false,
            _ => {
                written.insert(did.to_owned(), now);
                true
            }
        }
    }

    /// Forgets parties not written within the last hour.
    pub(crate) fn forget_before(&self, now: u64) {
        let mut written = self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        written.retain(|_, at| now.saturating_sub(*at) < EVERY_SECS);
    }
}
