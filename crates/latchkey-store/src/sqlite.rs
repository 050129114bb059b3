//! The SQLite backend: one file, WAL, writes serialised by `BEGIN IMMEDIATE` (so a read
//! inside a write transaction can never be invalidated by another writer).

use crate::PoolSettings;
use crate::args::Args;
use crate::rows::{account_lookup, account_select, audit_select, session_select};
use crate::sql::SqlStore;
use crate::sql::backend::{Backend, Rows, Statements, duplicate_field};
use crate::sql::query::Dialect;
use latchkey_core::ports::{StoreError, StoreResult};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Pool, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?;
        create_private(options.get_filename())?;
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(pool.max_connections.max(1))
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        sqlx::migrate!("./migrations/sqlite").run(&self.pool).await
    }
}

/// Creates a missing database file readable by its owner only (mode 0600): it holds
/// hashes and tokens' digests. SQLite gives the `-wal` and `-shm` files the database
/// file's mode.
fn create_private(path: &std::path::Path) -> Result<(), sqlx::Error> {
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" || path.exists() {
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    match file.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(sqlx::Error::Io(e)),
    }
}

#[async_trait::async_trait]
impl Backend for Sqlite {
    const SQL: Statements = SQL;
    const DIALECT: &'static Dialect = &Dialect {
        param: '?',
        bytewise: "",
    };

    fn map_err(e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate(duplicate_field(db.message()))
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                StoreError::Unavailable(e.to_string())
            }
            // SQLITE_BUSY: the busy timeout ran out.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("5") => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Other(e.to_string()),
        }
    }

    async fn begin_write(pool: &Pool<Self>) -> StoreResult<Transaction<'static, Self>> {
        pool.begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(Self::map_err)
    }

    async fn run(conn: &mut SqliteConnection, sql: &'static str, args: Args) -> StoreResult<u64> {
        let done = sqlx::query_with(sql, args.encode::<Self>()?)
            .execute(conn)
            .await
            .map_err(Self::map_err)?;
        Ok(done.rows_affected())
    }

    async fn rows<T: Rows, S: sqlx::SqlSafeStr + Send>(
        conn: &mut SqliteConnection,
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
            "INSERT INTO ", $table, " (", $key, ", failures, window_start, locked_until) VALUES (?1, 1, ?2, NULL) \
        ON CONFLICT (", $key, ") DO UPDATE SET \
          failures = CASE \
            WHEN locked_until > ?2 THEN failures \
            WHEN locked_until IS NOT NULL OR window_start IS NULL OR window_start <= ?2 - ?3 THEN 1 \
            ELSE failures + 1 END, \
          window_start = CASE \
            WHEN locked_until > ?2 THEN window_start \
            WHEN locked_until IS NOT NULL OR window_start IS NULL OR window_start <= ?2 - ?3 THEN ?2 \
            ELSE window_start END, \
          locked_until = CASE WHEN locked_until > ?2 THEN locked_until ELSE NULL END \
        RETURNING failures, locked_until"
        )
    };
}

macro_rules! record_failure {
    ($table:literal, $key:literal) => {
        concat!(
            "UPDATE ",
            $table,
            " SET locked_until = ?1 \
        WHERE ",
            $key,
            " = ?2 AND failures >= ?3 AND (locked_until IS NULL OR locked_until <= ?4)"
        )
    };
}

const SQL: Statements = Statements {
    ping: "SELECT 1",
    init_setting: "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
    setting: "SELECT value FROM settings WHERE key = ?1",
    count_accounts: "SELECT COUNT(*) FROM accounts WHERE source = 'local'",
    next_rid: "UPDATE counters SET value = value + 1 WHERE name = 'rid' RETURNING value",
    raise_rid: "UPDATE counters SET value = MAX(value, ?1) WHERE name = 'rid'",
    insert_account: "INSERT INTO accounts (id, user_name, user_name_key, dn, dn_key, sid, email, email_key, given_name, sn, \
        display_name, telephone_number, locale, roles, federated, password_hash, password_normalization, \
        password_changed_at, must_change_password, password_never_expires, cannot_change_password, created_at, external_id, disabled) \
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    account_by_id: account_select!("WHERE a.id = ?1 AND a.source = 'local'"),
    shadow_by_id: account_select!("WHERE a.id = ?1"),
    shadow_stand_in: account_select!(
        "WHERE a.id = (SELECT MIN(id) FROM accounts WHERE source = 'directory')"
    ),
    insert_shadow: "INSERT INTO accounts (id, user_name, user_name_key, dn, dn_key, sid, roles, created_at, source) \
        VALUES (?1, ?1, '#' || ?1, 'entryUUID=' || ?1, '#' || ?1, '#' || ?1, '', ?2, 'directory') ON CONFLICT (id) DO NOTHING",
    account_by_user_name: account_lookup!("a.user_name_key = ?1 AND a.source = 'local'", "1", "0"),
    account_by_dn: account_lookup!("a.dn_key = ?1 AND a.source = 'local'", "1", "0"),
    account_by_sid: account_select!("WHERE a.sid = ?1 AND a.source = 'local'"),
    // BEGIN IMMEDIATE already holds the database's write lock: this read and
    // `lock_account` need no row lock of their own.
    account_for_update: account_select!("WHERE a.id = ?1"),
    list_head: account_select!(""),
    // A directory account's row keeps its '#' keys: no lookup of a local account finds it.
    update_account: "UPDATE accounts SET user_name = ?, \
        user_name_key = CASE WHEN source = 'directory' THEN user_name_key ELSE ? END, dn = ?, \
        dn_key = CASE WHEN source = 'directory' THEN dn_key ELSE ? END, email = ?, \
        email_key = CASE WHEN source = 'directory' THEN NULL ELSE ? END, \
        given_name = ?, sn = ?, display_name = ?, telephone_number = ?, locale = ?, roles = ?, disabled = ?, \
        federated = ?, must_change_password = ?, password_never_expires = ?, cannot_change_password = ?, \
        external_id = ?, rev = rev + 1 WHERE id = ?",
    delete_account: "DELETE FROM accounts WHERE id = ?1",
    set_lock: "INSERT INTO lockout_counters (account_id, failures, window_start, locked_until) VALUES (?1, 0, NULL, ?2) \
        ON CONFLICT (account_id) DO UPDATE SET failures = 0, window_start = NULL, locked_until = ?2",
    revoke_sessions: "UPDATE sessions SET revoked_at = ?1 WHERE account_id = ?2 AND revoked_at IS NULL AND (?3 IS NULL OR id <> ?3)",
    revoke_session: "UPDATE sessions SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE id = ?1 AND revoked_at IS NULL",
    reserve_proof: reserve_proof!("lockout_counters", "account_id"),
    record_failure: record_failure!("lockout_counters", "account_id"),
    reserve_name_proof: reserve_proof!("name_proof_counters", "name_key"),
    record_name_failure: record_failure!("name_proof_counters", "name_key"),
    succeed_proof: "UPDATE lockout_counters SET failures = 0, window_start = NULL WHERE account_id = ?1",
    unlock: "UPDATE lockout_counters SET failures = 0, window_start = NULL, locked_until = NULL WHERE account_id = ?1",
    complete_flow: "UPDATE recovery_flows SET step = step + 1, completed = 1 WHERE id = ?1 AND step = ?2 AND completed = 0",
    retire_password: "INSERT INTO password_history (account_id, password_hash, normalization, retired_at) \
        SELECT id, password_hash, COALESCE(password_normalization, 'nfkc'), ?1 FROM accounts \
        WHERE id = ?2 AND rev = ?3 AND password_hash IS NOT NULL",
    write_password: "UPDATE accounts SET password_hash = ?1, password_normalization = ?2, password_changed_at = ?3, \
        must_change_password = COALESCE(?4, must_change_password), \
        password_never_expires = COALESCE(?5, password_never_expires), \
        cannot_change_password = COALESCE(?6, cannot_change_password), rev = rev + 1 \
        WHERE id = ?7 AND rev = ?8",
    account_rev: "SELECT rev FROM accounts WHERE id = ?1",
    trim_history: "DELETE FROM password_history WHERE account_id = ?1 AND seq NOT IN \
        (SELECT seq FROM password_history WHERE account_id = ?1 ORDER BY seq DESC LIMIT ?2)",
    history: "SELECT password_hash FROM password_history WHERE account_id = ?1 ORDER BY seq DESC LIMIT ?2",
    clear_change_only: "UPDATE sessions SET change_only = 0 WHERE id = ?1",
    upgrade_hash: "UPDATE accounts SET password_hash = ?1 WHERE id = ?2 AND password_hash = ?3",
    begin_intent: "INSERT INTO directory_intents (id, account_id, started_at, body) VALUES (?1, ?2, ?3, ?4)",
    end_intent: "DELETE FROM directory_intents WHERE id = ?1",
    stale_intents: "SELECT id, account_id, started_at, body FROM directory_intents WHERE started_at <= ?1 ORDER BY started_at",
    insert_session: "INSERT INTO sessions (id, token_digest, account_id, client_id, scopes, created_at, expires_at, change_only) \
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    session_by_digest: session_select!("WHERE token_digest = ?1 AND revoked_at IS NULL"),
    insert_client: "INSERT INTO api_clients (id, name, secret_digest, scopes, created_at) VALUES (?, ?, ?, ?, ?)",
    client_by_id: "SELECT id, name, secret_digest, scopes, created_at FROM api_clients WHERE id = ?1",
    list_clients: "SELECT id, name, secret_digest, scopes, created_at FROM api_clients ORDER BY created_at, id",
    sweep_lock: "SELECT 1",
    sweep_sessions: "DELETE FROM sessions WHERE expires_at < ?1 OR revoked_at IS NOT NULL",
    sweep_throttle: "DELETE FROM throttle_counters WHERE window_start < ?1",
    throttle_hit: "INSERT INTO throttle_counters (key, window_start, hits) VALUES (?1, ?2, 1) \
        ON CONFLICT (key) DO UPDATE SET \
        hits = CASE WHEN throttle_counters.window_start <= ?2 - ?3 THEN 1 ELSE throttle_counters.hits + 1 END, \
        window_start = CASE WHEN throttle_counters.window_start <= ?2 - ?3 THEN ?2 ELSE throttle_counters.window_start END \
        RETURNING hits, window_start",
    sweep_flows: "DELETE FROM recovery_flows WHERE created_at < ?1",
    sweep_outbox: "DELETE FROM outbox WHERE created_at < ?1 AND (sent_at IS NOT NULL OR next_attempt_at = 9223372036854775807)",
    audit_sweep_on: "INSERT INTO audit_sweep_permit (one) VALUES (1)",
    audit_sweep_off: "DELETE FROM audit_sweep_permit",
    sweep_audit: "DELETE FROM audit_events WHERE at < ?1",
    after_sweep: "PRAGMA wal_checkpoint(TRUNCATE)",
    outbox_backlog: "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE sent_at IS NULL AND next_attempt_at < 9223372036854775807",
    delete_client: "DELETE FROM api_clients WHERE id = ?1",
    set_client_secret: "UPDATE api_clients SET secret_digest = ?1 WHERE id = ?2",
    revoke_client_sessions: "UPDATE sessions SET revoked_at = ?1 WHERE client_id = ?2 AND revoked_at IS NULL",
    insert_audit: "INSERT INTO audit_events (id, at, type, actor_id, target_id, surface, client_ip, request_id, outcome, reason) \
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    list_audit: audit_select!(
        "WHERE (?1 IS NULL OR target_id = ?1) AND (?2 IS NULL OR type = ?2) \
         AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at <= ?4) \
         AND (?5 IS NULL OR surface = ?5) AND (?6 IS NULL OR outcome = ?6) \
         AND (?7 IS NULL OR seq < (SELECT b.seq FROM audit_events b WHERE b.id = ?7)) \
         ORDER BY seq DESC LIMIT ?8"
    ),
    insert_outbox: "INSERT INTO outbox (id, kind, account_id, payload, created_at, next_attempt_at, sent_at, last_error) \
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    end_flows: "UPDATE recovery_flows SET completed = 1, ended_reason = ?1 \
        WHERE account_id = ?2 AND completed = 0 AND decoy = 0 AND (?3 IS NULL OR id <> ?3)",
    end_decoy_flows: "UPDATE recovery_flows SET completed = 1, ended_reason = ?1 \
        WHERE mail_key = ?2 AND completed = 0 AND decoy = 1 AND id <> ?3",
    recovery_mails: "SELECT COUNT(*), COALESCE(SUM(CASE WHEN mail_network = ?3 THEN 1 ELSE 0 END), 0) \
        FROM recovery_flows WHERE mail_key = ?1 AND mailed_at >= ?2",
    mark_flow_mailed: "UPDATE recovery_flows SET mailed_at = ?1, mail_network = ?2, mail_key = ?3 WHERE id = ?4",
    pending_outbox: "SELECT id, kind, account_id, payload, created_at FROM outbox WHERE account_id = ?1 AND sent_at IS NULL ORDER BY seq",
    claim_outbox: "UPDATE outbox SET next_attempt_at = ?1 WHERE seq IN \
        (SELECT seq FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ?2 ORDER BY seq LIMIT ?3) \
        RETURNING id, kind, account_id, payload, created_at, attempts, seq",
    outbox_delivered: "UPDATE outbox SET sent_at = ?1, last_error = NULL WHERE id = ?2",
    outbox_failed: "UPDATE outbox SET attempts = ?1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?4",
    expiry_candidates: account_select!(
        "WHERE a.source = 'local' AND a.password_hash IS NOT NULL AND a.password_never_expires = 0 AND a.federated = 0 AND a.disabled = 0 \
         AND a.password_changed_at < ?1 AND (a.expiry_warned_at IS NULL OR a.expiry_warned_at < a.password_changed_at) \
         ORDER BY a.password_changed_at LIMIT ?2"
    ),
    mark_expiry_warned: "UPDATE accounts SET expiry_warned_at = ?1 WHERE id = ?2 \
        AND (expiry_warned_at IS NULL OR expiry_warned_at < password_changed_at)",
    insert_flow: "INSERT INTO recovery_flows (id, stages, stage_index, step, account_id, decoy, attempts, code_digest, \
        code_expires_at, proved_email, created_at, expires_at, completed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    flow: "SELECT * FROM recovery_flows WHERE id = ?1",
    advance_flow: "UPDATE recovery_flows SET step = step + 1, stage_index = ?, account_id = ?, decoy = ?, code_digest = ?, \
        code_expires_at = ?, proved_email = ? WHERE id = ? AND step = ? AND completed = 0",
    fail_flow: "UPDATE recovery_flows SET attempts = attempts + 1 WHERE id = ?1 AND step = ?2 AND completed = 0 RETURNING attempts",
    recovery_failures: "SELECT COALESCE(SUM(attempts), 0) FROM recovery_flows WHERE account_id = ?1 AND created_at >= ?2",
    kba_answers: "SELECT question_id, custom_question, answer_hash FROM kba_answers WHERE account_id = ?1 ORDER BY position",
    lock_account: "SELECT id FROM accounts WHERE id = ?1",
    lock_bucket: "SELECT name_key FROM name_proof_counters WHERE name_key = ?1",
    delete_kba: "DELETE FROM kba_answers WHERE account_id = ?1",
    insert_kba: "INSERT INTO kba_answers (account_id, position, question_id, custom_question, answer_hash) VALUES (?, ?, ?, ?, ?)",
};
