//! An in-memory implementation of the ports, for core tests below HTTP: fast, no
//! database, the same observable behaviour as the SQL store on the paths the core uses
//! (revisions, history, lockout, sessions, audit, outbox, flows). Tests only.

use crate::audit::{AuditEvent, AuditQuery};
use crate::domain::{Account, AccountId, Dn, Sid};
use crate::hashing::PasswordHash;
use crate::ports::{
    AccountChanges, AccountFilter, AccountRecord, AccountSort, AccountSource, ClientRecord,
    Credential, FlowStep, ImportWrite, KbaAnswer, MailFate, NewAccount, OutboxMessage,
    PasswordCommit, PasswordWrite, PendingMessage, ProofSlot, ProofSubject, Records, RecoveryFlow,
    SessionRecord, SourceCapabilities, SourceVerdict, StoreError, StoreResult, Sweep, SweepReport,
    UpdateEffects,
};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Default)]
struct Counter {
    failures: u32,
    window_start: Option<OffsetDateTime>,
    locked_until: Option<OffsetDateTime>,
}

#[derive(Default)]
struct State {
    accounts: HashMap<AccountId, AccountRecord>,
    next_rid: u32,
    history: HashMap<AccountId, Vec<PasswordHash>>,
    counters: HashMap<String, Counter>,
    sessions: Vec<(SessionRecord, bool)>,
    clients: HashMap<Uuid, ClientRecord>,
    audit: Vec<AuditEvent>,
    /// Messages and whether they are settled (sent, or written held back).
    outbox: Vec<(OutboxMessage, bool)>,
    flows: HashMap<Uuid, RecoveryFlow>,
    kba: HashMap<AccountId, Vec<KbaAnswer>>,
    settings: HashMap<String, String>,
    /// The directory stand-in's passwords (see [`MemoryStore::directory`]).
    source_passwords: HashMap<AccountId, Vec<u8>>,
    /// How often the directory stand-in was asked to check a password.
    source_checks: u32,
    /// A password someone else sets in the directory stand-in right after its next proof
    /// of that account (see [`MemoryStore::change_after_next_proof`]).
    changed_after_proof: Option<(AccountId, Vec<u8>)>,
    /// What a source that sets passwords itself answers to a new account's password (see
    /// [`MemoryStore::refuse_new_passwords`]).
    refuse_new: Option<crate::ports::SourceRefusal>,
}

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// A stand-in for a directory: it keeps passwords itself (a change hands it the
    /// password, a proof asks it), and creates and deletes no accounts.
    directory: bool,
}

fn key(subject: ProofSubject<'_>) -> String {
    match subject {
        ProofSubject::Account(id) => id.to_string(),
        ProofSubject::Name(n) => format!("name:{n}"),
    }
}

impl MemoryStore {
    /// The directory stand-in (see the `directory` field).
    pub fn directory() -> Self {
        MemoryStore {
            directory: true,
            ..Default::default()
        }
    }

    /// Adds an account to the directory stand-in, with its password.
    pub fn seed(&self, name: &str, password: &str) -> Account {
        self.with(|s| {
            s.next_rid += 1;
            let now = crate::clock::Clock::now(&crate::clock::SystemClock);
            let account = Account {
                id: Uuid::new_v4(),
                dn: Dn::parse(&format!("uid={name},ou=people,dc=example,dc=com")).expect("a DN"),
                sid: Some(Sid::for_account([7, 7, 7], 1000 + s.next_rid)),
                ..Account::example(name, now)
            };
            s.source_passwords
                .insert(account.id, password.as_bytes().to_vec());
            let credential = Credential::AtSource;
            let record = AccountRecord {
                account: account.clone(),
                credential,
            };
            s.accounts.insert(account.id, record);
            account
        })
    }

    /// The directory stand-in's password of `id` becomes `password` right after its next
    /// proof of it: a change made elsewhere between a proof and the write it allows.
    pub fn change_after_next_proof(&self, id: AccountId, password: &str) {
        self.with(|s| s.changed_after_proof = Some((id, password.as_bytes().to_vec())));
    }

    /// New accounts' passwords are refused as a directory's own policy refuses them.
    pub fn refuse_new_passwords(&self, rule: &'static str, text: &str) {
        let refusal = crate::ports::SourceRefusal {
            rule,
            text: text.to_owned(),
        };
        self.with(|s| s.refuse_new = Some(refusal));
    }

    /// How often the directory stand-in was asked to check a password.
    pub fn source_checks(&self) -> u32 {
        self.with(|s| s.source_checks)
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s)
    }

    /// Every audit event so far, oldest first.
    pub fn audit_events(&self) -> Vec<AuditEvent> {
        self.with(|s| s.audit.clone())
    }

    /// Every message written to the outbox, oldest first.
    pub fn outbox(&self) -> Vec<OutboxMessage> {
        self.with(|s| s.outbox.iter().map(|(m, _)| m.clone()).collect())
    }

    /// Live sessions of an account.
    pub fn live_sessions(&self, id: AccountId) -> usize {
        self.with(|s| {
            s.sessions
                .iter()
                .filter(|(r, revoked)| !revoked && r.account_id == Some(id))
                .count()
        })
    }
}

impl State {
    fn insert(&mut self, new: NewAccount, domain: [u32; 3]) -> StoreResult<Account> {
        let key = new.user_name.lookup_key();
        if self
            .accounts
            .values()
            .any(|r| r.account.user_name.lookup_key() == key)
        {
            return Err(StoreError::Duplicate("userName"));
        }
        self.next_rid += 1;
        let sid = new
            .sid
            .clone()
            .unwrap_or_else(|| Sid::for_account(domain, 1000 + self.next_rid));
        let account = Account {
            id: new.id,
            user_name: new.user_name,
            dn: new.dn,
            sid: Some(sid),
            profile: new.profile,
            roles: new.roles,
            disabled: new.disabled,
            locked_until: None,
            federated: new.federated,
            has_password: new.hash.is_some(),
            must_change_password: new.must_change_password,
            password_never_expires: new.password_never_expires,
            cannot_change_password: new.cannot_change_password,
            password_changed_at: new
                .hash
                .as_ref()
                .map(|_| new.password_changed_at.unwrap_or(new.created_at)),
            created_at: new.created_at,
            rev: 1,
        };
        let record = AccountRecord {
            account: account.clone(),
            credential: Credential::from_hash(new.hash),
        };
        self.accounts.insert(new.id, record);
        self.audit.push(new.audit);
        Ok(account)
    }

    fn record(&self, id: AccountId) -> StoreResult<&AccountRecord> {
        self.accounts.get(&id).ok_or(StoreError::NotFound)
    }

    fn with_lock(&self, mut r: AccountRecord) -> AccountRecord {
        r.account.locked_until = self
            .counters
            .get(&r.account.id.to_string())
            .and_then(|c| c.locked_until);
        r
    }

    fn find(&self, matches: impl Fn(&Account) -> bool) -> Option<AccountRecord> {
        self.accounts
            .values()
            .find(|r| matches(&r.account))
            .map(|r| self.with_lock(r.clone()))
    }

    fn check_rev(&self, id: AccountId, expected: Option<i64>) -> StoreResult<()> {
        let cur = self.record(id)?;
        match expected {
            Some(rev) if rev != cur.account.rev => Err(StoreError::RevisionMismatch),
            _ => Ok(()),
        }
    }

    fn revoke(&mut self, id: AccountId, keep: Option<Uuid>) {
        for (r, revoked) in &mut self.sessions {
            if r.account_id == Some(id) && Some(r.id) != keep {
                *revoked = true;
            }
        }
    }

    fn end_flows(&mut self, id: AccountId, reason: &str, keep: Option<Uuid>) {
        for f in self.flows.values_mut() {
            if f.account_id == Some(id) && !f.completed && !f.decoy && Some(f.id) != keep {
                f.completed = true;
                f.ended = Some(reason.to_owned());
            }
        }
    }

    fn write_password(&mut self, w: &PasswordWrite, directory: bool) -> StoreResult<()> {
        // A directory checks the current password of a self change again as it writes.
        if let (true, Some(current)) = (directory, &w.current)
            && self.source_passwords.get(&w.account_id).map(Vec::as_slice)
                != Some(current.as_bytes())
        {
            return Err(StoreError::SourceWrongCurrent);
        }
        if let Some((flow, step)) = w.complete_flow {
            match self.flows.get_mut(&flow) {
                Some(f) if f.step == step && !f.completed => f.completed = true,
                _ => return Err(StoreError::RevisionMismatch),
            }
        }
        self.check_rev(w.account_id, Some(w.expected_rev))?;
        let record = self
            .accounts
            .get_mut(&w.account_id)
            .ok_or(StoreError::NotFound)?;
        if directory {
            let plain = w.new.plain.as_bytes().to_vec();
            self.source_passwords.insert(w.account_id, plain);
        } else if let Credential::Hash(old) =
            std::mem::replace(&mut record.credential, Credential::Hash(w.new.hash.clone()))
        {
            let h = self.history.entry(w.account_id).or_default();
            h.insert(0, old);
            h.truncate(w.history_keep);
        }
        let a = &mut record.account;
        a.has_password = true;
        a.password_changed_at = Some(w.changed_at);
        a.must_change_password = w.must_change_password.unwrap_or(a.must_change_password);
        a.password_never_expires = w.password_never_expires.unwrap_or(a.password_never_expires);
        a.cannot_change_password = w.cannot_change_password.unwrap_or(a.cannot_change_password);
        a.rev += 1;
        self.revoke(w.account_id, w.keep_session);
        for (r, revoked) in &mut self.sessions {
            if Some(r.id) == w.keep_session && !*revoked {
                r.change_only = false;
            }
        }
        if w.unlock {
            self.counters.remove(&w.account_id.to_string());
        }
        self.end_flows(w.account_id, "password changed", None);
        self.audit.extend(w.audit.iter().cloned());
        if let Some(m) = &w.outbox {
            self.outbox.push((m.clone(), false));
        }
        Ok(())
    }
}

fn apply(a: &mut Account, c: &AccountChanges) {
    if let Some(v) = &c.user_name {
        a.user_name = v.clone();
    }
    if let Some(v) = &c.dn {
        a.dn = v.clone();
    }
    if let Some(v) = &c.profile {
        a.profile = v.clone();
    }
    if let Some(v) = &c.roles {
        a.roles = v.clone();
    }
    a.disabled = c.disabled.unwrap_or(a.disabled);
    a.federated = c.federated.unwrap_or(a.federated);
    a.must_change_password = c.must_change_password.unwrap_or(a.must_change_password);
    a.password_never_expires = c.password_never_expires.unwrap_or(a.password_never_expires);
    a.cannot_change_password = c.cannot_change_password.unwrap_or(a.cannot_change_password);
}

#[async_trait]
impl AccountSource for MemoryStore {
    fn capabilities(&self) -> SourceCapabilities {
        if self.directory {
            SourceCapabilities {
                create: false,
                update: true,
                delete: false,
                verifies_passwords: true,
                provisions: false,
            }
        } else {
            SourceCapabilities::OWNED
        }
    }

    async fn verify_password(
        &self,
        record: Option<&AccountRecord>,
        password: &crate::domain::Password,
    ) -> StoreResult<SourceVerdict> {
        Ok(self.with(|s| {
            s.source_checks += 1;
            let kept = record.and_then(|r| s.source_passwords.get(&r.account.id));
            let verdict = if kept.is_some_and(|p| p.as_slice() == password.as_bytes()) {
                SourceVerdict::Matched
            } else {
                SourceVerdict::Wrong
            };
            if let Some(r) = record
                && s.changed_after_proof
                    .as_ref()
                    .is_some_and(|(id, _)| *id == r.account.id)
                && let Some((id, new)) = s.changed_after_proof.take()
            {
                s.source_passwords.insert(id, new);
            }
            verdict
        }))
    }

    async fn count_accounts(&self) -> StoreResult<u64> {
        Ok(self.with(|s| s.accounts.len() as u64))
    }

    async fn insert_account(&self, new: NewAccount, domain: [u32; 3]) -> StoreResult<Account> {
        self.with(|s| match &s.refuse_new {
            Some(refusal) if new.plain.is_some() => Err(StoreError::SourceRefused(refusal.clone())),
            _ => s.insert(new, domain),
        })
    }

    async fn import_accounts(&self, batch: Vec<ImportWrite>, domain: [u32; 3]) -> StoreResult<()> {
        self.with(|s| {
            let before = (s.accounts.clone(), s.audit.len(), s.next_rid);
            let result = batch.into_iter().try_for_each(|w| match w {
                ImportWrite::Create(new) => s.insert(new, domain).map(|_| ()),
                ImportWrite::Update {
                    id,
                    changes,
                    hash,
                    password_changed_at,
                    history_keep,
                    audit,
                } => {
                    let r = s.accounts.get_mut(&id).ok_or(StoreError::NotFound)?;
                    apply(&mut r.account, &changes);
                    r.account.rev += 1;
                    if let Some(h) = hash {
                        if let Credential::Hash(old) =
                            std::mem::replace(&mut r.credential, Credential::Hash(h))
                        {
                            let kept = s.history.entry(id).or_default();
                            kept.insert(0, old);
                            kept.truncate(history_keep);
                        }
                        r.account.has_password = true;
                        r.account.password_changed_at =
                            Some(password_changed_at.unwrap_or(audit.at));
                    }
                    s.audit.push(audit);
                    Ok(())
                }
            });
            if result.is_err() {
                (s.accounts, _, s.next_rid) = before.clone();
                s.audit.truncate(before.1);
            }
            result
        })
    }

    async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<AccountRecord>> {
        Ok(self.with(|s| s.find(|a| a.id == id)))
    }

    async fn account_by_user_name(&self, key: &str) -> StoreResult<Option<AccountRecord>> {
        Ok(self.with(|s| s.find(|a| a.user_name.lookup_key() == key)))
    }

    async fn account_by_dn(&self, dn: &Dn) -> StoreResult<Option<AccountRecord>> {
        Ok(self.with(|s| s.find(|a| a.dn.normalized() == dn.normalized())))
    }

    async fn account_by_sid(&self, sid: &Sid) -> StoreResult<Option<AccountRecord>> {
        Ok(self.with(|s| s.find(|a| a.sid.as_ref() == Some(sid))))
    }

    async fn list_accounts(&self, f: &AccountFilter) -> StoreResult<(Vec<Account>, u64)> {
        Ok(self.with(|s| {
            let mut all: Vec<Account> = s
                .accounts
                .values()
                .map(|r| s.with_lock(r.clone()).account)
                .filter(|a| {
                    f.user_name
                        .as_ref()
                        .is_none_or(|n| a.user_name.lookup_key() == n.to_lowercase())
                        && f.email.as_ref().is_none_or(|e| {
                            a.profile.email.as_deref().map(str::to_lowercase)
                                == Some(e.to_lowercase())
                        })
                        && f.query.as_ref().is_none_or(|q| q.matches(a))
                })
                .collect();
            all.sort_by(|a, b| AccountSort::compare(f.sort, a, b));
            let total = all.len() as u64;
            let page = all
                .into_iter()
                .skip(f.offset as usize)
                .take(f.limit as usize)
                .collect();
            (page, total)
        }))
    }

    async fn update_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        changes: &AccountChanges,
        effects: UpdateEffects,
        audit: Option<AuditEvent>,
    ) -> StoreResult<Account> {
        self.with(|s| {
            s.check_rev(id, expected_rev)?;
            let before = s.record(id)?.clone();
            let snapshot = (
                before.clone(),
                s.history.clone(),
                s.sessions.clone(),
                s.audit.len(),
                s.outbox.len(),
            );
            let result = (|| {
                if audit.is_some() {
                    let r = s.accounts.get_mut(&id).ok_or(StoreError::NotFound)?;
                    apply(&mut r.account, changes);
                    r.account.rev += 1;
                }
                if effects.revoke_sessions {
                    s.revoke(id, None);
                }
                if let Some(reason) = effects.end_flows {
                    s.end_flows(id, reason, None);
                }
                s.audit.extend(audit);
                if let Some(m) = effects.outbox {
                    s.outbox.push((m, false));
                }
                if let Some((answers, event)) = effects.security_answers {
                    s.kba.insert(id, answers);
                    s.audit.push(event);
                }
                if let Some(mut w) = effects.password {
                    w.expected_rev = s.record(id)?.account.rev;
                    s.write_password(&w, self.directory)?;
                }
                Ok(())
            })();
            if let Err(e) = result {
                // One transaction: a failure leaves everything as it was.
                let (record, history, sessions, audit_len, outbox_len) = snapshot;
                s.accounts.insert(id, record);
                s.history = history;
                s.sessions = sessions;
                s.audit.truncate(audit_len);
                s.outbox.truncate(outbox_len);
                return Err(e);
            }
            Ok(s.with_lock(s.record(id)?.clone()).account)
        })
    }

    async fn delete_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.with(|s| {
            s.check_rev(id, expected_rev)?;
            s.accounts.remove(&id);
            s.audit.push(audit);
            Ok(())
        })
    }

    async fn upgrade_hash(
        &self,
        id: AccountId,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> StoreResult<()> {
        self.with(|s| {
            if let Some(r) = s.accounts.get_mut(&id)
                && r.credential.hash().map(PasswordHash::as_str) == Some(old.as_str())
            {
                r.credential = Credential::Hash(new.clone());
            }
            Ok(())
        })
    }
}

#[async_trait]
impl PasswordCommit for MemoryStore {
    async fn write_password(&self, write: PasswordWrite) -> StoreResult<Account> {
        self.with(|s| {
            s.write_password(&write, self.directory)?;
            Ok(s.with_lock(s.record(write.account_id)?.clone()).account)
        })
    }
}

#[async_trait]
impl Records for MemoryStore {
    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn setting_or_init(&self, key: &str, candidate: &str) -> StoreResult<String> {
        Ok(self.with(|s| {
            s.settings
                .entry(key.to_owned())
                .or_insert_with(|| candidate.to_owned())
                .clone()
        }))
    }

    async fn begin_proof(
        &self,
        subject: ProofSubject<'_>,
        now: OffsetDateTime,
        window: Duration,
        _max: u32,
    ) -> StoreResult<ProofSlot> {
        Ok(self.with(|s| {
            let c = s.counters.entry(key(subject)).or_default();
            if c.locked_until.is_some_and(|t| t > now) {
                return ProofSlot::Locked;
            }
            if c.locked_until.is_some() || c.window_start.is_none_or(|w| w <= now - window) {
                *c = Counter {
                    failures: 0,
                    window_start: Some(now),
                    locked_until: None,
                };
            }
            ProofSlot::Allowed
        }))
    }

    async fn fail_proof(
        &self,
        subject: ProofSubject<'_>,
        now: OffsetDateTime,
        max: u32,
        lock_for: Duration,
    ) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let c = s.counters.entry(key(subject)).or_default();
            c.failures += 1;
            let locks = matches!(subject, ProofSubject::Account(_)) && c.failures >= max;
            if locks {
                c.locked_until = Some(now + lock_for);
            }
            locks
        }))
    }

    async fn succeed_proof(&self, id: AccountId) -> StoreResult<()> {
        self.with(|s| {
            if let Some(c) = s.counters.get_mut(&id.to_string()) {
                c.failures = 0;
            }
            s.end_flows(id, "signed in with the password", None);
        });
        Ok(())
    }

    async fn set_lock(
        &self,
        id: AccountId,
        until: Option<OffsetDateTime>,
        audit: AuditEvent,
    ) -> StoreResult<Account> {
        self.with(|s| {
            s.record(id)?;
            let c = s.counters.entry(id.to_string()).or_default();
            c.locked_until = until;
            c.failures = 0;
            s.audit.push(audit);
            Ok(s.with_lock(s.record(id)?.clone()).account)
        })
    }

    async fn password_history(
        &self,
        id: AccountId,
        limit: usize,
    ) -> StoreResult<Vec<PasswordHash>> {
        Ok(self.with(|s| {
            s.history
                .get(&id)
                .map(|h| h.iter().take(limit).cloned().collect())
                .unwrap_or_default()
        }))
    }

    async fn insert_session(&self, session: SessionRecord) -> StoreResult<()> {
        self.with(|s| s.sessions.push((session, false)));
        Ok(())
    }

    async fn session_by_digest(&self, digest: &[u8]) -> StoreResult<Option<SessionRecord>> {
        Ok(self.with(|s| {
            s.sessions
                .iter()
                .find(|(r, revoked)| !revoked && r.token_digest == digest)
                .map(|(r, _)| r.clone())
        }))
    }

    async fn revoke_session(&self, id: Uuid) -> StoreResult<()> {
        self.with(|s| {
            for (r, revoked) in &mut s.sessions {
                if r.id == id {
                    *revoked = true;
                }
            }
        });
        Ok(())
    }

    async fn insert_client(&self, client: ClientRecord, audit: AuditEvent) -> StoreResult<()> {
        self.with(|s| {
            s.clients.insert(client.id, client);
            s.audit.push(audit);
        });
        Ok(())
    }

    async fn client_by_id(&self, id: Uuid) -> StoreResult<Option<ClientRecord>> {
        Ok(self.with(|s| s.clients.get(&id).cloned()))
    }

    async fn outbox_backlog(&self) -> StoreResult<(u64, Option<OffsetDateTime>)> {
        Ok(self.with(|s| {
            let open: Vec<_> = s.outbox.iter().filter(|(_, settled)| !settled).collect();
            let oldest = open.iter().map(|(m, _)| m.created_at).min();
            (open.len() as u64, oldest)
        }))
    }

    async fn throttle_hit(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        limit: u32,
    ) -> StoreResult<Option<Duration>> {
        Ok(self.with(|s| {
            let c = s.counters.entry(format!("throttle:{key}")).or_default();
            match c.window_start {
                Some(start) if start + window > now => c.failures += 1,
                _ => {
                    c.window_start = Some(now);
                    c.failures = 1;
                }
            }
            let start = c.window_start.unwrap_or(now);
            (c.failures > limit).then(|| (start + window - now).try_into().unwrap_or_default())
        }))
    }

    async fn sweep(&self, s: Sweep) -> StoreResult<Option<SweepReport>> {
        Ok(Some(self.with(|st| {
            let before = (
                st.sessions.len(),
                st.flows.len(),
                st.outbox.len(),
                st.audit.len(),
            );
            st.sessions
                .retain(|(r, revoked)| !revoked && r.expires_at >= s.sessions_before);
            st.flows.retain(|_, f| f.created_at >= s.flows_before);
            st.outbox
                .retain(|(m, settled)| !settled || m.created_at >= s.outbox_before);
            if let Some(cut) = s.audit_before {
                st.audit.retain(|e| e.at >= cut);
            }
            let stale = |k: &String, c: &Counter| {
                k.starts_with("throttle:") && c.window_start.is_some_and(|t| t < s.throttle_before)
            };
            let throttles = st.counters.len();
            st.counters.retain(|k, c| !stale(k, c));
            let report = SweepReport {
                throttle: (throttles - st.counters.len()) as u64,
                sessions: (before.0 - st.sessions.len()) as u64,
                flows: (before.1 - st.flows.len()) as u64,
                outbox: (before.2 - st.outbox.len()) as u64,
                audit: (before.3 - st.audit.len()) as u64,
            };
            if s.audit_before.is_some() {
                let mut e = s.audit;
                e.reason = Some(report.audit_reason());
                st.audit.push(e);
            }
            report
        })))
    }

    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>> {
        let mut all: Vec<_> = self.with(|s| s.clients.values().cloned().collect());
        all.sort_by_key(|c| (c.created_at, c.id));
        Ok(all)
    }

    async fn delete_client(&self, id: Uuid, audit: AuditEvent) -> StoreResult<()> {
        self.with(|s| {
            s.clients.remove(&id).ok_or(StoreError::NotFound)?;
            s.sessions.retain(|(r, _)| r.client_id != Some(id));
            s.audit.push(audit);
            Ok(())
        })
    }

    async fn set_client_secret(
        &self,
        id: Uuid,
        secret_digest: Vec<u8>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.with(|s| {
            s.clients
                .get_mut(&id)
                .ok_or(StoreError::NotFound)?
                .secret_digest = secret_digest;
            for (r, revoked) in &mut s.sessions {
                if r.client_id == Some(id) {
                    *revoked = true;
                }
            }
            s.audit.push(audit);
            Ok(())
        })
    }

    async fn append_audit(&self, event: AuditEvent) -> StoreResult<()> {
        self.with(|s| s.audit.push(event));
        Ok(())
    }

    async fn list_audit(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        Ok(self.with(|s| {
            let end = match q.before {
                Some(b) => s.audit.iter().position(|e| e.id == b).unwrap_or(0),
                None => s.audit.len(),
            };
            s.audit[..end]
                .iter()
                .rev()
                .filter(|e| {
                    q.account_id.is_none_or(|id| e.target_id == Some(id))
                        && q.kind.is_none_or(|k| e.kind == k)
                        && q.since.is_none_or(|t| e.at >= t)
                        && q.until.is_none_or(|t| e.at <= t)
                        && q.surface.as_ref().is_none_or(|x| e.surface == *x)
                        && q.outcome.is_none_or(|o| e.outcome == o)
                })
                .take(q.limit as usize)
                .cloned()
                .collect()
        }))
    }

    async fn pending_outbox(&self, account_id: AccountId) -> StoreResult<Vec<OutboxMessage>> {
        Ok(self.with(|s| {
            s.outbox
                .iter()
                .filter(|(m, settled)| !settled && m.account_id == account_id)
                .map(|(m, _)| m.clone())
                .collect()
        }))
    }

    async fn claim_outbox(
        &self,
        _now: OffsetDateTime,
        _lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<PendingMessage>> {
        Ok(self.with(|s| {
            s.outbox
                .iter()
                .filter(|(_, settled)| !settled)
                .take(limit as usize)
                .map(|(m, _)| PendingMessage {
                    message: m.clone(),
                    attempts: 0,
                })
                .collect()
        }))
    }

    async fn outbox_delivered(&self, id: Uuid, _at: OffsetDateTime) -> StoreResult<()> {
        self.with(|s| {
            for (m, settled) in &mut s.outbox {
                if m.id == id {
                    *settled = true;
                }
            }
        });
        Ok(())
    }

    async fn outbox_failed(
        &self,
        id: Uuid,
        _attempts: u32,
        _retry_at: OffsetDateTime,
        _error: &str,
        give_up: bool,
    ) -> StoreResult<()> {
        if give_up {
            self.outbox_delivered(id, OffsetDateTime::UNIX_EPOCH)
                .await?;
        }
        Ok(())
    }

    async fn expiry_candidates(
        &self,
        changed_before: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<Account>> {
        Ok(self.with(|s| {
            s.accounts
                .values()
                .map(|r| &r.account)
                .filter(|a| {
                    !a.password_never_expires
                        && a.password_changed_at.is_some_and(|t| t < changed_before)
                })
                .take(limit as usize)
                .cloned()
                .collect()
        }))
    }

    async fn mark_expiry_warned(
        &self,
        _id: AccountId,
        _at: OffsetDateTime,
        outbox: OutboxMessage,
    ) -> StoreResult<()> {
        self.with(|s| s.outbox.push((outbox, false)));
        Ok(())
    }

    async fn insert_flow(
        &self,
        flow: RecoveryFlow,
        audit: AuditEvent,
        outbox: Option<OutboxMessage>,
    ) -> StoreResult<()> {
        self.with(|s| {
            if let (Some(id), Some(_)) = (flow.account_id, &outbox) {
                s.end_flows(id, "superseded by a newer flow", None);
            }
            s.flows.insert(flow.id, flow);
            s.audit.push(audit);
            if let Some(m) = outbox {
                s.outbox.push((m, false));
            }
        });
        Ok(())
    }

    async fn flow(&self, id: Uuid) -> StoreResult<Option<RecoveryFlow>> {
        Ok(self.with(|s| s.flows.get(&id).cloned()))
    }

    async fn advance_flow(&self, step: FlowStep) -> StoreResult<Option<MailFate>> {
        Ok(self.with(|s| {
            let f = s.flows.get_mut(&step.flow_id)?;
            if f.step != step.expected_step || f.completed {
                return None;
            }
            f.step += 1;
            f.stage_index = step.stage_index;
            f.account_id = step.account_id;
            f.decoy = step.decoy;
            f.code_digest = step.code_digest.clone();
            f.code_expires_at = step.code_expires_at;
            f.proved_email = step.proved_email;
            s.audit.extend(step.audit);
            Some(match step.mail {
                None => MailFate::None,
                Some(mail) if mail.deliver => {
                    if let Some(id) = step.account_id {
                        s.end_flows(id, "superseded by a newer flow", Some(step.flow_id));
                    }
                    s.outbox.push((mail.message, false));
                    MailFate::Queued
                }
                Some(mail) => {
                    s.outbox.push((mail.message, true));
                    MailFate::Discarded
                }
            })
        }))
    }

    async fn fail_flow(&self, id: Uuid, expected_step: u32) -> StoreResult<u32> {
        Ok(self.with(|s| match s.flows.get_mut(&id) {
            Some(f) if f.step == expected_step => {
                f.attempts += 1;
                f.attempts
            }
            _ => u32::MAX,
        }))
    }

    async fn recovery_failures(
        &self,
        account: AccountId,
        since: OffsetDateTime,
    ) -> StoreResult<u32> {
        Ok(self.with(|s| {
            s.flows
                .values()
                .filter(|f| f.account_id == Some(account) && f.created_at >= since)
                .map(|f| f.attempts)
                .sum()
        }))
    }

    async fn kba_answers(&self, account: AccountId) -> StoreResult<Vec<KbaAnswer>> {
        Ok(self.with(|s| s.kba.get(&account).cloned().unwrap_or_default()))
    }

    async fn set_kba_answers(
        &self,
        account: AccountId,
        answers: Vec<KbaAnswer>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.with(|s| {
            s.kba.insert(account, answers);
            s.audit.push(audit);
        });
        Ok(())
    }
}
