//! Storage adapters behind `latchkey_core::ports::Store`: SQLite and PostgreSQL, each
//! with its own SQL and migrations, sharing one implementation of the store logic
//! (`sql/`); one contract suite (`tests/contract.rs`) for both.

mod args;
mod copy;
mod postgres;
mod rows;
mod sql;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
mod timestamp;

use latchkey_core::ports::{ShadowRecords, Store};
use std::sync::Arc;

/// A store on one SQL database: every role of the core, and Latchkey's rows for the
/// accounts of a directory in front of which it runs.
pub trait Database: Store + ShadowRecords {}

impl<T: Store + ShadowRecords> Database for T {}

pub use copy::{CopyError, CopyReport, copy_store};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
use std::time::Duration;

/// How many connections a node keeps, and how long a request waits for one before
/// the store answers "unavailable" (so an outage gives a quick 503, never a hang).
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Whether `url` names a backend this build has (`sqlite:`, `postgres:`), without
/// opening it: what `config check` can say before anything starts.
pub fn check_url(url: &str) -> Result<(), OpenError> {
    if ["sqlite:", "postgres:", "postgresql:"]
        .iter()
        .any(|p| url.starts_with(p))
    {
        Ok(())
    } else {
        Err(OpenError::Unsupported(
            url.split(':').next().unwrap_or_default().to_owned(),
        ))
    }
}

/// Opens the store named by a `database.url` and brings its schema up to date.
pub async fn open(url: &str, pool: &PoolSettings) -> Result<Arc<dyn Database>, OpenError> {
    check_url(url)?;
    if url.starts_with("sqlite:") {
        let store = SqliteStore::connect(url, pool).await?;
        store.migrate().await?;
        Ok(Arc::new(store))
    } else {
        let store = PgStore::connect(url, pool).await?;
        store.migrate().await?;
        Ok(Arc::new(store))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL scheme {0:?} (expected sqlite: or postgres:)")]
    Unsupported(String),
    #[error("cannot open the database: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
