//! [`ThreadPool`]: a bounded pool of threads running blocking jobs in the order they
//! were submitted (Twisted's `twisted.python.threadpool.ThreadPool`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use super::errors::ThreadPoolStopped;
use crate::Failure;

/// Twisted's default bound on a reactor's pool.
pub const DEFAULT_MAX_THREADS: usize = 10;

type Job = Box<dyn FnOnce() + Send>;

/// A pool of threads that run jobs handed to them, first in, first out.
///
/// - Threads start lazily: a job that finds no idle thread starts one, up to the bound
///   ([`max_threads`](ThreadPool::max_threads)); past it, jobs queue.
/// - A panic in a job is caught and logged; the thread goes on with the next job.
/// - [`stop`](ThreadPool::stop) lets the queued jobs run, then ends and joins every
///   thread (as Twisted's `ThreadPool.stop`, whose queued work still runs); jobs
///   submitted after it are refused with [`ThreadPoolStopped`].
/// - Threads live until the stop, unless [`with_idle_timeout`](ThreadPool::with_idle_timeout)
///   lets an idle one end. Dropping the last handle stops the pool without joining: the
///   queued jobs still run, then the threads end.
///
/// `ThreadPool` is a cheap handle (`Clone`, `Send`, `Sync`). A reactor has one, started on
/// first use and stopped at its shutdown: see [`Reactor::thread_pool`](crate::Reactor::thread_pool).
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use torsion::threads::ThreadPool;
///
/// let pool = ThreadPool::new("example", 2);
/// let (tx, rx) = mpsc::channel();
/// for i in 0..4 {
///     let tx = tx.clone();
///     pool.call_in_thread(move || tx.send(i * i).unwrap())?;
/// }
/// let mut squares: Vec<i32> = rx.iter().take(4).collect();
/// squares.sort();
/// assert_eq!(squares, [0, 1, 4, 9]);
/// pool.stop();
/// assert_eq!(pool.size(), 0);
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct ThreadPool {
    owner: Arc<Owner>,
}

/// What the handles share: when the last handle goes, the pool stops without waiting
/// (its threads run the queued jobs and end by themselves), so a forgotten pool leaves
/// no idle thread behind.
struct Owner {
    shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.work.notify_all();
    }
}

struct Shared {
    name: String,
    idle_timeout: Option<Duration>,
    state: Mutex<State>,
    /// Wakes idle threads: a job arrived, or the pool stops.
    work: Condvar,
    /// Wakes `stop`: a thread ended, or a thread asks for the stopper's help.
    changed: Condvar,
}

struct State {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
    max: usize,
    stopping: bool,
    /// A thread of this pool waits on the thread that is stopping the pool.
    help_wanted: bool,
    handles: Vec<JoinHandle<()>>,
}

thread_local! {
    /// The pool whose thread this is, if any.
    static CURRENT: RefCell<Weak<Shared>> = const { RefCell::new(Weak::new()) };
}

impl ThreadPool {
    /// A pool of at most `max_threads` threads, named `name` (as the OS shows them; keep it
    /// under 16 bytes). No thread starts before the first job.
    pub fn new(name: &str, max_threads: usize) -> ThreadPool {
        let shared = Arc::new(Shared {
            name: name.to_string(),
            idle_timeout: None,
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                threads: 0,
                idle: 0,
                max: max_threads.max(1),
                stopping: false,
                help_wanted: false,
                handles: Vec::new(),
            }),
            work: Condvar::new(),
            changed: Condvar::new(),
        });
        ThreadPool {
            owner: Arc::new(Owner { shared }),
        }
    }

    /// The same pool, whose threads end after `timeout` without work (for a pool that
    /// lives as long as the process and is rarely busy).
    ///
    /// # Panics
    ///
    /// If the pool has started a thread or been cloned already.
    pub fn with_idle_timeout(mut self, timeout: Duration) -> ThreadPool {
        Arc::get_mut(&mut self.owner)
            .and_then(|owner| Arc::get_mut(&mut owner.shared))
            .expect("the idle timeout is set before the pool is shared")
            .idle_timeout = Some(timeout);
        self
    }

    /// Runs `f` on one of the pool's threads, after the jobs submitted before it start
    /// (Twisted's `callInThread`).
    ///
    /// # Errors
    ///
    /// [`ThreadPoolStopped`] once the pool is stopped; the OS error if no thread is
    /// running and none can be started. Either way `f` is dropped unrun.
    pub fn call_in_thread(&self, f: impl FnOnce() + Send + 'static) -> Result<(), Failure> {
        let mut state = self.owner.shared.lock();
        if state.stopping {
            return Err(Failure::new(ThreadPoolStopped));
        }
        state.jobs.push_back(Box::new(f));
        if state.idle > 0 || state.threads >= state.max {
            self.owner.shared.work.notify_one();
            return Ok(());
        }
        match self.owner.shared.spawn(&mut state) {
            Ok(()) => Ok(()),
            Err(err) if state.threads == 0 => {
                state.jobs.pop_back();
                Err(Failure::from(err))
            }
            Err(err) => {
                tracing::warn!(%err, pool = %self.owner.shared.name, "could not start another thread");
                Ok(())
            }
        }
    }

    /// How many threads the pool runs now.
    pub fn size(&self) -> usize {
        self.owner.shared.lock().threads
    }

    /// How many jobs wait for a thread.
    pub fn queued(&self) -> usize {
        self.owner.shared.lock().jobs.len()
    }

    /// The most threads the pool runs at once.
    pub fn max_threads(&self) -> usize {
        self.owner.shared.lock().max
    }

    /// Changes the bound (at least 1; Twisted's `adjustPoolsize(maxthreads=…)`): a higher
    /// one starts threads for the jobs waiting; past a lower one, threads end as they
    /// finish their jobs.
    pub fn set_max_threads(&self, max: usize) {
        let mut state = self.owner.shared.lock();
        state.max = max.max(1);
        while !state.stopping && state.jobs.len() > state.idle && state.threads < state.max {
            if let Err(err) = self.owner.shared.spawn(&mut state) {
                tracing::warn!(%err, pool = %self.owner.shared.name, "could not start another thread");
                break;
            }
        }
        self.owner.shared.work.notify_all();
    }

    /// Stops the pool: the jobs already queued run, then every thread ends and is joined
    /// before this returns; later jobs are refused. Calling it again does nothing more.
    ///
    /// Called from one of the pool's own threads, it does not wait for that thread.
    pub fn stop(&self) {
        self.stop_serving(&mut || {});
    }

    /// [`stop`](ThreadPool::stop), calling `serve` whenever one of the pool's threads
    /// waits on this thread ([`ThreadPool::ask_for_help`]) meanwhile: a reactor stopping
    /// its pool runs the calls its threads make into it, instead of deadlocking.
    pub(crate) fn stop_serving(&self, serve: &mut dyn FnMut()) {
        let own = self.is_current();
        let mut state = self.owner.shared.lock();
        state.stopping = true;
        self.owner.shared.work.notify_all();
        loop {
            if state.help_wanted {
                state.help_wanted = false;
                drop(state);
                serve();
                state = self.owner.shared.lock();
                continue;
            }
            if state.threads <= usize::from(own) {
                break;
            }
            state = self
                .owner
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
        let handles = std::mem::take(&mut state.handles);
        let dropped = std::mem::take(&mut state.jobs);
        drop(state);
        if !dropped.is_empty() {
            tracing::warn!(jobs = dropped.len(), pool = %self.owner.shared.name, "jobs dropped: no thread ran them");
        }
        let me = std::thread::current().id();
        for handle in handles {
            if handle.thread().id() != me {
                let _ = handle.join();
            }
        }
    }

    /// Called on one of a pool's threads before it waits on another thread: if that
    /// thread is stopping the pool, it is woken to serve the wait (see `stop_serving`).
    pub(crate) fn ask_for_help() {
        let pool = CURRENT.with(|current| current.borrow().upgrade());
        if let Some(shared) = pool {
            shared.lock().help_wanted = true;
            shared.changed.notify_all();
        }
    }

    fn is_current(&self) -> bool {
        CURRENT.with(|current| Weak::ptr_eq(&current.borrow(), &Arc::downgrade(&self.owner.shared)))
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts one more thread; the caller holds the lock.
    fn spawn(self: &Arc<Self>, state: &mut State) -> std::io::Result<()> {
        state.handles.retain(|h| !h.is_finished());
        let shared = self.clone();
        let handle = std::thread::Builder::new()
            .name(self.name.clone())
            .spawn(move || shared.work_loop())?;
        state.threads += 1;
        state.handles.push(handle);
        Ok(())
    }

    fn work_loop(self: Arc<Self>) {
        CURRENT.with(|current| *current.borrow_mut() = Arc::downgrade(&self));
        let mut state = self.lock();
        loop {
            if state.threads > state.max && !state.stopping {
                break;
            }
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                if let Err(payload) = catch_unwind(AssertUnwindSafe(job)) {
                    let failure = Failure::from_panic("a thread pool job", payload);
                    tracing::error!(%failure, pool = %self.name, "a job panicked");
                }
                state = self.lock();
                continue;
            }
            if state.stopping {
                break;
            }
            state.idle += 1;
            let timed_out = match self.idle_timeout {
                Some(timeout) => {
                    let (next, waited) = self
                        .work
                        .wait_timeout(state, timeout)
                        .unwrap_or_else(|e| e.into_inner());
                    state = next;
                    waited.timed_out()
                }
                None => {
                    state = self.work.wait(state).unwrap_or_else(|e| e.into_inner());
                    false
                }
            };
            state.idle -= 1;
            if timed_out && state.jobs.is_empty() {
                break;
            }
        }
        state.threads -= 1;
        drop(state);
        self.changed.notify_all();
    }
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.owner.shared.lock();
        f.debug_struct("ThreadPool")
            .field("name", &self.owner.shared.name)
            .field("threads", &state.threads)
            .field("max", &state.max)
            .field("queued", &state.jobs.len())
            .field("stopping", &state.stopping)
            .finish()
    }
}
