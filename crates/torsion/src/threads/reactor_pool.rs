//! The reactor's thread pool (Twisted's `IReactorThreads`): `call_in_thread`,
//! `defer_to_thread`, `suggest_thread_pool_size`, `thread_pool`.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use super::pool::{ThreadPool, DEFAULT_MAX_THREADS};
use crate::defer::Deferred;
use crate::reactor::RemoteCall;
use crate::slab::{Key, Slab};
use crate::{Failure, Phase, Reactor, SystemEvent};

/// What a job's thread hands back to the loop.
type Outcome = Box<dyn Any + Send>;
/// Fires a job's Deferred with its outcome.
type Deliver = Box<dyn FnOnce(Outcome)>;

/// A reactor's pool, made on first use, and the Deferreds waiting for its jobs.
pub(crate) struct ReactorThreads {
    pool: RefCell<Option<ThreadPool>>,
    max: Cell<usize>,
    waiting: RefCell<Slab<Deliver>>,
}

impl Default for ReactorThreads {
    fn default() -> ReactorThreads {
        ReactorThreads {
            pool: RefCell::new(None),
            max: Cell::new(DEFAULT_MAX_THREADS),
            waiting: RefCell::default(),
        }
    }
}

impl Reactor {
    /// The reactor's thread pool (Twisted's `getThreadPool`), made on first use with
    /// [`suggest_thread_pool_size`](Reactor::suggest_thread_pool_size)'s bound (10 by
    /// default). At shutdown (a `During` `Shutdown` trigger) it is stopped: queued jobs
    /// run, every thread is joined, and results that came back meanwhile are delivered;
    /// the next use after that makes a new pool.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::Reactor;
    ///
    /// let reactor = Reactor::new()?;
    /// let pool = reactor.thread_pool();
    /// assert_eq!((pool.size(), pool.max_threads()), (0, 10));
    /// pool.set_max_threads(4);
    /// assert_eq!(reactor.thread_pool().max_threads(), 4);
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn thread_pool(&self) -> ThreadPool {
        let threads = &self.core.threads;
        if let Some(pool) = &*threads.pool.borrow() {
            return pool.clone();
        }
        let pool = ThreadPool::new("torsion-pool", threads.max.get());
        *threads.pool.borrow_mut() = Some(pool.clone());
        let core = Rc::downgrade(&self.core);
        self.add_system_event_trigger(Phase::During, SystemEvent::Shutdown, move || {
            if let Some(core) = core.upgrade() {
                Reactor { core }.stop_thread_pool();
            }
        });
        pool
    }

    /// Sets the bound on the pool's threads (Twisted's `suggestThreadPoolSize`), now if
    /// the pool exists and for the pools made later.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = torsion::Reactor::new()?;
    /// reactor.suggest_thread_pool_size(3);
    /// assert_eq!(reactor.thread_pool().max_threads(), 3);
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn suggest_thread_pool_size(&self, size: usize) {
        self.core.threads.max.set(size.max(1));
        if let Some(pool) = &*self.core.threads.pool.borrow() {
            pool.set_max_threads(size);
        }
    }

    /// Runs `f` on the reactor's thread pool (Twisted's `callInThread`). A panic in `f` is
    /// logged. Use [`ThreadHandle::call_from_thread`](crate::ThreadHandle) from `f` to
    /// get back to the reactor.
    ///
    /// # Errors
    ///
    /// The OS error if no thread can run it (`f` is dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::Reactor;
    ///
    /// let reactor = Reactor::new()?;
    /// let handle = reactor.thread_handle();
    /// reactor.call_in_thread(move || {
    ///     let answer = 6 * 7; // something slow, off the loop
    ///     handle.call_from_thread(move || println!("{answer}"));
    ///     handle.stop();
    /// })?;
    /// reactor.run()?;
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn call_in_thread(&self, f: impl FnOnce() + Send + 'static) -> Result<(), Failure> {
        self.thread_pool().call_in_thread(f)
    }

    /// Runs `f` on the reactor's thread pool; the Deferred fires from the loop with its
    /// value, or fails with its error (its own kind) or with
    /// [`CallbackPanicked`](crate::error::CallbackPanicked) if it panicked (Twisted's
    /// `deferToThread`). Fails at once if no thread can run it.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::Reactor;
    ///
    /// let reactor = Reactor::new()?;
    /// let r = reactor.clone();
    /// let size = reactor
    ///     .defer_to_thread(|| std::fs::metadata("Cargo.toml").map(|m| m.len()))
    ///     .add_both(move |result| {
    ///         r.stop();
    ///         result
    ///     });
    /// reactor.run()?;
    /// assert!(size.take_result().unwrap()? > 0);
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn defer_to_thread<T, E>(
        &self,
        f: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Deferred<T>
    where
        T: Send + 'static,
        E: std::error::Error + Send + 'static,
    {
        let d = Deferred::new();
        let fire = d.clone();
        let key =
            self.core
                .threads
                .waiting
                .borrow_mut()
                .insert(Box::new(move |outcome: Outcome| {
                    let outcome = outcome
                        .downcast::<std::thread::Result<Result<T, E>>>()
                        .map(|b| *b);
                    let _ = match outcome {
                        Ok(Ok(Ok(value))) => fire.callback(value),
                        Ok(Ok(Err(err))) => fire.errback(Failure::new(err)),
                        Ok(Err(payload)) => {
                            fire.errback(Failure::from_panic("defer_to_thread", payload))
                        }
                        Err(_) => unreachable!("the outcome is the job's own type"),
                    };
                }));
        let remote = self.core.remote.clone();
        let submitted = self.call_in_thread(move || {
            let outcome: Outcome = Box::new(catch_unwind(AssertUnwindSafe(f)));
            remote.send(RemoteCall::OnReactor(Box::new(move |reactor| {
                reactor.job_done(key, outcome);
            })));
        });
        if let Err(failure) = submitted {
            drop(self.core.threads.waiting.borrow_mut().remove(key));
            let _ = d.errback(failure);
        }
        d
    }

    fn job_done(&self, key: Key, outcome: Outcome) {
        let done = self.core.threads.waiting.borrow_mut().remove(key);
        if let Some(done) = done {
            done(outcome);
        }
    }

    /// Stops the pool, running what its threads ask of the loop meanwhile, then delivers
    /// the results that came back.
    fn stop_thread_pool(&self) {
        let pool = self.core.threads.pool.borrow_mut().take();
        if let Some(pool) = pool {
            pool.stop_serving(&mut || self.run_remote_calls());
            self.run_remote_calls();
        }
    }
}
