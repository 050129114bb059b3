//! What the directory client needs to know (the server's `directory.*` keys, resolved).

use std::path::PathBuf;
use std::time::Duration;

/// Which directory answers: decides attribute defaults and how password errors read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryKind {
    OpenLdap,
    ActiveDirectory,
}

impl DirectoryKind {
    /// `openldap`, `active_directory` (the `directory.kind` values).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "openldap" => Some(Self::OpenLdap),
            "active_directory" => Some(Self::ActiveDirectory),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenLdap => "openldap",
            Self::ActiveDirectory => "active_directory",
        }
    }

    /// Which entries are user accounts, unless configured.
    pub fn user_filter(self) -> &'static str {
        match self {
            Self::OpenLdap => "(objectClass=inetOrgPerson)",
            Self::ActiveDirectory => "(&(objectCategory=person)(objectClass=user))",
        }
    }
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

impl Attributes {
    /// The attributes a directory of this kind keeps these fields in.
    pub fn of(kind: DirectoryKind) -> Self {
        let (user_name, stable_id) = match kind {
            DirectoryKind::OpenLdap => ("uid", "entryUUID"),
            DirectoryKind::ActiveDirectory => ("sAMAccountName", "objectGUID"),
        };
        Self {
            user_name: user_name.into(),
            mail: "mail".into(),
            given_name: "givenName".into(),
            sn: "sn".into(),
            display_name: "displayName".into(),
            telephone_number: "telephoneNumber".into(),
            stable_id: stable_id.into(),
        }
    }
}

impl Default for Attributes {
    fn default() -> Self {
        Self::of(DirectoryKind::OpenLdap)
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
    pub kind: DirectoryKind,
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
    /// A provisioning client's (SCIM's) users are created and deleted in the directory
    /// (the service account needs the right to); off: the directory's entries are made
    /// and removed there only.
    pub allow_writes: bool,
    /// Connections kept per pool (service connections, bind connections).
    pub pool_size: usize,
    /// Connect and per-operation timeout.
    pub timeout: Duration,
}

impl DirectoryConfig {
    /// The defaults of an OpenLDAP directory at `url` under `user_base`.
    pub fn new(url: &str, bind_dn: &str, bind_password: &str, user_base: &str) -> Self {
        Self::of(
            DirectoryKind::OpenLdap,
            url,
            bind_dn,
            bind_password,
            user_base,
        )
    }

    /// The defaults of a directory of `kind` at `url` under `user_base`.
    pub fn of(
        kind: DirectoryKind,
        url: &str,
        bind_dn: &str,
        bind_password: &str,
        user_base: &str,
    ) -> Self {
        Self {
            kind,
            url: url.into(),
            starttls: false,
            ca_file: None,
            tls_insecure: false,
            bind_dn: bind_dn.into(),
            bind_password: bind_password.into(),
            user_base: user_base.into(),
            user_filter: kind.user_filter().into(),
            attributes: Attributes::of(kind),
            roles: RoleGroups::default(),
            decoy_dn: None,
            allow_writes: false,
            pool_size: 8,
            timeout: Duration::from_secs(5),
        }
    }
}
