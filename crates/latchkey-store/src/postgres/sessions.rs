//! Sessions (user and API-client tokens, stored as digests) and API clients.

use super::records::insert_audit;
use super::{PgStore, map_err};
use crate::rows::{ClientRow, SessionRow, convert_opt, scopes_to_text, session_select};
use crate::timestamp::to_ms;
use latchkey_core::audit::AuditEvent;
use latchkey_core::ports::{ClientRecord, SessionRecord, StoreResult};
use uuid::Uuid;

impl PgStore {
    pub(super) async fn insert_session_row(&self, s: SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id, token_digest, account_id, client_id, scopes, created_at, expires_at, change_only) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(s.id.to_string())
        .bind(&s.token_digest)
        .bind(s.account_id.map(|a| a.to_string()))
        .bind(s.client_id.map(|c| c.to_string()))
        .bind(scopes_to_text(&s.scopes))
        .bind(to_ms(s.created_at))
        .bind(to_ms(s.expires_at))
        .bind(s.change_only)
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
        sqlx::query("INSERT INTO api_clients (id, name, secret_digest, scopes, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(c.id.to_string())
            .bind(&c.name)
            .bind(&c.secret_digest)
            .bind(scopes_to_text(&c.scopes))
            .bind(to_ms(c.created_at))
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
