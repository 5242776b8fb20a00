//! `Reactor::adopt_stream`: a protocol over descriptors the program already has (a pipe
//! pair, standard input and output, a terminal, a file).

use std::os::fd::OwnedFd;

use super::conn::StreamConn;
use super::fd_pair::FdPair;
use super::source::{Polled, StreamSource};
use super::{flags, StreamHandle};
use crate::address::Address;
use crate::protocol::BoundProtocol;
use crate::reactor::token;
use crate::{Failure, Protocol, Reactor, Transport};

impl Reactor {
    /// Runs `protocol` over `read` and `write` (`None`: write to `read` too), with the
    /// same engine, buffering, backpressure and callback order as a TCP connection
    /// (Twisted's `StandardIO` over given descriptors).
    ///
    /// The descriptors are made non-blocking and are closed when the connection ends.
    /// A descriptor epoll cannot poll (a regular file) is treated as always ready; a
    /// terminal is read until it has nothing left, line by line. `lose_write_connection`
    /// closes `write` (the peer reads EOF) and keeps reading. Both addresses are
    /// [`Address::Pipe`]. `connection_made` runs before this returns, as in Twisted.
    ///
    /// # Errors
    ///
    /// The OS error if a descriptor cannot be made non-blocking or polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
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
    /// let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
    /// let reactor = Reactor::new()?;
    /// reactor.adopt_stream(OwnedFd::from(ours), None, Hello)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn adopt_stream<P: Protocol>(
        &self,
        read: OwnedFd,
        write: Option<OwnedFd>,
        protocol: P,
    ) -> Result<Transport, Failure> {
        self.adopt_pair(FdPair::new(read, write), protocol)
    }

    /// [`adopt_stream`](Reactor::adopt_stream) over a pair built by the caller (one that
    /// carries something to drop at the close).
    pub(crate) fn adopt_pair<P: Protocol>(
        &self,
        pair: FdPair,
        protocol: P,
    ) -> Result<Transport, Failure> {
        set_nonblocking(pair.read_fd())?;
        if pair.write_fd() != pair.read_fd() {
            set_nonblocking(pair.write_fd())?;
        }
        let mut source = Box::new(pair);
        let key = self.core.streams.next_key();
        let polled = source.register(self.core.io.registry(), token::stream(key))?;
        let cell = self.core.streams.insert(
            Address::Pipe,
            Address::Pipe,
            StreamConn::new(source, None, false),
        );
        debug_assert_eq!(cell.key(), key);
        if polled == Polled::ReadAlwaysReady {
            cell.conn()
                .borrow_mut()
                .set(flags::UNPOLLED | flags::READ_TO_EAGAIN | flags::READ_READY);
            self.core.streams.push_resumed(key);
        }
        let transport = Transport::stream(StreamHandle::new(self.clone(), cell.clone()));
        let bound = BoundProtocol::new(
            protocol,
            transport.clone(),
            self.core.timers.scheduler().clone(),
        );
        cell.set_protocol(Box::new(bound));
        if let Err(reason) = cell.with_protocol(|p| p.connection_made()) {
            self.abort_for_panic(key, reason);
        }
        Ok(transport)
    }
}

fn set_nonblocking(fd: std::os::fd::RawFd) -> std::io::Result<()> {
    // SAFETY: `fd` is an open descriptor owned by the pair being adopted; F_GETFL/F_SETFL only change
    // its status flags.
    unsafe {
        let status = libc::fcntl(fd, libc::F_GETFL);
        if status < 0 || libc::fcntl(fd, libc::F_SETFL, status | libc::O_NONBLOCK) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}
