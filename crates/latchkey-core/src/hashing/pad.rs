//! Pads a cheap legacy verification up to the cost of one Argon2id at the current
//! parameters, so that an account with an imported `{SSHA}` or low-cost bcrypt hash answers
//! a proof neither faster nor slower than an unknown name.
//!
//! The pad is an Argon2id computation whose memory cost is scaled to the time still
//! missing: Argon2's time is linear in its blocks for fixed iterations, so after a legacy
//! check that took `spent`, `m × (full − spent) / full` blocks make up the difference. `full`
//! is a running average of this process's own full-cost verifications (unknown names,
//! current-parameter hashes), so the pad follows the machine's actual speed.

use super::HashingParams;
use super::memory;
use argon2::{Algorithm, Params, Version};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A fixed salt: the pad's result is thrown away; only its cost matters.
const SALT: &[u8] = b"latchkey-cost-pad";

/// The weight of one new measurement in the running average (1/16).
const SMOOTHING: u64 = 16;

pub struct CostPad {
    params: HashingParams,
    /// Running average of one full-cost verification, in nanoseconds; 0 until measured.
    full_ns: AtomicU64,
}

impl CostPad {
    pub fn new(params: HashingParams) -> Self {
        Self {
            params,
            full_ns: AtomicU64::new(0),
        }
    }

    /// Records how long one verification at the current parameters took.
    pub fn record_full(&self, took: Duration) {
        let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .full_ns
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(if old == 0 {
                    took
                } else {
                    old - old / SMOOTHING + took / SMOOTHING
                })
            });
    }

    /// The blocks a pad after `spent` computes: all of them until a full verification has
    /// been measured, none once `spent` reaches the full cost, at least Argon2's minimum.
    fn blocks_after(&self, spent: Duration) -> Option<u32> {
        let m = u64::from(self.params.memory_kib);
        let full = self.full_ns.load(Ordering::Relaxed);
        let spent = u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX);
        let blocks = match full {
            0 => m,
            _ if spent >= full => return None,
            _ => m * (full - spent) / full,
        };
        let min = u64::from(Params::MIN_M_COST.max(8 * self.params.parallelism));
        u32::try_from(blocks.max(min)).ok()
    }

    /// Runs the pad for a legacy verification that took `spent`. Call it in the hashing
    /// engine, whose threads reuse their Argon2 memory.
    pub fn pad(&self, spent: Duration, password: &[u8]) {
        let Some(m) = self.blocks_after(spent) else {
            return;
        };
        let Ok(params) = Params::new(m, self.params.iterations, self.params.parallelism, Some(32))
        else {
            return;
        };
        let mut out = [0u8; 32];
        let _ = memory::argon2_into(
            Algorithm::Argon2id,
            Version::V0x13,
            params,
            password,
            SALT,
            &mut out,
        );
        std::hint::black_box(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pad_is_scaled_to_the_missing_time() {
        let pad = CostPad::new(HashingParams::default());
        assert_eq!(
            pad.blocks_after(Duration::from_millis(1)),
            Some(19456),
            "unmeasured: a full Argon2id"
        );
        pad.record_full(Duration::from_millis(20));
        assert_eq!(pad.blocks_after(Duration::ZERO), Some(19456));
        assert_eq!(pad.blocks_after(Duration::from_millis(5)), Some(14592));
        assert_eq!(pad.blocks_after(Duration::from_millis(20)), None);
        assert_eq!(pad.blocks_after(Duration::from_millis(19_999)), None);
        assert_eq!(
            pad.blocks_after(Duration::from_nanos(19_999_999)),
            Some(8),
            "at least Argon2's minimum"
        );
    }

    #[test]
    fn the_average_follows_new_measurements() {
        let pad = CostPad::new(HashingParams::default());
        pad.record_full(Duration::from_millis(32));
        for _ in 0..200 {
            pad.record_full(Duration::from_millis(16));
        }
        let full = pad.full_ns.load(Ordering::Relaxed);
        assert!((15_900_000..=16_100_000).contains(&full), "{full}");
    }
}
