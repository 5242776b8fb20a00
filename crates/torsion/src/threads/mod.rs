//! Threads beside the reactor (Twisted's `IReactorThreads`, `twisted.internet.threads`
//! and `twisted.python.threadpool`).
//!
//! The reactor runs on one thread; blocking work goes to its [`ThreadPool`]:
//! [`Reactor::call_in_thread`](crate::Reactor::call_in_thread) runs a function there, [`Reactor::defer_to_thread`](crate::Reactor::defer_to_thread) gets
//! its result back as a [`Deferred`](crate::defer::Deferred) fired from the loop, and a
//! pool thread reaches back into the loop with
//! [`ThreadHandle::call_from_thread`](crate::ThreadHandle::call_from_thread) or waits for
//! a result with [`ThreadHandle::blocking_call_from_thread`](crate::ThreadHandle::blocking_call_from_thread).
//! [`ThreadHandle`](crate::ThreadHandle) stays the only part of the reactor other threads
//! may hold.
//!
//! # Examples
//!
//! ```
//! use torsion::Reactor;
//!
//! let reactor = Reactor::new()?;
//! let r = reactor.clone();
//! let sum = reactor
//!     .defer_to_thread(|| Ok::<u64, std::convert::Infallible>((1..=1000).sum()))
//!     .add_both(move |result| {
//!         r.stop();
//!         result
//!     });
//! reactor.run()?;
//! assert_eq!(sum.take_result().unwrap()?, 500_500);
//! # Ok::<(), torsion::Failure>(())
//! ```

mod blocking;
mod errors;
mod pool;
mod reactor_pool;
#[cfg(test)]
mod tests;

pub use errors::{CalledFromReactorThread, FailedOnReactorThread, NoResult, ThreadPoolStopped};
pub use pool::{ThreadPool, DEFAULT_MAX_THREADS};
pub(crate) use reactor_pool::ReactorThreads;
