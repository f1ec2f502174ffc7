//! The store on its own thread: async callers send closures and await the result.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::time::Duration;

use super::{Store, StoreError};

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// How many calls may wait for the store thread before callers back off.
const QUEUE: usize = 256;

/// A cheap, cloneable handle to the store thread. The thread ends when the last handle is
/// dropped.
#[derive(Clone)]
pub struct StoreHandle {
    tx: SyncSender<Job>,
}

impl std::fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreHandle")
    }
}

impl StoreHandle {
    /// Moves the store onto a thread named `flinkdeck-store`.
    pub fn spawn(store: Store) -> StoreHandle {
        let (tx, rx) = sync_channel::<Job>(QUEUE);
        let spawned = std::thread::Builder::new()
            .name("flinkdeck-store".into())
            .spawn(move || {
                let mut store = store;
                for job in rx {
                    // A panicking call must not take the store down for everyone else; its
                    // transaction (if any) rolls back as it unwinds.
                    if catch_unwind(AssertUnwindSafe(|| job(&mut store))).is_err() {
                        tracing::error!(store = %store.path(), "a store call panicked");
                    }
                }
                tracing::debug!(store = %store.path(), "store thread stopped");
            });
        if let Err(e) = spawned {
            // The receiver is gone with the closure: every call reports `Closed`.
            tracing::error!(error = %e, "cannot start the store thread");
        }
        StoreHandle { tx }
    }

    /// Runs `f` on the store thread and returns its result.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (otx, orx) = tokio::sync::oneshot::channel();
        let mut job: Job = Box::new(move |store: &mut Store| {
            let _ = otx.send(f(store));
        });
        // Never block an async worker on a full queue: back off and retry instead.
        let mut wait = Duration::from_millis(1);
        loop {
            match self.tx.try_send(job) {
                Ok(()) => break,
                Err(TrySendError::Full(j)) => {
                    job = j;
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_millis(50));
                }
                Err(TrySendError::Disconnected(_)) => {
                    return Err(StoreError::Closed("the store thread is not running".into()))
                }
            }
        }
        orx.await
            .map_err(|_| StoreError::Closed("the store call was dropped (did it panic?)".into()))?
    }
}
