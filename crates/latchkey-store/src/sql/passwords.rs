//! The password write: one transaction with its history, revision, session revocation,
//! unlock, audit events and notification.

use super::accounts::revoke_all;
use super::backend::Backend;
use super::{SqlStore, commit, first, insert_effects};
use crate::args::{self, Args};
use crate::timestamp::to_ms;
use latchkey_core::domain::Account;
use latchkey_core::ports::{PasswordWrite, StoreError, StoreResult};

impl<DB: Backend> SqlStore<DB> {
    pub(super) async fn write_password_tx(&self, w: PasswordWrite) -> StoreResult<Account> {
        let mut tx = self.write().await?;
        write_password_in::<DB>(&mut tx, &w).await?;
        commit(tx).await?;
        self.must_read(w.account_id).await
    }
}

/// The password write's statements, inside the caller's transaction.
pub(super) async fn write_password_in<DB: Backend>(
    tx: &mut DB::Connection,
    w: &PasswordWrite,
) -> StoreResult<()> {
    let id = || Args::default().text(w.account_id.to_string());
    if let Some((flow, step)) = w.complete_flow {
        let args = Args::default().text(flow.to_string()).int(i64::from(step));
        if DB::run(tx, DB::SQL.complete_flow, args).await? != 1 {
            return Err(StoreError::RevisionMismatch);
        }
    }
    let retire = Args::default()
        .int(to_ms(w.changed_at))
        .text(w.account_id.to_string())
        .int(w.expected_rev);
    DB::run(tx, DB::SQL.retire_password, retire).await?;
    if DB::run(tx, DB::SQL.write_password, args::password_update(w)).await? != 1 {
        let exists: Option<(i64,)> = first::<DB, _>(tx, DB::SQL.account_rev, id()).await?;
        return Err(if exists.is_some() {
            StoreError::RevisionMismatch
        } else {
            StoreError::NotFound
        });
    }
    let keep = id().int(i64::try_from(w.history_keep).unwrap_or(i64::MAX));
    DB::run(tx, DB::SQL.trim_history, keep).await?;
    revoke_all::<DB>(tx, w.account_id, w.keep_session, w.changed_at).await?;
    // The caller's session survives a self change, now with a password that is current.
    let kept = Args::default().text(w.keep_session.map(|k| k.to_string()));
    DB::run(tx, DB::SQL.clear_change_only, kept).await?;
    if w.unlock {
        DB::run(tx, DB::SQL.unlock, id()).await?;
    }
    // A new password ends every open recovery flow (the completing one is done).
    let end = super::end_flows_args(w.account_id, "password changed", None);
    DB::run(tx, DB::SQL.end_flows, end).await?;
    insert_effects::<DB>(tx, &w.audit, w.outbox.as_ref()).await
}
