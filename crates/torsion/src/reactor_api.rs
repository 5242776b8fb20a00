//! [`ReactorTcp`]: what a reactor offers for TCP, as a trait, so code that listens and
//! connects can run on the real [`Reactor`] or on a test double such as
//! [`MemoryReactor`](crate::testing::MemoryReactor) (Twisted's `IReactorTCP`).
//!
//! Write the code that sets up ports and connections against `&impl ReactorTcp`; hand it
//! the reactor in `main` and a `MemoryReactor` in unit tests.
//!
//! # Examples
//!
//! ```
//! use std::net::SocketAddr;
//! use torsion::testing::MemoryReactor;
//! use torsion::{Cx, Failure, PortHandle, Protocol, ReactorTcp};
//!
//! struct Echo;
//! impl Protocol for Echo {
//!     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
//!         cx.transport().write(data);
//!     }
//! }
//!
//! /// Starts the service on any reactor; returns where it listens.
//! fn start(reactor: &impl ReactorTcp) -> Result<SocketAddr, Failure> {
//!     let port = reactor.listen_tcp(7000, |_peer| Some(Echo))?;
//!     Ok(port.get_host())
//! }
//!
//! let reactor = MemoryReactor::new();
//! assert_eq!(start(&reactor)?.port(), 7000);
//! assert_eq!(reactor.tcp_servers()[0].port, 7000);
//! # Ok::<(), Failure>(())
//! ```

use std::fmt;
use std::net::SocketAddr;

use crate::defer::Deferred;
use crate::{
    ClientFactory, ConnectOptions, Connector, Destination, Factory, Failure, ListenOptions,
    ListeningPort, Reactor,
};

/// A reactor that can listen on and connect over TCP (Twisted's `IReactorTCP`).
///
/// Implemented by [`Reactor`] (real sockets) and by
/// [`MemoryReactor`](crate::testing::MemoryReactor) (records the calls, opens nothing).
/// The methods have the names and contracts of [`Reactor::listen_tcp`] and
/// [`Reactor::connect_tcp`]; on a `Reactor` value the inherent methods are the ones
/// called, with the same effect.
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// use torsion::testing::MemoryReactor;
/// use torsion::{ClientFactory, ConnectorHandle, Protocol, ReactorTcp};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// struct QuoteClient;
/// impl ClientFactory for QuoteClient {
///     type Protocol = Quiet;
///     fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Quiet> {
///         Some(Quiet)
///     }
/// }
///
/// fn fetch<R: ReactorTcp>(reactor: &R) -> R::Connector {
///     reactor.connect_tcp("example.org", 17, QuoteClient)
/// }
///
/// let memory = MemoryReactor::new();
/// let connector = fetch(&memory);
/// assert_eq!(connector.get_destination().host, "example.org");
/// assert_eq!(memory.tcp_clients()[0].port, 17);
/// ```
pub trait ReactorTcp {
    /// The handle to a listening port.
    type Port: PortHandle;
    /// The handle to an outgoing connection.
    type Connector: ConnectorHandle;

    /// Listens on `port` as `options` say; each accepted connection gets a protocol from
    /// `factory`, whose `do_start` runs before this returns.
    ///
    /// # Errors
    ///
    /// [`InvalidAddress`](crate::error::InvalidAddress) for an interface that is not an IP
    /// address; [`CannotListenError`](crate::error::CannotListenError) if the port cannot
    /// be bound (or whatever failure a test double was told to report).
    fn listen_tcp_with<F: Factory>(
        &self,
        port: u16,
        factory: F,
        options: ListenOptions,
    ) -> Result<Self::Port, Failure>;

    /// Connects to `host:port` as `options` say and returns at once; `factory` hears how
    /// it goes, from the loop, never from inside this call.
    fn connect_tcp_with<F: ClientFactory>(
        &self,
        host: &str,
        port: u16,
        factory: F,
        options: ConnectOptions,
    ) -> Self::Connector;

    /// Listens on `port` of every IPv4 interface with the default options.
    ///
    /// # Errors
    ///
    /// As [`listen_tcp_with`](ReactorTcp::listen_tcp_with).
    fn listen_tcp<F: Factory>(&self, port: u16, factory: F) -> Result<Self::Port, Failure> {
        self.listen_tcp_with(port, factory, ListenOptions::default())
    }

    /// Connects to `host:port` with the default options (30 s timeout, no local bind).
    fn connect_tcp<F: ClientFactory>(&self, host: &str, port: u16, factory: F) -> Self::Connector {
        self.connect_tcp_with(host, port, factory, ConnectOptions::default())
    }
}

/// What generic code may do with a listening port (Twisted's `IListeningPort`).
///
/// Implemented by [`ListeningPort`] and
/// [`MemoryPort`](crate::testing::MemoryPort).
///
/// # Examples
///
/// ```
/// use torsion::testing::MemoryReactor;
/// use torsion::{PortHandle, Protocol, ReactorTcp};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// fn shut<P: PortHandle>(port: &P) -> u16 {
///     let number = port.get_host().port();
///     port.stop_listening();
///     number
/// }
///
/// let reactor = MemoryReactor::new();
/// let port = reactor.listen_tcp(8123, |_peer| Some(Quiet))?;
/// assert_eq!(shut(&port), 8123);
/// assert!(!port.listening());
/// # Ok::<(), torsion::Failure>(())
/// ```
pub trait PortHandle: fmt::Debug {
    /// The address listened on (with the real port when 0 was asked for).
    fn get_host(&self) -> SocketAddr;

    /// Stops accepting; the factory's `do_stop` runs from the loop soon after, then the
    /// returned Deferred fires. Stopping twice does nothing (and gives a fired Deferred).
    fn stop_listening(&self) -> Deferred<()>;
}

/// What generic code may do with an outgoing connection (Twisted's `IConnector`).
///
/// Implemented by [`Connector`] and [`MemoryConnector`](crate::testing::MemoryConnector).
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// use torsion::testing::MemoryReactor;
/// use torsion::{ClientFactory, ConnectorHandle, Protocol, ReactorTcp};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// struct Web;
/// impl ClientFactory for Web {
///     type Protocol = Quiet;
///     fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Quiet> {
///         Some(Quiet)
///     }
/// }
///
/// fn give_up(connector: &impl ConnectorHandle) {
///     connector.stop_connecting();
/// }
///
/// let reactor = MemoryReactor::new();
/// let connector = reactor.connect_tcp("10.0.0.1", 80, Web);
/// give_up(&connector);
/// assert!(connector.stopped_connecting());
/// ```
pub trait ConnectorHandle: fmt::Debug {
    /// Where the connection goes, as it was given.
    fn get_destination(&self) -> Destination;

    /// Abandons the attempt in progress, if any.
    fn stop_connecting(&self);

    /// Closes the connection or abandons the attempt, whichever is under way.
    fn disconnect(&self);
}

impl ReactorTcp for Reactor {
    type Port = ListeningPort;
    type Connector = Connector;

    fn listen_tcp_with<F: Factory>(
        &self,
        port: u16,
        factory: F,
        options: ListenOptions,
    ) -> Result<ListeningPort, Failure> {
        Reactor::listen_tcp_with(self, port, factory, options)
    }

    fn connect_tcp_with<F: ClientFactory>(
        &self,
        host: &str,
        port: u16,
        factory: F,
        options: ConnectOptions,
    ) -> Connector {
        Reactor::connect_tcp_with(self, host, port, factory, options)
    }
}

impl PortHandle for ListeningPort {
    fn get_host(&self) -> SocketAddr {
        ListeningPort::get_host(self)
    }

    fn stop_listening(&self) -> Deferred<()> {
        ListeningPort::stop_listening(self)
    }
}

impl ConnectorHandle for Connector {
    fn get_destination(&self) -> Destination {
        Connector::get_destination(self)
    }

    fn stop_connecting(&self) {
        Connector::stop_connecting(self)
    }

    fn disconnect(&self) {
        Connector::disconnect(self)
    }
}
