//! [`Reaper`]: waits for a child's exit without blocking the loop: the child's `pidfd`
//! (Linux 5.3 and later) is polled as a raw descriptor, and `waitpid(WNOHANG)` reaps the
//! child once it is readable, so no zombie is left while the reactor runs.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::rc::Rc;

use super::host::ProcessEvents;
use crate::error::ConnectionDone;
use crate::{Failure, FileDescriptor};

/// Opens a pidfd for `pid` (close-on-exec).
///
/// # Errors
///
/// The OS error of `pidfd_open` (`ENOSYS` before Linux 5.3).
pub(crate) fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::ESRCH))?;
    // SAFETY: `pidfd_open` takes a pid and flags (0) and returns a new descriptor or -1;
    // no memory is passed.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = RawFd::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: the kernel just returned `fd`, a new descriptor nobody else owns (pidfds
    // are close-on-exec).
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Reaps `pid` if it has exited: `Some(status)` (`-1` if another part of the program
/// reaped it first), `None` while it runs.
pub(crate) fn try_reap(pid: u32) -> Option<i32> {
    let pid = libc::pid_t::try_from(pid).ok()?;
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid place for the status; WNOHANG never blocks.
        let got = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if got == pid {
            return Some(status);
        }
        if got == 0 {
            return None;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            tracing::warn!(pid, %err, "waitpid failed: the child's status is lost");
            return Some(-1);
        }
    }
}

/// Kills a child that must not go on (its start failed half-way) and reaps it.
pub(crate) fn kill_and_reap(pid: u32) {
    let Ok(raw) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: `raw` is our unreaped child; SIGKILL then a blocking `waitpid` for it alone
    // (SIGKILL cannot be caught, so the wait is short).
    unsafe {
        libc::kill(raw, libc::SIGKILL);
        let mut status = 0;
        while libc::waitpid(raw, &mut status, 0) < 0
            && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
        {}
    }
}

/// The reactor's raw reader of a child's pidfd.
pub(crate) struct Reaper {
    pid: u32,
    pidfd: OwnedFd,
    host: Rc<dyn ProcessEvents>,
}

impl Reaper {
    pub(crate) fn new(pid: u32, pidfd: OwnedFd, host: Rc<dyn ProcessEvents>) -> Reaper {
        Reaper { pid, pidfd, host }
    }
}

impl FileDescriptor for Reaper {
    fn fileno(&self) -> RawFd {
        self.pidfd.as_raw_fd()
    }

    /// The pidfd is readable once the child has exited: reap it, tell the protocol, and
    /// leave the reactor (the error removes this descriptor; it is not a failure).
    fn do_read(&mut self) -> Result<(), Failure> {
        match try_reap(self.pid) {
            Some(status) => {
                self.host.reaped(status);
                Err(Failure::new(ConnectionDone))
            }
            None => Ok(()),
        }
    }

    fn log_prefix(&self) -> String {
        format!("pidfd of {}", self.pid)
    }
}
