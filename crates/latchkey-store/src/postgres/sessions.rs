//! Sessions (user and API-client tokens, stored as digests) and API clients.

use super::records::insert_audit;
use super::{PgStore, map_err};
use crate::args;
use crate::rows::{ClientRow, SessionRow, convert_opt, session_select};
use latchkey_core::audit::AuditEvent;
use latchkey_core::ports::{ClientRecord, SessionRecord, StoreResult};
use uuid::Uuid;

impl PgStore {
    pub(super) async fn insert_session_row(&self, s: SessionRecord) -> StoreResult<()> {
        sqlx::query_with(
            "INSERT INTO sessions (id, token_digest, account_id, client_id, scopes, created_at, expires_at, change_only) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", args::session(&s).encode::<sqlx::Postgres>()?)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    pub(super) async fn session_row(&self, digest: &[u8]) -> StoreResult<Option<SessionRecord>> {
        let row: Option<SessionRow> = sqlx::query_as(session_select!(
            "WHERE token_digest = $1 AND revoked_at IS NULL"
        ))
        .bind(digest)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        convert_opt(row)
    }

    pub(super) async fn insert_client_row(
        &self,
        c: ClientRecord,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query_with("INSERT INTO api_clients (id, name, secret_digest, scopes, created_at) VALUES ($1, $2, $3, $4, $5)", args::client(&c).encode::<sqlx::Postgres>()?)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        insert_audit(&mut *tx, &audit).await?;
        tx.commit().await.map_err(map_err)
    }

    pub(super) async fn client_row(&self, id: Uuid) -> StoreResult<Option<ClientRecord>> {
        let row: Option<ClientRow> = sqlx::query_as(
            "SELECT id, name, secret_digest, scopes, created_at FROM api_clients WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        convert_opt(row)
    }
}
