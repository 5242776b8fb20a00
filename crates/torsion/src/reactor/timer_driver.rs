//! [`TimerDriver`]: the reactor's timer queue and the timerfd that wakes the poll for it.

use std::io;
use std::time::Duration;

use mio::Registry;

use super::timer_fd::TimerFd;
use crate::time::Scheduler;

/// The reactor's clock and timers: how long the poll may wait, and running what is due.
///
/// Invariant: whenever the loop blocks in the poll, the timerfd is armed for the earliest
/// pending call (or the poll's own timeout stands in for it), so no call fires late by
/// more than the OS's wake-up latency.
pub(crate) struct TimerDriver {
    scheduler: Scheduler,
    timer_fd: TimerFd,
}

impl TimerDriver {
    /// # Errors
    ///
    /// The OS error if the timerfd cannot be created or polled.
    pub(crate) fn new(registry: &Registry) -> io::Result<TimerDriver> {
        Ok(TimerDriver {
            scheduler: Scheduler::real(),
            timer_fd: TimerFd::new(registry)?,
        })
    }

    /// The reactor's scheduler (real, monotonic time).
    #[inline(always)]
    pub(crate) fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// How long the poll may block for the next timer: the timerfd wakes it on time, or,
    /// if the timerfd cannot be set, epoll's millisecond timeout does.
    pub(crate) fn poll_timeout(&self) -> Option<Duration> {
        let core = &self.scheduler.core;
        let Some(deadline) = core.next_deadline() else {
            let _ = self.timer_fd.disarm();
            return None;
        };
        let now = core.now();
        if deadline <= now {
            return Some(Duration::ZERO);
        }
        match self.timer_fd.arm(deadline, now) {
            Ok(()) => None,
            Err(_) => Some(Duration::from_nanos(deadline - now)),
        }
    }

    /// The timerfd fired: clear it.
    pub(crate) fn expired(&self) {
        self.timer_fd.expired();
    }

    /// Runs every call that is due.
    pub(crate) fn run_due(&self) {
        self.scheduler.core.run_due(true);
    }

    /// The reactor stopped: pending calls are kept by their handles only (see
    /// [`TimeCore::park`](crate::time::scheduler::TimeCore::park)).
    pub(crate) fn park(&self) {
        self.scheduler.core.park();
    }

    /// The reactor runs again: the parked calls still pending go back in the queue.
    pub(crate) fn unpark(&self) {
        self.scheduler.core.unpark();
    }
}
