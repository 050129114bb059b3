//! `CoreError`: every way a core operation can refuse, typed so each surface maps it.

use crate::hashing::Overloaded;
use crate::policy::ValidationReport;
use crate::ports::StoreError;

/// The refusal text when a role or scope is missing.
pub const NOT_ALLOWED: &str = "this needs a role or scope the caller lacks";
/// A provisioning client's create in front of a source that holds the users (a
/// directory) but does not create them.
pub const PROVISIONED_ELSEWHERE: &str =
    "users are created in the directory this server fronts (directory.allow_writes is off)";

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Wrong, unknown, locked or disabled — deliberately one variant, so no surface can
    /// tell them apart in what it answers.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The caller may not do this (role, scope, or a helpdesk resetting an admin).
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    /// The session may only change its expired password.
    #[error("the password must be changed first")]
    PasswordChangeRequired,
    /// No such account (only reported to callers allowed to know).
    #[error("not found")]
    NotFound,
    /// The operation cannot apply to this account (federated, cannot change, ...).
    #[error("{0}")]
    Refused(&'static str),
    /// The new password fails the policy; the report says which rules.
    #[error("the password does not satisfy the policy")]
    Policy(Box<ValidationReport>),
    /// Malformed input that the wire format let through (bad DN, bad hash, ...).
    #[error("{0}")]
    Invalid(String),
    /// Unique field already taken.
    #[error("{0} already exists")]
    Duplicate(&'static str),
    /// `If-Match` did not match, or a concurrent write won.
    #[error("revision conflict")]
    RevisionConflict,
    /// Any problem with a recovery token or flow (unknown, expired, used, wrong stage,
    /// tampered, too many attempts): one answer for all; the reason goes to the audit log.
    #[error("the recovery flow cannot continue")]
    RecoveryFailed,
    /// A wrong code or answer: the token stays usable (within the attempt limit).
    #[error("{0}")]
    RecoveryRefused(&'static str),
    /// Hashing pool and queue full.
    #[error("overloaded")]
    Overloaded,
    /// The store cannot be reached.
    #[error("store unavailable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<Overloaded> for CoreError {
    fn from(_: Overloaded) -> Self {
        CoreError::Overloaded
    }
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => CoreError::Duplicate(what),
            StoreError::RevisionMismatch => CoreError::RevisionConflict,
            StoreError::NotFound => CoreError::NotFound,
            StoreError::Unavailable(_) => CoreError::Unavailable,
            StoreError::InvalidQuery(msg) => CoreError::Invalid(msg),
            StoreError::Unsupported(what) => CoreError::Refused(what),
            // Reported in the policy report where a password is written; anywhere else
            // it is not expected.
            StoreError::SourceRefused(r) => {
                CoreError::Internal(format!("the account source refused: {}", r.text))
            }
            StoreError::SourceWrongCurrent => CoreError::InvalidCredentials,
            StoreError::Other(msg) => CoreError::Internal(msg),
        }
    }
}
