//! Bulk import: accounts with their existing hashes (CSV or LDIF, read by the CLI), each
//! line checked as an account creation is — user name, DN, profile, roles, the hash's
//! form and cost bounds — and kept identities (`id`, `sid`, `passwordChangedAt`) checked
//! too; then written in one transaction per batch through the account source.

use super::Latchkey;
use crate::CoreError;
use crate::audit::{AuditType, Outcome, RequestContext};
use crate::auth::{Permission, Principal};
use crate::domain::{AccountId, Dn, Profile, Role, Roles, Sid, UserName};
use crate::hashing::PasswordHash;
use crate::ports::{AccountChanges, AccountRecord, ImportWrite, NewAccount};
use std::collections::HashMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One account as an import file gives it.
#[derive(Debug, Clone, Default)]
pub struct ImportRecord {
    /// The line (CSV) or the entry's first line (LDIF), for messages.
    pub line: u64,
    pub id: Option<String>,
    pub user_name: String,
    pub dn: Option<String>,
    pub sid: Option<String>,
    pub profile: Profile,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub federated: bool,
    pub must_change_password: bool,
    pub password_never_expires: bool,
    pub cannot_change_password: bool,
    /// Any form [`PasswordHash::parse`] reads, within the import cost bounds.
    pub password_hash: Option<String>,
    /// RFC 3339.
    pub password_changed_at: Option<String>,
}

/// What to do with a line whose user name (or id) is an existing account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    Skip,
    Update,
    /// Refuse the whole import (the CLI checks every line before writing any).
    Fail,
}

/// What became (or, in a dry run, would become) of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportAction {
    Create,
    Update,
    Skip,
    /// An existing account under `--on-existing fail`.
    Exists,
    Refused(String),
}

#[derive(Debug, Clone)]
pub struct ImportLine {
    pub line: u64,
    pub user_name: String,
    pub action: ImportAction,
}

/// The user names, ids, DNs and SIDs earlier lines of the same file claimed, so that a
/// repeat is refused naming the line it repeats (kept by the caller across batches).
#[derive(Debug, Default)]
pub struct ImportSeen(HashMap<String, u64>);

impl ImportSeen {
    fn claim(&mut self, keys: &[String], line: u64) -> Result<(), String> {
        if let Some((k, first)) = keys.iter().find_map(|k| self.0.get(k).map(|l| (k, *l))) {
            let what = k.split(':').next().unwrap_or("value");
            return Err(format!("{what} repeats line {first}"));
        }
        for k in keys {
            self.0.insert(k.clone(), line);
        }
        Ok(())
    }
}

/// A line checked: what becomes of it, and what it writes.
type Checked = (ImportAction, Option<ImportWrite>);

impl Latchkey {
    /// Checks (and unless `dry_run` writes, in one transaction) a batch of an import.
    pub async fn import_accounts(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        batch: Vec<ImportRecord>,
        on_existing: OnExisting,
        dry_run: bool,
        seen: &mut ImportSeen,
    ) -> Result<Vec<ImportLine>, CoreError> {
        self.authorize(principal, Permission::WriteAccounts)?;
        if !self.accounts.capabilities().create {
            return Err(CoreError::Refused(
                "the account source does not create accounts, so it imports none",
            ));
        }
        let mut lines = Vec::with_capacity(batch.len());
        let mut writes = Vec::new();
        for record in batch {
            let (line, user_name) = (record.line, record.user_name.clone());
            let action = match self
                .check_import(ctx, principal, record, on_existing, seen)
                .await?
            {
                Ok((action, write)) => {
                    writes.extend(write);
                    action
                }
                Err(reason) => ImportAction::Refused(reason),
            };
            lines.push(ImportLine {
                line,
                user_name,
                action,
            });
        }
        if !dry_run && !writes.is_empty() {
            let events = writes
                .iter()
                .map(|w| match w {
                    ImportWrite::Create(new) => new.audit.clone(),
                    ImportWrite::Update { audit, .. } => audit.clone(),
                })
                .collect();
            self.stored(events, self.accounts.import_accounts(writes, self.domain))
                .await?;
        }
        Ok(lines)
    }

    /// One line: `Err` is the reason it is refused.
    async fn check_import(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        r: ImportRecord,
        on_existing: OnExisting,
        seen: &mut ImportSeen,
    ) -> Result<Result<Checked, String>, CoreError> {
        let user_name = match UserName::parse(&r.user_name) {
            Ok(u) => u,
            Err(e) => return Ok(Err(format!("userName: {e}"))),
        };
        let roles = Roles::new(r.roles.clone());
        if roles.iter().any(|x| x != Role::User) && !principal.has_admin_power() {
            return Ok(Err(
                "only an administrator grants the helpdesk or admin role".into(),
            ));
        }
        if let Err(e) = r.profile.check() {
            return Ok(Err(e.to_string()));
        }
        let dn = match &r.dn {
            Some(raw) => Dn::parse(raw),
            None => Dn::from_template(&self.settings.dn_template, user_name.as_str()),
        };
        let dn = match dn {
            Ok(dn) => dn,
            Err(e) => return Ok(Err(format!("dn: {e}"))),
        };
        let id = match r.id.as_deref().map(uuid::Uuid::parse_str).transpose() {
            Ok(id) => id,
            Err(_) => return Ok(Err("id: not a UUID".into())),
        };
        let sid = match r.sid.as_deref().map(Sid::parse).transpose() {
            Ok(sid) => sid,
            Err(e) => return Ok(Err(format!("sid: {e}"))),
        };
        let changed_at = match r
            .password_changed_at
            .as_deref()
            .map(|t| OffsetDateTime::parse(t, &Rfc3339))
            .transpose()
        {
            Ok(t) => t,
            Err(_) => return Ok(Err("passwordChangedAt: not an RFC 3339 time".into())),
        };
        let hash = match r
            .password_hash
            .as_deref()
            .map(|h| PasswordHash::parse_imported(h, &self.settings.hashing))
        {
            None => None,
            Some(Ok(_)) if r.federated => {
                return Ok(Err("a federated account has no local password".into()));
            }
            Some(Ok(h)) => Some(h),
            Some(Err(e)) => return Ok(Err(format!("passwordHash: {e}"))),
        };
        let mut keys = vec![format!("userName:{}", user_name.lookup_key())];
        keys.push(format!("dn:{}", dn.normalized()));
        keys.extend(id.map(|i| format!("id:{i}")));
        keys.extend(sid.as_ref().map(|s| format!("sid:{s}")));
        if let Err(reason) = seen.claim(&keys, r.line) {
            return Ok(Err(reason));
        }

        let by_name = self
            .accounts
            .account_by_user_name(&user_name.lookup_key())
            .await?;
        let by_id = match id {
            Some(id) => self.accounts.account_by_id(id).await?,
            None => None,
        };
        let existing = match (by_name, by_id) {
            (Some(a), Some(b)) if a.account.id != b.account.id => {
                return Ok(Err("id belongs to another account than userName".into()));
            }
            (Some(a), _) | (None, Some(a)) => Some(a),
            (None, None) => None,
        };
        // A DN or SID another account holds would break the write for the whole batch.
        let others = |found: Option<AccountRecord>| {
            found.is_some_and(|f| {
                existing
                    .as_ref()
                    .is_none_or(|e| e.account.id != f.account.id)
            })
        };
        if others(self.accounts.account_by_dn(&dn).await?) {
            return Ok(Err("dn: another account has it".into()));
        }
        if let Some(sid) = &sid
            && others(self.accounts.account_by_sid(sid).await?)
        {
            return Ok(Err("sid: another account has it".into()));
        }

        let now = self.clock.now();
        let event = |kind, target: AccountId| {
            self.event(
                ctx,
                kind,
                principal,
                Some(target),
                Outcome::Success,
                Some("import"),
            )
        };
        let Some(existing) = existing else {
            let id = id.unwrap_or_else(uuid::Uuid::new_v4);
            let new = NewAccount {
                id,
                user_name,
                dn,
                profile: r.profile,
                roles,
                federated: r.federated,
                hash,
                plain: None,
                provisioned: false,
                disabled: r.disabled,
                must_change_password: r.must_change_password,
                password_never_expires: r.password_never_expires,
                cannot_change_password: r.cannot_change_password,
                created_at: now,
                sid,
                password_changed_at: changed_at,
                audit: event(AuditType::AccountCreate, id),
            };
            return Ok(Ok((ImportAction::Create, Some(ImportWrite::Create(new)))));
        };
        let target = existing.account;
        Ok(Ok(match on_existing {
            OnExisting::Skip => (ImportAction::Skip, None),
            OnExisting::Fail => (ImportAction::Exists, None),
            OnExisting::Update if target.roles.is_admin() && !principal.has_admin_power() => {
                return Ok(Err("only an administrator changes an administrator".into()));
            }
            OnExisting::Update if sid.as_ref().is_some_and(|s| Some(s) != target.sid.as_ref()) => {
                return Ok(Err("sid: differs from the existing account's".into()));
            }
            OnExisting::Update => (
                ImportAction::Update,
                Some(ImportWrite::Update {
                    id: target.id,
                    changes: AccountChanges {
                        user_name: Some(user_name),
                        dn: Some(dn),
                        profile: Some(r.profile),
                        roles: Some(roles),
                        disabled: Some(r.disabled),
                        federated: Some(r.federated),
                        must_change_password: Some(r.must_change_password),
                        password_never_expires: Some(r.password_never_expires),
                        cannot_change_password: Some(r.cannot_change_password),
                    },
                    hash,
                    password_changed_at: changed_at,
                    history_keep: super::password::HISTORY_RETAINED,
                    audit: event(AuditType::AccountUpdate, target.id),
                }),
            ),
        }))
    }
}
