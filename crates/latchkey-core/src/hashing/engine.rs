//! The hashing engine: a fixed set of `hashing.max_concurrent` threads, each owning one
//! Argon2 memory area allocated at start and reused for every hash and verification (see
//! `memory`), so hashing memory is a constant, threads × m. Admission control stays in
//! front of it: at most `max_concurrent` jobs run, at most `max_queue` wait, and beyond
//! that a request is refused at once, so hashing cost cannot be turned into a denial of
//! service.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, oneshot};

/// The engine and its queue are full: answer 503 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the hashing pool is saturated")]
pub struct Overloaded;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct HashEngine {
    jobs: mpsc::Sender<Job>,
    running: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_queue: usize,
}

impl HashEngine {
    /// Starts `threads` hashing threads, each with an area of `memory_blocks` Argon2 blocks.
    pub fn new(threads: usize, max_queue: usize, memory_blocks: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("latchkey-hash-{n}"))
                .spawn(move || {
                    super::memory::reserve(memory_blocks);
                    loop {
                        // The lock is held only while taking a job, not while running it.
                        let next = queue.lock().map(|q| q.recv());
                        match next {
                            Ok(Ok(job)) => job(),
                            // The engine is gone (or a thread panicked holding the lock).
                            _ => break,
                        }
                    }
                })
                .expect("the OS starts a hashing thread");
        }
        metrics::counter!("latchkey_hash_pool_rejections_total").absolute(0);
        metrics::gauge!("latchkey_hash_queue_depth").set(0.0);
        metrics::gauge!("latchkey_hash_in_flight").set(0.0);
        Self {
            jobs,
            running: Arc::new(Semaphore::new(threads)),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_queue,
        }
    }

    /// Runs `work` on a hashing thread once one is free, keeping the caller's span.
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
        let in_flight = InFlight::start();
        let span = tracing::Span::current();
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _permit = permit;
            let _in_flight = in_flight;
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| span.in_scope(work)));
            let _ = done.send(outcome);
        });
        self.jobs.send(job).map_err(|_| Overloaded)?;
        match result.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => Err(Overloaded),
        }
    }
}

/// A place in the queue, given back on drop (also when the waiting request is cancelled).
struct QueueSlot<'a>(&'a AtomicUsize);

impl<'a> QueueSlot<'a> {
    fn take(waiting: &'a AtomicUsize, max: usize) -> Option<Self> {
        let n = waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        metrics::gauge!("latchkey_hash_queue_depth").set((n + 1) as f64);
        Some(Self(waiting))
    }
}

impl Drop for QueueSlot<'_> {
    fn drop(&mut self) {
        let n = self.0.fetch_sub(1, Ordering::AcqRel);
        metrics::gauge!("latchkey_hash_queue_depth").set(n.saturating_sub(1) as f64);
    }
}

/// A job admitted to a hashing thread, counted until it ends.
struct InFlight;

impl InFlight {
    fn start() -> Self {
        metrics::gauge!("latchkey_hash_in_flight").increment(1.0);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("latchkey_hash_in_flight").decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_beyond_the_pool_and_queue_is_refused_at_once() {
        let engine = HashEngine::new(1, 2, 8);
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let engine = engine.clone();
                tokio::spawn(async move {
                    engine
                        .run(|| std::thread::sleep(Duration::from_millis(200)))
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
        // Once drained, the engine admits work again.
        assert!(engine.run(|| 7).await.is_ok());
    }

    #[tokio::test]
    async fn jobs_run_on_the_engine_threads_and_a_panic_reaches_the_caller() {
        let engine = HashEngine::new(2, 4, 8);
        let name = engine
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("latchkey-hash-"));
        let e = engine.clone();
        let panicked = tokio::spawn(async move { e.run(|| panic!("boom")).await }).await;
        assert!(panicked.is_err());
        assert_eq!(engine.run(|| 1 + 1).await, Ok(2), "the thread survives");
    }
}
