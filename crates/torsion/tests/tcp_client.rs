//! The client side of TCP over loopback: `connect_tcp`, its factory's callbacks, and every
//! way an attempt can fail.

mod util;

use std::cell::{Cell, RefCell};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use torsion::error::{ConnectionDone, ConnectionRefused, DnsLookupError, TimeoutError, UserError};
use torsion::{
    Address, ClientFactory, ConnectOptions, Connector, Destination, Failure, ListenOptions,
};
use util::{Record, Recorder, RecordingClientFactory};

/// A server that greets with `greeting` and closes.
fn greeting_server(reactor: &torsion::Reactor, greeting: &'static [u8]) -> torsion::ListeningPort {
    let record = Record::new();
    util::listen(reactor, move |_peer| {
        let mut p = Recorder::new(&record);
        p.greeting = greeting.to_vec();
        p.close_after_greeting = true;
        Some(p)
    })
}

/// Checks the factory heard of exactly one attempt, which failed with `kind`, and returns
/// the failure.
fn one_failed_attempt(record: &Record, kind: &str) -> Failure {
    let failed = format!("client_connection_failed:{kind}");
    assert_eq!(
        record.events(),
        ["do_start", "started_connecting", failed.as_str(), "do_stop"]
    );
    record.last_reason()
}

#[test]
fn client_callbacks_come_in_twisted_order() {
    let reactor = util::reactor();
    let port = greeting_server(&reactor, b"hello client");
    let record = Record::new();
    let connector = reactor.connect_tcp(
        "127.0.0.1",
        port.get_host().port(),
        RecordingClientFactory::stopping(&record, &reactor),
    );
    assert!(
        record.events().is_empty(),
        "connect_tcp runs no callback before it returns"
    );
    assert_eq!(
        connector.get_destination(),
        Destination {
            host: "127.0.0.1".into(),
            port: port.get_host().port()
        }
    );
    util::run(&reactor);
    assert_eq!(
        record.events(),
        [
            "do_start",
            "started_connecting",
            "build_protocol",
            "connection_made",
            "data",
            "read_connection_lost",
            "connection_lost:ConnectionDone",
            "client_connection_lost:ConnectionDone",
            "do_stop",
        ]
    );
    assert_eq!(record.data(), b"hello client");
    assert!(record.reasons().iter().all(|r| r.check::<ConnectionDone>()));
    assert!(
        connector.transport().is_none(),
        "no transport once disconnected"
    );
}

#[test]
fn a_closed_port_is_refused_with_twisteds_message() {
    let reactor = util::reactor();
    let record = Record::new();
    reactor.connect_tcp(
        "127.0.0.1",
        util::closed_port(),
        RecordingClientFactory::stopping(&record, &reactor),
    );
    util::run(&reactor);
    let reason = one_failed_attempt(&record, "ConnectionRefused");
    assert!(reason.check::<ConnectionRefused>());
    assert_eq!(
        reason.get_error_message(),
        "Connection was refused by other side: 111: Connection refused."
    );
}

/// A listening socket whose accept queue is full: further SYNs are dropped, so a connect
/// to it neither succeeds nor fails until it times out. Returns the sockets to keep alive.
fn full_backlog_listener() -> (SocketAddr, Vec<Socket>) {
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let mut keep = vec![listener];
    for _ in 0..3 {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        s.set_nonblocking(true).unwrap();
        let _ = s.connect(&addr.into());
        keep.push(s);
    }
    (addr, keep)
}

#[test]
fn a_connect_that_does_not_finish_times_out() {
    let (addr, _keep) = full_backlog_listener();
    let reactor = util::reactor();
    let record = Record::new();
    let options = ConnectOptions {
        timeout: Some(Duration::from_millis(300)),
        bind_address: None,
    };
    reactor.connect_tcp_with(
        "127.0.0.1",
        addr.port(),
        RecordingClientFactory::stopping(&record, &reactor),
        options,
    );
    util::run(&reactor);
    let reason = one_failed_attempt(&record, "TimeoutError");
    assert!(reason.check::<TimeoutError>());
    assert_eq!(
        reason.get_error_message(),
        "User timeout caused connection failure."
    );
    assert_eq!(
        reactor.connection_count(),
        0,
        "the abandoned socket is dropped"
    );
}

#[test]
fn an_unknown_host_is_a_dns_lookup_error() {
    let reactor = util::reactor();
    let record = Record::new();
    reactor.connect_tcp(
        "no-such-host.invalid",
        80,
        RecordingClientFactory::stopping(&record, &reactor),
    );
    util::run(&reactor);
    let reason = one_failed_attempt(&record, "DnsLookupError");
    let err = reason
        .downcast_ref::<DnsLookupError>()
        .expect("a DnsLookupError");
    assert_eq!(err.host, "no-such-host.invalid");
    assert!(
        reason.get_error_message().contains("no-such-host.invalid"),
        "{}",
        reason.get_error_message()
    );
}

#[test]
fn connecting_to_localhost_by_name_works() {
    let reactor = util::reactor();
    let port = greeting_server(&reactor, b"by name");
    let record = Record::new();
    reactor.connect_tcp(
        "localhost",
        port.get_host().port(),
        RecordingClientFactory::stopping(&record, &reactor),
    );
    util::run(&reactor);
    assert_eq!(record.data(), b"by name");
    assert!(
        record.has("client_connection_lost:ConnectionDone"),
        "{:?}",
        record.events()
    );
}

#[test]
fn ipv6_loopback_listen_and_connect() {
    let reactor = util::reactor();
    let options = ListenOptions {
        interface: "::1".into(),
        ..ListenOptions::default()
    };
    let peers: Rc<RefCell<Vec<Address>>> = Rc::default();
    let (p, rec) = (peers.clone(), Record::new());
    let port = match reactor.listen_tcp_with(
        0,
        move |peer| {
            p.borrow_mut().push(peer);
            let mut proto = Recorder::new(&rec);
            proto.greeting = b"v6".to_vec();
            proto.close_after_greeting = true;
            Some(proto)
        },
        options,
    ) {
        Ok(port) => port,
        Err(err) => {
            eprintln!("skipped: no IPv6 loopback here ({err})");
            return;
        }
    };
    assert!(port.get_host().is_ipv6());
    let record = Record::new();
    let connector = reactor.connect_tcp(
        "::1",
        port.get_host().port(),
        RecordingClientFactory::stopping(&record, &reactor),
    );
    assert_eq!(
        connector.get_destination().to_string(),
        format!("[::1]:{}", port.get_host().port())
    );
    util::run(&reactor);
    assert_eq!(record.data(), b"v6");
    assert_eq!(peers.borrow().len(), 1);
    assert_eq!(
        peers.borrow()[0].ip(),
        Some("::1".parse::<IpAddr>().unwrap())
    );
}

/// A client factory that stops connecting as soon as an attempt starts.
struct Impatient {
    record: Rc<Record>,
    reactor: torsion::Reactor,
}

impl ClientFactory for Impatient {
    type Protocol = Recorder;

    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Recorder> {
        self.record.push("build_protocol");
        Some(Recorder::new(&self.record))
    }

    fn started_connecting(&mut self, connector: &Connector) {
        self.record.push("started_connecting");
        connector.stop_connecting();
        self.record.push("stop_connecting returned");
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        self.record
            .push(format!("client_connection_failed:{}", reason.type_name()));
        self.record.push(reason.get_error_message());
        self.reactor.stop();
    }
}

#[test]
fn stop_connecting_from_started_connecting_gives_user_error() {
    let reactor = util::reactor();
    let port = greeting_server(&reactor, b"never read");
    let record = Record::new();
    reactor.connect_tcp(
        "127.0.0.1",
        port.get_host().port(),
        Impatient {
            record: record.clone(),
            reactor: reactor.clone(),
        },
    );
    util::run(&reactor);
    assert_eq!(
        record.events(),
        [
            "started_connecting",
            "stop_connecting returned",
            "client_connection_failed:UserError",
            "User aborted connection.",
        ]
    );
}

#[test]
fn stop_connecting_right_after_connect_tcp_still_reports_in_order() {
    let reactor = util::reactor();
    let port = greeting_server(&reactor, b"never read");
    let record = Record::new();
    let connector = reactor.connect_tcp(
        "127.0.0.1",
        port.get_host().port(),
        RecordingClientFactory::stopping(&record, &reactor),
    );
    connector.stop_connecting();
    util::run(&reactor);
    assert!(record.last_reason().check::<UserError>());
    assert_eq!(
        record.events(),
        ["do_start", "started_connecting", "client_connection_failed:UserError", "do_stop"],
        "ClientFactory's documented order: started_connecting comes before client_connection_failed"
    );
}

/// Connects again from `client_connection_lost` until it has connected `times` times.
struct Reconnecting {
    record: Rc<Record>,
    connections: Rc<Cell<u32>>,
    times: u32,
    reactor: torsion::Reactor,
}

impl ClientFactory for Reconnecting {
    type Protocol = Recorder;

    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Recorder> {
        self.connections.set(self.connections.get() + 1);
        Some(Recorder::new(&self.record))
    }

    fn do_start(&mut self) {
        self.record.push("do_start");
    }

    fn do_stop(&mut self) {
        self.record.push("do_stop");
    }

    fn client_connection_lost(&mut self, connector: &Connector, reason: &Failure) {
        self.record
            .push(format!("client_connection_lost:{}", reason.type_name()));
        if self.connections.get() < self.times {
            connector.connect();
        } else {
            self.reactor.stop();
        }
    }
}

#[test]
fn connect_again_from_client_connection_lost() {
    let reactor = util::reactor();
    let port = greeting_server(&reactor, b"x");
    let record = Record::new();
    let connections = Rc::new(Cell::new(0));
    let factory = Reconnecting {
        record: record.clone(),
        connections: connections.clone(),
        times: 3,
        reactor: reactor.clone(),
    };
    reactor.connect_tcp("127.0.0.1", port.get_host().port(), factory);
    util::run(&reactor);
    assert_eq!(connections.get(), 3);
    assert_eq!(record.data(), b"xxx");
    let one = [
        "connection_made",
        "data",
        "read_connection_lost",
        "connection_lost:ConnectionDone",
        "client_connection_lost:ConnectionDone",
    ];
    let mut expected = vec!["do_start"];
    for _ in 0..3 {
        expected.extend(one);
    }
    expected.push("do_stop");
    assert_eq!(
        record.events(),
        expected,
        "do_start once, do_stop once at the very end"
    );
}

#[test]
fn bind_address_is_used_as_the_local_end() {
    let reactor = util::reactor();
    let peers: Rc<RefCell<Vec<Address>>> = Rc::default();
    let p = peers.clone();
    let port = util::listen(&reactor, move |peer| {
        p.borrow_mut().push(peer);
        Some(util::Echo)
    });
    let local_port = util::closed_port();
    let bind: SocketAddr = SocketAddr::from(([127, 0, 0, 2], local_port));
    let record = Record::new();
    let factory = RecordingClientFactory::stopping(&record, &reactor);
    let options = ConnectOptions {
        bind_address: Some(bind),
        ..ConnectOptions::default()
    };
    let connector = reactor.connect_tcp_with("127.0.0.1", port.get_host().port(), factory, options);
    let (c, rec, hosts) = (
        connector.clone(),
        record.clone(),
        Rc::new(RefCell::new(Vec::new())),
    );
    let h = hosts.clone();
    util::run_until(&reactor, move || {
        if !rec.has("connection_made") {
            return false;
        }
        let t = c
            .transport()
            .expect("connected: the connector has a transport");
        h.borrow_mut().push(t.get_host());
        true
    });
    assert_eq!(
        peers.borrow().as_slice(),
        [bind],
        "the server sees the bound address"
    );
    assert_eq!(
        hosts.borrow().as_slice(),
        [bind],
        "the client transport's host is the bound address"
    );
}

#[test]
fn disconnect_closes_an_established_connection() {
    let reactor = util::reactor();
    let port = util::listen(&reactor, |_peer| Some(util::Echo));
    let record = Record::new();
    let factory = RecordingClientFactory {
        record: record.clone(),
        greeting: Vec::new(),
        stop_when_done: None,
    };
    let connector = reactor.connect_tcp("127.0.0.1", port.get_host().port(), factory);
    let (c, rec, asked) = (connector.clone(), record.clone(), Cell::new(false));
    util::run_until(&reactor, move || {
        if rec.has("connection_made") && !asked.replace(true) {
            c.disconnect();
        }
        rec.has("do_stop")
    });
    assert_eq!(
        record.events(),
        [
            "do_start",
            "started_connecting",
            "build_protocol",
            "connection_made",
            "connection_lost:ConnectionDone",
            "client_connection_lost:ConnectionDone",
            "do_stop",
        ]
    );
}
