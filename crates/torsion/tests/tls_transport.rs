//! The transport a protocol sees under TLS, over real sockets: bulk echo, backpressure
//! from a peer that does not read, the handshake deadline, `start_tls` in the middle of a
//! line protocol, TLS over UNIX sockets, and TLS made in memory under a wrapper.

mod tls_peer;
mod tls_util;
mod util;

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tls_peer::{ClientOf, End};
use tls_util::Pki;
use torsion::error::ConnectionDone;
use torsion::protocols::basic::{LineCx, LineProtocol, LineReceiver};
use torsion::protocols::policies::ProtocolWrapper;
use torsion::tls::{
    ClientOptions, ServerOptions, TlsClientFactory, TlsFactory, TlsHandshakeTimeout, TlsProtocol,
};
use torsion::{Cx, Failure, Producer, Protocol, Reactor, ReactorTime, Transport};
use util::{Record, Recorder};

/// Says `ready` once connected (so after the handshake), then echoes.
struct ReadyEcho;

impl Protocol for ReadyEcho {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"ready");
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

/// How far the bulk client's writes may run ahead of the echo it has read. The engine
/// stops reading a connection whose own write buffer is above its high watermark, so a
/// client that wrote everything at once and an echo server would both stop reading once
/// the kernel's buffers are full; this window stays well below what they hold.
const ECHO_WINDOW: usize = 128 * 1024;

/// Streams `payload` (from the start, or once the server says `ready`) while reading the
/// echo, at most [`ECHO_WINDOW`] ahead of it; closes when all of it came back.
struct BulkClient {
    payload: Rc<Vec<u8>>,
    wait_for_ready: bool,
    greeting: Vec<u8>,
    sent: usize,
    echoed: Rc<RefCell<Vec<u8>>>,
    record: Rc<Record>,
}

impl BulkClient {
    fn top_up(&mut self, transport: &Transport) {
        let echoed = self.echoed.borrow().len();
        while self.sent < self.payload.len() && self.sent - echoed < ECHO_WINDOW {
            let end = (self.sent + 16 * 1024).min(self.payload.len());
            transport.write(&self.payload[self.sent..end]);
            self.sent = end;
        }
    }
}

impl Protocol for BulkClient {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        if !self.wait_for_ready {
            self.top_up(cx.transport());
        }
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, mut data: &[u8]) {
        if self.wait_for_ready && self.greeting.len() < 5 {
            let take = (5 - self.greeting.len()).min(data.len());
            self.greeting.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.greeting != b"ready" {
                return;
            }
        }
        self.echoed.borrow_mut().extend_from_slice(data);
        if self.echoed.borrow().len() >= self.payload.len() {
            cx.transport().lose_connection();
        } else {
            self.top_up(cx.transport());
        }
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.lost(reason);
    }
}

#[test]
fn ten_mib_echo_both_ways_at_once_arrives_whole_and_in_order() {
    const TOTAL: usize = 10 * 1024 * 1024;
    let pki = Pki::new();
    let reactor = util::reactor();
    let port = reactor
        .listen_tls(0, |_peer| Some(util::Echo), pki.server_options())
        .unwrap();
    let payload = Rc::new(util::pattern(TOTAL));
    let echoed = Rc::new(RefCell::new(Vec::new()));
    let record = Record::new();
    let (p, e, r) = (payload.clone(), echoed.clone(), record.clone());
    reactor.connect_tls(
        "127.0.0.1",
        port.get_host().port(),
        ClientOf(move || BulkClient {
            payload: p.clone(),
            wait_for_ready: false,
            greeting: Vec::new(),
            sent: 0,
            echoed: e.clone(),
            record: r.clone(),
        }),
        pki.client_options("localhost"),
    );
    let rec = record.clone();
    let settled = tls_peer::run_until(&reactor, move || !rec.events().is_empty());
    let echoed = echoed.borrow();
    assert!(settled, "{} of {TOTAL} bytes came back", echoed.len());
    assert_eq!(echoed.len(), TOTAL);
    assert!(*echoed == *payload, "the echo came back altered");
    assert!(record.last_reason().check::<ConnectionDone>());
}

/// A streaming producer: writes chunks each loop pass until paused, then stops.
struct Pusher {
    me: Weak<RefCell<Pusher>>,
    transport: Transport,
    reactor: Reactor,
    data: Rc<Vec<u8>>,
    sent: usize,
    paused: bool,
    scheduled: bool,
    peak_buffered: Rc<Cell<usize>>,
    paused_once: Arc<AtomicBool>,
}

const PUSH_CHUNK: usize = 32 * 1024;

impl Pusher {
    fn schedule(&mut self) {
        if self.scheduled {
            return;
        }
        self.scheduled = true;
        let me = self.me.clone();
        self.reactor.call_later(Duration::ZERO, move || {
            if let Some(p) = me.upgrade() {
                p.borrow_mut().pump();
            }
        });
    }

    fn pump(&mut self) {
        self.scheduled = false;
        while !self.paused {
            let end = (self.sent + PUSH_CHUNK).min(self.data.len());
            self.transport.write(&self.data[self.sent..end]);
            self.sent = end;
            let peak = self.peak_buffered.get().max(self.transport.buffered());
            self.peak_buffered.set(peak);
            if self.sent == self.data.len() {
                self.transport.unregister_producer();
                self.transport.lose_connection();
                return;
            }
            if self.sent % (4 * PUSH_CHUNK) == 0 {
                // Let the loop flush (and so tell us to pause) between bursts.
                return self.schedule();
            }
        }
    }
}

impl Producer for Pusher {
    fn pause_producing(&mut self) {
        self.paused = true;
        self.paused_once.store(true, Ordering::SeqCst);
    }

    fn resume_producing(&mut self) {
        self.paused = false;
        self.schedule();
    }

    fn stop_producing(&mut self) {
        self.paused = true;
    }
}

/// Registers a streaming producer writing `data` when the client asks for the stream
/// (after the handshake).
#[derive(Clone)]
struct Streamer {
    reactor: Reactor,
    data: Rc<Vec<u8>>,
    peak_buffered: Rc<Cell<usize>>,
    paused_once: Arc<AtomicBool>,
}

impl Protocol for Streamer {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        assert_eq!(data, b"go");
        let pusher = Rc::new_cyclic(|me| {
            RefCell::new(Pusher {
                me: me.clone(),
                transport: cx.transport().clone(),
                reactor: self.reactor.clone(),
                data: self.data.clone(),
                sent: 0,
                paused: false,
                scheduled: false,
                peak_buffered: self.peak_buffered.clone(),
                paused_once: self.paused_once.clone(),
            })
        });
        cx.transport()
            .register_producer(pusher.clone(), true)
            .expect("the first producer");
        pusher.borrow_mut().schedule();
    }
}

/// Waits (polling, with a deadline) until `flag` is set.
fn wait_for(flag: &AtomicBool) -> bool {
    let deadline = Instant::now() + util::IO_TIMEOUT;
    while !flag.load(Ordering::SeqCst) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// Serves a [`Streamer`] of 32 MiB, listening with `listen`, to a raw TLS peer that reads
/// nothing until the producer was paused; checks the stream and the peak of `buffered()`.
fn stream_to_a_peer_that_does_not_read(
    listen: impl FnOnce(&Reactor, Streamer, ServerOptions) -> SocketAddr,
) {
    const TOTAL: usize = 32 * 1024 * 1024;
    const BOUND: usize = 1024 * 1024;
    let pki = Pki::new();
    let reactor = util::reactor();
    let data = Rc::new(util::pattern(TOTAL));
    let peak_buffered = Rc::new(Cell::new(0));
    let paused_once = Arc::new(AtomicBool::new(false));
    let streamer = Streamer {
        reactor: reactor.clone(),
        data: data.clone(),
        peak_buffered: peak_buffered.clone(),
        paused_once: paused_once.clone(),
    };
    let addr = listen(&reactor, streamer, pki.server_options());
    let (po, ca) = (paused_once.clone(), pki.ca.cert.clone());
    let client = util::thread(move || {
        let stream = util::connect_std_small_rcvbuf(addr);
        let mut tls = tls_peer::handshake(stream, &ca);
        tls_peer::write_all(&mut tls, b"go");
        // Read nothing until the server's producer was paused.
        let paused = wait_for(&po);
        (paused, tls_peer::read_to_end(&mut tls))
    });
    let done = client.done_flag();
    let settled = tls_peer::run_until(&reactor, move || done.load(Ordering::SeqCst));
    assert!(settled, "the client did not finish");
    let (paused_before_reading, (received, end)) = client.join();
    assert!(
        paused_before_reading,
        "the producer was never paused while the peer did not read"
    );
    assert_eq!(end, End::CloseNotify, "after {} bytes", received.len());
    assert_eq!(received.len(), TOTAL);
    assert!(received == *data, "the stream arrived altered");
    assert!(
        peak_buffered.get() < BOUND,
        "buffered() stays bounded under TLS: it reached {} bytes",
        peak_buffered.get()
    );
}

#[test]
fn a_peer_that_does_not_read_pauses_the_producer_through_tls() {
    stream_to_a_peer_that_does_not_read(|reactor, streamer, options| {
        reactor
            .listen_tls(0, move |_peer| Some(streamer.clone()), options)
            .unwrap()
            .get_host()
    });
}

#[test]
fn a_peer_that_does_not_read_pauses_the_producer_through_tls_made_in_memory() {
    stream_to_a_peer_that_does_not_read(|reactor, streamer, options| {
        util::listen(reactor, move |_peer| {
            let tls = TlsProtocol::new(streamer.clone(), options.clone().into());
            Some(ProtocolWrapper::new(tls, ()))
        })
        .get_host()
    });
}

/// Echoes, and records how its connection ended.
struct RecordingEcho {
    record: Rc<Record>,
}

impl Protocol for RecordingEcho {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.lost(reason);
    }
}

#[test]
fn a_client_that_sends_nothing_is_closed_at_the_handshake_deadline() {
    let pki = Pki::new();
    let reactor = util::reactor();
    let record = Record::new();
    let rec = record.clone();
    let options = pki
        .server_options()
        .handshake_timeout(Duration::from_millis(200));
    let port = reactor
        .listen_tls(0, move |_peer| Some(Recorder::new(&rec)), options)
        .unwrap();
    let client = util::client(port.get_host(), |mut s| util::read_all(&mut s));
    let done = client.done_flag();
    let rec = record.clone();
    let settled = tls_peer::run_until(&reactor, move || {
        done.load(Ordering::SeqCst) && rec.events().len() >= 2
    });
    assert!(settled, "server: {:?}", record.events());
    let (received, err) = client.join();
    assert!(received.is_empty(), "nothing was sent: {received:?}");
    assert!(err.is_none(), "the client reads EOF: {err:?}");
    assert_eq!(
        record.events(),
        ["connection_made", "connection_lost:TlsHandshakeTimeout"]
    );
    let reason = record.last_reason();
    let timeout = reason
        .downcast_ref::<TlsHandshakeTimeout>()
        .expect("a handshake timeout");
    assert_eq!(timeout.after, Duration::from_millis(200));
}

/// Pings once connected, and again after the handshake deadline has passed; closes on the
/// second echo.
struct Patient {
    wait: Duration,
    echoes: Rc<RefCell<Vec<u8>>>,
    record: Rc<Record>,
}

impl Patient {
    fn ping_again(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"pong");
    }
}

impl Protocol for Patient {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"ping");
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        let mut echoes = self.echoes.borrow_mut();
        echoes.extend_from_slice(data);
        if echoes.as_slice() == b"ping" {
            cx.call_later(self.wait, Self::ping_again);
        } else if echoes.as_slice() == b"pingpong" {
            cx.transport().lose_connection();
        }
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.lost(reason);
    }
}

#[test]
fn a_handshake_that_ends_in_time_outlives_the_deadline() {
    let pki = Pki::new();
    let reactor = util::reactor();
    let server_record = Record::new();
    let rec = server_record.clone();
    let timeout = Duration::from_millis(200);
    let port = reactor
        .listen_tls(
            0,
            move |_peer| {
                Some(RecordingEcho {
                    record: rec.clone(),
                })
            },
            pki.server_options().handshake_timeout(timeout),
        )
        .unwrap();
    let client_record = Record::new();
    let echoes = Rc::new(RefCell::new(Vec::new()));
    let (rec, e) = (client_record.clone(), echoes.clone());
    reactor.connect_tls(
        "127.0.0.1",
        port.get_host().port(),
        ClientOf(move || Patient {
            wait: timeout * 3,
            echoes: e.clone(),
            record: rec.clone(),
        }),
        pki.client_options("localhost").handshake_timeout(timeout),
    );
    let (c, s) = (client_record.clone(), server_record.clone());
    let settled = tls_peer::run_until(&reactor, move || {
        !c.events().is_empty() && !s.events().is_empty()
    });
    assert!(
        settled,
        "client {:?}, server {:?}",
        client_record.events(),
        server_record.events()
    );
    assert_eq!(echoes.borrow().as_slice(), b"pingpong");
    assert_eq!(client_record.events(), ["connection_lost:ConnectionDone"]);
    assert_eq!(server_record.events(), ["connection_lost:ConnectionDone"]);
}

/// What one direction of a relayed connection carried.
type Capture = Arc<Mutex<Vec<u8>>>;

/// Relays one connection from a port of its own to `target`, keeping every byte each way:
/// what a packet capture would show.
fn relay(target: SocketAddr) -> (SocketAddr, Capture, Capture) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (up, down) = (Capture::default(), Capture::default());
    let (u, d) = (up.clone(), down.clone());
    std::thread::spawn(move || {
        let (client, _) = listener.accept().expect("the client connects to the relay");
        let server = TcpStream::connect(target).expect("the relay connects");
        let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        std::thread::spawn(move || copy(c2, s2, &u));
        copy(server, client, &d);
    });
    (addr, up, down)
}

fn copy(mut from: TcpStream, mut to: TcpStream, capture: &Capture) {
    let mut buf = [0; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                capture.lock().unwrap().extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// A line server that answers `STARTTLS` with `GO` in clear and then speaks TLS; each
/// later line is answered with `ECHO <line>`.
struct StartTlsServer {
    options: ServerOptions,
    record: Rc<Record>,
}

impl LineReceiver for StartTlsServer {
    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        if line == b"STARTTLS" {
            cx.send_line(b"GO");
            cx.transport()
                .start_tls(self.options.clone())
                .expect("start TLS");
            let again = cx.transport().start_tls(self.options.clone());
            self.record.push(format!(
                "server start_tls again: {:?}",
                again.map_err(|e| e.kind())
            ));
            return;
        }
        self.record.push(format!(
            "server got {} (tls {:?})",
            String::from_utf8_lossy(line),
            cx.transport().tls_version().is_some()
        ));
        cx.send_line(&[b"ECHO ".as_slice(), line].concat());
    }
}

/// A line client that asks for TLS, starts it on `GO`, then sends a secret line and
/// closes once it is echoed.
struct StartTlsClient {
    options: ClientOptions,
    record: Rc<Record>,
}

impl LineReceiver for StartTlsClient {
    fn connection_made(&mut self, cx: &mut LineCx<'_, Self>) {
        cx.send_line(b"STARTTLS");
    }

    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        if line == b"GO" {
            cx.transport()
                .start_tls(self.options.clone())
                .expect("start TLS");
            let again = cx.transport().start_tls(self.options.clone());
            self.record.push(format!(
                "client start_tls again: {:?}",
                again.map_err(|e| e.kind())
            ));
            cx.send_line(b"the secret line");
            return;
        }
        self.record.push(format!(
            "client got {} (tls {:?})",
            String::from_utf8_lossy(line),
            cx.transport().tls_version().is_some()
        ));
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, _cx: &mut LineCx<'_, Self>, reason: &Failure) {
        self.record
            .push(format!("client lost:{}", reason.type_name()));
    }
}

#[test]
fn start_tls_in_the_middle_of_a_line_protocol_encrypts_what_follows() {
    let pki = Pki::new();
    let reactor = util::reactor();
    let record = Record::new();
    let (rec, server_options) = (record.clone(), pki.server_options());
    let port = util::listen(&reactor, move |_peer| {
        Some(LineProtocol::new(StartTlsServer {
            options: server_options.clone(),
            record: rec.clone(),
        }))
    });
    let (relay_addr, up, down) = relay(port.get_host());
    let (rec, client_options) = (record.clone(), pki.client_options("localhost"));
    reactor.connect_tcp(
        "127.0.0.1",
        relay_addr.port(),
        ClientOf(move || {
            LineProtocol::new(StartTlsClient {
                options: client_options.clone(),
                record: rec.clone(),
            })
        }),
    );
    let rec = record.clone();
    let settled = tls_peer::run_until(&reactor, move || {
        rec.events().iter().any(|e| e.starts_with("client lost"))
    });
    assert!(settled, "{:?}", record.events());
    assert_eq!(
        record.events(),
        [
            "server start_tls again: Err(AlreadyExists)",
            "client start_tls again: Err(AlreadyExists)",
            "server got the secret line (tls true)",
            "client got ECHO the secret line (tls true)",
            "client lost:ConnectionDone",
        ]
    );
    let up = up.lock().unwrap().clone();
    let down = down.lock().unwrap().clone();
    assert!(up.starts_with(b"STARTTLS\r\n"), "{up:?}");
    assert_eq!(
        up.get(10),
        Some(&0x16),
        "a TLS handshake record follows STARTTLS"
    );
    assert!(down.starts_with(b"GO\r\n"), "{down:?}");
    assert_eq!(
        down.get(4),
        Some(&0x16),
        "a TLS handshake record follows GO"
    );
    for (name, wire) in [("client", &up), ("server", &down)] {
        assert!(
            !wire.windows(6).any(|w| w == b"secret"),
            "the {name}'s line went out in clear"
        );
    }
}

#[test]
fn tls_runs_over_unix_sockets() {
    let pki = Pki::new();
    let reactor = util::reactor();
    let path = std::env::temp_dir().join(format!("torsion-tls-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = reactor
        .listen_unix(
            &path,
            TlsFactory::new(|_peer| Some(ReadyEcho), pki.server_options()),
        )
        .unwrap();
    let payload = Rc::new(util::pattern(256 * 1024));
    let echoed = Rc::new(RefCell::new(Vec::new()));
    let record = Record::new();
    let (p, e, r) = (payload.clone(), echoed.clone(), record.clone());
    let factory = ClientOf(move || BulkClient {
        payload: p.clone(),
        wait_for_ready: true,
        greeting: Vec::new(),
        sent: 0,
        echoed: e.clone(),
        record: r.clone(),
    });
    reactor.connect_unix(
        &path,
        TlsClientFactory::new(factory, pki.client_options("localhost")),
    );
    let rec = record.clone();
    let settled = tls_peer::run_until(&reactor, move || !rec.events().is_empty());
    let _ = listener.stop_listening();
    let _ = std::fs::remove_file(&path);
    assert!(settled, "{} bytes came back", echoed.borrow().len());
    assert!(*echoed.borrow() == *payload, "the echo came back altered");
    assert!(record.last_reason().check::<ConnectionDone>());
}

/// Echoes, and tells what its transport says about TLS.
struct TellingEcho {
    record: Rc<Record>,
}

impl Protocol for TellingEcho {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"ready");
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        let version = cx.transport().tls_version();
        if !self.record.has("version") {
            self.record.push("version");
            self.record.push(format!("{version:?}"));
        }
        cx.transport().write(data);
    }
}

#[test]
fn tls_made_in_memory_under_a_wrapper_serves_a_tls_client() {
    let pki = Pki::new();
    let reactor = util::reactor();
    let server_record = Record::new();
    let (rec, options) = (server_record.clone(), pki.server_options());
    let port = util::listen(&reactor, move |_peer| {
        let echo = TellingEcho {
            record: rec.clone(),
        };
        Some(ProtocolWrapper::new(
            TlsProtocol::new(echo, options.clone().into()),
            (),
        ))
    });
    let payload = Rc::new(util::pattern(1024 * 1024));
    let echoed = Rc::new(RefCell::new(Vec::new()));
    let record = Record::new();
    let (p, e, r) = (payload.clone(), echoed.clone(), record.clone());
    reactor.connect_tls(
        "127.0.0.1",
        port.get_host().port(),
        ClientOf(move || BulkClient {
            payload: p.clone(),
            wait_for_ready: true,
            greeting: Vec::new(),
            sent: 0,
            echoed: e.clone(),
            record: r.clone(),
        }),
        pki.client_options("localhost"),
    );
    let rec = record.clone();
    let settled = tls_peer::run_until(&reactor, move || !rec.events().is_empty());
    assert!(settled, "{} bytes came back", echoed.borrow().len());
    assert!(*echoed.borrow() == *payload, "the echo came back altered");
    assert!(record.last_reason().check::<ConnectionDone>());
    assert_eq!(
        server_record.events(),
        ["version", "Some(\"TLSv1.3\")"],
        "the wrapped protocol saw a TLS transport"
    );
}
