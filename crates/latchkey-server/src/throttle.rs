//! Per-client-IP rate limit on the credential-checking endpoints
//! (`throttle.per_ip_per_minute`), on top of the per-account lockout: counted in memory
//! on a single node (SQLite), or in the database when several nodes share it
//! (PostgreSQL), so that N nodes behind a balancer allow one client the configured rate,
//! not N times it.

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use latchkey_core::Latchkey;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Where the allowance is counted; `Off` when `throttle.per_ip_per_minute` is 0.
pub enum Throttle {
    Off,
    /// In this process (one node).
    Local(DefaultKeyedRateLimiter<IpAddr>),
    /// In the store, shared by every node: `(core, per minute)`.
    Shared(Arc<Latchkey>, NonZeroU32),
}

impl Throttle {
    /// In memory; `0` switches the throttle off.
    pub fn per_minute(n: u32) -> Self {
        NonZeroU32::new(n).map_or(Throttle::Off, |n| {
            Throttle::Local(RateLimiter::keyed(Quota::per_minute(n)))
        })
    }

    /// Counted in the store, one atomic statement per request; `0` switches it off.
    pub fn shared(core: Arc<Latchkey>, n: u32) -> Self {
        NonZeroU32::new(n).map_or(Throttle::Off, |n| Throttle::Shared(core, n))
    }

    /// `Err(seconds to wait)` when `ip` is over its allowance (counted in memory).
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let Throttle::Local(limiter) = self else {
            return Ok(());
        };
        limiter.check_key(&ip).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                + 1
        })
    }

    /// The same for a request's client address, wherever it is counted; a request
    /// without one (not from a TCP peer) is not throttled. A store that cannot count lets
    /// the request through: the credential check behind it answers 503 itself then.
    pub async fn check_client(&self, ip: Option<IpAddr>) -> Result<(), u64> {
        let Some(ip) = ip else { return Ok(()) };
        let Throttle::Shared(core, n) = self else {
            return self.check(ip);
        };
        core.throttle_hit(&ip.to_string(), n.get())
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the shared throttle could not count");
                Ok(())
            })
    }

    /// Forgets addresses whose allowance is full again (bounds memory).
    pub fn forget_idle(&self) {
        if let Throttle::Local(l) = self {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_over_its_allowance_waits_and_others_do_not() {
        let t = Throttle::per_minute(3);
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(t.check(a).is_ok());
        }
        let wait = t.check(a).unwrap_err();
        assert!((1..=21).contains(&wait), "{wait}");
        assert!(t.check("127.0.0.3".parse().unwrap()).is_ok());
    }
}
