//! Recovery flows (steps advanced by compare-and-swap) and security answers.

use super::records::{insert_audit, insert_outbox, parse_uuid};
use super::{SqliteStore, map_err};
use crate::timestamp::{from_ms, to_ms};
use latchkey_core::audit::AuditEvent;
use latchkey_core::domain::AccountId;
use latchkey_core::hashing::PasswordHash;
use latchkey_core::ports::{FlowStep, KbaAnswer, RecoveryFlow, StoreError, StoreResult};
use latchkey_core::recovery::Stage;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

fn stages_to_text(stages: &[Stage]) -> String {
    stages
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(",")
}

fn stages_from_text(s: &str) -> StoreResult<Vec<Stage>> {
    s.split(',')
        .map(|n| Stage::parse(n).ok_or_else(|| StoreError::Other("corrupt stored stage".into())))
        .collect()
}

impl SqliteStore {
    pub(super) async fn insert_flow_row(
        &self,
        f: RecoveryFlow,
        audit: AuditEvent,
        outbox: Option<latchkey_core::ports::OutboxMessage>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO recovery_flows (id, stages, stage_index, step, account_id, decoy, attempts, code_digest, \
             code_expires_at, proved_email, created_at, expires_at, completed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(f.id.to_string())
        .bind(stages_to_text(&f.stages))
        .bind(i64::from(f.stage_index))
        .bind(i64::from(f.step))
        .bind(f.account_id.map(|a| a.to_string()))
        .bind(f.decoy)
        .bind(i64::from(f.attempts))
        .bind(f.code_digest)
        .bind(f.code_expires_at.map(to_ms))
        .bind(f.proved_email)
        .bind(to_ms(f.created_at))
        .bind(to_ms(f.expires_at))
        .bind(f.completed)
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
        let row = sqlx::query("SELECT * FROM recovery_flows WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        let Some(r) = row else { return Ok(None) };
        let int = |c: &str| {
            r.try_get::<i64, _>(c)
                .map_err(map_err)
                .map(|v| u32::try_from(v).unwrap_or(0))
        };
        Ok(Some(RecoveryFlow {
            id,
            stages: stages_from_text(&r.try_get::<String, _>("stages").map_err(map_err)?)?,
            stage_index: int("stage_index")?,
            step: int("step")?,
            account_id: r
                .try_get::<Option<String>, _>("account_id")
                .map_err(map_err)?
                .map(|a| parse_uuid(&a))
                .transpose()?,
            decoy: r.try_get("decoy").map_err(map_err)?,
            attempts: int("attempts")?,
            code_digest: r.try_get("code_digest").map_err(map_err)?,
            code_expires_at: r
                .try_get::<Option<i64>, _>("code_expires_at")
                .map_err(map_err)?
                .map(from_ms),
            proved_email: r.try_get("proved_email").map_err(map_err)?,
            created_at: from_ms(r.try_get("created_at").map_err(map_err)?),
            expires_at: from_ms(r.try_get("expires_at").map_err(map_err)?),
            completed: r.try_get("completed").map_err(map_err)?,
        }))
    }

    pub(super) async fn advance_flow_row(&self, s: FlowStep) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE recovery_flows SET step = step + 1, stage_index = ?, account_id = ?, decoy = ?, code_digest = ?, \
             code_expires_at = ?, proved_email = ? WHERE id = ? AND step = ? AND completed = 0",
        )
        .bind(i64::from(s.stage_index))
        .bind(s.account_id.map(|a| a.to_string()))
        .bind(s.decoy)
        .bind(s.code_digest)
        .bind(s.code_expires_at.map(to_ms))
        .bind(s.proved_email)
        .bind(s.flow_id.to_string())
        .bind(i64::from(s.expected_step))
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
        let rows = sqlx::query("SELECT question_id, custom_question, answer_hash FROM kba_answers WHERE account_id = ? ORDER BY position")
            .bind(account.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let hash: String = r.try_get("answer_hash").map_err(map_err)?;
                Ok(KbaAnswer {
                    question_id: r.try_get("question_id").map_err(map_err)?,
                    custom_question: r.try_get("custom_question").map_err(map_err)?,
                    answer_hash: PasswordHash::parse(&hash)
                        .map_err(|_| StoreError::Other("corrupt stored answer hash".into()))?,
                })
            })
            .collect()
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
            sqlx::query("INSERT INTO kba_answers (account_id, position, question_id, custom_question, answer_hash) VALUES (?, ?, ?, ?, ?)")
                .bind(account.to_string())
                .bind(i as i64)
                .bind(&a.question_id)
                .bind(&a.custom_question)
                .bind(a.answer_hash.as_str())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        insert_audit(&mut *tx, &audit).await?;
        tx.commit().await.map_err(map_err)
    }
}
