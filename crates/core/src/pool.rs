//! Warm pools: `size` containers created and started ahead of time, so that
//! handing one out costs nothing but a channel receive.
//!
//! The pool is a bounded channel of ready containers and a filler task that
//! keeps it full: it reserves a slot (waiting while the pool is full), then
//! creates a container into that slot on a task of its own, so up to `size`
//! creations run at once. A creation that fails frees its slot and is kept as
//! the pool's last error: `acquire()` with nothing warm reports it (a missing
//! image, an engine that went away) instead of waiting forever, and the filler
//! backs off before trying again. Pooled containers are ordinary ephemeral
//! containers of this process, so the reaper holds for them: they end with
//! the process whatever happens to the pool.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Mutex, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::container::{Container, CreateOptions};
use crate::error::{Error, Result};
use crate::validate::{invalid, out_of_range};

/// The most containers one pool keeps warm.
pub const MAX_POOL_SIZE: u32 = 100;

/// The longest wait between two creations after failures (doubling from
/// [`FIRST_BACKOFF`] with each failure in a row).
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// A warm pool of started containers made with the same options.
pub struct Pool {
    size: u32,
    ready: Mutex<mpsc::Receiver<Container>>,
    state: Arc<State>,
    closed: CancellationToken,
    /// The filler and every creation in flight: `close()` waits for them, so
    /// no container is created after it returns.
    tasks: TaskTracker,
}

impl Pool {
    /// Checks the options (before the engine is contacted) and starts filling
    /// the pool in the background. Must be called inside a tokio runtime.
    pub fn new(size: u32, opts: CreateOptions) -> Result<Pool> {
        if size == 0 || size > MAX_POOL_SIZE {
            return Err(out_of_range(format!(
                "`size` must be 1 to {MAX_POOL_SIZE} containers, got {size}"
            )));
        }
        if opts.name.is_some() {
            return Err(invalid(
                "a pool names its containers itself (each needs a name of its own): leave out `name`",
            ));
        }
        if opts.persist == Some(true) {
            return Err(invalid(
                "pooled containers are ephemeral (they end with this process): leave out `persist`, or create persistent containers with `createNewContainer()`",
            ));
        }
        if size > 1 {
            if let Some((host, _)) = opts.ports.iter().find(|(host, _)| host != "0") {
                return Err(invalid(format!(
                    "the containers of a pool cannot all publish host port {host}: use 0 as the host port to let the engine pick a free one for each"
                )));
            }
        }
        // Ephemeral even inside a project whose `default_persist` is true.
        let opts = CreateOptions {
            persist: Some(false),
            ..opts
        };
        // Every check a creation would make, now rather than in the filler.
        opts.clone().into_spec()?;

        let (tx, rx) = mpsc::channel(size as usize);
        let state = Arc::new(State::default());
        let closed = CancellationToken::new();
        let tasks = TaskTracker::new();
        tasks.spawn(fill(tx, Arc::new(opts), state.clone(), closed.clone(), tasks.clone()));
        Ok(Pool {
            size,
            ready: Mutex::new(rx),
            state,
            closed,
            tasks,
        })
    }

    /// How many containers the pool keeps warm.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// How many started containers are waiting to be handed out right now.
    pub fn available(&self) -> u32 {
        self.state.waiting.load(Ordering::Relaxed)
    }

    /// A started container: at once if one is warm, else as soon as the next
    /// creation finishes. The pool refills in the background. With nothing
    /// warm and the last creation failed (or failing while this waits), that
    /// creation's error.
    pub async fn acquire(&self) -> Result<Container> {
        let mut ready = tokio::select! {
            r = self.ready.lock() => r,
            _ = self.closed.cancelled() => return Err(pool_closed()),
        };
        if let Ok(container) = ready.try_recv() {
            self.state.waiting.fetch_sub(1, Ordering::Relaxed);
            return Ok(container);
        }
        // Listening before looking, so a failure in between is not missed.
        let failed = self.state.failed.notified();
        tokio::pin!(failed);
        failed.as_mut().enable();
        if let Some(e) = self.state.last_error.lock().await.clone() {
            return Err(e);
        }
        tokio::select! {
            biased;
            _ = self.closed.cancelled() => Err(pool_closed()),
            next = ready.recv() => match next {
                Some(container) => {
                    self.state.waiting.fetch_sub(1, Ordering::Relaxed);
                    Ok(container)
                }
                None => Err(pool_closed()),
            },
            _ = failed => Err(self.state.last_error.lock().await.clone().unwrap_or_else(pool_closed)),
        }
    }

    /// Stops refilling, waits for creations in flight, and shuts down every
    /// container not handed out. Containers already acquired are the caller's.
    /// Idempotent.
    pub async fn close(&self) -> Result<()> {
        self.closed.cancel();
        self.tasks.close();
        self.tasks.wait().await;
        let mut ready = self.ready.lock().await;
        ready.close();
        let mut first_error = None;
        while let Some(container) = ready.recv().await {
            self.state.waiting.fetch_sub(1, Ordering::Relaxed);
            if let Err(e) = container.shutdown(true).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

fn pool_closed() -> Error {
    Error::PoolClosed {
        detail: "`close()` was called on this pool; create a new pool with `createPool()`".into(),
    }
}

/// What the filler tells `acquire()`.
#[derive(Default)]
struct State {
    /// How many containers wait in the channel.
    waiting: AtomicU32,
    /// Failed creations in a row (0 after a success): the filler's backoff.
    failures: AtomicU32,
    /// The error of the last creation, until one succeeds.
    last_error: Mutex<Option<Error>>,
    /// Wakes the `acquire()` calls waiting when a creation fails.
    failed: Notify,
}

/// The filler: one creation per free slot, each on its own task.
async fn fill(
    tx: mpsc::Sender<Container>,
    opts: Arc<CreateOptions>,
    state: Arc<State>,
    closed: CancellationToken,
    tasks: TaskTracker,
) {
    loop {
        let in_a_row = state.failures.load(Ordering::Relaxed);
        if in_a_row > 0 {
            let backoff = FIRST_BACKOFF.saturating_mul(1 << in_a_row.min(8)).min(MAX_BACKOFF);
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = closed.cancelled() => return,
            }
        }
        let permit = tokio::select! {
            p = tx.clone().reserve_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            _ = closed.cancelled() => return,
        };
        let (opts, state, closed) = (opts.clone(), state.clone(), closed.clone());
        tasks.spawn(async move {
            let result = Container::create((*opts).clone()).await;
            if closed.is_cancelled() {
                // The pool closed while this one was being made: it is nobody's.
                if let Ok(container) = result {
                    let _ = container.shutdown(true).await;
                }
                return;
            }
            match result {
                Ok(container) => {
                    state.failures.store(0, Ordering::Relaxed);
                    *state.last_error.lock().await = None;
                    state.waiting.fetch_add(1, Ordering::Relaxed);
                    permit.send(container);
                }
                Err(e) => {
                    // The slot is free again (the permit drops): the filler
                    // retries after its backoff.
                    state.failures.fetch_add(1, Ordering::Relaxed);
                    *state.last_error.lock().await = Some(e);
                    state.failed.notify_waiters();
                }
            }
        });
    }
}
