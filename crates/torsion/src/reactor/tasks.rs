//! Futures on the loop: [`Reactor::spawn_local`].

use std::future::Future;

use super::Reactor;
use crate::defer::Deferred;

impl Reactor {
    /// Runs `future` on this reactor's loop, first polled on the loop's next pass (not
    /// inside this call, as tokio's `spawn_local`), and gives its output as a Deferred.
    ///
    /// Cancelling the Deferred cancels what the future awaits, or drops it (see
    /// [`ensure_deferred`](crate::defer::ensure_deferred)); a panic inside it fails the Deferred with
    /// [`CallbackPanicked`](crate::error::CallbackPanicked). Tasks belong to the thread:
    /// every reactor on it runs them.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use torsion::{defer::sleep, Reactor};
    ///
    /// let reactor = Reactor::new()?;
    /// let r = reactor.clone();
    /// let done = reactor.spawn_local(async move {
    ///     sleep(&r, Duration::from_millis(5)).await.unwrap();
    ///     r.stop();
    ///     "slept"
    /// });
    /// reactor.run()?;
    /// assert_eq!(done.take_result().unwrap()?, "slept");
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> Deferred<F::Output>
    where
        F: Future + 'static,
    {
        crate::defer::spawn_queued(future)
    }
}
