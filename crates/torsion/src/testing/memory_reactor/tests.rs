use super::*;
use crate::error::ConnectionDone;
use crate::reactor_api::ConnectorHandle;
use crate::testing::{ProtocolHarness, StringTransport};
use crate::{Cx, LoopingCall, Protocol, Reactor, Transport};

#[derive(Default)]
struct Room {
    joined: usize,
    members: Vec<Transport>,
}

/// The seeds' broadcast chat: numbered welcome, forwards to the others, `close` closes.
struct Spreader {
    room: Rc<RefCell<Room>>,
}

impl Protocol for Spreader {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let mut room = self.room.borrow_mut();
        room.joined += 1;
        cx.transport()
            .write(format!("Welcome, you are client number {}!\n", room.joined));
        room.members.push(cx.transport().clone());
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        if data == b"close" {
            return cx.transport().lose_connection();
        }
        for t in self
            .room
            .borrow()
            .members
            .iter()
            .filter(|t| !t.is(cx.transport()))
        {
            t.write(data);
        }
    }

    fn connection_lost(&mut self, cx: &mut Cx<Self>, _reason: &Failure) {
        self.room
            .borrow_mut()
            .members
            .retain(|t| !t.is(cx.transport()));
    }
}

struct ChatServer {
    room: Rc<RefCell<Room>>,
    starts: usize,
    stops: usize,
}

impl Factory for ChatServer {
    type Protocol = Spreader;

    fn build_protocol(&mut self, _addr: crate::Address) -> Option<Spreader> {
        Some(Spreader {
            room: self.room.clone(),
        })
    }

    fn do_start(&mut self) {
        self.starts += 1;
    }

    fn do_stop(&mut self) {
        self.stops += 1;
    }
}

/// The chat client: records what it hears and says hello 5 s after each message.
struct Talker {
    heard: Rc<RefCell<Vec<String>>>,
}

impl Talker {
    fn say_hello(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"hello\n");
    }
}

impl Protocol for Talker {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.heard
            .borrow_mut()
            .push(String::from_utf8_lossy(data).into_owned());
        cx.call_later(Duration::from_secs(5), Self::say_hello);
    }
}

struct ChatClient {
    heard: Rc<RefCell<Vec<String>>>,
}

impl ClientFactory for ChatClient {
    type Protocol = Talker;

    fn build_protocol(&mut self, _addr: crate::Address) -> Option<Talker> {
        Some(Talker {
            heard: self.heard.clone(),
        })
    }
}

/// The code under test: written once, for any reactor.
fn start<R: ReactorTcp>(
    reactor: &R,
    port: u16,
    room: &Rc<RefCell<Room>>,
    heard: &Rc<RefCell<Vec<String>>>,
) -> Result<(R::Port, R::Connector), Failure> {
    let factory = ChatServer {
        room: room.clone(),
        starts: 0,
        stops: 0,
    };
    let options = ListenOptions {
        interface: "127.0.0.1".into(),
        backlog: 10,
        reuse_port: false,
    };
    let server = reactor.listen_tcp_with(port, factory, options)?;
    let host = server.get_host();
    let options = ConnectOptions {
        timeout: Some(Duration::from_secs(10)),
        bind_address: None,
    };
    let client = ChatClient {
        heard: heard.clone(),
    };
    let connector = reactor.connect_tcp_with(&host.ip().to_string(), host.port(), client, options);
    Ok((server, connector))
}

struct Started {
    reactor: MemoryReactor,
    port: MemoryPort,
    connector: MemoryConnector,
    room: Rc<RefCell<Room>>,
    heard: Rc<RefCell<Vec<String>>>,
}

fn start_in_memory(port: u16) -> Started {
    let reactor = MemoryReactor::new();
    let room = Rc::default();
    let heard = Rc::default();
    let (port, connector) = start(&reactor, port, &room, &heard).expect("listen in memory");
    Started {
        reactor,
        port,
        connector,
        room,
        heard,
    }
}

fn peer(n: u16) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, 1], n))
}

fn transport_from(n: u16) -> StringTransport {
    StringTransport::with_addresses(SocketAddr::from(([127, 0, 0, 1], 8006)), peer(n))
}

#[test]
fn start_records_the_listen_and_the_connect_in_order() {
    let s = start_in_memory(8006);
    let servers = s.reactor.tcp_servers();
    assert_eq!(servers.len(), 1);
    let server = &servers[0];
    assert_eq!(
        (server.port, server.interface.as_str()),
        (8006, "127.0.0.1")
    );
    assert_eq!((server.backlog, server.reuse_port), (10, false));
    assert_eq!(server.host(), SocketAddr::from(([127, 0, 0, 1], 8006)));
    assert_eq!(s.port.get_host(), server.host());
    assert!(server.listening() && s.port.listening());

    let clients = s.reactor.tcp_clients();
    assert_eq!(clients.len(), 1);
    let client = &clients[0];
    assert_eq!((client.host.as_str(), client.port), ("127.0.0.1", 8006));
    assert_eq!(client.timeout, Some(Duration::from_secs(10)));
    assert_eq!(client.bind_address, None);
    let destination = Destination {
        host: "127.0.0.1".into(),
        port: 8006,
    };
    assert_eq!(s.connector.get_destination(), destination);
    assert_eq!(client.connector().get_destination(), destination);

    assert_eq!(
        s.reactor.events(),
        [
            TcpEvent::Listen {
                server: 0,
                port: 8006
            },
            TcpEvent::Connect {
                client: 0,
                destination
            }
        ]
    );
    let factory = server
        .factory::<ChatServer>()
        .expect("the ChatServer given");
    assert_eq!((factory.borrow().starts, factory.borrow().stops), (1, 0));
}

#[test]
fn server_protocols_built_from_the_record_chat_together() {
    let s = start_in_memory(8006);
    let server = &s.reactor.tcp_servers()[0];
    let (st1, st2) = (transport_from(1), transport_from(2));
    let p1 = server
        .build_protocol::<Spreader>(peer(1))
        .expect("accepted");
    let h1 = ProtocolHarness::connect(p1, &st1, &s.reactor).unwrap();
    let p2 = server
        .build_protocol::<Spreader>(peer(2))
        .expect("accepted");
    let h2 = ProtocolHarness::connect(p2, &st2, &s.reactor).unwrap();
    assert_eq!(st1.value_str(), "Welcome, you are client number 1!\n");
    assert_eq!(st2.value_str(), "Welcome, you are client number 2!\n");

    st1.clear();
    st2.clear();
    h1.data_received(b"hi all").unwrap();
    assert_eq!(st2.value_str(), "hi all");
    assert_eq!(st1.value_str(), "");

    h2.data_received(b"close").unwrap();
    assert!(st2.disconnecting() && !st1.disconnecting());
    h2.connection_lost(Failure::new(ConnectionDone));
    assert_eq!(s.room.borrow().members.len(), 1);
    h1.data_received(b"anyone?").unwrap();
    assert_eq!(st2.value_str(), "hi all");
}

#[test]
fn client_protocol_from_the_record_runs_its_timers_on_the_reactor_clock() {
    let s = start_in_memory(8006);
    let client = &s.reactor.tcp_clients()[0];
    let st = StringTransport::new();
    let talker = client.build_protocol::<Talker>(peer(8006)).expect("built");
    let h = ProtocolHarness::connect(talker, &st, &s.reactor).unwrap();
    h.data_received(b"Welcome, you are client number 1!\n")
        .unwrap();
    assert_eq!(*s.heard.borrow(), ["Welcome, you are client number 1!\n"]);

    s.reactor.advance(Duration::from_secs(4));
    assert_eq!(st.value_str(), "");
    s.reactor.advance(Duration::from_secs(1));
    assert_eq!(st.value_str(), "hello\n");

    h.data_received(b"more").unwrap();
    h.connection_lost(Failure::new(ConnectionDone));
    s.reactor.advance(Duration::from_secs(10));
    assert_eq!(
        st.value_str(),
        "hello\n",
        "the timer died with the connection"
    );
    assert!(s.reactor.clock().get_delayed_calls().is_empty());
}

#[test]
fn stop_listening_runs_do_stop_from_the_clock_once() {
    let s = start_in_memory(8006);
    let server = &s.reactor.tcp_servers()[0];
    let factory = server.factory::<ChatServer>().unwrap();
    s.port.stop_listening();
    assert!(!s.port.listening() && !server.listening());
    assert_eq!(factory.borrow().stops, 0, "do_stop waits for the loop");
    s.reactor.advance(Duration::ZERO);
    assert_eq!(factory.borrow().stops, 1);

    PortHandle::stop_listening(&s.port);
    s.reactor.advance(Duration::from_secs(1));
    assert_eq!(factory.borrow().stops, 1);
    let stops = s
        .reactor
        .events()
        .into_iter()
        .filter(|e| matches!(e, TcpEvent::StopListening { .. }))
        .count();
    assert_eq!(stops, 1);
}

#[test]
fn connector_records_each_stop_connecting_and_disconnect_call() {
    fn give_up<C: ConnectorHandle>(c: &C) {
        c.stop_connecting();
        c.disconnect();
        c.disconnect();
    }
    let s = start_in_memory(8006);
    assert!(!s.connector.stopped_connecting() && !s.connector.disconnected());
    give_up(&s.connector);
    assert!(s.connector.stopped_connecting() && s.connector.disconnected());
    assert!(
        s.reactor.tcp_clients()[0].connector().disconnected(),
        "record and connector agree"
    );
    assert_eq!(
        s.reactor.events()[2..],
        [
            TcpEvent::StopConnecting { client: 0 },
            TcpEvent::Disconnect { client: 0 },
            TcpEvent::Disconnect { client: 0 }
        ]
    );
    s.reactor.advance(Duration::ZERO);
    assert_eq!(s.connector.attempts(), 1);
    assert!(s.connector.transport().is_none());
    assert!(
        s.heard.borrow().is_empty(),
        "a memory connector never connects by itself"
    );
}

#[test]
fn port_zero_gets_distinct_made_up_ports() {
    let reactor = MemoryReactor::new();
    let a = reactor.listen_tcp(0, |_peer| None::<Spreader>).unwrap();
    let b = reactor.listen_tcp(0, |_peer| None::<Spreader>).unwrap();
    let (ha, hb) = (a.get_host(), b.get_host());
    assert_eq!(ha.ip(), IpAddr::from(Ipv4Addr::UNSPECIFIED));
    assert_ne!(ha.port(), 0);
    assert_ne!(hb.port(), 0);
    assert_ne!(ha.port(), hb.port());
    assert_eq!(
        reactor.tcp_servers()[1].port,
        0,
        "the record keeps the port asked for"
    );
}

#[test]
fn a_port_in_use_is_refused_unless_both_reuse_it() {
    let reactor = MemoryReactor::new();
    let first = reactor.listen_tcp(9000, |_peer| None::<Spreader>).unwrap();
    let on_loopback = ListenOptions {
        interface: "127.0.0.1".into(),
        ..ListenOptions::default()
    };
    let err = reactor
        .listen_tcp_with(9000, |_peer| None::<Spreader>, on_loopback.clone())
        .unwrap_err();
    assert!(err.check::<CannotListenError>(), "{err}");
    assert_eq!(reactor.tcp_servers().len(), 1);

    first.stop_listening();
    reactor
        .listen_tcp_with(9000, |_peer| None::<Spreader>, on_loopback)
        .unwrap();

    let shared = ListenOptions {
        reuse_port: true,
        ..ListenOptions::default()
    };
    reactor
        .listen_tcp_with(9001, |_peer| None::<Spreader>, shared.clone())
        .unwrap();
    reactor
        .listen_tcp_with(9001, |_peer| None::<Spreader>, shared)
        .unwrap();
    assert_eq!(reactor.tcp_servers().len(), 4);
}

#[test]
fn an_interface_that_is_no_address_is_refused_and_not_recorded() {
    let reactor = MemoryReactor::new();
    let options = ListenOptions {
        interface: "localhost".into(),
        ..ListenOptions::default()
    };
    let err = reactor
        .listen_tcp_with(80, |_peer| None::<Spreader>, options)
        .unwrap_err();
    assert!(err.check::<InvalidAddress>(), "{err}");
    assert!(reactor.tcp_servers().is_empty() && reactor.events().is_empty());
}

#[test]
fn the_factory_comes_back_only_as_its_own_type() {
    let s = start_in_memory(8006);
    let server = &s.reactor.tcp_servers()[0];
    assert!(server.factory::<ChatClient>().is_none());
    assert!(server.factory::<ChatServer>().is_some());
    let client = &s.reactor.tcp_clients()[0];
    assert!(client.factory::<ChatServer>().is_none());
    assert!(Rc::ptr_eq(
        &client.factory::<ChatClient>().unwrap().borrow().heard,
        &s.heard
    ));
}

#[test]
#[should_panic(
    expected = "builds torsion::testing::memory_reactor::tests::Spreader, not torsion::testing::memory_reactor::tests::Talker"
)]
fn building_the_wrong_protocol_type_panics_with_both_names() {
    let s = start_in_memory(8006);
    let _ = s.reactor.tcp_servers()[0].build_protocol::<Talker>(peer(1));
}

#[test]
fn a_refusing_closure_factory_builds_none() {
    let reactor = MemoryReactor::new();
    reactor
        .listen_tcp(7, |addr: crate::Address| {
            (addr.port() != Some(666)).then_some(Talker {
                heard: Rc::default(),
            })
        })
        .unwrap();
    let server = &reactor.tcp_servers()[0];
    assert!(server.build_protocol::<Talker>(peer(666)).is_none());
    assert!(server.build_protocol::<Talker>(peer(1)).is_some());
}

#[test]
fn run_calls_the_when_running_functions_and_stop_is_recorded() {
    let reactor = MemoryReactor::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    for n in [1, 2] {
        let l = log.clone();
        reactor.call_when_running(move || l.borrow_mut().push(n));
    }
    assert!(log.borrow().is_empty() && !reactor.running() && !reactor.has_run());
    reactor.run();
    assert_eq!(*log.borrow(), [1, 2]);
    assert!(reactor.running() && reactor.has_run() && !reactor.has_stopped());
    let l = log.clone();
    reactor.call_when_running(move || l.borrow_mut().push(3));
    assert_eq!(*log.borrow(), [1, 2, 3], "called at once while running");
    reactor.stop();
    assert!(!reactor.running() && reactor.has_stopped());
}

#[test]
fn time_is_the_fake_clock() {
    let reactor = MemoryReactor::new();
    let fired = Rc::new(Cell::new(false));
    let f = fired.clone();
    reactor.call_later(Duration::from_secs(3), move || f.set(true));
    assert_eq!(reactor.clock().get_delayed_calls().len(), 1);
    reactor.advance(Duration::from_secs(2));
    assert!(!fired.get());
    reactor.clone().advance(Duration::from_secs(1));
    assert!(fired.get());
    assert_eq!(reactor.seconds(), 3.0);
}

/// Stops the reactor when dropped, so a failing assertion cannot leave it running.
struct StopOnDrop(Reactor);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

#[test]
fn the_same_start_runs_on_a_real_reactor() {
    let reactor = Reactor::new().expect("a reactor");
    reactor.set_install_signal_handlers(false);
    let _guard = StopOnDrop(reactor.clone());
    let room = Rc::default();
    let heard: Rc<RefCell<Vec<String>>> = Rc::default();
    let (port, connector) = start(&reactor, 0, &room, &heard).expect("listen on 127.0.0.1:0");
    let host = port.get_host();
    assert_eq!(host.ip(), IpAddr::from(Ipv4Addr::LOCALHOST));
    assert_ne!(host.port(), 0);
    assert_eq!(
        connector.get_destination(),
        Destination {
            host: "127.0.0.1".into(),
            port: host.port()
        }
    );

    let timed_out = Rc::new(Cell::new(false));
    let (t, r) = (timed_out.clone(), reactor.clone());
    let deadline = reactor.call_later(Duration::from_secs(10), move || {
        t.set(true);
        r.stop();
    });
    let (h, r) = (heard.clone(), reactor.clone());
    let poll = LoopingCall::new(&reactor, move || {
        if h.borrow().concat().ends_with('\n') {
            r.stop();
        }
    });
    poll.start(Duration::from_millis(2), false);
    reactor.run().expect("run");
    poll.stop();
    let _ = deadline.cancel();
    assert!(!timed_out.get(), "no welcome within 10 s");
    assert_eq!(
        heard.borrow().concat(),
        "Welcome, you are client number 1!\n"
    );

    port.stop_listening();
    assert!(!port.listening());
}
