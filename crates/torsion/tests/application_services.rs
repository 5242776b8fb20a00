//! Services over loopback: a server service from `tcp:0` that accepts and then refuses,
//! a listen failure reported by `listening()`, a stop that waits for a kept-up client
//! connection, and a service tree started and stopped as one.

mod util;

use std::cell::{Cell, RefCell};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::rc::Rc;
use std::time::Duration;

use torsion::application::{server_service, Application, Service, TimerService};
use torsion::defer::Deferred;
use torsion::endpoints::{ServerPort, TcpClientEndpoint};
use torsion::error::CancelledError;
use torsion::{ClientService, Cx, Failure, Protocol, Reactor};
use util::{client, reactor, run, run_until};

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

struct Quiet;

impl Protocol for Quiet {}

/// Runs the reactor until `d` has its result (not at all if it has one), and takes it.
fn settle<T: 'static>(reactor: &Reactor, d: Deferred<T>) -> Result<T, Failure> {
    if d.called() {
        return d.take_result().expect("called");
    }
    let r = reactor.clone();
    let d = d.add_both(move |outcome| {
        r.stop();
        outcome
    });
    run(reactor);
    d.take_result().expect("settled")
}

fn tcp_address(port: &ServerPort) -> SocketAddr {
    port.tcp().expect("a TCP port").get_host()
}

/// One step of a test run inside a single reactor run: returns true when it is done,
/// and the next step runs.
type Step = Box<dyn FnMut() -> bool>;

/// Runs the reactor once, polling the steps in order, until the last one is done (the
/// reactor closes every port and connection when it stops, so a test that checks what
/// a stop did must check it while the loop still runs).
fn drive(reactor: &Reactor, steps: Vec<Step>) {
    let mut steps = steps.into_iter();
    let mut current = steps.next();
    run_until(reactor, move || loop {
        let Some(step) = current.as_mut() else {
            return true;
        };
        if !step() {
            return false;
        }
        current = steps.next();
    });
}

/// A std client on a helper thread that sends a line and reads its echo.
fn echo_client(addr: SocketAddr) -> util::Client<Vec<u8>> {
    client(addr, |mut stream| {
        stream.write_all(b"ping\n").unwrap();
        let mut got = [0u8; 5];
        stream.read_exact(&mut got).unwrap();
        got.to_vec()
    })
}

fn refused(addr: SocketAddr) -> bool {
    matches!(TcpStream::connect(addr), Err(e) if e.kind() == ErrorKind::ConnectionRefused)
}

type Slot<T> = Rc<RefCell<Option<T>>>;

#[test]
fn a_server_service_accepts_while_running_and_refuses_once_stopped() {
    let reactor = reactor();
    let service = server_service(&reactor, "tcp:0:interface=127.0.0.1", |_peer| Some(Echo))
        .expect("a good description");
    assert!(!service.running());
    service.start_service();
    let port = settle(&reactor, service.listening()).expect("listens");
    let addr = tcp_address(&port);
    let echo: Slot<util::Client<Vec<u8>>> = Slot::default();
    let stopped: Slot<Deferred<()>> = Slot::default();
    let refused_after = Rc::new(Cell::new(false));
    let (e1, e2, s1, s2, r, svc, p) = (
        echo.clone(),
        echo.clone(),
        stopped.clone(),
        stopped.clone(),
        refused_after.clone(),
        service.clone(),
        port.clone(),
    );
    drive(
        &reactor,
        vec![
            Box::new(move || {
                *e1.borrow_mut() = Some(echo_client(addr));
                true
            }),
            Box::new(move || e2.borrow().as_ref().unwrap().finished()),
            Box::new(move || {
                *s1.borrow_mut() = Some(svc.stop_service());
                true
            }),
            Box::new(move || {
                if !s2.borrow().as_ref().unwrap().called() {
                    return false;
                }
                assert!(!p.listening());
                r.set(refused(addr));
                true
            }),
        ],
    );
    let echoed = echo.borrow_mut().take().unwrap().join();
    assert_eq!(echoed, b"ping\n");
    let stop = stopped.borrow_mut().take().unwrap().take_result().unwrap();
    assert!(stop.is_ok(), "{stop:?}");
    assert!(!service.running());
    assert!(
        refused_after.get(),
        "the port is closed once stop_service fired"
    );
}

#[test]
fn a_server_service_listens_again_when_restarted() {
    let reactor = reactor();
    let service = server_service(&reactor, "tcp:0:interface=127.0.0.1", |_peer| Some(Echo))
        .expect("a good description");
    service.start_service();
    let first = settle(&reactor, service.listening()).unwrap();
    let stop = service.stop_service();
    assert!(settle(&reactor, stop).is_ok());
    assert!(!first.listening());
    service.start_service();
    let second = settle(&reactor, service.listening()).unwrap();
    let echo = echo_client(tcp_address(&second));
    let done = echo.done_flag();
    run_until(&reactor, move || {
        done.load(std::sync::atomic::Ordering::SeqCst)
    });
    assert_eq!(echo.join(), b"ping\n");
}

#[test]
fn a_listen_failure_fails_listening_and_stop_still_succeeds() {
    let reactor = reactor();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let description = format!("tcp:{port}:interface=127.0.0.1");
    let service = server_service(&reactor, &description, |_peer| Some(Quiet)).unwrap();
    let early = service.listening();
    service.start_service();
    let failure = settle(&reactor, early).expect_err("the port is taken");
    assert!(
        failure.to_string().to_lowercase().contains("in use"),
        "{failure}"
    );
    assert!(service.listening().take_result().unwrap().is_err());
    assert!(settle(&reactor, service.stop_service()).is_ok());
}

#[test]
fn stopping_before_the_port_is_asked_for_cancels_the_waiters() {
    let reactor = reactor();
    let service = server_service(&reactor, "tcp:0:interface=127.0.0.1", |_peer| Some(Quiet))
        .expect("a good description");
    let waiting = service.listening();
    assert!(service.stop_service().called());
    let failure = waiting.take_result().unwrap().unwrap_err();
    assert!(failure.check::<CancelledError>(), "{failure}");
}

#[test]
fn an_application_starts_server_client_and_timer_and_stops_them_all() {
    let reactor = reactor();
    let server = server_service(&reactor, "tcp:0:interface=127.0.0.1", |_peer| Some(Echo))
        .expect("a good description");
    let app = Application::new("e2e");
    let ticks = Rc::new(Cell::new(0u32));
    let t = ticks.clone();
    let timer = TimerService::new(&reactor, Duration::from_millis(5), move || {
        t.set(t.get() + 1)
    });
    app.add_service(server.clone().named("server")).unwrap();
    app.add_service(timer.clone().named("timer")).unwrap();
    app.start_service();
    let addr = tcp_address(&settle(&reactor, server.listening()).unwrap());

    let endpoint = TcpClientEndpoint::new(&reactor, "127.0.0.1", addr.port()).into();
    let keeper = ClientService::new(endpoint, |_addr| Some(Quiet), &reactor);
    app.add_service(keeper.clone().named("client")).unwrap();
    assert!(
        keeper.running(),
        "added to a running application, it starts"
    );
    let connected = keeper.when_connected();
    let stopped: Slot<Deferred<()>> = Slot::default();
    let (s1, s2, t, a) = (stopped.clone(), stopped.clone(), ticks.clone(), app.clone());
    let handle: Slot<torsion::ProtocolHandle<Quiet>> = Slot::default();
    let (h1, h2) = (handle.clone(), handle.clone());
    let refused_after = Rc::new(Cell::new(false));
    let r = refused_after.clone();
    drive(
        &reactor,
        vec![
            Box::new(move || match connected.take_result() {
                Some(outcome) => {
                    let h = outcome.expect("the client connects");
                    assert!(h.transport().connected());
                    *h1.borrow_mut() = Some(h);
                    true
                }
                None => false,
            }),
            Box::new(move || t.get() >= 2),
            Box::new(move || {
                *s1.borrow_mut() = Some(a.stop_service());
                true
            }),
            Box::new(move || {
                if !s2.borrow().as_ref().unwrap().called() {
                    return false;
                }
                let closed = !h2.borrow().as_ref().unwrap().transport().connected();
                assert!(closed, "the stop fired once the client connection closed");
                r.set(refused(addr));
                true
            }),
        ],
    );
    let outcome = stopped.borrow_mut().take().unwrap().take_result().unwrap();
    assert!(outcome.is_ok(), "{outcome:?}");
    for name in ["server", "timer", "client"] {
        assert!(!app.get_service_named(name).unwrap().running(), "{name}");
    }
    assert!(
        refused_after.get(),
        "the server port closed with the application"
    );
    let after = ticks.get();
    util::run_span(&reactor, Duration::from_millis(30));
    assert_eq!(ticks.get(), after, "the timer does not tick once stopped");
}
