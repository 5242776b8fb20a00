//! The forwarder's logic on test doubles: a [`MemoryReactor`] plays the outgoing
//! connection, [`StringTransport`]s stand for both sockets.

use super::client::ProxyClient;
use super::{ProxyFactory, ProxyServer};
use crate::error::{ConnectionDone, ConnectionRefused};
use crate::testing::{MemoryConnector, MemoryReactor, ProtocolHarness, StringTransport};
use crate::{Factory, Failure};

/// A client connected to a fresh forwarder to example.org:7.
struct Setup {
    reactor: MemoryReactor,
    client: StringTransport,
    server: ProtocolHarness<ProxyServer<MemoryReactor>>,
}

fn accept() -> Setup {
    let reactor = MemoryReactor::new();
    let mut factory = ProxyFactory::new(&reactor, "example.org", 7);
    let client = StringTransport::new();
    let protocol = factory
        .build_protocol(client.transport().get_peer())
        .unwrap();
    let server = ProtocolHarness::connect(protocol, &client, reactor.clock()).unwrap();
    Setup {
        reactor,
        client,
        server,
    }
}

impl Setup {
    fn connector(&self) -> MemoryConnector {
        self.reactor.tcp_clients()[0].connector()
    }

    /// Plays the outgoing connection succeeding over a new transport.
    fn connect_destination(&self) -> (StringTransport, ProtocolHarness<ProxyClient>) {
        let destination = StringTransport::new();
        let harness = self
            .connector()
            .connection_succeeded::<ProxyClient>(&destination)
            .unwrap();
        (destination, harness)
    }
}

#[test]
fn an_accepted_connection_pauses_and_dials_the_destination() {
    let s = accept();
    assert_eq!(s.client.producer_state(), "paused");
    let clients = s.reactor.tcp_clients();
    assert_eq!(clients.len(), 1);
    assert_eq!(
        (clients[0].host.as_str(), clients[0].port),
        ("example.org", 7)
    );
    assert_eq!(s.server.protocol().destination().port, 7);
}

#[test]
fn bytes_before_the_destination_answers_are_sent_first() {
    let s = accept();
    s.server.data_received(b"early ").unwrap();
    s.server.data_received(b"bird").unwrap();
    let (destination, _d) = s.connect_destination();
    assert_eq!(destination.value(), b"early bird");
    assert_eq!(s.client.producer_state(), "producing");
    s.server.data_received(b"!").unwrap();
    assert_eq!(destination.value(), b"early bird!");
}

#[test]
fn bytes_flow_both_ways_once_connected() {
    let s = accept();
    let (destination, d) = s.connect_destination();
    s.server.data_received(b"ping").unwrap();
    d.data_received(b"pong").unwrap();
    assert_eq!(destination.value(), b"ping");
    assert_eq!(s.client.value(), b"pong");
}

#[test]
fn each_side_is_the_streaming_producer_of_the_other() {
    let s = accept();
    let (destination, _d) = s.connect_destination();
    let (on_client, streaming) = s.client.producer().expect("a producer on the client side");
    assert!(streaming);
    let (on_destination, streaming) = destination
        .producer()
        .expect("a producer on the destination side");
    assert!(streaming);

    // The client's buffer is full: the destination must stop being read, and back.
    on_client.borrow_mut().pause_producing();
    assert_eq!(destination.producer_state(), "paused");
    on_client.borrow_mut().resume_producing();
    assert_eq!(destination.producer_state(), "producing");

    on_destination.borrow_mut().pause_producing();
    assert_eq!(s.client.producer_state(), "paused");
    on_destination.borrow_mut().resume_producing();
    assert_eq!(s.client.producer_state(), "producing");
}

#[test]
fn the_destination_closing_closes_the_client_cleanly() {
    let s = accept();
    let (_destination, _d) = s.connect_destination();
    s.connector().connection_lost(Failure::new(ConnectionDone));
    assert!(s.client.disconnecting());
    assert!(!s.client.aborted());
}

#[test]
fn the_client_closing_closes_the_destination_cleanly() {
    let s = accept();
    let (destination, _d) = s.connect_destination();
    s.server.read_connection_lost().unwrap();
    assert!(s.client.disconnecting(), "EOF closes the client's side");
    s.server.connection_lost(Failure::new(ConnectionDone));
    assert!(destination.disconnecting());
    assert!(!destination.aborted());
}

#[test]
fn a_refused_destination_closes_the_client() {
    let s = accept();
    s.connector()
        .connection_failed(Failure::new(ConnectionRefused {
            os_error: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        }));
    assert!(s.client.disconnecting());
    assert!(!s.client.aborted());
    assert!(s.client.value().is_empty());
}

#[test]
fn a_client_leaving_while_dialing_abandons_the_attempt() {
    let s = accept();
    s.server.connection_lost(Failure::new(ConnectionDone));
    assert!(s.connector().stopped_connecting());
}

#[test]
fn a_destination_answering_after_the_client_left_is_closed() {
    let s = accept();
    // The client's connection ended in the same loop pass as the destination answered,
    // before its `connection_lost` ran.
    s.client.set_connected(false);
    let (destination, _d) = s.connect_destination();
    assert!(destination.disconnecting());
    assert!(destination.producer().is_none());
}
