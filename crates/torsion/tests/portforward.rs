//! The port forwarder over loopback: round trips through it to an echo server, many pairs
//! at once, an unreachable destination, backpressure both ways, and closing from either
//! end. The forwarder and the destination server run on the test's reactor, std clients
//! on helper threads. Stopping a reactor closes every connection, so each test runs its
//! reactor once, to the end, and moves from one step to the next from the loop.

mod portforward_util;
mod util;

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

use portforward_util::{
    connect_small, first_mismatch, kernel_bound, pattern_from, read_pattern, run_until,
    run_until_closed, write_pattern, Captured, Stall, CLIENT_TIMEOUT,
};
use torsion::error::ConnectionDone;
use torsion::protocols::portforward::ProxyFactory;
use torsion::protocols::wire::Echo;
use torsion::{Cx, Factory, Failure, ListeningPort, Producer, Protocol, Reactor, Transport};

/// A destination server listening on 127.0.0.1 and a forwarder to it; the ports stay open
/// while this lives.
struct Forwarding {
    reactor: Reactor,
    _destination: ListeningPort,
    forwarder: ListeningPort,
}

impl Forwarding {
    fn to<F: Factory>(destination: F) -> Forwarding {
        let reactor = util::reactor();
        let destination = util::listen(&reactor, destination);
        let port = destination.get_host().port();
        let forwarder = util::listen(&reactor, ProxyFactory::new(&reactor, "127.0.0.1", port));
        Forwarding {
            reactor,
            _destination: destination,
            forwarder,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.forwarder.get_host()
    }

    /// Runs the reactor until `client` has finished and every connection (the client's,
    /// the destination's, the destination server's) is closed; returns `client`'s result,
    /// then checks that nothing was left open.
    fn run_client<T>(&self, client: util::Client<T>) -> T {
        let open = run_until_closed(&self.reactor, client.done_flag());
        let result = client.join();
        assert_eq!(open, 0, "connections left open");
        result
    }
}

#[test]
fn a_mebibyte_goes_through_to_an_echo_server_and_back_intact() {
    const LEN: u64 = 1 << 20;
    let f = Forwarding::to(|_| Some(Echo));
    let client = util::client(f.addr(), |mut stream| {
        let mut writer = stream.try_clone().unwrap();
        let sending = std::thread::spawn(move || write_pattern(&mut writer, LEN));
        read_pattern(&mut stream, LEN);
        sending.join().unwrap().expect("write the mebibyte");
    });
    f.run_client(client);
}

/// Writes `greeting` bytes of the pattern as soon as it is connected, then echoes what it
/// reads. Like every torsion connection it stops reading while its write buffer is above
/// the high watermark: here, until most of the greeting has been read.
struct GreetThenEcho(u64);

impl Protocol for GreetThenEcho {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().set_write_buffer_limit(256 << 20);
        cx.transport().write(pattern_from(0, self.0 as usize));
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

#[test]
fn a_destination_that_reads_only_once_it_is_read_does_not_deadlock_the_pair() {
    // The destination reads nothing until the greeting has mostly gone through the
    // forwarder to the client, while the client sends at the same time. The forwarder's
    // side towards the destination must go on reading (the client reads everything) even
    // though its own write buffer is full of the client's bytes: if it stopped reading on
    // its own buffer, it and the destination would wait for each other for ever.
    const GREETING: u64 = 32 << 20;
    const SENT: u64 = 32 << 20;
    let f = Forwarding::to(|_| Some(GreetThenEcho(GREETING)));
    let client = util::thread({
        let addr = f.addr();
        move || {
            let mut stream = util::connect_std(addr);
            stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
            stream.set_write_timeout(Some(CLIENT_TIMEOUT)).unwrap();
            let mut writer = stream.try_clone().unwrap();
            let sending = std::thread::spawn(move || write_pattern(&mut writer, SENT));
            read_pattern(&mut stream, GREETING);
            read_pattern(&mut stream, SENT);
            sending.join().unwrap().expect("write everything");
        }
    });
    f.run_client(client);
}

#[test]
fn twenty_pairs_at_once_keep_their_own_bytes() {
    const PAIRS: u64 = 20;
    const LEN: usize = 96 * 1024;
    let f = Forwarding::to(|_| Some(Echo));
    let clients: Vec<_> = (0..PAIRS)
        .map(|i| {
            util::client(f.addr(), move |mut stream| {
                // Each pair sends another stretch of the pattern.
                let sent = pattern_from(i * 7919, LEN);
                stream.write_all(&sent).unwrap();
                let back = util::read_exact(&mut stream, LEN);
                assert!(back == sent, "pair {i} got other bytes back");
            })
        })
        .collect();
    let done: Vec<_> = clients.iter().map(util::Client::done_flag).collect();
    let r = f.reactor.clone();
    run_until(&f.reactor, move || {
        done.iter().all(|d| d.load(Ordering::SeqCst)) && r.connection_count() == 0
    });
    for client in clients {
        client.join();
    }
}

#[test]
fn an_unreachable_destination_closes_the_client_and_says_why() {
    let reactor = util::reactor();
    let dead_port = util::closed_port();
    let forwarder = util::listen(
        &reactor,
        ProxyFactory::new(&reactor, "127.0.0.1", dead_port),
    );
    let client = util::client(forwarder.get_host(), |mut stream| {
        stream.write_all(b"anyone there?").unwrap();
        util::read_all(&mut stream)
    });
    let log = Captured::default();
    let (done, r) = (client.done_flag(), reactor.clone());
    log.during(|| {
        run_until(&reactor, move || {
            done.load(Ordering::SeqCst) && r.connection_count() == 0
        })
    });
    let (data, _err) = client.join();
    assert!(data.is_empty(), "nothing comes back from nowhere");
    let text = log.text();
    let line = text
        .lines()
        .find(|l| l.contains("cannot connect to the forwarding destination"))
        .unwrap_or_else(|| panic!("no log line about the failed connection in:\n{text}"));
    assert!(line.contains(" INFO "), "{line}");
    assert!(line.contains(&format!("127.0.0.1:{dead_port}")), "{line}");
    assert!(line.to_lowercase().contains("refused"), "{line}");
}

/// Writes the pattern for ever as a pull producer (one chunk each time its transport's
/// buffer is empty), counting what it wrote.
struct Flood {
    produced: Rc<Cell<u64>>,
    open: Rc<Cell<bool>>,
}

struct FloodSource {
    transport: Transport,
    produced: Rc<Cell<u64>>,
}

impl Producer for FloodSource {
    fn resume_producing(&mut self) {
        let pos = self.produced.get();
        self.transport.write(pattern_from(pos, 64 * 1024));
        self.produced.set(pos + 64 * 1024);
    }
}

impl Protocol for Flood {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.open.set(true);
        let source = FloodSource {
            transport: cx.transport().clone(),
            produced: self.produced.clone(),
        };
        cx.transport()
            .register_producer(Rc::new(RefCell::new(source)), false)
            .unwrap();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        self.open.set(false);
    }
}

#[test]
fn a_client_that_does_not_read_stops_the_forwarder_reading_the_destination() {
    let produced = Rc::new(Cell::new(0));
    let open = Rc::new(Cell::new(false));
    let (p, o) = (produced.clone(), open.clone());
    let f = Forwarding::to(move |_| {
        Some(Flood {
            produced: p.clone(),
            open: o.clone(),
        })
    });
    let (go, target) = mpsc::channel::<u64>();
    let client = util::thread({
        let addr = f.addr();
        move || {
            let mut stream = connect_small(addr);
            // Read nothing until told how much to read.
            let len = target.recv().unwrap();
            read_pattern(&mut stream, len);
        }
    });

    // Step 1: until the destination's writing stalls (or its connection is closed).
    // Step 2: the client reads what is in flight and 4 MiB more (the flow resumed), then
    // leaves: every connection closes.
    let stalled_at = Rc::new(Cell::new(None));
    let mut stall = Stall::default();
    let (p, o, at, r) = (
        produced.clone(),
        open.clone(),
        stalled_at.clone(),
        f.reactor.clone(),
    );
    let done = client.done_flag();
    run_until(&f.reactor, move || match at.get() {
        None if o.get() || p.get() == 0 => {
            if stall.observe(p.get()) {
                at.set(Some(p.get()));
                go.send(p.get() + (4 << 20)).unwrap();
            }
            false
        }
        None => true,
        Some(_) => done.load(Ordering::SeqCst) && r.connection_count() == 0,
    });
    let stalled_at = stalled_at
        .get()
        .expect("the destination's connection was closed");
    assert!(
        stalled_at < kernel_bound(),
        "the destination wrote {stalled_at} bytes to a client that reads nothing: \
         the forwarder kept reading"
    );
    client.join();
    assert!(produced.get() >= stalled_at + (4 << 20) - (1 << 20));
}

/// Checks every byte it gets against the pattern; unless `reading`, reads nothing until
/// its transport is resumed.
struct Sink {
    reading: bool,
    transport: Rc<RefCell<Option<Transport>>>,
    received: Rc<Cell<u64>>,
    lost: Rc<RefCell<Option<Failure>>>,
}

impl Protocol for Sink {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        if !self.reading {
            cx.transport().pause_producing();
        }
        *self.transport.borrow_mut() = Some(cx.transport().clone());
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        let pos = self.received.get();
        if let Some(bad) = first_mismatch(pos, data) {
            panic!("the destination got a wrong byte at {bad}");
        }
        self.received.set(pos + data.len() as u64);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        *self.lost.borrow_mut() = Some(reason.clone());
    }
}

#[test]
fn a_destination_that_does_not_read_stops_the_forwarder_reading_the_client() {
    let sink_transport = Rc::new(RefCell::new(None));
    let received = Rc::new(Cell::new(0));
    let lost = Rc::new(RefCell::new(None));
    let (t, r, l) = (sink_transport.clone(), received.clone(), lost.clone());
    let f = Forwarding::to(move |_| {
        Some(Sink {
            reading: false,
            transport: t.clone(),
            received: r.clone(),
            lost: l.clone(),
        })
    });
    let sent = Arc::new(AtomicU64::new(0));
    let target = Arc::new(AtomicU64::new(u64::MAX));
    let client = util::thread({
        let (addr, sent, target) = (f.addr(), sent.clone(), target.clone());
        move || {
            let mut stream = connect_small(addr);
            let mut pos = 0;
            while pos < target.load(Ordering::SeqCst) {
                let want = (target.load(Ordering::SeqCst) - pos).min(64 * 1024);
                let n = stream
                    .write(&pattern_from(pos, want as usize))
                    .unwrap_or_else(|err| panic!("write failed after {pos} bytes: {err}"));
                pos += n as u64;
                sent.store(pos, Ordering::SeqCst);
            }
        }
    });

    // Step 1: until the client's writing stalls (or the destination's connection is
    // closed). Step 2: the destination reads; the client sends 4 MiB more than was in
    // flight, then closes: every byte arrives before the close does.
    let stalled_at = Rc::new(Cell::new(None));
    let mut stall = Stall::default();
    let (s, l, at, r) = (
        sent.clone(),
        lost.clone(),
        stalled_at.clone(),
        f.reactor.clone(),
    );
    let (done, tgt, st, rcv) = (
        client.done_flag(),
        target.clone(),
        sink_transport.clone(),
        received.clone(),
    );
    run_until(&f.reactor, move || match at.get() {
        None if l.borrow().is_none() => {
            let now = s.load(Ordering::SeqCst);
            if stall.observe(now) {
                at.set(Some((now, rcv.get())));
                tgt.store(now + (4 << 20), Ordering::SeqCst);
                st.borrow().as_ref().unwrap().resume_producing();
            }
            false
        }
        None => true,
        Some(_) => done.load(Ordering::SeqCst) && r.connection_count() == 0,
    });
    let (stalled_at, received_then) = stalled_at
        .get()
        .expect("the destination's connection was closed");
    assert_eq!(received_then, 0, "the destination read while paused");
    assert!(
        stalled_at < kernel_bound(),
        "the client wrote {stalled_at} bytes to a destination that reads nothing: \
         the forwarder kept reading"
    );
    client.join();
    assert_eq!(received.get(), stalled_at + (4 << 20));
    assert!(lost.borrow().as_ref().unwrap().check::<ConnectionDone>());
}

/// Writes `len` bytes of the pattern, then closes (cleanly, after they are sent).
struct SendAndClose(u64);

impl Protocol for SendAndClose {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(pattern_from(0, self.0 as usize));
        cx.transport().lose_connection();
    }
}

#[test]
fn the_destination_closing_reaches_the_client_after_its_bytes() {
    const LEN: u64 = 2 << 20;
    let f = Forwarding::to(|_| Some(SendAndClose(LEN)));
    let client = util::client(f.addr(), |mut stream| util::read_to_eof(&mut stream));
    let data = f.run_client(client);
    assert_eq!(data.len() as u64, LEN);
    assert_eq!(first_mismatch(0, &data), None);
}

#[test]
fn the_client_closing_reaches_the_destination_after_its_bytes() {
    const LEN: u64 = 2 << 20;
    let received = Rc::new(Cell::new(0));
    let lost = Rc::new(RefCell::new(None));
    let (r, l) = (received.clone(), lost.clone());
    let f = Forwarding::to(move |_| {
        Some(Sink {
            reading: true,
            transport: Rc::default(),
            received: r.clone(),
            lost: l.clone(),
        })
    });
    // Written at once, then closed: most of it waits in the kernel while the forwarder
    // dials, and all of it must arrive before the close does.
    let client = util::client(f.addr(), |mut stream| {
        write_pattern(&mut stream, LEN).unwrap()
    });
    f.run_client(client);
    assert_eq!(received.get(), LEN);
    assert!(lost.borrow().as_ref().unwrap().check::<ConnectionDone>());
}

#[test]
fn a_client_reset_closes_only_its_own_pair() {
    let f = Forwarding::to(|_| Some(Echo));
    let ready = Arc::new(AtomicBool::new(false));
    let (go, wait) = mpsc::channel::<()>();
    let survivor = util::client(f.addr(), {
        let ready = ready.clone();
        move |mut stream| {
            stream.write_all(b"first").unwrap();
            assert_eq!(util::read_exact(&mut stream, 5), b"first");
            ready.store(true, Ordering::SeqCst);
            wait.recv().unwrap();
            let more = pattern_from(0, 256 * 1024);
            stream.write_all(&more).unwrap();
            assert!(util::read_exact(&mut stream, more.len()) == more);
        }
    });
    // Step 1: the survivor's pair is up (3 connections: its own, the destination's,
    // the destination server's). Step 2: another client connects, is echoed, and resets
    // its connection; its pair closes and the survivor's 3 stay. Step 3: the survivor
    // goes on, then leaves.
    let addr = f.addr();
    let resetter = Rc::new(RefCell::new(None));
    let counts = Rc::new(RefCell::new(Vec::new()));
    let (r, rs, c, done) = (
        f.reactor.clone(),
        resetter.clone(),
        counts.clone(),
        survivor.done_flag(),
    );
    let mut step = 1;
    run_until(&f.reactor, move || {
        match step {
            1 if ready.load(Ordering::SeqCst) => {
                c.borrow_mut().push(r.connection_count());
                *rs.borrow_mut() = Some(util::client(addr, |mut stream| {
                    stream.write_all(b"x").unwrap();
                    assert_eq!(util::read_exact(&mut stream, 1), b"x");
                    socket2::SockRef::from(&stream)
                        .set_linger(Some(std::time::Duration::ZERO))
                        .unwrap();
                }));
                step = 2;
            }
            2 if rs.borrow().as_ref().unwrap().finished() && r.connection_count() == 3 => {
                c.borrow_mut().push(r.connection_count());
                go.send(()).unwrap();
                step = 3;
            }
            3 => return done.load(Ordering::SeqCst) && r.connection_count() == 0,
            _ => {}
        }
        false
    });
    resetter.borrow_mut().take().unwrap().join();
    survivor.join();
    assert_eq!(*counts.borrow(), [3, 3]);
}
