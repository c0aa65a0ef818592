//! Rate limits per client address and per authenticated DID, as token buckets: a burst of a
//! second's worth, refilled at the configured rate. A client over its limit gets a problem report,
//! and the mediator spends nothing more on it.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::clock::Clock;
use crate::error::{Error, Result};

/// A token bucket per key, on the mediator's clock.
type KeyedLimiter<K> = RateLimiter<K, DefaultKeyedStateStore<K>, Clock, NoOpMiddleware<std::time::Instant>>;

#[derive(Debug)]
pub(crate) struct Limits {
    per_ip: Option<KeyedLimiter<IpAddr>>,
    per_did: Option<KeyedLimiter<String>>,
    enrollments: Option<KeyedLimiter<IpAddr>>,
}

impl Limits {
    /// Limits of `per_ip` and `per_did` requests a second and `enrollments` an hour per
    /// address; 0 turns one off.
    pub(crate) fn new(per_ip: u32, per_did: u32, enrollments: u32, clock: &Clock) -> Self {
        let enrollments = NonZeroU32::new(enrollments)
            .map(|per_hour| RateLimiter::dashmap_with_clock(Quota::per_hour(per_hour), clock.clone()));
        Limits { per_ip: keyed(per_ip, clock), per_did: keyed(per_did, clock), enrollments }
    }

    /// A new enrollment from `ip`.
    pub(crate) fn check_enrollment(&self, ip: IpAddr) -> Result<()> {
        match &self.enrollments {
            Some(limiter) if limiter.check_key(&ip).is_err() => {
                Err(Error::RateLimited(format!("enrollments from address {ip} (try again in an hour)")))
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn check_ip(&self, ip: IpAddr) -> Result<()> {
        match &self.per_ip {
            Some(limiter) if limiter.check_key(&ip).is_err() => Err(Error::RateLimited(format!("address {ip}"))),
            _ => Ok(()),
        }
    }

    pub(crate) fn check_did(&self, did: &str) -> Result<()> {
        match &self.per_did {
            Some(limiter) if limiter.check_key(&did.to_owned()).is_err() => Err(Error::RateLimited(did.to_owned())),
            _ => Ok(()),
        }
    }

    /// Forgets clients whose buckets are full again, so memory follows active clients only.
    pub(crate) fn forget_idle(&self) {
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.per_did {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.enrollments {
            limiter.retain_recent();
        }
    }
}

fn keyed<K: std::hash::Hash + Eq + Clone>(rate: u32, clock: &Clock) -> Option<KeyedLimiter<K>> {
    NonZeroU32::new(rate).map(|rate| RateLimiter::dashmap_with_clock(Quota::per_second(rate), clock.clone()))
}
