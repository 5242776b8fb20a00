//! [`ChildFdPlan`]: the pipes for a child's descriptors, and the set-up that runs in the
//! child between `fork` and `exec` to put each one at its number and close the rest.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::options::ChildFd;

/// `CLOSE_RANGE_CLOEXEC` from `<linux/close_range.h>` (Linux 5.11): mark instead of close.
const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;

/// The parent's end of one pipe, to run on the stream engine.
#[derive(Debug)]
pub(crate) struct ParentEnd {
    /// The child's descriptor number it leads to.
    pub(crate) child_fd: RawFd,
    pub(crate) fd: OwnedFd,
    /// Whether the parent reads it.
    pub(crate) reads: bool,
}

/// Where each of the child's descriptors comes from, and the descriptors the parent keeps.
#[derive(Debug)]
pub(crate) struct ChildFdPlan {
    /// `(descriptor open in the parent and inherited by the fork, the child's number)`.
    moves: Vec<(RawFd, RawFd)>,
    /// The child's ends of the pipes, closed in the parent once the child is started.
    child_ends: Vec<OwnedFd>,
    parent_ends: Vec<ParentEnd>,
    /// The terminal to make the child's controlling terminal, in a new session.
    controlling_tty: Option<RawFd>,
}

/// A pipe, both ends close-on-exec: `(read, write)`.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two descriptors for `pipe2` to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `pipe2` succeeded: both descriptors are new and ours alone.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

impl ChildFdPlan {
    /// Pipes for `child_fds` (Twisted's `childFDs`).
    ///
    /// # Errors
    ///
    /// The OS error if a pipe cannot be made.
    pub(crate) fn pipes(child_fds: &BTreeMap<RawFd, ChildFd>) -> io::Result<ChildFdPlan> {
        let mut plan = ChildFdPlan {
            moves: Vec::new(),
            child_ends: Vec::new(),
            parent_ends: Vec::new(),
            controlling_tty: None,
        };
        for (&child_fd, &what) in child_fds {
            match what {
                ChildFd::Inherit(parent_fd) => plan.moves.push((parent_fd, child_fd)),
                ChildFd::Read | ChildFd::Write => {
                    let (read, write) = pipe()?;
                    let reads = what == ChildFd::Read;
                    let (ours, theirs) = if reads { (read, write) } else { (write, read) };
                    plan.moves.push((theirs.as_raw_fd(), child_fd));
                    plan.child_ends.push(theirs);
                    plan.parent_ends.push(ParentEnd {
                        child_fd,
                        fd: ours,
                        reads,
                    });
                }
            }
        }
        Ok(plan)
    }

    /// The child's stdin, stdout and stderr on a terminal's `slave` side, which becomes its
    /// controlling terminal; the parent keeps `master` under `key`.
    pub(crate) fn terminal(master: OwnedFd, slave: OwnedFd, key: RawFd) -> ChildFdPlan {
        let raw = slave.as_raw_fd();
        ChildFdPlan {
            moves: vec![(raw, 0), (raw, 1), (raw, 2)],
            child_ends: vec![slave],
            parent_ends: vec![ParentEnd {
                child_fd: key,
                fd: master,
                reads: true,
            }],
            controlling_tty: Some(raw),
        }
    }

    /// Keeps every target number above 2 that is free in the parent taken (by a
    /// close-on-exec copy of one of our descriptors) until the returned guard drops, so
    /// the descriptor `std` opens to report a failed `exec` cannot land on a number the
    /// child's set-up overwrites.
    pub(crate) fn reserve_targets(&self) -> Vec<OwnedFd> {
        let Some(&(any_open, _)) = self.moves.first() else {
            return Vec::new();
        };
        let mut held = Vec::new();
        for &(_, target) in self.moves.iter().filter(|&&(_, t)| t > 2) {
            // SAFETY: F_GETFD only asks whether `target` is open.
            let free = unsafe { libc::fcntl(target, libc::F_GETFD) } < 0;
            // SAFETY: `any_open` is open (one of the plan's descriptors); `dup3` onto a
            // free number takes it for us alone.
            if free && unsafe { libc::dup3(any_open, target, libc::O_CLOEXEC) } == target {
                // SAFETY: `target` was just made ours by `dup3`.
                held.push(unsafe { OwnedFd::from_raw_fd(target) });
            }
        }
        held
    }

    /// The set-up to run in the child after `fork`: a new session and controlling
    /// terminal for a pty, each descriptor at its number, every other descriptor marked
    /// close-on-exec. It uses only async-signal-safe calls and allocates nothing.
    pub(crate) fn child_setup(&self) -> impl FnMut() -> io::Result<()> + Send + Sync + 'static {
        let moves = self.moves.clone();
        let tty = self.controlling_tty;
        let floor = moves.iter().map(|&(_, t)| t).max().unwrap_or(2).max(2) + 1;
        let mut copies: Vec<RawFd> = Vec::with_capacity(moves.len());
        move || {
            // SAFETY (each call below): only async-signal-safe system calls on descriptor
            // numbers, in the single-threaded child between fork and exec; `copies` has
            // the capacity for every push, so nothing allocates.
            unsafe {
                if let Some(tty) = tty {
                    if libc::setsid() < 0 || libc::ioctl(tty, libc::TIOCSCTTY, 0) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                // Copies above every target first, so no move overwrites a source.
                copies.clear();
                for &(source, _) in &moves {
                    let copy = libc::fcntl(source, libc::F_DUPFD_CLOEXEC, floor);
                    if copy < 0 {
                        return Err(io::Error::last_os_error());
                    }
                    copies.push(copy);
                }
                for (&copy, &(_, target)) in copies.iter().zip(&moves) {
                    if libc::dup2(copy, target) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                for fd in 0..floor {
                    if !moves.iter().any(|&(_, t)| t == fd) {
                        libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                    }
                }
                // Everything above the targets closes at exec (Linux 5.11; an older
                // kernel leaves only what the program opened without CLOEXEC).
                libc::syscall(
                    libc::SYS_close_range,
                    floor as libc::c_uint,
                    libc::c_uint::MAX,
                    CLOSE_RANGE_CLOEXEC,
                );
            }
            Ok(())
        }
    }

    /// The parent's ends, once the child is started; the child's ends close here.
    pub(crate) fn into_parent_ends(self) -> Vec<ParentEnd> {
        drop(self.child_ends);
        self.parent_ends
    }
}
