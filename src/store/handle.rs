//! The store on its own thread: async callers send closures and await the result.

use std::collections::{HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{PollRound, Store, StoreError};

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// How many calls may wait for the store thread before callers back off.
const QUEUE: usize = 256;

/// Most clusters with an unwritten poll round; beyond it the oldest unwritten round is dropped
/// (with a warning). One pending round per cluster, so this is only reached with more clusters.
const MAX_PENDING_ROUNDS: usize = 1024;

/// A cluster's poll rounds are written at most this often; the polls in between merge into
/// its pending round (the newest job list, every checkpoint and health change). Writing each
/// 2 s poll of 10 clusters × 1,000 jobs was a fifth of an idle console's CPU; a crash loses at
/// most this much of what the pollers saw (the next run polls it again). [`StoreHandle::flush`]
/// and the thread's end write everything at once.
pub const ROUND_SPACING: Duration = Duration::from_secs(10);

/// Poll rounds waiting for the store thread: at most one per cluster (a newer round of the same
/// cluster is merged into the unwritten one), oldest cluster first.
#[derive(Default)]
struct Rounds {
    order: VecDeque<String>,
    by_cluster: HashMap<String, PollRound>,
    dropped: u64,
    /// When each cluster's last round was taken for writing.
    written: HashMap<String, Instant>,
}

impl Rounds {
    fn push(&mut self, round: PollRound) {
        if let Some(pending) = self.by_cluster.get_mut(&round.cluster) {
            pending.absorb(round);
            return;
        }
        if self.order.len() >= MAX_PENDING_ROUNDS {
            if let Some(old) = self.order.pop_front() {
                self.by_cluster.remove(&old);
                self.dropped += 1;
                tracing::warn!(cluster = %old, "store behind: an unwritten poll round dropped");
            }
        }
        self.order.push_back(round.cluster.clone());
        self.by_cluster.insert(round.cluster.clone(), round);
    }

    /// When a cluster's round was last taken, or never.
    fn due_at(&self, cluster: &str, spacing: Duration) -> Option<Instant> {
        self.written
            .get(cluster)
            .and_then(|t| t.checked_add(spacing))
    }

    /// The oldest pending round that is due (`spacing` after its cluster's last write; every
    /// round with `spacing` zero), oldest cluster first.
    fn pop(&mut self, now: Instant, spacing: Duration) -> Option<PollRound> {
        let at = self
            .order
            .iter()
            .position(|c| self.due_at(c, spacing).is_none_or(|due| due <= now))?;
        let cluster = self.order.remove(at)?;
        // A write longer ago than the spacing holds nothing back (like none at all): forgotten,
        // so clusters that went away (discovery) leave nothing behind.
        if !spacing.is_zero() {
            self.written
                .retain(|_, t| t.checked_add(spacing).is_some_and(|due| due > now));
        }
        self.written.insert(cluster.clone(), now);
        self.by_cluster.remove(&cluster)
    }

    /// When the next pending round falls due, if any is pending.
    fn next_due(&self, now: Instant, spacing: Duration) -> Option<Instant> {
        self.order
            .iter()
            .map(|c| self.due_at(c, spacing).unwrap_or(now))
            .min()
    }
}

fn lock(m: &Mutex<Rounds>) -> MutexGuard<'_, Rounds> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A cheap, cloneable handle to the store thread. The thread ends when the last handle is
/// dropped.
#[derive(Clone)]
pub struct StoreHandle {
    tx: SyncSender<Job>,
    rounds: Arc<Mutex<Rounds>>,
}

impl std::fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreHandle")
    }
}

impl StoreHandle {
    /// Moves the store onto a thread named `flinkdeck-store`.
    ///
    /// The thread also writes the poll rounds queued by [`record_round`](Self::record_round)
    /// and applies the store's retention policy at start (once no call is waiting) and every
    /// `policy().interval`.
    pub fn spawn(store: Store) -> StoreHandle {
        let (tx, rx) = sync_channel::<Job>(QUEUE);
        let rounds = Arc::new(Mutex::new(Rounds::default()));
        let pending = rounds.clone();
        let spawned = std::thread::Builder::new()
            .name("flinkdeck-store".into())
            .spawn(move || {
                let mut store = store;
                // Retention runs when it is due and nothing is queued: calls waiting (a CLI's
                // first read) go first.
                let mut next_retention = Instant::now();
                loop {
                    let now = Instant::now();
                    let until = match lock(&pending).next_due(now, ROUND_SPACING) {
                        Some(due) => due.min(next_retention),
                        None => next_retention,
                    };
                    match rx.recv_timeout(until.saturating_duration_since(now)) {
                        Ok(job) => {
                            // A panicking call must not take the store down for everyone
                            // else; its transaction (if any) rolls back as it unwinds.
                            if catch_unwind(AssertUnwindSafe(|| job(&mut store))).is_err() {
                                tracing::error!(store = %store.path(), "a store call panicked");
                            }
                        }
                        Err(RecvTimeoutError::Timeout) if Instant::now() < next_retention => {}
                        Err(RecvTimeoutError::Timeout) => {
                            retain(&mut store);
                            let every = store.policy().interval.max(Duration::from_secs(1));
                            next_retention = Instant::now()
                                .checked_add(every)
                                .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                    write_rounds(&mut store, &pending, ROUND_SPACING);
                }
                write_rounds(&mut store, &pending, Duration::ZERO);
                tracing::debug!(store = %store.path(), "store thread stopped");
            });
        if let Err(e) = spawned {
            // The receiver is gone with the closure: every call reports `Closed`.
            tracing::error!(error = %e, "cannot start the store thread");
        }
        StoreHandle { tx, rounds }
    }

    /// Queues a poll round for writing and returns at once (never waits for the disk). A newer
    /// round of a cluster whose previous round is still unwritten is merged into it, so the
    /// queue holds at most one round per cluster.
    pub fn record_round(&self, round: PollRound) {
        lock(&self.rounds).push(round);
        // Wake the thread; when its queue is full it is busy and writes the rounds after the
        // call at hand anyway.
        let _ = self.tx.try_send(Box::new(|_: &mut Store| {}));
    }

    /// Poll rounds not written yet (clusters waiting).
    pub fn pending_rounds(&self) -> usize {
        lock(&self.rounds).order.len()
    }

    /// Waits until the rounds queued so far are written.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let rounds = self.rounds.clone();
        self.call(move |s| {
            write_rounds(s, &rounds, Duration::ZERO);
            Ok(())
        })
        .await
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

/// Writes every queued poll round that is due (`spacing` after its cluster's last write), each
/// in its own transaction.
fn write_rounds(store: &mut Store, pending: &Mutex<Rounds>, spacing: Duration) {
    loop {
        // Take one at a time: a poller queuing meanwhile is never blocked for a whole batch.
        let Some(round) = lock(pending).pop(Instant::now(), spacing) else {
            return;
        };
        let written = catch_unwind(AssertUnwindSafe(|| store.record_round(&round)));
        match written {
            Ok(Ok(stats)) => {
                tracing::trace!(cluster = %round.cluster, ?stats, "poll round recorded");
            }
            Ok(Err(e)) => {
                tracing::warn!(cluster = %round.cluster, error = %e, "cannot record poll in the store")
            }
            Err(_) => tracing::error!(cluster = %round.cluster, "recording a poll round panicked"),
        }
    }
}

/// One bounded retention run.
fn retain(store: &mut Store) {
    match store.run_retention(crate::domain::time::now_ms()) {
        Ok(r) if r.total() > 0 => tracing::debug!(?r, "store retention"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "store retention failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(cluster: &str) -> PollRound {
        PollRound {
            cluster: cluster.into(),
            seen_at_ms: 0,
            health: Vec::new(),
            jobs: None,
            checkpoints: Vec::new(),
        }
    }

    #[test]
    fn rounds_are_spaced_per_cluster_and_old_writes_are_forgotten() {
        let spacing = Duration::from_secs(10);
        let t0 = Instant::now();
        let mut r = Rounds::default();
        r.push(round("gone"));
        assert_eq!(r.pop(t0, spacing).map(|x| x.cluster), Some("gone".into()));
        r.push(round("gone"));
        assert!(
            r.pop(t0 + Duration::from_secs(5), spacing).is_none(),
            "within the spacing"
        );
        assert_eq!(
            r.next_due(t0 + Duration::from_secs(5), spacing),
            Some(t0 + spacing)
        );
        // The cluster goes away with its round pending (dropped as the queue's oldest would
        // be); another cluster's write after the spacing forgets it.
        r.by_cluster.clear();
        r.order.clear();
        r.push(round("other"));
        let later = t0 + Duration::from_secs(11);
        assert_eq!(
            r.pop(later, spacing).map(|x| x.cluster),
            Some("other".into())
        );
        assert_eq!(r.written.keys().collect::<Vec<_>>(), ["other"]);
    }
}
