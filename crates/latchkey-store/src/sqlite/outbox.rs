//! Outbox delivery state and expiry warnings.

use super::records::insert_outbox;
use super::{SqliteStore, map_err};
use crate::rows::{AccountRow, OutboxRow, account_select, accounts, pending};
use crate::timestamp::{duration_ms, to_ms};
use latchkey_core::domain::{Account, AccountId};
use latchkey_core::ports::{OutboxMessage, PendingMessage, StoreResult};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

impl SqliteStore {
    pub(super) async fn claim(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<PendingMessage>> {
        // Claiming moves next_attempt_at past the lease: a crashed worker's messages come
        // due again when the lease ends (at-least-once).
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "UPDATE outbox SET next_attempt_at = ?1 WHERE seq IN \
             (SELECT seq FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ?2 ORDER BY seq LIMIT ?3) \
             RETURNING id, kind, account_id, payload, created_at, attempts, seq",
        )
        .bind(to_ms(now).saturating_add(duration_ms(lease)))
        .bind(to_ms(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        pending(rows)
    }

    pub(super) async fn delivered(&self, id: Uuid, at: OffsetDateTime) -> StoreResult<()> {
        sqlx::query("UPDATE outbox SET sent_at = ?, last_error = NULL WHERE id = ?")
            .bind(to_ms(at))
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    pub(super) async fn failed(
        &self,
        id: Uuid,
        attempts: u32,
        retry_at: OffsetDateTime,
        error: &str,
        give_up: bool,
    ) -> StoreResult<()> {
        // A message given up on keeps sent_at NULL but is pushed out of reach; the error says why.
        let next = if give_up { i64::MAX } else { to_ms(retry_at) };
        sqlx::query(
            "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
        )
        .bind(i64::from(attempts))
        .bind(next)
        .bind(error)
        .bind(id.to_string())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    pub(super) async fn expiry_candidate_rows(
        &self,
        changed_before: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<Account>> {
        let rows: Vec<AccountRow> = sqlx::query_as(account_select!(
            "WHERE a.password_hash IS NOT NULL AND a.password_never_expires = 0 AND a.federated = 0 AND a.disabled = 0 \
             AND a.password_changed_at < ?1 AND (a.expiry_warned_at IS NULL OR a.expiry_warned_at < a.password_changed_at) \
             ORDER BY a.password_changed_at LIMIT ?2"
        ))
        .bind(to_ms(changed_before))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        accounts(rows)
    }

    pub(super) async fn expiry_warned(
        &self,
        id: AccountId,
        at: OffsetDateTime,
        outbox: OutboxMessage,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        // Only the first of several nodes running the same job queues the warning.
        let marked = sqlx::query(
            "UPDATE accounts SET expiry_warned_at = ?1 WHERE id = ?2 \
             AND (expiry_warned_at IS NULL OR expiry_warned_at < password_changed_at)",
        )
        .bind(to_ms(at))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if marked.rows_affected() == 1 {
            insert_outbox(&mut *tx, &outbox).await?;
        }
        tx.commit().await.map_err(map_err)
    }
}
