//! UNIX-socket echo beside TCP echo, on the same torsion stream engine, in one run.
//!
//! ```text
//! cargo bench -p torsion-bench --bench unix
//! ```
//!
//! One torsion reactor, on its own thread, runs the same echo protocol on a TCP port of
//! 127.0.0.1 and on a UNIX socket. The benchmark thread is the client: over one blocking
//! std connection of each kind it writes a 64-byte message and reads the 64 echoed bytes
//! back, one round trip at a time. Every figure criterion prints is the time of ONE round
//! trip (`echo_64/unix`, `echo_64/tcp`); their ratio is what the engine makes of the
//! kind of socket under it (the target is UNIX no slower than TCP).
//!
//! Settings are kept small (the machine is shared, with 2 cores): 1 s of warm-up, 3 s of
//! measurement, 20 samples per benchmark.

#[path = "support/config.rs"]
mod config;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use torsion::{Cx, ListenOptions, Protocol, Reactor, ThreadHandle};

const MESSAGE: usize = 64;

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

/// The echo server's reactor thread and where it listens.
struct Server {
    handle: ThreadHandle,
    thread: Option<JoinHandle<()>>,
    tcp: SocketAddr,
    unix: PathBuf,
}

impl Server {
    fn start() -> Server {
        let unix = std::env::temp_dir().join(format!("torsion-bench-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&unix);
        let (tx, rx) = mpsc::channel();
        let path = unix.clone();
        let thread = std::thread::spawn(move || {
            let reactor = Reactor::new().expect("reactor");
            reactor.set_install_signal_handlers(false);
            let options = ListenOptions {
                interface: "127.0.0.1".into(),
                ..ListenOptions::default()
            };
            let tcp = reactor
                .listen_tcp_with(0, |_peer| Some(Echo), options)
                .expect("listen tcp");
            reactor
                .listen_unix(&path, |_peer| Some(Echo))
                .expect("listen unix");
            tx.send((reactor.thread_handle(), tcp.get_host()))
                .expect("send");
            reactor.run().expect("run");
        });
        let (handle, tcp) = rx.recv().expect("the server started");
        Server {
            handle,
            thread: Some(thread),
            tcp,
            unix,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.handle.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `iters` round trips of one 64-byte message over `stream`; returns the time taken.
fn round_trips<S: Read + Write>(stream: &mut S, iters: u64) -> Duration {
    let out = [0x5a; MESSAGE];
    let mut back = [0; MESSAGE];
    let start = Instant::now();
    for _ in 0..iters {
        stream.write_all(&out).expect("write");
        stream.read_exact(&mut back).expect("read");
    }
    start.elapsed()
}

fn echo(c: &mut Criterion) {
    let server = Server::start();
    let mut unix = UnixStream::connect(&server.unix).expect("connect unix");
    let mut tcp = TcpStream::connect(server.tcp).expect("connect tcp");
    tcp.set_nodelay(true).expect("nodelay");
    let mut group = c.benchmark_group("echo_64");
    group.bench_function("unix", |b| {
        b.iter_custom(|iters| round_trips(&mut unix, iters))
    });
    group.bench_function("tcp", |b| {
        b.iter_custom(|iters| round_trips(&mut tcp, iters))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config::config();
    targets = echo
}
criterion_main!(benches);
