//! The mediator's notion of now, one for every rule that depends on time: message, link, bundle
//! and token expiry, the replay window, the sweep of idle enrollments, rate-limit buckets, cost
//! budgets and the owner cache all ask this clock.
//!
//! It is the system's clock plus a skip that only tests move (`RunningMediator::advance_clock`,
//! behind the `test-hooks` feature): a test of a rule that takes an hour takes no time, against
//! the real mediator over real sockets. (Tokio's paused time cannot do that here: with real
//! sockets it would fire every timeout of the connections the test is making.) What shapes
//! traffic physically (the relay's byte throttle, connection deadlines) stays on tokio's timer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Now, as Unix seconds for what is stored and as an instant for what is measured in memory.
#[derive(Clone, Debug, Default)]
pub(crate) struct Clock {
    /// Milliseconds tests have skipped ahead; 0 in service.
    skipped_ms: Arc<AtomicU64>,
}

impl Clock {
    /// Unix seconds.
    pub(crate) fn unix_now(&self) -> u64 {
        mpc_identity::unix_now().saturating_add(self.skipped().as_secs())
    }

    /// A monotonic instant, for durations kept in memory.
    pub(crate) fn instant(&self) -> Instant {
        Instant::now() + self.skipped()
    }

    /// Moves this clock (and every clone of it) `by` ahead.
    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn advance(&self, by: Duration) {
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.skipped_ms.fetch_add(millis, Ordering::Relaxed);
    }

    fn skipped(&self) -> Duration {
        Duration::from_millis(self.skipped_ms.load(Ordering::Relaxed))
    }
}

/// The rate limiters' clock is this one, so a test can refill a bucket.
impl governor::clock::Clock for Clock {
    type Instant = Instant;

    fn now(&self) -> Instant {
        self.instant()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advance_moves_every_clone_and_both_forms_of_now() {
        let clock = Clock::default();
        let other = clock.clone();
        let (unix, instant) = (clock.unix_now(), clock.instant());
        other.advance(Duration::from_secs(3_600));
        assert!(clock.unix_now() >= unix + 3_600);
        assert!(clock.instant() >= instant + Duration::from_secs(3_600));
    }
}
