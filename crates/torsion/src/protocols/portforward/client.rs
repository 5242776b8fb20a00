//! [`ProxyClient`] and [`ProxyClientFactory`]: the outgoing side of a forwarded
//! connection.

use std::rc::Rc;

use super::pair::Pair;
use crate::{Address, ClientFactory, Connector, Cx, Destination, Failure, Protocol};

/// Dials the destination for one accepted connection and hears how it went (Twisted's
/// `portforward.ProxyClientFactory`).
pub(super) struct ProxyClientFactory {
    pair: Rc<Pair>,
    destination: Destination,
}

impl ProxyClientFactory {
    pub(super) fn new(pair: Rc<Pair>, destination: Destination) -> ProxyClientFactory {
        ProxyClientFactory { pair, destination }
    }
}

impl ClientFactory for ProxyClientFactory {
    type Protocol = ProxyClient;

    fn build_protocol(&mut self, _addr: Address) -> Option<ProxyClient> {
        Some(ProxyClient {
            pair: self.pair.clone(),
        })
    }

    /// The destination could not be reached: the client is closed (nothing it sent was
    /// forwarded, since it was not read).
    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        let client = self.pair.client();
        if client.connected() {
            tracing::info!(
                destination = %self.destination,
                peer = %client.get_peer(),
                error = %reason,
                "cannot connect to the forwarding destination; closing the client"
            );
            client.lose_connection();
        } else {
            tracing::debug!(destination = %self.destination, error = %reason, "dialing abandoned");
        }
    }
}

/// The protocol of the connection to the destination (Twisted's
/// `portforward.ProxyClient`): joins the pair when it connects, writes what it receives
/// to the client, and closes the client when it ends.
pub(super) struct ProxyClient {
    pair: Rc<Pair>,
}

impl Protocol for ProxyClient {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let destination = cx.transport();
        match self.pair.connected(destination.clone()) {
            Ok(true) => {}
            Ok(false) => destination.lose_connection(),
            Err(failure) => {
                tracing::warn!(
                    %failure,
                    peer = %self.pair.client().get_peer(),
                    "cannot control the flow between the two sides; closing both"
                );
                destination.lose_connection();
                self.pair.client().lose_connection();
            }
        }
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.pair.forward_from_destination(data);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        self.pair.client().lose_connection();
    }
}
