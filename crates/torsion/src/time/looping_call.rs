//! [`LoopingCall`]: call a function every interval (Twisted's `task.LoopingCall`).

use std::cell::RefCell;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use super::scheduler::{to_nanos, Nanos, ReactorTime, Scheduler};
use super::DelayedCall;
use crate::Failure;

/// Calls a function every `interval` until stopped.
///
/// Calls are kept on the grid `start + k * interval`: a call that runs late does not push
/// the later ones back, and if the loop falls more than one interval behind, the skipped
/// intervals are not made up but counted (see [`with_count`](LoopingCall::with_count)),
/// as Twisted does. A panic in the function stops the loop and is logged.
///
/// # Examples
///
/// ```
/// use std::{cell::Cell, rc::Rc, time::Duration};
/// use torsion::{testing::Clock, LoopingCall};
///
/// let clock = Clock::new();
/// let ticks = Rc::new(Cell::new(0));
/// let t = ticks.clone();
/// let lc = LoopingCall::new(&clock, move || t.set(t.get() + 1));
/// lc.start(Duration::from_secs(1), true);
/// assert_eq!(ticks.get(), 1); // `now = true` calls at once
/// clock.advance(Duration::from_secs(3));
/// assert_eq!(ticks.get(), 2); // one late call, two intervals skipped
/// lc.stop();
/// ```
#[derive(Clone)]
pub struct LoopingCall {
    inner: Rc<Inner>,
}

struct Inner {
    scheduler: Scheduler,
    func: RefCell<Box<dyn FnMut(u64)>>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    running: bool,
    interval: Nanos,
    start: Nanos,
    last_index: u64,
    call: Option<DelayedCall>,
}

impl LoopingCall {
    /// A loop that calls `f` on `clock`'s time; it does nothing until [`start`](LoopingCall::start).
    pub fn new(clock: &impl ReactorTime, mut f: impl FnMut() + 'static) -> LoopingCall {
        LoopingCall::with_count(clock, move |_| f())
    }

    /// Like [`new`](LoopingCall::new), but `f` is told how many intervals passed since its
    /// last call: 1 when on time, more when the loop fell behind.
    pub fn with_count(clock: &impl ReactorTime, f: impl FnMut(u64) + 'static) -> LoopingCall {
        LoopingCall {
            inner: Rc::new(Inner {
                scheduler: clock.scheduler(),
                func: RefCell::new(Box::new(f)),
                state: RefCell::new(State::default()),
            }),
        }
    }

    /// Starts calling every `interval`; with `now`, the first call happens inside `start`.
    ///
    /// Starting a loop that is running restarts it from now.
    pub fn start(&self, interval: Duration, now: bool) {
        self.stop();
        {
            let mut st = self.inner.state.borrow_mut();
            st.running = true;
            st.interval = to_nanos(interval);
            st.start = self.inner.scheduler.core.now();
            st.last_index = 0;
        }
        if now {
            Inner::run(&self.inner, 1, 0);
        } else {
            Inner::schedule(&self.inner, 0);
        }
    }

    /// Stops the loop; a call in progress finishes, no further call happens.
    pub fn stop(&self) {
        let mut st = self.inner.state.borrow_mut();
        st.running = false;
        if let Some(call) = st.call.take() {
            let _ = call.cancel();
        }
    }

    /// Whether the loop is started and not stopped.
    pub fn running(&self) -> bool {
        self.inner.state.borrow().running
    }
}

impl Inner {
    fn tick(this: &Rc<Inner>) {
        let (count, index) = {
            let mut st = this.state.borrow_mut();
            st.call = None;
            if !st.running {
                return;
            }
            let elapsed = this.scheduler.core.now().saturating_sub(st.start);
            let index = elapsed
                .checked_div(st.interval)
                .unwrap_or(st.last_index + 1);
            let count = index.saturating_sub(st.last_index).max(1);
            (count, index)
        };
        Inner::run(this, count, index);
    }

    fn run(this: &Rc<Inner>, count: u64, index: u64) {
        this.state.borrow_mut().last_index = index;
        let result = {
            let mut f = this.func.borrow_mut();
            catch_unwind(AssertUnwindSafe(|| (*f)(count)))
        };
        if let Err(payload) = result {
            let failure = Failure::from_panic("LoopingCall", payload);
            tracing::error!(%failure, "a looping call panicked; the loop is stopped");
            this.state.borrow_mut().running = false;
            return;
        }
        if this.state.borrow().running {
            Inner::schedule(this, index);
        }
    }

    fn schedule(this: &Rc<Inner>, index: u64) {
        let mut st = this.state.borrow_mut();
        let now = this.scheduler.core.now();
        let next = st
            .start
            .saturating_add(st.interval.saturating_mul(index + 1));
        let delay = Duration::from_nanos(next.saturating_sub(now));
        let me = this.clone();
        st.call = Some(this.scheduler.call_later(delay, move || Inner::tick(&me)));
    }
}

impl fmt::Debug for LoopingCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.state.borrow();
        f.debug_struct("LoopingCall")
            .field("running", &st.running)
            .field("interval", &Duration::from_nanos(st.interval))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Clock;
    use std::cell::Cell;

    type Calls = Rc<RefCell<Vec<(f64, u64)>>>;

    fn counting(clock: &Clock) -> (LoopingCall, Calls) {
        let log = Rc::new(RefCell::new(Vec::new()));
        let (l, c) = (log.clone(), clock.clone());
        let lc = LoopingCall::with_count(clock, move |n| l.borrow_mut().push((c.seconds(), n)));
        (lc, log)
    }

    #[test]
    fn runs_on_the_interval_grid() {
        let clock = Clock::new();
        let (lc, log) = counting(&clock);
        lc.start(Duration::from_secs(2), false);
        assert!(log.borrow().is_empty());
        clock.pump(&[Duration::from_secs(2), Duration::from_secs(2)]);
        assert_eq!(*log.borrow(), [(2.0, 1), (4.0, 1)]);
    }

    #[test]
    fn late_calls_keep_the_grid_and_count_skipped_intervals() {
        let clock = Clock::new();
        let (lc, log) = counting(&clock);
        lc.start(Duration::from_secs(1), true);
        clock.advance(Duration::from_millis(3500));
        assert_eq!(*log.borrow(), [(0.0, 1), (3.5, 3)]);
        clock.advance(Duration::from_millis(500));
        assert_eq!(log.borrow().last(), Some(&(4.0, 1)));
    }

    #[test]
    fn stop_cancels_the_pending_call() {
        let clock = Clock::new();
        let (lc, log) = counting(&clock);
        lc.start(Duration::from_secs(1), true);
        lc.stop();
        assert!(!lc.running());
        clock.advance(Duration::from_secs(5));
        assert_eq!(log.borrow().len(), 1);
        assert!(clock.get_delayed_calls().is_empty());
    }

    #[test]
    fn stop_from_inside_the_function() {
        let clock = Clock::new();
        let n = Rc::new(Cell::new(0));
        let slot: Rc<RefCell<Option<LoopingCall>>> = Rc::default();
        let (n2, s2) = (n.clone(), slot.clone());
        let lc = LoopingCall::new(&clock, move || {
            n2.set(n2.get() + 1);
            if n2.get() == 3 {
                s2.borrow().as_ref().unwrap().stop();
            }
        });
        *slot.borrow_mut() = Some(lc.clone());
        lc.start(Duration::from_secs(1), true);
        clock.pump(&[Duration::from_secs(1); 5]);
        assert_eq!(n.get(), 3);
        assert!(!lc.running());
        slot.borrow_mut().take();
    }

    #[test]
    fn a_panic_stops_the_loop() {
        let clock = Clock::new();
        let lc = LoopingCall::new(&clock, || panic!("loop boom"));
        lc.start(Duration::from_secs(1), false);
        clock.advance(Duration::from_secs(1));
        assert!(!lc.running());
        assert!(clock.get_delayed_calls().is_empty());
    }
}
