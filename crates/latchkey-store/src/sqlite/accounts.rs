//! Account rows: insert (with SID allocation), reads, list, update, delete, lock.

use super::records::insert_audit;
use super::{SqliteStore, map_err};
use crate::args;
use crate::rows::{AccountRow, account_select, accounts, convert_opt};
use crate::timestamp::to_ms;
use latchkey_core::audit::AuditEvent;
use latchkey_core::domain::{Account, AccountId, Sid, UserName};
use latchkey_core::ports::{
    AccountChanges, AccountFilter, AccountRecord, NewAccount, StoreError, StoreResult,
};
use time::OffsetDateTime;

impl SqliteStore {
    pub(super) async fn insert_account_tx(
        &self,
        new: NewAccount,
        domain: [u32; 3],
    ) -> StoreResult<Account> {
        let mut tx = self.write_tx().await?;
        let rid: i64 = sqlx::query_scalar(
            "UPDATE counters SET value = value + 1 WHERE name = 'rid' RETURNING value",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let rid = u32::try_from(rid)
            .map_err(|_| StoreError::Other("relative id space exhausted".into()))?;
        let sid = Sid::for_account(domain, rid);
        sqlx::query_with(
            "INSERT INTO accounts (id, user_name, user_name_key, dn, dn_key, sid, email, email_key, given_name, sn, \
             display_name, telephone_number, locale, roles, federated, password_hash, password_normalization, \
             password_changed_at, must_change_password, password_never_expires, cannot_change_password, created_at, external_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", args::new_account(&new, &sid).encode::<sqlx::Sqlite>()?)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        insert_audit(&mut *tx, &new.audit).await?;
        tx.commit().await.map_err(map_err)?;
        self.must_read(new.id).await
    }

    pub(super) async fn must_read(&self, id: AccountId) -> StoreResult<Account> {
        Ok(self
            .account_where_id(id)
            .await?
            .ok_or(StoreError::NotFound)?
            .account)
    }

    pub(super) async fn account_where_id(
        &self,
        id: AccountId,
    ) -> StoreResult<Option<AccountRecord>> {
        self.account_where("id", &id.to_string()).await
    }

    /// One account by a unique column.
    pub(super) async fn account_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> StoreResult<Option<AccountRecord>> {
        let sql = match column {
            "id" => account_select!("WHERE a.id = ?"),
            "user_name_key" => account_select!("WHERE a.user_name_key = ?"),
            "dn_key" => account_select!("WHERE a.dn_key = ?"),
            "sid" => account_select!("WHERE a.sid = ?"),
            _ => return Err(StoreError::Other(format!("no unique column {column}"))),
        };
        let row: Option<AccountRow> = sqlx::query_as(sql)
            .bind(value)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        convert_opt(row)
    }

    pub(super) async fn list(&self, f: &AccountFilter) -> StoreResult<(Vec<Account>, u64)> {
        let user = f.user_name.as_deref().map(UserName::key_of);
        let email = f.email.as_ref().map(|e| e.to_lowercase());
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE (?1 IS NULL OR user_name_key = ?1) AND (?2 IS NULL OR email_key = ?2)",
        )
        .bind(&user)
        .bind(&email)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        let rows: Vec<AccountRow> = sqlx::query_as(account_select!(
            "WHERE (?1 IS NULL OR a.user_name_key = ?1) AND (?2 IS NULL OR a.email_key = ?2) \
             ORDER BY a.user_name_key LIMIT ?3 OFFSET ?4"
        ))
        .bind(&user)
        .bind(&email)
        .bind(i64::from(f.limit))
        .bind(i64::from(f.offset))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok((accounts(rows)?, total as u64))
    }

    /// Reads the current row inside a write transaction and checks the revision.
    async fn current_in_tx(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        id: AccountId,
        expected_rev: Option<i64>,
    ) -> StoreResult<Account> {
        let row: Option<AccountRow> = sqlx::query_as(account_select!("WHERE a.id = ?"))
            .bind(id.to_string())
            .fetch_optional(&mut **tx)
            .await
            .map_err(map_err)?;
        let account = convert_opt::<_, AccountRecord>(row)?
            .ok_or(StoreError::NotFound)?
            .account;
        if expected_rev.is_some_and(|r| r != account.rev) {
            return Err(StoreError::RevisionMismatch);
        }
        Ok(account)
    }

    pub(super) async fn update(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        c: &AccountChanges,
        revoke_sessions: bool,
        audit: AuditEvent,
    ) -> StoreResult<Account> {
        let mut tx = self.write_tx().await?;
        let cur = Self::current_in_tx(&mut tx, id, expected_rev).await?;
        sqlx::query_with(
            "UPDATE accounts SET user_name = ?, user_name_key = ?, dn = ?, dn_key = ?, email = ?, email_key = ?, \
             given_name = ?, sn = ?, display_name = ?, telephone_number = ?, locale = ?, roles = ?, disabled = ?, \
             federated = ?, must_change_password = ?, password_never_expires = ?, cannot_change_password = ?, \
             external_id = ?, rev = rev + 1 WHERE id = ?", args::account_update(&cur, c).encode::<sqlx::Sqlite>()?)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if revoke_sessions {
            revoke_all(&mut tx, id, None, audit.at).await?;
        }
        insert_audit(&mut *tx, &audit).await?;
        tx.commit().await.map_err(map_err)?;
        self.must_read(id).await
    }

    pub(super) async fn delete(
        &self,
        id: AccountId,
        expected_rev: Option<i64>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        Self::current_in_tx(&mut tx, id, expected_rev).await?;
        sqlx::query("DELETE FROM accounts WHERE id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        insert_audit(&mut *tx, &audit).await?;
        tx.commit().await.map_err(map_err)
    }

    pub(super) async fn lock(
        &self,
        id: AccountId,
        until: Option<OffsetDateTime>,
        audit: AuditEvent,
    ) -> StoreResult<Account> {
        let mut tx = self.write_tx().await?;
        Self::current_in_tx(&mut tx, id, None).await?;
        sqlx::query(
            "INSERT INTO lockout_counters (account_id, failures, window_start, locked_until) VALUES (?1, 0, NULL, ?2) \
             ON CONFLICT (account_id) DO UPDATE SET failures = 0, window_start = NULL, locked_until = ?2",
        )
        .bind(id.to_string())
        .bind(until.map(to_ms))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if until.is_some() {
            revoke_all(&mut tx, id, None, audit.at).await?;
        }
        insert_audit(&mut *tx, &audit).await?;
        tx.commit().await.map_err(map_err)?;
        self.must_read(id).await
    }
}

/// Revokes every live session of an account except `keep`.
pub(super) async fn revoke_all(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    id: AccountId,
    keep: Option<uuid::Uuid>,
    at: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE sessions SET revoked_at = ?1 WHERE account_id = ?2 AND revoked_at IS NULL AND (?3 IS NULL OR id <> ?3)",
    )
    .bind(to_ms(at))
    .bind(id.to_string())
    .bind(keep.map(|k| k.to_string()))
    .execute(&mut **tx)
    .await
    .map_err(map_err)?;
    Ok(())
}
