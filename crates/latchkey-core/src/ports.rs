//! Ports: what the core needs from storage, by role — an [`AccountSource`] (where accounts
//! live), a [`PasswordCommit`] (how a password write commits) and [`Records`] (Latchkey's
//! own records, always SQL). A new backend implements the role it plays — a directory is
//! an account source and its password commit beside the SQL records — in its own crate;
//! the core never names a backend. The SQL store (SQLite, PostgreSQL) is all three.

use crate::audit::{AuditEvent, AuditQuery};
use crate::auth::Scope;
use crate::domain::{Account, AccountId, Dn, Profile, Roles, Sid, UserName};
use crate::hashing::PasswordHash;
use crate::recovery::Stage;
use crate::recovery::filter::{Attr, Filter};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Duplicate(&'static str),
    #[error("revision mismatch")]
    RevisionMismatch,
    #[error("not found")]
    NotFound,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A query the store cannot evaluate as asked (a 400 naming why).
    #[error("{0}")]
    InvalidQuery(String),
    /// A write this account source cannot make (a read-only directory's create).
    #[error("{0}")]
    Unsupported(&'static str),
    /// The account source refused a new password that passed Latchkey's policy (a
    /// directory's own policy): the core reports it in the policy report.
    #[error("refused by the account source: {0:?}")]
    SourceRefused(SourceRefusal),
    /// The account source did not accept the current password given with a self change
    /// (it checks it again as it writes): a failed proof, counted toward lockout.
    #[error("the account source did not accept the current password")]
    SourceWrongCurrent,
    #[error("store error: {0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An account with its credential, as the core reads it to check a proof.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    pub account: Account,
    pub credential: Credential,
}

/// How an account's password is checked.
#[derive(Debug, Clone)]
pub enum Credential {
    /// No password to check (never set).
    None,
    /// A hash Latchkey keeps: verified in the core's hashing engine.
    Hash(PasswordHash),
    /// Kept by the source itself (a directory): checked by
    /// [`AccountSource::verify_password`], e.g. with an LDAP bind.
    AtSource,
}

impl Credential {
    pub fn from_hash(hash: Option<PasswordHash>) -> Self {
        hash.map_or(Credential::None, Credential::Hash)
    }

    /// The hash Latchkey keeps, if it keeps one.
    pub fn hash(&self) -> Option<&PasswordHash> {
        match self {
            Credential::Hash(h) => Some(h),
            Credential::None | Credential::AtSource => None,
        }
    }

    pub fn is_set(&self) -> bool {
        !matches!(self, Credential::None)
    }
}

/// A new password the account source refused, as the policy report shows it: under one of
/// Latchkey's rule names where the source's reason maps to one (`min-length`, `history`,
/// `min-age`), else as rule `directory`; `text` is the source's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRefusal {
    pub rule: &'static str,
    pub text: String,
}

/// What a source answers for a password it checked itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceVerdict {
    Matched,
    /// Right, but the source allows nothing but changing it (an expired password in its
    /// grace binds): the session is a change-only one.
    MatchedChangeOnly,
    Wrong,
    /// The source refuses the account whatever the password (locked or disabled there);
    /// the reason goes to the audit log only.
    Refused(&'static str),
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub user_name: UserName,
    pub dn: Dn,
    pub profile: Profile,
    pub roles: Roles,
    pub federated: bool,
    pub hash: Option<PasswordHash>,
    /// The password itself, in memory, beside its hash: for a source that sets it itself
    /// (a directory entry made here). `None` for an imported hash or no password.
    pub plain: Option<std::sync::Arc<crate::domain::Password>>,
    /// Made by a provisioning client (SCIM): it goes where the organisation's users live
    /// (see [`crate::sources::Layered`]).
    pub provisioned: bool,
    /// Created disabled (SCIM's `active: false`), in the same write.
    pub disabled: bool,
    pub must_change_password: bool,
    pub password_never_expires: bool,
    pub cannot_change_password: bool,
    pub created_at: OffsetDateTime,
    /// Kept from an import (an export/import round trip keeps identities); the source
    /// assigns one when `None`.
    pub sid: Option<Sid>,
    /// Kept from an import; `created_at` when `None` and a hash is given.
    pub password_changed_at: Option<OffsetDateTime>,
    pub audit: AuditEvent,
}

/// One account of an import batch, as the source writes it.
#[derive(Debug, Clone)]
pub enum ImportWrite {
    Create(NewAccount),
    /// An existing account's profile, roles and flags replaced, and — when given — its
    /// password hash (kept as imported; the replaced one joins the history).
    Update {
        id: AccountId,
        changes: AccountChanges,
        hash: Option<PasswordHash>,
        password_changed_at: Option<OffsetDateTime>,
        /// Previous hashes kept for the history rule (as a password write keeps them).
        history_keep: usize,
        audit: AuditEvent,
    },
}

/// A change of profile, roles or flags; every field `None` means "leave as is".
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub user_name: Option<UserName>,
    pub dn: Option<Dn>,
    pub profile: Option<Profile>,
    pub roles: Option<Roles>,
    pub disabled: Option<bool>,
    pub federated: Option<bool>,
    pub must_change_password: Option<bool>,
    pub password_never_expires: Option<bool>,
    pub cannot_change_password: Option<bool>,
}

impl AccountChanges {
    /// Whether the change leaves the account row as it is.
    pub fn is_empty(&self) -> bool {
        let AccountChanges {
            user_name,
            dn,
            profile,
            roles,
            disabled,
            federated,
            must_change_password,
            password_never_expires,
            cannot_change_password,
        } = self;
        user_name.is_none()
            && dn.is_none()
            && profile.is_none()
            && roles.is_none()
            && disabled.is_none()
            && federated.is_none()
            && must_change_password.is_none()
            && password_never_expires.is_none()
            && cannot_change_password.is_none()
    }
}

/// What an account update writes besides the row: session revocation, the end of the
/// account's open recovery flows, a notification — all in its transaction.
#[derive(Debug, Clone, Default)]
pub struct UpdateEffects {
    pub revoke_sessions: bool,
    /// Ends every open recovery flow of the account, with this reason (audit only).
    pub end_flows: Option<&'static str>,
    pub outbox: Option<OutboxMessage>,
    /// A password set in the same request, written after the update in the same
    /// transaction; its `expected_rev` is taken from the update.
    pub password: Option<PasswordWrite>,
    /// Security answers enrolled in the same request (replacing the account's), with
    /// their audit event.
    pub security_answers: Option<(Vec<KbaAnswer>, AuditEvent)>,
}

/// A new password that passed the policy: its hash, and the password itself in memory
/// for sources that set it themselves (an LDAP password modify, an AD `unicodePwd`
/// write) — never stored or logged (its `Debug` shows nothing).
#[derive(Debug, Clone)]
pub struct NewPassword {
    pub hash: PasswordHash,
    pub plain: std::sync::Arc<crate::domain::Password>,
}

/// Everything one password change or reset writes, in one transaction.
#[derive(Debug, Clone)]
pub struct PasswordWrite {
    pub account_id: AccountId,
    /// The current password, proved just before, of a self change: a source that keeps
    /// passwords itself changes it as the user (an LDAP password modify bound as them).
    /// `None` for a reset or a recovery. Never stored or logged.
    pub current: Option<Arc<crate::domain::Password>>,
    /// The revision the caller read; the write fails if another write came first.
    pub expected_rev: i64,
    pub new: NewPassword,
    pub normalization: &'static str,
    pub changed_at: OffsetDateTime,
    pub must_change_password: Option<bool>,
    pub password_never_expires: Option<bool>,
    pub cannot_change_password: Option<bool>,
    pub unlock: bool,
    /// Previous hashes kept for the history rule.
    pub history_keep: usize,
    /// The caller's own session survives a self change; every other one is revoked.
    pub keep_session: Option<Uuid>,
    pub audit: Vec<AuditEvent>,
    /// The notification; `None` when the caller asked for none (`notifyType: NONE`).
    pub outbox: Option<OutboxMessage>,
    /// A recovery flow this write completes: `(flow, step)`, advanced in the same
    /// transaction, so that a replayed or parallel submission cannot complete it twice.
    pub complete_flow: Option<(Uuid, u32)>,
}

/// A notification to deliver, written with the change that caused it.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub id: Uuid,
    /// `password-changed`, `password-reset`, ...
    pub kind: String,
    pub account_id: AccountId,
    pub created_at: OffsetDateTime,
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: Uuid,
    pub token_digest: Vec<u8>,
    pub account_id: Option<AccountId>,
    pub client_id: Option<Uuid>,
    pub scopes: Vec<Scope>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// May only change the (expired) password.
    pub change_only: bool,
}

#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub id: Uuid,
    pub name: String,
    pub secret_digest: Vec<u8>,
    pub scopes: Vec<Scope>,
    pub created_at: OffsetDateTime,
}

/// Whose failed proofs a counter holds: an account's, or — when the name given matches
/// no account — that name's (a digest of it), written alike so the two cost the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofSubject<'a> {
    Account(AccountId),
    Name(&'a str),
}

/// Whether a proof (password check) may run now: reserved before hashing, so that no
/// burst of parallel guesses gets more than the limit checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofSlot {
    Allowed,
    Locked,
}

/// A recovery flow as the store keeps it: the step advances by compare-and-swap.
#[derive(Debug, Clone)]
pub struct RecoveryFlow {
    pub id: Uuid,
    pub stages: Vec<Stage>,
    pub stage_index: u32,
    pub step: u32,
    /// Identified account; `None` before `userQuery` or for a decoy.
    pub account_id: Option<AccountId>,
    /// An unknown or ineligible account: answers like a real flow, never succeeds.
    pub decoy: bool,
    pub attempts: u32,
    pub code_digest: Option<Vec<u8>>,
    pub code_expires_at: Option<OffsetDateTime>,
    pub proved_email: bool,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub completed: bool,
    /// Why the flow was ended before completion (superseded, password changed, ...):
    /// for the audit log only.
    pub ended: Option<String>,
}

/// A recovery code mail, sent only within the budget of mails per account and per
/// client network (`recovery.max_mails_per_*` within `recovery.mail_window`). The store
/// counts and writes in one transaction, and does the same work for a decoy (whose
/// message is written already discarded), so that neither count nor time tells them apart.
#[derive(Debug, Clone)]
pub struct RecoveryMail {
    pub message: OutboxMessage,
    /// False for a decoy: the same work, never delivered.
    pub deliver: bool,
    /// The client network (`/24` or `/64`) the flow was started from.
    pub network: String,
    /// Whose budget the mail counts against: the account's id, or for a decoy
    /// `decoy:` and the bucket of the name it was started for. A mail within budget also
    /// ends the other open flows of its key (a decoy's: the other decoys').
    pub budget_key: String,
    pub since: OffsetDateTime,
    pub max_per_source: u32,
    pub max_per_account: u32,
}

impl RecoveryMail {
    /// The counter bucket locked while the budget is counted, so that parallel flows of
    /// one key count in turn — a row for real and decoy flows alike.
    pub fn lock_key(&self) -> String {
        crate::ops::name_key(&self.budget_key)
    }
}

/// What became of a recovery step's mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFate {
    /// No mail at this step.
    None,
    Queued,
    /// A decoy's: written discarded.
    Discarded,
    OverSourceBudget,
    OverAccountBudget,
}

/// What one successful recovery step writes, if the flow is still at `expected_step`.
#[derive(Debug, Clone)]
pub struct FlowStep {
    pub flow_id: Uuid,
    pub expected_step: u32,
    pub stage_index: u32,
    pub account_id: Option<AccountId>,
    pub decoy: bool,
    pub code_digest: Option<Vec<u8>>,
    pub code_expires_at: Option<OffsetDateTime>,
    pub proved_email: bool,
    pub audit: Vec<AuditEvent>,
    /// The code mail of a step into `emailValidation`.
    pub mail: Option<RecoveryMail>,
}

/// A security answer: a system question by id or the user's own question, answer hashed.
#[derive(Debug, Clone)]
pub struct KbaAnswer {
    pub question_id: Option<String>,
    pub custom_question: Option<String>,
    pub answer_hash: PasswordHash,
}

/// What one housekeeping sweep removes: everything before each cutoff.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Sessions that expired before this (and every revoked one).
    pub sessions_before: OffsetDateTime,
    /// Recovery flows created before this (long after their lifetime and mail window).
    pub flows_before: OffsetDateTime,
    /// Delivered (or given-up) notifications written before this.
    pub outbox_before: OffsetDateTime,
    /// Throttle windows that began before this.
    pub throttle_before: OffsetDateTime,
    /// Audit events before this; `None` keeps them forever.
    pub audit_before: Option<OffsetDateTime>,
    /// The event recording how many audit events the sweep removed (its reason is filled
    /// in by the store), written after them in the same transaction.
    pub audit: AuditEvent,
}

/// What a sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub sessions: u64,
    pub throttle: u64,
    pub flows: u64,
    pub outbox: u64,
    pub audit: u64,
}

impl SweepReport {
    /// The reason of the sweep's audit event.
    pub fn audit_reason(&self) -> String {
        format!(
            "{} audit events older than the retention removed",
            self.audit
        )
    }
}

/// A notification claimed for delivery.
#[derive(Debug, Clone)]
pub struct PendingMessage {
    pub message: OutboxMessage,
    pub attempts: u32,
}

#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Exact, case-insensitive.
    pub user_name: Option<String>,
    /// Exact, case-insensitive.
    pub email: Option<String>,
    /// An IDM/SCIM query filter, evaluated by the store over every account (with the
    /// same meaning as [`Filter::matches`]: string comparisons ignore case).
    pub query: Option<Filter>,
    /// The order of the page; by user name when `None`.
    pub sort: Option<AccountSort>,
    pub offset: u32,
    pub limit: u32,
}

/// A sort key of an account list: the attribute's value ignoring case (missing values
/// first), ties by user name; descending reverses both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountSort {
    pub by: Attr,
    pub descending: bool,
}

impl AccountSort {
    /// The order an account list is in: the stores sort alike in SQL; sources asked in
    /// turn merge their pages with this.
    pub fn compare(sort: Option<Self>, a: &Account, b: &Account) -> std::cmp::Ordering {
        let by_name =
            |x: &Account, y: &Account| x.user_name.lookup_key().cmp(&y.user_name.lookup_key());
        match sort {
            None => by_name(a, b),
            Some(s) => {
                let key = |x: &Account| s.by.of(x).map(|v| v.to_lowercase());
                let order = key(a).cmp(&key(b)).then_with(|| by_name(a, b));
                if s.descending { order.reverse() } else { order }
            }
        }
    }

    /// `limit` items from `offset` of `items` in the list's order (`account` reads each
    /// item's account).
    pub fn page<T>(
        sort: Option<Self>,
        mut items: Vec<T>,
        account: impl Fn(&T) -> &Account,
        offset: u32,
        limit: u32,
    ) -> Vec<T> {
        items.sort_by(|a, b| Self::compare(sort, account(a), account(b)));
        items
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect()
    }
}

/// What an account source can do besides finding and reading accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceCapabilities {
    pub create: bool,
    pub update: bool,
    pub delete: bool,
    /// Checks (some) passwords itself ([`AccountSource::verify_password`]): then every
    /// proof asks it — for an account it does not hold, or a name that matched none, with
    /// `None` — so that a proof costs the same whichever account it names.
    pub verifies_passwords: bool,
    /// Takes the users a provisioning client (SCIM) creates. In front of a source that
    /// holds the users but does not create them (a directory), they are not made here
    /// instead: they belong there.
    pub provisions: bool,
}

impl SourceCapabilities {
    /// Latchkey's own SQL accounts: every write, hashes verified by the core.
    pub const OWNED: Self = Self {
        create: true,
        update: true,
        delete: true,
        verifies_passwords: false,
        provisions: true,
    };

    /// What two sources asked in turn can do between them.
    pub fn either(self, other: Self) -> Self {
        Self {
            create: self.create || other.create,
            update: self.update || other.update,
            delete: self.delete || other.delete,
            verifies_passwords: self.verifies_passwords || other.verifies_passwords,
            // Layered: every layer must take them (a directory among them holds the users).
            provisions: self.provisions && other.provisions,
        }
    }
}

/// Where accounts live and how they are found, searched and changed: Latchkey's own SQL
/// tables, or (next) a directory. A source that cannot create, update or delete says so in
/// its capabilities; the password itself is written through [`PasswordCommit`].
#[async_trait]
pub trait AccountSource: Send + Sync + 'static {
    /// What this source can do besides reading (a read-only directory cannot create).
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::OWNED
    }

    /// Checks a password this source keeps itself, for a record whose credential is
    /// [`Credential::AtSource`]; asked only of a source that says `verifies_passwords`, on
    /// every proof: with `None` for any other (an account whose hash the core verifies, a
    /// name that matched none, a disabled or locked account), which must cost what a real
    /// check costs — e.g. the same bind against a name that cannot exist. The core
    /// verifies a hash on every proof too (the dummy one here), reserves the lockout slot
    /// before and counts the failure after; the source only answers.
    async fn verify_password(
        &self,
        record: Option<&AccountRecord>,
        password: &crate::domain::Password,
    ) -> StoreResult<SourceVerdict> {
        let _ = (record, password);
        Err(StoreError::Other(
            "this account source keeps no passwords".into(),
        ))
    }

    /// Lifts the source's own lock of the account (a directory's password-policy lock),
    /// when an administrator unlocks it; Latchkey's lock is lifted in its records.
    async fn unlock_at_source(&self, id: AccountId) -> StoreResult<()> {
        let _ = id;
        Ok(())
    }

    async fn count_accounts(&self) -> StoreResult<u64>;
    /// Accounts Latchkey keeps itself (a source that creates them): the first admin is
    /// made when there are none, whatever a directory holds.
    async fn count_own_accounts(&self) -> StoreResult<u64> {
        if self.capabilities().create {
            self.count_accounts().await
        } else {
            Ok(0)
        }
    }
    /// Writes an import batch in one transaction (all or nothing). A source that cannot
    /// create does not import.
    async fn import_accounts(&self, batch: Vec<ImportWrite>, domain: [u32; 3]) -> StoreResult<()> {
        let _ = (batch, domain);
        Err(StoreError::Unsupported(
            "this account source does not import accounts",
        ))
    }
    /// Inserts the account (with its audit event) and assigns its SID.
    async fn insert_account(&self, new: NewAccount, domain: [u32; 3]) -> StoreResult<Account>;
    async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<AccountRecord>>;
    async fn account_by_user_name(&self, user_name_key: &str)
    -> StoreResult<Option<AccountRecord>>;
    async fn account_by_dn(&self, dn: &Dn) -> StoreResult<Option<AccountRecord>>;
    async fn account_by_sid(&self, sid: &Sid) -> StoreResult<Option<AccountRecord>>;
    async fn list_accounts(&self, filter: &AccountFilter) -> StoreResult<(Vec<Account>, u64)>;
    /// Applies the changes if the revision matches (when given), bumps `_rev`, writes the
    /// audit event and the effects (see [`UpdateEffects`]). Empty changes that only carry
    /// a password or security answers (no audit event of their own) leave the row alone.
    async fn update_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        changes: &AccountChanges,
        effects: UpdateEffects,
        audit: Option<AuditEvent>,
    ) -> StoreResult<Account>;
    async fn delete_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Replaces `old` by `new` (same password, current parameters) if `old` is still stored.
    async fn upgrade_hash(
        &self,
        id: AccountId,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> StoreResult<()>;
}

/// How a password change commits: one unit of work with its history, revision, session
/// revocation, audit and notification. The write carries the new password in memory for
/// sources that set it themselves (a directory); it is never stored or logged.
#[async_trait]
pub trait PasswordCommit: Send + Sync + 'static {
    /// Writes a change or reset in one transaction (see [`PasswordWrite`]).
    async fn write_password(&self, write: PasswordWrite) -> StoreResult<Account>;
}

/// Latchkey's own records, which always live in SQL whatever the account source: lockout
/// counters, password history, sessions, API clients, audit, the outbox, recovery flows,
/// security answers and settings.
#[async_trait]
pub trait Records: Send + Sync + 'static {
    /// Readiness: the store answers.
    async fn ping(&self) -> StoreResult<()>;

    /// An installation-wide setting (SID domain, generated token key): `candidate` is
    /// stored if none is yet, and whatever is stored is returned — the same on every node.
    async fn setting_or_init(&self, key: &str, candidate: &str) -> StoreResult<String>;

    /// Reserves one proof attempt (see [`ProofSlot`]); a lapsed lock or window starts over.
    async fn begin_proof(
        &self,
        subject: ProofSubject<'_>,
        now: OffsetDateTime,
        window: Duration,
        max: u32,
    ) -> StoreResult<ProofSlot>;
    /// Records that the reserved attempt failed; locks the account once `max` is reached.
    /// Returns whether this failure locked it.
    async fn fail_proof(
        &self,
        subject: ProofSubject<'_>,
        now: OffsetDateTime,
        max: u32,
        lock_for: Duration,
    ) -> StoreResult<bool>;
    /// A successful proof: the consecutive-failure count starts over, and the account's
    /// open recovery flows end (its owner knows the password).
    async fn succeed_proof(&self, id: AccountId) -> StoreResult<()>;
    /// Sets or clears an administrative lock.
    async fn set_lock(
        &self,
        id: AccountId,
        until: Option<OffsetDateTime>,
        audit: AuditEvent,
    ) -> StoreResult<Account>;
    /// Previous hashes, newest first.
    async fn password_history(&self, id: AccountId, limit: usize)
    -> StoreResult<Vec<PasswordHash>>;

    async fn insert_session(&self, session: SessionRecord) -> StoreResult<()>;
    /// A live (not revoked) session by token digest.
    async fn session_by_digest(&self, digest: &[u8]) -> StoreResult<Option<SessionRecord>>;
    async fn revoke_session(&self, id: Uuid) -> StoreResult<()>;

    async fn insert_client(&self, client: ClientRecord, audit: AuditEvent) -> StoreResult<()>;
    async fn client_by_id(&self, id: Uuid) -> StoreResult<Option<ClientRecord>>;
    /// Every API client, oldest first.
    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>>;
    /// Deletes the client and, with it, every token it holds (`NotFound` if none).
    async fn delete_client(&self, id: Uuid, audit: AuditEvent) -> StoreResult<()>;
    /// Replaces the client's secret and revokes every token it holds (`NotFound` if none).
    async fn set_client_secret(
        &self,
        id: Uuid,
        secret_digest: Vec<u8>,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    async fn append_audit(&self, event: AuditEvent) -> StoreResult<()>;
    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>>;

    /// Undelivered notifications of an account, oldest first.
    async fn pending_outbox(&self, account_id: AccountId) -> StoreResult<Vec<OutboxMessage>>;
    /// Claims up to `limit` due messages for `lease` (another worker skips them meanwhile).
    async fn claim_outbox(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<PendingMessage>>;
    async fn outbox_delivered(&self, id: Uuid, at: OffsetDateTime) -> StoreResult<()>;
    /// Counts one request of `key` against a budget of `limit` per `window`, shared by
    /// every node (one atomic statement): `None` if within it, else how long until the
    /// window ends.
    async fn throttle_hit(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        limit: u32,
    ) -> StoreResult<Option<Duration>>;
    /// Removes what has outlived its use (see [`Sweep`]) in one transaction, on one node
    /// at a time: `None` when another node is sweeping now.
    async fn sweep(&self, sweep: Sweep) -> StoreResult<Option<SweepReport>>;
    /// Notifications not yet delivered (given-up ones excluded), and when the oldest was
    /// written.
    async fn outbox_backlog(&self) -> StoreResult<(u64, Option<OffsetDateTime>)>;
    /// A failed delivery: retried at `retry_at`, or given up (kept, marked) when `give_up`.
    async fn outbox_failed(
        &self,
        id: Uuid,
        attempts: u32,
        retry_at: OffsetDateTime,
        error: &str,
        give_up: bool,
    ) -> StoreResult<()>;

    /// Accounts that may need an expiry warning: a password changed before `changed_before`,
    /// not marked never-expiring, not warned since the last change.
    async fn expiry_candidates(
        &self,
        changed_before: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<Account>>;
    /// Records the warning (with its notification) so it is sent once per password.
    async fn mark_expiry_warned(
        &self,
        id: AccountId,
        at: OffsetDateTime,
        outbox: OutboxMessage,
    ) -> StoreResult<()>;

    /// Inserts a new flow with its audit event and, for a flow that starts by mailing a
    /// code (admin-triggered), its notification; a flow that mails ends the account's
    /// other open flows.
    async fn insert_flow(
        &self,
        flow: RecoveryFlow,
        audit: AuditEvent,
        outbox: Option<OutboxMessage>,
    ) -> StoreResult<()>;
    async fn flow(&self, id: Uuid) -> StoreResult<Option<RecoveryFlow>>;
    /// Advances the flow if it is still at `expected_step` (`None` if another use won),
    /// with its mail if any: a mail actually queued ends the account's other open flows.
    async fn advance_flow(&self, step: FlowStep) -> StoreResult<Option<MailFate>>;
    /// Counts a refused input of the flow at `expected_step`; returns the attempts so far.
    async fn fail_flow(&self, id: Uuid, expected_step: u32) -> StoreResult<u32>;
    /// Refused inputs over all of an account's flows created since `since`.
    async fn recovery_failures(
        &self,
        account: AccountId,
        since: OffsetDateTime,
    ) -> StoreResult<u32>;

    async fn kba_answers(&self, account: AccountId) -> StoreResult<Vec<KbaAnswer>>;
    /// Replaces the account's answers, with the audit event, in one transaction.
    async fn set_kba_answers(
        &self,
        account: AccountId,
        answers: Vec<KbaAnswer>,
        audit: AuditEvent,
    ) -> StoreResult<()>;
}

/// Latchkey's own row for each account another source holds (a directory entry), keyed by
/// the entry's stable id so that a renamed or moved entry keeps it: the revision, the
/// flags Latchkey keeps, its lock, the password history and the time of the last change
/// made through Latchkey. The SQL store keeps these rows apart from its own accounts
/// (never found, listed or counted as one).
#[async_trait]
pub trait ShadowRecords: Send + Sync + 'static {
    /// The rows of these accounts, in the order asked, each made on first sight (created
    /// `at`). The account fields a source reads itself (names, profile, roles) are left
    /// for it to fill in.
    async fn shadows(&self, ids: &[AccountId], at: OffsetDateTime) -> StoreResult<Vec<Account>>;
    /// What [`Self::shadows`] reads for one account, for a name no entry has: so that a
    /// lookup costs the same whether or not it finds an account.
    async fn shadow_miss(&self) -> StoreResult<()>;
    /// What a password write the source has made stores beside it, in one transaction:
    /// the revision, history, flags, unlock, session revocation, flow completion, audit
    /// and notification (see [`PasswordWrite`]).
    async fn shadow_password(&self, write: PasswordWrite) -> StoreResult<Account>;
    /// Latchkey's flags of the account (must change, never expires, cannot change) and
    /// the update's effects, if the revision matches; see [`AccountSource::update_account`].
    /// Also records an entry made through Latchkey (its flags and creation event).
    async fn shadow_update(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        changes: &AccountChanges,
        effects: UpdateEffects,
        audit: Option<AuditEvent>,
    ) -> StoreResult<Account>;

    /// The account's entry was deleted at the source: its row goes (sessions, flows,
    /// history with it), the deletion's event stays.
    async fn shadow_delete(&self, id: AccountId, audit: AuditEvent) -> StoreResult<()>;

    /// Records a password write the source is about to make (see [`SourceIntent`]).
    async fn begin_intent(&self, intent: &SourceIntent) -> StoreResult<()>;
    /// The write's effects are committed, or the source refused it.
    async fn end_intent(&self, id: Uuid) -> StoreResult<()>;
    /// Intents begun at or before `before` (to the millisecond kept) and never ended: a node
    /// died in between.
    async fn stale_intents(&self, before: OffsetDateTime) -> StoreResult<Vec<SourceIntent>>;
}

/// A password write to an account source that keeps passwords itself, recorded before
/// the source is written: the source and Latchkey's records cannot share a transaction,
/// so a node killed between the two leaves this behind, and whoever finds it decides from
/// the source whether the write happened (then commits `body`'s effects) or not.
#[derive(Debug, Clone)]
pub struct SourceIntent {
    pub id: Uuid,
    pub account_id: AccountId,
    pub started_at: OffsetDateTime,
    /// The write's effects, in the source's own form (never the password).
    pub body: String,
}

/// Everything the core needs: an account source, its password commit and Latchkey's
/// records. The SQL store is all three (a change on it stays one transaction); a
/// deployment fronting a directory combines a directory source with the SQL records.
pub trait Store: AccountSource + PasswordCommit + Records {}

impl<T: AccountSource + PasswordCommit + Records> Store for T {}

/// The core's ports by role, as [`crate::Latchkey::new`] takes them: one store playing
/// every role (`Arc<SqlStore>` converts), or the roles apart — local accounts beside a
/// directory in a [`crate::sources::Layered`] source, with the SQL store's records.
#[derive(Clone)]
pub struct Ports {
    pub accounts: Arc<dyn AccountSource>,
    pub commit: Arc<dyn PasswordCommit>,
    pub records: Arc<dyn Records>,
}

impl<S: Store> From<Arc<S>> for Ports {
    fn from(store: Arc<S>) -> Self {
        Ports {
            accounts: store.clone(),
            commit: store.clone(),
            records: store,
        }
    }
}

impl From<Arc<dyn Store>> for Ports {
    fn from(store: Arc<dyn Store>) -> Self {
        Ports {
            accounts: store.clone(),
            commit: store.clone(),
            records: store,
        }
    }
}
