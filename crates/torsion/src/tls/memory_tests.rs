//! TLS made in memory ([`TlsProtocol`] over a transport that cannot carry TLS itself):
//! a client and a server over two [`StringTransport`]s, their records moved by hand.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use crate::error::{ConnectionAborted, ConnectionDone, ConnectionLost};
use crate::testing::{Clock, ProtocolHarness, StringTransport};
use crate::tls::{
    options_for_client_tls, ClientOptions, ServerOptions, TlsHandshakeTimeout, TlsProtocol,
    TlsTruncated,
};
use crate::{Cx, Failure, Protocol, Transport};

/// What one side's protocol was told.
#[derive(Default)]
struct Log {
    events: RefCell<Vec<String>>,
    data: RefCell<Vec<u8>>,
    reason: RefCell<Option<Failure>>,
    transport: RefCell<Option<Transport>>,
}

impl Log {
    fn events(&self) -> Vec<String> {
        self.events.borrow().clone()
    }

    fn data(&self) -> Vec<u8> {
        self.data.borrow().clone()
    }

    fn reason(&self) -> Failure {
        self.reason.borrow().clone().expect("connection_lost ran")
    }

    /// The transport the protocol under TLS writes to.
    fn transport(&self) -> Transport {
        self.transport
            .borrow()
            .clone()
            .expect("connection_made ran")
    }
}

/// Records its callbacks; closes at the peer's EOF unless it half-closes.
struct Peer {
    log: Rc<Log>,
    close_at_eof: bool,
}

impl Protocol for Peer {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        *self.log.transport.borrow_mut() = Some(cx.transport().clone());
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.log.data.borrow_mut().extend_from_slice(data);
    }

    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        self.log
            .events
            .borrow_mut()
            .push("read_connection_lost".into());
        if self.close_at_eof {
            cx.transport().lose_connection();
        }
    }

    fn write_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.log
            .events
            .borrow_mut()
            .push("write_connection_lost".into());
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.log
            .events
            .borrow_mut()
            .push(format!("connection_lost:{}", reason.type_name()));
        *self.log.reason.borrow_mut() = Some(reason.clone());
    }
}

/// One side: its protocol under TLS, the transport below it, and its log.
struct Side {
    below: StringTransport,
    harness: ProtocolHarness<TlsProtocol<Peer>>,
    log: Rc<Log>,
}

impl Side {
    fn new(options: crate::tls::TlsOptions, clock: &Clock) -> Side {
        let log = Rc::new(Log::default());
        let peer = Peer {
            log: log.clone(),
            close_at_eof: true,
        };
        let below = StringTransport::new();
        let harness = ProtocolHarness::connect(TlsProtocol::new(peer, options), &below, clock)
            .expect("connection_made");
        Side {
            below,
            harness,
            log,
        }
    }

    /// Takes what this side wrote below.
    fn take_written(&self) -> Vec<u8> {
        let out = self.below.value();
        self.below.clear();
        out
    }

    /// The transport the protocol under TLS writes to.
    fn transport(&self) -> Transport {
        self.log.transport()
    }
}

/// A self-signed certificate for `localhost`, as server options and a client trusting it.
fn options() -> (ServerOptions, ClientOptions) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = made.cert.pem();
    let key = made.signing_key.serialize_pem();
    let server = ServerOptions::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    let client = options_for_client_tls("localhost")
        .unwrap()
        .with_trust_root_pem(cert.as_bytes())
        .unwrap();
    (server, client)
}

struct Pair {
    clock: Clock,
    client: Side,
    server: Side,
}

impl Pair {
    fn new(server: ServerOptions, client: ClientOptions) -> Pair {
        let clock = Clock::new();
        let server = Side::new(server.into(), &clock);
        let client = Side::new(client.into(), &clock);
        Pair {
            clock,
            client,
            server,
        }
    }

    fn default() -> Pair {
        let (server, client) = options();
        Pair::new(server, client)
    }

    /// Moves bytes both ways until neither side has anything more to say; a side whose
    /// transport below is closing gets nothing more (as a closed socket would not).
    fn pump(&self) {
        for _ in 0..64 {
            let up = self.client.take_written();
            let down = self.server.take_written();
            if up.is_empty() && down.is_empty() {
                return;
            }
            if !up.is_empty() && !self.server.below.disconnecting() {
                self.server.harness.data_received(&up).unwrap();
            }
            if !down.is_empty() && !self.client.below.disconnecting() {
                self.client.harness.data_received(&down).unwrap();
            }
        }
        panic!("the two sides kept talking");
    }

    fn handshake(&self) {
        self.pump();
        assert!(self.client.transport().tls_version().is_some());
        assert!(self.server.transport().tls_version().is_some());
    }
}

#[test]
fn the_handshake_runs_in_memory_and_data_flows_both_ways() {
    let pair = Pair::default();
    assert_eq!(pair.client.below.value()[0], 0x16, "the client's hello");
    pair.client
        .transport()
        .write(b"written during the handshake");
    assert_eq!(
        pair.client.transport().buffered(),
        b"written during the handshake".len(),
        "held until the handshake ends"
    );
    pair.handshake();
    assert_eq!(pair.server.log.data(), b"written during the handshake");
    assert_eq!(pair.client.transport().buffered(), 0);

    let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    pair.server.transport().write(&big);
    pair.client.transport().write(b"and back");
    let wire = pair.server.below.value();
    assert!(
        !wire.windows(64).any(|w| w == &big[..64]),
        "the data goes out encrypted"
    );
    pair.pump();
    assert!(
        pair.client.log.data() == big,
        "the server's megabyte arrived"
    );
    assert_eq!(
        pair.server.log.data(),
        b"written during the handshakeand back"
    );
    assert_eq!(
        pair.client.transport().tls_version(),
        pair.server.transport().tls_version()
    );
}

#[test]
fn lose_connection_sends_close_notify_and_both_sides_end_done() {
    let pair = Pair::default();
    pair.handshake();
    pair.client.transport().write(b"last words");
    pair.client.transport().lose_connection();
    assert!(
        pair.client.below.disconnecting(),
        "the transport below closes"
    );
    assert!(!pair.client.below.aborted());
    assert!(pair.client.transport().disconnecting());
    // The records, then close_notify, reach the server: its EOF.
    pair.pump();
    assert_eq!(pair.server.log.data(), b"last words");
    assert_eq!(pair.server.log.events(), ["read_connection_lost"]);
    assert!(
        pair.server.below.disconnecting(),
        "the server closed at the EOF"
    );
    pair.client
        .harness
        .connection_lost(Failure::new(ConnectionDone));
    pair.server
        .harness
        .connection_lost(Failure::new(ConnectionDone));
    assert_eq!(pair.client.log.events(), ["connection_lost:ConnectionDone"]);
    assert_eq!(
        pair.server.log.events(),
        ["read_connection_lost", "connection_lost:ConnectionDone"]
    );
}

#[test]
fn writes_after_lose_connection_are_dropped() {
    let pair = Pair::default();
    pair.handshake();
    pair.client.transport().lose_connection();
    pair.client.transport().write(b"too late");
    pair.pump();
    assert!(pair.server.log.data().is_empty());
    assert_eq!(pair.server.log.events(), ["read_connection_lost"]);
}

#[test]
fn an_eof_below_without_close_notify_is_a_truncation() {
    let pair = Pair::default();
    pair.handshake();
    pair.client.transport().write(b"cut");
    pair.pump();
    pair.server.harness.read_connection_lost().unwrap();
    assert!(pair.server.below.disconnecting());
    pair.server
        .harness
        .connection_lost(Failure::new(ConnectionDone));
    assert_eq!(pair.server.log.data(), b"cut");
    assert_eq!(pair.server.log.events(), ["connection_lost:TlsTruncated"]);
    let reason = pair.server.log.reason();
    assert!(reason.check::<TlsTruncated>());
    assert!(reason.check::<ConnectionLost>());
}

#[test]
fn the_transport_below_lost_without_close_notify_is_a_truncation() {
    let pair = Pair::default();
    pair.handshake();
    pair.server
        .harness
        .connection_lost(Failure::new(ConnectionDone));
    let reason = pair.server.log.reason();
    assert!(
        reason.check::<TlsTruncated>(),
        "a clean close below is no clean TLS close: {reason:?}"
    );
}

#[test]
fn abort_connection_sends_no_close_notify() {
    let pair = Pair::default();
    pair.handshake();
    pair.client.transport().abort_connection();
    assert!(pair.client.below.aborted());
    assert!(pair.client.below.value().is_empty(), "no alert was written");
    pair.client
        .harness
        .connection_lost(Failure::new(ConnectionAborted));
    assert_eq!(
        pair.client.log.events(),
        ["connection_lost:ConnectionAborted"]
    );
}

#[test]
fn a_half_close_sends_close_notify_and_reads_on() {
    let pair = Pair::default();
    pair.server
        .harness
        .protocol_mut()
        .hosted_mut()
        .protocol_mut()
        .close_at_eof = false;
    pair.handshake();
    pair.client.transport().write(b"request");
    pair.client.transport().lose_write_connection();
    assert!(pair.client.below.write_shut(), "the TCP half-close follows");
    pair.client.harness.write_connection_lost().unwrap();
    pair.pump();
    assert_eq!(pair.server.log.data(), b"request");
    assert_eq!(pair.server.log.events(), ["read_connection_lost"]);
    pair.server.transport().write(b"reply");
    pair.server.transport().lose_connection();
    pair.pump();
    assert_eq!(pair.client.log.data(), b"reply");
    assert!(
        pair.client.below.disconnecting(),
        "both halves closed: the connection ends"
    );
    pair.client
        .harness
        .connection_lost(Failure::new(ConnectionDone));
    assert_eq!(
        pair.client.log.events(),
        ["write_connection_lost", "connection_lost:ConnectionDone"]
    );
}

#[test]
fn lose_connection_during_the_handshake_waits_for_it_when_data_is_pending() {
    let pair = Pair::default();
    pair.client.transport().write(b"early");
    pair.client.transport().lose_connection();
    assert!(!pair.client.below.disconnecting(), "the handshake goes on");
    pair.pump();
    assert_eq!(pair.server.log.data(), b"early");
    assert_eq!(pair.server.log.events(), ["read_connection_lost"]);
    assert!(pair.client.below.disconnecting());
    assert!(!pair.client.below.aborted());
}

#[test]
fn lose_connection_during_the_handshake_with_nothing_to_send_aborts() {
    let pair = Pair::default();
    pair.client.transport().lose_connection();
    assert!(pair.client.below.aborted());
}

#[test]
fn a_handshake_past_its_deadline_is_aborted_with_the_reason() {
    let (server, client) = options();
    let pair = Pair::new(server.handshake_timeout(Duration::from_millis(200)), client);
    // The client's hello never reaches the server.
    pair.clock.advance(Duration::from_millis(199));
    assert!(!pair.server.below.disconnecting());
    pair.clock.advance(Duration::from_millis(1));
    assert!(pair.server.below.aborted());
    pair.server
        .harness
        .connection_lost(Failure::new(ConnectionAborted));
    let reason = pair.server.log.reason();
    let timeout = reason
        .downcast_ref::<TlsHandshakeTimeout>()
        .expect("a handshake timeout");
    assert_eq!(timeout.after, Duration::from_millis(200));
}

#[test]
fn a_handshake_that_ended_is_not_timed_out() {
    let (server, client) = options();
    let pair = Pair::new(server.handshake_timeout(Duration::from_millis(200)), client);
    pair.handshake();
    pair.clock.advance(Duration::from_secs(60));
    assert!(!pair.server.below.disconnecting());
    assert!(!pair.client.below.disconnecting());
}

#[test]
fn alpn_is_negotiated_through_the_memory_transport() {
    let (server, client) = options();
    let pair = Pair::new(
        server.with_alpn(["h2", "http/1.1"]),
        client.with_alpn(["http/1.1"]),
    );
    assert_eq!(pair.client.transport().negotiated_protocol(), None);
    pair.handshake();
    assert_eq!(
        pair.client.transport().negotiated_protocol().as_deref(),
        Some(b"http/1.1".as_slice())
    );
    assert_eq!(
        pair.server.transport().negotiated_protocol().as_deref(),
        Some(b"http/1.1".as_slice())
    );
    assert!(pair.client.transport().peer_certificates().is_some());
}

#[test]
fn start_tls_on_the_memory_transport_is_refused() {
    let (server, _) = options();
    let pair = Pair::default();
    let err = pair.server.transport().start_tls(server).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
}
