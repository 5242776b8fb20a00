//! [`Dial`]: what only a kind of outgoing connection knows.

use std::io;
use std::rc::Rc;

use super::StreamConnector;
use crate::error::{ConnectError, ConnectionRefused, TimeoutError};
use crate::stream::StreamSource;
use crate::{Failure, Reactor};

/// How one kind of stream connects (TCP, UNIX).
pub(crate) trait Dial {
    /// Starts attempt `attempt` of `connector` (its factory heard `started_connecting`,
    /// its timeout runs): opens the socket with [`Reactor::open_connecting`], now or
    /// later (after a name lookup), or reports why not with [`Reactor::connect_failed`].
    fn dial(&self, reactor: &Reactor, connector: &Rc<StreamConnector>, attempt: u64);

    /// Whether a connecting socket connected: `true` once it did, `false` while it still
    /// connects.
    ///
    /// # Errors
    ///
    /// The error that ended the attempt.
    fn connect_outcome(&self, source: &dyn StreamSource) -> io::Result<bool>;

    /// The socket connected: set what the kind sets on a new connection.
    fn on_connected(&self, source: &dyn StreamSource) {
        let _ = source;
    }
}

/// The failure for an OS error that ended a connection attempt.
pub(crate) fn classify_connect_error(err: io::Error) -> Failure {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => Failure::new(ConnectionRefused { os_error: err }),
        io::ErrorKind::TimedOut => Failure::new(TimeoutError),
        _ => Failure::new(ConnectError { os_error: err }),
    }
}
