//! Sessions (user and API-client tokens, stored as digests) and API clients.

use super::records::{insert_audit, parse_uuid};
use super::{SqliteStore, map_err};
use crate::timestamp::{from_ms, to_ms};
use latchkey_core::audit::AuditEvent;
use latchkey_core::auth::Scope;
use latchkey_core::ports::{ClientRecord, SessionRecord, StoreError, StoreResult};
use sqlx::Row;
use uuid::Uuid;

fn scopes_to_csv(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn scopes_from_csv(s: &str) -> StoreResult<Vec<Scope>> {
    s.split_whitespace()
        .map(|p| {
            p.parse()
                .map_err(|_| StoreError::Other("corrupt stored scope".into()))
        })
        .collect()
}

impl SqliteStore {
    pub(super) async fn insert_session_row(&self, s: SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id, token_digest, account_id, client_id, scopes, created_at, expires_at, change_only) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(s.id.to_string())
        .bind(&s.token_digest)
        .bind(s.account_id.map(|a| a.to_string()))
        .bind(s.client_id.map(|c| c.to_string()))
        .bind(scopes_to_csv(&s.scopes))
        .bind(to_ms(s.created_at))
        .bind(to_ms(s.expires_at))
        .bind(s.change_only)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    pub(super) async fn session_row(&self, digest: &[u8]) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT id, token_digest, account_id, client_id, scopes, created_at, expires_at, change_only \
             FROM sessions WHERE token_digest = ? AND revoked_at IS NULL",
        )
        .bind(digest)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        let Some(r) = row else { return Ok(None) };
        let opt_uuid = |c: &str| -> StoreResult<Option<Uuid>> {
            r.try_get::<Option<String>, _>(c)
                .map_err(map_err)?
                .map(|s| parse_uuid(&s))
                .transpose()
        };
        Ok(Some(SessionRecord {
            id: parse_uuid(&r.try_get::<String, _>("id").map_err(map_err)?)?,
            token_digest: r.try_get("token_digest").map_err(map_err)?,
            account_id: opt_uuid("account_id")?,
            client_id: opt_uuid("client_id")?,
            scopes: scopes_from_csv(&r.try_get::<String, _>("scopes").map_err(map_err)?)?,
            created_at: from_ms(r.try_get("created_at").map_err(map_err)?),
            expires_at: from_ms(r.try_get("expires_at").map_err(map_err)?),
            change_only: r.try_get("change_only").map_err(map_err)?,
        }))
    }

    pub(super) async fn insert_client_row(
        &self,
        c: ClientRecord,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO api_clients (id, name, secret_digest, scopes, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(c.id.to_string())
            .bind(&c.name)
            .bind(&c.secret_digest)
            .bind(scopes_to_csv(&c.scopes))
            .bind(to_ms(c.created_at))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        insert_audit(&mut *tx, &audit).await?;
        tx.commit().await.map_err(map_err)
    }

    pub(super) async fn client_row(&self, id: Uuid) -> StoreResult<Option<ClientRecord>> {
        let row = sqlx::query(
            "SELECT id, name, secret_digest, scopes, created_at FROM api_clients WHERE id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(ClientRecord {
            id,
            name: r.try_get("name").map_err(map_err)?,
            secret_digest: r.try_get("secret_digest").map_err(map_err)?,
            scopes: scopes_from_csv(&r.try_get::<String, _>("scopes").map_err(map_err)?)?,
            created_at: from_ms(r.try_get("created_at").map_err(map_err)?),
        }))
    }
}
