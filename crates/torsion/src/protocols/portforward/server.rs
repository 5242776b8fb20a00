//! [`ProxyServer`]: the accepted side of a forwarded connection.

use std::fmt;
use std::rc::Rc;

use super::client::ProxyClientFactory;
use super::pair::Pair;
use crate::{ConnectorHandle, Cx, Destination, Failure, Protocol, Reactor, ReactorTcp};

/// The protocol of a connection accepted by a [`ProxyFactory`](super::ProxyFactory)
/// (Twisted's `portforward.ProxyServer`).
///
/// - `connection_made`: stops reading from the client and dials the destination with
///   the factory's reactor. Once that connection is up, the client is read again and
///   bytes flow both ways, each side read only while the other's write buffer has room.
/// - `data_received`: the bytes are written to the destination (held until it is
///   connected, if the client's transport could not pause).
/// - EOF from the client closes the client's side, which closes the pair.
/// - `connection_lost`: the destination connection is closed once what was forwarded to
///   it is written, or the attempt still under way is abandoned.
///
/// # Examples
///
/// A forwarded pair played on test doubles: the client's bytes wait for the destination,
/// then flow both ways; the destination closing closes the client.
///
/// ```
/// use torsion::error::ConnectionDone;
/// use torsion::protocols::portforward::ProxyFactory;
/// use torsion::testing::{MemoryReactor, ProtocolHarness, StringTransport};
/// use torsion::{Factory, Failure};
///
/// let reactor = MemoryReactor::new();
/// let mut factory = ProxyFactory::new(&reactor, "db.internal", 5432);
/// let client = StringTransport::new();
/// let server = factory.build_protocol(client.transport().get_peer()).unwrap();
/// let h = ProtocolHarness::connect(server, &client, reactor.clock())?;
/// h.data_received(b"hello")?;
///
/// let destination = StringTransport::new();
/// let connector = reactor.tcp_clients()[0].connector();
/// connector.connection_made(&destination)?;
/// assert_eq!(destination.value(), b"hello");
/// connector.data_received(b"welcome")?;
/// assert_eq!(client.value(), b"welcome");
///
/// connector.connection_lost(Failure::new(ConnectionDone));
/// assert!(client.disconnecting());
/// # Ok::<(), Failure>(())
/// ```
pub struct ProxyServer<R: ReactorTcp = Reactor> {
    reactor: R,
    destination: Destination,
    pair: Option<Rc<Pair>>,
    connector: Option<R::Connector>,
}

impl<R: ReactorTcp> ProxyServer<R> {
    /// A forwarder to `destination` that connects with `reactor`; nothing happens before
    /// `connection_made`.
    pub(super) fn new(reactor: R, destination: Destination) -> ProxyServer<R> {
        ProxyServer {
            reactor,
            destination,
            pair: None,
            connector: None,
        }
    }

    /// Where this connection is forwarded to.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::protocols::portforward::ProxyFactory;
    /// use torsion::testing::MemoryReactor;
    /// use torsion::Factory;
    ///
    /// let reactor = MemoryReactor::new();
    /// let mut factory = ProxyFactory::new(&reactor, "127.0.0.1", 8000);
    /// let server = factory.build_protocol("127.0.0.1:40000".parse::<std::net::SocketAddr>()?.into());
    /// assert_eq!(server.unwrap().destination().port, 8000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn destination(&self) -> &Destination {
        &self.destination
    }
}

impl<R: ReactorTcp + 'static> Protocol for ProxyServer<R> {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let client = cx.transport();
        client.pause_producing();
        let pair = Pair::new(client.clone());
        let factory = ProxyClientFactory::new(pair.clone(), self.destination.clone());
        self.connector = Some(self.reactor.connect_tcp(
            &self.destination.host,
            self.destination.port,
            factory,
        ));
        self.pair = Some(pair);
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        if let Some(pair) = &self.pair {
            pair.forward_from_client(data);
        }
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        let Some(pair) = self.pair.take() else {
            return;
        };
        match pair.destination() {
            Some(destination) => destination.lose_connection(),
            None => {
                tracing::debug!(
                    destination = %self.destination,
                    %reason,
                    "the client left before the destination answered"
                );
                if let Some(connector) = &self.connector {
                    connector.stop_connecting();
                }
            }
        }
    }
}

impl<R: ReactorTcp> fmt::Debug for ProxyServer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyServer")
            .field("destination", &self.destination)
            .field("pair", &self.pair)
            .finish_non_exhaustive()
    }
}
