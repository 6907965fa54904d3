//! Coalescing of concurrent lookups into batched AWS calls: many callers ask for a few keys each,
//! one call answers them all.
//!
//! Terraform refreshes the instances of a resource concurrently (up to `-parallelism`, 10 by
//! default), each in its own `ReadResource` call. When every instance asks the same API about a
//! different Auto Scaling group, a fleet of 100 instances makes 100 calls, though the API takes
//! many names per call (DescribeTags takes up to 1000 values per filter, DescribeScheduledActions
//! a list of names). A [`Batcher`] collects the keys of the calls that arrive within a few
//! milliseconds of each other, makes one call for all of them through its *loader*, and hands each
//! caller its own part of the answer.
//!
//! # How a batch forms
//!
//! - The first key to arrive opens a batch. Later keys join the open batch.
//! - The batch is ready when no key arrived for [`BatchSettings::linger`] (the burst is over), or
//!   when [`BatchSettings::max_wait`] passed since it opened (a steady trickle never starves its
//!   first caller). It closes at once when it holds [`BatchSettings::max_keys`] keys (the API's
//!   limit).
//! - At most [`BatchSettings::max_concurrent_loads`] loads run at a time, and two loads start at
//!   least [`BatchSettings::min_interval`] apart. A ready batch waiting for its turn stays open and
//!   keeps collecting keys: while one call is out, the callers arriving meanwhile gather into the
//!   next one, so under load batches grow by themselves instead of splitting into many small
//!   calls — and the API's request rate (shared with everything else calling it, such as the
//!   Cluster Autoscaler) stays bounded.
//! - A closed batch is loaded in a task of its own, so a caller that gives up (Terraform stopping
//!   the provider) does not cancel the call for the others.
//! - Keys asked for twice are loaded once. A caller with more keys than fit in one batch has them
//!   spread over several batches and waits for all of them.
//!
//! The cost: a caller alone waits `linger` before its call is made (and up to `min_interval`
//! when another call was just made). Tens of milliseconds are a fraction of an AWS round trip.
//!
//! # Results and errors
//!
//! The loader returns a map from key to value; a key it leaves out is "not found" and is simply
//! absent from the callers' maps. When the loader fails, every caller of that batch gets a clone
//! of its error ([`BatchError::Load`]): one failed call fails everybody who shared it, exactly as
//! if each had made the call itself.
//!
//! # Example
//!
//! ```
//! use std::collections::HashMap;
//! use std::time::Duration;
//! use autoscale::aws::batch::{Batcher, BatchSettings};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! // Squares numbers, many per "call".
//! let squares: Batcher<u32, u64, String> = Batcher::new(
//!     BatchSettings { linger: Duration::from_millis(2), max_wait: Duration::from_millis(20), max_keys: 100, max_concurrent_loads: 1, min_interval: Duration::ZERO },
//!     |keys: Vec<u32>| async move { Ok::<_, String>(keys.into_iter().map(|k| (k, u64::from(k) * u64::from(k))).collect::<HashMap<_, _>>()) },
//! );
//! let (a, b) = tokio::join!(squares.load(3), squares.load_many([4, 5]));
//! assert_eq!(a.unwrap(), Some(9));
//! assert_eq!(b.unwrap()[&5], 25);
//! assert_eq!(squares.stats().loads, 1); // one call served both callers
//! # });
//! ```
//!
//! # Caveats
//!
//! Batching only saves calls when callers overlap in time: Terraform never has more than
//! `-parallelism` reads in flight, so a refresh of N instances makes at least N / parallelism
//! batches. Run large refreshes with a higher `-parallelism` to let the batches grow.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::time::Instant;

/// When a batch closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSettings {
    /// How long an open batch waits for another key before it closes.
    pub linger: Duration,
    /// The longest a batch stays open after its first key, however busy the callers are.
    pub max_wait: Duration,
    /// The most keys one load takes (the API's limit on names per call); at least 1.
    pub max_keys: usize,
    /// Loads running at the same time; at least 1. Fewer concurrent loads make bigger batches.
    pub max_concurrent_loads: usize,
    /// The least time between the starts of two loads.
    pub min_interval: Duration,
}

/// Why a caller got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError<E> {
    /// The loader failed for the whole batch.
    #[error("{0}")]
    Load(E),
    /// The task loading the batch ended without answering (it panicked, or the runtime is
    /// shutting down).
    #[error("the batched call was abandoned before it answered")]
    Abandoned,
}

/// Counters, for tests and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Calls made to the loader.
    pub loads: u64,
    /// Distinct keys passed to the loader, over all loads.
    pub keys: u64,
}

/// What a loader returns: a future answering one batch.
pub type LoadFuture<K, V, E> = Pin<Box<dyn Future<Output = Result<HashMap<K, V>, E>> + Send>>;

type Loader<K, V, E> = Box<dyn Fn(Vec<K>) -> LoadFuture<K, V, E> + Send + Sync>;
type Answer<K, V, E> = Result<Arc<HashMap<K, V>>, E>;

/// Coalesces concurrent lookups of keys `K` into batched loads returning values `V` or error `E`.
///
/// Cheap to share: keep one per client (in `Clients`), call it from any task.
pub struct Batcher<K, V, E> {
    inner: Arc<Inner<K, V, E>>,
}

struct Inner<K, V, E> {
    settings: BatchSettings,
    loader: Loader<K, V, E>,
    state: Mutex<State<K, V, E>>,
    /// One permit per load allowed to run.
    slots: Arc<Semaphore>,
}

struct State<K, V, E> {
    open: Option<OpenBatch<K, V, E>>,
    next_id: u64,
    stats: BatchStats,
    /// When the latest load started.
    last_load: Option<Instant>,
}

struct OpenBatch<K, V, E> {
    id: u64,
    keys: Vec<K>,
    seen: HashSet<K>,
    waiters: Vec<oneshot::Sender<Answer<K, V, E>>>,
    opened: Instant,
    last_arrival: Instant,
}

impl<K, V, E> Batcher<K, V, E>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    E: Clone + Send + 'static,
{
    /// A batcher calling `loader` with each closed batch's distinct keys.
    pub fn new<F, Fut>(settings: BatchSettings, loader: F) -> Self
    where
        F: Fn(Vec<K>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<HashMap<K, V>, E>> + Send + 'static,
    {
        let settings = BatchSettings { max_keys: settings.max_keys.max(1), max_concurrent_loads: settings.max_concurrent_loads.max(1), ..settings };
        let loader: Loader<K, V, E> = Box::new(move |keys| Box::pin(loader(keys)));
        let slots = Arc::new(Semaphore::new(settings.max_concurrent_loads));
        let state = Mutex::new(State { open: None, next_id: 0, stats: BatchStats::default(), last_load: None });
        Self { inner: Arc::new(Inner { settings, loader, state, slots }) }
    }

    /// The value of one key, `None` when the loader did not return it.
    ///
    /// # Errors
    /// The loader's error for the batch the key was in, or [`BatchError::Abandoned`].
    pub async fn load(&self, key: K) -> Result<Option<V>, BatchError<E>> {
        let mut found = self.load_many([key.clone()]).await?;
        Ok(found.remove(&key))
    }

    /// The values of `keys` that the loader returned. Keys are deduplicated; the call waits until
    /// every batch holding one of its keys has been loaded.
    ///
    /// # Errors
    /// The first error among the batches holding its keys, or [`BatchError::Abandoned`].
    pub async fn load_many(&self, keys: impl IntoIterator<Item = K>) -> Result<HashMap<K, V>, BatchError<E>> {
        let wanted: Vec<K> = {
            let mut seen = HashSet::new();
            keys.into_iter().filter(|k| seen.insert(k.clone())).collect()
        };
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let receivers = self.enqueue(&wanted);
        let mut found = HashMap::with_capacity(wanted.len());
        for receiver in receivers {
            let answer = receiver.await.map_err(|_| BatchError::Abandoned)?;
            let values = answer.map_err(BatchError::Load)?;
            for key in &wanted {
                if let Some(value) = values.get(key) {
                    found.entry(key.clone()).or_insert_with(|| value.clone());
                }
            }
        }
        Ok(found)
    }

    /// Counters so far.
    pub fn stats(&self) -> BatchStats {
        lock(&self.inner.state).stats
    }

    /// Adds the keys to open batches (closing and loading full ones) and returns one receiver per
    /// batch they went into.
    fn enqueue(&self, keys: &[K]) -> Vec<oneshot::Receiver<Answer<K, V, E>>> {
        let settings = self.inner.settings;
        let mut receivers = Vec::new();
        let mut full = Vec::new();
        {
            let mut state = lock(&self.inner.state);
            let now = Instant::now();
            let mut rest = keys;
            while !rest.is_empty() {
                if state.open.is_none() {
                    let id = state.next_id;
                    state.next_id += 1;
                    state.open = Some(OpenBatch { id, keys: Vec::new(), seen: HashSet::new(), waiters: Vec::new(), opened: now, last_arrival: now });
                    tokio::spawn(close_when_idle(Arc::clone(&self.inner), id));
                }
                let Some(batch) = state.open.as_mut() else { break };
                let mut taken = 0;
                for key in rest {
                    if batch.keys.len() >= settings.max_keys {
                        break;
                    }
                    if batch.seen.insert(key.clone()) {
                        batch.keys.push(key.clone());
                    }
                    taken += 1;
                }
                rest = &rest[taken..];
                batch.last_arrival = now;
                let (sender, receiver) = oneshot::channel();
                batch.waiters.push(sender);
                receivers.push(receiver);
                if batch.keys.len() >= settings.max_keys
                    && let Some(closed) = state.open.take()
                {
                    full.push(closed);
                }
            }
        }
        for batch in full {
            let inner = Arc::clone(&self.inner);
            tokio::spawn(async move {
                let slot = take_turn(&inner).await;
                run_batch(inner, batch, slot).await;
            });
        }
        receivers
    }
}

impl<K, V, E> std::fmt::Debug for Batcher<K, V, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").field("settings", &self.inner.settings).finish_non_exhaustive()
    }
}

/// Locks the state; a poisoned lock (a panic while holding it) still holds consistent data,
/// since every critical section only moves values in and out.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sleeps until batch `id` has been idle for `linger` (or open for `max_wait`), waits for its
/// turn to load while the batch keeps collecting keys, then closes and loads it — unless it was
/// closed meanwhile because it filled up.
async fn close_when_idle<K, V, E>(inner: Arc<Inner<K, V, E>>, id: u64)
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    E: Clone + Send + 'static,
{
    loop {
        let deadline = {
            let state = lock(&inner.state);
            let Some(batch) = state.open.as_ref().filter(|b| b.id == id) else { return };
            (batch.last_arrival + inner.settings.linger).min(batch.opened + inner.settings.max_wait)
        };
        if Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep_until(deadline).await;
    }
    let slot = take_turn(&inner).await;
    let closed = {
        let mut state = lock(&inner.state);
        if state.open.as_ref().is_some_and(|b| b.id == id) { state.open.take() } else { None }
    };
    if let Some(batch) = closed {
        run_batch(inner, batch, slot).await;
    }
}

/// Waits for a free load slot, then until `min_interval` has passed since the latest load started;
/// the start of the next load is recorded by [`run_batch`].
async fn take_turn<K, V, E>(inner: &Inner<K, V, E>) -> Option<OwnedSemaphorePermit> {
    // The semaphore is never closed; without a permit the load simply runs unlimited.
    let slot = Arc::clone(&inner.slots).acquire_owned().await.ok();
    let next = lock(&inner.state).last_load.map(|at| at + inner.settings.min_interval);
    if let Some(next) = next {
        tokio::time::sleep_until(next).await;
    }
    slot
}

/// Loads one closed batch and answers its waiters; the slot is freed when the load is done.
async fn run_batch<K, V, E>(inner: Arc<Inner<K, V, E>>, batch: OpenBatch<K, V, E>, slot: Option<OwnedSemaphorePermit>)
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    E: Clone + Send + 'static,
{
    {
        let mut state = lock(&inner.state);
        state.last_load = Some(Instant::now());
        state.stats.loads += 1;
        state.stats.keys += batch.keys.len() as u64;
    }
    let answer = (inner.loader)(batch.keys).await.map(Arc::new);
    drop(slot);
    for waiter in batch.waiters {
        // A waiter that gave up dropped its receiver: nothing to do.
        let _ = waiter.send(answer.clone());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn settings(max_keys: usize) -> BatchSettings {
        BatchSettings {
            linger: Duration::from_millis(5),
            max_wait: Duration::from_millis(200),
            max_keys,
            max_concurrent_loads: 4,
            min_interval: Duration::ZERO,
        }
    }

    /// The batches a loader was called with.
    type Calls = Arc<Mutex<Vec<Vec<u32>>>>;

    /// A batcher doubling numbers that records the batches it was called with.
    fn doubler(max_keys: usize) -> (Batcher<u32, u32, String>, Calls) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&calls);
        let batcher = Batcher::new(settings(max_keys), move |keys: Vec<u32>| {
            seen.lock().unwrap().push(keys.clone());
            async move { Ok(keys.into_iter().filter(|k| *k != 999).map(|k| (k, k * 2)).collect()) }
        });
        (batcher, calls)
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_load() {
        let (batcher, calls) = doubler(1000);
        let batcher = Arc::new(batcher);
        let tasks: Vec<_> = (0..50u32)
            .map(|i| {
                let b = Arc::clone(&batcher);
                tokio::spawn(async move { b.load_many([i, i + 100]).await })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            let i = i as u32;
            let got = task.await.unwrap().unwrap();
            // Each caller gets exactly its own keys.
            assert_eq!(got, HashMap::from([(i, i * 2), (i + 100, (i + 100) * 2)]));
        }
        let calls = calls.lock().unwrap();
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(calls[0].len(), 100);
        assert_eq!(batcher.stats(), BatchStats { loads: 1, keys: 100 });
    }

    #[tokio::test]
    async fn duplicate_keys_are_loaded_once() {
        let (batcher, calls) = doubler(1000);
        let (a, b) = tokio::join!(batcher.load_many([1, 2, 2]), batcher.load_many([2, 3]));
        assert_eq!(a.unwrap().len(), 2);
        assert_eq!(b.unwrap()[&2], 4);
        assert_eq!(calls.lock().unwrap().clone(), vec![vec![1, 2, 3]]);
    }

    #[tokio::test]
    async fn missing_keys_are_absent() {
        let (batcher, _) = doubler(1000);
        assert_eq!(batcher.load(999).await.unwrap(), None);
        assert_eq!(batcher.load(12).await.unwrap(), Some(24));
    }

    #[tokio::test]
    async fn full_batches_close_at_once_and_split_large_requests() {
        let (batcher, calls) = doubler(3);
        let got = batcher.load_many(0..8).await.unwrap();
        assert_eq!(got.len(), 8);
        let calls = calls.lock().unwrap();
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 3, 2]);
    }

    #[tokio::test]
    async fn callers_apart_in_time_get_separate_loads() {
        let (batcher, calls) = doubler(1000);
        batcher.load(1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        batcher.load(2).await.unwrap();
        assert_eq!(calls.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_trickle_is_cut_at_max_wait() {
        let loads = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&loads);
        let batcher = Arc::new(Batcher::new(
            BatchSettings {
                linger: Duration::from_millis(30),
                max_wait: Duration::from_millis(60),
                max_keys: 1000,
                max_concurrent_loads: 4,
                min_interval: Duration::ZERO,
            },
            move |keys: Vec<u32>| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move { Ok::<_, String>(keys.into_iter().map(|k| (k, k)).collect()) }
            },
        ));
        // A key every 10 ms for 200 ms: never idle for 30 ms, so only max_wait closes batches.
        let mut tasks = Vec::new();
        let started = Instant::now();
        for i in 0..20u32 {
            let b = Arc::clone(&batcher);
            tasks.push(tokio::spawn(async move { b.load(i).await }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for task in tasks {
            assert!(task.await.unwrap().unwrap().is_some());
        }
        let n = loads.load(Ordering::SeqCst);
        assert!((2..20).contains(&n), "{n} loads in {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn callers_arriving_during_a_load_gather_into_the_next_batch() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&sizes);
        let batcher = Arc::new(Batcher::new(
            BatchSettings {
                linger: Duration::from_millis(2),
                max_wait: Duration::from_millis(5),
                max_keys: 1000,
                max_concurrent_loads: 1,
                min_interval: Duration::ZERO,
            },
            move |keys: Vec<u32>| {
                seen.lock().unwrap().push(keys.len());
                async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, String>(keys.into_iter().map(|k| (k, k)).collect())
                }
            },
        ));
        // A key every 4 ms for 80 ms: linger and max_wait alone would make ~10 batches; with one
        // load at a time, the keys arriving during a 50 ms load wait for it and go together.
        let mut tasks = Vec::new();
        for i in 0..20u32 {
            let b = Arc::clone(&batcher);
            tasks.push(tokio::spawn(async move { b.load(i).await }));
            tokio::time::sleep(Duration::from_millis(4)).await;
        }
        for task in tasks {
            assert!(task.await.unwrap().unwrap().is_some());
        }
        let sizes = sizes.lock().unwrap();
        assert_eq!(sizes.iter().sum::<usize>(), 20);
        // About 2 (one per 50 ms load); ~10 with loads in parallel. Slack for a busy machine.
        assert!(sizes.len() <= 5, "{sizes:?}");
    }

    #[tokio::test]
    async fn loads_are_paced_and_keys_gather_meanwhile() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&sizes);
        let batcher = Arc::new(Batcher::new(
            BatchSettings {
                linger: Duration::from_millis(2),
                max_wait: Duration::from_millis(5),
                max_keys: 1000,
                max_concurrent_loads: 1,
                min_interval: Duration::from_millis(100),
            },
            move |keys: Vec<u32>| {
                seen.lock().unwrap().push((Instant::now(), keys.len()));
                async move { Ok::<_, String>(keys.into_iter().map(|k| (k, k)).collect()) }
            },
        ));
        // A key every 10 ms for 150 ms, each load instant: only the pacing joins them.
        let mut tasks = Vec::new();
        for i in 0..15u32 {
            let b = Arc::clone(&batcher);
            tasks.push(tokio::spawn(async move { b.load(i).await }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for task in tasks {
            assert!(task.await.unwrap().unwrap().is_some());
        }
        let sizes = sizes.lock().unwrap();
        assert_eq!(sizes.iter().map(|s| s.1).sum::<usize>(), 15);
        // About 3 (one per 100 ms); 15 without pacing. Slack for a busy machine.
        assert!(sizes.len() <= 5, "{sizes:?}");
        for pair in sizes.windows(2) {
            assert!(pair[1].0 - pair[0].0 >= Duration::from_millis(100), "loads closer than min_interval");
        }
    }

    #[tokio::test]
    async fn a_failed_load_fails_every_caller_of_the_batch() {
        let batcher: Batcher<u32, u32, String> = Batcher::new(settings(1000), |_keys: Vec<u32>| async { Err("throttled".to_string()) });
        let (a, b) = tokio::join!(batcher.load(1), batcher.load_many([2, 3]));
        assert_eq!(a, Err(BatchError::Load("throttled".into())));
        assert_eq!(b, Err(BatchError::Load("throttled".into())));
    }

    #[tokio::test]
    async fn a_caller_that_gives_up_does_not_cancel_the_others() {
        let (batcher, calls) = doubler(1000);
        let batcher = Arc::new(batcher);
        let quitter = {
            let b = Arc::clone(&batcher);
            tokio::spawn(async move { b.load(1).await })
        };
        let stayer = {
            let b = Arc::clone(&batcher);
            tokio::spawn(async move { b.load(2).await })
        };
        // Let the quitter join the batch, then give up while the batch is still open.
        tokio::time::sleep(Duration::from_millis(1)).await;
        quitter.abort();
        assert_eq!(stayer.await.unwrap().unwrap(), Some(4));
        assert_eq!(calls.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn no_keys_no_load() {
        let (batcher, calls) = doubler(1000);
        assert!(batcher.load_many(Vec::new()).await.unwrap().is_empty());
        assert!(calls.lock().unwrap().is_empty());
    }
}
