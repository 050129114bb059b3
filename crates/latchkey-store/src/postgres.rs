//! The PostgreSQL backend: several nodes share one database. Read-modify-write
//! transactions lock the rows they read (`FOR UPDATE`), compare-and-swap updates carry
//! their condition in the `WHERE` clause, and outbox claims skip rows another node holds.

use crate::PoolSettings;
use crate::args::Args;
use crate::rows::{account_lookup, account_select, audit_select, session_select};
use crate::sql::SqlStore;
use crate::sql::backend::{Backend, Rows, Statements, duplicate_field};
use crate::sql::query::Dialect;
use latchkey_core::ports::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{Pool, Postgres, Transaction};
use std::str::FromStr;

pub type PgStore = SqlStore<Postgres>;

/// Names the migration lock; any constant works as long as every node uses the same.
const MIGRATION_LOCK: i64 = 0x4c41_5443_484b_4559; // "LATCHKEY"

impl SqlStore<Postgres> {
    /// Start-up needs the database (migrations run first). Afterwards a lost database
    /// makes requests fail fast with "unavailable" (503) and `/readyz` fail; the pool
    /// checks connections before use and reconnects by itself when it returns.
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, sqlx::Error> {
        let options = PgConnectOptions::from_str(url)?.application_name("latchkey");
        let pool = PgPoolOptions::new()
            .max_connections(pool.max_connections.max(1))
            .acquire_timeout(pool.acquire_timeout)
            .test_before_acquire(true)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    /// Runs the migrations under a session advisory lock, so nodes starting together
    /// migrate one after another.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        let result = sqlx::migrate!("./migrations/postgres")
            .run(&mut *conn)
            .await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        result
    }
}

#[async_trait::async_trait]
impl Backend for Postgres {
    const SQL: Statements = SQL;
    const DIALECT: &'static Dialect = &Dialect {
        param: '$',
        bytewise: " COLLATE \"C\"",
    };

    fn map_err(e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate(duplicate_field(db.constraint().unwrap_or_default()))
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::Io(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(db)
                if db.code().is_some_and(|c| {
                    // 08: connection exception; 57P0x: shutting down; 53: out of
                    // resources; 40001/40P01: serialisation failure, deadlock.
                    c.starts_with("08")
                        || c.starts_with("57P")
                        || c.starts_with("53")
                        || c == "40001"
                        || c == "40P01"
                }) =>
            {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Other(e.to_string()),
        }
    }

    async fn begin_write(pool: &Pool<Self>) -> StoreResult<Transaction<'static, Self>> {
        pool.begin().await.map_err(Self::map_err)
    }

    async fn run(conn: &mut PgConnection, sql: &'static str, args: Args) -> StoreResult<u64> {
        let done = sqlx::query_with(sql, args.encode::<Self>()?)
            .execute(conn)
            .await
            .map_err(Self::map_err)?;
        Ok(done.rows_affected())
    }

    async fn rows<T: Rows, S: sqlx::SqlSafeStr + Send>(
        conn: &mut PgConnection,
        sql: S,
        args: Args,
    ) -> StoreResult<Vec<T>> {
        sqlx::query_as_with(sql, args.encode::<Self>()?)
            .fetch_all(conn)
            .await
            .map_err(Self::map_err)
    }
}

/// The proof counter statements, for the per-account table and the per-name one (the same
/// shape, so that a proof against an unknown name writes what one against an account does).
macro_rules! reserve_proof {
    ($table:literal, $key:literal) => {
        concat!(
            "INSERT INTO ", $table, " AS c (", $key, ", failures, window_start, locked_until) VALUES ($1, 1, $2, NULL) \
        ON CONFLICT (", $key, ") DO UPDATE SET \
          failures = CASE \
            WHEN c.locked_until > $2 THEN c.failures \
            WHEN c.locked_until IS NOT NULL OR c.window_start IS NULL OR c.window_start <= $2 - $3 THEN 1 \
            ELSE c.failures + 1 END, \
          window_start = CASE \
            WHEN c.locked_until > $2 THEN c.window_start \
            WHEN c.locked_until IS NOT NULL OR c.window_start IS NULL OR c.window_start <= $2 - $3 THEN $2 \
            ELSE c.window_start END, \
          locked_until = CASE WHEN c.locked_until > $2 THEN c.locked_until ELSE NULL END \
        RETURNING c.failures, c.locked_until"
        )
    };
}

macro_rules! record_failure {
    ($table:literal, $key:literal) => {
        concat!(
            "UPDATE ",
            $table,
            " SET locked_until = $1 \
        WHERE ",
            $key,
            " = $2 AND failures >= $3 AND (locked_until IS NULL OR locked_until <= $4)"
        )
    };
}

const SQL: Statements = Statements {
    ping: "SELECT 1",
    init_setting: "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
    setting: "SELECT value FROM settings WHERE key = $1",
    count_accounts: "SELECT COUNT(*) FROM accounts WHERE source = 'local'",
    next_rid: "UPDATE counters SET value = value + 1 WHERE name = 'rid' RETURNING value",
    raise_rid: "UPDATE counters SET value = GREATEST(value, $1) WHERE name = 'rid'",
    insert_account: "INSERT INTO accounts (id, user_name, user_name_key, dn, dn_key, sid, email, email_key, given_name, sn, \
        display_name, telephone_number, locale, roles, federated, password_hash, password_normalization, \
        password_changed_at, must_change_password, password_never_expires, cannot_change_password, created_at, external_id, disabled) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
    account_by_id: account_select!("WHERE a.id = $1 AND a.source = 'local'"),
    shadow_by_id: account_select!("WHERE a.id = $1"),
    shadow_stand_in: account_select!(
        "WHERE a.id = (SELECT MIN(id) FROM accounts WHERE source = 'directory')"
    ),
    insert_shadow: "INSERT INTO accounts (id, user_name, user_name_key, dn, dn_key, sid, roles, created_at, source) \
        VALUES ($1, $1, '#' || $1, 'entryUUID=' || $1, '#' || $1, '#' || $1, '', $2, 'directory') ON CONFLICT (id) DO NOTHING",
    account_by_user_name: account_lookup!(
        "a.user_name_key = $1 AND a.source = 'local'",
        "TRUE",
        "FALSE"
    ),
    account_by_dn: account_lookup!("a.dn_key = $1 AND a.source = 'local'", "TRUE", "FALSE"),
    account_by_sid: account_select!("WHERE a.sid = $1 AND a.source = 'local'"),
    account_for_update: account_select!("WHERE a.id = $1 FOR UPDATE OF a"),
    list_head: account_select!(""),
    // A directory account's row keeps its '#' keys: no lookup of a local account finds it.
    update_account: "UPDATE accounts SET user_name = $1, \
        user_name_key = CASE WHEN source = 'directory' THEN user_name_key ELSE $2 END, dn = $3, \
        dn_key = CASE WHEN source = 'directory' THEN dn_key ELSE $4 END, email = $5, \
        email_key = CASE WHEN source = 'directory' THEN NULL ELSE $6 END, \
        given_name = $7, sn = $8, display_name = $9, telephone_number = $10, locale = $11, roles = $12, disabled = $13, \
        federated = $14, must_change_password = $15, password_never_expires = $16, cannot_change_password = $17, \
        external_id = $18, rev = rev + 1 WHERE id = $19",
    delete_account: "DELETE FROM accounts WHERE id = $1",
    set_lock: "INSERT INTO lockout_counters (account_id, failures, window_start, locked_until) VALUES ($1, 0, NULL, $2) \
        ON CONFLICT (account_id) DO UPDATE SET failures = 0, window_start = NULL, locked_until = $2",
    revoke_sessions: "UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL AND ($3 IS NULL OR id <> $3)",
    revoke_session: "UPDATE sessions SET revoked_at = CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) WHERE id = $1 AND revoked_at IS NULL",
    reserve_proof: reserve_proof!("lockout_counters", "account_id"),
    record_failure: record_failure!("lockout_counters", "account_id"),
    reserve_name_proof: reserve_proof!("name_proof_counters", "name_key"),
    record_name_failure: record_failure!("name_proof_counters", "name_key"),
    succeed_proof: "UPDATE lockout_counters SET failures = 0, window_start = NULL WHERE account_id = $1",
    unlock: "UPDATE lockout_counters SET failures = 0, window_start = NULL, locked_until = NULL WHERE account_id = $1",
    complete_flow: "UPDATE recovery_flows SET step = step + 1, completed = TRUE WHERE id = $1 AND step = $2 AND NOT completed",
    retire_password: "INSERT INTO password_history (account_id, password_hash, normalization, retired_at) \
        SELECT id, password_hash, COALESCE(password_normalization, 'nfkc'), $1 FROM accounts \
        WHERE id = $2 AND rev = $3 AND password_hash IS NOT NULL",
    write_password: "UPDATE accounts SET password_hash = $1, password_normalization = $2, password_changed_at = $3, \
        must_change_password = COALESCE($4, must_change_password), \
        password_never_expires = COALESCE($5, password_never_expires), \
        cannot_change_password = COALESCE($6, cannot_change_password), rev = rev + 1 \
        WHERE id = $7 AND rev = $8",
    account_rev: "SELECT rev FROM accounts WHERE id = $1",
    trim_history: "DELETE FROM password_history WHERE account_id = $1 AND seq NOT IN \
        (SELECT seq FROM password_history WHERE account_id = $1 ORDER BY seq DESC LIMIT $2)",
    history: "SELECT password_hash FROM password_history WHERE account_id = $1 ORDER BY seq DESC LIMIT $2",
    clear_change_only: "UPDATE sessions SET change_only = FALSE WHERE id = $1",
    upgrade_hash: "UPDATE accounts SET password_hash = $1 WHERE id = $2 AND password_hash = $3",
    begin_intent: "INSERT INTO directory_intents (id, account_id, started_at, body) VALUES ($1, $2, $3, $4)",
    end_intent: "DELETE FROM directory_intents WHERE id = $1",
    stale_intents: "SELECT id, account_id, started_at, body FROM directory_intents WHERE started_at <= $1 ORDER BY started_at",
    insert_session: "INSERT INTO sessions (id, token_digest, account_id, client_id, scopes, created_at, expires_at, change_only) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    session_by_digest: session_select!("WHERE token_digest = $1 AND revoked_at IS NULL"),
    insert_client: "INSERT INTO api_clients (id, name, secret_digest, scopes, created_at) VALUES ($1, $2, $3, $4, $5)",
    client_by_id: "SELECT id, name, secret_digest, scopes, created_at FROM api_clients WHERE id = $1",
    list_clients: "SELECT id, name, secret_digest, scopes, created_at FROM api_clients ORDER BY created_at, id",
    sweep_lock: "SELECT CAST(CASE WHEN pg_try_advisory_xact_lock(7241302) THEN 1 ELSE 0 END AS BIGINT)",
    sweep_sessions: "DELETE FROM sessions WHERE expires_at < $1 OR revoked_at IS NOT NULL",
    sweep_throttle: "DELETE FROM throttle_counters WHERE window_start < $1",
    throttle_hit: "INSERT INTO throttle_counters (key, window_start, hits) VALUES ($1, $2, 1) \
        ON CONFLICT (key) DO UPDATE SET \
        hits = CASE WHEN throttle_counters.window_start <= $2 - $3 THEN 1 ELSE throttle_counters.hits + 1 END, \
        window_start = CASE WHEN throttle_counters.window_start <= $2 - $3 THEN $2 ELSE throttle_counters.window_start END \
        RETURNING hits, window_start",
    sweep_flows: "DELETE FROM recovery_flows WHERE created_at < $1",
    sweep_outbox: "DELETE FROM outbox WHERE created_at < $1 AND (sent_at IS NOT NULL OR next_attempt_at = 9223372036854775807)",
    audit_sweep_on: "SELECT set_config('latchkey.audit_sweep', 'on', true)",
    audit_sweep_off: "SELECT set_config('latchkey.audit_sweep', '', true)",
    sweep_audit: "DELETE FROM audit_events WHERE at < $1",
    after_sweep: "SELECT 1",
    outbox_backlog: "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE sent_at IS NULL AND next_attempt_at < 9223372036854775807",
    delete_client: "DELETE FROM api_clients WHERE id = $1",
    set_client_secret: "UPDATE api_clients SET secret_digest = $1 WHERE id = $2",
    revoke_client_sessions: "UPDATE sessions SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL",
    insert_audit: "INSERT INTO audit_events (id, at, type, actor_id, target_id, surface, client_ip, request_id, outcome, reason) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    list_audit: audit_select!(
        "WHERE ($1 IS NULL OR target_id = $1) AND ($2 IS NULL OR type = $2) \
         AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at <= $4) \
         AND ($5 IS NULL OR surface = $5) AND ($6 IS NULL OR outcome = $6) \
         AND ($7 IS NULL OR seq < (SELECT b.seq FROM audit_events b WHERE b.id = $7)) \
         ORDER BY seq DESC LIMIT $8"
    ),
    insert_outbox: "INSERT INTO outbox (id, kind, account_id, payload, created_at, next_attempt_at, sent_at, last_error) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    end_flows: "UPDATE recovery_flows SET completed = TRUE, ended_reason = $1 \
        WHERE account_id = $2 AND completed = FALSE AND decoy = FALSE AND ($3::TEXT IS NULL OR id <> $3)",
    end_decoy_flows: "UPDATE recovery_flows SET completed = TRUE, ended_reason = $1 \
        WHERE mail_key = $2 AND completed = FALSE AND decoy = TRUE AND id <> $3",
    recovery_mails: "SELECT COUNT(*)::BIGINT, COALESCE(SUM(CASE WHEN mail_network = $3 THEN 1 ELSE 0 END), 0)::BIGINT \
        FROM recovery_flows WHERE mail_key = $1 AND mailed_at >= $2",
    mark_flow_mailed: "UPDATE recovery_flows SET mailed_at = $1, mail_network = $2, mail_key = $3 WHERE id = $4",
    pending_outbox: "SELECT id, kind, account_id, payload, created_at FROM outbox WHERE account_id = $1 AND sent_at IS NULL ORDER BY seq",
    claim_outbox: "UPDATE outbox SET next_attempt_at = $1 WHERE seq IN \
        (SELECT seq FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $2 ORDER BY seq LIMIT $3 \
         FOR UPDATE SKIP LOCKED) \
        RETURNING id, kind, account_id, payload, created_at, attempts, seq",
    outbox_delivered: "UPDATE outbox SET sent_at = $1, last_error = NULL WHERE id = $2",
    outbox_failed: "UPDATE outbox SET attempts = $1, next_attempt_at = $2, last_error = $3 WHERE id = $4",
    expiry_candidates: account_select!(
        "WHERE a.source = 'local' AND a.password_hash IS NOT NULL AND NOT a.password_never_expires AND NOT a.federated AND NOT a.disabled \
         AND a.password_changed_at < $1 AND (a.expiry_warned_at IS NULL OR a.expiry_warned_at < a.password_changed_at) \
         ORDER BY a.password_changed_at LIMIT $2"
    ),
    mark_expiry_warned: "UPDATE accounts SET expiry_warned_at = $1 WHERE id = $2 \
        AND (expiry_warned_at IS NULL OR expiry_warned_at < password_changed_at)",
    insert_flow: "INSERT INTO recovery_flows (id, stages, stage_index, step, account_id, decoy, attempts, code_digest, \
        code_expires_at, proved_email, created_at, expires_at, completed) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    flow: "SELECT * FROM recovery_flows WHERE id = $1",
    advance_flow: "UPDATE recovery_flows SET step = step + 1, stage_index = $1, account_id = $2, decoy = $3, code_digest = $4, \
        code_expires_at = $5, proved_email = $6 WHERE id = $7 AND step = $8 AND NOT completed",
    fail_flow: "UPDATE recovery_flows SET attempts = attempts + 1 WHERE id = $1 AND step = $2 AND NOT completed RETURNING attempts",
    recovery_failures: "SELECT CAST(COALESCE(SUM(attempts), 0) AS BIGINT) FROM recovery_flows WHERE account_id = $1 AND created_at >= $2",
    kba_answers: "SELECT question_id, custom_question, answer_hash FROM kba_answers WHERE account_id = $1 ORDER BY position",
    lock_account: "SELECT id FROM accounts WHERE id = $1 FOR UPDATE",
    lock_bucket: "SELECT name_key FROM name_proof_counters WHERE name_key = $1 FOR UPDATE",
    delete_kba: "DELETE FROM kba_answers WHERE account_id = $1",
    insert_kba: "INSERT INTO kba_answers (account_id, position, question_id, custom_question, answer_hash) VALUES ($1, $2, $3, $4, $5)",
};
