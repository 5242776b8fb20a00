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
///   bytes flow both ways, each side the streaming producer of the other.
/// - `data_received`: the bytes are written to the destination (held until it is
///   connected, if the client's transport could not pause).
/// - EOF from the client closes the client's side, which closes the pair.
/// - `connection_lost`: the destination connection is closed once what was forwarded to
///   it is written, or the attempt still under way is abandoned.
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
            pair.from_client(data);
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
