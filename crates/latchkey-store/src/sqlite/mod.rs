//! The SQLite adapter: one file, WAL, writes serialised by `BEGIN IMMEDIATE`.

mod accounts;
mod credentials;
mod outbox;
mod records;
mod recovery;
mod sessions;

use crate::PoolSettings;
use crate::forward::forward_store;
use latchkey_core::audit::{AuditEvent, AuditQuery};
use latchkey_core::domain::AccountId;
use latchkey_core::hashing::PasswordHash;
use latchkey_core::ports::{OutboxMessage, StoreError, StoreResult};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(pool.max_connections.max(1))
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        sqlx::migrate!("./migrations/sqlite").run(&self.pool).await
    }

    /// A write transaction that holds the write lock from its first statement, so that
    /// a read inside it can never be invalidated by another writer.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

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

/// The statements too small for a file of their own.
impl SqliteStore {
    async fn ping_db(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn setting_or_init_row(&self, key: &str, candidate: &str) -> StoreResult<String> {
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

    async fn count_account_rows(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(n as u64)
    }

    async fn succeed_proof_row(&self, id: AccountId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE lockout_counters SET failures = 0, window_start = NULL WHERE account_id = ?",
        )
        .bind(id.to_string())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn upgrade_hash_row(
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

    async fn revoke_session_row(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE id = ? AND revoked_at IS NULL")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn append_audit_row(&self, event: AuditEvent) -> StoreResult<()> {
        records::insert_audit(&self.pool, &event).await
    }

    async fn list_audit_rows(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        records::list_audit(&self.pool, query).await
    }

    async fn pending_outbox_rows(&self, account_id: AccountId) -> StoreResult<Vec<OutboxMessage>> {
        records::pending_outbox(&self.pool, account_id).await
    }
}

forward_store!(SqliteStore);
