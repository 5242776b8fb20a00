//! Deferreds on a clock: [`defer_later`], [`sleep`] and [`Deferred::add_timeout`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use super::{Deferred, IntoNext};
use crate::error::{CancelledError, TimeoutError};
use crate::time::{DelayedCall, ReactorTime};
use crate::Failure;

/// Calls `f` after `delay` on `time`'s clock and gives its result as a Deferred (Twisted's
/// `task.deferLater`). Cancelling the Deferred before then cancels the call: `f` never runs
/// and the Deferred fails with [`CancelledError`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use torsion::{defer::defer_later, testing::Clock};
///
/// let clock = Clock::new();
/// let d = defer_later(&clock, Duration::from_secs(2), || Ok("done"));
/// clock.advance(Duration::from_secs(1));
/// assert!(!d.called());
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(d.take_result().unwrap()?, "done");
/// # Ok::<(), torsion::Failure>(())
/// ```
#[track_caller]
pub fn defer_later<R: IntoNext>(
    time: &impl ReactorTime,
    delay: Duration,
    f: impl FnOnce() -> R + 'static,
) -> Deferred<R::Output> {
    let call: Rc<RefCell<Option<DelayedCall>>> = Rc::default();
    let for_cancel = call.clone();
    let d: Deferred<()> = Deferred::with_canceller(move |_| {
        if let Some(call) = for_cancel.borrow_mut().take() {
            let _ = call.cancel();
        }
    });
    let fire = d.clone();
    *call.borrow_mut() = Some(time.call_later(delay, move || {
        let _ = fire.callback(());
    }));
    d.add_callback(move |()| f())
}

/// A Deferred that fires with `()` after `delay` on `time`'s clock: `sleep(&reactor,
/// delay).await` in a task.
///
/// # Cancel safety
///
/// Dropping the future leaves the timer to fire into nothing; [`Deferred::cancel`] cancels
/// the timer.
#[track_caller]
pub fn sleep(time: &impl ReactorTime, delay: Duration) -> Deferred<()> {
    defer_later(time, delay, || Ok(()))
}

impl<T: 'static> Deferred<T> {
    /// Cancels the Deferred if it has no result after `delay` on `time`'s clock; a
    /// [`CancelledError`] that the timeout caused becomes [`TimeoutError`] (Twisted's
    /// `addTimeout`). The timer is cancelled as soon as the result arrives.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use torsion::{defer::Deferred, error::TimeoutError, testing::Clock};
    ///
    /// let clock = Clock::new();
    /// let d = Deferred::<u32>::new().add_timeout(Duration::from_secs(5), &clock);
    /// clock.advance(Duration::from_secs(5));
    /// assert!(d.take_result().unwrap().unwrap_err().check::<TimeoutError>());
    /// ```
    #[track_caller]
    pub fn add_timeout(self, delay: Duration, time: &impl ReactorTime) -> Deferred<T> {
        let timed_out = Rc::new(Cell::new(false));
        let (flag, target) = (timed_out.clone(), self.clone());
        let call = time.call_later(delay, move || {
            flag.set(true);
            target.cancel();
        });
        self.add_both(move |outcome: Result<T, Failure>| {
            if call.active() {
                let _ = call.cancel();
            }
            match outcome {
                Err(failure) if timed_out.get() && failure.check::<CancelledError>() => {
                    Err(Failure::new(TimeoutError))
                }
                other => other,
            }
        })
    }
}
