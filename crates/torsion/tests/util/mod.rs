//! Helpers shared by the socket tests: run a reactor until a condition or a deadline,
//! record every callback a protocol or client factory gets, and drive std clients from
//! helper threads.
//!
//! Each test binary uses only some of these helpers.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use torsion::{
    ClientFactory, Connector, Cx, Factory, Failure, ListenOptions, ListeningPort, LoopingCall,
    Protocol, Reactor, ReactorTime,
};

/// How long any one test may run its reactor before the run counts as hung.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// How long a std client waits on one read or write before giving up.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A new reactor that leaves the process' signal handlers alone.
pub fn reactor() -> Reactor {
    let reactor = Reactor::new().expect("create a reactor");
    reactor.set_install_signal_handlers(false);
    reactor
}

/// Listens on a free port of 127.0.0.1 (backlog 1024, so bursts of connects are not
/// dropped).
pub fn listen<F: Factory>(reactor: &Reactor, factory: F) -> ListeningPort {
    let options = ListenOptions {
        interface: "127.0.0.1".into(),
        backlog: 1024,
        ..ListenOptions::default()
    };
    reactor
        .listen_tcp_with(0, factory, options)
        .expect("listen on 127.0.0.1:0")
}

/// Runs `reactor` until something calls `stop`; fails the test if [`DEADLINE`] passes
/// first (the reactor is stopped then, so a hang is a failure, not a hung test).
pub fn run(reactor: &Reactor) {
    run_for(reactor, DEADLINE);
}

/// As [`run`], with an explicit deadline.
pub fn run_for(reactor: &Reactor, limit: Duration) {
    let hit = Rc::new(Cell::new(false));
    let (h, r) = (hit.clone(), reactor.clone());
    let guard = reactor.call_later(limit, move || {
        h.set(true);
        r.stop();
    });
    reactor.run().expect("reactor.run");
    let _ = guard.cancel();
    assert!(
        !hit.get(),
        "the reactor was still running after {limit:?}: the test hung"
    );
}

/// Runs `reactor` until `done()` returns true (checked every 2 ms from the loop); fails
/// the test if that takes longer than [`DEADLINE`].
pub fn run_until(reactor: &Reactor, mut done: impl FnMut() -> bool + 'static) {
    let r = reactor.clone();
    let poll = LoopingCall::new(reactor, move || {
        if done() {
            r.stop();
        }
    });
    poll.start(Duration::from_millis(2), false);
    run(reactor);
    poll.stop();
}

/// Runs `reactor` until the client thread has finished.
pub fn run_until_finished<T>(reactor: &Reactor, client: &Client<T>) {
    let done = client.done.clone();
    run_until(reactor, move || done.load(Ordering::SeqCst));
}

/// Runs `reactor` for `span` of its own time (for "this must not happen" checks).
pub fn run_span(reactor: &Reactor, span: Duration) {
    let r = reactor.clone();
    reactor.call_later(span, move || r.stop());
    run(reactor);
}

/// A std client running on a helper thread.
pub struct Client<T> {
    handle: Option<JoinHandle<T>>,
    done: Arc<AtomicBool>,
}

impl<T> Client<T> {
    /// Whether the thread has finished (or panicked).
    pub fn finished(&self) -> bool {
        self.done.load(Ordering::SeqCst)
    }

    /// A flag that turns true when the thread ends, to poll from the reactor.
    pub fn done_flag(&self) -> Arc<AtomicBool> {
        self.done.clone()
    }

    /// Waits for the thread and returns what it returned; a panic in it fails the test.
    pub fn join(mut self) -> T {
        let handle = self.handle.take().expect("joined once");
        match handle.join() {
            Ok(v) => v,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
}

/// Sets a flag when dropped: marks a client thread as ended, even when it panics.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs `f` on a helper thread (it must not touch the reactor).
pub fn thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Client<T> {
    let done = Arc::new(AtomicBool::new(false));
    let flag = SetOnDrop(done.clone());
    let handle = std::thread::spawn(move || {
        let _flag = flag;
        f()
    });
    Client {
        handle: Some(handle),
        done,
    }
}

/// Connects a std client to `addr` on a helper thread and runs `f` with it.
pub fn client<T: Send + 'static>(
    addr: SocketAddr,
    f: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> Client<T> {
    thread(move || f(connect_std(addr)))
}

/// A blocking std connection with [`IO_TIMEOUT`] on reads and writes.
pub fn connect_std(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("std client connects");
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("set read timeout");
    stream
        .set_write_timeout(Some(IO_TIMEOUT))
        .expect("set write timeout");
    stream
}

/// As [`connect_std`], with a small receive buffer set before connecting, so the kernel
/// holds little of what the server sends (this machine's loopback may otherwise accept tens
/// of megabytes before a writer sees any backpressure).
pub fn connect_std_small_rcvbuf(addr: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )
    .expect("client socket");
    socket
        .set_recv_buffer_size(16 * 1024)
        .expect("set SO_RCVBUF");
    socket
        .connect_timeout(&addr.into(), IO_TIMEOUT)
        .expect("std client connects");
    let stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("set read timeout");
    stream
        .set_write_timeout(Some(IO_TIMEOUT))
        .expect("set write timeout");
    stream
}

/// Reads until EOF; an error (reset, timeout) ends the read too and is returned with what
/// was read before it.
pub fn read_all(stream: &mut TcpStream) -> (Vec<u8>, Option<io::Error>) {
    let mut out = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return (out, Some(err)),
        }
    }
}

/// Reads until EOF, failing on an error.
pub fn read_to_eof(stream: &mut TcpStream) -> Vec<u8> {
    let (data, err) = read_all(stream);
    if let Some(err) = err {
        panic!("read failed after {} bytes: {err}", data.len());
    }
    data
}

/// Reads exactly `n` bytes.
pub fn read_exact(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    stream
        .read_exact(&mut buf)
        .expect("read the expected bytes");
    buf
}

/// A port on 127.0.0.1 nothing listens on (bound, then closed).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a probe port");
    listener.local_addr().expect("probe port address").port()
}

/// `n` bytes that are not periodic in any small power of two, so a lost, doubled or
/// reordered chunk shows.
pub fn pattern(n: usize) -> Vec<u8> {
    const PERIOD: usize = 251 * 256;
    let block: Vec<u8> = (0..PERIOD).map(|i| ((i % 251) ^ (i / 251)) as u8).collect();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let take = (n - out.len()).min(PERIOD);
        out.extend_from_slice(&block[..take]);
    }
    out
}

/// Everything one connection (and, on the client side, its factory) was told, in order.
#[derive(Default)]
pub struct Record {
    events: RefCell<Vec<String>>,
    data: RefCell<Vec<u8>>,
    reasons: RefCell<Vec<Failure>>,
}

impl Record {
    /// A new, empty record.
    pub fn new() -> Rc<Record> {
        Rc::new(Record::default())
    }

    /// Appends an event name.
    pub fn push(&self, event: impl Into<String>) {
        self.events.borrow_mut().push(event.into());
    }

    /// Keeps a failure handed to a callback.
    pub fn push_reason(&self, reason: &Failure) {
        self.reasons.borrow_mut().push(reason.clone());
    }

    /// Records `connection_lost:KIND` and keeps the reason: what every recording
    /// protocol's `connection_lost` does.
    pub fn lost(&self, reason: &Failure) {
        self.push(format!("connection_lost:{}", reason.type_name()));
        self.push_reason(reason);
    }

    /// The events so far.
    pub fn events(&self) -> Vec<String> {
        self.events.borrow().clone()
    }

    /// Whether `event` was recorded.
    pub fn has(&self, event: &str) -> bool {
        self.events.borrow().iter().any(|e| e == event)
    }

    /// The bytes received so far.
    pub fn data(&self) -> Vec<u8> {
        self.data.borrow().clone()
    }

    /// How many bytes were received so far.
    pub fn data_len(&self) -> usize {
        self.data.borrow().len()
    }

    /// Every failure handed to a callback, in order.
    pub fn reasons(&self) -> Vec<Failure> {
        self.reasons.borrow().clone()
    }

    /// The last failure handed to a callback.
    pub fn last_reason(&self) -> Failure {
        self.reasons
            .borrow()
            .last()
            .cloned()
            .expect("a failure was recorded")
    }
}

/// A protocol that records each callback: `connection_made`, `data` (one entry for a run
/// of `data_received` calls, the bytes kept), `read_connection_lost`,
/// `write_connection_lost`, and `connection_lost:<FailureType>`.
///
/// It behaves as the default protocol does (EOF closes the connection) and can also write
/// a greeting and close when asked.
pub struct Recorder {
    /// Where the events go.
    pub record: Rc<Record>,
    /// Written in `connection_made`.
    pub greeting: Vec<u8>,
    /// Call `lose_connection` right after the greeting.
    pub close_after_greeting: bool,
    /// Stop this reactor in `connection_lost`.
    pub stop_on_lost: Option<Reactor>,
}

impl Recorder {
    /// A recorder writing nothing.
    pub fn new(record: &Rc<Record>) -> Recorder {
        Recorder {
            record: record.clone(),
            greeting: Vec::new(),
            close_after_greeting: false,
            stop_on_lost: None,
        }
    }

    /// A recorder that stops `reactor` once its connection is lost.
    pub fn stopping(record: &Rc<Record>, reactor: &Reactor) -> Recorder {
        Recorder {
            stop_on_lost: Some(reactor.clone()),
            ..Recorder::new(record)
        }
    }
}

impl Protocol for Recorder {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.record.push("connection_made");
        if !self.greeting.is_empty() {
            cx.transport().write(&self.greeting);
        }
        if self.close_after_greeting {
            cx.transport().lose_connection();
        }
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        assert!(!data.is_empty(), "data_received with no bytes");
        if self.record.events.borrow().last().map(String::as_str) != Some("data") {
            self.record.push("data");
        }
        self.record.data.borrow_mut().extend_from_slice(data);
    }

    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        self.record.push("read_connection_lost");
        cx.transport().lose_connection();
    }

    fn write_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.record.push("write_connection_lost");
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.lost(reason);
        if let Some(r) = &self.stop_on_lost {
            r.stop();
        }
    }
}

/// A client factory that records its own callbacks into the same [`Record`] as the
/// [`Recorder`] it builds, and can stop the reactor when the connector is done.
pub struct RecordingClientFactory {
    /// Where the events go.
    pub record: Rc<Record>,
    /// Written by the protocol in `connection_made`.
    pub greeting: Vec<u8>,
    /// Stop this reactor after `client_connection_failed` or `client_connection_lost`.
    pub stop_when_done: Option<Reactor>,
}

impl RecordingClientFactory {
    /// A factory recording into `record` that stops `reactor` when the connector is done.
    pub fn stopping(record: &Rc<Record>, reactor: &Reactor) -> RecordingClientFactory {
        RecordingClientFactory {
            record: record.clone(),
            greeting: Vec::new(),
            stop_when_done: Some(reactor.clone()),
        }
    }
}

impl ClientFactory for RecordingClientFactory {
    type Protocol = Recorder;

    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Recorder> {
        self.record.push("build_protocol");
        let mut p = Recorder::new(&self.record);
        p.greeting = self.greeting.clone();
        Some(p)
    }

    fn do_start(&mut self) {
        self.record.push("do_start");
    }

    fn do_stop(&mut self) {
        self.record.push("do_stop");
    }

    fn started_connecting(&mut self, _connector: &Connector) {
        self.record.push("started_connecting");
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        self.record
            .push(format!("client_connection_failed:{}", reason.type_name()));
        self.record.reasons.borrow_mut().push(reason.clone());
        if let Some(r) = &self.stop_when_done {
            r.stop();
        }
    }

    fn client_connection_lost(&mut self, _connector: &Connector, reason: &Failure) {
        self.record
            .push(format!("client_connection_lost:{}", reason.type_name()));
        self.record.reasons.borrow_mut().push(reason.clone());
        if let Some(r) = &self.stop_when_done {
            r.stop();
        }
    }
}

/// Echoes every byte back.
pub struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}
