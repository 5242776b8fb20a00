//! [`AcceptSource`]: what only a listening socket's kind knows, behind the accepting every
//! kind shares.

use std::io;

use mio::{Registry, Token};

use crate::address::Address;
use crate::stream::StreamSource;

/// One accepted connection, ready for the stream engine.
pub(crate) struct Accepted {
    /// The connection's descriptors, of the listener's kind.
    pub(crate) source: Box<dyn StreamSource>,
    /// Our end's address.
    pub(crate) host: Address,
    /// The peer's address, as the factory is given it.
    pub(crate) peer: Address,
}

/// A listening socket of some kind (TCP, UNIX).
pub(crate) trait AcceptSource {
    /// Starts polling the socket for readability under `token`.
    ///
    /// # Errors
    ///
    /// The OS error from epoll.
    fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()>;

    /// Stops polling the socket.
    fn deregister(&mut self, registry: &Registry);

    /// Accepts one connection (non-blocking).
    ///
    /// # Errors
    ///
    /// The OS error: `WouldBlock` when none is waiting, EMFILE and kin when out of
    /// resources, or the error of a connection that was already gone.
    fn accept(&self) -> io::Result<Accepted>;

    /// The address listened on, for logs.
    fn local(&self) -> Address;

    /// Closes the socket and undoes whatever listening set up (a UNIX socket's file and
    /// lock). Called once, when the port stops.
    fn close(self: Box<Self>);
}
