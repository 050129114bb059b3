//! Storage adapters behind `latchkey_core::ports::Store`. One adapter per backend, each
//! with its own SQL and migrations; one contract suite (`tests/contract.rs`) for all.

pub mod sqlite;
mod timestamp;

use latchkey_core::ports::Store;
use std::sync::Arc;

pub use sqlite::SqliteStore;

/// Opens the store named by a `database.url` and brings its schema up to date.
pub async fn open(url: &str, max_connections: u32) -> Result<Arc<dyn Store>, OpenError> {
    if url.starts_with("sqlite:") {
        let store = SqliteStore::connect(url, max_connections).await?;
        store.migrate().await?;
        Ok(Arc::new(store))
    } else {
        Err(OpenError::Unsupported(
            url.split(':').next().unwrap_or_default().to_owned(),
        ))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL scheme {0:?} (expected sqlite:)")]
    Unsupported(String),
    #[error("cannot open the database: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
