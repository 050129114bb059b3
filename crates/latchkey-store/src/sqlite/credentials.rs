//! Password writes, history and the lockout counters.

use super::accounts::revoke_all;
use super::records::{insert_audit, insert_outbox};
use super::{SqliteStore, map_err};
use crate::args;
use crate::rows;
use crate::timestamp::{duration_ms, to_ms};
use latchkey_core::domain::{Account, AccountId};
use latchkey_core::hashing::PasswordHash;
use latchkey_core::ports::{PasswordWrite, ProofSlot, StoreError, StoreResult};
use std::time::Duration;
use time::OffsetDateTime;

impl SqliteStore {
    /// One statement, so parallel attempts are counted one by one: each reserves its
    /// slot before its hash is checked.
    pub(super) async fn reserve_proof(
        &self,
        id: AccountId,
        now: OffsetDateTime,
        window: Duration,
        max: u32,
    ) -> StoreResult<ProofSlot> {
        let (failures, locked_until): (i64, Option<i64>) = sqlx::query_as(
            "INSERT INTO lockout_counters (account_id, failures, window_start, locked_until) VALUES (?1, 1, ?2, NULL) \
             ON CONFLICT (account_id) DO UPDATE SET \
               failures = CASE \
                 WHEN locked_until > ?2 THEN failures \
                 WHEN locked_until IS NOT NULL OR window_start IS NULL OR window_start <= ?2 - ?3 THEN 1 \
                 ELSE failures + 1 END, \
               window_start = CASE \
                 WHEN locked_until > ?2 THEN window_start \
                 WHEN locked_until IS NOT NULL OR window_start IS NULL OR window_start <= ?2 - ?3 THEN ?2 \
                 ELSE window_start END, \
               locked_until = CASE WHEN locked_until > ?2 THEN locked_until ELSE NULL END \
             RETURNING failures, locked_until",
        )
        .bind(id.to_string())
        .bind(to_ms(now))
        .bind(duration_ms(window))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(if locked_until.is_none() && failures <= i64::from(max) {
            ProofSlot::Allowed
        } else {
            ProofSlot::Locked
        })
    }

    /// Locks the account once the limit is reached; true if this call locked it.
    pub(super) async fn record_failure(
        &self,
        id: AccountId,
        now: OffsetDateTime,
        max: u32,
        lock_for: Duration,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE lockout_counters SET locked_until = ?1 \
             WHERE account_id = ?2 AND failures >= ?3 AND (locked_until IS NULL OR locked_until <= ?4)",
        )
        .bind(to_ms(now).saturating_add(duration_ms(lock_for)))
        .bind(id.to_string())
        .bind(i64::from(max))
        .bind(to_ms(now))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn write_password_tx(&self, w: PasswordWrite) -> StoreResult<Account> {
        let id = w.account_id.to_string();
        let mut tx = self.write_tx().await?;
        if let Some((flow, step)) = w.complete_flow {
            let done = sqlx::query("UPDATE recovery_flows SET step = step + 1, completed = 1 WHERE id = ? AND step = ? AND completed = 0")
                .bind(flow.to_string())
                .bind(i64::from(step))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            if done.rows_affected() != 1 {
                return Err(StoreError::RevisionMismatch);
            }
        }
        sqlx::query(
            "INSERT INTO password_history (account_id, password_hash, normalization, retired_at) \
             SELECT id, password_hash, COALESCE(password_normalization, 'nfkc'), ?1 FROM accounts \
             WHERE id = ?2 AND rev = ?3 AND password_hash IS NOT NULL",
        )
        .bind(to_ms(w.changed_at))
        .bind(&id)
        .bind(w.expected_rev)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let updated = sqlx::query_with(
            "UPDATE accounts SET password_hash = ?1, password_normalization = ?2, password_changed_at = ?3, \
             must_change_password = COALESCE(?4, must_change_password), \
             password_never_expires = COALESCE(?5, password_never_expires), \
             cannot_change_password = COALESCE(?6, cannot_change_password), rev = rev + 1 \
             WHERE id = ?7 AND rev = ?8", args::password_update(&w).encode::<sqlx::Sqlite>()?)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if updated.rows_affected() != 1 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT rev FROM accounts WHERE id = ?")
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
            return Err(if exists.is_some() {
                StoreError::RevisionMismatch
            } else {
                StoreError::NotFound
            });
        }
        sqlx::query(
            "DELETE FROM password_history WHERE account_id = ?1 AND seq NOT IN \
             (SELECT seq FROM password_history WHERE account_id = ?1 ORDER BY seq DESC LIMIT ?2)",
        )
        .bind(&id)
        .bind(i64::try_from(w.history_keep).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        revoke_all(&mut tx, w.account_id, w.keep_session, w.changed_at).await?;
        // The caller's session survives a self change, now with a password that is current.
        sqlx::query("UPDATE sessions SET change_only = 0 WHERE id = ?")
            .bind(w.keep_session.map(|k| k.to_string()))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if w.unlock {
            sqlx::query("UPDATE lockout_counters SET failures = 0, window_start = NULL, locked_until = NULL WHERE account_id = ?")
                .bind(&id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        for event in &w.audit {
            insert_audit(&mut *tx, event).await?;
        }
        if let Some(m) = &w.outbox {
            insert_outbox(&mut *tx, m).await?;
        }
        tx.commit().await.map_err(map_err)?;
        self.must_read(w.account_id).await
    }

    pub(super) async fn history(
        &self,
        id: AccountId,
        limit: usize,
    ) -> StoreResult<Vec<PasswordHash>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT password_hash FROM password_history WHERE account_id = ? ORDER BY seq DESC LIMIT ?")
                .bind(id.to_string())
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        rows::history(rows)
    }
}
