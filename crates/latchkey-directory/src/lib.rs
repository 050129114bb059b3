//! An LDAP directory (OpenLDAP with the `ppolicy` overlay) as Latchkey sees it: entries
//! read by user name, DN or stable id, proofs by bind as the user (and a bind to a decoy
//! DN for a name no entry has), RFC 3062 password modify as the user or by the service
//! account, and the directory's own password-policy answers as typed values.
//!
//! This crate speaks LDAP and nothing else: it knows no Latchkey policy, lockout or
//! record. The core decides; the account source built on it translates.

mod active_directory;
mod ber;
mod client;
mod config;
mod crash_point;
mod entry;
pub mod filter;
mod intent;
mod pool;
mod ppolicy;
mod provision;
mod source;
#[cfg(feature = "testing")]
pub mod testing;

pub use client::{BindOutcome, Directory, DirectoryError, PasswordRefusal};
pub use config::{Attributes, DirectoryConfig, DirectoryKind, RoleGroups};
pub use entry::Entry;
pub use intent::Intents;
pub use ppolicy::PolicyError;
pub use provision::{EntryRefusal, NewEntry};
pub use source::DirectorySource;
