//! What the directory client needs to know (the server's `directory.*` keys, resolved).

use std::path::PathBuf;
use std::time::Duration;

/// Which directory answers: decides attribute defaults and how password errors read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryKind {
    OpenLdap,
    ActiveDirectory,
}

/// The attribute names an entry is read from.
#[derive(Debug, Clone)]
pub struct Attributes {
    pub user_name: String,
    pub mail: String,
    pub given_name: String,
    pub sn: String,
    pub display_name: String,
    pub telephone_number: String,
    /// A value that never changes for the entry's life (`entryUUID`): Latchkey's own
    /// records are keyed by it, so a renamed or moved entry keeps them.
    pub stable_id: String,
}

impl Default for Attributes {
    fn default() -> Self {
        Self {
            user_name: "uid".into(),
            mail: "mail".into(),
            given_name: "givenName".into(),
            sn: "sn".into(),
            display_name: "displayName".into(),
            telephone_number: "telephoneNumber".into(),
            stable_id: "entryUUID".into(),
        }
    }
}

/// Groups whose members get a Latchkey role.
#[derive(Debug, Clone, Default)]
pub struct RoleGroups {
    pub helpdesk: Option<String>,
    pub admin: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DirectoryConfig {
    /// `ldap://host:port` (with `starttls`) or `ldaps://host:port`.
    pub url: String,
    pub starttls: bool,
    /// PEM file of the CA that signed the directory's certificate (else the system's).
    pub ca_file: Option<PathBuf>,
    /// No certificate verification at all: for tests only.
    pub tls_insecure: bool,
    /// The service account: reads entries and resets passwords.
    pub bind_dn: String,
    pub bind_password: String,
    pub user_base: String,
    pub user_filter: String,
    pub attributes: Attributes,
    pub roles: RoleGroups,
    /// An entry with a password nobody knows, outside the user base, that a proof for a
    /// name no entry has binds to. A directory that records failed binds (ppolicy's
    /// `pwdFailureTime`) writes for it as for a real entry, so that an unknown name costs
    /// what an existing one does. `None`: a DN no entry has (no write: a known name then
    /// answers slower).
    pub decoy_dn: Option<String>,
    /// Connections kept per pool (service connections, bind connections).
    pub pool_size: usize,
    /// Connect and per-operation timeout.
    pub timeout: Duration,
}

impl DirectoryConfig {
    /// The defaults of an OpenLDAP directory at `url` under `user_base`.
    pub fn new(url: &str, bind_dn: &str, bind_password: &str, user_base: &str) -> Self {
        Self {
            url: url.into(),
            starttls: false,
            ca_file: None,
            tls_insecure: false,
            bind_dn: bind_dn.into(),
            bind_password: bind_password.into(),
            user_base: user_base.into(),
            user_filter: "(objectClass=inetOrgPerson)".into(),
            attributes: Attributes::default(),
            roles: RoleGroups::default(),
            decoy_dn: None,
            pool_size: 8,
            timeout: Duration::from_secs(5),
        }
    }
}
