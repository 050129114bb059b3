//! The directory client: pooled connections (one pool bound as the service account for
//! reads and resets, one for the users' own binds), lookups, proofs by bind, password
//! modify, unlock and group membership.

use crate::active_directory as ad;
use crate::config::{DirectoryConfig, DirectoryKind};
use crate::entry::Entry;
use crate::filter;
use crate::pool::{Loan, Pool};
use crate::ppolicy::{self, PolicyError};
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::controls::RawControl;
use ldap3::exop::PasswordModify;
use ldap3::{
    Ldap, LdapConnAsync, LdapConnSettings, LdapError, LdapResult, Mod, Scope, SearchEntry,
};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

/// Entries per page of a list.
const PAGE: i32 = 200;

/// LDAP result codes this client reads.
pub(crate) const SUCCESS: u32 = 0;
const SIZE_LIMIT_EXCEEDED: u32 = 4;
const CONSTRAINT_VIOLATION: u32 = 19;
pub(crate) const NO_SUCH_OBJECT: u32 = 32;
const INVALID_CREDENTIALS: u32 = 49;
pub(crate) const INSUFFICIENT_ACCESS: u32 = 50;
pub(crate) const UNWILLING_TO_PERFORM: u32 = 53;

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The directory cannot be reached or does not answer in time (retry later).
    #[error("the directory is unavailable: {0}")]
    Unavailable(String),
    /// An answer this client does not expect (the text is the directory's).
    #[error("the directory answered {rc}: {text}")]
    Unexpected { rc: u32, text: String },
    /// More than one entry matched what must name one.
    #[error("more than one directory entry matches")]
    Ambiguous,
    #[error("{0}")]
    Config(String),
}

/// What a bind as the user proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindOutcome {
    Bound,
    /// The password is right but may only be changed: after a reset (`changeAfterReset`),
    /// or expired with grace binds left.
    ChangeOnly {
        expired: bool,
    },
    Wrong,
    /// Locked by the directory's own policy.
    Locked,
    /// Expired without grace binds: the owner cannot change it (recovery can).
    Expired,
    /// Disabled in the directory (AD `533`).
    Disabled,
    /// The account (not its password) has expired (AD `701`).
    AccountExpired,
}

/// Why the directory refused a new password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRefusal {
    /// The current password given with a self change is wrong.
    WrongOld,
    Locked,
    Expired,
    TooShort(String),
    InHistory(String),
    TooYoung(String),
    /// Too few kinds of characters (AD's complexity rule).
    Complexity(String),
    Quality(String),
    NotAllowed(String),
    Other(String),
}

pub struct Directory {
    config: DirectoryConfig,
    settings: LdapConnSettings,
    service: Pool,
    binds: Pool,
    /// Where an unknown name's bind goes: the configured decoy entry, or a DN under the
    /// user base that no entry has.
    decoy_dn: String,
}

fn unavailable(e: LdapError) -> DirectoryError {
    DirectoryError::Unavailable(e.to_string())
}

fn policy_control() -> RawControl {
    RawControl {
        ctype: ppolicy::OID.to_owned(),
        crit: false,
        val: None,
    }
}

fn policy_answer(r: &LdapResult) -> ppolicy::Response {
    r.ctrls
        .iter()
        .find(|c| c.1.ctype == ppolicy::OID)
        .and_then(|c| c.1.val.as_deref())
        .and_then(ppolicy::parse)
        .unwrap_or_default()
}

impl Directory {
    /// Prepares the pools and checks that the service account can bind.
    pub async fn connect(config: DirectoryConfig) -> Result<Self, DirectoryError> {
        let dir = Self::new(config)?;
        drop(dir.service_conn().await?);
        Ok(dir)
    }

    /// Prepares the pools without a connection: the first operation opens one (a
    /// directory down at start is then an outage like any later one).
    pub fn new(config: DirectoryConfig) -> Result<Self, DirectoryError> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(config.timeout)
            .set_starttls(config.starttls);
        if config.tls_insecure {
            settings = settings.set_no_tls_verify(true);
        } else if let Some(ca) = &config.ca_file {
            settings = settings.set_config(Arc::new(tls_config(ca)?));
        }
        let decoy_dn = config.decoy_dn.clone().unwrap_or_else(|| {
            format!(
                "{}=latchkey-decoy-{},{}",
                config.attributes.user_name,
                Uuid::new_v4().simple(),
                config.user_base
            )
        });
        let dir = Self {
            service: Pool::new(config.pool_size),
            binds: Pool::new(config.pool_size),
            config,
            settings,
            decoy_dn,
        };
        Ok(dir)
    }

    pub fn config(&self) -> &DirectoryConfig {
        &self.config
    }

    /// Where an unknown name's bind goes (see [`DirectoryConfig::decoy_dn`]).
    pub fn decoy_dn(&self) -> &str {
        &self.decoy_dn
    }

    async fn open(&self) -> Result<Ldap, DirectoryError> {
        let (conn, ldap) = LdapConnAsync::with_settings(self.settings.clone(), &self.config.url)
            .await
            .map_err(unavailable)?;
        tokio::spawn(async move {
            if let Err(e) = conn.drive().await {
                tracing::debug!(error = %e, "a directory connection ended");
            }
        });
        Ok(ldap)
    }

    /// The loaned connection, its next operation bounded by `timeout` (ldap3's timeout
    /// holds for one operation only; a timed-out connection is dropped by [`Self::fail`]).
    pub(crate) fn timed<'l>(&self, loan: &'l mut Loan<'_>) -> &'l mut Ldap {
        let ldap = loan.ldap.as_mut().expect("a loan holds an open connection");
        ldap.with_timeout(self.config.timeout);
        ldap
    }

    /// A connection bound as the service account.
    pub(crate) async fn service_conn(&self) -> Result<Loan<'_>, DirectoryError> {
        let mut loan = self.service.take().await;
        if loan.ldap.is_none() {
            let mut ldap = self.open().await?;
            let r = ldap
                .with_timeout(self.config.timeout)
                .simple_bind(&self.config.bind_dn, &self.config.bind_password)
                .await
                .map_err(unavailable)?;
            if r.rc != SUCCESS {
                return Err(DirectoryError::Config(format!(
                    "directory.bind_dn: the service account cannot bind ({}: {})",
                    r.rc, r.text
                )));
            }
            loan.ldap = Some(ldap);
        }
        Ok(loan)
    }

    /// A connection for a user's bind (whoever it was last bound as).
    async fn bind_conn(&self) -> Result<Loan<'_>, DirectoryError> {
        let mut loan = self.binds.take().await;
        if loan.ldap.is_none() {
            loan.ldap = Some(self.open().await?);
        }
        Ok(loan)
    }

    /// Which kind of directory answers, from its root DSE, read without a bind (AD
    /// refuses a simple bind over a plain connection, and a plain URL to AD is what this
    /// is asked to catch).
    pub async fn detect_kind(&self) -> Result<DirectoryKind, DirectoryError> {
        let mut loan = self.binds.take().await;
        loan.ldap = Some(self.open().await?);
        let ldap = self.timed(&mut loan);
        let r = ldap
            .search(
                "",
                Scope::Base,
                "(objectClass=*)",
                vec!["supportedCapabilities", "vendorName"],
            )
            .await;
        let (entries, _) = match r {
            Ok(r) => r.success().map_err(|e| self.fail(&mut loan, e))?,
            Err(e) => return Err(self.fail(&mut loan, e)),
        };
        let ad = entries.into_iter().map(SearchEntry::construct).any(|e| {
            e.attrs
                .get("supportedCapabilities")
                .is_some_and(|c| c.iter().any(|v| v == "1.2.840.113556.1.4.800"))
        });
        Ok(if ad {
            DirectoryKind::ActiveDirectory
        } else {
            DirectoryKind::OpenLdap
        })
    }

    /// A connection-level failure drops the connection; anything else keeps it.
    pub(crate) fn fail(&self, loan: &mut Loan<'_>, e: LdapError) -> DirectoryError {
        match e {
            LdapError::LdapResult { result } => DirectoryError::Unexpected {
                rc: result.rc,
                text: result.text,
            },
            other => {
                loan.discard();
                unavailable(other)
            }
        }
    }

    /// The one user entry at `base`/`scope` matching `filter`, if any, found so that a
    /// name no entry has costs what an existing one does. A directory builds and sends a
    /// found entry, which answering "none" does not (AD also computes some of its
    /// attributes: +0.9 ms): so the search asks for no attributes (a found entry comes
    /// back as its DN alone), then the entry found — or, when none matched, the decoy
    /// entry — is read in full by its DN, the same read either way (measured:
    /// docs/benchmarks.md).
    async fn search_one(
        &self,
        base: &str,
        scope: Scope,
        filter: &str,
    ) -> Result<Option<Entry>, DirectoryError> {
        let found = self.entries(base, scope, filter, vec!["1.1"]).await?;
        if found.len() > 1 {
            return Err(DirectoryError::Ambiguous);
        }
        let dn = found.into_iter().next().map(|e| e.dn);
        let at = dn.as_deref().unwrap_or(&self.decoy_dn);
        let read = self
            .entries(
                at,
                Scope::Base,
                "(objectClass=*)",
                Entry::requested(&self.config),
            )
            .await?
            .into_iter()
            .next()
            .and_then(|e| Entry::read(e, &self.config));
        Ok(read.filter(|_| dn.is_some()))
    }

    /// The entries at `base`/`scope` matching `filter`, with `attrs` (none for a `base`
    /// that does not exist).
    async fn entries<A: AsRef<str> + Send + Sync>(
        &self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: Vec<A>,
    ) -> Result<Vec<SearchEntry>, DirectoryError> {
        let mut loan = self.service_conn().await?;
        let ldap = self.timed(&mut loan);
        let r = match ldap.search(base, scope, filter, attrs).await {
            Ok(r) => r,
            Err(e) => return Err(self.fail(&mut loan, e)),
        };
        match r.1.rc {
            SUCCESS => Ok(r.0.into_iter().map(SearchEntry::construct).collect()),
            NO_SUCH_OBJECT => Ok(Vec::new()),
            rc => Err(DirectoryError::Unexpected { rc, text: r.1.text }),
        }
    }

    /// The entry with this user name (AD: its `sAMAccountName` or `userPrincipalName`).
    pub async fn find_by_user_name(&self, name: &str) -> Result<Option<Entry>, DirectoryError> {
        let c = &self.config;
        let f = match c.kind {
            DirectoryKind::OpenLdap => {
                filter::and_equals(&c.user_filter, &c.attributes.user_name, name)
            }
            DirectoryKind::ActiveDirectory => {
                let v = filter::escape(name);
                format!(
                    "(&{}(|({}={v})(userPrincipalName={v})))",
                    c.user_filter, c.attributes.user_name
                )
            }
        };
        self.search_one(&c.user_base, Scope::Subtree, &f).await
    }

    pub async fn find_by_id(&self, id: Uuid) -> Result<Option<Entry>, DirectoryError> {
        let c = &self.config;
        let f = match c.kind {
            DirectoryKind::OpenLdap => {
                filter::and_equals(&c.user_filter, &c.attributes.stable_id, &id.to_string())
            }
            DirectoryKind::ActiveDirectory => format!(
                "(&{}({}={}))",
                c.user_filter,
                c.attributes.stable_id,
                ad::guid_filter_value(id)
            ),
        };
        self.search_one(&c.user_base, Scope::Subtree, &f).await
    }

    /// The entry with this SID (`S-1-5-21-…`; AD only: other directories have none).
    pub async fn find_by_sid(&self, sid: &str) -> Result<Option<Entry>, DirectoryError> {
        if self.config.kind != DirectoryKind::ActiveDirectory {
            return Ok(None);
        }
        let f = filter::and_equals(&self.config.user_filter, "objectSid", sid);
        self.search_one(&self.config.user_base, Scope::Subtree, &f)
            .await
    }

    /// The entry at `dn`, if it is a user entry under the user base.
    pub async fn find_by_dn(&self, dn: &str) -> Result<Option<Entry>, DirectoryError> {
        let under = dn
            .to_ascii_lowercase()
            .ends_with(&self.config.user_base.to_ascii_lowercase());
        if !under {
            return Ok(None);
        }
        self.search_one(dn, Scope::Base, &self.config.user_filter)
            .await
    }

    /// Every user entry matching `filter` (an LDAP filter the caller built from escaped
    /// values), at most `limit`, read in pages of [`PAGE`] (the simple paged results
    /// control, RFC 2696) so that the directory's size limit for one answer (500 on a
    /// default slapd) does not cut the list short.
    pub async fn search(&self, filter: &str, limit: usize) -> Result<Vec<Entry>, DirectoryError> {
        let mut loan = self.service_conn().await?;
        let attrs = Entry::requested(&self.config);
        let f = format!("(&{}{filter})", self.config.user_filter);
        let adapters: Vec<Box<dyn Adapter<'_, String, Vec<String>>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(PAGE)),
        ];
        let ldap = self.timed(&mut loan);
        let mut stream = match ldap
            .streaming_search_with(adapters, &self.config.user_base, Scope::Subtree, &f, attrs)
            .await
        {
            Ok(s) => s,
            Err(e) => return Err(self.fail(&mut loan, e)),
        };
        let (mut out, mut seen) = (vec![], 0usize);
        loop {
            match stream.next().await {
                Ok(Some(e)) => {
                    seen += 1;
                    if let Some(entry) = Entry::read(SearchEntry::construct(e), &self.config)
                        && out.len() < limit
                    {
                        out.push(entry);
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(self.fail(&mut loan, e)),
            }
        }
        let r = stream.finish().await;
        if r.rc == SIZE_LIMIT_EXCEEDED {
            return Err(DirectoryError::Config(format!(
                "directory.bind_dn: the directory lets the service account read only {} entries in one list; give it more (OpenLDAP: limits dn.exact=\"{}\" size.prtotal=unlimited)",
                seen, self.config.bind_dn
            )));
        }
        if r.rc != SUCCESS {
            return Err(DirectoryError::Unexpected {
                rc: r.rc,
                text: r.text,
            });
        }
        Ok(out)
    }

    /// One bind as `dn` (or, for a name no entry has, as the decoy DN: the same work,
    /// never a success). An empty password is never sent (it would be an anonymous bind).
    pub async fn bind(
        &self,
        dn: Option<&str>,
        password: &str,
    ) -> Result<BindOutcome, DirectoryError> {
        let mut loan = self.bind_conn().await?;
        self.bind_on(&mut loan, dn, password).await
    }

    async fn bind_on(
        &self,
        loan: &mut Loan<'_>,
        dn: Option<&str>,
        password: &str,
    ) -> Result<BindOutcome, DirectoryError> {
        let target = dn.unwrap_or(&self.decoy_dn);
        let sent = if password.is_empty() {
            "\u{1}"
        } else {
            password
        };
        let ad = self.config.kind == DirectoryKind::ActiveDirectory;
        let ldap = self.timed(loan);
        if !ad {
            ldap.with_controls(vec![policy_control()]);
        }
        let r = match ldap.simple_bind(target, sent).await {
            Ok(r) => r,
            Err(e) => return Err(self.fail(loan, e)),
        };
        // A bind as the decoy, or with no password, never proves anything.
        if dn.is_none() || password.is_empty() {
            return Ok(BindOutcome::Wrong);
        }
        if ad {
            return Ok(match r.rc {
                SUCCESS => BindOutcome::Bound,
                INVALID_CREDENTIALS => ad::bind_outcome(&r.text),
                rc => return Err(DirectoryError::Unexpected { rc, text: r.text }),
            });
        }
        let answer = policy_answer(&r);
        Ok(match (r.rc, answer.error) {
            (SUCCESS, Some(PolicyError::ChangeAfterReset)) => {
                BindOutcome::ChangeOnly { expired: false }
            }
            (SUCCESS, _) if answer.grace_remaining.is_some() => {
                BindOutcome::ChangeOnly { expired: true }
            }
            (SUCCESS, _) => BindOutcome::Bound,
            (INVALID_CREDENTIALS, Some(PolicyError::AccountLocked)) => BindOutcome::Locked,
            (INVALID_CREDENTIALS, Some(PolicyError::PasswordExpired)) => BindOutcome::Expired,
            (INVALID_CREDENTIALS, _) => BindOutcome::Wrong,
            (rc, _) => {
                return Err(DirectoryError::Unexpected { rc, text: r.text });
            }
        })
    }

    /// A self change: bound as the user with the current password, an RFC 3062 password
    /// modify with `oldPasswd` on the same connection, the password-policy control on
    /// both. AD: one modify removing the old `unicodePwd` and adding the new, by the
    /// service account (a user whose password must change or has expired cannot bind;
    /// AD still checks the old value, the proof).
    pub async fn change_password(
        &self,
        dn: &str,
        old: &str,
        new: &str,
    ) -> Result<Result<(), PasswordRefusal>, DirectoryError> {
        if self.config.kind == DirectoryKind::ActiveDirectory {
            let mut loan = self.service_conn().await?;
            let mods = ad::change_mods(old, new);
            return self.write_ad_password(&mut loan, dn, mods).await;
        }
        let mut loan = self.bind_conn().await?;
        match self.bind_on(&mut loan, Some(dn), old).await? {
            BindOutcome::Bound | BindOutcome::ChangeOnly { .. } => {}
            BindOutcome::Wrong => return Ok(Err(PasswordRefusal::WrongOld)),
            BindOutcome::Locked => return Ok(Err(PasswordRefusal::Locked)),
            BindOutcome::Expired => return Ok(Err(PasswordRefusal::Expired)),
            BindOutcome::Disabled | BindOutcome::AccountExpired => {
                return Ok(Err(PasswordRefusal::NotAllowed(
                    "the account is disabled in the directory".into(),
                )));
            }
        }
        let ldap = self.timed(&mut loan);
        let r = match ldap
            .with_controls(vec![policy_control()])
            .extended(PasswordModify {
                user_id: None,
                old_pass: Some(old),
                new_pass: Some(new),
            })
            .await
        {
            Ok(r) => r.1,
            Err(e) => return Err(self.fail(&mut loan, e)),
        };
        Ok(refusal(&r))
    }

    /// A reset by the service account: password modify without `oldPasswd`, then
    /// `pwdReset` set (the owner must change it) or cleared — or, with `None`, left as the
    /// directory's policy leaves it (`pwdMustChange`). AD: one modify replacing
    /// `unicodePwd`, with `pwdLastSet` 0 (must change) or -1 (need not).
    pub async fn reset_password(
        &self,
        dn: &str,
        new: &str,
        must_change: Option<bool>,
    ) -> Result<Result<(), PasswordRefusal>, DirectoryError> {
        let mut loan = self.service_conn().await?;
        if self.config.kind == DirectoryKind::ActiveDirectory {
            let mods = ad::reset_mods(new, must_change);
            return self.write_ad_password(&mut loan, dn, mods).await;
        }
        let ldap = self.timed(&mut loan);
        let r = match ldap
            .with_controls(vec![policy_control()])
            .extended(PasswordModify {
                user_id: Some(dn),
                old_pass: None,
                new_pass: Some(new),
            })
            .await
        {
            Ok(r) => r.1,
            Err(e) => return Err(self.fail(&mut loan, e)),
        };
        if let Err(refused) = refusal(&r) {
            return Ok(Err(refused));
        }
        let flag = match must_change {
            Some(true) => Mod::Replace("pwdReset", HashSet::from(["TRUE"])),
            Some(false) => Mod::Delete("pwdReset", HashSet::new()),
            None => return Ok(Ok(())),
        };
        self.modify(&mut loan, dn, vec![flag]).await?;
        Ok(Ok(()))
    }

    /// A `unicodePwd` write (AD): its refusal read from AD's code and reason.
    async fn write_ad_password(
        &self,
        loan: &mut Loan<'_>,
        dn: &str,
        mods: Vec<Mod<Vec<u8>>>,
    ) -> Result<Result<(), PasswordRefusal>, DirectoryError> {
        let ldap = self.timed(loan);
        let r = match ldap.modify(dn, mods).await {
            Ok(r) => r,
            Err(e) => return Err(self.fail(loan, e)),
        };
        Ok(match r.rc {
            SUCCESS => Ok(()),
            CONSTRAINT_VIOLATION => Err(ad::refusal(&r.text)),
            INSUFFICIENT_ACCESS | UNWILLING_TO_PERFORM => Err(PasswordRefusal::NotAllowed(r.text)),
            rc => return Err(DirectoryError::Unexpected { rc, text: r.text }),
        })
    }

    /// Lifts the directory's own lock.
    pub async fn unlock(&self, dn: &str) -> Result<(), DirectoryError> {
        let mut loan = self.service_conn().await?;
        let lift = match self.config.kind {
            DirectoryKind::OpenLdap => Mod::Delete("pwdAccountLockedTime", HashSet::new()),
            DirectoryKind::ActiveDirectory => Mod::Replace("lockoutTime", HashSet::from(["0"])),
        };
        self.modify(&mut loan, dn, vec![lift]).await
    }

    /// A modify by the service account; removing a value that is not there is no error.
    async fn modify<S: AsRef<[u8]> + Eq + std::hash::Hash>(
        &self,
        loan: &mut Loan<'_>,
        dn: &str,
        mods: Vec<Mod<S>>,
    ) -> Result<(), DirectoryError> {
        let ldap = self.timed(loan);
        let r = match ldap.modify(dn, mods).await {
            Ok(r) => r,
            Err(e) => return Err(self.fail(loan, e)),
        };
        // 16: noSuchAttribute (deleting what is not there).
        match r.rc {
            SUCCESS | 16 => Ok(()),
            rc => Err(DirectoryError::Unexpected { rc, text: r.text }),
        }
    }

    /// Whether the entry at `dn` is a member of the group at `group` (AD: also through
    /// nested groups).
    pub async fn is_member(&self, group: &str, dn: &str) -> Result<bool, DirectoryError> {
        let mut loan = self.service_conn().await?;
        let (base, f) = match self.config.kind {
            DirectoryKind::OpenLdap => (group, format!("(member={})", filter::escape(dn))),
            DirectoryKind::ActiveDirectory => (
                dn,
                format!("(memberOf:{}:={})", ad::IN_CHAIN, filter::escape(group)),
            ),
        };
        let ldap = self.timed(&mut loan);
        let r = match ldap.search(base, Scope::Base, &f, vec!["1.1"]).await {
            Ok(r) => r,
            Err(e) => return Err(self.fail(&mut loan, e)),
        };
        Ok(r.1.rc == SUCCESS && !r.0.is_empty())
    }

    /// The DNs (lowercased) the group at `group` names as `member`: an account list's
    /// roles, read once for the whole list.
    pub async fn members(&self, group: &str) -> Result<HashSet<String>, DirectoryError> {
        if self.config.kind == DirectoryKind::ActiveDirectory {
            let f = format!("(memberOf:{}:={})", ad::IN_CHAIN, filter::escape(group));
            let all = self.search(&f, usize::MAX).await?;
            return Ok(all.into_iter().map(|e| e.dn.to_ascii_lowercase()).collect());
        }
        let mut loan = self.service_conn().await?;
        let ldap = self.timed(&mut loan);
        let r = match ldap
            .search(group, Scope::Base, "(objectClass=*)", vec!["member"])
            .await
        {
            Ok(r) => r,
            Err(e) => return Err(self.fail(&mut loan, e)),
        };
        Ok(r.0
            .into_iter()
            .flat_map(|e| SearchEntry::construct(e).attrs.into_iter())
            .filter(|(k, _)| k.eq_ignore_ascii_case("member"))
            .flat_map(|(_, v)| v)
            .map(|dn| dn.to_ascii_lowercase())
            .collect())
    }
}

/// A password modify's answer as a refusal (or none).
fn refusal(r: &LdapResult) -> Result<(), PasswordRefusal> {
    if r.rc == SUCCESS {
        return Ok(());
    }
    let text = r.text.clone();
    Err(match (r.rc, policy_answer(r).error) {
        (_, Some(PolicyError::PasswordTooShort)) => PasswordRefusal::TooShort(text),
        (_, Some(PolicyError::PasswordInHistory)) => PasswordRefusal::InHistory(text),
        (_, Some(PolicyError::PasswordTooYoung)) => PasswordRefusal::TooYoung(text),
        (_, Some(PolicyError::InsufficientPasswordQuality)) => PasswordRefusal::Quality(text),
        (_, Some(PolicyError::PasswordExpired)) => PasswordRefusal::Expired,
        (_, Some(PolicyError::AccountLocked)) => PasswordRefusal::Locked,
        (INSUFFICIENT_ACCESS | UNWILLING_TO_PERFORM, _)
        | (_, Some(PolicyError::PasswordModNotAllowed | PolicyError::MustSupplyOldPassword)) => {
            PasswordRefusal::NotAllowed(text)
        }
        (INVALID_CREDENTIALS, _) => PasswordRefusal::WrongOld,
        _ => PasswordRefusal::Other(text),
    })
}

/// A TLS configuration trusting the CA certificates in a PEM file.
fn tls_config(path: &std::path::Path) -> Result<rustls::ClientConfig, DirectoryError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let bad =
        |e: String| DirectoryError::Config(format!("directory.ca_file: {}: {e}", path.display()));
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))? {
        roots
            .add(cert.map_err(|e| bad(e.to_string()))?)
            .map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad("no certificate in it".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
