//! [`ProxyFactory`]: the listening side of a port forwarder.

use std::fmt;

use super::server::ProxyServer;
use crate::{Address, Destination, Factory, Reactor, ReactorTcp};

/// Builds a [`ProxyServer`] for each connection a port accepts, forwarding it to one
/// destination (Twisted's `portforward.ProxyFactory`). See the
/// [module documentation](super) for what a forwarded pair does.
///
/// `R` is the reactor the outgoing connections are made with: the real [`Reactor`], or a
/// [`MemoryReactor`](crate::testing::MemoryReactor) in unit tests.
///
/// # Examples
///
/// The connection is dialed when a client arrives, not when the port opens:
///
/// ```
/// use torsion::protocols::portforward::ProxyFactory;
/// use torsion::testing::{Clock, MemoryReactor, ProtocolHarness, StringTransport};
/// use torsion::Factory;
///
/// let reactor = MemoryReactor::new();
/// let mut factory = ProxyFactory::new(&reactor, "10.0.0.7", 5432);
/// assert_eq!(factory.destination().to_string(), "10.0.0.7:5432");
///
/// let client = StringTransport::new();
/// let server = factory.build_protocol(client.transport().get_peer()).unwrap();
/// let _h = ProtocolHarness::connect(server, &client, reactor.clock())?;
/// assert_eq!(reactor.tcp_clients()[0].port, 5432);
/// assert_eq!(client.producer_state(), "paused");
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct ProxyFactory<R: ReactorTcp + Clone + 'static = Reactor> {
    reactor: R,
    destination: Destination,
}

impl<R: ReactorTcp + Clone + 'static> ProxyFactory<R> {
    /// Forwards every accepted connection to `host:port` (a name is resolved for each
    /// connection, by the reactor's resolver), connecting with `reactor`.
    pub fn new(reactor: &R, host: impl Into<String>, port: u16) -> ProxyFactory<R> {
        ProxyFactory::to(
            reactor,
            Destination {
                host: host.into(),
                port,
            },
        )
    }

    /// Forwards every accepted connection to `destination`.
    pub fn to(reactor: &R, destination: Destination) -> ProxyFactory<R> {
        ProxyFactory {
            reactor: reactor.clone(),
            destination,
        }
    }

    /// Where connections are forwarded to.
    pub fn destination(&self) -> &Destination {
        &self.destination
    }
}

impl<R: ReactorTcp + Clone + 'static> Factory for ProxyFactory<R> {
    type Protocol = ProxyServer<R>;

    /// A forwarder for the connection from `addr`; it dials the destination in its
    /// `connection_made`. Never refuses.
    fn build_protocol(&mut self, _addr: Address) -> Option<ProxyServer<R>> {
        Some(ProxyServer::new(
            self.reactor.clone(),
            self.destination.clone(),
        ))
    }
}

impl<R: ReactorTcp + Clone + 'static> fmt::Debug for ProxyFactory<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyFactory")
            .field("destination", &self.destination)
            .finish_non_exhaustive()
    }
}
