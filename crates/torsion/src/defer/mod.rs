//! Results that arrive later: [`Deferred`], and `async`/`await` on the reactor.
//!
//! A [`Deferred`] is Twisted's: a result not there yet, with a chain of callbacks and
//! errbacks waiting for it. It is also a [`Future`](std::future::Future), and any future
//! becomes a Deferred with [`ensure_deferred`] (or runs on the loop with
//! [`Reactor::spawn_local`](crate::Reactor::spawn_local)): the reactor is the executor,
//! there is no second runtime.
//!
//! # When tasks run
//!
//! Each thread has one queue of tasks. A task is polled when it starts
//! ([`ensure_deferred`] polls at once, `spawn_local` on the loop's next pass), then each time
//! its waker is used. Woken tasks run:
//!
//! - as soon as the callbacks of the Deferred that woke them have finished (so a task
//!   awaiting a Deferred resumes inside the `callback` call that fired it, after the chain,
//!   as Twisted's `inlineCallbacks` does);
//! - on every pass of a reactor's loop running on the thread, and at the end of a fake
//!   [`Clock::advance`](crate::testing::Clock::advance).
//!
//! Tasks are never polled from inside another task's poll: what a poll wakes runs after it.
//! A waker used from another thread queues its task through the reactor's
//! `call_from_thread` path and wakes the loop.
//!
//! # Examples
//!
//! Callback style and `async` style using each other's results:
//!
//! ```
//! use std::time::Duration;
//! use torsion::defer::{defer_later, ensure_deferred, Deferred};
//! use torsion::testing::Clock;
//! use torsion::Failure;
//!
//! fn fetch(clock: &Clock) -> Deferred<u32> {
//!     defer_later(clock, Duration::from_secs(1), || Ok(20))
//! }
//!
//! async fn fetch_twice(clock: Clock) -> Result<u32, Failure> {
//!     Ok(fetch(&clock).await? + fetch(&clock).await?)
//! }
//!
//! let clock = Clock::new();
//! let total = ensure_deferred(fetch_twice(clock.clone())).add_callback(|n| Ok(n + 2));
//! clock.advance(Duration::from_secs(1));
//! clock.advance(Duration::from_secs(1));
//! assert_eq!(total.take_result().unwrap()?, 42);
//! # Ok::<(), Failure>(())
//! ```

mod chain;
mod deferred;
mod errors;
pub(crate) mod executor;
mod future;
mod list;
mod lock;
mod maybe;
mod permits;
mod queue;
mod semaphore;
mod spawn;
mod time;

#[cfg(test)]
mod list_tests;
#[cfg(test)]
mod lock_tests;
#[cfg(test)]
mod maybe_tests;
#[cfg(test)]
mod queue_tests;
#[cfg(test)]
mod semaphore_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use deferred::{Deferred, IntoNext, Next};
pub use errors::{FailureGroup, FirstError, QueueOverflow, QueueUnderflow};
pub use future::DeferredFuture;
pub use list::{gather_results, DeferredList};
pub use lock::{DeferredLock, LockGuard};
pub use maybe::maybe_deferred;
pub use queue::DeferredQueue;
pub use semaphore::{DeferredSemaphore, SemaphoreGuard};
pub use spawn::ensure_deferred;
pub(crate) use spawn::spawn_queued;
pub use time::{defer_later, sleep};
