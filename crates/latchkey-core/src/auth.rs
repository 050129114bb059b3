//! Who is acting: a signed-in account, an API client with scopes, or the local CLI —
//! and what each may do.

use crate::domain::{AccountId, Roles};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use uuid::Uuid;

/// Scopes of API clients (SPEC §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "accounts:read")]
    AccountsRead,
    #[serde(rename = "accounts:write")]
    AccountsWrite,
    #[serde(rename = "passwords:reset")]
    PasswordsReset,
    #[serde(rename = "passwords:check")]
    PasswordsCheck,
    #[serde(rename = "audit:read")]
    AuditRead,
    #[serde(rename = "*")]
    All,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::AccountsRead,
        Scope::AccountsWrite,
        Scope::PasswordsReset,
        Scope::PasswordsCheck,
        Scope::AuditRead,
        Scope::All,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::AccountsRead => "accounts:read",
            Scope::AccountsWrite => "accounts:write",
            Scope::PasswordsReset => "passwords:reset",
            Scope::PasswordsCheck => "passwords:check",
            Scope::AuditRead => "audit:read",
            Scope::All => "*",
        }
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown scope {s:?}"))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadAccounts,
    WriteAccounts,
    ResetPasswords,
    CheckPasswords,
    ReadAudit,
    ManageClients,
}

#[derive(Debug, Clone)]
pub enum Principal {
    User {
        account_id: AccountId,
        roles: Roles,
        session_id: Uuid,
        change_only: bool,
    },
    Client {
        client_id: Uuid,
        scopes: Vec<Scope>,
    },
    /// The local operator at the CLI (has the database file, so has everything).
    System,
    /// The owner of an account, proven by a completed recovery flow or by its current
    /// password without a session (may do nothing else).
    Proven {
        account_id: AccountId,
    },
}

impl Principal {
    /// What this principal may do. A change-only session (SPEC §10: a password that
    /// expired or that an admin set with `mustChangePassword`) may only run the dry-run
    /// check until it has changed its own password, whatever its roles.
    pub fn may(&self, p: Permission) -> bool {
        match self {
            Principal::System => true,
            Principal::Proven { .. } => false,
            Principal::User {
                change_only: true, ..
            } => p == Permission::CheckPasswords,
            Principal::User { roles, .. } => {
                let helpdesk_may =
                    matches!(p, Permission::ResetPasswords | Permission::CheckPasswords);
                roles.is_admin() || (helpdesk_may && roles.may_reset())
            }
            Principal::Client { scopes, .. } => {
                let needed = match p {
                    Permission::ReadAccounts => Scope::AccountsRead,
                    Permission::WriteAccounts => Scope::AccountsWrite,
                    Permission::ResetPasswords => Scope::PasswordsReset,
                    Permission::CheckPasswords => Scope::PasswordsCheck,
                    Permission::ReadAudit => Scope::AuditRead,
                    Permission::ManageClients => Scope::All,
                };
                scopes.contains(&Scope::All) || scopes.contains(&needed)
            }
        }
    }

    /// Whether this principal may act on admin accounts as an admin would (a helpdesk
    /// may not reset an admin; neither may a client without `*`).
    pub fn has_admin_power(&self) -> bool {
        match self {
            Principal::System => true,
            Principal::Proven { .. } => false,
            Principal::User {
                roles, change_only, ..
            } => roles.is_admin() && !change_only,
            Principal::Client { scopes, .. } => scopes.contains(&Scope::All),
        }
    }

    /// A session that may only change its own password (and check and sign out).
    pub fn change_only(&self) -> bool {
        matches!(
            self,
            Principal::User {
                change_only: true,
                ..
            }
        )
    }

    pub fn account_id(&self) -> Option<AccountId> {
        match self {
            Principal::User { account_id, .. } => Some(*account_id),
            _ => None,
        }
    }

    /// The actor as written into audit events.
    pub fn actor(&self) -> String {
        match self {
            Principal::User { account_id, .. } => account_id.to_string(),
            Principal::Client { client_id, .. } => format!("client:{client_id}"),
            Principal::System => "cli".to_owned(),
            Principal::Proven { account_id } => account_id.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn user(roles: Vec<Role>) -> Principal {
        Principal::User {
            account_id: Uuid::nil(),
            roles: Roles::new(roles),
            session_id: Uuid::nil(),
            change_only: false,
        }
    }

    #[test]
    fn roles_grant_what_the_spec_says() {
        assert!(!user(vec![]).may(Permission::ResetPasswords));
        assert!(user(vec![Role::Helpdesk]).may(Permission::ResetPasswords));
        assert!(!user(vec![Role::Helpdesk]).may(Permission::ReadAudit));
        assert!(user(vec![Role::Admin]).may(Permission::ManageClients));
    }

    #[test]
    fn a_change_only_admin_may_only_check() {
        let admin = Principal::User {
            account_id: Uuid::nil(),
            roles: Roles::new(vec![Role::Admin]),
            session_id: Uuid::nil(),
            change_only: true,
        };
        assert!(admin.may(Permission::CheckPasswords));
        for p in [
            Permission::ReadAccounts,
            Permission::WriteAccounts,
            Permission::ResetPasswords,
            Permission::ReadAudit,
            Permission::ManageClients,
        ] {
            assert!(!admin.may(p), "{p:?}");
        }
        assert!(!admin.has_admin_power());
    }

    #[test]
    fn clients_get_exactly_their_scopes() {
        let c = Principal::Client {
            client_id: Uuid::nil(),
            scopes: vec![Scope::PasswordsReset],
        };
        assert!(c.may(Permission::ResetPasswords));
        assert!(!c.may(Permission::ReadAccounts));
        assert!(!c.has_admin_power());
        let all = Principal::Client {
            client_id: Uuid::nil(),
            scopes: vec![Scope::All],
        };
        assert!(all.may(Permission::ManageClients) && all.has_admin_power());
    }
}
