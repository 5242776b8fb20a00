//! [`DeferredList`] and [`gather_results`]: one Deferred for the results of many.

use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};

use super::chain::Chain;
use super::errors::{FailureGroup, FirstError};
use super::Deferred;
use crate::Failure;

/// Waits for several Deferreds and gives their results as one Deferred (Twisted's
/// `DeferredList`).
///
/// Build it from the Deferreds, set the options, then pick what the Deferred it makes fires
/// with:
///
/// | Twisted | here |
/// | --- | --- |
/// | `DeferredList(ds)` | `DeferredList::new(ds).results()`: `Vec<Result<T, Failure>>` |
/// | a `(success, result)` pair | `Ok(value)` or `Err(failure)`, in the order of `ds` |
/// | `fireOnOneCallback=True` | [`first_success`](DeferredList::first_success): `(value, index)` |
/// | `fireOnOneErrback=True` | [`fire_on_one_errback(true)`](DeferredList::fire_on_one_errback): fails with [`FirstError`] |
/// | `consumeErrors=True` | [`consume_errors(true)`](DeferredList::consume_errors) |
///
/// The list watches each input by adding a callback to it, as Twisted does, so callbacks
/// added to an input before it was given to the list run first and decide what the list
/// sees. That callback takes the value: the list owns its inputs, values are moved into its
/// result and each input's chain goes on as a `Deferred<()>`, with `()` for a value and the
/// same failure for a failure (or `()` if errors are consumed). A clone of an input kept
/// elsewhere can still fire it ([`callback`](Deferred::callback)), but adding to it panics
/// (its chain changed type). A failure left on an input's chain is logged as unhandled when
/// the chain is dropped, as in Twisted, unless errors are consumed.
///
/// Cancelling the list's Deferred before it has fired cancels every input (Twisted's
/// `DeferredList.cancel`); what they fire with then decides the list's result. Once it has
/// fired, a cancel does nothing. The list does not keep its inputs alive (each input keeps
/// the list alive, until it fires), so the cancel reaches the inputs that someone else
/// still holds: whoever is to fire them. If the list has no result once the inputs are
/// cancelled (an input nobody else held, freed rather than cancelled; a paused input), the
/// cancel fails it with [`CancelledError`](crate::error::CancelledError), as any cancelled
/// Deferred; Twisted's list would go on waiting for those inputs.
///
/// # Examples
///
/// ```
/// use torsion::defer::{Deferred, DeferredList};
/// use torsion::Failure;
///
/// let (a, b, c) = (Deferred::new(), Deferred::new(), Deferred::new());
/// let all = DeferredList::new([a.clone(), b.clone(), c.clone()])
///     .consume_errors(true)
///     .results();
/// c.callback("c")?;
/// b.errback(std::io::Error::other("no route"))?;
/// assert!(!all.called());
/// a.callback("a")?;
/// let results = all.take_result().unwrap()?;
/// assert_eq!(results[0].as_ref().ok(), Some(&"a"));
/// assert_eq!(results[1].as_ref().unwrap_err().get_error_message(), "no route");
/// assert_eq!(results[2].as_ref().ok(), Some(&"c"));
/// # Ok::<(), Failure>(())
/// ```
pub struct DeferredList<T> {
    deferreds: Vec<Deferred<T>>,
    fire_on_one_errback: bool,
    consume_errors: bool,
}

impl<T: 'static> DeferredList<T> {
    /// A list of `deferreds`, with every option off.
    pub fn new(deferreds: impl IntoIterator<Item = Deferred<T>>) -> DeferredList<T> {
        DeferredList {
            deferreds: deferreds.into_iter().collect(),
            fire_on_one_errback: false,
            consume_errors: false,
        }
    }

    /// When on, the first input to fail fails the list's Deferred at once with a
    /// [`FirstError`] holding that failure and its index, without waiting for the others
    /// (whose results are then ignored). Off (the default), a failure is one of the results.
    pub fn fire_on_one_errback(mut self, on: bool) -> DeferredList<T> {
        self.fire_on_one_errback = on;
        self
    }

    /// When on, a failed input's chain goes on with `()` after the list has seen the failure,
    /// so nothing after the list sees it and it is not logged as unhandled. Off (the
    /// default), the failure stays on the input's chain. Either way the list gets it.
    pub fn consume_errors(mut self, on: bool) -> DeferredList<T> {
        self.consume_errors = on;
        self
    }

    /// A Deferred that fires once every input has fired, with their results in the order
    /// given (`Ok` for a value, `Err` for a failure); at once for an empty list. With
    /// [`fire_on_one_errback`](DeferredList::fire_on_one_errback) it fails instead at the
    /// first failure, so the results it fires with are all `Ok`.
    #[track_caller]
    pub fn results(self) -> Deferred<Vec<Result<T, Failure>>> {
        let list = cancelling_all(&self.deferreds);
        self.watch(Target::Results(list.clone()));
        list
    }

    /// A Deferred that fires with the first value any input fires with, and that input's
    /// index (Twisted's `fireOnOneCallback`); the later results are ignored. If every input
    /// fails, it fails with a [`FailureGroup`] of their failures in order (Twisted fires
    /// with the list of failures; an empty list, which Twisted never fires, fails at once).
    /// With [`fire_on_one_errback`](DeferredList::fire_on_one_errback), a failure before any
    /// value fails it with a [`FirstError`].
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::defer::{Deferred, DeferredList};
    ///
    /// let (slow, fast) = (Deferred::new(), Deferred::new());
    /// let first = DeferredList::new([slow.clone(), fast.clone()]).first_success();
    /// fast.callback("fast")?;
    /// assert_eq!(first.take_result().unwrap()?, ("fast", 1));
    /// slow.callback("slow")?; // ignored
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    #[track_caller]
    pub fn first_success(self) -> Deferred<(T, usize)> {
        let first = cancelling_all(&self.deferreds);
        self.watch(Target::FirstSuccess(first.clone()));
        first
    }

    /// Adds the list's callback to every input (all already fired run at once, inside).
    #[track_caller]
    fn watch(self, target: Target<T>) {
        let count = self.deferreds.len();
        if count == 0 {
            Gathering::finish(target, Vec::new()).fire();
            return;
        }
        let gathering = Rc::new(RefCell::new(Gathering {
            outcomes: (0..count).map(|_| None).collect(),
            unfinished: count,
            fire_on_one_errback: self.fire_on_one_errback,
            target: Some(target),
        }));
        let consume_errors = self.consume_errors;
        for (index, deferred) in self.deferreds.into_iter().enumerate() {
            let gathering = gathering.clone();
            let _ = deferred.add_both(move |outcome: Result<T, Failure>| {
                let passed_on = match &outcome {
                    Err(failure) if !consume_errors => Err(failure.clone()),
                    _ => Ok(()),
                };
                let firing = gathering.borrow_mut().settle(index, outcome);
                if let Some(firing) = firing {
                    firing.fire();
                }
                passed_on
            });
        }
    }
}

impl<T> fmt::Debug for DeferredList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeferredList")
            .field("deferreds", &self.deferreds.len())
            .field("fire_on_one_errback", &self.fire_on_one_errback)
            .field("consume_errors", &self.consume_errors)
            .finish()
    }
}

/// Waits for every Deferred and fires with their values in order, or fails with a
/// [`FirstError`] as soon as one fails (Twisted's `gatherResults`); fires at once with an
/// empty `Vec` for no Deferreds. `consume_errors` is [`DeferredList::consume_errors`].
/// Cancelling the result before it has fired cancels every input: the first one to fail
/// with [`CancelledError`](crate::error::CancelledError) makes the `FirstError`.
///
/// # Examples
///
/// ```
/// use torsion::defer::{gather_results, Deferred};
///
/// let (a, b) = (Deferred::new(), Deferred::new());
/// let both = gather_results(vec![a.clone(), b.clone()], false);
/// b.callback(2)?;
/// a.callback(1)?;
/// assert_eq!(both.take_result().unwrap()?, [1, 2]);
/// # Ok::<(), torsion::Failure>(())
/// ```
#[track_caller]
pub fn gather_results<T: 'static>(
    deferreds: impl IntoIterator<Item = Deferred<T>>,
    consume_errors: bool,
) -> Deferred<Vec<T>> {
    DeferredList::new(deferreds)
        .fire_on_one_errback(true)
        .consume_errors(consume_errors)
        .results()
        .add_callback(|outcomes| outcomes.into_iter().collect::<Result<Vec<T>, Failure>>())
}

/// A Deferred whose cancel cancels each of `inputs` still around.
#[track_caller]
fn cancelling_all<T: 'static, U: 'static>(inputs: &[Deferred<T>]) -> Deferred<U> {
    // Weak: the inputs' chains hold the list (through its callback), not the other way.
    let chains: Vec<Weak<Chain>> = inputs.iter().map(|d| Rc::downgrade(d.chain())).collect();
    Deferred::with_canceller(move |_| {
        for chain in chains.iter().filter_map(Weak::upgrade) {
            chain.cancel();
        }
    })
}

/// The Deferred the list fires, by what it fires with.
enum Target<T> {
    Results(Deferred<Vec<Result<T, Failure>>>),
    FirstSuccess(Deferred<(T, usize)>),
}

impl<T: 'static> Target<T> {
    fn called(&self) -> bool {
        match self {
            Target::Results(d) => d.called(),
            Target::FirstSuccess(d) => d.called(),
        }
    }
}

/// The results seen so far.
struct Gathering<T> {
    outcomes: Vec<Option<Result<T, Failure>>>,
    unfinished: usize,
    fire_on_one_errback: bool,
    /// `None` once fired.
    target: Option<Target<T>>,
}

/// What to fire, decided under the borrow and done after it (the callbacks it runs may
/// fire other inputs).
enum Firing<T> {
    Results(Deferred<Vec<Result<T, Failure>>>, Vec<Result<T, Failure>>),
    Success(Deferred<(T, usize)>, (T, usize)),
    Failure(Target<T>, Failure),
}

impl<T: 'static> Gathering<T> {
    /// Records input `index`'s outcome; says what to fire if that decides the list.
    fn settle(&mut self, index: usize, outcome: Result<T, Failure>) -> Option<Firing<T>> {
        // Taken for good when the list fires here, or was fired by a cancel.
        let target = self.target.take().filter(|t| !t.called())?;
        match (target, outcome) {
            (Target::FirstSuccess(first), Ok(value)) => {
                Some(Firing::Success(first, (value, index)))
            }
            (target, Err(failure)) if self.fire_on_one_errback => Some(Firing::Failure(
                target,
                Failure::new(FirstError::new(failure, index)),
            )),
            (target, outcome) => {
                self.outcomes[index] = Some(outcome);
                self.unfinished -= 1;
                if self.unfinished > 0 {
                    self.target = Some(target);
                    return None;
                }
                let outcomes = std::mem::take(&mut self.outcomes);
                Some(Gathering::finish(
                    target,
                    outcomes.into_iter().flatten().collect(),
                ))
            }
        }
    }

    /// What to fire once every input has a result and none decided the list before.
    fn finish(target: Target<T>, outcomes: Vec<Result<T, Failure>>) -> Firing<T> {
        match target {
            Target::Results(list) => Firing::Results(list, outcomes),
            first @ Target::FirstSuccess(_) => {
                let failures = outcomes.into_iter().filter_map(Result::err).collect();
                Firing::Failure(first, Failure::new(FailureGroup::new(failures)))
            }
        }
    }
}

impl<T: 'static> Firing<T> {
    #[track_caller]
    fn fire(self) {
        // The target was checked not called: these cannot be AlreadyCalledError.
        let _ = match self {
            Firing::Results(list, outcomes) => list.callback(outcomes),
            Firing::Success(first, found) => first.callback(found),
            Firing::Failure(Target::Results(list), failure) => list.errback(failure),
            Firing::Failure(Target::FirstSuccess(first), failure) => first.errback(failure),
        };
    }
}
