//! Several account sources asked in turn — Latchkey's own accounts (the first admin,
//! break-glass and service accounts) beside a directory — as one [`AccountSource`] and
//! one [`PasswordCommit`]. A lookup asks each layer in order and takes the first that
//! holds the account; a write goes to the layer that holds it (or, for a new account, to
//! the first that can create — the last, for a provisioning client's); a list merges the layers' pages in the one sort order.
//! Latchkey's records stay in SQL beside it (see [`crate::ports::Ports`]).

use crate::audit::AuditEvent;
use crate::domain::{Account, AccountId, Dn, Password, Sid};
use crate::hashing::PasswordHash;
use crate::ports::{
    AccountChanges, AccountFilter, AccountRecord, AccountSort, AccountSource, Credential,
    ImportWrite, NewAccount, PasswordCommit, PasswordWrite, Ports, Records, SourceCapabilities,
    SourceVerdict, StoreError, StoreResult, UpdateEffects,
};
use async_trait::async_trait;
use std::sync::Arc;

/// One account source and how a password write on its accounts commits.
#[derive(Clone)]
pub struct Layer {
    pub accounts: Arc<dyn AccountSource>,
    pub commit: Arc<dyn PasswordCommit>,
}

impl Layer {
    /// A store playing both roles (the SQL store's own accounts).
    pub fn of<S: AccountSource + PasswordCommit>(store: Arc<S>) -> Self {
        Layer {
            accounts: store.clone(),
            commit: store,
        }
    }
}

/// Account sources asked in turn. A user name, DN or SID held by two layers resolves to
/// the first; creating an account whose user name another layer holds is refused.
pub struct Layered {
    layers: Vec<Layer>,
}

impl Layered {
    pub fn new(layers: Vec<Layer>) -> Self {
        Layered { layers }
    }

    /// The core's ports: these layers as the account source and password commit, beside
    /// Latchkey's records.
    pub fn into_ports(self, records: Arc<dyn Records>) -> Ports {
        let layered = Arc::new(self);
        Ports {
            accounts: layered.clone(),
            commit: layered,
            records,
        }
    }

    /// The layer that holds the account.
    async fn holder(&self, id: AccountId) -> StoreResult<&Layer> {
        for layer in &self.layers {
            if layer.accounts.account_by_id(id).await?.is_some() {
                return Ok(layer);
            }
        }
        Err(StoreError::NotFound)
    }
}

/// The first layer's answer that finds something.
macro_rules! first_found {
    ($self:ident, $call:ident($($arg:expr),*)) => {{
        for layer in &$self.layers {
            if let Some(found) = layer.accounts.$call($($arg),*).await? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }};
}

#[async_trait]
impl AccountSource for Layered {
    fn capabilities(&self) -> SourceCapabilities {
        let none = SourceCapabilities {
            create: false,
            update: false,
            delete: false,
            verifies_passwords: false,
            provisions: true,
        };
        self.layers
            .iter()
            .fold(none, |c, l| c.either(l.accounts.capabilities()))
    }

    async fn verify_password(
        &self,
        record: Option<&AccountRecord>,
        password: &Password,
    ) -> StoreResult<SourceVerdict> {
        // Every layer that checks passwords is asked (the holder with the record, the
        // others with none), so that a proof costs the same whichever layer holds it. The
        // holder is found without another read (which only a known account would cost): a
        // record whose password its source keeps is a verifying layer's; any other record
        // is held by a layer that does not verify.
        let verifying: Vec<&Layer> = self
            .layers
            .iter()
            .filter(|l| l.accounts.capabilities().verifies_passwords)
            .collect();
        let holder = match record {
            Some(r) if matches!(r.credential, Credential::AtSource) => match verifying[..] {
                [only] => Some(only),
                _ => Some(self.holder(r.account.id).await?),
            },
            _ => None,
        };
        let mut verdict = None;
        for layer in verifying {
            let mine = holder.is_some_and(|h| std::ptr::eq(h, layer));
            let answer = layer
                .accounts
                .verify_password(record.filter(|_| mine), password)
                .await;
            match answer {
                Ok(answer) if mine => verdict = Some(answer),
                Ok(_) => {}
                Err(e) if mine || record.is_none() => return Err(e),
                // A layer that does not hold the account is asked only so that the proof
                // costs the same: its outage must not stop an account held elsewhere
                // (break-glass accounts work while the directory is down).
                Err(e) => {
                    tracing::debug!(error = %e, "a source asked for an equal cost did not answer")
                }
            }
        }
        Ok(verdict.unwrap_or(SourceVerdict::Wrong))
    }

    async fn unlock_at_source(&self, id: AccountId) -> StoreResult<()> {
        self.holder(id).await?.accounts.unlock_at_source(id).await
    }

    async fn count_accounts(&self) -> StoreResult<u64> {
        let mut total = 0;
        for layer in &self.layers {
            total += layer.accounts.count_accounts().await?;
        }
        Ok(total)
    }

    async fn count_own_accounts(&self) -> StoreResult<u64> {
        let mut total = 0;
        for layer in &self.layers {
            total += layer.accounts.count_own_accounts().await?;
        }
        Ok(total)
    }

    /// Creates go to the first layer that creates, updates to the layer holding the
    /// account: one transaction per layer.
    async fn import_accounts(&self, batch: Vec<ImportWrite>, domain: [u32; 3]) -> StoreResult<()> {
        let mut per_layer: Vec<Vec<ImportWrite>> = vec![Vec::new(); self.layers.len()];
        let creator = self
            .layers
            .iter()
            .position(|l| l.accounts.capabilities().create);
        for write in batch {
            let index = match &write {
                ImportWrite::Create(_) => creator.ok_or(StoreError::Unsupported(
                    "no account source here can create accounts",
                ))?,
                ImportWrite::Update { id, .. } => {
                    let holder = self.holder(*id).await?;
                    self.layers
                        .iter()
                        .position(|l| std::ptr::eq(l, holder))
                        .ok_or(StoreError::NotFound)?
                }
            };
            per_layer[index].push(write);
        }
        for (layer, writes) in self.layers.iter().zip(per_layer) {
            if !writes.is_empty() {
                layer.accounts.import_accounts(writes, domain).await?;
            }
        }
        Ok(())
    }

    async fn insert_account(&self, new: NewAccount, domain: [u32; 3]) -> StoreResult<Account> {
        let key = new.user_name.lookup_key();
        for layer in &self.layers {
            if layer.accounts.account_by_user_name(&key).await?.is_some() {
                return Err(StoreError::Duplicate("userName"));
            }
        }
        // A provisioning client's users go where the organisation's users live (the
        // directory, listed last, when it takes writes); any other new account is one of
        // Latchkey's own (the first layer that creates).
        let creates = |l: &&Layer| l.accounts.capabilities().create;
        let target = if new.provisioned {
            self.layers.iter().rev().find(creates)
        } else {
            self.layers.iter().find(creates)
        }
        .ok_or(StoreError::Unsupported(
            "no account source here can create accounts",
        ))?;
        target.accounts.insert_account(new, domain).await
    }

    async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<AccountRecord>> {
        first_found!(self, account_by_id(id))
    }

    /// The first layer's account; a later layer holding the same name too (an entry added
    /// to the directory after the local account) is logged, and the first still wins — so
    /// every lookup by name asks every layer, whichever holds it.
    async fn account_by_user_name(&self, key: &str) -> StoreResult<Option<AccountRecord>> {
        let mut found: Option<AccountRecord> = None;
        for layer in &self.layers {
            let answer = layer.accounts.account_by_user_name(key).await;
            match (&found, answer) {
                (None, answer) => found = answer?,
                (Some(_), Ok(Some(_))) => tracing::warn!(
                    user_name = key,
                    "a local account and a directory entry share this user name: the local account is used; rename one"
                ),
                (Some(_), Ok(None)) => {}
                // Asked only to see a clash: an outage there must not stop the account.
                (Some(_), Err(e)) => tracing::debug!(error = %e, "clash check not answered"),
            }
        }
        Ok(found)
    }

    async fn account_by_dn(&self, dn: &Dn) -> StoreResult<Option<AccountRecord>> {
        first_found!(self, account_by_dn(dn))
    }

    async fn account_by_sid(&self, sid: &Sid) -> StoreResult<Option<AccountRecord>> {
        first_found!(self, account_by_sid(sid))
    }

    /// Each layer's first `offset + limit` in the one order, merged, then the page: exact,
    /// at the cost of reading the skipped accounts once per layer.
    async fn list_accounts(&self, filter: &AccountFilter) -> StoreResult<(Vec<Account>, u64)> {
        let head = AccountFilter {
            offset: 0,
            limit: filter.offset.saturating_add(filter.limit),
            ..filter.clone()
        };
        let mut merged = Vec::new();
        let mut total = 0;
        for layer in &self.layers {
            let (page, count) = layer.accounts.list_accounts(&head).await?;
            merged.extend(page);
            total += count;
        }
        let page = AccountSort::page(filter.sort, merged, |a| a, filter.offset, filter.limit);
        Ok((page, total))
    }

    async fn update_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        changes: &AccountChanges,
        effects: UpdateEffects,
        audit: Option<AuditEvent>,
    ) -> StoreResult<Account> {
        let layer = self.holder(id).await?;
        if !layer.accounts.capabilities().update {
            return Err(StoreError::Unsupported(
                "the account's source does not take changes",
            ));
        }
        layer
            .accounts
            .update_account(id, expected_rev, changes, effects, audit)
            .await
    }

    async fn delete_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let layer = self.holder(id).await?;
        if !layer.accounts.capabilities().delete {
            return Err(StoreError::Unsupported(
                "the account's source does not delete accounts",
            ));
        }
        layer.accounts.delete_account(id, expected_rev, audit).await
    }

    async fn upgrade_hash(
        &self,
        id: AccountId,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> StoreResult<()> {
        self.holder(id)
            .await?
            .accounts
            .upgrade_hash(id, old, new)
            .await
    }
}

#[async_trait]
impl PasswordCommit for Layered {
    async fn write_password(&self, write: PasswordWrite) -> StoreResult<Account> {
        self.holder(write.account_id)
            .await?
            .commit
            .write_password(write)
            .await
    }
}

#[cfg(test)]
mod tests {
    //! The core on local accounts beside a directory stand-in: each account's password is
    //! checked and written where it lives, every proof asks every place that checks.

    use super::{Layer, Layered};
    use crate::audit::RequestContext;
    use crate::auth::Principal;
    use crate::clock::SystemClock;
    use crate::hashing::HashingParams;
    use crate::memory_store::MemoryStore;
    use crate::ops::{CreateAccount, Notify};
    use crate::policy::NoFiles;
    use crate::ports::{AccountFilter, AccountSort, AccountSource as _};
    use crate::recovery::filter::Attr;
    use crate::secret::{ExposeSecret as _, SecretString};
    use crate::settings::CoreSettings;
    use crate::{CoreError, Latchkey};
    use std::sync::Arc;

    const LOCAL_PASSWORD: &str = "Mellow-Trout-41";
    const DIRECTORY_PASSWORD: &str = "Quiet-Harbor-58";

    struct Fixture {
        core: Latchkey,
        local: Arc<MemoryStore>,
        directory: Arc<MemoryStore>,
        ctx: RequestContext,
    }

    /// The core on local accounts (`local`) with `second` asked after them.
    async fn core_on(local: &Arc<MemoryStore>, second: &Arc<MemoryStore>) -> Latchkey {
        let ports = Layered::new(vec![Layer::of(local.clone()), Layer::of(second.clone())])
            .into_ports(local.clone());
        let settings = CoreSettings {
            hashing: HashingParams::TESTING,
            ..Default::default()
        };
        Latchkey::new(ports, Arc::new(SystemClock), settings, &NoFiles)
            .await
            .expect("the core starts on layered sources")
    }

    async fn fixture() -> Fixture {
        let local = Arc::new(MemoryStore::default());
        let directory = Arc::new(MemoryStore::directory());
        let core = core_on(&local, &directory).await;
        let ctx = RequestContext::cli();
        core.create_account(
            &ctx,
            &Principal::System,
            CreateAccount {
                user_name: "breakglass".into(),
                password: Some(SecretString::from(LOCAL_PASSWORD)),
                ..Default::default()
            },
        )
        .await
        .expect("a local account");
        directory.seed("jdoe", DIRECTORY_PASSWORD);
        directory.seed("asmith", DIRECTORY_PASSWORD);
        Fixture {
            core,
            local,
            directory,
            ctx,
        }
    }

    #[tokio::test]
    async fn each_account_is_proved_where_it_lives_and_every_proof_asks_the_directory() {
        let f = fixture().await;
        let asked = f.directory.source_checks();
        f.core
            .sign_in(&f.ctx, "breakglass", LOCAL_PASSWORD)
            .await
            .expect("a local account signs in by its hash");
        f.core
            .sign_in(&f.ctx, "jdoe", DIRECTORY_PASSWORD)
            .await
            .expect("a directory account signs in by its source");
        for (name, password) in [
            ("jdoe", LOCAL_PASSWORD),
            ("breakglass", DIRECTORY_PASSWORD),
            ("nobody", DIRECTORY_PASSWORD),
        ] {
            let refused = f.core.sign_in(&f.ctx, name, password).await;
            assert!(
                matches!(refused, Err(CoreError::InvalidCredentials)),
                "{name}"
            );
        }
        // One check at the directory per proof, whichever account it names.
        assert_eq!(f.directory.source_checks() - asked, 5);
        // The directory's account has no row, and so no hash, in the local store.
        assert!(
            f.local
                .account_by_user_name("jdoe")
                .await
                .unwrap()
                .is_none()
        );
    }

    /// The directory stand-in's `jdoe`.
    async fn jdoe_of(f: &Fixture) -> crate::ports::AccountRecord {
        f.directory
            .account_by_user_name("jdoe")
            .await
            .unwrap()
            .expect("jdoe is seeded")
    }

    /// `n` sign-ins of `name` with a wrong password, each refused.
    async fn guess_wrong(f: &Fixture, name: &str, n: u32) {
        for _ in 0..n {
            let e = f.core.sign_in(&f.ctx, name, "wrong guess 1").await;
            assert!(matches!(e, Err(CoreError::InvalidCredentials)));
        }
    }

    #[tokio::test]
    async fn a_current_password_the_source_no_longer_takes_is_a_failed_proof() {
        let f = fixture().await;
        let jdoe = jdoe_of(&f).await;
        // Proved, then changed in the directory by someone else before the write.
        f.directory
            .change_after_next_proof(jdoe.account.id, "Changed-Elsewhere-4");
        let raced = f
            .core
            .change_password_with_current_by_name(
                &f.ctx,
                &jdoe.account.id.to_string(),
                DIRECTORY_PASSWORD,
                Some("Fresh-Lantern-77"),
            )
            .await;
        assert!(
            matches!(raced, Err(CoreError::InvalidCredentials)),
            "{raced:?}"
        );
        // It counted toward lockout: one failure fewer locks the account.
        guess_wrong(&f, "jdoe", f.core.settings().lockout.max_failures - 1).await;
        let locked = f.core.sign_in(&f.ctx, "jdoe", "Changed-Elsewhere-4").await;
        assert!(
            matches!(locked, Err(CoreError::InvalidCredentials)),
            "{locked:?}"
        );
    }

    #[tokio::test]
    async fn a_directory_accounts_failures_lock_it_in_latchkeys_records() {
        let f = fixture().await;
        let jdoe = jdoe_of(&f).await;
        guess_wrong(&f, "jdoe", f.core.settings().lockout.max_failures).await;
        let locked = f.core.sign_in(&f.ctx, "jdoe", DIRECTORY_PASSWORD).await;
        assert!(matches!(locked, Err(CoreError::InvalidCredentials)));
        let events = f.local.audit_events();
        assert!(
            events
                .iter()
                .any(|e| e.kind == crate::audit::AuditType::AccountLock
                    && e.target_id == Some(jdoe.account.id)),
            "the lock is recorded with Latchkey's records"
        );
    }

    #[tokio::test]
    async fn a_change_hands_the_directory_the_password_itself() {
        let f = fixture().await;
        let signed = f
            .core
            .sign_in(&f.ctx, "jdoe", DIRECTORY_PASSWORD)
            .await
            .unwrap();
        let me = f
            .core
            .authenticate(signed.token.expose_secret())
            .await
            .unwrap();
        let new = "Copper-Lantern-93";
        f.core
            .change_own_password(
                &f.ctx,
                &me,
                DIRECTORY_PASSWORD,
                Some(new),
                Notify::default(),
            )
            .await
            .expect("the change commits at the directory");
        f.core
            .sign_in(&f.ctx, "jdoe", new)
            .await
            .expect("the new password");
        let old = f.core.sign_in(&f.ctx, "jdoe", DIRECTORY_PASSWORD).await;
        assert!(matches!(old, Err(CoreError::InvalidCredentials)));
        // The local layer's accounts and hashes are untouched.
        f.core
            .sign_in(&f.ctx, "breakglass", LOCAL_PASSWORD)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn lists_merge_in_one_order_and_writes_go_where_the_account_can_take_them() {
        let f = fixture().await;
        let sorted = |descending| AccountFilter {
            sort: Some(AccountSort {
                by: Attr::UserName,
                descending,
            }),
            offset: 1,
            limit: 2,
            ..Default::default()
        };
        let page = f
            .core
            .list_accounts(&Principal::System, sorted(false))
            .await
            .unwrap();
        let names: Vec<&str> = page.items.iter().map(|a| a.user_name.as_str()).collect();
        assert_eq!((names, page.total), (vec!["breakglass", "jdoe"], 3));
        let page = f
            .core
            .list_accounts(&Principal::System, sorted(true))
            .await
            .unwrap();
        let names: Vec<&str> = page.items.iter().map(|a| a.user_name.as_str()).collect();
        assert_eq!(names, vec!["breakglass", "asmith"]);

        // A user name the directory holds cannot be created locally.
        let taken = f
            .core
            .create_account(
                &f.ctx,
                &Principal::System,
                CreateAccount {
                    user_name: "JDoe".into(),
                    ..Default::default()
                },
            )
            .await;
        assert!(
            matches!(taken, Err(CoreError::Duplicate("userName"))),
            "{taken:?}"
        );
        // New accounts land in the layer that creates; the directory deletes nothing.
        let svc = f
            .core
            .create_account(
                &f.ctx,
                &Principal::System,
                CreateAccount {
                    user_name: "svc-backup".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(f.local.account_by_id(svc.id).await.unwrap().is_some());
        // A provisioning client's users are the directory's: not made locally instead.
        let provisioned = f
            .core
            .create_account(
                &f.ctx,
                &Principal::System,
                CreateAccount {
                    user_name: "made-by-scim".into(),
                    provisioned: true,
                    ..Default::default()
                },
            )
            .await;
        assert!(
            matches!(
                provisioned,
                Err(CoreError::Refused(crate::error::PROVISIONED_ELSEWHERE))
            ),
            "{provisioned:?}"
        );
        let jdoe = jdoe_of(&f).await;
        let refused = f
            .core
            .delete_account(&f.ctx, &Principal::System, jdoe.account.id, None)
            .await;
        assert!(matches!(refused, Err(CoreError::Refused(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn a_provisioning_clients_users_go_to_the_users_source_when_it_takes_them() {
        // A directory that takes writes (`directory.allow_writes`), stood in for by a
        // second store that creates.
        let local = Arc::new(MemoryStore::default());
        let users = Arc::new(MemoryStore::default());
        let core = core_on(&local, &users).await;
        let ctx = RequestContext::cli();
        let create = |name: &str, provisioned| CreateAccount {
            user_name: name.into(),
            password: Some(SecretString::from(LOCAL_PASSWORD)),
            provisioned,
            ..Default::default()
        };
        let scim = core
            .create_account(&ctx, &Principal::System, create("made-by-scim", true))
            .await
            .unwrap();
        let native = core
            .create_account(&ctx, &Principal::System, create("svc-backup", false))
            .await
            .unwrap();
        assert!(users.account_by_id(scim.id).await.unwrap().is_some());
        assert!(local.account_by_id(scim.id).await.unwrap().is_none());
        assert!(local.account_by_id(native.id).await.unwrap().is_some());
        assert!(users.account_by_id(native.id).await.unwrap().is_none());
        // A name either holds is taken for both.
        let taken = core
            .create_account(&ctx, &Principal::System, create("svc-backup", true))
            .await;
        assert!(
            matches!(taken, Err(CoreError::Duplicate("userName"))),
            "{taken:?}"
        );
        // The users' source refuses the password by its own policy: reported with
        // Latchkey's rules, and no account is made.
        users.refuse_new_passwords("min-length", "at least 40 characters here");
        let refused = core
            .create_account(&ctx, &Principal::System, create("too-short", true))
            .await;
        let Err(CoreError::Policy(report)) = refused else {
            panic!("{refused:?}");
        };
        let rule = report.refusals().find(|r| r.rule == "min-length");
        assert_eq!(
            rule.map(|r| r.description.as_str()),
            Some("at least 40 characters here")
        );
        for layer in [&local, &users] {
            let found = layer.account_by_user_name("too-short").await.unwrap();
            assert!(found.is_none());
        }
    }
}

#[cfg(test)]
mod import_tests {
    use super::{Layer, Layered};
    use crate::audit::RequestContext;
    use crate::auth::Principal;
    use crate::clock::SystemClock;
    use crate::hashing::HashingParams;
    use crate::memory_store::MemoryStore;
    use crate::ops::{ImportRecord, ImportSeen, OnExisting};
    use crate::policy::NoFiles;
    use crate::settings::CoreSettings;
    use crate::{CoreError, Latchkey};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_source_that_cannot_create_imports_nothing() {
        let records = Arc::new(MemoryStore::default());
        let directory = Arc::new(MemoryStore::directory());
        let ports = Layered::new(vec![Layer::of(directory)]).into_ports(records);
        let settings = CoreSettings {
            hashing: HashingParams::TESTING,
            ..Default::default()
        };
        let core = Latchkey::new(ports, Arc::new(SystemClock), settings, &NoFiles)
            .await
            .unwrap();
        let line = ImportRecord {
            line: 2,
            user_name: "jdoe".into(),
            ..Default::default()
        };
        let refused = core
            .import_accounts(
                &RequestContext::cli(),
                &Principal::System,
                vec![line],
                OnExisting::Skip,
                true,
                &mut ImportSeen::default(),
            )
            .await;
        assert!(matches!(refused, Err(CoreError::Refused(_))), "{refused:?}");
    }
}
