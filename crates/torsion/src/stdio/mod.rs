//! Standard input and output as one transport (Twisted's `twisted.internet.stdio`).
//!
//! [`StandardIO`] runs a [`Protocol`] over the process's standard input (read) and
//! standard output (written), on the same stream engine as a TCP connection: the same
//! write buffer, watermarks and backpressure, the same callback order.
//!
//! # The descriptors
//!
//! - **Duplicates, not the real ones.** The transport works on duplicates of the
//!   descriptors it is given (0 and 1 by default) and closes only those: the real standard
//!   input and output stay open for the rest of the program (as in Twisted, which never
//!   closes them), so `println!` still works after the transport closed. A reader of our
//!   standard output therefore sees its end only when the program exits (or closes
//!   descriptor 1 itself).
//! - **Any kind.** Pipes and sockets are polled; a regular file (which epoll refuses) is
//!   treated as always ready; a terminal is read to `EAGAIN` (one line per read in
//!   canonical mode), and its `EIO` after a hang-up counts as end of file.
//! - **Blocking mode and terminal settings are put back.** Making a descriptor
//!   non-blocking changes the open file description, which a shell shares with the
//!   program. The blocking mode of both descriptors, and the settings of a terminal (if
//!   anything changed them meanwhile), are restored when the transport closes: by
//!   `lose_connection`, an error, the end of input, or the reactor's shutdown (which closes
//!   every connection); and if the connection is dropped without closing, by a guard's
//!   `Drop`.
//!
//! # The close
//!
//! - End of file on standard input reaches the protocol as
//!   [`read_connection_lost`](Protocol::read_connection_lost). A protocol that supports
//!   half-close (overrides it, as Twisted's `IHalfCloseableProtocol`) goes on writing; the
//!   default closes the transport once standard output is flushed. (Twisted calls
//!   `connectionLost` at once there; flushing first loses nothing already written.)
//! - [`lose_connection`](crate::Transport::lose_connection) stops reading, flushes
//!   standard output, then closes; `connection_lost` gets `ConnectionDone`.
//! - [`lose_write_connection`](crate::Transport::lose_write_connection) closes our
//!   duplicate of standard output once flushed and reading goes on.
//!
//! # Examples
//!
//! ```no_run
//! use torsion::stdio::StandardIO;
//! use torsion::{Cx, Failure, Protocol, Reactor};
//!
//! /// Upper-cases standard input onto standard output.
//! struct Shout(Reactor);
//!
//! impl Protocol for Shout {
//!     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
//!         cx.transport().write(data.to_ascii_uppercase());
//!     }
//!     fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
//!         self.0.stop();
//!     }
//! }
//!
//! let reactor = Reactor::new()?;
//! StandardIO::new(&reactor, Shout(reactor.clone()))?;
//! reactor.run()?;
//! # Ok::<(), Failure>(())
//! ```

mod mode_guard;
#[cfg(test)]
mod tests;

use std::os::fd::{AsFd, BorrowedFd};

use mode_guard::ModeGuard;

use crate::stream::FdPair;
use crate::{Failure, Protocol, Reactor, Transport};

/// Standard input and output as one transport; see the [module docs](self) for what
/// happens to the descriptors and at the close.
#[derive(Debug, Clone, Copy)]
pub struct StandardIO;

impl StandardIO {
    /// Runs `protocol` over the process's standard input (descriptor 0) and standard
    /// output (descriptor 1) (Twisted's `StandardIO(protocol)`). `connection_made` runs
    /// before this returns. Both addresses are [`Address::Pipe`](crate::Address::Pipe).
    ///
    /// # Errors
    ///
    /// The OS error if a descriptor cannot be duplicated, made non-blocking or polled;
    /// then nothing was changed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use torsion::stdio::StandardIO;
    /// use torsion::{Cx, Protocol, Reactor};
    ///
    /// struct Hello;
    /// impl Protocol for Hello {
    ///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
    ///         cx.transport().write(b"hello\n");
    ///         cx.transport().lose_connection();
    ///     }
    /// }
    ///
    /// let reactor = Reactor::new()?;
    /// StandardIO::new(&reactor, Hello)?;
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    // Twisted's constructor: what it builds is the transport.
    #[allow(clippy::new_ret_no_self)]
    pub fn new<P: Protocol>(reactor: &Reactor, protocol: P) -> Result<Transport, Failure> {
        let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
        StandardIO::with_descriptors(reactor, protocol, stdin.as_fd(), stdout.as_fd())
    }

    /// Runs `protocol` reading `stdin` and writing `stdout` (Twisted's
    /// `StandardIO(protocol, stdin=…, stdout=…)`). The descriptors are duplicated, so the
    /// caller's stay open; they may be the same descriptor (a terminal).
    ///
    /// # Errors
    ///
    /// As [`new`](StandardIO::new).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use torsion::stdio::StandardIO;
    /// use torsion::{Cx, Protocol, Reactor};
    ///
    /// struct Hello;
    /// impl Protocol for Hello {
    ///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
    ///         cx.transport().write(b"hello\n");
    ///     }
    /// }
    ///
    /// let (input, output) = std::os::unix::net::UnixStream::pair()?;
    /// let reactor = Reactor::new()?;
    /// StandardIO::with_descriptors(&reactor, Hello, input.as_fd(), output.as_fd())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_descriptors<P: Protocol>(
        reactor: &Reactor,
        protocol: P,
        stdin: BorrowedFd<'_>,
        stdout: BorrowedFd<'_>,
    ) -> Result<Transport, Failure> {
        let guard = ModeGuard::capture(&[stdin, stdout])?;
        let read = stdin.try_clone_to_owned()?;
        let write = stdout.try_clone_to_owned()?;
        let pair = FdPair::new(read, Some(write)).drop_on_close(Box::new(guard));
        reactor.adopt_pair(pair, protocol)
    }
}
