//! [`Connector`]: the handle to one outgoing connection that every [`ClientFactory`]
//! callback receives, whatever reactor made it; with [`Destination`] and
//! [`ConnectOptions`].
//!
//! [`ClientFactory`]: crate::ClientFactory

use std::fmt;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use super::connector_state::Phase;
use crate::Transport;

/// How to connect: how long to wait, and which local address to bind first.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Give up with [`TimeoutError`](crate::error::TimeoutError) after this long (default
    /// 30 s, as Twisted; `None` waits as long as the OS does).
    pub timeout: Option<Duration>,
    /// Bind the socket to this local address before connecting.
    pub bind_address: Option<SocketAddr>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            timeout: Some(Duration::from_secs(30)),
            bind_address: None,
        }
    }
}

/// Where a connector connects to, as it was given (host name or address, and port; for
/// a UNIX socket, its name and port 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The host name or IP address; for [`connect_unix`](crate::Reactor::connect_unix),
    /// the socket's path (or `@name` for an abstract name).
    pub host: String,
    /// The TCP port; 0 for a UNIX socket.
    pub port: u16,
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// What a [`Connector`] stands for: the real reactor's TCP connector, or a test double's
/// (the [`MemoryReactor`](crate::testing::MemoryReactor)'s). Both keep their attempts'
/// bookkeeping in a [`ConnectorState`](super::ConnectorState), so the rules are the same.
pub(crate) trait ConnectorBackend {
    /// Where the connection goes.
    fn destination(&self) -> &Destination;

    /// Where the connector is in its life.
    fn phase(&self) -> Phase;

    /// Starts a new attempt (from the loop, soon); nothing unless disconnected.
    fn connect(self: Rc<Self>);

    /// Abandons the attempt in progress; the failure is reported from the loop.
    fn stop_connecting(self: Rc<Self>);

    /// Closes the connection (flushing first) or abandons the attempt, whichever is
    /// under way.
    fn disconnect(self: Rc<Self>) {
        match self.phase() {
            Phase::Connecting => self.stop_connecting(),
            Phase::Connected => {
                if let Some(t) = self.transport() {
                    t.lose_connection();
                }
            }
            Phase::Disconnected => {}
        }
    }

    /// The connection's transport while connected.
    fn transport(&self) -> Option<Transport>;
}

/// One outgoing connection, over its attempts (Twisted's `IConnector`).
///
/// Returned by [`Reactor::connect_tcp`](crate::Reactor::connect_tcp); handed to every
/// [`ClientFactory`](crate::ClientFactory) callback, by the real reactor and by the
/// [`MemoryReactor`](crate::testing::MemoryReactor) alike (the latter's stands for a
/// connection a test plays, see [`MemoryConnector`](crate::testing::MemoryConnector)).
/// Call [`connect`](Connector::connect) from `client_connection_failed` or
/// `client_connection_lost` to try again. A cheap handle: clones share the connection,
/// and dropping one does not stop the attempt or close the connection
/// ([`disconnect`](Connector::disconnect) does).
///
/// # Examples
///
/// A client that tries again once, a second after its first attempt failed:
///
/// ```
/// use std::time::Duration;
/// use torsion::{ClientFactory, Connector, Failure, Protocol, Reactor, ReactorTime};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// struct Retry {
///     reactor: Reactor,
///     tries: u32,
/// }
///
/// impl ClientFactory for Retry {
///     type Protocol = Quiet;
///     fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Quiet> {
///         Some(Quiet)
///     }
///     fn client_connection_failed(&mut self, connector: &Connector, reason: &Failure) {
///         self.tries += 1;
///         if self.tries < 2 {
///             let c = connector.clone();
///             self.reactor.call_later(Duration::from_secs(1), move || c.connect());
///         }
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// let connector = reactor.connect_tcp("127.0.0.1", 1, Retry { reactor: reactor.clone(), tries: 0 });
/// assert_eq!(connector.get_destination().port, 1);
/// # Ok::<(), Failure>(())
/// ```
#[derive(Clone)]
pub struct Connector {
    backend: Rc<dyn ConnectorBackend>,
}

impl Connector {
    /// The handle to `backend`.
    pub(crate) fn new(backend: Rc<dyn ConnectorBackend>) -> Connector {
        Connector { backend }
    }

    /// Where this connector connects to.
    pub fn get_destination(&self) -> Destination {
        self.backend.destination().clone()
    }

    /// Starts a new attempt: the factory hears `started_connecting` and then how it went,
    /// all from the loop. Does nothing (and logs a warning) unless disconnected, that is,
    /// unless the last attempt failed or the last connection was lost.
    pub fn connect(&self) {
        Rc::clone(&self.backend).connect();
    }

    /// Abandons the attempt in progress; the factory hears `client_connection_failed`
    /// with [`UserError`](crate::error::UserError), from the loop (after
    /// `started_connecting`, if the attempt had not started yet). Does nothing while
    /// connected or disconnected, or if the attempt is already being stopped.
    pub fn stop_connecting(&self) {
        Rc::clone(&self.backend).stop_connecting();
    }

    /// Closes the connection (flushing first) or abandons the attempt (as
    /// [`stop_connecting`](Connector::stop_connecting)), whichever is under way.
    pub fn disconnect(&self) {
        Rc::clone(&self.backend).disconnect();
    }

    /// The connection's transport while connected; `None` while connecting or
    /// disconnected.
    pub fn transport(&self) -> Option<Transport> {
        self.backend.transport()
    }
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("destination", self.backend.destination())
            .field("state", &self.backend.phase())
            .finish()
    }
}
