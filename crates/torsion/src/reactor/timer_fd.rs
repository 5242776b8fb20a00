//! A timerfd that wakes the poll when the next timer is due, with nanosecond precision
//! (epoll's own timeout counts whole milliseconds, so a 1 ms timer could fire up to 1 ms
//! late).

use std::cell::Cell;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use mio::unix::SourceFd;
use mio::{Interest, Registry};

use super::token::TIMER;
use crate::time::scheduler::Nanos;

pub(crate) struct TimerFd {
    fd: OwnedFd,
    /// The deadline the timerfd is set for, if any.
    armed: Cell<Option<Nanos>>,
}

fn check(result: libc::c_int) -> io::Result<libc::c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

impl TimerFd {
    pub(crate) fn new(registry: &Registry) -> io::Result<TimerFd> {
        // SAFETY: timerfd_create takes no pointers; a non-negative result is a new
        // descriptor that nothing else owns.
        let raw = check(unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        })?;
        // SAFETY: `raw` was just created and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        registry.register(&mut SourceFd(&fd.as_raw_fd()), TIMER, Interest::READABLE)?;
        Ok(TimerFd {
            fd,
            armed: Cell::new(None),
        })
    }

    /// Makes the poll wake at `deadline` (now is `now`); a no-op if already set for it.
    pub(crate) fn arm(&self, deadline: Nanos, now: Nanos) -> io::Result<()> {
        if self.armed.get() == Some(deadline) {
            return Ok(());
        }
        let wait = deadline.saturating_sub(now).max(1);
        self.set(wait)?;
        self.armed.set(Some(deadline));
        Ok(())
    }

    /// Stops the timerfd (no timer pending).
    pub(crate) fn disarm(&self) -> io::Result<()> {
        if self.armed.take().is_some() {
            self.set(0)?;
        }
        Ok(())
    }

    /// Clears the expiry the poll reported.
    pub(crate) fn expired(&self) {
        let mut count = [0u8; 8];
        // SAFETY: reads at most 8 bytes into an 8-byte buffer from our own descriptor.
        let _ = unsafe { libc::read(self.fd.as_raw_fd(), count.as_mut_ptr().cast(), count.len()) };
        self.armed.set(None);
    }

    /// Sets the timer to go off once, `wait` nanoseconds from now (0 disarms it).
    fn set(&self, wait: Nanos) -> io::Result<()> {
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: (wait / 1_000_000_000) as libc::time_t,
                tv_nsec: (wait % 1_000_000_000) as libc::c_long,
            },
        };
        // SAFETY: `spec` is a valid itimerspec for the call's duration; the old value is
        // not asked for (null).
        check(unsafe {
            libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut())
        })?;
        Ok(())
    }
}
