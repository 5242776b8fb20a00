//! The forwarder's logic on test doubles: a [`MemoryReactor`] plays the outgoing
//! connection, [`StringTransport`]s stand for both sockets.

use std::cell::Cell;
use std::rc::Rc;

use super::client::ProxyClient;
use super::pair::{Gate, HIGH_WATER};
use super::{ProxyFactory, ProxyServer};
use crate::error::{ConnectionDone, ConnectionRefused};
use crate::testing::{MemoryConnector, MemoryReactor, ProtocolHarness, StringTransport};
use crate::{Address, Factory, Failure, Producer, Transport, TransportBackend};

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
fn each_side_is_a_pull_producer_of_the_other() {
    let s = accept();
    let (destination, _d) = s.connect_destination();
    let (on_client, streaming) = s.client.producer().expect("a producer on the client side");
    assert!(!streaming);
    let (on_destination, streaming) = destination
        .producer()
        .expect("a producer on the destination side");
    assert!(!streaming);

    // Asked for more while nothing was held back: nothing changes.
    on_client.borrow_mut().resume_producing();
    on_destination.borrow_mut().resume_producing();
    assert_eq!(destination.producer_state(), "producing");
    assert_eq!(s.client.producer_state(), "producing");

    // The client's transport is gone: the destination is closed after its buffer.
    on_client.borrow_mut().stop_producing();
    assert!(destination.disconnecting());
    assert!(!destination.aborted());
}

/// A transport whose write buffer holds as many bytes as the test says.
struct Deep {
    below: Transport,
    buffered: Cell<usize>,
}

impl TransportBackend for Deep {
    fn write(&self, data: &[u8]) {
        self.below.write(data);
    }
    fn lose_connection(&self) {
        self.below.lose_connection();
    }
    fn abort_connection(&self) {
        self.below.abort_connection();
    }
    fn get_peer(&self) -> Address {
        self.below.get_peer()
    }
    fn get_host(&self) -> Address {
        self.below.get_host()
    }
    fn connected(&self) -> bool {
        self.below.connected()
    }
    fn disconnecting(&self) -> bool {
        self.below.disconnecting()
    }
    fn buffered(&self) -> usize {
        self.buffered.get()
    }
}

#[test]
fn a_gate_holds_the_reader_while_the_writer_is_full_and_frees_it_once_drained() {
    let reader = StringTransport::new();
    let deep = Rc::new(Deep {
        below: StringTransport::new().transport(),
        buffered: Cell::new(HIGH_WATER),
    });
    let writer = Transport::new(deep.clone());
    let gate = Gate::shared(&reader.transport());

    gate.borrow_mut().hold_if_full(&writer);
    assert_eq!(
        reader.producer_state(),
        "producing",
        "at the mark is not above it"
    );
    deep.buffered.set(HIGH_WATER + 1);
    gate.borrow_mut().hold_if_full(&writer);
    assert_eq!(reader.producer_state(), "paused");

    // The writer's transport asks for more once its buffer is empty.
    deep.buffered.set(0);
    gate.borrow_mut().resume_producing();
    assert_eq!(reader.producer_state(), "producing");

    // The gate frees only what it held: a reader paused by someone else stays paused.
    reader.transport().pause_producing();
    gate.borrow_mut().resume_producing();
    assert_eq!(reader.producer_state(), "paused");
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
