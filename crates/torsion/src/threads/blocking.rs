//! [`ThreadHandle::blocking_call_from_thread`]: a thread runs code on the reactor's thread
//! and waits for its result (Twisted's `threads.blockingCallFromThread`).

use std::sync::mpsc;

use super::errors::{CalledFromReactorThread, FailedOnReactorThread, NoResult};
use super::ThreadPool;
use crate::defer::{maybe_deferred, IntoNext};
use crate::reactor::RemoteCall;
use crate::{Failure, Reactor, ThreadHandle};

impl ThreadHandle {
    /// Runs `f` on the reactor's thread, from its loop, and blocks this thread until its
    /// result: `f` returns a `Result<T, Failure>` or a [`Deferred<T>`](crate::defer::Deferred),
    /// whose result is waited for.
    ///
    /// A `Failure` cannot cross threads: a failure on the reactor's side comes back as
    /// [`FailedOnReactorThread`] (its kind's name and message); a panic in `f` as one whose
    /// kind is `CallbackPanicked`.
    ///
    /// The reactor must be running, or run later, for this to return. A thread of the
    /// reactor's pool that calls this while the reactor shuts down is still served (the
    /// pool's stop runs such calls), but a Deferred that waits for I/O then never fires.
    ///
    /// # Errors
    ///
    /// [`CalledFromReactorThread`] at once when called on the reactor's own thread;
    /// [`FailedOnReactorThread`] as above; [`NoResult`] if the Deferred was dropped
    /// without firing.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Failure, Reactor};
    ///
    /// let reactor = Reactor::new()?;
    /// let handle = reactor.thread_handle();
    /// reactor.call_in_thread(move || {
    ///     let count = handle.blocking_call_from_thread(|r: &Reactor| {
    ///         Ok::<_, Failure>(r.connection_count())
    ///     });
    ///     assert_eq!(count.unwrap(), 0);
    ///     handle.stop();
    /// })?;
    /// reactor.run()?;
    /// # Ok::<(), Failure>(())
    /// ```
    pub fn blocking_call_from_thread<R>(
        &self,
        f: impl FnOnce(&Reactor) -> R + Send + 'static,
    ) -> Result<R::Output, Failure>
    where
        R: IntoNext,
        R::Output: Send,
    {
        if self.remote.on_owner_thread() {
            return Err(Failure::new(CalledFromReactorThread));
        }
        let (tx, rx) = mpsc::sync_channel(1);
        self.remote
            .send(RemoteCall::OnReactor(Box::new(move |reactor| {
                maybe_deferred(|| f(reactor)).add_both(move |result| {
                    let sendable = result.map_err(|failure| FailedOnReactorThread {
                        kind: failure.type_name(),
                        message: failure.get_error_message(),
                    });
                    let _ = tx.send(sendable);
                    Ok::<(), Failure>(())
                });
            })));
        ThreadPool::ask_for_help();
        match rx.recv() {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(failed)) => Err(Failure::new(failed)),
            Err(mpsc::RecvError) => Err(Failure::new(NoResult)),
        }
    }
}
