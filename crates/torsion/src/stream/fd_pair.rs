//! [`FdPair`]: a stream over one or two descriptors of any kind that reads and writes
//! (pipes, terminals, files, a socket handed over as a descriptor).

use std::any::Any;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use super::flags;
use super::source::{Polled, StreamSource};
use crate::transport::unsupported;

/// One descriptor to read and another (or the same) to write.
pub(crate) struct FdPair {
    read: OwnedFd,
    /// `None` when writes go to `read` too; `None` again once writing is shut down.
    write: Option<OwnedFd>,
    /// Whether `write` was given (and so is a descriptor of its own).
    split: bool,
    write_polled: bool,
    /// Dropped when the stream closes (or is dropped), after its descriptors stop being
    /// polled: what must be undone then, such as [`crate::stdio`]'s mode restore.
    on_close: Option<Box<dyn Any>>,
}

impl FdPair {
    /// A stream reading `read` and writing `write` (`None`: write to `read` too).
    pub(crate) fn new(read: OwnedFd, write: Option<OwnedFd>) -> FdPair {
        let split = write.is_some();
        FdPair {
            read,
            write,
            split,
            write_polled: false,
            on_close: None,
        }
    }

    /// Keeps `guard` until the stream closes, then drops it (before the descriptors close).
    pub(crate) fn drop_on_close(mut self, guard: Box<dyn Any>) -> FdPair {
        self.on_close = Some(guard);
        self
    }
}

/// Whether epoll said it cannot poll this kind of descriptor (a regular file, a directory).
fn refused_by_epoll(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::EPERM)
}

fn is_terminal(fd: RawFd) -> bool {
    // SAFETY: `isatty` only inspects the descriptor number; any value is allowed.
    unsafe { libc::isatty(fd) == 1 }
}

impl StreamSource for FdPair {
    fn read_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    fn write_fd(&self) -> RawFd {
        match &self.write {
            Some(fd) => fd.as_raw_fd(),
            None if self.split => -1,
            None => self.read.as_raw_fd(),
        }
    }

    fn kind_flags(&self) -> u32 {
        if is_terminal(self.read.as_raw_fd()) {
            flags::READ_TO_EAGAIN
        } else {
            0
        }
    }

    fn register(&mut self, registry: &Registry, token: Token) -> io::Result<Polled> {
        let read = self.read.as_raw_fd();
        let read_interest = if self.split {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
        };
        let polled = match registry.register(&mut SourceFd(&read), token, read_interest) {
            Ok(()) => Polled::Yes,
            Err(err) if refused_by_epoll(&err) => Polled::ReadAlwaysReady,
            Err(err) => return Err(err),
        };
        if let Some(write) = &self.write {
            let fd = write.as_raw_fd();
            match registry.register(&mut SourceFd(&fd), token, Interest::WRITABLE) {
                Ok(()) => self.write_polled = true,
                // Always writable: a write to a file never meets EAGAIN.
                Err(err) if refused_by_epoll(&err) => {}
                Err(err) => {
                    if polled == Polled::Yes {
                        let _ = registry.deregister(&mut SourceFd(&read));
                    }
                    return Err(err);
                }
            }
        }
        Ok(polled)
    }

    fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut SourceFd(&self.read.as_raw_fd()));
        if let Some(write) = &self.write {
            if self.write_polled {
                let _ = registry.deregister(&mut SourceFd(&write.as_raw_fd()));
            }
        }
    }

    fn shutdown_write(&mut self, registry: &Registry) -> io::Result<()> {
        if !self.split {
            // One descriptor both ways: only a socket can close one direction.
            let fd = self.read.as_raw_fd();
            // SAFETY: `fd` is open (owned by `self.read`); `shutdown` on a descriptor that
            // is not a socket fails with ENOTSOCK and changes nothing.
            if unsafe { libc::shutdown(fd, libc::SHUT_WR) } == 0 {
                return Ok(());
            }
            let err = io::Error::last_os_error();
            return Err(if err.raw_os_error() == Some(libc::ENOTSOCK) {
                unsupported("half-closing a descriptor used both ways")
            } else {
                err
            });
        }
        if let Some(write) = self.write.take() {
            if self.write_polled {
                let _ = registry.deregister(&mut SourceFd(&write.as_raw_fd()));
                self.write_polled = false;
            }
        }
        Ok(())
    }

    fn close(mut self: Box<Self>, _reset: bool) {
        drop(self.on_close.take());
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
