//! Recovery flows (steps advanced by compare-and-swap) and security answers.

use super::backend::Backend;
use super::{SqlStore, commit, id, insert_audit, insert_effects};
use crate::args;
use crate::rows::{FlowRow, KbaRow, convert, convert_opt};
use crate::timestamp::to_ms;
use latchkey_core::audit::AuditEvent;
use latchkey_core::domain::AccountId;
use latchkey_core::ports::{FlowStep, KbaAnswer, RecoveryFlow, StoreResult};
use time::OffsetDateTime;
use uuid::Uuid;

impl<DB: Backend> SqlStore<DB> {
    pub(super) async fn flow_row(&self, flow: Uuid) -> StoreResult<Option<RecoveryFlow>> {
        convert_opt(self.row::<FlowRow>(DB::SQL.flow, id(flow)).await?)
    }

    pub(super) async fn advance_flow_row(&self, s: FlowStep) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        if DB::run(&mut tx, DB::SQL.advance_flow, args::flow_step(&s)).await? != 1 {
            return Ok(false);
        }
        insert_effects::<DB>(&mut tx, &s.audit, s.outbox.as_ref()).await?;
        commit(tx).await?;
        Ok(true)
    }

    /// Counts a failed attempt at the expected step; `u32::MAX` when the flow moved on.
    pub(super) async fn fail_flow_row(&self, flow: Uuid, expected_step: u32) -> StoreResult<u32> {
        let args = id(flow).int(i64::from(expected_step));
        let attempts: Option<(i64,)> = self.row(DB::SQL.fail_flow, args).await?;
        Ok(attempts.map_or(u32::MAX, |(a,)| u32::try_from(a).unwrap_or(u32::MAX)))
    }

    pub(super) async fn recovery_failures_since(
        &self,
        account: AccountId,
        since: OffsetDateTime,
    ) -> StoreResult<u32> {
        let args = id(account).int(to_ms(since));
        let n: Option<(i64,)> = self.row(DB::SQL.recovery_failures, args).await?;
        Ok(n.map_or(0, |(n,)| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    pub(super) async fn kba_rows(&self, account: AccountId) -> StoreResult<Vec<KbaAnswer>> {
        convert(
            self.rows::<KbaRow>(DB::SQL.kba_answers, id(account))
                .await?,
        )
    }

    pub(super) async fn set_kba_rows(
        &self,
        account: AccountId,
        answers: Vec<KbaAnswer>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        DB::run(&mut tx, DB::SQL.lock_account, id(account)).await?;
        DB::run(&mut tx, DB::SQL.delete_kba, id(account)).await?;
        let owner = account.to_string();
        for (i, a) in answers.iter().enumerate() {
            DB::run(&mut tx, DB::SQL.insert_kba, args::kba(&owner, i, a)).await?;
        }
        insert_audit::<DB>(&mut tx, &audit).await?;
        commit(tx).await
    }
}
