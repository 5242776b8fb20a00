//! The server side of TCP over loopback: callback order, factories that refuse, factory
//! start/stop, and what `stop_listening` does to the port.

mod util;

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use torsion::error::{ConnectionDone, ConnectionRefused};
use torsion::{Address, Factory, ListenOptions, ReactorTime};
use util::{Record, Recorder, RecordingClientFactory};

#[test]
fn server_callbacks_come_in_order_and_bytes_arrive_whole() {
    let reactor = util::reactor();
    let record = Record::new();
    let (rec, r) = (record.clone(), reactor.clone());
    let port = util::listen(&reactor, move |_peer| Some(Recorder::stopping(&rec, &r)));
    let payload = util::pattern(1024 * 1024);
    let sent = payload.clone();
    let client = util::client(port.get_host(), move |mut s| {
        s.write_all(&sent).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        util::read_to_eof(&mut s)
    });
    util::run(&reactor);
    assert!(client.join().is_empty(), "the server wrote nothing");
    assert_eq!(
        record.events(),
        [
            "connection_made",
            "data",
            "read_connection_lost",
            "connection_lost:ConnectionDone"
        ]
    );
    assert!(record.last_reason().check::<ConnectionDone>());
    assert_eq!(record.data_len(), payload.len());
    assert!(
        record.data() == payload,
        "bytes arrived out of order or altered"
    );
}

#[test]
fn a_client_that_closes_gives_connection_done() {
    let reactor = util::reactor();
    let record = Record::new();
    let (rec, r) = (record.clone(), reactor.clone());
    let port = util::listen(&reactor, move |_peer| Some(Recorder::stopping(&rec, &r)));
    let client = util::client(port.get_host(), |mut s| s.write_all(b"bye").unwrap());
    util::run(&reactor);
    client.join();
    assert_eq!(
        record.events().first().map(String::as_str),
        Some("connection_made")
    );
    assert_eq!(
        record.events().last().map(String::as_str),
        Some("connection_lost:ConnectionDone")
    );
    assert_eq!(record.data(), b"bye");
}

#[test]
fn peer_and_host_addresses_are_the_socket_ends() {
    let reactor = util::reactor();
    let seen: Rc<RefCell<Vec<(Address, Address, Address)>>> = Rc::default();
    let (s, r) = (seen.clone(), reactor.clone());
    let port = util::listen(&reactor, move |peer: Address| {
        let (s, r) = (s.clone(), r.clone());
        Some(AddrProbe {
            on_made: Box::new(move |host, transport_peer| {
                s.borrow_mut().push((peer.clone(), host, transport_peer));
                r.stop();
            }),
        })
    });
    let client = util::client(port.get_host(), |s| {
        let local = s.local_addr().unwrap();
        let mut s = s;
        util::read_all(&mut s);
        local
    });
    util::run(&reactor);
    let seen = seen.borrow().clone();
    let client_addr = client.join();
    assert_eq!(seen.len(), 1);
    let (factory_peer, host, peer) = seen[0].clone();
    assert_eq!(factory_peer, client_addr);
    assert_eq!(peer, client_addr);
    assert_eq!(host, port.get_host());
}

/// Tells a closure its transport's host and peer addresses.
struct AddrProbe {
    on_made: Box<dyn FnMut(Address, Address)>,
}

impl torsion::Protocol for AddrProbe {
    fn connection_made(&mut self, cx: &mut torsion::Cx<Self>) {
        (self.on_made)(cx.transport().get_host(), cx.transport().get_peer());
        cx.transport().lose_connection();
    }
}

#[test]
fn a_factory_returning_none_refuses_the_connection() {
    let reactor = util::reactor();
    let calls = Rc::new(RefCell::new(0));
    let c = calls.clone();
    let port = util::listen(&reactor, move |_peer| -> Option<Recorder> {
        *c.borrow_mut() += 1;
        None
    });
    let client = util::client(port.get_host(), |mut s| util::read_all(&mut s));
    util::run_until_finished(&reactor, &client);
    let (data, err) = client.join();
    assert!(err.is_none(), "expected a clean EOF, got {err:?}");
    assert!(data.is_empty());
    assert_eq!(*calls.borrow(), 1, "build_protocol was asked once");
    assert_eq!(reactor.connection_count(), 0);
}

/// A server factory that records its life and the protocols it builds.
struct LifeFactory {
    record: Rc<Record>,
}

impl Factory for LifeFactory {
    type Protocol = util::Echo;

    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<util::Echo> {
        self.record.push("build_protocol");
        Some(util::Echo)
    }

    fn do_start(&mut self) {
        self.record.push("do_start");
    }

    fn do_stop(&mut self) {
        self.record.push("do_stop");
    }
}

#[test]
fn do_start_before_first_accept_and_do_stop_after_stop_listening() {
    let reactor = util::reactor();
    let record = Record::new();
    let port = util::listen(
        &reactor,
        LifeFactory {
            record: record.clone(),
        },
    );
    assert_eq!(
        record.events(),
        ["do_start"],
        "do_start runs when the port starts listening"
    );
    let addr = port.get_host();
    let client = util::client(addr, |mut s| {
        s.write_all(b"ping").unwrap();
        util::read_exact(&mut s, 4)
    });
    let (rec, p) = (record.clone(), port.clone());
    let stopped_in_call = Rc::new(RefCell::new(Vec::new()));
    let sic = stopped_in_call.clone();
    util::run_until(&reactor, move || {
        if rec.has("build_protocol") && !sic.borrow().is_empty() {
            return rec.has("do_stop");
        }
        if rec.has("build_protocol") {
            p.stop_listening();
            sic.borrow_mut().push(rec.events());
        }
        false
    });
    assert_eq!(client.join(), b"ping");
    assert_eq!(
        stopped_in_call.borrow()[0],
        ["do_start", "build_protocol"],
        "do_stop must not run inside stop_listening"
    );
    assert_eq!(record.events(), ["do_start", "build_protocol", "do_stop"]);
    assert!(!port.listening());
}

#[test]
fn stop_listening_frees_the_port_and_keeps_open_connections() {
    let reactor = util::reactor();
    let port = util::listen(&reactor, |_peer| Some(util::Echo));
    let addr = port.get_host();
    let first_done = Arc::new(AtomicBool::new(false));
    let (go, wait_go) = mpsc::channel::<()>();
    let fd = first_done.clone();
    let client = util::client(addr, move |mut s| {
        s.write_all(b"one").unwrap();
        let first = util::read_exact(&mut s, 3);
        fd.store(true, Ordering::SeqCst);
        wait_go
            .recv_timeout(util::IO_TIMEOUT)
            .expect("the port was stopped");
        s.write_all(b"two").unwrap();
        (first, util::read_exact(&mut s, 3))
    });
    let record = Record::new();
    let relisten: Rc<RefCell<Option<Result<SocketAddr, String>>>> = Rc::default();
    let (r, rec, rl, done) = (
        reactor.clone(),
        record.clone(),
        relisten.clone(),
        client.done_flag(),
    );
    let still_listening: Rc<Cell<Option<bool>>> = Rc::default();
    let still = still_listening.clone();
    util::run_until(&reactor, move || {
        if first_done.load(Ordering::SeqCst) && rl.borrow().is_none() {
            port.stop_listening();
            still.set(Some(port.listening()));
            port.stop_listening();
            let again = ListenOptions {
                interface: "127.0.0.1".into(),
                ..ListenOptions::default()
            };
            let second = r.listen_tcp_with(addr.port(), |_peer| Some(util::Echo), again);
            *rl.borrow_mut() = Some(
                second
                    .as_ref()
                    .map(|p| p.get_host())
                    .map_err(|e| e.to_string()),
            );
            if let Ok(second) = second {
                second.stop_listening();
            }
            let factory = RecordingClientFactory {
                record: rec.clone(),
                greeting: Vec::new(),
                stop_when_done: None,
            };
            r.connect_tcp("127.0.0.1", addr.port(), factory);
            go.send(()).unwrap();
        }
        done.load(Ordering::SeqCst) && rec.has("do_stop")
    });
    assert_eq!(
        still_listening.get(),
        Some(false),
        "listening() is false after stop_listening"
    );
    assert_eq!(
        relisten.borrow().clone(),
        Some(Ok(addr)),
        "the port is free for a new listener right after stop_listening"
    );
    assert_eq!(
        client.join(),
        (b"one".to_vec(), b"two".to_vec()),
        "an accepted connection stays open"
    );
    assert_eq!(
        record.events(),
        [
            "do_start",
            "started_connecting",
            "client_connection_failed:ConnectionRefused",
            "do_stop"
        ]
    );
    assert!(record.last_reason().check::<ConnectionRefused>());
}

#[test]
fn reactor_shutdown_stops_listening_ports_and_calls_do_stop() {
    let reactor = util::reactor();
    let record = Record::new();
    let port = util::listen(
        &reactor,
        LifeFactory {
            record: record.clone(),
        },
    );
    let r = reactor.clone();
    reactor.call_later(Duration::from_millis(20), move || r.stop());
    util::run(&reactor);
    assert!(!port.listening(), "the port is closed at shutdown");
    assert_eq!(
        record.events(),
        ["do_start", "do_stop"],
        "do_stop runs before run() returns"
    );
}
