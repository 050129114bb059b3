//! Account rows: insert (with SID allocation), list, update, delete, lock.

use super::backend::Backend;
use super::query::ListSql;
use super::{SqlStore, commit, first, insert_audit, insert_effects};
use crate::args::{self, Args};
use crate::rows::{AccountRow, accounts, convert_opt};
use crate::timestamp::to_ms;
use latchkey_core::audit::AuditEvent;
use latchkey_core::domain::{Account, AccountId, Sid};
use latchkey_core::ports::{
    AccountChanges, AccountFilter, AccountRecord, ImportWrite, NewAccount, StoreError, StoreResult,
    UpdateEffects,
};
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;
use uuid::Uuid;

impl<DB: Backend> SqlStore<DB> {
    pub(super) async fn insert_account_tx(
        &self,
        new: NewAccount,
        domain: [u32; 3],
    ) -> StoreResult<Account> {
        let mut tx = self.write().await?;
        insert_in::<DB>(&mut tx, &new, domain).await?;
        commit(tx).await?;
        self.must_read(new.id).await
    }

    /// An import batch in one transaction.
    pub(super) async fn import(
        &self,
        batch: Vec<ImportWrite>,
        domain: [u32; 3],
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        for write in &batch {
            match write {
                ImportWrite::Create(new) => insert_in::<DB>(&mut tx, new, domain).await?,
                ImportWrite::Update {
                    id,
                    changes,
                    hash,
                    password_changed_at,
                    history_keep,
                    audit,
                } => {
                    let cur = current::<DB>(&mut tx, *id, None).await?;
                    let update = args::account_update(&cur, changes);
                    DB::run(&mut tx, DB::SQL.update_account, update).await?;
                    if let Some(hash) = hash {
                        let (rev, at) = (cur.rev + 1, password_changed_at.unwrap_or(audit.at));
                        let retire = Args::default().int(to_ms(at)).text(id.to_string()).int(rev);
                        DB::run(&mut tx, DB::SQL.retire_password, retire).await?;
                        let write = args::imported_hash(*id, rev, hash, at);
                        DB::run(&mut tx, DB::SQL.write_password, write).await?;
                        let keep = i64::try_from(*history_keep).unwrap_or(i64::MAX);
                        let trim = Args::default().text(id.to_string()).int(keep);
                        DB::run(&mut tx, DB::SQL.trim_history, trim).await?;
                    }
                    insert_audit::<DB>(&mut tx, audit).await?;
                }
            }
        }
        commit(tx).await
    }

    /// The row after a write: a local account, or Latchkey's row for a directory one.
    pub(super) async fn must_read(&self, id: AccountId) -> StoreResult<Account> {
        Ok(self
            .account_where(DB::SQL.shadow_by_id, id.to_string())
            .await?
            .ok_or(StoreError::NotFound)?
            .account)
    }

    /// Latchkey's rows for directory accounts, each made on first sight.
    pub(super) async fn shadows(
        &self,
        ids: &[AccountId],
        at: OffsetDateTime,
    ) -> StoreResult<Vec<Account>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let found = match self
                .account_where(DB::SQL.shadow_by_id, id.to_string())
                .await?
            {
                Some(r) => r.account,
                None => {
                    let make = super::id(*id).int(to_ms(at));
                    self.run(DB::SQL.insert_shadow, make).await?;
                    self.must_read(*id).await?
                }
            };
            out.push(found);
        }
        Ok(out)
    }

    pub(super) async fn list(&self, f: &AccountFilter) -> StoreResult<(Vec<Account>, u64)> {
        let mut list =
            ListSql::build(f, DB::DIALECT).map_err(|e| StoreError::InvalidQuery(e.to_string()))?;
        // The count takes the filter's arguments; the page appends its own after them.
        // Local accounts only: a directory account's row is listed by its source.
        let where_clause = format!("a.source = 'local' AND ({})", list.where_clause);
        let count_sql = format!("SELECT COUNT(*) FROM accounts a WHERE {where_clause}");
        let total: Vec<(i64,)> = DB::rows(
            &mut *self.conn().await?,
            AssertSqlSafe(count_sql),
            list.args.clone(),
        )
        .await?;
        let page = list.page(f.limit, f.offset);
        let list_sql = format!(
            "{}WHERE {where_clause} ORDER BY {} {page}",
            DB::SQL.list_head,
            list.order_clause
        );
        let rows: Vec<AccountRow> =
            DB::rows(&mut *self.conn().await?, AssertSqlSafe(list_sql), list.args).await?;
        let total = total
            .first()
            .map_or(0, |(n,)| u64::try_from(*n).unwrap_or(0));
        Ok((accounts(rows)?, total))
    }

    pub(super) async fn update(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        c: &AccountChanges,
        effects: UpdateEffects,
        audit: Option<AuditEvent>,
    ) -> StoreResult<Account> {
        let mut tx = self.write().await?;
        let cur = current::<DB>(&mut tx, id, expected_rev).await?;
        let touch = audit.is_some();
        if touch {
            DB::run(
                &mut tx,
                DB::SQL.update_account,
                args::account_update(&cur, c),
            )
            .await?;
        }
        if let (true, Some(a)) = (effects.revoke_sessions, &audit) {
            revoke_all::<DB>(&mut tx, id, None, a.at).await?;
        }
        if let Some(reason) = effects.end_flows {
            DB::run(
                &mut tx,
                DB::SQL.end_flows,
                super::end_flows_args(id, reason, None),
            )
            .await?;
        }
        insert_effects::<DB>(&mut tx, audit.as_slice(), effects.outbox.as_ref()).await?;
        if let Some((answers, audit)) = &effects.security_answers {
            super::recovery::replace_kba::<DB>(&mut tx, id, answers, audit).await?;
        }
        if let Some(mut password) = effects.password {
            // The update above (if any) made the next revision.
            password.expected_rev = cur.rev + i64::from(touch);
            super::passwords::write_password_in::<DB>(&mut tx, &password).await?;
        }
        commit(tx).await?;
        self.must_read(id).await
    }

    pub(super) async fn delete(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        current::<DB>(&mut tx, id, expected_rev).await?;
        DB::run(&mut tx, DB::SQL.delete_account, super::id(id)).await?;
        insert_audit::<DB>(&mut tx, &audit).await?;
        commit(tx).await
    }

    pub(super) async fn lock(
        &self,
        id: AccountId,
        until: Option<OffsetDateTime>,
        audit: AuditEvent,
    ) -> StoreResult<Account> {
        let mut tx = self.write().await?;
        current::<DB>(&mut tx, id, None).await?;
        let args = super::id(id).int(until.map(to_ms));
        DB::run(&mut tx, DB::SQL.set_lock, args).await?;
        if until.is_some() {
            revoke_all::<DB>(&mut tx, id, None, audit.at).await?;
        }
        insert_audit::<DB>(&mut tx, &audit).await?;
        commit(tx).await?;
        self.must_read(id).await
    }
}

/// Inserts an account with its audit event: its SID as given (raising the relative id
/// counter past an imported SID of this installation), or the next one.
async fn insert_in<DB: Backend>(
    tx: &mut DB::Connection,
    new: &NewAccount,
    domain: [u32; 3],
) -> StoreResult<()> {
    let sid = match &new.sid {
        Some(sid) => {
            if let Some(rid) = sid.rid_in(domain) {
                let raise = Args::default().int(i64::from(rid));
                DB::run(tx, DB::SQL.raise_rid, raise).await?;
            }
            sid.clone()
        }
        None => {
            let (rid,): (i64,) = first::<DB, _>(tx, DB::SQL.next_rid, Args::default())
                .await?
                .ok_or_else(|| StoreError::Other("no relative id counter".into()))?;
            let rid = u32::try_from(rid)
                .map_err(|_| StoreError::Other("relative id space exhausted".into()))?;
            Sid::for_account(domain, rid)
        }
    };
    DB::run(tx, DB::SQL.insert_account, args::new_account(new, &sid)).await?;
    insert_audit::<DB>(tx, &new.audit).await
}

/// Reads (and, where the backend needs it, locks) the current row inside a write
/// transaction and checks the revision.
async fn current<DB: Backend>(
    conn: &mut DB::Connection,
    id: AccountId,
    expected_rev: Option<i64>,
) -> StoreResult<Account> {
    let row: Option<AccountRow> =
        first::<DB, _>(conn, DB::SQL.account_for_update, super::id(id)).await?;
    let account = convert_opt::<_, AccountRecord>(row)?
        .ok_or(StoreError::NotFound)?
        .account;
    if expected_rev.is_some_and(|r| r != account.rev) {
        return Err(StoreError::RevisionMismatch);
    }
    Ok(account)
}

/// Revokes every live session of an account except `keep`.
pub(super) async fn revoke_all<DB: Backend>(
    conn: &mut DB::Connection,
    id: AccountId,
    keep: Option<Uuid>,
    at: OffsetDateTime,
) -> StoreResult<()> {
    let args = Args::default()
        .int(to_ms(at))
        .text(id.to_string())
        .text(keep.map(|k| k.to_string()));
    DB::run(conn, DB::SQL.revoke_sessions, args).await?;
    Ok(())
}
