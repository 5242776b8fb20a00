//! [`ModeGuard`]: puts descriptors back the way the program found them (blocking mode,
//! terminal settings) when it is dropped.
//!
//! `O_NONBLOCK` and a terminal's settings belong to the open file description, which the
//! shell that started the program shares: a program that leaves its terminal non-blocking
//! breaks the shell's next read. The guard keeps its own duplicate of each descriptor, so
//! it can restore them whenever it is dropped, whoever closed the others.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// What one descriptor looked like when the guard was made.
struct Saved {
    fd: OwnedFd,
    nonblocking: bool,
    termios: Option<libc::termios>,
}

/// Restores the blocking mode and the terminal settings of some descriptors on drop.
pub(crate) struct ModeGuard {
    saved: Vec<Saved>,
}

impl ModeGuard {
    /// Records the state of every descriptor in `fds` before anything changes it.
    ///
    /// # Errors
    ///
    /// The OS error if a descriptor cannot be duplicated or its flags read.
    pub(crate) fn capture(fds: &[BorrowedFd<'_>]) -> io::Result<ModeGuard> {
        let saved = fds
            .iter()
            .map(|fd| {
                Ok(Saved {
                    nonblocking: status_flags(fd.as_fd())? & libc::O_NONBLOCK != 0,
                    termios: terminal_settings(fd.as_fd()),
                    fd: fd.try_clone_to_owned()?,
                })
            })
            .collect::<io::Result<Vec<_>>>()?;
        Ok(ModeGuard { saved })
    }

    /// Puts every descriptor back as it was captured; what fails is logged.
    fn restore(&self) {
        // In reverse, so a description captured twice ends as it was first seen.
        for saved in self.saved.iter().rev() {
            let fd = saved.fd.as_fd();
            if let Err(err) = set_nonblocking(fd, saved.nonblocking) {
                tracing::warn!(%err, fd = fd.as_raw_fd(), "could not restore the blocking mode");
            }
            if let Some(before) = &saved.termios {
                let changed = terminal_settings(fd).is_some_and(|now| !same_settings(&now, before));
                // SAFETY: `fd` is open (owned by the guard) and `before` is a termios the
                // kernel filled in for this terminal.
                if changed && unsafe { libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, before) } != 0
                {
                    let err = io::Error::last_os_error();
                    tracing::warn!(%err, "could not restore the terminal settings");
                }
            }
        }
    }
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        self.restore();
    }
}

fn status_flags(fd: BorrowedFd<'_>) -> io::Result<libc::c_int> {
    // SAFETY: `fd` is open for the borrow; F_GETFL only reads its status flags.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(flags)
}

fn set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<()> {
    let flags = status_flags(fd)?;
    let wanted = if nonblocking {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    // SAFETY: `fd` is open for the borrow; F_SETFL only changes its status flags.
    if wanted != flags && unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, wanted) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The terminal's settings, or `None` if `fd` is not a terminal.
fn terminal_settings(fd: BorrowedFd<'_>) -> Option<libc::termios> {
    // SAFETY: `termios` is plain data, valid when zeroed; `tcgetattr` fills it in for an
    // open descriptor and fails (ENOTTY) for anything but a terminal.
    unsafe {
        let mut settings: libc::termios = std::mem::zeroed();
        (libc::tcgetattr(fd.as_raw_fd(), &mut settings) == 0).then_some(settings)
    }
}

fn same_settings(a: &libc::termios, b: &libc::termios) -> bool {
    a.c_iflag == b.c_iflag
        && a.c_oflag == b.c_oflag
        && a.c_cflag == b.c_cflag
        && a.c_lflag == b.c_lflag
        && a.c_cc == b.c_cc
}
