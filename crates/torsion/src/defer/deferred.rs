//! [`Deferred`]: a result that arrives later, and the callbacks waiting for it.

use std::any::{type_name, Any, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::panic::Location;
use std::rc::Rc;

use super::chain::{Chain, Outcome, Step};
use crate::Failure;

/// A result that arrives later, with the callbacks that wait for it (Twisted's `Deferred`).
///
/// Whoever produces the result calls [`callback`](Deferred::callback) (or
/// [`errback`](Deferred::errback) with a [`Failure`]) once. Whoever wants it adds callbacks
/// and errbacks, which run in the order added, each on the previous one's outcome: a
/// callback runs on a value, an errback on a failure, and each one's return decides what the
/// next one sees (see [`Next`]). A callback may change the value's type, so the adding
/// methods take the handle and return one for the new type; a handle is a cheap clone of the
/// same chain.
///
/// - A callback that returns another `Deferred` makes this chain wait: the next link runs
///   on that Deferred's result, whenever it comes (at once if it is there).
/// - A callback added to a Deferred that already has its result runs at once, inside the
///   adding call. Callbacks never run re-entrantly: one added from inside a running
///   callback of the same chain runs after it, from the same loop.
/// - A panic in a callback or errback becomes a
///   [`CallbackPanicked`](crate::error::CallbackPanicked) failure on the chain.
/// - A Deferred dropped while holding a failure nobody handled logs it (target
///   `torsion::defer`, level ERROR) with where the Deferred was created and where it failed,
///   and a backtrace when `RUST_BACKTRACE` asks for one.
/// - `Deferred` is a [`Future`](std::future::Future): `.await` gives `Result<T, Failure>`.
///
/// A `Deferred` lives on the thread that made it (it is not `Send`).
///
/// # Panics
///
/// [`callback`](Deferred::callback) panics on a handle whose type is not the one the chain
/// was created with, and adding to a handle that an earlier type-changing add made stale
/// panics: both are programming errors the type system cannot see across clones.
///
/// # Examples
///
/// ```
/// use torsion::defer::Deferred;
/// use torsion::Failure;
///
/// let d: Deferred<u32> = Deferred::new();
/// let doubled = d.clone().add_callback(|n| Ok(n * 2)).add_callback(|n| Ok(format!("{n}!")));
/// d.callback(21)?;
/// assert_eq!(doubled.take_result().unwrap()?, "42!");
/// # Ok::<(), Failure>(())
/// ```
pub struct Deferred<T> {
    chain: Rc<Chain>,
    _type: PhantomData<fn() -> T>,
}

/// What a callback or errback hands to the next link of its chain.
///
/// Callbacks return anything that is [`IntoNext`]: `Result<T, Failure>` (`Ok` passes a value
/// on, `Err` switches to the errback path), a `Deferred<T>` (the chain waits for it), or a
/// `Next<T>` to decide at run time.
#[derive(Debug)]
pub enum Next<T> {
    /// Pass a value to the next callback.
    Value(T),
    /// Pass a failure to the next errback.
    Fail(Failure),
    /// Wait for this Deferred; its outcome goes to the next link.
    Wait(Deferred<T>),
}

/// What a callback may return (see [`Next`]).
pub trait IntoNext {
    /// The value type the next link sees.
    type Output: 'static;
    /// Converts into a [`Next`].
    fn into_next(self) -> Next<Self::Output>;
}

impl<T: 'static> IntoNext for Next<T> {
    type Output = T;
    fn into_next(self) -> Next<T> {
        self
    }
}

impl<T: 'static> IntoNext for Result<T, Failure> {
    type Output = T;
    fn into_next(self) -> Next<T> {
        match self {
            Ok(value) => Next::Value(value),
            Err(failure) => Next::Fail(failure),
        }
    }
}

impl<T: 'static> IntoNext for Deferred<T> {
    type Output = T;
    fn into_next(self) -> Next<T> {
        Next::Wait(self)
    }
}

fn step<R: IntoNext>(r: R) -> Step {
    match r.into_next() {
        Next::Value(v) => Step::Done(Ok(Box::new(v))),
        Next::Fail(f) => Step::Done(Err(f)),
        Next::Wait(d) => Step::Wait(d.chain),
    }
}

fn unbox<T: 'static>(value: Box<dyn Any>) -> T {
    match value.downcast::<T>() {
        Ok(v) => *v,
        Err(_) => unreachable!("a chain's types are checked when links are added"),
    }
}

impl<T: 'static> Deferred<T> {
    /// A Deferred with no result yet.
    #[track_caller]
    pub fn new() -> Deferred<T> {
        Deferred::from_chain(Chain::new(TypeId::of::<T>(), Location::caller()))
    }

    /// A Deferred whose [`cancel`](Deferred::cancel) calls `canceller` first (to stop the
    /// work that would produce the result). If the canceller does not give the Deferred a
    /// result, it fails with [`CancelledError`](crate::error::CancelledError).
    #[track_caller]
    pub fn with_canceller(canceller: impl FnOnce(&Deferred<T>) + 'static) -> Deferred<T> {
        let d = Deferred::new();
        d.chain
            .set_canceller(super::chain::Canceller::Call(Box::new(
                move |chain: &Rc<Chain>| canceller(&Deferred::from_chain(chain.clone())),
            )));
        d
    }

    /// A Deferred that already has `value` (Twisted's `succeed`).
    #[track_caller]
    pub fn succeed(value: T) -> Deferred<T> {
        let d = Deferred::new();
        let _ = d.chain.fire(Ok(Box::new(value)), Location::caller());
        d
    }

    /// A Deferred that already failed (Twisted's `fail`).
    #[track_caller]
    pub fn fail(failure: impl Into<Failure>) -> Deferred<T> {
        let d = Deferred::new();
        let _ = d.chain.fire(Err(failure.into()), Location::caller());
        d
    }

    pub(crate) fn from_chain(chain: Rc<Chain>) -> Deferred<T> {
        Deferred {
            chain,
            _type: PhantomData,
        }
    }

    /// Gives the Deferred its result and runs the callbacks, inside this call.
    ///
    /// # Errors
    ///
    /// [`AlreadyCalledError`](crate::error::AlreadyCalledError) if it has a result
    /// already (except once after a [`cancel`](Deferred::cancel) with no canceller: that
    /// late result is dropped, as Twisted does).
    #[track_caller]
    pub fn callback(&self, value: T) -> Result<(), Failure> {
        self.chain.check_head(TypeId::of::<T>(), type_name::<T>());
        self.chain.fire(Ok(Box::new(value)), Location::caller())
    }

    /// Gives the Deferred a failure and runs the errbacks, inside this call.
    ///
    /// # Errors
    ///
    /// As [`callback`](Deferred::callback).
    #[track_caller]
    pub fn errback(&self, failure: impl Into<Failure>) -> Result<(), Failure> {
        self.chain.fire(Err(failure.into()), Location::caller())
    }

    #[track_caller]
    fn link<U: 'static>(self, call: impl FnOnce(Outcome) -> Step + 'static) -> Deferred<U> {
        self.chain.check_tail(TypeId::of::<T>(), type_name::<T>());
        let chain = self.chain;
        chain.push(Box::new(call), Location::caller(), TypeId::of::<U>());
        Deferred::from_chain(chain)
    }

    /// Adds a callback, run on a value (a failure passes it by).
    #[track_caller]
    pub fn add_callback<R: IntoNext>(
        self,
        f: impl FnOnce(T) -> R + 'static,
    ) -> Deferred<R::Output> {
        self.link(move |outcome| match outcome {
            Ok(value) => step(f(unbox::<T>(value))),
            Err(failure) => Step::Done(Err(failure)),
        })
    }

    /// Adds an errback, run on a failure (a value passes it by). Returning `Ok` recovers.
    #[track_caller]
    pub fn add_errback<R: IntoNext<Output = T>>(
        self,
        f: impl FnOnce(Failure) -> R + 'static,
    ) -> Deferred<T> {
        self.link(move |outcome| match outcome {
            Ok(value) => Step::Done(Ok(value)),
            Err(failure) => step(f(failure)),
        })
    }

    /// Adds a callback and an errback at the same position: exactly one of them runs.
    #[track_caller]
    pub fn add_callbacks<R: IntoNext>(
        self,
        callback: impl FnOnce(T) -> R + 'static,
        errback: impl FnOnce(Failure) -> R + 'static,
    ) -> Deferred<R::Output> {
        self.link(move |outcome| match outcome {
            Ok(value) => step(callback(unbox::<T>(value))),
            Err(failure) => step(errback(failure)),
        })
    }

    /// Adds one function run on either outcome (Twisted's `addBoth`).
    #[track_caller]
    pub fn add_both<R: IntoNext>(
        self,
        f: impl FnOnce(Result<T, Failure>) -> R + 'static,
    ) -> Deferred<R::Output> {
        self.link(move |outcome| step(f(outcome.map(unbox::<T>))))
    }

    /// Stops the callbacks from running (those still to come wait) until as many
    /// [`unpause`](Deferred::unpause) calls.
    pub fn pause(&self) {
        self.chain.pause();
    }

    /// Undoes one [`pause`](Deferred::pause); the last one runs the waiting callbacks.
    pub fn unpause(&self) {
        self.chain.unpause();
    }

    /// Cancels the Deferred (Twisted's `cancel`). Not yet called: its canceller runs, and if
    /// that gave no result the Deferred fails with
    /// [`CancelledError`](crate::error::CancelledError). Waiting on a Deferred a callback
    /// returned: that one is cancelled. Otherwise nothing happens.
    pub fn cancel(&self) {
        self.chain.cancel();
    }

    /// Whether the Deferred has been given its result.
    pub fn called(&self) -> bool {
        self.chain.called()
    }

    /// Whether the callbacks are paused (by [`pause`](Deferred::pause) or waiting on
    /// another Deferred).
    pub fn paused(&self) -> bool {
        self.chain.paused()
    }

    /// Takes the outcome if every callback has run (Twisted's `successResultOf` /
    /// `failureResultOf` in one): afterwards the Deferred holds nothing, so a failure taken
    /// this way counts as handled. `None` while the result is not there or callbacks wait.
    pub fn take_result(&self) -> Option<Result<T, Failure>> {
        self.chain.check_tail(TypeId::of::<T>(), type_name::<T>());
        self.chain
            .take_or_wait(None)
            .map(|outcome| outcome.map(unbox::<T>))
    }

    /// Whether both handles are of the same chain.
    pub(crate) fn same_chain(&self, other: &Deferred<T>) -> bool {
        Rc::ptr_eq(&self.chain, &other.chain)
    }

    pub(crate) fn chain(&self) -> &Rc<Chain> {
        &self.chain
    }
}

impl<T: 'static> Default for Deferred<T> {
    #[track_caller]
    fn default() -> Self {
        Deferred::new()
    }
}

impl<T> Clone for Deferred<T> {
    fn clone(&self) -> Self {
        Deferred {
            chain: self.chain.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deferred")
            .field("type", &type_name::<T>())
            .field("created_at", &self.chain.created_at())
            .field("called", &self.chain.called())
            .finish()
    }
}
