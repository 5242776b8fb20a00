//! Futures as Deferreds: [`ensure_deferred`], [`Deferred::from_future`], and the queue
//! behind `Reactor::spawn_local`.

use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::task::Poll;

use super::executor::{self, Executor};
use super::Deferred;
use crate::slab::Key;
use crate::Failure;

/// Runs `future` as a task and gives its outcome as a Deferred (Twisted's `ensureDeferred`
/// of a coroutine). The future is polled at once, inside this call, up to its first
/// `.await` that is not ready, then whenever it is woken (see the module docs).
///
/// Cancelling the returned Deferred while the future awaits a Deferred cancels that one, as
/// Twisted does for a coroutine: the `.await` gives the failure (usually
/// [`CancelledError`](crate::error::CancelledError)), which the future may handle. A future
/// awaiting something else is dropped (Rust's cancellation), and the Deferred fails with
/// `CancelledError`. A panic inside the future fails the
/// Deferred with [`CallbackPanicked`](crate::error::CallbackPanicked).
///
/// # Examples
///
/// ```
/// use torsion::defer::{ensure_deferred, Deferred};
///
/// async fn add_one(d: Deferred<u32>) -> Result<u32, torsion::Failure> {
///     Ok(d.await? + 1)
/// }
///
/// let input = Deferred::new();
/// let output = ensure_deferred(add_one(input.clone()));
/// assert!(!output.called());
/// input.callback(1)?;
/// assert_eq!(output.take_result().unwrap()?, 2);
/// # Ok::<(), torsion::Failure>(())
/// ```
#[track_caller]
pub fn ensure_deferred<T, F>(future: F) -> Deferred<T>
where
    T: 'static,
    F: Future<Output = Result<T, Failure>> + 'static,
{
    start(future, |e, task| e.spawn_now(task))
}

impl<T: 'static> Deferred<T> {
    /// The same as [`ensure_deferred`].
    #[track_caller]
    pub fn from_future<F>(future: F) -> Deferred<T>
    where
        F: Future<Output = Result<T, Failure>> + 'static,
    {
        ensure_deferred(future)
    }
}

/// Runs `future` from the thread's queue, first polled on a loop's next pass (what
/// [`Reactor::spawn_local`](crate::Reactor::spawn_local) does).
#[track_caller]
pub(crate) fn spawn_queued<F>(future: F) -> Deferred<F::Output>
where
    F: Future + 'static,
{
    start(async move { Ok(future.await) }, |e, task| {
        e.spawn_queued(task)
    })
}

#[track_caller]
fn start<T, F>(
    future: F,
    spawn: impl FnOnce(&Executor, std::pin::Pin<Box<dyn Future<Output = ()>>>) -> Key,
) -> Deferred<T>
where
    T: 'static,
    F: Future<Output = Result<T, Failure>> + 'static,
{
    let executor = executor::current();
    // Known before the first poll, which may cancel the task through the Deferred. A
    // canceller runs at most once, and only while the Deferred has no result; the task gives
    // it one when it ends, so a key left from an ended task never reaches the executor.
    let key = executor.next_key();
    let deferred = Deferred::new();
    deferred
        .chain()
        .set_canceller(super::chain::Canceller::Task(key));
    let result = deferred.clone();
    let task = Box::pin(async move {
        let mut future = pin!(future);
        let outcome =
            poll_fn(
                |cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                    Ok(Poll::Ready(outcome)) => Poll::Ready(outcome),
                    Ok(Poll::Pending) => Poll::Pending,
                    Err(payload) => {
                        Poll::Ready(Err(Failure::from_panic("spawned future", payload)))
                    }
                },
            )
            .await;
        let _ = match outcome {
            Ok(value) => result.callback(value),
            Err(failure) => result.errback(failure),
        };
    });
    let spawned = spawn(&executor, task);
    debug_assert_eq!(spawned, key);
    deferred
}
