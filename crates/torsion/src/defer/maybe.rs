//! [`maybe_deferred`]: a call that may or may not give a Deferred, as a Deferred.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{Deferred, IntoNext, Next};
use crate::Failure;

/// Calls `f` at once, inside this call, and gives its outcome as a Deferred (Twisted's
/// `maybeDeferred`): a value or a failure becomes a Deferred that already has it, a
/// returned Deferred is handed back as it is, and a panic becomes a failed Deferred with
/// [`CallbackPanicked`](crate::error::CallbackPanicked). So code that runs work it does not
/// know the shape of gets one shape back. (For an `async` block, return
/// [`ensure_deferred`](super::ensure_deferred) of it.)
///
/// # Examples
///
/// ```
/// use torsion::defer::{maybe_deferred, Deferred};
/// use torsion::error::CallbackPanicked;
///
/// assert_eq!(maybe_deferred(|| Ok(7)).take_result().unwrap()?, 7);
///
/// let later: Deferred<u32> = Deferred::new();
/// let same = maybe_deferred(|| later.clone());
/// later.callback(8)?;
/// assert_eq!(same.take_result().unwrap()?, 8);
///
/// let panicked = maybe_deferred(|| -> Result<u32, torsion::Failure> { panic!("bad input") });
/// assert!(panicked.take_result().unwrap().unwrap_err().check::<CallbackPanicked>());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[track_caller]
pub fn maybe_deferred<R: IntoNext>(f: impl FnOnce() -> R) -> Deferred<R::Output> {
    match catch_unwind(AssertUnwindSafe(|| f().into_next())) {
        Ok(Next::Value(value)) => Deferred::succeed(value),
        Ok(Next::Fail(failure)) => Deferred::fail(failure),
        Ok(Next::Wait(deferred)) => deferred,
        Err(payload) => Deferred::fail(Failure::from_panic("maybe_deferred", payload)),
    }
}
