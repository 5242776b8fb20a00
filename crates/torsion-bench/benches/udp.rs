//! UDP echo: packets per second through torsion's `listen_udp` echo and through a tokio
//! `UdpSocket` echo on a current-thread runtime, under the same client load in one run.
//!
//! ```text
//! cargo bench -p torsion-bench --bench udp
//! ```
//!
//! Each server runs on a thread of its own; the client (the bench thread) keeps 1, 16 or
//! 64 (groups `udp_echo_1`, `udp_echo_16`, `udp_echo_64`) 64-byte datagrams in flight, sending one more for each echo it gets back, and checks
//! each echo's bytes. Every figure criterion prints is the time of ONE echoed datagram, so
//! `torsion/tokio` is tokio's time over torsion's. After each, the bench prints the server
//! thread's CPU time per echoed datagram, a figure the shared machine's noise moves less. A datagram lost (none should be, over
//! loopback with this window) is noticed by a read timeout and replaced, so a run never
//! hangs.
//!
//! Settings are kept small (the machine is shared, with 2 cores): 1 s of warm-up, 3 s of
//! measurement, 20 samples per benchmark.

#[path = "support/config.rs"]
mod config;

use std::cell::Cell;
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use torsion::{Address, DatagramCx, DatagramProtocol, Reactor, UdpOptions};

/// Datagrams the client keeps in flight: one (request/response, where the wake-ups
/// dominate), 16 (a steady stream, where the per-datagram work does) and 64 (a queue deep
/// enough that a server reading many datagrams per call gains).
const WINDOWS: [usize; 3] = [1, 16, 64];
/// The size of each datagram.
const SIZE: usize = 64;

/// A server on a thread of its own, stopped when dropped.
struct Server {
    addr: SocketAddr,
    /// The server thread's CPU clock.
    clock: libc::clockid_t,
    stop: Option<Box<dyn FnOnce()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// The CPU time the server thread has used so far.
    fn cpu_time(&self) -> Duration {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `clock` is the CPU clock of the server thread, alive until `drop`;
        // `now` is a valid place for the result.
        let rc = unsafe { libc::clock_gettime(self.clock, &mut now) };
        assert_eq!(rc, 0, "read the server thread's CPU clock");
        Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
    }
}

/// The CPU clock of the calling thread, for another thread to read.
fn this_thread_clock() -> libc::clockid_t {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `pthread_self` is the calling thread; `clock` is a valid place for the id.
    let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
    assert_eq!(rc, 0, "get the thread's CPU clock");
    clock
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the server thread ends cleanly");
        }
    }
}

struct Echo;

impl DatagramProtocol for Echo {
    fn datagram_received(&mut self, cx: &mut DatagramCx<Self>, data: &[u8], from: Address) {
        cx.transport().write(data, from).expect("echo sent");
    }
}

fn torsion_server() -> Server {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let reactor = Reactor::new().expect("create a reactor");
        reactor.set_install_signal_handlers(false);
        let options = UdpOptions {
            interface: "127.0.0.1".into(),
            ..UdpOptions::default()
        };
        let port = reactor
            .listen_udp_with(0, Echo, options)
            .expect("listen on 127.0.0.1");
        let addr = port.get_host().socket_addr().expect("a UDP port");
        tx.send((addr, reactor.thread_handle(), this_thread_clock()))
            .expect("send the address");
        reactor.run().expect("the reactor runs");
    });
    let (addr, handle, clock) = rx.recv().expect("the server started");
    Server {
        addr,
        clock,
        stop: Some(Box::new(move || handle.stop())),
        thread: Some(thread),
    }
}

fn tokio_server() -> Server {
    let (tx, rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("build a current-thread runtime");
        runtime.block_on(async move {
            let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1");
            let addr = socket.local_addr().expect("an address");
            tx.send((addr, this_thread_clock()))
                .expect("send the address");
            let echo = tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                loop {
                    let (n, from) = socket.recv_from(&mut buf).await.expect("recv_from");
                    socket.send_to(&buf[..n], from).await.expect("send_to");
                }
            });
            let _ = stop_rx.await;
            echo.abort();
        });
    });
    let (addr, clock) = rx.recv().expect("the server started");
    Server {
        addr,
        clock,
        stop: Some(Box::new(move || {
            let _ = stop_tx.send(());
        })),
        thread: Some(thread),
    }
}

/// The client load: `count` echoes with `window` datagrams in flight; returns the time.
fn echo_load(client: &UdpSocket, server: SocketAddr, window: usize, count: u64) -> Duration {
    let payload = [0x5au8; SIZE];
    let mut buf = [0u8; 2 * SIZE];
    let start = Instant::now();
    let mut in_flight = 0;
    let mut sent = 0u64;
    let mut echoed = 0u64;
    while echoed < count {
        while in_flight < window && sent < count {
            client.send_to(&payload, server).expect("send");
            in_flight += 1;
            sent += 1;
        }
        match client.recv(&mut buf) {
            Ok(n) => {
                assert_eq!(&buf[..n], &payload[..], "the echo is the datagram sent");
                echoed += 1;
                in_flight -= 1;
            }
            Err(_) => {
                // Lost: count it as echoed so the run ends; none should be, over loopback.
                echoed += in_flight as u64;
                in_flight = 0;
            }
        }
    }
    start.elapsed()
}

fn client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind the client");
    socket
        .set_read_timeout(Some(Duration::from_secs(1)))
        .expect("set a read timeout");
    socket
}

fn bench_udp_echo(c: &mut Criterion) {
    let socket = client();
    let servers = [("torsion", torsion_server()), ("tokio", tokio_server())];
    for window in WINDOWS {
        let mut group = c.benchmark_group(format!("udp_echo_{window}"));
        group.throughput(Throughput::Elements(1));
        for (name, server) in &servers {
            let echoed = Cell::new(0u64);
            let cpu_before = server.cpu_time();
            group.bench_function(*name, |b| {
                b.iter_custom(|iters| {
                    echoed.set(echoed.get() + iters);
                    echo_load(&socket, server.addr, window, iters)
                })
            });
            let cpu = server.cpu_time() - cpu_before;
            println!(
                "udp_echo_{window}/{name}: server CPU {:.0} ns per echoed datagram",
                cpu.as_nanos() as f64 / echoed.get().max(1) as f64
            );
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = config::config();
    targets = bench_udp_echo
}
criterion_main!(benches);
