//! The two TLS echo servers, each on a thread of its own: torsion's `listen_tls` with an
//! echo protocol, and tokio-rustls's `TlsAcceptor` on a current-thread runtime, each
//! connection echoing with `tokio::io::copy` and closing (`close_notify`) at the peer's
//! end of data.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio_rustls::TlsAcceptor;
use torsion::tls::ServerOptions;
use torsion::{Cx, ListenOptions, Protocol, Reactor};

/// A server on a thread of its own, stopped when dropped.
pub struct Server {
    pub addr: SocketAddr,
    /// The server thread's CPU clock.
    clock: libc::clockid_t,
    stop: Option<Box<dyn FnOnce()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// The CPU time the server thread has used so far.
    pub fn cpu_time(&self) -> Duration {
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

/// Spawns the server thread under a name a profiler can pick it out by.
fn named(name: &str, run: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(run)
        .expect("spawn the server thread")
}

/// The CPU clock of the calling thread, for another thread to read.
fn this_thread_clock() -> libc::clockid_t {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `pthread_self` is the calling thread; `clock` is a valid place for the id.
    let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
    assert_eq!(rc, 0, "get the thread's CPU clock");
    clock
}

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

/// torsion's TLS echo on 127.0.0.1.
pub fn torsion(options: ServerOptions) -> Server {
    let (tx, rx) = mpsc::channel();
    let thread = named("torsion-server", move || {
        let reactor = Reactor::new().expect("create a reactor");
        reactor.set_install_signal_handlers(false);
        let listen = ListenOptions {
            interface: "127.0.0.1".into(),
            ..ListenOptions::default()
        };
        let port = reactor
            .listen_tls_with(0, |_peer| Some(Echo), options, listen)
            .expect("listen on 127.0.0.1");
        tx.send((
            port.get_host(),
            reactor.thread_handle(),
            this_thread_clock(),
        ))
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

/// tokio-rustls's TLS echo on 127.0.0.1, a task per connection on a current-thread runtime.
pub fn tokio(acceptor: TlsAcceptor) -> Server {
    let (tx, rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = named("tokio-server", move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("build a current-thread runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1");
            let addr = listener.local_addr().expect("an address");
            tx.send((addr, this_thread_clock()))
                .expect("send the address");
            let accept = tokio::spawn(async move {
                loop {
                    let (stream, _) = listener.accept().await.expect("accept");
                    stream.set_nodelay(true).expect("TCP_NODELAY");
                    tokio::spawn(echo(acceptor.clone(), stream));
                }
            });
            let _ = stop_rx.await;
            accept.abort();
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

/// One tokio connection: the handshake, then everything read is written back until the
/// peer's `close_notify`, then ours.
async fn echo(acceptor: TlsAcceptor, stream: tokio::net::TcpStream) {
    let Ok(tls) = acceptor.accept(stream).await else {
        return;
    };
    let (mut reader, mut writer) = tokio::io::split(tls);
    if tokio::io::copy(&mut reader, &mut writer).await.is_ok() {
        let _ = writer.shutdown().await;
    }
}
