//! [`DelayedCall`]: a handle to a call scheduled with `call_later`.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use super::scheduler::{to_nanos, Nanos, TimeCore, WeakCore};
use crate::error::{AlreadyCalled, AlreadyCancelled};
use crate::Failure;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallState {
    Pending,
    Called,
    Cancelled,
}

/// A scheduled call and its function, in one allocation.
pub(crate) struct PendingCall<F: ?Sized = dyn CallOnce> {
    pub(crate) state: Cell<CallState>,
    pub(crate) when: Cell<Nanos>,
    /// Sequence number of the heap entry that currently stands for this call.
    pub(crate) seq: Cell<Option<u64>>,
    func: F,
}

/// A function that runs at most once, called through a shared reference.
pub(crate) trait CallOnce {
    /// Calls the function, unless it was called or discarded already.
    fn call_once(&self);
    /// Drops the function, and what it captured, without calling it.
    fn discard(&self);
}

struct Once<F>(Cell<Option<F>>);

impl<F: FnOnce()> CallOnce for Once<F> {
    fn call_once(&self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }

    fn discard(&self) {
        drop(self.0.take());
    }
}

impl PendingCall {
    pub(crate) fn new<F: FnOnce() + 'static>(when: Nanos, f: F) -> Rc<PendingCall> {
        Rc::new(PendingCall {
            state: Cell::new(CallState::Pending),
            when: Cell::new(when),
            seq: Cell::new(None),
            func: Once(Cell::new(Some(f))),
        })
    }

    pub(crate) fn is_live(&self, seq: u64) -> bool {
        self.state.get() == CallState::Pending && self.seq.get() == Some(seq)
    }

    /// Marks the call as made and makes it.
    pub(crate) fn fire(&self) {
        self.state.set(CallState::Called);
        self.func.call_once();
    }
}

/// A call scheduled to run later (Twisted's `IDelayedCall`).
///
/// Returned by [`call_later`](super::ReactorTime::call_later). Dropping the handle does not
/// cancel the call. The handle may outlive its scheduler: then the call is inactive and
/// every change is refused.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use torsion::testing::Clock;
/// use torsion::ReactorTime;
///
/// let clock = Clock::new();
/// let call = clock.call_later(Duration::from_secs(5), || println!("later"));
/// call.delay(Duration::from_secs(1)).unwrap();
/// assert_eq!(call.get_time(), 6.0);
/// call.cancel().unwrap();
/// assert!(!call.active());
/// ```
#[derive(Clone)]
pub struct DelayedCall {
    core: WeakCore,
    call: Rc<PendingCall>,
}

impl DelayedCall {
    pub(crate) fn new(core: WeakCore, call: Rc<PendingCall>) -> DelayedCall {
        DelayedCall { core, call }
    }

    /// Whether the call has neither run nor been cancelled.
    pub fn active(&self) -> bool {
        self.call.state.get() == CallState::Pending && self.core.strong_count() > 0
    }

    /// When the call is due, in the seconds of its clock.
    pub fn get_time(&self) -> f64 {
        match self.core.upgrade() {
            Some(core) => core.nanos_to_seconds(self.call.when.get()),
            None => f64::NAN,
        }
    }

    /// Cancels the call: it will not run, and what it captured is dropped now.
    ///
    /// # Errors
    ///
    /// [`AlreadyCalled`] if it ran, [`AlreadyCancelled`] if it was cancelled.
    pub fn cancel(&self) -> Result<(), Failure> {
        let core = self.live_core()?;
        self.call.state.set(CallState::Cancelled);
        self.call.func.discard();
        core.forget();
        Ok(())
    }

    /// Reschedules the call to run `delay` from now.
    ///
    /// # Errors
    ///
    /// As [`cancel`](DelayedCall::cancel).
    pub fn reset(&self, delay: Duration) -> Result<(), Failure> {
        let core = self.live_core()?;
        self.call
            .when
            .set(core.now().saturating_add(to_nanos(delay)));
        core.push(&self.call);
        Ok(())
    }

    /// Postpones the call by `by` beyond its current deadline.
    ///
    /// # Errors
    ///
    /// As [`cancel`](DelayedCall::cancel).
    pub fn delay(&self, by: Duration) -> Result<(), Failure> {
        let core = self.live_core()?;
        self.call
            .when
            .set(self.call.when.get().saturating_add(to_nanos(by)));
        core.push(&self.call);
        Ok(())
    }

    fn live_core(&self) -> Result<Rc<TimeCore>, Failure> {
        match self.call.state.get() {
            CallState::Called => Err(Failure::new(AlreadyCalled)),
            CallState::Cancelled => Err(Failure::new(AlreadyCancelled)),
            CallState::Pending => self
                .core
                .upgrade()
                .ok_or_else(|| Failure::new(AlreadyCancelled)),
        }
    }
}

impl fmt::Debug for DelayedCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DelayedCall")
            .field("time", &self.get_time())
            .field("state", &self.call.state.get())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::Clock;
    use crate::ReactorTime;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;

    type Log = Rc<RefCell<Vec<&'static str>>>;

    fn recorder() -> (Log, impl Fn(&'static str) -> Box<dyn FnOnce()>) {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        (log, move |name| {
            let l = l.clone();
            Box::new(move || l.borrow_mut().push(name))
        })
    }

    #[test]
    fn calls_run_in_deadline_then_schedule_order() {
        let clock = Clock::new();
        let (log, rec) = recorder();
        clock.call_later(Duration::from_secs(2), rec("b"));
        clock.call_later(Duration::from_secs(1), rec("a"));
        clock.call_later(Duration::from_secs(2), rec("c"));
        clock.advance(Duration::from_millis(1999));
        assert_eq!(*log.borrow(), ["a"]);
        clock.advance(Duration::from_millis(1));
        assert_eq!(*log.borrow(), ["a", "b", "c"]);
    }

    #[test]
    fn cancel_stops_the_call_and_refuses_twice() {
        let clock = Clock::new();
        let (log, rec) = recorder();
        let call = clock.call_later(Duration::from_secs(1), rec("x"));
        assert!(call.active());
        call.cancel().unwrap();
        assert!(!call.active());
        clock.advance(Duration::from_secs(2));
        assert!(log.borrow().is_empty());
        let err = call.cancel().unwrap_err();
        assert!(err.check::<crate::error::AlreadyCancelled>());
    }

    #[test]
    fn cancel_after_call_is_already_called() {
        let clock = Clock::new();
        let call = clock.call_later(Duration::ZERO, || {});
        clock.advance(Duration::ZERO);
        assert!(call
            .cancel()
            .unwrap_err()
            .check::<crate::error::AlreadyCalled>());
        assert!(call.reset(Duration::from_secs(1)).is_err());
    }

    #[test]
    fn reset_and_delay_move_the_deadline() {
        let clock = Clock::new();
        let (log, rec) = recorder();
        let call = clock.call_later(Duration::from_secs(10), rec("x"));
        clock.advance(Duration::from_secs(4));
        call.reset(Duration::from_secs(2)).unwrap();
        assert_eq!(call.get_time(), 6.0);
        call.delay(Duration::from_secs(3)).unwrap();
        assert_eq!(call.get_time(), 9.0);
        clock.advance(Duration::from_secs(4));
        assert!(log.borrow().is_empty());
        clock.advance(Duration::from_secs(1));
        assert_eq!(*log.borrow(), ["x"]);
        assert_eq!(clock.get_delayed_calls().len(), 0);
    }

    #[test]
    fn cancel_drops_what_the_call_captured() {
        let clock = Clock::new();
        let held = Rc::new(());
        let h = held.clone();
        let call = clock.call_later(Duration::from_secs(1), move || drop(h));
        assert_eq!(Rc::strong_count(&held), 2);
        call.cancel().unwrap();
        assert_eq!(Rc::strong_count(&held), 1);
    }

    #[test]
    fn a_panicking_call_does_not_stop_the_others() {
        let clock = Clock::new();
        let (log, rec) = recorder();
        clock.call_later(Duration::ZERO, || panic!("timer boom"));
        clock.call_later(Duration::ZERO, rec("after"));
        clock.advance(Duration::ZERO);
        assert_eq!(*log.borrow(), ["after"]);
    }
}
