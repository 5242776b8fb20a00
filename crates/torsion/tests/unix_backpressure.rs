//! Flow control over a UNIX socket, as `tcp_backpressure.rs` checks it over TCP: a
//! streaming producer whose peer does not read is paused above the high watermark, and
//! resumed once the peer reads.

mod util;

use std::cell::RefCell;
use std::io::Read;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use torsion::{Cx, Producer, Protocol, Reactor, ReactorTime, SharedProducer, Transport};
use util::Record;

const TOTAL: usize = 16 * 1024 * 1024;
const CHUNK: usize = 32 * 1024;

/// Writes a few chunks per loop pass until paused.
struct Pusher {
    me: Weak<RefCell<Pusher>>,
    transport: Transport,
    reactor: Reactor,
    sent: usize,
    paused: bool,
    record: Rc<Record>,
    paused_once: Arc<AtomicBool>,
}

impl Pusher {
    fn schedule(&self) {
        let me = self.me.clone();
        self.reactor.call_later(Duration::ZERO, move || {
            if let Some(p) = me.upgrade() {
                p.borrow_mut().pump();
            }
        });
    }

    fn pump(&mut self) {
        if self.paused {
            return;
        }
        for _ in 0..4 {
            let n = CHUNK.min(TOTAL - self.sent);
            self.transport.write(vec![(self.sent / CHUNK) as u8; n]);
            self.sent += n;
            if self.sent == TOTAL {
                self.transport.unregister_producer();
                self.transport.lose_connection();
                return;
            }
        }
        self.schedule();
    }
}

impl Producer for Pusher {
    fn pause_producing(&mut self) {
        self.record.push("pause");
        self.paused = true;
        self.paused_once.store(true, Ordering::SeqCst);
    }

    fn resume_producing(&mut self) {
        self.record.push("resume");
        self.paused = false;
        self.schedule();
    }

    fn stop_producing(&mut self) {
        self.record.push("stop");
    }
}

/// Registers a [`Pusher`] when connected.
struct Stream {
    reactor: Reactor,
    record: Rc<Record>,
    paused_once: Arc<AtomicBool>,
}

impl Protocol for Stream {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let pusher = Rc::new_cyclic(|me| {
            RefCell::new(Pusher {
                me: me.clone(),
                transport: cx.transport().clone(),
                reactor: self.reactor.clone(),
                sent: 0,
                paused: false,
                record: self.record.clone(),
                paused_once: self.paused_once.clone(),
            })
        });
        pusher.borrow().schedule();
        cx.transport()
            .register_producer(pusher as SharedProducer, true)
            .unwrap();
    }
}

#[test]
fn a_peer_that_does_not_read_pauses_the_producer_until_it_reads() {
    let reactor = util::reactor();
    let path = std::env::temp_dir().join(format!("torsion-bp-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let record = Record::new();
    let paused_once = Arc::new(AtomicBool::new(false));
    let (r, rec, po) = (reactor.clone(), record.clone(), paused_once.clone());
    reactor
        .listen_unix(&path, move |_peer| {
            Some(Stream {
                reactor: r.clone(),
                record: rec.clone(),
                paused_once: po.clone(),
            })
        })
        .unwrap();
    let (po, p) = (paused_once.clone(), path.clone());
    let client = util::thread(move || {
        let mut s = std::os::unix::net::UnixStream::connect(&p).unwrap();
        s.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
        let deadline = Instant::now() + util::IO_TIMEOUT;
        while !po.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        let paused = po.load(Ordering::SeqCst);
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        (paused, all)
    });
    util::run_until_finished(&reactor, &client);
    let (paused_before_reading, all) = client.join();
    assert!(
        paused_before_reading,
        "never paused while the peer did not read"
    );
    assert_eq!(all.len(), TOTAL);
    assert!(all
        .chunks(CHUNK)
        .enumerate()
        .all(|(i, c)| c.iter().all(|&b| b == i as u8)));
    let events = record.events();
    assert!(events.len() >= 2, "{events:?}");
    assert_eq!(events[0], "pause");
    assert_eq!(events[1], "resume");
}
