//! What a caller may know of an account's password and lock state, decided once here for
//! every surface: whether a change is required and why, when the password expires, and
//! whether a lock shows (to account readers only; to anyone else a locked account is
//! active, as every proof against it fails like a wrong password).

use super::Latchkey;
use crate::auth::{Permission, Principal};
use crate::domain::{Account, AccountStatus};
use time::OffsetDateTime;

/// Why an account must change its password before anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeRequired {
    /// An administrator set the password with `mustChangePassword`.
    SetByAdministrator,
    /// The password is older than its policy's `max_age`.
    Expired,
}

/// An account's state as of now, as `principal` may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    /// `Locked` only for callers who may see locks.
    pub status: AccountStatus,
    /// The end of a lock, for callers who may see locks.
    pub locked_until: Option<OffsetDateTime>,
    pub password_expires_at: Option<OffsetDateTime>,
    /// Whole seconds until the password expires (0 once it has).
    pub seconds_until_expiry: Option<i64>,
    pub change_required: Option<ChangeRequired>,
}

impl Latchkey {
    /// Whether `principal` may learn that an account is locked.
    pub fn sees_locks(&self, principal: &Principal) -> bool {
        principal.may(Permission::ReadAccounts)
    }

    /// Why `account` must change its password now, if it must.
    pub fn change_required(&self, account: &Account) -> Option<ChangeRequired> {
        let now = self.clock.now();
        if self.password_expires_at(account).is_some_and(|t| t <= now) {
            Some(ChangeRequired::Expired)
        } else if account.must_change_password {
            Some(ChangeRequired::SetByAdministrator)
        } else {
            None
        }
    }

    pub fn account_state(&self, principal: &Principal, account: &Account) -> AccountState {
        let now = self.clock.now();
        let sees_locks = self.sees_locks(principal);
        let status = match account.status(now) {
            AccountStatus::Locked if !sees_locks => AccountStatus::Active,
            s => s,
        };
        let password_expires_at = self.password_expires_at(account);
        AccountState {
            status,
            locked_until: account.locked_until.filter(|t| sees_locks && *t > now),
            password_expires_at,
            seconds_until_expiry: password_expires_at.map(|t| (t - now).whole_seconds().max(0)),
            change_required: self.change_required(account),
        }
    }
}
