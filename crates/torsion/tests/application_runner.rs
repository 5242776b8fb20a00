//! `application::Runner`: the graceful drain with real signals sent to this process. One
//! test function: signals are process-wide.

use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use torsion::application::{server_service, Application, Runner, Service};
use torsion::{Cx, LoopingCall, Protocol, Reactor, ReactorTime};

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

fn raise(signal: i32) {
    // SAFETY: sending a signal to this process, whose handlers the runner installed.
    assert_eq!(unsafe { libc::raise(signal) }, 0);
}

/// An echo application listening on a free loopback port, and that port.
fn echo_app(reactor: &Reactor) -> (Application, u16) {
    let app = Application::new("echo");
    let service = server_service(reactor, "tcp:0:interface=127.0.0.1", |_peer| Some(Echo)).unwrap();
    app.add_service(service.clone().named("echo")).unwrap();
    app.start_service();
    let port = service.listening().take_result().unwrap().unwrap();
    let port = match port.get_host() {
        torsion::Address::Tcp(addr) => addr.port(),
        other => panic!("{other:?}"),
    };
    (app, port)
}

/// Runs `runner` while a client thread talks to `port`: the client says `ready` once it
/// has its first echo; the loop then raises SIGTERM and, once the drain has begun (the
/// application stopped), tells the client `draining`. Panics if the 30 s guard stops the
/// reactor instead of the drain.
fn run_with_client(
    reactor: &Reactor,
    app: &Application,
    runner: &Runner,
    client: impl FnOnce(TcpStream, mpsc::Sender<()>, mpsc::Receiver<()>) + Send + 'static,
    port: u16,
) {
    let (ready_tx, ready) = mpsc::channel();
    let (draining, draining_rx) = mpsc::channel();
    let client = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream.write_all(b"one").unwrap();
        let mut got = [0u8; 3];
        stream.read_exact(&mut got).unwrap();
        client(stream, ready_tx, draining_rx)
    });
    let (a, raised) = (app.clone(), Rc::new(Cell::new(false)));
    let watcher = LoopingCall::new(reactor, move || {
        if !raised.get() && ready.try_recv().is_ok() {
            raised.set(true);
            raise(libc::SIGTERM);
        } else if raised.get() && !a.running() {
            let _ = draining.send(());
        }
    });
    watcher.start(Duration::from_millis(5), true);
    let r = reactor.clone();
    let guard = reactor.call_later(Duration::from_secs(30), move || r.stop());
    runner.run().unwrap();
    assert!(
        guard.active(),
        "the drain ended by itself, not by the guard"
    );
    let _ = guard.cancel();
    watcher.stop();
    client.join().unwrap();
    assert!(!app.running());
}

#[test]
fn the_runner_drains_then_closes_what_outlives_the_grace_period() {
    // A client that finishes during the drain: the run ends when it has closed.
    let reactor = Reactor::new().unwrap();
    let (app, port) = echo_app(&reactor);
    let runner = Runner::new(&reactor, &app)
        .unwrap()
        .grace_period(Duration::from_secs(60));
    let finishes =
        move |mut stream: TcpStream, ready: mpsc::Sender<()>, draining: mpsc::Receiver<()>| {
            ready.send(()).unwrap();
            draining
                .recv_timeout(Duration::from_secs(20))
                .expect("the drain began");
            assert!(
                TcpStream::connect(("127.0.0.1", port)).is_err(),
                "still listening"
            );
            stream.write_all(b"two").unwrap();
            let mut got = [0u8; 3];
            stream.read_exact(&mut got).unwrap();
            assert_eq!(&got, b"two", "served during the drain");
        };
    run_with_client(&reactor, &app, &runner, finishes, port);
    drop(runner);

    // A client that outlives the grace period: closed by the server.
    let reactor = Reactor::new().unwrap();
    let (app, port) = echo_app(&reactor);
    let runner = Runner::new(&reactor, &app)
        .unwrap()
        .grace_period(Duration::from_millis(100));
    let lingers =
        |mut stream: TcpStream, ready: mpsc::Sender<()>, _draining: mpsc::Receiver<()>| {
            ready.send(()).unwrap();
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest);
            assert!(rest.is_empty());
        };
    run_with_client(&reactor, &app, &runner, lingers, port);
}
