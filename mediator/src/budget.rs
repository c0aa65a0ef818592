//! Budgets per client network for what a request costs the mediator beyond the request itself:
//! CPU spent verifying did:webvh logs and proofs for anonymous clients, and bytes sent back by
//! the routes anyone may read (logs, witness files, invitations, program bundles).
//!
//! A rate limit counts requests, but one small request can cost a whole log's verification or
//! a megabyte of response. A budget counts the cost: each source owes what its requests cost,
//! the debt is paid down at a fixed rate, and a source whose debt is over the burst is refused
//! (429) before any work is done. The work that is started is charged in full afterwards, so one
//! large request goes through and the next waits until it is paid for.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use std::time::Instant;

use crate::clock::Clock;

/// One kind of cost, per source.
#[derive(Debug)]
pub(crate) struct Budget {
    /// Paid down per second; 0 for no budget.
    per_second: f64,
    /// Most a source may owe and still start more.
    burst: f64,
    owed: Mutex<HashMap<IpAddr, Debt>>,
    clock: Clock,
}

#[derive(Clone, Copy, Debug)]
struct Debt {
    amount: f64,
    at: Instant,
}

impl Budget {
    /// A budget paid down at `per_second` units a second, of which a source may owe `burst`.
    pub(crate) fn new(per_second: u64, burst: u64, clock: &Clock) -> Self {
        Budget {
            per_second: per_second as f64,
            burst: burst as f64,
            owed: Mutex::new(HashMap::new()),
            clock: clock.clone(),
        }
    }

    /// Whether `source` may start more work now.
    pub(crate) fn allows(&self, source: IpAddr) -> bool {
        if self.per_second == 0.0 {
            return true;
        }
        let owed = self.owed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        owed.get(&source).is_none_or(|debt| self.paid_down(*debt, self.clock.instant()) <= self.burst)
    }

    /// Adds what a piece of work for `source` cost.
    pub(crate) fn charge(&self, source: IpAddr, cost: f64) {
        if self.per_second == 0.0 || cost <= 0.0 {
            return;
        }
        let now = self.clock.instant();
        let mut owed = self.owed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let debt = owed.entry(source).or_insert(Debt { amount: 0.0, at: now });
        *debt = Debt { amount: self.paid_down(*debt, now) + cost, at: now };
    }

    /// Forgets sources that owe nothing any more (run with the periodic sweep).
    pub(crate) fn forget_paid(&self) {
        let now = self.clock.instant();
        let mut owed = self.owed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        owed.retain(|_, debt| self.paid_down(*debt, now) > 0.0);
    }

    fn paid_down(&self, debt: Debt, now: Instant) -> f64 {
        (debt.amount - now.saturating_duration_since(debt.at).as_secs_f64() * self.per_second).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_over_its_burst_waits_until_paid_down_and_others_do_not() {
        let clock = Clock::default();
        let budget = Budget::new(100, 1_000, &clock);
        let (greedy, other): (IpAddr, IpAddr) = ("127.0.0.2".parse().expect("ip"), "127.0.0.3".parse().expect("ip"));
        assert!(budget.allows(greedy));
        // One large piece of work goes through, however large...
        budget.charge(greedy, 3_000.0);
        // ...and the next waits until the debt is back within the burst: 20 s at 100 a second.
        assert!(!budget.allows(greedy));
        assert!(budget.allows(other), "another source is not affected");
        clock.advance(std::time::Duration::from_secs(19));
        assert!(!budget.allows(greedy));
        clock.advance(std::time::Duration::from_secs(1));
        assert!(budget.allows(greedy));
        clock.advance(std::time::Duration::from_secs(10));
        budget.forget_paid();
        assert!(budget.owed.lock().expect("lock").is_empty());
        // No budget configured: everything is allowed.
        let none = Budget::new(0, 0, &clock);
        none.charge(greedy, 1e12);
        assert!(none.allows(greedy));
    }
}
