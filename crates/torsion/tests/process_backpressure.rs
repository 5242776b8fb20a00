//! End-to-end backpressure: a child flooding its stdout into a protocol that forwards it
//! to a TCP peer that does not read is paused (the process is the TCP transport's
//! producer), so what is buffered stays bounded; once the peer reads, every byte arrives.

mod process_util;

use std::cell::{Cell, RefCell};
use std::io::Read;
use std::rc::Rc;
use std::sync::mpsc;

use process_util::util::{connect_std_small_rcvbuf, listen, reactor, run_until, thread};
use torsion::{
    Cx, Failure, ProcessCx, ProcessOptions, ProcessProtocol, ProcessTransport, Producer, Protocol,
    Transport,
};

const FLOOD: usize = 200 * 1024 * 1024;
/// The most the TCP write buffer may hold, whatever the flood's size: what one pass of
/// the loop reads before its flush sees the buffer past the high watermark and pauses the
/// child. A pass reads a pipe in fair shares of 16 reads of 64 KiB (1 MiB): one for its
/// readiness event and one for each time it is listed as resumed (a budget used up, a
/// resume). Measured: 2 to 3 MiB, for a flood of 16 or 200 MiB; the bound leaves room for
/// a loaded machine while staying far below the flood (and the 64 MiB hard limit an
/// unpaused child reaches, which aborts the connection).
const BOUND: usize = 8 * 1024 * 1024;

/// What the forwarding saw, shared with the test.
#[derive(Default)]
struct Stats {
    max_buffered: Cell<usize>,
    forwarded: Cell<usize>,
    pauses: Cell<usize>,
    ended: Cell<bool>,
}

/// Forwards the child's stdout to the TCP connection.
struct Pump {
    tcp: Transport,
    stats: Rc<Stats>,
    go: Rc<RefCell<Option<mpsc::Sender<()>>>>,
}

impl ProcessProtocol for Pump {
    fn out_received(&mut self, _cx: &mut ProcessCx<Self>, data: &[u8]) {
        self.tcp.write(data);
        let s = &self.stats;
        s.forwarded.set(s.forwarded.get() + data.len());
        s.max_buffered
            .set(s.max_buffered.get().max(self.tcp.buffered()));
    }

    fn process_ended(&mut self, _cx: &mut ProcessCx<Self>, _reason: &Failure) {
        self.stats.ended.set(true);
        // Without backpressure nothing would have paused: let the peer read anyway, so
        // the test fails on the bound, not by hanging.
        if let Some(go) = self.go.borrow_mut().take() {
            let _ = go.send(());
        }
        self.tcp.unregister_producer();
        self.tcp.lose_connection();
    }
}

/// The process as the TCP transport's producer, counting pauses and letting the peer
/// start reading after the first.
struct CountingProducer {
    child: torsion::SharedProducer,
    stats: Rc<Stats>,
    go: Rc<RefCell<Option<mpsc::Sender<()>>>>,
}

impl Producer for CountingProducer {
    fn pause_producing(&mut self) {
        self.stats.pauses.set(self.stats.pauses.get() + 1);
        self.child.borrow_mut().pause_producing();
        if let Some(go) = self.go.borrow_mut().take() {
            let _ = go.send(());
        }
    }
    fn resume_producing(&mut self) {
        self.child.borrow_mut().resume_producing();
    }
    fn stop_producing(&mut self) {
        self.child.borrow_mut().stop_producing();
    }
}

/// The server's protocol: starts the flooding child on connect.
struct Server {
    stats: Rc<Stats>,
    go: Rc<RefCell<Option<mpsc::Sender<()>>>>,
    child: Rc<RefCell<Option<ProcessTransport>>>,
}

impl Protocol for Server {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let tcp = cx.transport().clone();
        let reactor = tcp.reactor().unwrap();
        let pump = Pump {
            tcp: tcp.clone(),
            stats: self.stats.clone(),
            go: self.go.clone(),
        };
        let command = format!("head -c {FLOOD} /dev/zero");
        let child = reactor
            .spawn_process(
                pump,
                "sh",
                &["sh", "-c", &command],
                ProcessOptions::default().inherit_env(),
            )
            .unwrap();
        let producer = CountingProducer {
            child: child.producer(),
            stats: self.stats.clone(),
            go: self.go.clone(),
        };
        tcp.register_producer(Rc::new(RefCell::new(producer)), true)
            .unwrap();
        *self.child.borrow_mut() = Some(child);
    }
}

#[test]
fn a_flooding_child_is_paused_by_a_slow_tcp_peer() {
    let reactor = reactor();
    let stats = Rc::new(Stats::default());
    let (go_tx, go_rx) = mpsc::channel();
    let go = Rc::new(RefCell::new(Some(go_tx)));
    let child = Rc::new(RefCell::new(None));
    let (s, g, c) = (stats.clone(), go.clone(), child.clone());
    let port = listen(&reactor, move |_peer| {
        Some(Server {
            stats: s.clone(),
            go: g.clone(),
            child: c.clone(),
        })
    });
    let addr = port.get_host();
    let peer = thread(move || {
        let mut stream = connect_std_small_rcvbuf(addr);
        go_rx.recv().expect("told to read");
        // Counts what arrives (keeping 200 MiB would only weigh on the machine).
        let mut buf = vec![0; 256 * 1024];
        let mut total = 0;
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return total,
                Ok(n) => {
                    assert!(buf[..n].iter().all(|&b| b == 0));
                    total += n;
                }
                Err(err) => panic!("after {total} bytes: {err}"),
            }
        }
    });
    let done = peer.done_flag();
    run_until(&reactor, move || {
        done.load(std::sync::atomic::Ordering::SeqCst)
    });
    let received = peer.join();
    assert!(stats.ended.get());
    assert!(stats.pauses.get() > 0, "the child was never paused");
    assert!(
        stats.max_buffered.get() <= BOUND,
        "up to {} bytes were buffered",
        stats.max_buffered.get()
    );
    assert_eq!((stats.forwarded.get(), received), (FLOOD, FLOOD));
    let child = child.borrow();
    assert!(child.as_ref().unwrap().pid().is_none(), "reaped");
}
