//! Reads the files a policy names (dictionaries, breached-corpus filters), once each.

use crate::breached::BreachedFilter;
use latchkey_core::policy::{BreachedCorpus, Dictionary, PolicyFiles};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct DiskPolicyFiles {
    dictionaries: Mutex<HashMap<PathBuf, Arc<Dictionary>>>,
    filters: Mutex<HashMap<(PathBuf, u32), Arc<BreachedFilter>>>,
}

impl PolicyFiles for DiskPolicyFiles {
    fn dictionary(&self, path: &Path) -> Result<Arc<Dictionary>, String> {
        let mut cache = self.dictionaries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = cache.get(path) {
            return Ok(Arc::clone(d));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let d = Arc::new(Dictionary::parse(&text));
        cache.insert(path.to_owned(), Arc::clone(&d));
        Ok(d)
    }

    fn breached(&self, path: &Path, min_count: u32) -> Result<Arc<dyn BreachedCorpus>, String> {
        let mut cache = self.filters.lock().unwrap_or_else(|e| e.into_inner());
        let key = (path.to_owned(), min_count);
        if let Some(f) = cache.get(&key) {
            return Ok(Arc::clone(f) as Arc<dyn BreachedCorpus>);
        }
        let f = Arc::new(BreachedFilter::load(path, min_count).map_err(|e| e.to_string())?);
        tracing::info!(path = %path.display(), keys = f.keys(), bytes = f.size_bytes(), "loaded the breached-password filter");
        cache.insert(key, Arc::clone(&f));
        Ok(f)
    }
}
