//! `latchkey copy-store`: moves every table of a SQLite store into an empty PostgreSQL
//! store, in one PostgreSQL transaction (all or nothing). Both ends are first brought
//! to the current schema; the columns and their types are read from PostgreSQL's
//! catalogue, so this file never repeats the schema.

use crate::args::Arg;
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{OpenError, PoolSettings};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Postgres, QueryBuilder, Row};

/// Every table, parents before children (foreign keys hold at every insert).
/// (`name_proof_counters` is not copied: its 4,096 rows are made by the migration on either
/// end, and the failures of unknown names carry nothing worth moving.)
const TABLES: &[&str] = &[
    "settings",
    "counters",
    "accounts",
    "password_history",
    "lockout_counters",
    "api_clients",
    "sessions",
    "audit_events",
    "outbox",
    "recovery_flows",
    "kba_answers",
];

/// Rows per multi-row insert (PostgreSQL allows 65,535 bound values per statement).
const BATCH: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("copy-store copies from sqlite:// to postgres://; got {0}")]
    Direction(String),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("the target is not empty (table {0} has rows); copy-store only fills a new database")]
    TargetNotEmpty(&'static str),
    #[error("column {table}.{column} has a type copy-store does not know ({kind})")]
    UnknownType {
        table: &'static str,
        column: String,
        kind: String,
    },
    #[error("copying: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<sqlx::migrate::MigrateError> for CopyError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self::Open(OpenError::Migrate(e))
    }
}

/// How many rows each table received.
pub type CopyReport = Vec<(&'static str, u64)>;

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
    Bool,
    Bytes,
}

pub async fn copy_store(from: &str, to: &str) -> Result<CopyReport, CopyError> {
    if !from.starts_with("sqlite:")
        || !(to.starts_with("postgres:") || to.starts_with("postgresql:"))
    {
        return Err(CopyError::Direction(format!(
            "{} → {}",
            scheme(from),
            scheme(to)
        )));
    }
    let pool = PoolSettings::default();
    let source = SqliteStore::connect(from, &pool)
        .await
        .map_err(OpenError::from)?;
    source.migrate().await?;
    let target = PgStore::connect(to, &pool).await.map_err(OpenError::from)?;
    target.migrate().await?;
    let mut tx = target.pool().begin().await?;
    for &table in TABLES.iter().filter(|&&t| t != "counters") {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table})");
        let exists: bool = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(&mut *tx)
            .await?;
        if exists {
            return Err(CopyError::TargetNotEmpty(table));
        }
    }
    // Counters exist in both from the first migration; the source's values win.
    sqlx::query("DELETE FROM counters")
        .execute(&mut *tx)
        .await?;
    let mut report = vec![];
    for &table in TABLES {
        let columns = columns(&mut tx, table).await?;
        let names = columns
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let mut copied = 0u64;
        let mut after = 0i64;
        loop {
            let sql = format!(
                "SELECT rowid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT {BATCH}"
            );
            let rows: Vec<SqliteRow> = sqlx::query(AssertSqlSafe(sql))
                .bind(after)
                .fetch_all(source.pool())
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get(0)?;
            let values = rows
                .iter()
                .map(|r| read_row(r, &columns))
                .collect::<Result<Vec<_>, _>>()?;
            let mut insert =
                QueryBuilder::<Postgres>::new(format!("INSERT INTO {table} ({names}) "));
            insert.push_values(values, |mut b, row| {
                for v in row {
                    match v {
                        Arg::Text(x) => b.push_bind(x),
                        Arg::Int(x) => b.push_bind(x),
                        Arg::Bool(x) => b.push_bind(x),
                        Arg::Bytes(x) => b.push_bind(x),
                    };
                }
            });
            copied += insert.build().execute(&mut *tx).await?.rows_affected();
        }
        if columns.iter().any(|(n, _)| n == "seq") {
            // The next generated seq continues after the copied ones.
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'seq'), COALESCE(MAX(seq), 0) + 1, false) FROM {table}"
            );
            sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await?;
        }
        report.push((table, copied));
    }
    tx.commit().await?;
    Ok(report)
}

fn scheme(url: &str) -> &str {
    url.split(':').next().unwrap_or_default()
}

/// The table's columns in PostgreSQL, with the kind of value each holds.
async fn columns(
    tx: &mut sqlx::PgConnection,
    table: &'static str,
) -> Result<Vec<(String, Kind)>, CopyError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(tx)
    .await?;
    rows.into_iter()
        .map(|(column, kind)| {
            let k = match kind.as_str() {
                "text" => Kind::Text,
                "bigint" => Kind::Int,
                "boolean" => Kind::Bool,
                "bytea" => Kind::Bytes,
                _ => {
                    return Err(CopyError::UnknownType {
                        table,
                        column,
                        kind,
                    });
                }
            };
            Ok((column, k))
        })
        .collect()
}

/// One SQLite row's values after the leading rowid.
fn read_row(row: &SqliteRow, columns: &[(String, Kind)]) -> Result<Vec<Arg>, sqlx::Error> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            let i = i + 1;
            Ok(match kind {
                Kind::Text => Arg::Text(row.try_get(i)?),
                Kind::Int => Arg::Int(row.try_get(i)?),
                Kind::Bool => Arg::Bool(row.try_get(i)?),
                Kind::Bytes => Arg::Bytes(row.try_get(i)?),
            })
        })
        .collect()
}
