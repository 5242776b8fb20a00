//! [`DeferredLock`]: a lock whose acquire is a Deferred.

use std::fmt;

use super::permits::{run_holding, Permit, Permits};
use super::{Deferred, IntoNext};

/// A lock for callback code: [`acquire`](DeferredLock::acquire) gives a Deferred that fires
/// with a [`LockGuard`] once the lock is free (Twisted's `DeferredLock`).
///
/// - Waiting acquires get the lock in the order they asked for it, each as soon as the
///   previous holder lets go (inside that release, before it returns).
/// - Cancelling an acquire still waiting takes it out of the line and fails it with
///   [`CancelledError`](crate::error::CancelledError) (Twisted's `_cancelAcquire`); one
///   that already has the lock is not affected.
/// - The guard releases the lock when dropped. To hold the lock with no guard and release
///   it by hand, as Twisted's callers do, call [`LockGuard::forget`], then
///   [`DeferredLock::release`].
/// - [`run`](DeferredLock::run) acquires, runs a function and releases when what it gave
///   has its result.
///
/// Clones are handles to the same lock.
///
/// # Examples
///
/// ```
/// use torsion::defer::DeferredLock;
///
/// let lock = DeferredLock::new();
/// let first = lock.acquire().take_result().unwrap()?;
/// let second = lock.acquire();
/// assert!(!second.called(), "waits for the first holder");
/// drop(first);
/// let second = second.take_result().unwrap()?;
/// assert!(lock.locked());
/// drop(second);
/// assert!(!lock.locked());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct DeferredLock {
    permits: Permits,
}

/// Holding a [`DeferredLock`]: dropping the guard releases it.
pub struct LockGuard {
    permit: Permit,
}

impl DeferredLock {
    /// An unlocked lock.
    pub fn new() -> DeferredLock {
        DeferredLock {
            permits: Permits::new(1),
        }
    }

    /// A Deferred that fires with the guard when the lock is this caller's: at once if it
    /// is free and nobody waits, else after those who asked before. Dropping it unfired
    /// does not leave the line (the lock is then taken and released at its turn);
    /// cancel it to leave.
    #[track_caller]
    pub fn acquire(&self) -> Deferred<LockGuard> {
        self.permits
            .acquire()
            .add_callback(|permit| Ok(LockGuard { permit }))
    }

    /// Releases a lock held after [`LockGuard::forget`] (Twisted's `release`): the first
    /// waiting acquire gets it, inside this call.
    ///
    /// # Panics
    ///
    /// If the lock is not held that way: it is free, or a [`LockGuard`] holds it (drop the
    /// guard instead).
    pub fn release(&self) {
        assert!(
            self.permits.release_forgotten(),
            "DeferredLock::release on a lock not held through LockGuard::forget"
        );
    }

    /// Whether someone holds the lock.
    pub fn locked(&self) -> bool {
        self.permits.tokens() == 0
    }

    /// How many acquires wait for the lock.
    pub fn waiters(&self) -> usize {
        self.permits.waiters()
    }

    /// Acquires the lock, then calls `f` and releases the lock when what `f` returned has
    /// its result (a returned Deferred is waited for), whether a value, a failure or a
    /// panic (which fails the Deferred with
    /// [`CallbackPanicked`](crate::error::CallbackPanicked)). The Deferred fires with that
    /// result, after the release. Cancelling it while it waits for the lock leaves the line
    /// and `f` never runs; once `f` ran, the cancel goes to the Deferred it returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::defer::{Deferred, DeferredLock};
    ///
    /// let lock = DeferredLock::new();
    /// let write: Deferred<&str> = Deferred::new();
    /// let w = write.clone();
    /// let first = lock.run(move || w);
    /// let second = lock.run(|| Ok("second write"));
    /// assert!(!second.called(), "runs once the first is done");
    /// write.callback("first write")?;
    /// assert_eq!(first.take_result().unwrap()?, "first write");
    /// assert_eq!(second.take_result().unwrap()?, "second write");
    /// assert!(!lock.locked());
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    #[track_caller]
    pub fn run<R: IntoNext>(&self, f: impl FnOnce() -> R + 'static) -> Deferred<R::Output> {
        run_holding(self.acquire(), f)
    }
}

impl Default for DeferredLock {
    fn default() -> Self {
        DeferredLock::new()
    }
}

impl fmt::Debug for DeferredLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeferredLock")
            .field("locked", &self.locked())
            .field("waiters", &self.waiters())
            .finish()
    }
}

impl LockGuard {
    /// Releases the lock now (the same as dropping the guard).
    pub fn release(self) {
        drop(self);
    }

    /// Keeps the lock held after the guard is gone, until [`DeferredLock::release`].
    pub fn forget(self) {
        self.permit.forget();
    }
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}
