//! Playing client connections on a `MemoryReactor`: the factory and the protocol hear
//! the same callbacks, in the same order, as from the real connector.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use crate::error::{ConnectionDone, ConnectionLost, NoProtocol, TimeoutError, UserError};
use crate::testing::{MemoryConnector, MemoryReactor, StringTransport, TcpEvent};
use crate::{
    Address, ClientFactory, Connector, Cx, Destination, Failure, Protocol, ReactorTcp, ReactorTime,
};

type Log = Rc<RefCell<Vec<String>>>;

fn entries(log: &Log) -> Vec<String> {
    log.borrow().clone()
}

/// Says hello when connected and acknowledges each message; logs every callback.
struct Greeter {
    log: Log,
    panic_on_connect: bool,
}

impl Protocol for Greeter {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.log.borrow_mut().push("made".into());
        cx.transport().write(b"hello\n");
        if self.panic_on_connect {
            panic!("greeter broke");
        }
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        self.log.borrow_mut().push(format!("data {text}"));
        cx.transport().write(format!("ack {text}\n"));
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.log
            .borrow_mut()
            .push(format!("protocol lost {}", reason.type_name()));
    }
}

/// How a [`Recorder`] builds protocols.
#[derive(Clone, Copy, PartialEq)]
enum Build {
    Greeter,
    PanickingGreeter,
    Nothing,
    Panic,
}

/// A client factory that logs every callback and retries `retries` times, at once or
/// after a delay on the reactor's clock.
struct Recorder {
    log: Log,
    build: Build,
    retries: u32,
    retry_after: Option<(MemoryReactor, Duration)>,
    connectors: Vec<Connector>,
}

impl Recorder {
    fn new(log: &Log) -> Recorder {
        Recorder {
            log: log.clone(),
            build: Build::Greeter,
            retries: 0,
            retry_after: None,
            connectors: Vec::new(),
        }
    }

    fn note(&self, entry: String) {
        self.log.borrow_mut().push(entry);
    }

    fn maybe_retry(&mut self, connector: &Connector) {
        if self.retries == 0 {
            return;
        }
        self.retries -= 1;
        match &self.retry_after {
            Some((reactor, delay)) => {
                let c = connector.clone();
                reactor.call_later(*delay, move || c.connect());
            }
            None => connector.connect(),
        }
    }
}

impl ClientFactory for Recorder {
    type Protocol = Greeter;

    fn build_protocol(&mut self, addr: Address) -> Option<Greeter> {
        self.note(format!("build {addr}"));
        match self.build {
            Build::Greeter | Build::PanickingGreeter => Some(Greeter {
                log: self.log.clone(),
                panic_on_connect: self.build == Build::PanickingGreeter,
            }),
            Build::Nothing => None,
            Build::Panic => panic!("no protocol today"),
        }
    }

    fn do_start(&mut self) {
        self.note("do_start".into());
    }

    fn do_stop(&mut self) {
        self.note("do_stop".into());
    }

    fn started_connecting(&mut self, connector: &Connector) {
        self.note(format!("started {}", connector.get_destination()));
        self.connectors.push(connector.clone());
    }

    fn client_connection_failed(&mut self, connector: &Connector, reason: &Failure) {
        self.note(format!("failed {}", reason.type_name()));
        self.maybe_retry(connector);
    }

    fn client_connection_lost(&mut self, connector: &Connector, reason: &Failure) {
        self.note(format!(
            "lost {} (transport gone: {})",
            reason.type_name(),
            connector.transport().is_none()
        ));
        self.maybe_retry(connector);
    }
}

fn peer() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 7], 110))
}

fn transport() -> StringTransport {
    StringTransport::with_addresses(SocketAddr::from(([10, 0, 0, 2], 50000)), peer())
}

/// A reactor, the log, and a connector to mail.example:110 whose factory `tweak` set up.
fn connect_with(tweak: impl FnOnce(&mut Recorder)) -> (MemoryReactor, Log, MemoryConnector) {
    let reactor = MemoryReactor::new();
    let log = Log::default();
    let mut factory = Recorder::new(&log);
    tweak(&mut factory);
    let connector = reactor.connect_tcp("mail.example", 110, factory);
    (reactor, log, connector)
}

#[test]
fn the_attempt_starts_from_the_clock_not_from_connect_tcp() {
    let (reactor, log, connector) = connect_with(|_| {});
    assert!(entries(&log).is_empty(), "nothing from inside connect_tcp");
    assert_eq!(connector.attempts(), 1);
    reactor.advance(Duration::ZERO);
    assert_eq!(entries(&log), ["do_start", "started mail.example:110"]);
    reactor.advance(Duration::from_secs(60));
    assert_eq!(entries(&log).len(), 2, "the timeout is not enforced");
}

#[test]
fn a_connection_runs_build_made_data_lost_then_client_lost_in_order() {
    let (reactor, log, connector) = connect_with(|_| {});
    let st = transport();
    let h = connector
        .connection_succeeded::<Greeter>(&st)
        .expect("connected");
    assert_eq!(
        entries(&log),
        [
            "do_start",
            "started mail.example:110",
            "build 192.0.2.7:110",
            "made"
        ],
        "the pending start ran first, and build_protocol got the transport's peer"
    );
    assert_eq!(st.value_str(), "hello\n");
    let t = connector.transport().expect("connected");
    assert!(t.is(&st.transport()));

    h.data_received(b"LIST").unwrap();
    assert_eq!(st.value_str(), "hello\nack LIST\n");
    assert!(h.protocol().log.borrow().last().unwrap() == "data LIST");

    connector.connection_lost(Failure::new(ConnectionLost { os_error: None }));
    assert!(!st.connected());
    assert_eq!(
        entries(&log)[5..],
        [
            "protocol lost ConnectionLost",
            "lost ConnectionLost (transport gone: true)",
            "do_stop"
        ]
    );
    assert!(connector.transport().is_none());
    assert!(reactor.clock().get_delayed_calls().is_empty());
}

#[test]
fn the_harness_connection_lost_also_tells_the_factory() {
    let (_reactor, log, connector) = connect_with(|_| {});
    let st = transport();
    let h = connector.connection_succeeded::<Greeter>(&st).unwrap();
    h.connection_lost(Failure::new(ConnectionDone));
    assert_eq!(
        entries(&log)[4..],
        [
            "protocol lost ConnectionDone",
            "lost ConnectionDone (transport gone: true)",
            "do_stop"
        ]
    );
}

#[test]
fn disconnect_while_connected_asks_the_transport_to_close() {
    let (reactor, log, connector) = connect_with(|_| {});
    let st = transport();
    let _h = connector.connection_succeeded::<Greeter>(&st).unwrap();
    connector.disconnect();
    assert!(st.disconnecting() && st.connected());
    assert_eq!(entries(&log).len(), 4, "the close is the test's to play");
    assert_eq!(
        reactor.events().last(),
        Some(&TcpEvent::Disconnect { client: 0 })
    );
    connector.connection_lost(Failure::new(ConnectionDone));
    assert_eq!(entries(&log).last().unwrap(), "do_stop");
}

#[test]
fn a_failure_reaches_client_connection_failed_with_its_reason_then_do_stop() {
    let (reactor, log, connector) = connect_with(|_| {});
    reactor.advance(Duration::ZERO);
    connector.connection_failed(Failure::new(TimeoutError));
    assert_eq!(
        entries(&log),
        [
            "do_start",
            "started mail.example:110",
            "failed TimeoutError",
            "do_stop"
        ]
    );
    assert!(connector.transport().is_none());
}

#[test]
fn a_factory_that_builds_nothing_fails_the_attempt_with_no_protocol() {
    let (_reactor, log, connector) = connect_with(|f| f.build = Build::Nothing);
    let st = transport();
    let err = connector.connection_succeeded::<Greeter>(&st).unwrap_err();
    assert!(err.check::<NoProtocol>(), "{err}");
    assert_eq!(
        entries(&log)[2..],
        ["build 192.0.2.7:110", "failed NoProtocol", "do_stop"]
    );
    assert!(st.value().is_empty());
    assert!(connector.transport().is_none());
}

#[test]
fn a_panicking_build_protocol_counts_as_no_protocol() {
    let (_reactor, log, connector) = connect_with(|f| f.build = Build::Panic);
    let err = connector
        .connection_succeeded::<Greeter>(&transport())
        .unwrap_err();
    assert!(err.check::<NoProtocol>(), "{err}");
    assert_eq!(entries(&log)[3..], ["failed NoProtocol", "do_stop"]);
}

#[test]
fn a_panicking_connection_made_aborts_and_leaves_the_close_to_play() {
    let (_reactor, log, connector) = connect_with(|f| f.build = Build::PanickingGreeter);
    let st = transport();
    let err = connector
        .connection_succeeded::<Greeter>(&st)
        .expect_err("the panic");
    assert!(err.to_string().contains("greeter broke"), "{err}");
    assert!(st.aborted());
    assert!(connector.transport().is_some(), "still up until it is lost");
    connector.connection_lost(Failure::new(ConnectionLost { os_error: None }));
    assert_eq!(
        entries(&log)[4..],
        [
            "protocol lost ConnectionLost",
            "lost ConnectionLost (transport gone: true)",
            "do_stop"
        ]
    );
}

#[test]
fn a_factory_retrying_later_on_the_clock_gets_new_attempts() {
    let reactor = MemoryReactor::new();
    let log = Log::default();
    let mut factory = Recorder::new(&log);
    factory.retries = 2;
    factory.retry_after = Some((reactor.clone(), Duration::from_secs(5)));
    let connector = reactor.connect_tcp("mail.example", 110, factory);

    connector.connection_failed(Failure::new(TimeoutError));
    assert_eq!(connector.attempts(), 1);
    reactor.advance(Duration::from_secs(4));
    assert_eq!(connector.attempts(), 1);
    reactor.advance(Duration::from_secs(1));
    assert_eq!(connector.attempts(), 2, "connect() from the clock");
    connector.connection_failed(Failure::new(TimeoutError));
    reactor.advance(Duration::from_secs(5));
    assert_eq!(connector.attempts(), 3);

    let st = transport();
    let _h = connector.connection_succeeded::<Greeter>(&st).unwrap();
    assert_eq!(
        entries(&log),
        [
            "do_start",
            "started mail.example:110",
            "failed TimeoutError",
            "do_stop",
            "do_start",
            "started mail.example:110",
            "failed TimeoutError",
            "do_stop",
            "do_start",
            "started mail.example:110",
            "build 192.0.2.7:110",
            "made"
        ],
        "between a failure and a retry started later the factory is stopped, as on the real reactor"
    );
    assert_eq!(
        reactor.events()[1..],
        [
            TcpEvent::Reconnect {
                client: 0,
                attempt: 2
            },
            TcpEvent::Reconnect {
                client: 0,
                attempt: 3
            }
        ]
    );

    connector.connection_lost(Failure::new(ConnectionDone));
    assert_eq!(
        entries(&log)[12..],
        [
            "protocol lost ConnectionDone",
            "lost ConnectionDone (transport gone: true)",
            "do_stop"
        ],
        "out of retries: the factory stops"
    );
}

#[test]
fn a_factory_reconnecting_at_once_after_a_loss_is_not_stopped() {
    let (reactor, log, connector) = connect_with(|f| f.retries = 1);
    let _h = connector
        .connection_succeeded::<Greeter>(&transport())
        .unwrap();
    connector.connection_lost(Failure::new(ConnectionLost { os_error: None }));
    assert_eq!(
        entries(&log).last().unwrap(),
        "lost ConnectionLost (transport gone: true)"
    );
    assert_eq!(connector.attempts(), 2);
    reactor.advance(Duration::ZERO);
    assert_eq!(entries(&log).last().unwrap(), "started mail.example:110");
    connector.connection_failed(Failure::new(TimeoutError));
    assert_eq!(entries(&log)[7..], ["failed TimeoutError", "do_stop"]);
}

#[test]
fn the_connector_the_factory_gets_is_this_connector() {
    let reactor = MemoryReactor::new();
    let log = Log::default();
    let factory = Rc::new(RefCell::new(Recorder::new(&log)));
    let connector = reactor.connect_tcp("mail.example", 110, factory.clone());
    reactor.advance(Duration::ZERO);
    let given = factory.borrow().connectors[0].clone();
    assert_eq!(
        given.get_destination(),
        Destination {
            host: "mail.example".into(),
            port: 110
        }
    );
    assert!(format!("{given:?}").contains("Connecting"), "{given:?}");
    given.stop_connecting();
    assert!(connector.stopped_connecting());
    assert_eq!(
        reactor.events().last(),
        Some(&TcpEvent::StopConnecting { client: 0 })
    );
}

#[test]
fn stop_connecting_fails_the_attempt_with_user_error_from_the_clock() {
    let (reactor, log, connector) = connect_with(|_| {});
    reactor.advance(Duration::ZERO);
    connector.stop_connecting();
    assert_eq!(entries(&log).len(), 2, "reported from the clock");
    reactor.advance(Duration::ZERO);
    assert_eq!(entries(&log)[2..], ["failed UserError", "do_stop"]);
    connector.stop_connecting();
    reactor.advance(Duration::ZERO);
    assert_eq!(entries(&log).len(), 4, "nothing more to stop");
}

#[test]
fn stop_connecting_before_the_start_fails_after_started_connecting() {
    let (reactor, log, connector) = connect_with(|_| {});
    connector.stop_connecting();
    connector.stop_connecting();
    reactor.advance(Duration::ZERO);
    assert_eq!(
        entries(&log),
        [
            "do_start",
            "started mail.example:110",
            "failed UserError",
            "do_stop"
        ]
    );
}

#[test]
fn a_retrying_factory_can_retry_after_stop_connecting() {
    let (reactor, log, connector) = connect_with(|f| f.retries = 1);
    reactor.advance(Duration::ZERO);
    connector.disconnect();
    reactor.advance(Duration::ZERO);
    assert_eq!(connector.attempts(), 2);
    assert_eq!(
        entries(&log)[2..],
        ["failed UserError", "started mail.example:110"]
    );
    let user_error = Failure::new(UserError);
    connector.connection_failed(user_error);
    assert_eq!(entries(&log).last().unwrap(), "do_stop");
}

#[test]
#[should_panic(expected = "connection_failed: no attempt to connect to mail.example:110")]
fn playing_an_outcome_for_a_stopped_attempt_panics() {
    let (reactor, _log, connector) = connect_with(|_| {});
    reactor.advance(Duration::ZERO);
    connector.stop_connecting();
    connector.connection_failed(Failure::new(TimeoutError));
}

#[test]
#[should_panic(expected = "connection_lost: no connection to mail.example:110 is up")]
fn losing_a_connection_that_is_not_up_panics() {
    let (_reactor, _log, connector) = connect_with(|_| {});
    connector.connection_lost(Failure::new(ConnectionDone));
}
