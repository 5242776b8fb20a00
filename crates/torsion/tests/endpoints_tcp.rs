//! Endpoints over loopback: listen and connect, their Deferreds, cancelling an attempt,
//! racing a name's addresses, and endpoints built from descriptions.

mod util;

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use torsion::defer::Deferred;
use torsion::endpoints::{
    client_from_string, connect_protocol, server_from_string, ClientEndpoint, HostnameEndpoint,
    Resolver, TcpClientEndpoint, TcpServerEndpoint,
};
use torsion::error::{CancelledError, ConnectError, ConnectionRefused};
use torsion::{Cx, Failure, Protocol, ProtocolHandle, Reactor};
use util::{closed_port, reactor, run, run_until};

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

/// Collects what it receives.
#[derive(Default)]
struct Collect {
    got: Rc<RefCell<Vec<u8>>>,
}

impl Collect {
    fn send(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

impl Protocol for Collect {
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.got.borrow_mut().extend_from_slice(data);
    }
}

/// Runs the reactor until `d` has its result, and takes it.
fn settle<T: 'static>(reactor: &Reactor, d: Deferred<T>) -> Result<T, Failure> {
    let r = reactor.clone();
    let d = d.add_both(move |outcome| {
        r.stop();
        outcome
    });
    run(reactor);
    d.take_result().expect("settled")
}

fn echo_port(reactor: &Reactor) -> u16 {
    let endpoint = TcpServerEndpoint::new(reactor, 0).interface("127.0.0.1");
    let port = endpoint.listen(|_peer| Some(Echo)).take_result().unwrap();
    port.unwrap().get_host().port()
}

#[test]
fn connect_gives_a_handle_to_the_connected_protocol() {
    let reactor = reactor();
    let port = echo_port(&reactor);
    let got = Rc::new(RefCell::new(Vec::new()));
    let collect = Collect { got: got.clone() };
    let endpoint: ClientEndpoint = TcpClientEndpoint::new(&reactor, "127.0.0.1", port).into();
    let connected = connect_protocol(&endpoint, collect).add_callback(|handle| {
        // From the Deferred's callback, the protocol is reachable.
        handle.with(|p, cx| p.send(cx, b"hello")).unwrap();
        Ok(handle)
    });
    let g = got.clone();
    run_until(&reactor, move || g.borrow().len() == 5);
    assert_eq!(&*got.borrow(), b"hello");
    let handle: ProtocolHandle<Collect> = connected.take_result().unwrap().unwrap();
    assert!(
        !handle.transport().connected(),
        "closed when the reactor stopped"
    );
    assert!(
        handle.with(|_, _| ()).is_none(),
        "a closed connection's protocol is gone"
    );
}

#[test]
fn a_refused_connection_fails_the_deferred() {
    let reactor = reactor();
    let endpoint = TcpClientEndpoint::new(&reactor, "127.0.0.1", closed_port());
    let failure = settle(&reactor, endpoint.connect(|_addr| Some(Echo))).unwrap_err();
    assert!(failure.check::<ConnectionRefused>(), "{failure}");
    assert!(failure.check::<ConnectError>(), "refused is a ConnectError");
}

#[test]
fn cancelling_an_attempt_stops_it_before_any_protocol() {
    let reactor = reactor();
    let accepted = Rc::new(Cell::new(0));
    let a = accepted.clone();
    let port = TcpServerEndpoint::new(&reactor, 0)
        .interface("127.0.0.1")
        .listen(move |_peer| {
            a.set(a.get() + 1);
            Some(Echo)
        })
        .take_result()
        .unwrap()
        .unwrap()
        .get_host()
        .port();
    let built = Rc::new(Cell::new(false));
    let b = built.clone();
    let d = TcpClientEndpoint::new(&reactor, "127.0.0.1", port).connect(move |_addr| {
        b.set(true);
        Some(Echo)
    });
    d.cancel();
    let failure = d.take_result().unwrap().unwrap_err();
    assert!(failure.check::<CancelledError>(), "{failure}");
    util::run_span(&reactor, Duration::from_millis(50));
    assert!(!built.get(), "no protocol for a cancelled attempt");
    assert_eq!(accepted.get(), 0, "the socket was never connected");
}

#[test]
fn hostname_endpoint_resolves_and_connects() {
    let reactor = reactor();
    let port = echo_port(&reactor);
    let got = Rc::new(RefCell::new(Vec::new()));
    let collect = Collect { got: got.clone() };
    let endpoint: ClientEndpoint = HostnameEndpoint::new(&reactor, "localhost", port).into();
    let _connected = connect_protocol(&endpoint, collect)
        .add_callback(|handle| Ok(handle.with(|p, cx| p.send(cx, b"via name"))));
    let g = got.clone();
    run_until(&reactor, move || g.borrow().len() == 8);
    assert_eq!(&*got.borrow(), b"via name");
}

/// A resolver that answers `addrs` for any name.
fn fixed(addrs: Vec<SocketAddr>) -> Resolver {
    Rc::new(move |_host: &str, _port: u16| Deferred::succeed(addrs.clone()))
}

#[test]
fn hostname_endpoint_builds_one_protocol_when_two_attempts_connect() {
    let reactor = reactor();
    let accepted = Rc::new(Cell::new(0));
    let a = accepted.clone();
    let counting_port = TcpServerEndpoint::new(&reactor, 0)
        .interface("127.0.0.1")
        .listen(move |_peer| {
            a.set(a.get() + 1);
            Some(Echo)
        })
        .take_result()
        .unwrap()
        .unwrap();
    let server: SocketAddr = counting_port.get_host();
    let built = Rc::new(Cell::new(0));
    let b = built.clone();
    // The same server twice, with no stagger: both attempts connect, and only the first
    // gets a protocol; the other's socket is closed.
    let endpoint = HostnameEndpoint::new(&reactor, "twice.example", server.port())
        .resolver(fixed(vec![server, server]))
        .attempt_delay(Duration::ZERO);
    let d = endpoint.connect(move |_addr| {
        b.set(b.get() + 1);
        Some(Echo)
    });
    let acc = accepted.clone();
    run_until(&reactor, move || acc.get() == 2);
    assert!(d.take_result().unwrap().is_ok());
    assert_eq!(built.get(), 1);
}

#[test]
fn hostname_endpoint_falls_back_to_the_next_address() {
    let reactor = reactor();
    let port = echo_port(&reactor);
    let dead = SocketAddr::from(([127, 0, 0, 1], closed_port()));
    let live = SocketAddr::from(([127, 0, 0, 1], port));
    let endpoint = HostnameEndpoint::new(&reactor, "two.example", port)
        .resolver(fixed(vec![dead, live]))
        // Longer than the test's deadline: only a refused attempt starting the next one
        // at once lets it finish.
        .attempt_delay(Duration::from_secs(3600));
    let handle = settle(&reactor, endpoint.connect(|_addr| Some(Echo))).unwrap();
    assert_eq!(handle.transport().get_peer(), live);
}

#[test]
fn hostname_endpoint_fails_with_the_last_failure() {
    let reactor = reactor();
    let dead = SocketAddr::from(([127, 0, 0, 1], closed_port()));
    let endpoint = HostnameEndpoint::new(&reactor, "dead.example", dead.port())
        .resolver(fixed(vec![dead, dead]));
    let failure = settle(&reactor, endpoint.connect(|_addr| Some(Echo))).unwrap_err();
    assert!(failure.check::<ConnectionRefused>(), "{failure}");
}

#[test]
fn hostname_endpoint_reports_an_unknown_name() {
    let reactor = reactor();
    let failure = settle(
        &reactor,
        HostnameEndpoint::new(&reactor, "no-such-host.invalid", 80).connect(|_addr| Some(Echo)),
    )
    .unwrap_err();
    assert!(
        failure.check::<torsion::error::DnsLookupError>(),
        "{failure}"
    );
}

#[test]
fn endpoints_from_descriptions_listen_and_connect() {
    let reactor = reactor();
    let server = server_from_string(&reactor, "tcp:0:interface=127.0.0.1").unwrap();
    let port = server
        .listen(|_peer| Some(Echo))
        .take_result()
        .unwrap()
        .unwrap();
    let description = format!(
        "tcp:host=127.0.0.1:port={}:timeout=5",
        port.get_host().port().unwrap()
    );
    let client = client_from_string(&reactor, &description).unwrap();
    let got = Rc::new(RefCell::new(Vec::new()));
    let _d = connect_protocol(&client, Collect { got: got.clone() })
        .add_callback(|h| Ok(h.with(|p, cx| p.send(cx, b"described"))));
    let g = got.clone();
    run_until(&reactor, move || g.borrow().len() == 9);
    assert_eq!(&*got.borrow(), b"described");
}

#[test]
fn a_bad_description_names_the_bad_part() {
    let reactor = reactor();
    let err: Failure = server_from_string(&reactor, "tcp:80x").unwrap_err();
    assert!(err.to_string().contains("\"80x\""), "{err}");
    let err = server_from_string(&reactor, "tpc:80").unwrap_err();
    assert!(err.to_string().contains("tpc"), "{err}");
}

/// A server factory that records when it stops.
struct Stopping {
    log: Rc<RefCell<Vec<&'static str>>>,
}

impl torsion::Factory for Stopping {
    type Protocol = Echo;
    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Echo> {
        Some(Echo)
    }
    fn do_stop(&mut self) {
        self.log.borrow_mut().push("do_stop");
    }
}

#[test]
fn stop_listening_fires_after_the_factory_stopped() {
    let reactor = reactor();
    let log = Rc::new(RefCell::new(Vec::new()));
    let port = TcpServerEndpoint::new(&reactor, 0)
        .interface("127.0.0.1")
        .listen(Stopping { log: log.clone() })
        .take_result()
        .unwrap()
        .unwrap();
    let (l, r) = (log.clone(), reactor.clone());
    let stopped = port.stop_listening().add_callback(move |()| {
        l.borrow_mut().push("deferred");
        r.stop();
        Ok(())
    });
    assert!(!stopped.called(), "fires from the loop, after do_stop");
    run(&reactor);
    assert_eq!(*log.borrow(), ["do_stop", "deferred"]);
    assert!(
        port.stop_listening().called(),
        "a stopped port gives a fired Deferred"
    );
}
