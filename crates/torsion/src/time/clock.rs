//! [`Clock`]: a fake clock for tests, driving the same timer queue the reactor uses.

use std::time::Duration;

use super::scheduler::{ReactorTime, Scheduler, TimeCore};
use super::DelayedCall;

/// A clock that moves only when told to (Twisted's `task.Clock`).
///
/// It starts at zero seconds. [`advance`](Clock::advance) moves time forward and runs every
/// call that has come due, including calls those calls schedule if they are due too. Hand
/// it to anything that takes a [`ReactorTime`] so a test never sleeps.
///
/// # Examples
///
/// ```
/// use std::{cell::Cell, rc::Rc, time::Duration};
/// use torsion::{testing::Clock, ReactorTime};
///
/// let clock = Clock::new();
/// let fired = Rc::new(Cell::new(false));
/// let f = fired.clone();
/// clock.call_later(Duration::from_secs(3), move || f.set(true));
/// clock.advance(Duration::from_secs(2));
/// assert!(!fired.get());
/// clock.advance(Duration::from_secs(1));
/// assert!(fired.get());
/// assert_eq!(clock.seconds(), 3.0);
/// ```
#[derive(Clone, Debug)]
pub struct Clock {
    scheduler: Scheduler,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

impl Clock {
    /// A clock at zero seconds with nothing scheduled.
    pub fn new() -> Clock {
        Clock {
            scheduler: Scheduler::fake(),
        }
    }

    /// Moves time forward by `by` and runs every call now due, in deadline order.
    pub fn advance(&self, by: Duration) {
        let core = &self.scheduler.core;
        core.advance(by);
        while core.next_deadline().is_some_and(|when| when <= core.now()) {
            core.run_due(false);
        }
        crate::defer::executor::run_pass();
    }

    /// Advances by zero, then by each of `steps` in turn (Twisted's `Clock.pump`).
    pub fn pump(&self, steps: &[Duration]) {
        self.advance(Duration::ZERO);
        for step in steps {
            self.advance(*step);
        }
    }

    /// Every call scheduled and still pending, in no particular order.
    pub fn get_delayed_calls(&self) -> Vec<DelayedCall> {
        TimeCore::pending(&self.scheduler.core)
    }
}

impl ReactorTime for Clock {
    fn scheduler(&self) -> Scheduler {
        self.scheduler.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn calls_scheduled_by_due_calls_run_if_due() {
        let clock = Clock::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let (c, l) = (clock.clone(), log.clone());
        clock.call_later(Duration::from_secs(1), move || {
            l.borrow_mut().push(1);
            let l2 = l.clone();
            c.call_later(Duration::ZERO, move || l2.borrow_mut().push(2));
        });
        clock.advance(Duration::from_secs(1));
        assert_eq!(*log.borrow(), [1, 2]);
    }

    #[test]
    fn pump_advances_step_by_step() {
        let clock = Clock::new();
        let seen = Rc::new(RefCell::new(Vec::new()));
        for secs in [1u64, 3] {
            let (c, s) = (clock.clone(), seen.clone());
            clock.call_later(Duration::from_secs(secs), move || {
                s.borrow_mut().push(c.seconds())
            });
        }
        clock.pump(&[Duration::from_secs(2), Duration::from_secs(2)]);
        assert_eq!(*seen.borrow(), [2.0, 4.0]);
        assert!(clock.get_delayed_calls().is_empty());
    }
}
