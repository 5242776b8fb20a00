//! [`DeferredSemaphore`]: at most N holders at once, acquired through Deferreds.

use std::fmt;

use super::permits::{run_holding, Permit, Permits};
use super::{Deferred, IntoNext};

/// A semaphore for callback code: at most [`limit`](DeferredSemaphore::limit) holders at
/// once (Twisted's `DeferredSemaphore`). [`acquire`](DeferredSemaphore::acquire) gives a
/// Deferred that fires with a [`SemaphoreGuard`] once a token is free.
///
/// - Waiting acquires get tokens in the order they asked, each as soon as a holder gives
///   one back (inside that release, before it returns).
/// - Cancelling an acquire still waiting takes it out of the line and fails it with
///   [`CancelledError`](crate::error::CancelledError); one that has its token is not
///   affected.
/// - The guard gives its token back when dropped. To hold one with no guard, call
///   [`SemaphoreGuard::forget`], then [`DeferredSemaphore::release`] (Twisted's style).
/// - [`run`](DeferredSemaphore::run) bounds how much work is in flight: it acquires, runs
///   a function and gives the token back when what it gave has its result.
///
/// Clones are handles to the same semaphore.
///
/// # Examples
///
/// At most two connection attempts in flight, however many are asked for:
///
/// ```
/// use std::time::Duration;
/// use torsion::defer::{defer_later, gather_results, DeferredSemaphore};
/// use torsion::testing::Clock;
///
/// let clock = Clock::new();
/// let sem = DeferredSemaphore::new(2);
/// let attempts: Vec<_> = (0..5u16)
///     .map(|port| {
///         let c = clock.clone();
///         // Stands for a connect that takes a second.
///         sem.run(move || defer_later(&c, Duration::from_secs(1), move || Ok(port)))
///     })
///     .collect();
/// let all = gather_results(attempts, false);
/// assert_eq!((sem.tokens(), sem.waiters()), (0, 3));
/// clock.pump(&[Duration::from_secs(1); 3]);
/// assert_eq!(all.take_result().unwrap()?, [0, 1, 2, 3, 4]);
/// assert_eq!(sem.tokens(), 2);
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct DeferredSemaphore {
    permits: Permits,
}

/// Holding one token of a [`DeferredSemaphore`]: dropping the guard gives it back.
pub struct SemaphoreGuard {
    permit: Permit,
}

impl DeferredSemaphore {
    /// A semaphore with `tokens` tokens, all free: its [`limit`](DeferredSemaphore::limit).
    ///
    /// # Panics
    ///
    /// If `tokens` is 0 (Twisted raises `ValueError`): nobody could ever acquire it.
    pub fn new(tokens: usize) -> DeferredSemaphore {
        assert!(
            tokens > 0,
            "DeferredSemaphore::new needs at least one token"
        );
        DeferredSemaphore {
            permits: Permits::new(tokens),
        }
    }

    /// A Deferred that fires with a guard when a token is this caller's: at once if one is
    /// free, else after those who asked before. Dropping it unfired does not leave the line
    /// (the token is then taken and given back at its turn); cancel it to leave.
    #[track_caller]
    pub fn acquire(&self) -> Deferred<SemaphoreGuard> {
        self.permits
            .acquire()
            .add_callback(|permit| Ok(SemaphoreGuard { permit }))
    }

    /// Gives back a token held after [`SemaphoreGuard::forget`] (Twisted's `release`): the
    /// first waiting acquire gets it, inside this call.
    ///
    /// # Panics
    ///
    /// If no token is held that way (Twisted's "released too many times").
    pub fn release(&self) {
        assert!(
            self.permits.release_forgotten(),
            "DeferredSemaphore::release with no token held through SemaphoreGuard::forget"
        );
    }

    /// How many tokens are free now.
    pub fn tokens(&self) -> usize {
        self.permits.tokens()
    }

    /// How many holders it allows at once.
    pub fn limit(&self) -> usize {
        self.permits.limit()
    }

    /// How many acquires wait for a token.
    pub fn waiters(&self) -> usize {
        self.permits.waiters()
    }

    /// Acquires a token, then calls `f` and gives the token back when what `f` returned
    /// has its result (a returned Deferred is waited for), whether a value, a failure or a
    /// panic (which fails the Deferred with
    /// [`CallbackPanicked`](crate::error::CallbackPanicked)). The Deferred fires with that
    /// result, after the token is back. Cancelling it while it waits for a token leaves
    /// the line and `f` never runs; once `f` ran, the cancel goes to the Deferred it
    /// returned.
    #[track_caller]
    pub fn run<R: IntoNext>(&self, f: impl FnOnce() -> R + 'static) -> Deferred<R::Output> {
        run_holding(self.acquire(), f)
    }
}

impl fmt::Debug for DeferredSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeferredSemaphore")
            .field("tokens", &self.tokens())
            .field("limit", &self.limit())
            .field("waiters", &self.waiters())
            .finish()
    }
}

impl SemaphoreGuard {
    /// Gives the token back now (the same as dropping the guard).
    pub fn release(self) {
        drop(self);
    }

    /// Keeps the token after the guard is gone, until [`DeferredSemaphore::release`].
    pub fn forget(self) {
        self.permit.forget();
    }
}

impl fmt::Debug for SemaphoreGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard").finish_non_exhaustive()
    }
}
