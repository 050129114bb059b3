//! Row mapping for accounts, and the audit log and outbox tables.

use super::map_err;
use crate::timestamp::{from_ms, to_ms};
use latchkey_core::audit::{AuditEvent, AuditQuery, AuditType, Outcome};
use latchkey_core::domain::{Account, AccountId, Dn, Profile, Roles, Sid, UserName};
use latchkey_core::hashing::PasswordHash;
use latchkey_core::ports::{AccountRecord, OutboxMessage, StoreError, StoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteExecutor};
use uuid::Uuid;

/// The columns every account read selects (`a` = accounts, `l` = lockout_counters).
macro_rules! account_select {
    ($tail:literal) => {
        concat!(
            "SELECT a.id, a.user_name, a.dn, a.sid, a.email, a.given_name, a.sn, a.display_name, ",
            "a.telephone_number, a.locale, a.external_id, a.roles, a.disabled, a.federated, a.password_hash, ",
            "a.password_changed_at, a.must_change_password, a.password_never_expires, ",
            "a.cannot_change_password, a.created_at, a.rev, l.locked_until ",
            "FROM accounts a LEFT JOIN lockout_counters l ON l.account_id = a.id ",
            $tail
        )
    };
}
pub(crate) use account_select;

fn corrupt(what: &str) -> StoreError {
    StoreError::Other(format!("corrupt stored {what}"))
}

pub(crate) fn parse_uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| corrupt("id"))
}

pub(crate) fn account_from_row(row: &SqliteRow) -> StoreResult<AccountRecord> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(map_err);
    let get_o = |c: &str| row.try_get::<Option<String>, _>(c).map_err(map_err);
    let get_b = |c: &str| row.try_get::<bool, _>(c).map_err(map_err);
    let hash = get_o("password_hash")?
        .map(|h| PasswordHash::parse(&h).map_err(|_| corrupt("hash")))
        .transpose()?;
    let account = Account {
        id: parse_uuid(&get_s("id")?)?,
        user_name: UserName::parse(&get_s("user_name")?).map_err(|_| corrupt("userName"))?,
        dn: Dn::parse(&get_s("dn")?).map_err(|_| corrupt("dn"))?,
        sid: Sid::parse(&get_s("sid")?).map_err(|_| corrupt("sid"))?,
        profile: Profile {
            email: get_o("email")?,
            given_name: get_o("given_name")?,
            sn: get_o("sn")?,
            display_name: get_o("display_name")?,
            telephone_number: get_o("telephone_number")?,
            locale: get_o("locale")?,
            external_id: get_o("external_id")?,
        },
        roles: Roles::from_csv(&get_s("roles")?).map_err(|_| corrupt("roles"))?,
        disabled: get_b("disabled")?,
        locked_until: row
            .try_get::<Option<i64>, _>("locked_until")
            .map_err(map_err)?
            .map(from_ms),
        federated: get_b("federated")?,
        has_password: hash.is_some(),
        must_change_password: get_b("must_change_password")?,
        password_never_expires: get_b("password_never_expires")?,
        cannot_change_password: get_b("cannot_change_password")?,
        password_changed_at: row
            .try_get::<Option<i64>, _>("password_changed_at")
            .map_err(map_err)?
            .map(from_ms),
        created_at: from_ms(row.try_get("created_at").map_err(map_err)?),
        rev: row.try_get("rev").map_err(map_err)?,
    };
    Ok(AccountRecord { account, hash })
}

pub(crate) async fn insert_audit<'e>(
    db: impl SqliteExecutor<'e>,
    e: &AuditEvent,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (id, at, type, actor_id, target_id, surface, client_ip, request_id, outcome, reason) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.id.to_string())
    .bind(to_ms(e.at))
    .bind(e.kind.as_str())
    .bind(&e.actor_id)
    .bind(e.target_id.map(|t| t.to_string()))
    .bind(&e.surface)
    .bind(&e.client_ip)
    .bind(&e.request_id)
    .bind(e.outcome.as_str())
    .bind(&e.reason)
    .execute(db)
    .await
    .map_err(map_err)?;
    Ok(())
}

pub(crate) async fn list_audit<'e>(
    db: impl SqliteExecutor<'e>,
    q: &AuditQuery,
) -> StoreResult<Vec<AuditEvent>> {
    let rows = sqlx::query(
        "SELECT id, at, type, actor_id, target_id, surface, client_ip, request_id, outcome, reason FROM audit_events \
         WHERE (?1 IS NULL OR target_id = ?1) AND (?2 IS NULL OR type = ?2) AND (?3 IS NULL OR at >= ?3) \
         ORDER BY seq LIMIT ?4",
    )
    .bind(q.account_id.map(|a| a.to_string()))
    .bind(q.kind.map(AuditType::as_str))
    .bind(q.since.map(to_ms))
    .bind(i64::from(q.limit))
    .fetch_all(db)
    .await
    .map_err(map_err)?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("type").map_err(map_err)?;
            let outcome: String = r.try_get("outcome").map_err(map_err)?;
            Ok(AuditEvent {
                id: parse_uuid(&r.try_get::<String, _>("id").map_err(map_err)?)?,
                at: from_ms(r.try_get("at").map_err(map_err)?),
                kind: AuditType::parse(&kind).ok_or_else(|| corrupt("audit type"))?,
                actor_id: r.try_get("actor_id").map_err(map_err)?,
                target_id: r
                    .try_get::<Option<String>, _>("target_id")
                    .map_err(map_err)?
                    .map(|t| parse_uuid(&t))
                    .transpose()?,
                surface: r.try_get("surface").map_err(map_err)?,
                client_ip: r.try_get("client_ip").map_err(map_err)?,
                request_id: r.try_get("request_id").map_err(map_err)?,
                outcome: if outcome == "success" {
                    Outcome::Success
                } else {
                    Outcome::Failure
                },
                reason: r.try_get("reason").map_err(map_err)?,
            })
        })
        .collect()
}

pub(crate) async fn insert_outbox<'e>(
    db: impl SqliteExecutor<'e>,
    m: &OutboxMessage,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO outbox (id, kind, account_id, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(m.id.to_string())
    .bind(&m.kind)
    .bind(m.account_id.to_string())
    .bind(m.payload.to_string())
    .bind(to_ms(m.created_at))
    .bind(to_ms(m.created_at))
    .execute(db)
    .await
    .map_err(map_err)?;
    Ok(())
}

pub(crate) async fn pending_outbox<'e>(
    db: impl SqliteExecutor<'e>,
    account_id: AccountId,
) -> StoreResult<Vec<OutboxMessage>> {
    let rows = sqlx::query(
        "SELECT id, kind, account_id, payload, created_at FROM outbox WHERE account_id = ? AND sent_at IS NULL ORDER BY seq",
    )
    .bind(account_id.to_string())
    .fetch_all(db)
    .await
    .map_err(map_err)?;
    rows.iter()
        .map(|r| {
            let payload: String = r.try_get("payload").map_err(map_err)?;
            Ok(OutboxMessage {
                id: parse_uuid(&r.try_get::<String, _>("id").map_err(map_err)?)?,
                kind: r.try_get("kind").map_err(map_err)?,
                account_id,
                created_at: from_ms(r.try_get("created_at").map_err(map_err)?),
                payload: serde_json::from_str(&payload).map_err(|_| corrupt("outbox payload"))?,
            })
        })
        .collect()
}
