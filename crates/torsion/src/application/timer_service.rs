//! [`TimerService`]: call a function every interval while running (Twisted's
//! `internet.TimerService`).

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use super::Service;
use crate::defer::Deferred;
use crate::time::{LoopingCall, ReactorTime};

/// Calls a function every `interval` while running, on a [`LoopingCall`]: the first call
/// inside [`start_service`](Service::start_service), the next ones on the grid after it
/// (Twisted's `TimerService`). [`stop_service`](Service::stop_service) cancels the loop
/// and its Deferred fires at once. A panic in the function stops the loop and is logged
/// (the service still counts as running until stopped, as Twisted's does).
///
/// # Examples
///
/// ```
/// use std::{cell::Cell, rc::Rc, time::Duration};
/// use torsion::application::{Service, TimerService};
/// use torsion::testing::Clock;
///
/// let clock = Clock::new();
/// let ticks = Rc::new(Cell::new(0));
/// let t = ticks.clone();
/// let timer = TimerService::new(&clock, Duration::from_secs(10), move || t.set(t.get() + 1));
/// timer.start_service();
/// clock.advance(Duration::from_secs(10));
/// clock.advance(Duration::from_secs(10));
/// assert_eq!(ticks.get(), 3);
/// assert!(timer.stop_service().called());
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(ticks.get(), 3);
/// ```
#[derive(Clone)]
pub struct TimerService {
    interval: Duration,
    call: LoopingCall,
    running: Rc<Cell<bool>>,
}

impl TimerService {
    /// A stopped service that will call `f` every `interval` on `clock`'s time.
    pub fn new(clock: &impl ReactorTime, interval: Duration, f: impl FnMut() + 'static) -> Self {
        TimerService {
            interval,
            call: LoopingCall::new(clock, f),
            running: Rc::default(),
        }
    }

    /// The interval between calls.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

impl Service for TimerService {
    fn start_service(&self) {
        if !self.running.replace(true) {
            self.call.start(self.interval, true);
        }
    }

    fn stop_service(&self) -> Deferred<()> {
        self.running.set(false);
        self.call.stop();
        Deferred::succeed(())
    }

    fn running(&self) -> bool {
        self.running.get()
    }
}

impl fmt::Debug for TimerService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerService")
            .field("interval", &self.interval)
            .field("running", &self.running.get())
            .field("looping", &self.call.running())
            .finish()
    }
}
