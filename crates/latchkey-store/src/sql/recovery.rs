//! Recovery flows (steps advanced by compare-and-swap) and security answers.

use super::backend::Backend;
use super::{SqlStore, commit, first, id, insert_audit, insert_effects};
use crate::args;
use crate::rows::{FlowRow, KbaRow, convert, convert_opt};
use crate::timestamp::to_ms;
use latchkey_core::audit::AuditEvent;
use latchkey_core::domain::AccountId;
use latchkey_core::ports::{
    FlowStep, KbaAnswer, MailFate, RecoveryFlow, RecoveryMail, StoreResult,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// Counts the mails of the flow's budget key (its counter bucket locked, so parallel flows
/// count in turn); within budget, counts this one and ends the key's other open flows; then
/// writes the mail — queued, or settled unsent for a decoy or over budget. A decoy runs
/// the same statements against its own key: the same rows read, counted and ended.
async fn mail_within_budget<DB: Backend>(
    conn: &mut DB::Connection,
    flow: Uuid,
    decoy: bool,
    mail: &RecoveryMail,
) -> StoreResult<MailFate> {
    let bucket = args::Args::default().text(mail.lock_key());
    DB::run(conn, DB::SQL.lock_bucket, bucket).await?;
    let counts = args::Args::default()
        .text(mail.budget_key.clone())
        .int(to_ms(mail.since))
        .text(mail.network.clone());
    let (total, here): (i64, i64) = first::<DB, _>(conn, DB::SQL.recovery_mails, counts)
        .await?
        .unwrap_or((0, 0));
    let fate = if here >= i64::from(mail.max_per_source) {
        MailFate::OverSourceBudget
    } else if total >= i64::from(mail.max_per_account) {
        MailFate::OverAccountBudget
    } else if !mail.deliver {
        MailFate::Discarded
    } else {
        MailFate::Queued
    };
    let counted = matches!(fate, MailFate::Queued | MailFate::Discarded);
    let mailed = args::Args::default()
        .int(counted.then(|| to_ms(mail.message.created_at)))
        .text(counted.then(|| mail.network.clone()))
        .text(counted.then(|| mail.budget_key.clone()))
        .text(flow.to_string());
    DB::run(conn, DB::SQL.mark_flow_mailed, mailed).await?;
    // Nobody's flows end for a mail over budget (strangers cannot end the owner's): the
    // statement runs against a key no flow has, as an index probe like any other.
    let reason = "superseded by a newer flow";
    if decoy {
        let key = if counted {
            mail.budget_key.as_str()
        } else {
            "decoy:-"
        };
        let end = args::Args::default()
            .str(reason)
            .str(key)
            .text(flow.to_string());
        DB::run(conn, DB::SQL.end_decoy_flows, end).await?;
    } else {
        let owner = if counted {
            mail.message.account_id
        } else {
            Uuid::max()
        };
        let end = super::end_flows_args(owner, reason, Some(flow));
        DB::run(conn, DB::SQL.end_flows, end).await?;
    }
    let held = match fate {
        MailFate::Queued => None,
        MailFate::Discarded => Some("decoy"),
        _ => Some("over the recovery mail budget"),
    };
    DB::run(
        conn,
        DB::SQL.insert_outbox,
        args::outbox(&mail.message, held),
    )
    .await?;
    Ok(fate)
}

impl<DB: Backend> SqlStore<DB> {
    pub(super) async fn flow_row(&self, flow: Uuid) -> StoreResult<Option<RecoveryFlow>> {
        convert_opt(self.row::<FlowRow>(DB::SQL.flow, id(flow)).await?)
    }

    pub(super) async fn advance_flow_row(&self, s: FlowStep) -> StoreResult<Option<MailFate>> {
        let mut tx = self.write().await?;
        if DB::run(&mut tx, DB::SQL.advance_flow, args::flow_step(&s)).await? != 1 {
            return Ok(None);
        }
        let fate = match &s.mail {
            Some(mail) => mail_within_budget::<DB>(&mut tx, s.flow_id, s.decoy, mail).await?,
            None => MailFate::None,
        };
        insert_effects::<DB>(&mut tx, &s.audit, None).await?;
        commit(tx).await?;
        Ok(Some(fate))
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
        replace_kba::<DB>(&mut tx, account, &answers, &audit).await?;
        commit(tx).await
    }
}

/// Replaces an account's security answers, with their audit event, in the caller's
/// transaction.
pub(super) async fn replace_kba<DB: Backend>(
    tx: &mut DB::Connection,
    account: AccountId,
    answers: &[KbaAnswer],
    audit: &AuditEvent,
) -> StoreResult<()> {
    DB::run(tx, DB::SQL.delete_kba, id(account)).await?;
    let owner = account.to_string();
    for (i, a) in answers.iter().enumerate() {
        DB::run(tx, DB::SQL.insert_kba, args::kba(&owner, i, a)).await?;
    }
    insert_audit::<DB>(tx, audit).await
}
