//! A small pool of open LDAP connections: one taken per operation and given back after,
//! unless the operation failed at the connection level (then it is dropped and the next
//! one opens afresh, so a directory that was down is used again without a restart).

use ldap3::Ldap;
use std::sync::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct Pool {
    idle: Mutex<Vec<Ldap>>,
    permits: std::sync::Arc<Semaphore>,
}

/// A connection on loan; back to the pool when dropped, unless [`Loan::discard`]ed.
pub struct Loan<'a> {
    pub ldap: Option<Ldap>,
    pool: &'a Pool,
    _permit: OwnedSemaphorePermit,
}

impl Pool {
    pub fn new(size: usize) -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            permits: std::sync::Arc::new(Semaphore::new(size.max(1))),
        }
    }

    /// Waits for a slot; gives an idle connection (`ldap` is `None` when one must open).
    pub async fn take(&self) -> Loan<'_> {
        let permit = std::sync::Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        // A connection the directory closed while idle (a restart) is not lent: the
        // next one opens afresh instead of failing the operation.
        let ldap = {
            let mut idle = self.idle.lock().expect("pool lock");
            std::iter::from_fn(|| idle.pop()).find_map(|mut l| (!l.is_closed()).then_some(l))
        };
        Loan {
            ldap,
            pool: self,
            _permit: permit,
        }
    }
}

impl Loan<'_> {
    /// Drops the connection instead of giving it back.
    pub fn discard(&mut self) {
        self.ldap = None;
    }
}

impl Drop for Loan<'_> {
    fn drop(&mut self) {
        if let Some(l) = self.ldap.take() {
            self.pool.idle.lock().expect("pool lock").push(l);
        }
    }
}
