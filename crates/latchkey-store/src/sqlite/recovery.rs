//! Recovery flows (steps advanced by compare-and-swap) and security answers.

use super::records::{insert_audit, insert_outbox};
use super::{SqliteStore, map_err};
use crate::args;
use crate::rows::{FlowRow, KbaRow, convert, convert_opt};
use crate::timestamp::to_ms;
use latchkey_core::audit::AuditEvent;
use latchkey_core::domain::AccountId;
use latchkey_core::ports::{FlowStep, KbaAnswer, RecoveryFlow, StoreResult};
use time::OffsetDateTime;
use uuid::Uuid;

impl SqliteStore {
    pub(super) async fn insert_flow_row(
        &self,
        f: RecoveryFlow,
        audit: AuditEvent,
        outbox: Option<latchkey_core::ports::OutboxMessage>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query_with(
            "INSERT INTO recovery_flows (id, stages, stage_index, step, account_id, decoy, attempts, code_digest, \
             code_expires_at, proved_email, created_at, expires_at, completed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", args::flow(&f).encode::<sqlx::Sqlite>()?)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        insert_audit(&mut *tx, &audit).await?;
        if let Some(m) = &outbox {
            insert_outbox(&mut *tx, m).await?;
        }
        tx.commit().await.map_err(map_err)
    }

    pub(super) async fn flow_row(&self, id: Uuid) -> StoreResult<Option<RecoveryFlow>> {
        let row: Option<FlowRow> = sqlx::query_as("SELECT * FROM recovery_flows WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        convert_opt(row)
    }

    pub(super) async fn advance_flow_row(&self, s: FlowStep) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query_with(
            "UPDATE recovery_flows SET step = step + 1, stage_index = ?, account_id = ?, decoy = ?, code_digest = ?, \
             code_expires_at = ?, proved_email = ? WHERE id = ? AND step = ? AND completed = 0", args::flow_step(&s).encode::<sqlx::Sqlite>()?)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        for e in &s.audit {
            insert_audit(&mut *tx, e).await?;
        }
        if let Some(m) = &s.outbox {
            insert_outbox(&mut *tx, m).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    pub(super) async fn fail_flow_row(&self, id: Uuid, expected_step: u32) -> StoreResult<u32> {
        let attempts: Option<i64> = sqlx::query_scalar(
            "UPDATE recovery_flows SET attempts = attempts + 1 WHERE id = ? AND step = ? AND completed = 0 RETURNING attempts",
        )
        .bind(id.to_string())
        .bind(i64::from(expected_step))
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(attempts.map_or(u32::MAX, |a| u32::try_from(a).unwrap_or(u32::MAX)))
    }

    pub(super) async fn recovery_failures_since(
        &self,
        account: AccountId,
        since: OffsetDateTime,
    ) -> StoreResult<u32> {
        let n: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(attempts), 0) FROM recovery_flows WHERE account_id = ? AND created_at >= ?")
            .bind(account.to_string())
            .bind(to_ms(since))
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    pub(super) async fn kba_rows(&self, account: AccountId) -> StoreResult<Vec<KbaAnswer>> {
        let rows: Vec<KbaRow> = sqlx::query_as("SELECT question_id, custom_question, answer_hash FROM kba_answers WHERE account_id = ? ORDER BY position")
            .bind(account.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        convert(rows)
    }

    pub(super) async fn set_kba_rows(
        &self,
        account: AccountId,
        answers: Vec<KbaAnswer>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM kba_answers WHERE account_id = ?")
            .bind(account.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        for (i, a) in answers.iter().enumerate() {
            sqlx::query_with("INSERT INTO kba_answers (account_id, position, question_id, custom_question, answer_hash) VALUES (?, ?, ?, ?, ?)", args::kba(&account.to_string(), i, a).encode::<sqlx::Sqlite>()?)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        insert_audit(&mut *tx, &audit).await?;
        tx.commit().await.map_err(map_err)
    }
}
