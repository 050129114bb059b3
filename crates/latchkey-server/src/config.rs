//! Configuration: built-in defaults, then a TOML file, then `LATCHKEY_<SECTION>__<KEY>`
//! environment variables. Unknown keys in the file or the environment stop start-up,
//! naming the key. Every key and default is SPEC §10's; `docs/configuration.md` lists them.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use ipnet::IpNet;
use latchkey_core::hashing::HashingParams;
use latchkey_core::policy::settings::duration;
use latchkey_core::recovery::RecoverySettings;
use latchkey_core::settings::{CoreSettings, LockoutSettings, PolicySettings};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on. Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Base of links in mail. Default `http://127.0.0.1:8080`.
    pub public_url: String,
    /// Peers whose `X-Forwarded-For` is believed. Default none.
    pub trusted_proxies: Vec<IpNet>,
    pub database: DatabaseConfig,
    pub accounts: AccountsConfig,
    pub hashing: HashingConfig,
    pub lockout: LockoutConfig,
    pub throttle: ThrottleConfig,
    pub session: SessionConfig,
    pub reset: ResetConfig,
    /// `policy.*`: see `latchkey_core::policy::PolicySettings` and docs/configuration.md.
    pub policy: PolicySettings,
    /// `recovery.*`: see `latchkey_core::recovery::RecoverySettings`.
    pub recovery: RecoverySettings,
    pub smtp: SmtpConfig,
    pub templates: TemplatesConfig,
    /// `idm.enabled`: the ForgeRock IDM surface under `/openidm`. Default true.
    pub idm: SurfaceConfig,
    /// `ping.enabled`: the PingDirectory surface under `/directory/v1`. Default true.
    pub ping: SurfaceConfig,
    /// `scim.enabled`: IBM Verify's `/v2.0/Me/password` (and SCIM 2.0 later). Default true.
    pub scim: SurfaceConfig,
    /// `adaxes.*`: the Adaxes surface under `/restApi/api`.
    pub adaxes: AdaxesConfig,
    pub log: LogConfig,
    /// `http.*`: how long a client may take and how many connections it may hold.
    pub http: HttpConfig,
    /// `metrics.listen`: serve `/metrics` on this address only (not on `listen`).
    pub metrics: MetricsConfig,
    /// `housekeeping.interval`: how often expired records are swept.
    pub housekeeping: HousekeepingConfig,
    /// `outbox.keep`: how long delivered notifications are kept.
    pub outbox: OutboxConfig,
    /// `audit.retention`: how long audit events are kept.
    pub audit: AuditConfig,
    /// `ui.*`: the web pages for people under `/ui`.
    pub ui: UiConfig,
    /// `directory.*`: an LDAP directory whose accounts Latchkey fronts.
    pub directory: crate::directory::DirectoryConfig,
}

/// `ui.site_name`, `ui.logo_file`: the operator's name and logo on every page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Default `Latchkey`.
    pub site_name: String,
    /// A PNG, JPEG, WebP or SVG file of at most 1 MiB. Default none.
    pub logo_file: Option<PathBuf>,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            site_name: "Latchkey".into(),
            logo_file: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HousekeepingConfig {
    /// Default `10m`.
    #[serde(with = "duration")]
    pub interval: Duration,
}

impl Default for HousekeepingConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(600),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// Default `7d`.
    #[serde(with = "duration")]
    pub keep: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            keep: CoreSettings::default().outbox_keep,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Default `400d`; `0` keeps audit events forever.
    #[serde(with = "duration")]
    pub retention: Duration,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            retention: Duration::from_secs(400 * 86_400),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// A separate address for `/metrics` (e.g. `127.0.0.1:9090`); default none: `/metrics`
    /// on `listen`.
    pub listen: Option<SocketAddr>,
}

/// Limits that keep slow or greedy clients from holding the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Time to receive a request's headers. Default `10s`.
    #[serde(with = "duration")]
    pub header_timeout: Duration,
    /// Time to receive a request's body. Default `30s`.
    #[serde(with = "duration")]
    pub body_timeout: Duration,
    /// Open connections at once; more are closed as they arrive. Default 4096.
    pub max_connections: usize,
    /// Open connections from one client address at once. Default 256.
    pub max_connections_per_ip: usize,
    /// On SIGTERM: how long open requests may finish before the connections close.
    /// Default `10s`.
    #[serde(with = "duration")]
    pub shutdown_grace: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 4096,
            max_connections_per_ip: 256,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// `adaxes.enabled` (default true); `adaxes.allow_change_password` (default false: the
/// Adaxes `changePassword` operation is refused, as the Adaxes server ships).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdaxesConfig {
    pub enabled: bool,
    pub allow_change_password: bool,
}

impl Default for AdaxesConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            allow_change_password: false,
        }
    }
}

/// A compatibility surface's switch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurfaceConfig {
    pub enabled: bool,
}

impl Default for SurfaceConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: vec![],
            database: DatabaseConfig::default(),
            accounts: AccountsConfig::default(),
            hashing: HashingConfig::default(),
            lockout: LockoutConfig::default(),
            throttle: ThrottleConfig::default(),
            session: SessionConfig::default(),
            reset: ResetConfig::default(),
            policy: PolicySettings::default(),
            recovery: RecoverySettings::default(),
            smtp: SmtpConfig::default(),
            templates: TemplatesConfig::default(),
            idm: SurfaceConfig::default(),
            ping: SurfaceConfig::default(),
            scim: SurfaceConfig::default(),
            adaxes: AdaxesConfig::default(),
            log: LogConfig::default(),
            http: HttpConfig::default(),
            metrics: MetricsConfig::default(),
            housekeeping: HousekeepingConfig::default(),
            outbox: OutboxConfig::default(),
            audit: AuditConfig::default(),
            ui: UiConfig::default(),
            directory: Default::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Default `sqlite://latchkey.db` (in the working directory).
    pub url: DatabaseUrl,
    /// A file holding the URL (it may carry a password); read into `url`.
    pub url_file: Option<PathBuf>,
    /// Connections this node keeps open. Default 8.
    pub max_connections: u32,
    /// How long a request waits for a connection before it is answered 503 with
    /// `Retry-After` (a database outage never hangs a request longer). Default `5s`.
    #[serde(with = "duration")]
    pub acquire_timeout: Duration,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        let pool = latchkey_store::PoolSettings::default();
        Self {
            url: DatabaseUrl("sqlite://latchkey.db".into()),
            url_file: None,
            max_connections: pool.max_connections,
            acquire_timeout: pool.acquire_timeout,
        }
    }
}

impl DatabaseConfig {
    pub fn pool(&self) -> latchkey_store::PoolSettings {
        latchkey_store::PoolSettings {
            max_connections: self.max_connections,
            acquire_timeout: self.acquire_timeout,
        }
    }
}

/// A database URL; its password never prints.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl DatabaseUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn redacted(&self) -> String {
        match (self.0.find("://"), self.0.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let userinfo = &self.0[scheme + 3..at];
                let user = userinfo.split(':').next().unwrap_or_default();
                format!(
                    "{}{}:[redacted]{}",
                    &self.0[..scheme + 3],
                    user,
                    &self.0[at..]
                )
            }
            _ => self.0.clone(),
        }
    }

    /// The directory of a SQLite database file (where `initial-admin-password` goes).
    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        let rest = self
            .0
            .strip_prefix("sqlite://")
            .or_else(|| self.0.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or(rest);
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        let parent = Path::new(path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Some(if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent
        })
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsConfig {
    /// Default `uid={userName},ou=People,dc=example,dc=com`.
    pub dn_template: String,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            dn_template: CoreSettings::default().dn_template,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HashingConfig {
    /// Argon2id memory in KiB. Default 19456.
    pub memory_kib: u32,
    /// Default 2.
    pub iterations: u32,
    /// Default 1.
    pub parallelism: u32,
    /// Hashes running at once. Default: the number of cores.
    pub max_concurrent: usize,
    /// Requests waiting for a hashing slot; beyond, 503. Default 64.
    pub max_queue: usize,
}

impl Default for HashingConfig {
    fn default() -> Self {
        let p = HashingParams::default();
        let core = CoreSettings::default();
        Self {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
            max_concurrent: core.hash_max_concurrent,
            max_queue: core.hash_max_queue,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockoutConfig {
    /// Default 5.
    pub max_failures: u32,
    /// Default `15m`.
    #[serde(with = "duration")]
    pub window: Duration,
    /// Default `15m`.
    #[serde(with = "duration")]
    pub duration: Duration,
}

impl Default for LockoutConfig {
    fn default() -> Self {
        let l = LockoutSettings::default();
        Self {
            max_failures: l.max_failures,
            window: l.window,
            duration: l.duration,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleConfig {
    /// Requests per client IP per minute on credential-checking endpoints. Default 60.
    pub per_ip_per_minute: u32,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            per_ip_per_minute: 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Default `8h`.
    #[serde(with = "duration")]
    pub ttl: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            ttl: CoreSettings::default().session_ttl,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResetConfig {
    /// Default false; true: a reset can only generate the password.
    pub strict: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    #[default]
    Starttls,
    Tls,
}

/// `smtp.*`: where notifications go. Without `host`, nothing is sent and the outbox keeps
/// every message until a host is configured.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    pub host: Option<String>,
    /// Default 25.
    pub port: u16,
    /// `none`, `starttls` (default) or `tls`.
    pub tls: SmtpTls,
    pub username: Option<String>,
    /// Never printed; `password_file` reads it from a file instead.
    #[serde(serialize_with = "redact")]
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    /// Default `Latchkey <latchkey@localhost>`.
    pub from: String,
    /// First retry after a failed delivery, doubling up to an hour. Default `5s`.
    #[serde(with = "duration")]
    pub retry_initial: Duration,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: 25,
            tls: SmtpTls::Starttls,
            username: None,
            password: None,
            password_file: None,
            from: "Latchkey <latchkey@localhost>".into(),
            retry_initial: Duration::from_secs(5),
        }
    }
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("password_file", &self.password_file)
            .field("from", &self.from)
            .finish()
    }
}

pub(crate) fn redact<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_str("[redacted]"),
        None => s.serialize_none(),
    }
}

/// `templates.dir`: a directory whose `<type>.<locale>.txt` files override the built-in
/// notification templates.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TemplatesConfig {
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Pretty on a terminal, JSON otherwise.
    #[default]
    Auto,
    Json,
    Pretty,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
}

/// An absolute `http://` or `https://` URL with a host (links in mail are built on it).
fn public_url(raw: &str) -> Result<(), String> {
    let uri: axum::http::Uri = raw.parse().map_err(|_| format!("'{raw}' is not a URL"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(h)) if !h.is_empty() => Ok(()),
        _ => Err(format!(
            "'{raw}' is not an absolute http:// or https:// URL"
        )),
    }
}

impl Config {
    /// Defaults, then the file (if any), then the environment (`LATCHKEY_CONFIG`, which
    /// names the file, is not a key); then the `*_file` keys read into their secrets.
    /// Errors name the key as written (`lockout.windw`), with a suggestion for a mistyped
    /// one and the file's line where it has one.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            if !f.exists() {
                anyhow::bail!("configuration file {} not found", f.display());
            }
            fig = fig.merge(Toml::file(f));
        }
        let mut config: Config = fig
            .merge(Env::prefixed("LATCHKEY_").ignore(&["CONFIG"]).split("__"))
            .extract()
            .map_err(|e| anyhow::anyhow!(crate::config_errors::describe(&e, file)))?;
        config.read_secret_files()?;
        Ok(config)
    }

    /// `database.url_file`, `recovery.token_keys_file`, `smtp.password_file`: the file
    /// stands for the key (whose value must then be unset).
    fn read_secret_files(&mut self) -> anyhow::Result<()> {
        let read = |key: &str, path: &Path| {
            std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{key}: cannot read {}: {e}", path.display()))
        };
        if let Some(path) = &self.database.url_file {
            self.database.url = DatabaseUrl(read("database.url_file", path)?.trim().to_owned());
        }
        if let Some(path) = &self.recovery.token_keys_file {
            if !self.recovery.token_keys.is_empty() {
                anyhow::bail!("recovery.token_keys_file: give the keys or the file, not both");
            }
            self.recovery.token_keys = read("recovery.token_keys_file", path)?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(path) = &self.smtp.password_file {
            if self.smtp.password.is_some() {
                anyhow::bail!("smtp.password_file: give the password or the file, not both");
            }
            let pw = read("smtp.password_file", path)?;
            self.smtp.password = Some(pw.trim_end().to_owned());
        }
        self.directory.read_secret_file()
    }

    /// Everything `serve` refuses, checked without binding a port or opening the
    /// database: `serve` and `config check` both call it, so a configuration that passes
    /// the check starts. Every problem is named, not only the first.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut problems: Vec<String> = vec![];
        if let Err(e) = latchkey_core::policy::Policies::build(
            &self.policy,
            &crate::policy_files::DiskPolicyFiles::default(),
        ) {
            problems.push(e.0);
        }
        problems.extend(self.directory.problems());
        if let Err(e) = self.recovery.validate() {
            problems.push(e);
        }
        if let Err(e) = latchkey_store::check_url(self.database.url.expose()) {
            problems.push(format!("database.url: {e}"));
        }
        if let Err(e) = public_url(&self.public_url) {
            problems.push(format!("public_url: {e}"));
        }
        if let Err(e) = crate::notify::Mailer::from_config(self) {
            problems.push(format!("{e:#}"));
        }
        if let Err(e) = crate::http::ui::Site::from_config(self) {
            problems.push(format!("{e:#}"));
        }
        if self.http.max_connections == 0 || self.http.max_connections_per_ip == 0 {
            problems
                .push("http.max_connections and http.max_connections_per_ip: at least 1".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("{}", problems.join("\n"))
        }
    }

    /// The settings of the core operations.
    pub fn core_settings(&self) -> CoreSettings {
        CoreSettings {
            hashing: HashingParams {
                memory_kib: self.hashing.memory_kib,
                iterations: self.hashing.iterations,
                parallelism: self.hashing.parallelism,
            },
            hash_max_concurrent: self.hashing.max_concurrent,
            hash_max_queue: self.hashing.max_queue,
            lockout: LockoutSettings {
                max_failures: self.lockout.max_failures,
                window: self.lockout.window,
                duration: self.lockout.duration,
            },
            session_ttl: self.session.ttl,
            reset_strict: self.reset.strict,
            policy: self.policy.clone(),
            dn_template: self.accounts.dn_template.clone(),
            recovery: self.recovery.clone(),
            outbox_keep: self.outbox.keep,
            audit_retention: (!self.audit.retention.is_zero()).then_some(self.audit.retention),
        }
    }

    /// The effective configuration as TOML, secrets redacted (`config check`).
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render: {e}"))
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail fixes the error type
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn defaults_are_the_spec_defaults() {
        let c = Config::default();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.lockout.max_failures, 5);
        assert_eq!(c.lockout.window, Duration::from_secs(900));
        assert_eq!(c.session.ttl, Duration::from_secs(8 * 3600));
        assert_eq!(c.hashing.memory_kib, 19456);
        assert_eq!(c.throttle.per_ip_per_minute, 60);
        assert_eq!(c.database.url.expose(), "sqlite://latchkey.db");
    }

    #[test]
    fn file_then_environment_override_the_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "l.toml",
                "listen = \"0.0.0.0:9000\"\n[lockout]\nwindow = \"30m\"\nmax_failures = 3\n",
            )?;
            jail.set_env("LATCHKEY_LOCKOUT__MAX_FAILURES", "7");
            jail.set_env("LATCHKEY_SESSION__TTL", "1h");
            let c = Config::load(Some(Path::new("l.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9000);
            assert_eq!(c.lockout.window, Duration::from_secs(1800));
            assert_eq!(c.lockout.max_failures, 7);
            assert_eq!(c.session.ttl, Duration::from_secs(3600));
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_in_the_file_is_named() {
        Jail::expect_with(|jail| {
            jail.create_file("l.toml", "[lockout]\nmax_failure = 3\n")?;
            let err = Config::load(Some(Path::new("l.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.contains("max_failure"), "{err}");
            assert!(
                err.contains("unknown key 'lockout.max_failure'; did you mean 'lockout.max_failures'? (l.toml line 2)"),
                "{err}"
            );
            assert!(!err.contains("default."), "{err}");
            Ok(())
        });
    }

    #[test]
    fn latchkey_config_names_the_file_and_is_not_a_key() {
        Jail::expect_with(|jail| {
            jail.set_env("LATCHKEY_CONFIG", "elsewhere.toml");
            assert!(Config::load(None).is_ok());
            Ok(())
        });
    }

    #[test]
    fn secret_files_stand_for_their_keys() {
        Jail::expect_with(|jail| {
            jail.create_file("db-url", "postgres://lk:s3cr3t@db/lk\n")?;
            jail.create_file("keys", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n")?;
            jail.set_env("LATCHKEY_DATABASE__URL_FILE", "db-url");
            jail.set_env("LATCHKEY_RECOVERY__TOKEN_KEYS_FILE", "keys");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(c.database.url.expose(), "postgres://lk:s3cr3t@db/lk");
            assert_eq!(c.recovery.token_keys.len(), 1);
            jail.set_env("LATCHKEY_RECOVERY__TOKEN_KEYS_FILE", "missing");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(
                err.contains("recovery.token_keys_file: cannot read missing"),
                "{err}"
            );
            jail.set_env("LATCHKEY_RECOVERY__TOKEN_KEYS_FILE", "keys");
            jail.set_env("LATCHKEY_SMTP__PASSWORD_FILE", "no-such-file");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(
                err.contains("smtp.password_file: cannot read no-such-file"),
                "{err}"
            );
            Ok(())
        });
    }

    #[tokio::test]
    async fn what_serve_refuses_the_check_refuses_naming_each_key() {
        let mut c = Config {
            public_url: "not a url".into(),
            ..Default::default()
        };
        c.database.url = DatabaseUrl("ldap://directory".into());
        c.recovery.stages = vec![
            latchkey_core::recovery::Stage::UserQuery,
            latchkey_core::recovery::Stage::Kba,
            latchkey_core::recovery::Stage::EmailValidation,
            latchkey_core::recovery::Stage::Reset,
        ];
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("must come after emailValidation"), "{err}");
        for key in ["public_url", "database.url", "recovery.stages"] {
            assert!(err.contains(key), "{key}: {err}");
        }
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn an_unknown_environment_key_is_named() {
        Jail::expect_with(|jail| {
            jail.set_env("LATCHKEY_HASHING__MEMORY", "1");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("memory"), "{err}");
            assert!(err.contains("LATCHKEY_HASHING__MEMORY"), "{err}");
            assert!(err.contains("did you mean 'hashing.memory_kib'"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn the_database_password_never_prints() {
        let url = DatabaseUrl("postgres://lk:s3cr3t@db:5432/lk".into());
        assert!(!format!("{url:?}").contains("s3cr3t"));
        let c = Config {
            database: DatabaseConfig {
                url,
                ..Default::default()
            },
            ..Default::default()
        };
        let shown = c.to_redacted_toml();
        assert!(
            !shown.contains("s3cr3t") && shown.contains("postgres://lk:[redacted]@db:5432/lk"),
            "{shown}"
        );
    }

    #[test]
    fn the_sqlite_directory_is_found() {
        assert_eq!(
            DatabaseUrl("sqlite://latchkey.db".into()).sqlite_dir(),
            Some(PathBuf::from("."))
        );
        assert_eq!(
            DatabaseUrl("sqlite:///var/lib/lk/x.db?mode=rwc".into()).sqlite_dir(),
            Some(PathBuf::from("/var/lib/lk"))
        );
        assert_eq!(DatabaseUrl("sqlite::memory:".into()).sqlite_dir(), None);
    }
}
