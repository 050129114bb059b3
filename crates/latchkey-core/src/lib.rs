//! Latchkey's domain: every password rule and every write path lives here, once.
//!
//! Surfaces (native API, IDM, Ping, Adaxes, SCIM, CLI) translate their wire formats
//! into the operations of [`Latchkey`] and map the typed outcomes back. Nothing in this
//! crate does I/O itself: storage, mail and time come in through the ports.

pub mod audit;
pub mod auth;
pub mod clock;
pub mod domain;
pub mod error;
pub mod hashing;
#[cfg(test)]
mod memory_store;
pub mod ops;
pub mod policy;
pub mod ports;
pub mod recovery;
pub mod secret;
pub mod settings;
pub mod sources;

pub use error::CoreError;
pub use ops::Latchkey;
