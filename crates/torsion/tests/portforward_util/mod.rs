//! Helpers of the port forwarder's tests: a position-keyed byte pattern, a detector of a
//! stalled transfer, std clients with small kernel buffers, a log capture, and the
//! bound on what the kernel may hold in flight.
#![allow(dead_code)]

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use torsion::{LoopingCall, Reactor};

/// How long a std client waits on one read or write: generous, as a transfer may stay
/// stalled on purpose while the test checks it.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// The guard on any one run of the reactor.
pub const GUARD: Duration = Duration::from_secs(120);

/// The byte at `pos` of the stream every test sends: it repeats only every 251 × 256
/// bytes, so a lost, doubled or reordered chunk shows.
pub fn byte_at(pos: u64) -> u8 {
    ((pos % 251) ^ ((pos / 251) % 256)) as u8
}

/// `len` bytes of the pattern from `pos`.
pub fn pattern_from(pos: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| byte_at(pos + i)).collect()
}

/// The first position in `data` (which starts at `pos` of the pattern) that is wrong.
pub fn first_mismatch(pos: u64, data: &[u8]) -> Option<u64> {
    data.iter()
        .enumerate()
        .find(|&(i, &b)| b != byte_at(pos + i as u64))
        .map(|(i, _)| pos + i as u64)
}

/// Runs `reactor` until `done()` (checked every 2 ms from the loop); fails the test if
/// that takes longer than [`GUARD`].
pub fn run_until(reactor: &Reactor, mut done: impl FnMut() -> bool + 'static) {
    let r = reactor.clone();
    let poll = LoopingCall::new(reactor, move || {
        if done() {
            r.stop();
        }
    });
    poll.start(Duration::from_millis(2), false);
    super::util::run_for(reactor, GUARD);
    poll.stop();
}

/// Tells when a counter of transferred bytes stopped moving: every party of these tests
/// runs on the test's thread or writes to loopback (where the kernel moves bytes within
/// the sending call), so a count that did not move over [`QUIET_CHECKS`] checks of the
/// loop is a transfer that is blocked, not one that is slow.
#[derive(Debug, Default)]
pub struct Stall {
    last: u64,
    quiet: u32,
}

/// How many checks in a row (2 ms apart) a stalled count must stay unchanged.
pub const QUIET_CHECKS: u32 = 500;

impl Stall {
    /// Records `count`; `true` once it has been nonzero and unchanged long enough.
    pub fn observe(&mut self, count: u64) -> bool {
        if count != self.last {
            self.last = count;
            self.quiet = 0;
            return false;
        }
        self.quiet += 1;
        count > 0 && self.quiet >= QUIET_CHECKS
    }
}

/// The most the kernel can hold between the two ends of a forwarded pair, both hops
/// counted: each hop is one socket's send buffer and the next one's receive buffer, at
/// their largest (`tcp_wmem`, `tcp_rmem`), plus 1 MiB for the forwarder's own buffers
/// (watermarks and one read per side).
pub fn kernel_bound() -> u64 {
    fn max_of(path: &str) -> u64 {
        let text = std::fs::read_to_string(path).expect("read a TCP buffer sysctl");
        text.split_whitespace()
            .last()
            .and_then(|v| v.parse().ok())
            .expect("a TCP buffer size")
    }
    let rmem = max_of("/proc/sys/net/ipv4/tcp_rmem");
    let wmem = max_of("/proc/sys/net/ipv4/tcp_wmem");
    2 * (rmem + wmem) + (1 << 20)
}

/// A blocking std client to `addr` with small kernel buffers (16 KiB each way, set
/// before connecting), so a stalled transfer holds little in this socket.
pub fn connect_small(addr: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )
    .expect("client socket");
    socket.set_recv_buffer_size(16 * 1024).expect("SO_RCVBUF");
    socket.set_send_buffer_size(16 * 1024).expect("SO_SNDBUF");
    socket
        .connect_timeout(&addr.into(), CLIENT_TIMEOUT)
        .expect("client connects");
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    stream
}

/// Reads `len` bytes and checks they are the pattern from 0; fails the test otherwise.
pub fn read_pattern(stream: &mut TcpStream, len: u64) {
    let mut buf = vec![0; 64 * 1024];
    let mut pos = 0;
    while pos < len {
        let want = buf.len().min((len - pos) as usize);
        let n = stream
            .read(&mut buf[..want])
            .unwrap_or_else(|err| panic!("read failed after {pos} bytes: {err}"));
        assert!(n > 0, "EOF after {pos} of {len} bytes");
        if let Some(bad) = first_mismatch(pos, &buf[..n]) {
            panic!("wrong byte at {bad}");
        }
        pos += n as u64;
    }
}

/// Writes `len` bytes of the pattern from 0.
pub fn write_pattern(stream: &mut TcpStream, len: u64) -> io::Result<()> {
    let mut pos = 0;
    while pos < len {
        let chunk = pattern_from(pos, (len - pos).min(64 * 1024) as usize);
        stream.write_all(&chunk)?;
        pos += chunk.len() as u64;
    }
    Ok(())
}

/// A `tracing` writer collecting every log line of the test thread.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Runs `f` with this thread's log lines (`info` and up) captured.
    pub fn during<T>(&self, f: impl FnOnce() -> T) -> T {
        let sink = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::with_default(subscriber, f)
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `reactor` until `client_done`, then until every connection on it is closed (or
/// 2,500 checks, 5 s, have passed since, so a client that failed ends the test soon);
/// returns how many connections were still open. Fails the test after [`GUARD`].
pub fn run_until_closed(reactor: &Reactor, client_done: Arc<AtomicBool>) -> usize {
    let open = Rc::new(Cell::new(usize::MAX));
    let (r, o) = (reactor.clone(), open.clone());
    let mut checks_since_done = 0;
    run_until(reactor, move || {
        if !client_done.load(Ordering::SeqCst) {
            return false;
        }
        o.set(r.connection_count());
        checks_since_done += 1;
        o.get() == 0 || checks_since_done > 2500
    });
    open.get()
}
