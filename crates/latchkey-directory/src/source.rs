//! The directory as an account source: entries read, found and listed in the directory
//! (never copied), each merged with Latchkey's own row for it (revision, flags, lock,
//! history — [`ShadowRecords`], keyed by the entry's stable id); proofs by bind as the
//! user; password writes made in the directory, then their effects committed beside it
//! (see [`crate::intent`] for what a node killed in between leaves).

use crate::client::{BindOutcome, Directory, DirectoryError, PasswordRefusal};
use crate::crash_point;
use crate::entry::Entry;
use crate::filter;
use crate::intent::Intents;
use crate::provision::{EntryRefusal, NewEntry};
use async_trait::async_trait;
use latchkey_core::audit::AuditEvent;
use latchkey_core::domain::{
    Account, AccountId, Dn, Password, Profile, Role, Roles, Sid, UserName,
};
use latchkey_core::hashing::PasswordHash;
use latchkey_core::ports::{
    AccountChanges, AccountFilter, AccountRecord, AccountSort, AccountSource, Credential,
    NewAccount, PasswordCommit, PasswordWrite, ShadowRecords, SourceCapabilities, SourceRefusal,
    SourceVerdict, StoreError, StoreResult, UpdateEffects,
};
use std::collections::HashSet;
use std::sync::Arc;
use time::OffsetDateTime;

/// The most entries one list reads from the directory (a page past it is refused).
const LIST_LIMIT: usize = 100_000;

pub struct DirectorySource {
    directory: Arc<Directory>,
    records: Arc<dyn ShadowRecords>,
    intents: Intents,
}

impl DirectorySource {
    pub fn new(
        directory: Arc<Directory>,
        records: Arc<dyn ShadowRecords>,
        intents: Intents,
    ) -> Self {
        Self {
            directory,
            records,
            intents,
        }
    }

    /// Accounts of these entries: each merged with Latchkey's row, with its roles.
    async fn accounts(
        &self,
        entries: Vec<Usable>,
        roles: &RoleMembers,
    ) -> StoreResult<Vec<Account>> {
        let ids: Vec<AccountId> = entries.iter().map(|u| u.entry.id).collect();
        let shadows = self.records.shadows(&ids, self.intents.now()).await?;
        Ok(entries
            .into_iter()
            .zip(shadows)
            .map(|(u, kept)| {
                let roles = roles.of(&u.entry.dn);
                u.merge(roles, Some(kept))
            })
            .collect())
    }

    /// The account of a found entry. A lookup that found none does the same reads (the
    /// role groups asked about the decoy DN, a stand-in row of Latchkey's read and
    /// decoded), so that a name's lookup costs the same whether or not the directory has it.
    async fn record(&self, entry: Option<Entry>) -> StoreResult<Option<AccountRecord>> {
        let Some(entry) = entry else {
            RoleMembers::of_one(&self.directory, self.directory.decoy_dn()).await?;
            self.records.shadow_miss().await?;
            return Ok(None);
        };
        let roles = RoleMembers::of_one(&self.directory, &entry.dn).await?;
        Ok(self
            .accounts(usable(vec![entry]), &roles)
            .await?
            .pop()
            .map(|account| AccountRecord {
                account,
                credential: Credential::AtSource,
            }))
    }

    async fn entry(&self, id: AccountId) -> StoreResult<Entry> {
        self.directory
            .find_by_id(id)
            .await
            .map_err(store_error)?
            .ok_or(StoreError::NotFound)
    }

    async fn reread(&self, id: AccountId) -> StoreResult<Account> {
        let entry = self.entry(id).await?;
        Ok(self
            .record(Some(entry))
            .await?
            .ok_or(StoreError::NotFound)?
            .account)
    }

    /// Refuses a write whose revision another write has moved past. A directory account's
    /// revision is Latchkey's counter (kept in its row) plus the entry's own where it
    /// has one (AD's `uSNChanged`); returns the revision Latchkey's row must still have.
    async fn check_rev(&self, entry: &Entry, expected: Option<i64>) -> StoreResult<Option<i64>> {
        let kept = self
            .records
            .shadows(&[entry.id], self.intents.now())
            .await?;
        let Some(expected) = expected else {
            return Ok(None);
        };
        match kept.first() {
            Some(k) if k.rev + entry.usn == expected => Ok(Some(k.rev)),
            _ => Err(StoreError::RevisionMismatch),
        }
    }

    /// One password write through the directory: the intent recorded, the directory
    /// written, then `commit` (the effects beside it), then the intent removed. Refused by
    /// the directory, the intent goes at once; not answered, it stays — the write may have
    /// been made and its answer lost — for resolution to decide (see [`crate::intent`]).
    async fn write_through<T, F>(
        &self,
        dn: &str,
        write: PasswordWrite,
        commit: impl FnOnce(PasswordWrite) -> F,
    ) -> StoreResult<T>
    where
        F: std::future::Future<Output = StoreResult<T>>,
    {
        let intent = self.intents.begin(&write).await?;
        crash_point::reach("after-intent").await;
        if let Err(e) = self.set_in_directory(dn, &write).await {
            if matches!(
                e,
                StoreError::SourceRefused(_) | StoreError::SourceWrongCurrent
            ) {
                self.intents.end(intent).await;
            }
            return Err(e);
        }
        crash_point::reach("after-directory").await;
        let done = commit(write).await?;
        crash_point::reach("after-effects").await;
        self.intents.end(intent).await;
        Ok(done)
    }

    /// A new entry's password (set by the service account, as a reset: the directory's
    /// policy judges it) and the entry as read back.
    async fn finish_entry(&self, dn: &str, new: &NewAccount) -> StoreResult<Entry> {
        if let Some(plain) = &new.plain {
            self.directory
                .reset_password(dn, plain.expose(), Some(new.must_change_password))
                .await
                .map_err(store_error)?
                .map_err(refusal)?;
        }
        self.directory
            .find_by_dn(dn)
            .await
            .map_err(store_error)?
            .ok_or(StoreError::Unsupported(
                "the entry made is not one directory.user_filter finds",
            ))
    }

    /// Sets the password in the directory: as the user with the proved current one (a
    /// self change), else by the service account.
    async fn set_in_directory(&self, dn: &str, write: &PasswordWrite) -> StoreResult<()> {
        let new = write.new.plain.expose();
        let answer = match &write.current {
            Some(current) => {
                self.directory
                    .change_password(dn, current.expose(), new)
                    .await
            }
            None => {
                self.directory
                    .reset_password(dn, new, write.must_change_password)
                    .await
            }
        };
        answer.map_err(store_error)?.map_err(refusal)?;
        if write.unlock {
            self.directory.unlock(dn).await.map_err(store_error)?;
        }
        Ok(())
    }
}

/// An entry whose user name and DN Latchkey accepts.
#[derive(Clone)]
struct Usable {
    entry: Entry,
    user_name: UserName,
    dn: Dn,
}

/// The entries Latchkey can use as accounts (the others are logged and skipped).
fn usable(entries: Vec<Entry>) -> Vec<Usable> {
    entries
        .into_iter()
        .filter_map(|entry| {
            let user_name = UserName::parse(&entry.user_name).ok();
            let dn = Dn::parse(&entry.dn).ok();
            if user_name.is_none() || dn.is_none() {
                tracing::warn!(dn = %entry.dn, "directory entry skipped: its user name or DN is not one Latchkey accepts");
            }
            Some(Usable {
                user_name: user_name?,
                dn: dn?,
                entry,
            })
        })
        .collect()
}

impl Usable {
    /// The account: identity and profile from the entry, the rest from Latchkey's row
    /// (`None`: as a row made now would be, for ordering a list before reading its page).
    fn merge(self, roles: Roles, kept: Option<Account>) -> Account {
        let Usable {
            entry: e,
            user_name,
            dn,
        } = self;
        let locale = kept.as_ref().and_then(|k| k.profile.locale.clone());
        let flag = |f: fn(&Account) -> bool| kept.as_ref().is_some_and(f);
        Account {
            id: e.id,
            user_name,
            dn,
            sid: e.sid.as_deref().and_then(|s| Sid::parse(s).ok()),
            profile: Profile {
                email: e.mail,
                given_name: e.given_name,
                sn: e.sn,
                display_name: e.display_name,
                telephone_number: e.telephone_number,
                locale,
                external_id: None,
            },
            roles,
            disabled: e.disabled,
            locked_until: kept.as_ref().and_then(|k| k.locked_until),
            federated: false,
            has_password: true,
            // Set by a reset here or by the directory's administrators (`pwdReset`).
            must_change_password: e.must_change || flag(|k| k.must_change_password),
            password_never_expires: flag(|k| k.password_never_expires),
            cannot_change_password: flag(|k| k.cannot_change_password),
            password_changed_at: e
                .password_changed_at
                .or(kept.as_ref().and_then(|k| k.password_changed_at)),
            created_at: e
                .created_at
                .or(kept.as_ref().map(|k| k.created_at))
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            // Latchkey's counter, plus the entry's own where it has one (AD's
            // `uSNChanged`): either moving moves the revision.
            rev: kept.as_ref().map_or(0, |k| k.rev) + e.usn,
        }
    }
}

/// The directory's refusal of a password write: a current password it did not take is a
/// failed proof; anything else a refusal of the new password, as the policy report shows it.
fn refusal(r: PasswordRefusal) -> StoreError {
    let (rule, text) = match r {
        PasswordRefusal::WrongOld => return StoreError::SourceWrongCurrent,
        PasswordRefusal::TooShort(t) => ("min-length", t),
        PasswordRefusal::InHistory(t) => ("history", t),
        PasswordRefusal::TooYoung(t) => ("min-age", t),
        PasswordRefusal::Complexity(t) => ("min-classes", t),
        PasswordRefusal::Quality(t)
        | PasswordRefusal::NotAllowed(t)
        | PasswordRefusal::Other(t) => ("directory", t),
        PasswordRefusal::Locked => ("directory", "the account is locked in the directory".into()),
        PasswordRefusal::Expired => (
            "directory",
            "the password has expired in the directory; use password recovery".into(),
        ),
    };
    let text = if text.trim().is_empty() {
        "the directory refused the password".to_owned()
    } else {
        text
    };
    StoreError::SourceRefused(SourceRefusal { rule, text })
}

pub(crate) fn store_error(e: DirectoryError) -> StoreError {
    match e {
        DirectoryError::Unavailable(why) => StoreError::Unavailable(why),
        other => StoreError::Other(other.to_string()),
    }
}

/// Who holds a role, from the configured groups: read once for a list, or asked for
/// one entry.
struct RoleMembers {
    helpdesk: HashSet<String>,
    admin: HashSet<String>,
}

impl RoleMembers {
    async fn of_one(directory: &Directory, dn: &str) -> StoreResult<Self> {
        let groups = &directory.config().roles;
        let mut found = Self {
            helpdesk: HashSet::new(),
            admin: HashSet::new(),
        };
        for (group, set) in [
            (&groups.helpdesk, &mut found.helpdesk),
            (&groups.admin, &mut found.admin),
        ] {
            if let Some(group) = group
                && directory.is_member(group, dn).await.map_err(store_error)?
            {
                set.insert(dn.to_ascii_lowercase());
            }
        }
        Ok(found)
    }

    async fn of_all(directory: &Directory) -> StoreResult<Self> {
        let groups = &directory.config().roles;
        let read = |g: &Option<String>| {
            let g = g.clone();
            async move {
                match g {
                    Some(g) => directory.members(&g).await.map_err(store_error),
                    None => Ok(HashSet::new()),
                }
            }
        };
        Ok(Self {
            helpdesk: read(&groups.helpdesk).await?,
            admin: read(&groups.admin).await?,
        })
    }

    fn of(&self, dn: &str) -> Roles {
        let dn = dn.to_ascii_lowercase();
        let mut roles = vec![];
        if self.helpdesk.contains(&dn) {
            roles.push(Role::Helpdesk);
        }
        if self.admin.contains(&dn) {
            roles.push(Role::Admin);
        }
        Roles::new(roles)
    }
}

#[async_trait]
impl AccountSource for DirectorySource {
    fn capabilities(&self) -> SourceCapabilities {
        // Entries are made and removed here only where the operator allows it.
        let writes = self.directory.config().allow_writes;
        SourceCapabilities {
            create: writes,
            update: true,
            delete: writes,
            verifies_passwords: true,
            provisions: writes,
        }
    }

    /// One bind per proof: as the entry's DN, or — for anything else — as the decoy DN.
    async fn verify_password(
        &self,
        record: Option<&AccountRecord>,
        password: &Password,
    ) -> StoreResult<SourceVerdict> {
        let dn = record.map(|r| r.account.dn.to_string());
        let outcome = self
            .directory
            .bind(dn.as_deref(), password.expose())
            .await
            .map_err(store_error)?;
        Ok(match outcome {
            BindOutcome::Bound | BindOutcome::ChangeOnly { expired: false } => {
                SourceVerdict::Matched
            }
            // After a reset the entry's `pwdReset` already makes it must-change; in the
            // grace binds after expiry only the bind says so.
            BindOutcome::ChangeOnly { expired: true } => SourceVerdict::MatchedChangeOnly,
            BindOutcome::Wrong => SourceVerdict::Wrong,
            BindOutcome::Locked => SourceVerdict::Refused("locked in the directory"),
            BindOutcome::Expired => {
                SourceVerdict::Refused("password expired in the directory (no grace binds left)")
            }
            BindOutcome::Disabled => SourceVerdict::Refused("disabled in the directory"),
            BindOutcome::AccountExpired => {
                SourceVerdict::Refused("account expired in the directory")
            }
        })
    }

    async fn unlock_at_source(&self, id: AccountId) -> StoreResult<()> {
        let entry = self.entry(id).await?;
        self.directory.unlock(&entry.dn).await.map_err(store_error)
    }

    async fn count_accounts(&self) -> StoreResult<u64> {
        let all = self
            .directory
            .search("(objectClass=*)", LIST_LIMIT)
            .await
            .map_err(store_error)?;
        Ok(all.len() as u64)
    }

    /// An entry made in the directory (`directory.allow_writes`), then its password set by
    /// the service account (the directory's policy judges it: refused, the entry is removed
    /// again), then Latchkey's row with its flags and the creation's event.
    async fn insert_account(&self, new: NewAccount, _domain: [u32; 3]) -> StoreResult<Account> {
        if !self.directory.config().allow_writes {
            return Err(StoreError::Unsupported(
                "accounts of the directory are created in the directory",
            ));
        }
        if new.federated || new.disabled || new.roles.iter().any(|r| r != Role::User) {
            return Err(StoreError::Unsupported(
                "a directory account's roles and status are the directory's: create it active, without roles",
            ));
        }
        if new.hash.is_some() && new.plain.is_none() {
            return Err(StoreError::Unsupported(
                "a directory account's password is set as a password, not as an imported hash",
            ));
        }
        let p = &new.profile;
        let made = NewEntry {
            user_name: new.user_name.as_str().to_owned(),
            mail: p.email.clone(),
            given_name: p.given_name.clone(),
            sn: p.sn.clone(),
            display_name: p.display_name.clone(),
            telephone_number: p.telephone_number.clone(),
        };
        let dn = match self.directory.add_entry(&made).await.map_err(store_error)? {
            Ok(dn) => dn,
            Err(EntryRefusal::Exists) => return Err(StoreError::Duplicate("userName")),
            Err(EntryRefusal::NotAllowed(text)) => {
                tracing::warn!(directory = %text, "the directory did not let the service account create an entry");
                return Err(StoreError::Unsupported(
                    "the directory did not let the service account create the entry",
                ));
            }
        };
        let made = self.finish_entry(&dn, &new).await;
        let entry = match made {
            Ok(entry) => entry,
            Err(e) => {
                // Nothing half-made stays: the entry goes with the failed step.
                if !matches!(self.directory.delete_entry(&dn).await, Ok(Ok(()))) {
                    tracing::warn!(%dn, "an entry whose creation failed could not be removed");
                }
                return Err(e);
            }
        };
        let flags = AccountChanges {
            must_change_password: Some(new.must_change_password),
            password_never_expires: Some(new.password_never_expires),
            cannot_change_password: Some(new.cannot_change_password),
            ..Default::default()
        };
        // The account's id is the entry's (the directory assigns it), not the one proposed.
        let mut audit = new.audit;
        audit.target_id = Some(entry.id);
        self.records.shadows(&[entry.id], new.created_at).await?;
        self.records
            .shadow_update(
                entry.id,
                None,
                &flags,
                UpdateEffects::default(),
                Some(audit),
            )
            .await?;
        self.reread(entry.id).await
    }

    async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<AccountRecord>> {
        let entry = self.directory.find_by_id(id).await.map_err(store_error)?;
        self.record(entry).await
    }

    async fn account_by_user_name(&self, key: &str) -> StoreResult<Option<AccountRecord>> {
        let entry = self
            .directory
            .find_by_user_name(key)
            .await
            .map_err(store_error)?;
        self.record(entry).await
    }

    async fn account_by_dn(&self, dn: &Dn) -> StoreResult<Option<AccountRecord>> {
        let entry = self
            .directory
            .find_by_dn(&dn.to_string())
            .await
            .map_err(store_error)?;
        self.record(entry).await
    }

    async fn account_by_sid(&self, sid: &Sid) -> StoreResult<Option<AccountRecord>> {
        // Only AD's entries have one; elsewhere the lookup finds none, at the same cost.
        let entry = self
            .directory
            .find_by_sid(&sid.to_string())
            .await
            .map_err(store_error)?;
        self.record(entry).await
    }

    async fn list_accounts(&self, f: &AccountFilter) -> StoreResult<(Vec<Account>, u64)> {
        let attributes = &self.directory.config().attributes;
        let mut parts = String::new();
        if let Some(name) = &f.user_name {
            parts.push_str(&format!(
                "({}={})",
                attributes.user_name,
                filter::escape(name)
            ));
        }
        if let Some(mail) = &f.email {
            parts.push_str(&format!("({}={})", attributes.mail, filter::escape(mail)));
        }
        if let Some(q) = &f.query {
            let translated = filter::translate(q, attributes)
                .map_err(|e| StoreError::InvalidQuery(e.to_string()))?;
            parts.push_str(&translated);
        }
        let query = if parts.is_empty() {
            "(objectClass=*)".to_owned()
        } else {
            format!("(&{parts})")
        };
        let entries = self
            .directory
            .search(&query, LIST_LIMIT)
            .await
            .map_err(store_error)?;
        let total = entries.len() as u64;
        let roles = RoleMembers::of_all(&self.directory).await?;
        // The page is chosen from the entries' own values (every sort key is one), so that
        // only its accounts' rows are read.
        let ordered: Vec<(Account, Usable)> = usable(entries)
            .into_iter()
            .map(|u| (u.clone().merge(roles.of(&u.entry.dn), None), u))
            .collect();
        let page = AccountSort::page(f.sort, ordered, |(a, _)| a, f.offset, f.limit);
        let accounts = self
            .accounts(page.into_iter().map(|(_, u)| u).collect(), &roles)
            .await?;
        Ok((accounts, total))
    }

    /// Latchkey's flags of a directory account, and a password set with them (written in
    /// the directory first); the entry's names, profile and roles are the directory's.
    async fn update_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        changes: &AccountChanges,
        mut effects: UpdateEffects,
        audit: Option<AuditEvent>,
    ) -> StoreResult<Account> {
        let AccountChanges {
            user_name,
            dn,
            profile,
            roles,
            disabled,
            federated,
            ..
        } = changes;
        let entry = self.entry(id).await?;
        // Only what Latchkey keeps of the profile (the language) may differ from the entry.
        let entry_fields = (
            &entry.mail,
            &entry.given_name,
            &entry.sn,
            &entry.display_name,
            &entry.telephone_number,
        );
        let profile_changes = profile.as_ref().is_some_and(|p| {
            (
                &p.email,
                &p.given_name,
                &p.sn,
                &p.display_name,
                &p.telephone_number,
            ) != entry_fields
                || p.external_id.is_some()
        });
        if user_name.is_some()
            || dn.is_some()
            || roles.is_some()
            || disabled.is_some()
            || federated.is_some()
            || profile_changes
        {
            return Err(StoreError::Unsupported(
                "a directory account's names, profile, roles and status are changed in the directory",
            ));
        }
        let expected_rev = self.check_rev(&entry, expected_rev).await?;
        match effects.password.take() {
            Some(password) => {
                self.write_through(&entry.dn, password, |password| {
                    effects.password = Some(password);
                    self.records
                        .shadow_update(id, expected_rev, changes, effects, audit)
                })
                .await?;
            }
            None => {
                self.records
                    .shadow_update(id, expected_rev, changes, effects, audit)
                    .await?;
            }
        }
        self.reread(id).await
    }

    /// The entry deleted in the directory (`directory.allow_writes`), then Latchkey's row.
    async fn delete_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        if !self.directory.config().allow_writes {
            return Err(StoreError::Unsupported(
                "accounts of the directory are deleted in the directory",
            ));
        }
        let entry = self.entry(id).await?;
        self.check_rev(&entry, expected_rev).await?;
        match self
            .directory
            .delete_entry(&entry.dn)
            .await
            .map_err(store_error)?
        {
            Ok(()) => {}
            Err(text) => {
                tracing::warn!(directory = %text, "the directory did not let the service account delete an entry");
                return Err(StoreError::Unsupported(
                    "the directory did not let the service account delete the entry",
                ));
            }
        }
        self.records.shadow_delete(id, audit).await
    }

    /// The directory keeps the password; there is no hash of Latchkey's to upgrade.
    async fn upgrade_hash(
        &self,
        _id: AccountId,
        _old: &PasswordHash,
        _new: &PasswordHash,
    ) -> StoreResult<()> {
        Ok(())
    }
}

#[async_trait]
impl PasswordCommit for DirectorySource {
    /// The intent first, then the directory, then the effects beside it.
    async fn write_password(&self, mut write: PasswordWrite) -> StoreResult<Account> {
        let id = write.account_id;
        let entry = self.entry(id).await?;
        if let Some(kept) = self.check_rev(&entry, Some(write.expected_rev)).await? {
            write.expected_rev = kept;
        }
        self.write_through(&entry.dn, write, |write| {
            self.records.shadow_password(write)
        })
        .await?;
        self.reread(id).await
    }
}
