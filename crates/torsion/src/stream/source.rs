//! [`StreamSource`]: what only a stream's kind knows (how its descriptors are polled, shut
//! down for writing and closed), behind the one state machine every stream shares.
//!
//! Only cold paths call through this trait: registration, half-close, close, socket
//! options. Reads and writes use the descriptors the connection keeps, with `read` and
//! `write`, whatever the kind.

use std::any::Any;
use std::io;
use std::os::fd::RawFd;

use mio::{Registry, Token};

use crate::transport::unsupported;

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

    /// The source itself, for the code of its kind (a TCP connect checks its socket).
    fn as_any(&self) -> &dyn Any;
}
