//! [`StreamSource`]: what only a stream's kind knows (how its descriptors are polled, shut
//! down for writing and closed), behind the one state machine every stream shares.
//!
//! Only cold paths call through this trait: registration, half-close, close, socket
//! options. Reads and writes use the descriptors the connection keeps, with `read` and
//! `write`, whatever the kind.

use std::any::Any;
use std::io;
use std::os::fd::{OwnedFd, RawFd};

use mio::{Registry, Token};

use crate::transport::unsupported;
use crate::unix::PeerCredentials;

/// How the poller took a stream's descriptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Polled {
    /// Readiness events will come for the read descriptor.
    Yes,
    /// epoll refused the read descriptor (a regular file): treat it as always ready.
    ReadAlwaysReady,
}

/// The descriptors under one stream connection and what their kind decides.
pub(crate) trait StreamSource {
    /// The descriptor reads come from.
    fn read_fd(&self) -> RawFd;

    /// The descriptor writes go to (the read descriptor for a socket).
    fn write_fd(&self) -> RawFd;

    /// Kind bits for the connection's flags (see [`super::flags`]), e.g.
    /// [`READ_TO_EAGAIN`](super::flags::READ_TO_EAGAIN) for a terminal.
    fn kind_flags(&self) -> u32 {
        0
    }

    /// Starts polling the descriptors, all under `token`.
    ///
    /// # Errors
    ///
    /// The OS error if a descriptor cannot be polled and is not one to treat as always
    /// ready.
    fn register(&mut self, registry: &Registry, token: Token) -> io::Result<Polled>;

    /// Stops polling the descriptors.
    fn deregister(&mut self, registry: &Registry);

    /// Shuts down the writing side: the peer reads EOF; reading goes on.
    ///
    /// # Errors
    ///
    /// The OS error, or `Unsupported` for a kind that cannot half-close.
    fn shutdown_write(&mut self, registry: &Registry) -> io::Result<()>;

    /// Closes the descriptors; `reset` asks for an abortive close where the kind has one
    /// (a TCP reset, so the peer knows data was lost).
    fn close(self: Box<Self>, reset: bool);

    /// Sets `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The OS error, or `Unsupported` for a kind that is not TCP.
    fn set_nodelay(&self, enabled: bool) -> io::Result<()> {
        let _ = enabled;
        Err(unsupported("TCP_NODELAY"))
    }

    /// Sets `SO_KEEPALIVE`.
    ///
    /// # Errors
    ///
    /// As [`set_nodelay`](StreamSource::set_nodelay).
    fn set_keepalive(&self, enabled: bool) -> io::Result<()> {
        let _ = enabled;
        Err(unsupported("SO_KEEPALIVE"))
    }

    /// Reads once with `recvmsg` into `buf`, keeping the descriptors that came with the
    /// bytes for [`take_received_fds`](StreamSource::take_received_fds); returns the bytes
    /// read and whether descriptors came. Only called for kinds with
    /// [`PASSES_FDS`](super::flags::PASSES_FDS).
    ///
    /// # Errors
    ///
    /// The OS error (EAGAIN when there is nothing to read), or `Unsupported`.
    fn recv_with_fds(&mut self, buf: &mut [u8]) -> io::Result<(usize, bool)> {
        let _ = buf;
        Err(unsupported("passing descriptors"))
    }

    /// The descriptors received by the last reads, in the order they came.
    fn take_received_fds(&mut self) -> Vec<OwnedFd> {
        Vec::new()
    }

    /// Queues `fd` to go with the next bytes sent.
    ///
    /// # Errors
    ///
    /// `Unsupported` for a kind that cannot pass descriptors (TCP, a pipe).
    fn queue_fd(&mut self, fd: OwnedFd) -> io::Result<()> {
        drop(fd);
        Err(unsupported("passing descriptors"))
    }

    /// Sends a prefix of `data` (at least one byte, never empty) with queued descriptors;
    /// returns how many bytes went and whether descriptors are still queued.
    ///
    /// # Errors
    ///
    /// The OS error (EAGAIN when the socket is full), or `Unsupported`.
    fn send_with_fds(&mut self, data: &[u8]) -> io::Result<(usize, bool)> {
        let _ = data;
        Err(unsupported("passing descriptors"))
    }

    /// The peer's process, user and group (`SO_PEERCRED`).
    ///
    /// # Errors
    ///
    /// The OS error, or `Unsupported` for a kind that is not a UNIX socket.
    fn peer_credentials(&self) -> io::Result<PeerCredentials> {
        Err(unsupported("peer credentials"))
    }

    /// The source itself, for the code of its kind (a TCP connect checks its socket).
    fn as_any(&self) -> &dyn Any;
}
