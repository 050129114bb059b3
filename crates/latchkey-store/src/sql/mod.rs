//! The store logic, written once for both backends: which statements each port
//! operation runs, in which transaction, and what their results mean. Each backend
//! (`sqlite.rs`, `postgres.rs`) supplies its own SQL text for every statement.

mod accounts;
pub(crate) mod backend;
mod passwords;
pub(crate) mod query;
mod recovery;

use crate::args::{self, Args};
use crate::rows::{
    AccountRow, AuditRow, ClientRow, OutboxRow, SessionRow, accounts, convert, convert_opt, pending,
};
use crate::timestamp::{duration_ms, to_ms};
use backend::{Backend, Rows};
use latchkey_core::audit::{AuditEvent, AuditQuery, AuditType};
use latchkey_core::domain::{Account, AccountId, Dn, Sid};
use latchkey_core::hashing::PasswordHash;
use latchkey_core::ports::{
    AccountChanges, AccountFilter, AccountRecord, AccountSource, ClientRecord, FlowStep,
    ImportWrite, KbaAnswer, MailFate, NewAccount, OutboxMessage, PasswordCommit, PasswordWrite,
    PendingMessage, ProofSlot, ProofSubject, Records, RecoveryFlow, SessionRecord, ShadowRecords,
    SourceIntent, StoreError, StoreResult, Sweep, SweepReport, UpdateEffects,
};
use sqlx::pool::PoolConnection;
use sqlx::{Pool, Transaction};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// A store on one SQL database; see [`crate::SqliteStore`] and [`crate::PgStore`].
pub struct SqlStore<DB: Backend> {
    pub(crate) pool: Pool<DB>,
}

impl<DB: Backend> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
        }
    }
}

/// The first row a statement returns, if any.
async fn first<DB: Backend, T: Rows>(
    conn: &mut DB::Connection,
    sql: &'static str,
    args: Args,
) -> StoreResult<Option<T>> {
    Ok(DB::rows(conn, sql, args).await?.into_iter().next())
}

fn id(id: Uuid) -> Args {
    Args::default().text(id.to_string())
}

impl<DB: Backend> SqlStore<DB> {
    pub(crate) fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    async fn conn(&self) -> StoreResult<PoolConnection<DB>> {
        self.pool.acquire().await.map_err(DB::map_err)
    }

    async fn write(&self) -> StoreResult<Transaction<'static, DB>> {
        DB::begin_write(&self.pool).await
    }

    /// One statement outside a transaction; returns the rows it changed.
    async fn run(&self, sql: &'static str, args: Args) -> StoreResult<u64> {
        DB::run(&mut *self.conn().await?, sql, args).await
    }

    async fn rows<T: Rows>(&self, sql: &'static str, args: Args) -> StoreResult<Vec<T>> {
        DB::rows(&mut *self.conn().await?, sql, args).await
    }

    async fn row<T: Rows>(&self, sql: &'static str, args: Args) -> StoreResult<Option<T>> {
        first::<DB, T>(&mut *self.conn().await?, sql, args).await
    }

    async fn account_where(
        &self,
        sql: &'static str,
        key: String,
    ) -> StoreResult<Option<AccountRecord>> {
        convert_opt(
            self.row::<AccountRow>(sql, Args::default().text(key))
                .await?,
        )
    }

    /// An [`account_lookup!`]: the match, or `None` after decoding the stand-in alike.
    async fn account_lookup(
        &self,
        sql: &'static str,
        key: String,
    ) -> StoreResult<Option<AccountRecord>> {
        let Some(row) = self
            .row::<crate::rows::LookupRow>(sql, Args::default().text(key))
            .await?
        else {
            return Ok(None);
        };
        let found = row.found;
        let record = AccountRecord::try_from(row.account)?;
        Ok(found.then_some(record))
    }
}

async fn commit<DB: Backend>(tx: Transaction<'static, DB>) -> StoreResult<()> {
    tx.commit().await.map_err(DB::map_err)
}

async fn insert_audit<DB: Backend>(conn: &mut DB::Connection, e: &AuditEvent) -> StoreResult<()> {
    DB::run(conn, DB::SQL.insert_audit, args::audit(e)).await?;
    Ok(())
}

async fn insert_outbox<DB: Backend>(
    conn: &mut DB::Connection,
    m: &OutboxMessage,
) -> StoreResult<()> {
    DB::run(conn, DB::SQL.insert_outbox, args::outbox(m, None)).await?;
    Ok(())
}

/// `end_flows`: the reason, the account, the flow to keep.
pub(super) fn end_flows_args(account: AccountId, reason: &str, keep: Option<Uuid>) -> Args {
    Args::default()
        .text(reason.to_owned())
        .text(account.to_string())
        .text(keep.map(|k| k.to_string()))
}

/// What a change writes besides its own rows: its audit events and its notification.
async fn insert_effects<DB: Backend>(
    conn: &mut DB::Connection,
    audit: &[AuditEvent],
    outbox: Option<&OutboxMessage>,
) -> StoreResult<()> {
    for e in audit {
        insert_audit::<DB>(conn, e).await?;
    }
    if let Some(m) = outbox {
        insert_outbox::<DB>(conn, m).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl<DB: Backend> AccountSource for SqlStore<DB> {
    async fn count_accounts(&self) -> StoreResult<u64> {
        let n: Option<(i64,)> = self.row(DB::SQL.count_accounts, Args::default()).await?;
        Ok(n.map_or(0, |(n,)| n as u64))
    }

    async fn insert_account(&self, new: NewAccount, domain: [u32; 3]) -> StoreResult<Account> {
        self.insert_account_tx(new, domain).await
    }

    async fn import_accounts(&self, batch: Vec<ImportWrite>, domain: [u32; 3]) -> StoreResult<()> {
        self.import(batch, domain).await
    }

    async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<AccountRecord>> {
        self.account_where(DB::SQL.account_by_id, id.to_string())
            .await
    }

    async fn account_by_user_name(&self, key: &str) -> StoreResult<Option<AccountRecord>> {
        self.account_lookup(DB::SQL.account_by_user_name, key.to_owned())
            .await
    }

    async fn account_by_dn(&self, dn: &Dn) -> StoreResult<Option<AccountRecord>> {
        self.account_lookup(DB::SQL.account_by_dn, dn.normalized())
            .await
    }

    async fn account_by_sid(&self, sid: &Sid) -> StoreResult<Option<AccountRecord>> {
        self.account_where(DB::SQL.account_by_sid, sid.to_string())
            .await
    }

    async fn list_accounts(&self, filter: &AccountFilter) -> StoreResult<(Vec<Account>, u64)> {
        self.list(filter).await
    }

    async fn update_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        changes: &AccountChanges,
        effects: UpdateEffects,
        audit: Option<AuditEvent>,
    ) -> StoreResult<Account> {
        self.update(id, expected_rev, changes, effects, audit).await
    }

    async fn delete_account(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.delete(id, expected_rev, audit).await
    }

    async fn upgrade_hash(
        &self,
        id: AccountId,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> StoreResult<()> {
        let args = Args::default()
            .str(new.as_str())
            .text(id.to_string())
            .str(old.as_str());
        self.run(DB::SQL.upgrade_hash, args).await?;
        Ok(())
    }
}

/// Latchkey's rows for directory accounts: the same writes as a local account's, on the
/// row keyed by the entry's stable id.
#[async_trait::async_trait]
impl<DB: Backend> ShadowRecords for SqlStore<DB> {
    async fn shadows(&self, ids: &[AccountId], at: OffsetDateTime) -> StoreResult<Vec<Account>> {
        self.shadows(ids, at).await
    }

    async fn shadow_miss(&self) -> StoreResult<()> {
        let row: Option<AccountRow> = self.row(DB::SQL.shadow_stand_in, Args::default()).await?;
        convert_opt::<_, AccountRecord>(row).map(drop)
    }

    async fn shadow_password(&self, write: PasswordWrite) -> StoreResult<Account> {
        self.write_password_tx(write).await
    }

    async fn shadow_update(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        changes: &AccountChanges,
        effects: UpdateEffects,
        audit: Option<AuditEvent>,
    ) -> StoreResult<Account> {
        self.update(id, expected_rev, changes, effects, audit).await
    }

    async fn shadow_delete(&self, id: AccountId, audit: AuditEvent) -> StoreResult<()> {
        // Made on first sight: an entry never seen has no row, and nothing else to remove.
        match self.delete(id, None, audit.clone()).await {
            Err(StoreError::NotFound) => Records::append_audit(self, audit).await,
            done => done,
        }
    }

    async fn begin_intent(&self, intent: &SourceIntent) -> StoreResult<()> {
        let args = id(intent.id)
            .text(intent.account_id.to_string())
            .int(to_ms(intent.started_at))
            .str(&intent.body);
        self.run(DB::SQL.begin_intent, args).await?;
        Ok(())
    }

    async fn end_intent(&self, intent: Uuid) -> StoreResult<()> {
        self.run(DB::SQL.end_intent, id(intent)).await?;
        Ok(())
    }

    async fn stale_intents(&self, before: OffsetDateTime) -> StoreResult<Vec<SourceIntent>> {
        let rows: Vec<(String, String, i64, String)> = self
            .rows(DB::SQL.stale_intents, Args::default().int(to_ms(before)))
            .await?;
        rows.into_iter()
            .map(|(intent, account, at, body)| {
                Ok(SourceIntent {
                    id: crate::rows::parse_uuid(&intent)?,
                    account_id: crate::rows::parse_uuid(&account)?,
                    started_at: crate::timestamp::from_ms(at),
                    body,
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl<DB: Backend> PasswordCommit for SqlStore<DB> {
    async fn write_password(&self, write: PasswordWrite) -> StoreResult<Account> {
        self.write_password_tx(write).await
    }
}

#[async_trait::async_trait]
impl<DB: Backend> Records for SqlStore<DB> {
    async fn ping(&self) -> StoreResult<()> {
        self.run(DB::SQL.ping, Args::default()).await?;
        Ok(())
    }

    async fn setting_or_init(&self, key: &str, candidate: &str) -> StoreResult<String> {
        // Two statements: the second's snapshot sees the row another node committed
        // while the first waited on it.
        self.run(
            DB::SQL.init_setting,
            Args::default().str(key).str(candidate),
        )
        .await?;
        let (value,): (String,) = self
            .row(DB::SQL.setting, Args::default().str(key))
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(value)
    }

    /// One statement, so parallel attempts are counted one by one: each reserves its
    /// slot before its hash is checked.
    async fn begin_proof(
        &self,
        subject: ProofSubject<'_>,
        now: OffsetDateTime,
        window: Duration,
        max: u32,
    ) -> StoreResult<ProofSlot> {
        let (sql, key) = match subject {
            ProofSubject::Account(id) => (DB::SQL.reserve_proof, id.to_string()),
            ProofSubject::Name(key) => (DB::SQL.reserve_name_proof, key.to_owned()),
        };
        let args = Args::default()
            .text(key)
            .int(to_ms(now))
            .int(duration_ms(window));
        let row: Option<(i64, Option<i64>)> = self.row(sql, args).await?;
        Ok(match row {
            Some((failures, None)) if failures <= i64::from(max) => ProofSlot::Allowed,
            _ => ProofSlot::Locked,
        })
    }

    /// Locks the account once the limit is reached; true if this call locked it.
    async fn fail_proof(
        &self,
        subject: ProofSubject<'_>,
        now: OffsetDateTime,
        max: u32,
        lock_for: Duration,
    ) -> StoreResult<bool> {
        let (sql, key) = match subject {
            ProofSubject::Account(id) => (DB::SQL.record_failure, id.to_string()),
            ProofSubject::Name(key) => (DB::SQL.record_name_failure, key.to_owned()),
        };
        let args = Args::default()
            .int(to_ms(now).saturating_add(duration_ms(lock_for)))
            .text(key)
            .int(i64::from(max))
            .int(to_ms(now));
        Ok(self.run(sql, args).await? == 1)
    }

    async fn succeed_proof(&self, id: AccountId) -> StoreResult<()> {
        self.run(DB::SQL.succeed_proof, self::id(id)).await?;
        let end = end_flows_args(id, "signed in with the password", None);
        self.run(DB::SQL.end_flows, end).await?;
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

    async fn password_history(
        &self,
        id: AccountId,
        limit: usize,
    ) -> StoreResult<Vec<PasswordHash>> {
        let args = self::id(id).int(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows: Vec<(String,)> = self.rows(DB::SQL.history, args).await?;
        crate::rows::history(rows.into_iter().map(|(h,)| h).collect())
    }

    async fn insert_session(&self, session: SessionRecord) -> StoreResult<()> {
        self.run(DB::SQL.insert_session, args::session(&session))
            .await?;
        Ok(())
    }

    async fn session_by_digest(&self, digest: &[u8]) -> StoreResult<Option<SessionRecord>> {
        let args = Args::default().bytes(Some(digest.to_vec()));
        convert_opt(
            self.row::<SessionRow>(DB::SQL.session_by_digest, args)
                .await?,
        )
    }

    async fn revoke_session(&self, id: Uuid) -> StoreResult<()> {
        self.run(DB::SQL.revoke_session, self::id(id)).await?;
        Ok(())
    }

    async fn insert_client(&self, client: ClientRecord, audit: AuditEvent) -> StoreResult<()> {
        let mut tx = self.write().await?;
        DB::run(&mut tx, DB::SQL.insert_client, args::client(&client)).await?;
        insert_audit::<DB>(&mut tx, &audit).await?;
        commit(tx).await
    }

    async fn client_by_id(&self, id: Uuid) -> StoreResult<Option<ClientRecord>> {
        convert_opt(
            self.row::<ClientRow>(DB::SQL.client_by_id, self::id(id))
                .await?,
        )
    }

    async fn outbox_backlog(&self) -> StoreResult<(u64, Option<OffsetDateTime>)> {
        let rows: Vec<(i64, Option<i64>)> =
            self.rows(DB::SQL.outbox_backlog, Args::default()).await?;
        let (count, oldest) = rows.first().copied().unwrap_or((0, None));
        Ok((
            u64::try_from(count).unwrap_or(0),
            oldest.map(crate::timestamp::from_ms),
        ))
    }

    async fn throttle_hit(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        limit: u32,
    ) -> StoreResult<Option<Duration>> {
        let args = Args::default()
            .str(key)
            .int(to_ms(now))
            .int(duration_ms(window));
        let (hits, start): (i64, i64) = self
            .row(DB::SQL.throttle_hit, args)
            .await?
            .ok_or_else(|| StoreError::Other("the throttle counted nothing".into()))?;
        if hits <= i64::from(limit) {
            return Ok(None);
        }
        let ends = start.saturating_add(duration_ms(window)) - to_ms(now);
        Ok(Some(Duration::from_millis(
            u64::try_from(ends).unwrap_or(0),
        )))
    }

    async fn sweep(&self, s: Sweep) -> StoreResult<Option<SweepReport>> {
        let mut tx = self.write().await?;
        let (may,): (i64,) = first::<DB, _>(&mut tx, DB::SQL.sweep_lock, Args::default())
            .await?
            .unwrap_or((0,));
        if may != 1 {
            return Ok(None);
        }
        let at = |t: OffsetDateTime| Args::default().int(to_ms(t));
        let mut report = SweepReport {
            sessions: DB::run(&mut tx, DB::SQL.sweep_sessions, at(s.sessions_before)).await?,
            throttle: DB::run(&mut tx, DB::SQL.sweep_throttle, at(s.throttle_before)).await?,
            flows: DB::run(&mut tx, DB::SQL.sweep_flows, at(s.flows_before)).await?,
            outbox: DB::run(&mut tx, DB::SQL.sweep_outbox, at(s.outbox_before)).await?,
            audit: 0,
        };
        if let Some(before) = s.audit_before {
            DB::run(&mut tx, DB::SQL.audit_sweep_on, Args::default()).await?;
            report.audit = DB::run(&mut tx, DB::SQL.sweep_audit, at(before)).await?;
            DB::run(&mut tx, DB::SQL.audit_sweep_off, Args::default()).await?;
            let mut event = s.audit;
            event.reason = Some(report.audit_reason());
            insert_audit::<DB>(&mut tx, &event).await?;
        }
        commit(tx).await?;
        if let Err(e) = self.run(DB::SQL.after_sweep, Args::default()).await {
            tracing::warn!(error = %e, "could not checkpoint after the sweep");
        }
        Ok(Some(report))
    }

    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>> {
        convert(
            self.rows::<ClientRow>(DB::SQL.list_clients, Args::default())
                .await?,
        )
    }

    async fn delete_client(&self, id: Uuid, audit: AuditEvent) -> StoreResult<()> {
        let mut tx = self.write().await?;
        // Its sessions go with it (ON DELETE CASCADE): its tokens stop at once.
        if DB::run(&mut tx, DB::SQL.delete_client, self::id(id)).await? == 0 {
            return Err(StoreError::NotFound);
        }
        insert_audit::<DB>(&mut tx, &audit).await?;
        commit(tx).await
    }

    async fn set_client_secret(
        &self,
        id: Uuid,
        secret_digest: Vec<u8>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let args = Args::default()
            .bytes(Some(secret_digest))
            .text(id.to_string());
        if DB::run(&mut tx, DB::SQL.set_client_secret, args).await? == 0 {
            return Err(StoreError::NotFound);
        }
        let revoke = Args::default().int(to_ms(audit.at)).text(id.to_string());
        DB::run(&mut tx, DB::SQL.revoke_client_sessions, revoke).await?;
        insert_audit::<DB>(&mut tx, &audit).await?;
        commit(tx).await
    }

    async fn append_audit(&self, event: AuditEvent) -> StoreResult<()> {
        insert_audit::<DB>(&mut *self.conn().await?, &event).await
    }

    async fn list_audit(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let args = Args::default()
            .text(q.account_id.map(|a| a.to_string()))
            .text(q.kind.map(|k| AuditType::as_str(k).to_owned()))
            .int(q.since.map(to_ms))
            .int(q.until.map(to_ms))
            .text(q.surface.clone())
            .text(q.outcome.map(|o| o.as_str().to_owned()))
            .text(q.before.map(|b| b.to_string()))
            .int(i64::from(q.limit));
        convert(self.rows::<AuditRow>(DB::SQL.list_audit, args).await?)
    }

    async fn pending_outbox(&self, account_id: AccountId) -> StoreResult<Vec<OutboxMessage>> {
        convert(
            self.rows::<OutboxRow>(DB::SQL.pending_outbox, self::id(account_id))
                .await?,
        )
    }

    /// Claiming moves next_attempt_at past the lease: a crashed worker's messages come
    /// due again when the lease ends (at-least-once).
    async fn claim_outbox(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<PendingMessage>> {
        let args = Args::default()
            .int(to_ms(now).saturating_add(duration_ms(lease)))
            .int(to_ms(now))
            .int(i64::from(limit));
        pending(self.rows::<OutboxRow>(DB::SQL.claim_outbox, args).await?)
    }

    async fn outbox_delivered(&self, id: Uuid, at: OffsetDateTime) -> StoreResult<()> {
        let args = Args::default().int(to_ms(at)).text(id.to_string());
        self.run(DB::SQL.outbox_delivered, args).await?;
        Ok(())
    }

    async fn outbox_failed(
        &self,
        id: Uuid,
        attempts: u32,
        retry_at: OffsetDateTime,
        error: &str,
        give_up: bool,
    ) -> StoreResult<()> {
        // A message given up on keeps sent_at NULL but is pushed out of reach; the error
        // says why.
        let next = if give_up { i64::MAX } else { to_ms(retry_at) };
        let args = Args::default()
            .int(i64::from(attempts))
            .int(next)
            .str(error)
            .text(id.to_string());
        self.run(DB::SQL.outbox_failed, args).await?;
        Ok(())
    }

    async fn expiry_candidates(
        &self,
        changed_before: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<Account>> {
        let args = Args::default()
            .int(to_ms(changed_before))
            .int(i64::from(limit));
        accounts(
            self.rows::<AccountRow>(DB::SQL.expiry_candidates, args)
                .await?,
        )
    }

    async fn mark_expiry_warned(
        &self,
        id: AccountId,
        at: OffsetDateTime,
        outbox: OutboxMessage,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        // Only the first of several nodes running the same job queues the warning.
        let args = Args::default().int(to_ms(at)).text(id.to_string());
        if DB::run(&mut tx, DB::SQL.mark_expiry_warned, args).await? == 1 {
            insert_outbox::<DB>(&mut tx, &outbox).await?;
        }
        commit(tx).await
    }

    async fn insert_flow(
        &self,
        flow: RecoveryFlow,
        audit: AuditEvent,
        outbox: Option<OutboxMessage>,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        DB::run(&mut tx, DB::SQL.insert_flow, args::flow(&flow)).await?;
        if let (Some(account), Some(_)) = (flow.account_id, &outbox) {
            let end = end_flows_args(account, "superseded by a newer flow", Some(flow.id));
            DB::run(&mut tx, DB::SQL.end_flows, end).await?;
        }
        insert_effects::<DB>(&mut tx, &[audit], outbox.as_ref()).await?;
        commit(tx).await
    }

    async fn flow(&self, id: Uuid) -> StoreResult<Option<RecoveryFlow>> {
        self.flow_row(id).await
    }

    async fn advance_flow(&self, step: FlowStep) -> StoreResult<Option<MailFate>> {
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
