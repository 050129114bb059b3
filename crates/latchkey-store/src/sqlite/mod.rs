//! The SQLite adapter: one file, WAL, writes serialised by `BEGIN IMMEDIATE`.

mod accounts;
mod credentials;
mod outbox;
mod records;
mod recovery;
mod sessions;

use async_trait::async_trait;
use latchkey_core::audit::{AuditEvent, AuditQuery};
use latchkey_core::domain::{Account, AccountId, Dn, Sid};
use latchkey_core::hashing::PasswordHash;
use latchkey_core::ports::{
    AccountChanges, AccountFilter, AccountRecord, ClientRecord, FlowStep, KbaAnswer, NewAccount,
    OutboxMessage, PasswordWrite, PendingMessage, ProofSlot, RecoveryFlow, SessionRecord, Store,
    StoreError, StoreResult,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        sqlx::migrate!("./migrations/sqlite").run(&self.pool).await
    }

    /// A write transaction that holds the write lock from its first statement, so that
    /// a read inside it can never be invalidated by another writer.
    async fn write_tx(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(map_err)
    }
}

/// Maps driver errors to the port's: unique violations name the field, I/O and pool
/// time-outs mean "unavailable", the rest is internal (logged by the caller, never shown).
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let msg = db.message();
            StoreError::Duplicate(if msg.contains("user_name_key") {
                "userName"
            } else if msg.contains("dn_key") {
                "dn"
            } else if msg.contains("sid") {
                "sid"
            } else {
                "record"
            })
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Database(db) if db.code().as_deref() == Some("5") => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Other(e.to_string()),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn setting_or_init(&self, key: &str, candidate: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(candidate)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn count_accounts(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(n as u64)
    }

    async fn insert_account(&self, new: NewAccount, domain: [u32; 3]) -> StoreResult<Account> {
        self.insert_account_tx(new, domain).await
    }

    async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<AccountRecord>> {
        self.account_where_id(id).await
    }

    async fn account_by_user_name(&self, key: &str) -> StoreResult<Option<AccountRecord>> {
        self.account_where("user_name_key", key).await
    }

    async fn account_by_dn(&self, dn: &Dn) -> StoreResult<Option<AccountRecord>> {
        self.account_where("dn_key", &dn.normalized()).await
    }

    async fn account_by_sid(&self, sid: &Sid) -> StoreResult<Option<AccountRecord>> {
        self.account_where("sid", &sid.to_string()).await
    }

    async fn list_accounts(&self, filter: &AccountFilter) -> StoreResult<(Vec<Account>, u64)> {
        self.list(filter).await
    }

    async fn update_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        changes: &AccountChanges,
        revoke_sessions: bool,
        audit: AuditEvent,
    ) -> StoreResult<Account> {
        self.update(id, expected_rev, changes, revoke_sessions, audit)
            .await
    }

    async fn delete_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.delete(id, expected_rev, audit).await
    }

    async fn begin_proof(
        &self,
        id: AccountId,
        now: OffsetDateTime,
        window: Duration,
        max: u32,
    ) -> StoreResult<ProofSlot> {
        self.reserve_proof(id, now, window, max).await
    }

    async fn fail_proof(
        &self,
        id: AccountId,
        now: OffsetDateTime,
        max: u32,
        lock_for: Duration,
    ) -> StoreResult<bool> {
        self.record_failure(id, now, max, lock_for).await
    }

    async fn succeed_proof(&self, id: AccountId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE lockout_counters SET failures = 0, window_start = NULL WHERE account_id = ?",
        )
        .bind(id.to_string())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn set_lock(
        &self,
        id: AccountId,
        until: Option<OffsetDateTime>,
        audit: AuditEvent,
    ) -> StoreResult<Account> {
        self.lock(id, until, audit).await
    }

    async fn write_password(&self, write: PasswordWrite) -> StoreResult<Account> {
        self.write_password_tx(write).await
    }

    async fn upgrade_hash(
        &self,
        id: AccountId,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET password_hash = ? WHERE id = ? AND password_hash = ?")
            .bind(new.as_str())
            .bind(id.to_string())
            .bind(old.as_str())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn password_history(
        &self,
        id: AccountId,
        limit: usize,
    ) -> StoreResult<Vec<PasswordHash>> {
        self.history(id, limit).await
    }

    async fn insert_session(&self, session: SessionRecord) -> StoreResult<()> {
        self.insert_session_row(session).await
    }

    async fn session_by_digest(&self, digest: &[u8]) -> StoreResult<Option<SessionRecord>> {
        self.session_row(digest).await
    }

    async fn revoke_session(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE id = ? AND revoked_at IS NULL")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn insert_client(&self, client: ClientRecord, audit: AuditEvent) -> StoreResult<()> {
        self.insert_client_row(client, audit).await
    }

    async fn client_by_id(&self, id: Uuid) -> StoreResult<Option<ClientRecord>> {
        self.client_row(id).await
    }

    async fn append_audit(&self, event: AuditEvent) -> StoreResult<()> {
        records::insert_audit(&self.pool, &event).await
    }

    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        records::list_audit(&self.pool, query).await
    }

    async fn pending_outbox(&self, account_id: AccountId) -> StoreResult<Vec<OutboxMessage>> {
        records::pending_outbox(&self.pool, account_id).await
    }

    async fn claim_outbox(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<PendingMessage>> {
        self.claim(now, lease, limit).await
    }

    async fn outbox_delivered(&self, id: Uuid, at: OffsetDateTime) -> StoreResult<()> {
        self.delivered(id, at).await
    }

    async fn outbox_failed(
        &self,
        id: Uuid,
        attempts: u32,
        retry_at: OffsetDateTime,
        error: &str,
        give_up: bool,
    ) -> StoreResult<()> {
        self.failed(id, attempts, retry_at, error, give_up).await
    }

    async fn expiry_candidates(
        &self,
        changed_before: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<Account>> {
        self.expiry_candidate_rows(changed_before, limit).await
    }

    async fn mark_expiry_warned(
        &self,
        id: AccountId,
        at: OffsetDateTime,
        outbox: OutboxMessage,
    ) -> StoreResult<()> {
        self.expiry_warned(id, at, outbox).await
    }

    async fn insert_flow(
        &self,
        flow: RecoveryFlow,
        audit: AuditEvent,
        outbox: Option<OutboxMessage>,
    ) -> StoreResult<()> {
        self.insert_flow_row(flow, audit, outbox).await
    }

    async fn flow(&self, id: Uuid) -> StoreResult<Option<RecoveryFlow>> {
        self.flow_row(id).await
    }

    async fn advance_flow(&self, step: FlowStep) -> StoreResult<bool> {
        self.advance_flow_row(step).await
    }

    async fn fail_flow(&self, id: Uuid, expected_step: u32) -> StoreResult<u32> {
        self.fail_flow_row(id, expected_step).await
    }

    async fn recovery_failures(
        &self,
        account: AccountId,
        since: OffsetDateTime,
    ) -> StoreResult<u32> {
        self.recovery_failures_since(account, since).await
    }

    async fn kba_answers(&self, account: AccountId) -> StoreResult<Vec<KbaAnswer>> {
        self.kba_rows(account).await
    }

    async fn set_kba_answers(
        &self,
        account: AccountId,
        answers: Vec<KbaAnswer>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.set_kba_rows(account, answers, audit).await
    }
}
