//! The errors of the Deferred helpers: [`FirstError`] and [`FailureGroup`] from
//! [`DeferredList`](super::DeferredList), [`QueueOverflow`] and [`QueueUnderflow`] from
//! [`DeferredQueue`](super::DeferredQueue).

use std::error::Error;
use std::fmt;

use crate::Failure;

/// The first failure among a list's Deferreds, with its position (Twisted's `FirstError`).
///
/// A [`DeferredList`](super::DeferredList) told to
/// [`fire_on_one_errback`](super::DeferredList::fire_on_one_errback), and
/// [`gather_results`](super::gather_results), fail with this as soon as one input fails.
///
/// # Examples
///
/// ```
/// use torsion::defer::{gather_results, Deferred, FirstError};
/// use torsion::Failure;
///
/// let bad = Failure::new(std::io::Error::other("refused"));
/// let all = gather_results(vec![Deferred::succeed(1), Deferred::fail(bad)], true);
/// let failure = all.take_result().unwrap().unwrap_err();
/// let first = failure.downcast_ref::<FirstError>().unwrap();
/// assert_eq!(first.index(), 1);
/// assert_eq!(first.failure().get_error_message(), "refused");
/// ```
#[derive(Debug, Clone)]
pub struct FirstError {
    failure: Failure,
    index: usize,
}

impl FirstError {
    pub(super) fn new(failure: Failure, index: usize) -> FirstError {
        FirstError { failure, index }
    }

    /// The failure of the Deferred that failed first (Twisted's `subFailure`).
    pub fn failure(&self) -> &Failure {
        &self.failure
    }

    /// That Deferred's position in the list given.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl fmt::Display for FirstError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Deferred #{} of the list failed first: {}",
            self.index, self.failure
        )
    }
}

impl Error for FirstError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.failure)
    }
}

/// Every Deferred of a list failed, so none could be the first success: the failures, in
/// the list's order (the name is Twisted's, for its "more than one failure" error).
///
/// [`DeferredList::first_success`](super::DeferredList::first_success) fails with this when
/// no input succeeds (at once for an empty list).
#[derive(Debug, Clone)]
pub struct FailureGroup {
    failures: Vec<Failure>,
}

impl FailureGroup {
    pub(super) fn new(failures: Vec<Failure>) -> FailureGroup {
        FailureGroup { failures }
    }

    /// The failures, one per Deferred of the list, in its order.
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }
}

impl fmt::Display for FailureGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "All {} Deferreds of the list failed",
            self.failures.len()
        )?;
        match self.failures.first() {
            Some(first) => write!(f, "; the first: {first}"),
            None => f.write_str("."),
        }
    }
}

impl Error for FailureGroup {}

/// [`DeferredQueue::put`](super::DeferredQueue::put) on a queue already holding its `size`
/// of values, with nobody waiting (Twisted's `QueueOverflow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueOverflow;

impl fmt::Display for QueueOverflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("The queue is full.")
    }
}

impl Error for QueueOverflow {}

/// [`DeferredQueue::get`](super::DeferredQueue::get) on an empty queue that already has its
/// `backlog` of waiting gets (Twisted's `QueueUnderflow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueUnderflow;

impl fmt::Display for QueueUnderflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Too many gets are already waiting on the queue.")
    }
}

impl Error for QueueUnderflow {}
