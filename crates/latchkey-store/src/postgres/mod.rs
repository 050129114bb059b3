//! The PostgreSQL adapter: several nodes share one database. Read-modify-write
//! transactions lock the rows they read (`FOR UPDATE`), compare-and-swap updates carry
//! their condition in the `WHERE` clause, and outbox claims skip rows another node holds.

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
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::str::FromStr;
use uuid::Uuid;

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

/// Names the migration lock; any constant works as long as every node uses the same.
const MIGRATION_LOCK: i64 = 0x4c41_5443_484b_4559; // "LATCHKEY"

impl PgStore {
    /// Start-up needs the database (migrations run first). Afterwards a lost database
    /// makes requests fail fast with "unavailable" (503) and `/readyz` fail; the pool
    /// checks connections before use and reconnects by itself when it returns.
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, sqlx::Error> {
        let options = PgConnectOptions::from_str(url)?.application_name("latchkey");
        let pool = PgPoolOptions::new()
            .max_connections(pool.max_connections.max(1))
            .acquire_timeout(pool.acquire_timeout)
            .test_before_acquire(true)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    /// Runs the migrations under a session advisory lock, so nodes starting together
    /// migrate one after another (sqlx takes its own lock too; this one also covers
    /// the check that the schema is ours).
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        let result = sqlx::migrate!("./migrations/postgres")
            .run(&mut *conn)
            .await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        result
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn write_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(map_err)
    }
}

/// Maps driver errors to the port's: unique violations name the field; a lost
/// connection, a server shutting down, pool time-outs and serialisation conflicts mean
/// "unavailable" (503, try again); the rest is internal (logged, never shown).
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let constraint = db.constraint().unwrap_or_default();
            StoreError::Duplicate(if constraint.contains("user_name_key") {
                "userName"
            } else if constraint.contains("dn_key") {
                "dn"
            } else if constraint.contains("sid") {
                "sid"
            } else {
                "record"
            })
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::Io(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Database(db)
            if db.code().is_some_and(|c| {
                // 08: connection exception; 57P0x: shutting down; 53: out of resources;
                // 40001/40P01: serialisation failure, deadlock.
                c.starts_with("08")
                    || c.starts_with("57P")
                    || c.starts_with("53")
                    || c == "40001"
                    || c == "40P01"
            }) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Other(e.to_string()),
    }
}

/// The statements too small for a file of their own.
impl PgStore {
    async fn ping_db(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn setting_or_init_row(&self, key: &str, candidate: &str) -> StoreResult<String> {
        // Two statements: the second's snapshot sees the row another node committed
        // while the first waited on it.
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(candidate)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
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
            "UPDATE lockout_counters SET failures = 0, window_start = NULL WHERE account_id = $1",
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
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
            .bind(new.as_str())
            .bind(id.to_string())
            .bind(old.as_str())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn revoke_session_row(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET revoked_at = CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) WHERE id = $1 AND revoked_at IS NULL")
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

forward_store!(PgStore);
