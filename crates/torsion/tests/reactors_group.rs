//! `run_reactors` and `Peers` in-process: connections spread over reactors sharing a port,
//! calls between reactors land on the right thread, and an error or a stop anywhere ends
//! the whole group.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Barrier};
use std::thread::{self, ThreadId};
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use torsion::{run_reactors, Cx, Failure, ListenOptions, Peers, Protocol, Reactor};

/// How long any single expected event may take (generous: the machine is shared).
const TIMEOUT: Duration = Duration::from_secs(10);

/// Connections opened to see both reactors accept: the chance that the kernel gives all
/// of them to one reactor is 2^-(CONNECTIONS-1).
const CONNECTIONS: usize = 64;

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

/// A group of reactors run by `run_reactors` on a thread of its own. Dropping it stops the
/// group and waits (up to [`TIMEOUT`]) for it to end.
struct Group {
    peers: Vec<Peers>,
    started: Receiver<Peers>,
    done: Receiver<Result<(), String>>,
    thread_id: ThreadId,
    finished: bool,
}

impl Group {
    /// Runs `n` reactors; `setup` runs on each, then its `Peers` are sent back to the test.
    fn start<F>(n: usize, setup: F) -> Group
    where
        F: Fn(&Reactor, &Peers) -> Result<(), Failure> + Send + Sync + 'static,
    {
        let (started_tx, started) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let thread = thread::spawn(move || {
            let outcome = run_reactors(n, move |reactor, peers| {
                setup(reactor, peers)?;
                started_tx.send(peers.clone()).unwrap();
                Ok(())
            });
            let _ = done_tx.send(outcome.map_err(|failure| failure.to_string()));
        });
        Group {
            peers: Vec::new(),
            started,
            done,
            thread_id: thread.thread().id(),
            finished: false,
        }
    }

    /// Waits until `setup` succeeded on all `n` reactors; returns their `Peers` by index.
    fn wait_started(&mut self, n: usize) -> &[Peers] {
        while self.peers.len() < n {
            let peers = self
                .started
                .recv_timeout(TIMEOUT)
                .expect("every reactor's setup finished");
            self.peers.push(peers);
        }
        self.peers.sort_by_key(Peers::index);
        &self.peers
    }

    /// Waits for `run_reactors` to return, without stopping anything.
    ///
    /// # Panics
    ///
    /// If it does not return within [`TIMEOUT`].
    fn wait_done(&mut self) -> Result<(), String> {
        let outcome = self
            .done
            .recv_timeout(TIMEOUT)
            .expect("run_reactors returned within the deadline");
        self.finished = true;
        outcome
    }

    /// Stops the group and returns what `run_reactors` returned.
    fn stop(mut self) -> Result<(), String> {
        self.peers[0].stop_all();
        self.wait_done()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if let Some(peers) = self
            .peers
            .first()
            .or(self.started.try_iter().next().as_ref())
        {
            peers.stop_all();
        }
        let _ = self.done.recv_timeout(TIMEOUT);
    }
}

/// Binds (without listening) a SO_REUSEPORT socket to a free port of 127.0.0.1, which the
/// reactors may then all listen on; keep it until they do, so no one else takes the port.
fn reserve_port() -> (Socket, u16) {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let probe = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    probe.set_reuse_address(true).unwrap();
    probe.set_reuse_port(true).unwrap();
    probe.bind(&addr.into()).unwrap();
    let port = probe.local_addr().unwrap().as_socket().unwrap().port();
    (probe, port)
}

fn shared_port_options() -> ListenOptions {
    ListenOptions {
        interface: "127.0.0.1".to_string(),
        reuse_port: true,
        ..ListenOptions::default()
    }
}

#[test]
fn connections_to_a_shared_port_are_spread_over_both_reactors() {
    let (probe, port) = reserve_port();
    let accepted: Arc<[AtomicUsize; 2]> = Arc::default();
    let counters = accepted.clone();
    let mut group = Group::start(2, move |reactor, peers| {
        let (counters, index) = (counters.clone(), peers.index());
        let factory = move |_peer| {
            counters[index].fetch_add(1, Ordering::SeqCst);
            Some(Echo)
        };
        reactor.listen_tcp_with(port, factory, shared_port_options())?;
        Ok(())
    });
    group.wait_started(2);
    drop(probe);

    let mut streams: Vec<TcpStream> = (0..CONNECTIONS)
        .map(|_| {
            let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(TIMEOUT)).unwrap();
            s
        })
        .collect();
    for (i, s) in streams.iter_mut().enumerate() {
        s.write_all(format!("connection {i:02}").as_bytes())
            .unwrap();
    }
    for (i, s) in streams.iter_mut().enumerate() {
        let mut echoed = [0u8; 13];
        s.read_exact(&mut echoed).unwrap();
        assert_eq!(echoed, format!("connection {i:02}").as_bytes());
    }

    let counts = [0, 1].map(|i| accepted[i].load(Ordering::SeqCst));
    assert_eq!(counts[0] + counts[1], CONNECTIONS, "{counts:?}");
    assert!(
        counts[0] > 0 && counts[1] > 0,
        "both reactors accepted: {counts:?}"
    );
    group.stop().unwrap();
}

#[test]
fn peers_call_runs_on_the_other_reactors_thread() {
    /// (what ran, on which reactor's behalf, on which thread)
    type Report = (&'static str, usize, ThreadId);
    let (tx, rx) = mpsc::channel::<Report>();
    let mut group = Group::start(2, move |reactor, peers| {
        let index = peers.index();
        tx.send(("setup", index, thread::current().id())).unwrap();
        let (peers, tx) = (peers.clone(), tx.clone());
        reactor.call_when_running(move || {
            peers.call(1 - index, move || {
                tx.send(("call", index, thread::current().id())).unwrap();
            });
        });
        Ok(())
    });
    let peers = group.wait_started(2);
    assert_eq!(
        peers
            .iter()
            .map(|p| (p.index(), p.len()))
            .collect::<Vec<_>>(),
        [(0, 2), (1, 2)]
    );

    let mut setup_on = [None, None];
    let mut call_from = [None, None];
    for _ in 0..4 {
        let (what, index, id) = rx.recv_timeout(TIMEOUT).expect("a report");
        let slot = if what == "setup" {
            &mut setup_on[index]
        } else {
            &mut call_from[index]
        };
        assert!(slot.replace(id).is_none(), "{what} {index} reported twice");
    }
    let [Some(thread_0), Some(thread_1)] = setup_on else {
        panic!("setup did not report on both reactors: {setup_on:?}");
    };
    assert_eq!(
        thread_0, group.thread_id,
        "reactor 0 runs on the thread that called run_reactors"
    );
    assert_ne!(thread_1, thread_0, "each reactor has its own thread");
    assert_ne!(thread_1, thread::current().id());
    assert_eq!(
        call_from[1],
        Some(thread_0),
        "reactor 1's call ran on reactor 0"
    );
    assert_eq!(
        call_from[0],
        Some(thread_1),
        "reactor 0's call ran on reactor 1"
    );
    group.stop().unwrap();
}

#[test]
fn any_reactor_can_stop_the_whole_group() {
    let mut group = Group::start(3, |reactor, peers| {
        if peers.index() == 2 {
            let peers = peers.clone();
            reactor.call_when_running(move || peers.stop_all());
        }
        Ok(())
    });
    assert_eq!(group.wait_done(), Ok(()));
}

/// Runs three reactors whose setup fails on reactor `failing` once the two others are
/// running; returns what `run_reactors` returned.
fn fail_setup_on(failing: usize) -> Result<(), String> {
    let all_set_up = Arc::new(Barrier::new(3));
    let mut group = Group::start(3, move |reactor, peers| {
        let barrier = all_set_up.clone();
        if peers.index() != failing {
            reactor.call_when_running(move || {
                barrier.wait();
            });
            return Ok(());
        }
        barrier.wait();
        let options = ListenOptions {
            interface: "not an address".to_string(),
            ..ListenOptions::default()
        };
        reactor.listen_tcp_with(0, |_peer| Some(Echo), options)?;
        Ok(())
    });
    group.wait_done()
}

#[test]
fn a_setup_error_on_reactor_0_stops_the_others_and_is_returned() {
    let outcome = fail_setup_on(0);
    let message = outcome.expect_err("run_reactors fails");
    assert!(
        message.contains("Invalid address: \"not an address\""),
        "{message}"
    );
}

#[test]
fn a_setup_error_on_another_reactor_stops_the_group_and_is_returned() {
    let outcome = fail_setup_on(2);
    let message = outcome.expect_err("run_reactors fails");
    assert!(
        message.contains("Invalid address: \"not an address\""),
        "{message}"
    );
}

#[test]
fn a_setup_panic_on_another_reactor_stops_the_group_and_is_returned() {
    let mut group = Group::start(2, |_reactor, peers| {
        assert_ne!(peers.index(), 1, "setup of reactor 1 panics");
        Ok(())
    });
    let message = group.wait_done().expect_err("run_reactors fails");
    assert!(message.contains("panicked"), "{message}");
}
