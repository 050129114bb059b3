//! Admission control for hashing: at most `max_concurrent` hashes run (on blocking
//! threads, off the async executor), at most `max_queue` wait; beyond that a request is
//! refused at once, so hashing cost cannot be turned into a denial of service.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// The pool and its queue are full: answer 503 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the hashing pool is saturated")]
pub struct Overloaded;

#[derive(Clone)]
pub struct HashPool {
    running: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_queue: usize,
}

impl HashPool {
    pub fn new(max_concurrent: usize, max_queue: usize) -> Self {
        Self {
            running: Arc::new(Semaphore::new(max_concurrent.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_queue,
        }
    }

    /// Runs `work` on a blocking thread once a slot is free, keeping the caller's span.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Overloaded>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = match Arc::clone(&self.running).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                let _slot = QueueSlot::take(&self.waiting, self.max_queue).ok_or_else(|| {
                    metrics::counter!("latchkey_hash_pool_rejections_total").increment(1);
                    Overloaded
                })?;
                Arc::clone(&self.running)
                    .acquire_owned()
                    .await
                    .map_err(|_| Overloaded)?
            }
        };
        let span = tracing::Span::current();
        let handle = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(work)
        });
        match handle.await {
            Ok(v) => Ok(v),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Overloaded),
        }
    }
}

/// A place in the queue, given back on drop (also when the waiting request is cancelled).
struct QueueSlot<'a>(&'a AtomicUsize);

impl<'a> QueueSlot<'a> {
    fn take(waiting: &'a AtomicUsize, max: usize) -> Option<Self> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Self(waiting))
    }
}

impl Drop for QueueSlot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_beyond_the_pool_and_queue_is_refused_at_once() {
        let pool = HashPool::new(1, 2);
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    pool.run(|| std::thread::sleep(Duration::from_millis(200)))
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        let mut refused = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(Overloaded) => refused += 1,
            }
        }
        assert_eq!(ok, 3, "one running plus two queued");
        assert_eq!(refused, 3);
        // Once drained, the pool admits work again.
        assert!(pool.run(|| 7).await.is_ok());
    }
}
