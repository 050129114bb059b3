//! What a backend gives the shared store logic: its SQL (one text per statement, in its
//! own dialect), how it opens a write transaction, how it runs a statement, and how it
//! reads its driver's errors. Nothing else differs between SQLite and PostgreSQL.

use crate::args::Args;
use latchkey_core::ports::{StoreError, StoreResult};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Database, FromRow, Pool, Transaction};

/// A row type both backends can decode (the row types of `rows.rs`, and tuples).
pub trait Rows:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

impl<T> Rows for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

/// The field a unique violation is about, from the constraint or index it names.
pub(crate) fn duplicate_field(name: &str) -> &'static str {
    if name.contains("user_name_key") {
        "userName"
    } else if name.contains("dn_key") {
        "dn"
    } else if name.contains("sid") {
        "sid"
    } else {
        "record"
    }
}

#[async_trait::async_trait]
pub trait Backend: Database {
    const SQL: Statements;
    /// How the account list query is written in this dialect.
    const DIALECT: &'static super::query::Dialect;

    /// Unique violations name the field; lost connections and time-outs are
    /// "unavailable" (503, try again); the rest is internal (logged, never shown).
    fn map_err(e: sqlx::Error) -> StoreError;

    /// A transaction whose reads no other writer can invalidate before it commits
    /// (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: row locks taken by the statements).
    async fn begin_write(pool: &Pool<Self>) -> StoreResult<Transaction<'static, Self>>;

    /// Runs a statement; returns the rows it changed.
    async fn run(conn: &mut Self::Connection, sql: &'static str, args: Args) -> StoreResult<u64>;

    /// Runs a statement; returns the rows it read or returned. `sql` is one of
    /// [`Statements`], or built by `query.rs` from fixed fragments and placeholders (the
    /// values are always bound, never written into the text).
    async fn rows<T: Rows, S: sqlx::SqlSafeStr + Send>(
        conn: &mut Self::Connection,
        sql: S,
        args: Args,
    ) -> StoreResult<Vec<T>>;
}

/// Every statement the store runs, each in the backend's dialect. The comment on a field
/// says what it does when that is not plain from its name; the parameters are those of
/// the matching list in `args.rs`, or named at the call site.
pub struct Statements {
    pub ping: &'static str,
    pub init_setting: &'static str,
    pub setting: &'static str,
    pub count_accounts: &'static str,
    /// Allocates the next SID relative id.
    pub next_rid: &'static str,
    /// Raises the relative id counter to at least `$1` (an imported SID of this domain).
    pub raise_rid: &'static str,
    pub insert_account: &'static str,
    /// A local account by id (never a directory account's row).
    pub account_by_id: &'static str,
    /// Any row by id: a local account or Latchkey's row for a directory account.
    pub shadow_by_id: &'static str,
    /// Some directory account's row (the smallest id): read and decoded for a lookup
    /// that found no entry, as a found one's row is.
    pub shadow_stand_in: &'static str,
    /// Latchkey's row for a directory account (`$1` its id, `$2` now), if not made yet.
    pub insert_shadow: &'static str,
    pub account_by_user_name: &'static str,
    pub account_by_dn: &'static str,
    pub account_by_sid: &'static str,
    /// The account by id, locked against other writers until the transaction ends.
    pub account_for_update: &'static str,
    /// The account list: `SELECT … FROM accounts a …`, then the query's `WHERE`.
    pub list_head: &'static str,
    pub update_account: &'static str,
    pub delete_account: &'static str,
    pub set_lock: &'static str,
    /// Every live session of an account but one.
    pub revoke_sessions: &'static str,
    pub revoke_session: &'static str,
    /// Counts one proof attempt and says whether it may proceed, in one statement.
    pub reserve_proof: &'static str,
    pub record_failure: &'static str,
    /// `reserve_proof` and `record_failure` on the per-name counters.
    pub reserve_name_proof: &'static str,
    pub record_name_failure: &'static str,
    pub succeed_proof: &'static str,
    pub unlock: &'static str,
    pub complete_flow: &'static str,
    /// Copies the current hash into the history if the revision still matches.
    pub retire_password: &'static str,
    pub write_password: &'static str,
    pub account_rev: &'static str,
    pub trim_history: &'static str,
    pub history: &'static str,
    pub clear_change_only: &'static str,
    pub upgrade_hash: &'static str,
    pub begin_intent: &'static str,
    pub end_intent: &'static str,
    /// Intents begun before `$1`, oldest first.
    pub stale_intents: &'static str,
    pub insert_session: &'static str,
    pub session_by_digest: &'static str,
    pub insert_client: &'static str,
    pub client_by_id: &'static str,
    pub list_clients: &'static str,
    /// One row, 1 if this transaction may sweep (PostgreSQL: a transaction advisory
    /// lock, so one node at a time), else 0.
    pub sweep_lock: &'static str,
    pub sweep_sessions: &'static str,
    pub sweep_throttle: &'static str,
    /// Counts a hit in the key's window (`$1` key, `$2` now, `$3` window), starting a new
    /// window when the last is over: `hits`, `window_start`.
    pub throttle_hit: &'static str,
    pub sweep_flows: &'static str,
    pub sweep_outbox: &'static str,
    /// Let this transaction delete audit events (and, after, no longer).
    pub audit_sweep_on: &'static str,
    pub audit_sweep_off: &'static str,
    pub sweep_audit: &'static str,
    /// After a sweep, outside its transaction: SQLite folds the write-ahead log back into
    /// the database and truncates it (under steady load its passive checkpoints never
    /// get to restart the log, which then grows without bound).
    pub after_sweep: &'static str,
    /// Undelivered, not given up: `COUNT(*)`, `MIN(created_at)`.
    pub outbox_backlog: &'static str,
    pub delete_client: &'static str,
    pub set_client_secret: &'static str,
    /// Revokes every live token of a client: `$1` the time, `$2` the client.
    pub revoke_client_sessions: &'static str,
    pub insert_audit: &'static str,
    pub list_audit: &'static str,
    /// id, kind, account_id, payload, created_at, next_attempt_at, sent_at, last_error:
    /// a message held back (a decoy's, or over a budget) is written already settled.
    pub insert_outbox: &'static str,
    /// Ends the open flows of account ?2 (reason ?1), except flow ?3 if given.
    pub end_flows: &'static str,
    /// Ends the open decoy flows of budget key ?2 (reason ?1), except flow ?3.
    pub end_decoy_flows: &'static str,
    /// Mails counted against budget key ?1 since ?2: all, and those from network ?3.
    pub recovery_mails: &'static str,
    /// Records when (?1) and from where (?2) flow ?4's code was mailed (or, for a decoy,
    /// would have been), against budget key ?3.
    pub mark_flow_mailed: &'static str,
    pub pending_outbox: &'static str,
    /// Leases due messages to this worker, skipping those another worker holds.
    pub claim_outbox: &'static str,
    pub outbox_delivered: &'static str,
    pub outbox_failed: &'static str,
    pub expiry_candidates: &'static str,
    /// Marks an account warned unless another node already did.
    pub mark_expiry_warned: &'static str,
    pub insert_flow: &'static str,
    pub flow: &'static str,
    pub advance_flow: &'static str,
    pub fail_flow: &'static str,
    pub recovery_failures: &'static str,
    pub kba_answers: &'static str,
    /// Takes the account row's lock (orders two writers of one account's answers).
    pub lock_account: &'static str,
    /// Locks one unknown-name counter row (the recovery mail budget's serialisation).
    pub lock_bucket: &'static str,
    pub delete_kba: &'static str,
    pub insert_kba: &'static str,
}
