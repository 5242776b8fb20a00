//! Awaiting a `Deferred`: [`DeferredFuture`].

use std::any::{type_name, TypeId};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::Deferred;
use crate::Failure;

/// `.await` on a [`Deferred`] gives its outcome once every callback added so far has run.
///
/// The outcome is taken: the Deferred holds nothing afterwards (Twisted leaves `None`), so
/// an awaited failure counts as handled. `Deferred` is [`IntoFuture`] rather than a
/// `Future` itself, so dropping the handle an `add_callback` returned (`let _ = ...`) draws
/// no "unawaited future" lint.
///
/// # Cancel safety
///
/// Dropping the future before it is ready cancels nothing: the Deferred keeps waiting for
/// its result and its callbacks still run. Call [`Deferred::cancel`] to cancel the work.
/// Cancelling a task (the Deferred [`ensure_deferred`](super::ensure_deferred) or
/// `spawn_local` gave) while it awaits a Deferred cancels that Deferred: the `.await` then
/// gives its failure.
///
/// # Examples
///
/// ```
/// use torsion::defer::{ensure_deferred, Deferred};
///
/// let answer: Deferred<u32> = Deferred::new();
/// let waiting = answer.clone();
/// let doubled = ensure_deferred(async move { Ok(waiting.await? * 2) });
/// answer.callback(21)?;
/// assert_eq!(doubled.take_result().unwrap()?, 42);
/// # Ok::<(), torsion::Failure>(())
/// ```
pub struct DeferredFuture<T> {
    deferred: Deferred<T>,
}

impl<T: 'static> IntoFuture for Deferred<T> {
    type Output = Result<T, Failure>;
    type IntoFuture = DeferredFuture<T>;

    fn into_future(self) -> DeferredFuture<T> {
        DeferredFuture { deferred: self }
    }
}

impl<T: 'static> Future for DeferredFuture<T> {
    type Output = Result<T, Failure>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, Failure>> {
        let chain = self.deferred.chain();
        chain.check_tail(TypeId::of::<T>(), type_name::<T>());
        match chain.take_or_wait(Some(cx.waker())) {
            Some(outcome) => Poll::Ready(outcome.map(|v| match v.downcast::<T>() {
                Ok(v) => *v,
                Err(_) => unreachable!("the tail type was checked"),
            })),
            None => {
                super::executor::note_awaiting(Rc::downgrade(chain));
                Poll::Pending
            }
        }
    }
}

impl<T> fmt::Debug for DeferredFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeferredFuture")
            .field("deferred", &self.deferred)
            .finish()
    }
}
