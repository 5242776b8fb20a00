//! Opening a pseudo-terminal for a child (`use_pty`).

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// Opens a pseudo-terminal: `(master, slave)`, both close-on-exec.
///
/// # Errors
///
/// The OS error of `openpty` or `fcntl`.
pub(crate) fn open_pty() -> io::Result<(OwnedFd, OwnedFd)> {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: `master` and `slave` are valid places for the two descriptors; the name,
    // termios and window size are not asked for (null).
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `openpty` succeeded: both descriptors are new and ours alone.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    for fd in [&master, &slave] {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is open (owned above); F_SETFD only sets its flag.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok((master, slave))
}
