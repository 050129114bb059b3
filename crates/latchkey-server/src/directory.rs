//! `directory.*`: an LDAP directory in front of which Latchkey runs — its accounts read
//! and their passwords written there, Latchkey's own accounts (the first admin,
//! break-glass and service accounts) beside it in SQL, asked first. Without
//! `directory.url`, Latchkey keeps every account itself.

use latchkey_core::ports::{AccountFilter, Ports, Store};
use latchkey_core::sources::{Layer, Layered};

use latchkey_directory::{
    Attributes, Directory, DirectoryConfig as ClientConfig, DirectoryError, DirectoryKind,
    DirectorySource, Intents, RoleGroups,
};
use latchkey_store::Database;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `directory.*` (docs/configuration.md, docs/directory.md).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectoryConfig {
    /// `ldap://host:port` (with `starttls`) or `ldaps://host:port`; unset: no directory.
    pub url: Option<String>,
    pub starttls: bool,
    /// `openldap` or `active_directory`; detected from the root DSE when unset.
    pub kind: Option<String>,
    pub bind_dn: String,
    /// Never printed; `bind_password_file` reads it from a file instead.
    #[serde(serialize_with = "crate::config::redact")]
    pub bind_password: Option<String>,
    pub bind_password_file: Option<PathBuf>,
    pub user_base: String,
    /// Default `(objectClass=inetOrgPerson)`; Active Directory:
    /// `(&(objectCategory=person)(objectClass=user))`.
    pub user_filter: Option<String>,
    pub attributes: AttributesConfig,
    pub ca_file: Option<PathBuf>,
    /// No certificate check at all: for a test directory only (a loud warning at start).
    pub tls_insecure: bool,
    /// Connections per pool (reads and resets; users' binds). Default 8.
    pub pool_size: usize,
    /// Connect and per-operation timeout. Default `5s`.
    #[serde(with = "latchkey_core::policy::settings::duration")]
    pub timeout: Duration,
    pub roles: RolesConfig,
    /// An entry outside the user base with a long random password nobody knows: a proof
    /// for a name no entry has binds to it, so that a directory recording failed binds
    /// (ppolicy) does the same write for an unknown name as for a real one.
    pub decoy_dn: Option<String>,
    /// A provisioning client's (SCIM's) users created and deleted in the directory (the
    /// service account needs the right to). Default false. OpenLDAP only.
    pub allow_writes: bool,
}

impl Default for DirectoryConfig {
    fn default() -> Self {
        Self {
            url: None,
            starttls: false,
            kind: None,
            bind_dn: String::new(),
            bind_password: None,
            bind_password_file: None,
            user_base: String::new(),
            user_filter: None,
            attributes: AttributesConfig::default(),
            ca_file: None,
            tls_insecure: false,
            pool_size: 8,
            timeout: Duration::from_secs(5),
            roles: RolesConfig::default(),
            decoy_dn: None,
            allow_writes: false,
        }
    }
}

impl std::fmt::Debug for DirectoryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryConfig")
            .field("url", &self.url)
            .field("bind_dn", &self.bind_dn)
            .field(
                "bind_password",
                &self.bind_password.as_ref().map(|_| "[redacted]"),
            )
            .field("user_base", &self.user_base)
            .finish_non_exhaustive()
    }
}

/// `directory.attributes.*`: where an entry's fields are read from; unset, the
/// directory kind's defaults (`uid`/`entryUUID`, AD `sAMAccountName`/`objectGUID`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttributesConfig {
    pub user_name: Option<String>,
    pub mail: Option<String>,
    pub given_name: Option<String>,
    pub sn: Option<String>,
    pub display_name: Option<String>,
    pub telephone_number: Option<String>,
    pub stable_id: Option<String>,
}

impl AttributesConfig {
    fn resolve(&self, kind: DirectoryKind) -> Attributes {
        let d = Attributes::of(kind);
        let or = |set: &Option<String>, default: String| set.clone().unwrap_or(default);
        Attributes {
            user_name: or(&self.user_name, d.user_name),
            mail: or(&self.mail, d.mail),
            given_name: or(&self.given_name, d.given_name),
            sn: or(&self.sn, d.sn),
            display_name: or(&self.display_name, d.display_name),
            telephone_number: or(&self.telephone_number, d.telephone_number),
            stable_id: or(&self.stable_id, d.stable_id),
        }
    }
}

/// `directory.roles.*`: groups (DNs) whose members get a Latchkey role.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RolesConfig {
    pub helpdesk: Option<String>,
    pub admin: Option<String>,
}

impl DirectoryConfig {
    /// `bind_password_file` stands for `bind_password`.
    pub fn read_secret_file(&mut self) -> anyhow::Result<()> {
        if let Some(path) = &self.bind_password_file {
            if self.bind_password.is_some() {
                anyhow::bail!(
                    "directory.bind_password_file: give the password or the file, not both"
                );
            }
            let pw = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!(
                    "directory.bind_password_file: cannot read {}: {e}",
                    path.display()
                )
            })?;
            self.bind_password = Some(pw.trim_end().to_owned());
        }
        Ok(())
    }

    /// What start-up refuses, each problem naming its key.
    pub fn problems(&self) -> Vec<String> {
        let Some(url) = &self.url else {
            return vec![];
        };
        let mut out = vec![];
        if !(url.starts_with("ldap://") || url.starts_with("ldaps://")) {
            out.push(format!(
                "directory.url: '{url}' is not an ldap:// or ldaps:// URL"
            ));
        }
        if url.starts_with("ldaps://") && self.starttls {
            out.push("directory.starttls: not with an ldaps:// URL (TLS from the start)".into());
        }
        for (key, value) in [
            ("directory.bind_dn", &self.bind_dn),
            ("directory.user_base", &self.user_base),
        ] {
            if value.trim().is_empty() {
                out.push(format!("{key}: required with directory.url"));
            }
        }
        if self.bind_password.is_none() {
            out.push(
                "directory.bind_password: required with directory.url (or bind_password_file)"
                    .into(),
            );
        }
        match self.kind.as_deref().map(|k| (k, DirectoryKind::parse(k))) {
            Some((kind, None)) => out.push(format!(
                "directory.kind: '{kind}' is not supported (expected openldap or active_directory)"
            )),
            Some((_, Some(kind))) => out.extend(self.kind_problems(kind)),
            None => {}
        }
        if self.pool_size == 0 {
            out.push("directory.pool_size: must be at least 1".into());
        }
        if let Some(ca) = &self.ca_file
            && !Path::new(ca).is_file()
        {
            out.push(format!("directory.ca_file: {} is not a file", ca.display()));
        }
        out
    }

    /// What a directory of this kind cannot work with, each naming its key. Active
    /// Directory takes passwords over TLS only: a plain connection is refused at start
    /// rather than at the first password write; entries are made through Latchkey in
    /// OpenLDAP only.
    fn kind_problems(&self, kind: DirectoryKind) -> Vec<String> {
        let mut out = Vec::new();
        if kind != DirectoryKind::ActiveDirectory {
            return out;
        }
        let plain = self
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("ldap://"))
            && !self.starttls;
        if plain {
            out.push("directory.url: Active Directory takes password writes over TLS only — use an ldaps:// URL or set directory.starttls = true".to_owned());
        }
        if self.allow_writes {
            out.push("directory.allow_writes: creating and deleting entries is offered for OpenLDAP only; create Active Directory users in AD".to_owned());
        }
        out
    }

    /// The configured kind (`None`: unset, to be detected).
    fn configured_kind(&self) -> Option<DirectoryKind> {
        self.kind.as_deref().and_then(DirectoryKind::parse)
    }

    fn client_config(&self, url: &str, kind: DirectoryKind) -> ClientConfig {
        ClientConfig {
            kind,
            url: url.to_owned(),
            starttls: self.starttls,
            ca_file: self.ca_file.clone(),
            tls_insecure: self.tls_insecure,
            bind_dn: self.bind_dn.clone(),
            bind_password: self.bind_password.clone().unwrap_or_default(),
            user_base: self.user_base.clone(),
            user_filter: self
                .user_filter
                .clone()
                .unwrap_or_else(|| kind.user_filter().to_owned()),
            attributes: self.attributes.resolve(kind),
            roles: RoleGroups {
                helpdesk: self.roles.helpdesk.clone(),
                admin: self.roles.admin.clone(),
            },
            decoy_dn: self.decoy_dn.clone(),
            allow_writes: self.allow_writes,
            pool_size: self.pool_size,
            timeout: self.timeout,
        }
    }
}

/// The core's ports: the SQL store alone, or — with `directory.url` — Latchkey's own
/// accounts first, then the directory's, beside the SQL records.
pub struct Sources {
    pub ports: Ports,
    /// The directory's intent log and client, when there is a directory.
    pub directory: Option<(Intents, Arc<Directory>)>,
    /// How old an unfinished directory write must be to be taken for one whose node
    /// died: longer than any write can take (its reads and writes each bounded by
    /// `directory.timeout`).
    intent_age: Duration,
}

/// Local accounts whose user name a directory entry has too: the local account wins (so
/// that break-glass works whatever the directory holds), and the operator is told.
async fn warn_of_clashes(store: &Arc<dyn Store>, directory: &Directory) {
    let all = AccountFilter {
        limit: 10_000,
        ..Default::default()
    };
    let Ok((locals, _)) = store.list_accounts(&all).await else {
        return;
    };
    for local in locals {
        if let Ok(Some(entry)) = directory.find_by_user_name(local.user_name.as_str()).await {
            tracing::warn!(
                user_name = %local.user_name,
                entry = %entry.dn,
                "a local account and a directory entry share this user name: the local account is used; rename one"
            );
        }
    }
}

/// The directory's kind from its root DSE; a directory that cannot be reached at start
/// is taken as OpenLDAP (set `directory.kind` to be sure).
async fn detect_kind(config: &DirectoryConfig, url: &str) -> anyhow::Result<DirectoryKind> {
    let probe = Directory::new(config.client_config(url, DirectoryKind::OpenLdap))
        .map_err(|e| anyhow::anyhow!("directory: {e}"))?;
    match probe.detect_kind().await {
        Ok(kind) => {
            tracing::info!(
                kind = kind.as_str(),
                "directory kind read from its root DSE"
            );
            Ok(kind)
        }
        Err(DirectoryError::Unavailable(why)) => {
            tracing::warn!(error = %why, "the directory's kind could not be read; taken as openldap (set directory.kind)");
            Ok(DirectoryKind::OpenLdap)
        }
        Err(e) => anyhow::bail!("directory: {e}"),
    }
}

impl Sources {
    pub async fn open(
        config: &DirectoryConfig,
        db: Arc<dyn Database>,
        clock: Arc<dyn latchkey_core::clock::Clock>,
    ) -> anyhow::Result<Self> {
        let store: Arc<dyn Store> = db.clone();
        let Some(url) = &config.url else {
            return Ok(Self {
                ports: Ports::from(store),
                directory: None,
                intent_age: Duration::ZERO,
            });
        };
        if config.tls_insecure {
            tracing::warn!(
                "directory.tls_insecure is on: the directory's certificate is NOT checked; anyone between Latchkey and the directory can read every password. Use directory.ca_file instead"
            );
        } else if url.starts_with("ldap://") && !config.starttls {
            tracing::warn!(
                "directory.url is plain ldap:// without directory.starttls: passwords cross the network unencrypted"
            );
        }
        if config.decoy_dn.is_none() {
            tracing::warn!(
                "directory.decoy_dn is not set: a proof for an unknown name binds to a DN no entry has, which a directory that records failed binds (ppolicy) answers faster than for a real entry — set it to an entry with a password nobody knows (docs/directory.md)"
            );
        }
        let kind = match config.configured_kind() {
            Some(kind) => kind,
            None => detect_kind(config, url).await?,
        };
        if let Some(problem) = config.kind_problems(kind).first() {
            anyhow::bail!("{problem}");
        }
        let directory = match Directory::connect(config.client_config(url, kind)).await {
            Ok(d) => d,
            // Down at start: an outage like any later one (its accounts answer 503 until
            // it is back; local accounts serve meanwhile). Anything else is a mistake.
            Err(DirectoryError::Unavailable(why)) => {
                tracing::warn!(error = %why, url = %url, "the directory cannot be reached now; its accounts are unavailable until it can");
                Directory::new(config.client_config(url, kind))
                    .map_err(|e| anyhow::anyhow!("directory: {e}"))?
            }
            Err(e) => anyhow::bail!("directory: {e}"),
        };
        warn_of_clashes(&store, &directory).await;
        let directory = Arc::new(directory);
        let intents = Intents::new(db.clone(), clock);
        let source = Arc::new(DirectorySource::new(
            Arc::clone(&directory),
            db.clone(),
            intents.clone(),
        ));
        let layers = vec![
            Layer {
                accounts: store.clone(),
                commit: store.clone(),
            },
            Layer {
                accounts: source.clone(),
                commit: source,
            },
        ];
        let records: Arc<dyn latchkey_core::ports::Records> = store;
        Ok(Self {
            ports: Layered::new(layers).into_ports(records),
            directory: Some((intents, directory)),
            intent_age: config.timeout * 4 + Duration::from_secs(5),
        })
    }

    /// Resolves directory writes a stopped node left unfinished, now and every minute.
    pub fn spawn_intent_resolver(&self) {
        let Some((intents, directory)) = self.directory.clone() else {
            return;
        };
        let age = self.intent_age;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match intents.resolve(&directory, age).await {
                    Ok((0, 0)) => {}
                    Ok((committed, dropped)) => {
                        tracing::info!(committed, dropped, "unfinished directory writes resolved")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "unfinished directory writes not resolved yet")
                    }
                }
            }
        });
    }
}
