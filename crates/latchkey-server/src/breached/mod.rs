//! The breached-password corpus: `latchkey breached build` turns a Have-I-Been-Pwned-format
//! file into a compact filter file; the server loads it and answers membership queries.
//!
//! Scale: keys are the first 64 bits of each SHA-1, spread over 2^k shards by their top
//! bits, one xorf `BinaryFuse16` per shard (≈ 18 bits per key, ≈ 0.0015 % false
//! positives). Building streams the input once into per-shard spill files, then builds
//! one shard at a time, so its memory is bounded by one shard, at any corpus size.

mod build;
mod filter;

pub use build::{BuildReport, build};
pub use filter::{BreachedFilter, FilterError};

#[cfg(test)]
mod tests;
