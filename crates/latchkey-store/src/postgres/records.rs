//! The audit log and outbox rows written inside other transactions.

use super::map_err;
use crate::args;
use crate::rows::{AuditRow, OutboxRow, audit_select, convert};
use crate::timestamp::to_ms;
use latchkey_core::audit::{AuditEvent, AuditQuery, AuditType};
use latchkey_core::domain::AccountId;
use latchkey_core::ports::{OutboxMessage, StoreResult};
use sqlx::PgExecutor;

pub(crate) async fn insert_audit<'e>(db: impl PgExecutor<'e>, e: &AuditEvent) -> StoreResult<()> {
    sqlx::query_with(
        "INSERT INTO audit_events (id, at, type, actor_id, target_id, surface, client_ip, request_id, outcome, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", args::audit(e).encode::<sqlx::Postgres>()?)
    .execute(db)
    .await
    .map_err(map_err)?;
    Ok(())
}

pub(crate) async fn list_audit<'e>(
    db: impl PgExecutor<'e>,
    q: &AuditQuery,
) -> StoreResult<Vec<AuditEvent>> {
    let rows: Vec<AuditRow> = sqlx::query_as(audit_select!(
        "WHERE ($1 IS NULL OR target_id = $1) AND ($2 IS NULL OR type = $2) AND ($3 IS NULL OR at >= $3) \
         ORDER BY seq LIMIT $4"
    ))
    .bind(q.account_id.map(|a| a.to_string()))
    .bind(q.kind.map(AuditType::as_str))
    .bind(q.since.map(to_ms))
    .bind(i64::from(q.limit))
    .fetch_all(db)
    .await
    .map_err(map_err)?;
    convert(rows)
}

pub(crate) async fn insert_outbox<'e>(
    db: impl PgExecutor<'e>,
    m: &OutboxMessage,
) -> StoreResult<()> {
    sqlx::query_with(
        "INSERT INTO outbox (id, kind, account_id, payload, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6)", args::outbox(m).encode::<sqlx::Postgres>()?)
    .execute(db)
    .await
    .map_err(map_err)?;
    Ok(())
}

pub(crate) async fn pending_outbox<'e>(
    db: impl PgExecutor<'e>,
    account_id: AccountId,
) -> StoreResult<Vec<OutboxMessage>> {
    let rows: Vec<OutboxRow> = sqlx::query_as(
        "SELECT id, kind, account_id, payload, created_at FROM outbox WHERE account_id = $1 AND sent_at IS NULL ORDER BY seq",
    )
    .bind(account_id.to_string())
    .fetch_all(db)
    .await
    .map_err(map_err)?;
    convert(rows)
}
