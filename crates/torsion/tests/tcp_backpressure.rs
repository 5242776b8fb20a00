//! Flow control over loopback: streaming and pull producers, an echo server whose peer
//! never reads, the write buffer's hard limit, and pausing a transport's reading.

mod util;

use std::cell::{Cell, RefCell};
use std::io::{self, Write};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use torsion::error::WriteBufferOverflow;
use torsion::{Cx, Failure, Producer, Protocol, Reactor, ReactorTime, Transport};
use util::Record;

/// The default high watermark of a transport's write buffer.
const HIGH_WATER: usize = 64 * 1024;

/// A streaming producer: writes a few chunks per loop pass until paused, and stops
/// scheduling itself while paused.
struct Pusher {
    me: Weak<RefCell<Pusher>>,
    transport: Transport,
    reactor: Reactor,
    data: Rc<Vec<u8>>,
    sent: usize,
    paused: bool,
    scheduled: bool,
    record: Rc<Record>,
    max_buffered: Rc<Cell<usize>>,
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
        if self.paused {
            return;
        }
        for _ in 0..4 {
            let end = (self.sent + PUSH_CHUNK).min(self.data.len());
            self.transport.write(&self.data[self.sent..end]);
            self.sent = end;
            self.max_buffered
                .set(self.max_buffered.get().max(self.transport.buffered()));
            if self.sent == self.data.len() {
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

/// Registers a producer built by `make` when the connection is made.
struct WithProducer<F: FnMut(&Transport) -> (torsion::SharedProducer, bool)> {
    make: F,
}

impl<F: FnMut(&Transport) -> (torsion::SharedProducer, bool) + 'static> Protocol
    for WithProducer<F>
{
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let (producer, streaming) = (self.make)(cx.transport());
        cx.transport()
            .register_producer(producer, streaming)
            .expect("first producer");
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

#[test]
fn a_streaming_producer_is_paused_above_the_high_watermark_and_resumed_after() {
    const TOTAL: usize = 32 * 1024 * 1024;
    let reactor = util::reactor();
    let record = Record::new();
    let max_buffered = Rc::new(Cell::new(0));
    let paused_once = Arc::new(AtomicBool::new(false));
    let data = Rc::new(util::pattern(TOTAL));
    let (r, rec, mb, po, d) = (
        reactor.clone(),
        record.clone(),
        max_buffered.clone(),
        paused_once.clone(),
        data.clone(),
    );
    let port = util::listen(&reactor, move |_peer| {
        let (r, rec, mb, po, d) = (r.clone(), rec.clone(), mb.clone(), po.clone(), d.clone());
        Some(WithProducer {
            make: move |t: &Transport| {
                let pusher = Rc::new_cyclic(|me| {
                    RefCell::new(Pusher {
                        me: me.clone(),
                        transport: t.clone(),
                        reactor: r.clone(),
                        data: d.clone(),
                        sent: 0,
                        paused: false,
                        scheduled: false,
                        record: rec.clone(),
                        max_buffered: mb.clone(),
                        paused_once: po.clone(),
                    })
                });
                pusher.borrow_mut().schedule();
                (pusher as torsion::SharedProducer, true)
            },
        })
    });
    let (po, addr) = (paused_once.clone(), port.get_host());
    let client = util::thread(move || {
        let mut s = util::connect_std_small_rcvbuf(addr);
        let paused = wait_for(&po);
        (paused, util::read_all(&mut s))
    });
    util::run_until_finished(&reactor, &client);
    let (paused_before_reading, (received, err)) = client.join();
    assert!(
        paused_before_reading,
        "the producer was never paused while the peer did not read"
    );
    assert!(err.is_none(), "{err:?}");
    assert_eq!(received.len(), TOTAL);
    assert!(received == *data, "the stream arrived altered");
    let events = record.events();
    assert!(
        events.len() >= 2,
        "paused and resumed at least once: {events:?}"
    );
    for (i, e) in events.iter().enumerate() {
        let want = if i % 2 == 0 { "pause" } else { "resume" };
        assert_eq!(
            e, want,
            "pause and resume alternate, starting with pause: {events:?}"
        );
    }
    assert!(
        max_buffered.get() <= 8 * HIGH_WATER,
        "the buffer stays near the high watermark while paused: it reached {} bytes",
        max_buffered.get()
    );
}

/// A pull producer: writes one chunk each time it is asked.
struct Puller {
    transport: Transport,
    data: Rc<Vec<u8>>,
    sent: usize,
    record: Rc<Record>,
}

const PULL_CHUNK: usize = 64 * 1024;

impl Producer for Puller {
    fn resume_producing(&mut self) {
        self.record
            .push(format!("resume buffered={}", self.transport.buffered()));
        let end = (self.sent + PULL_CHUNK).min(self.data.len());
        self.transport.write(&self.data[self.sent..end]);
        self.sent = end;
        if self.sent == self.data.len() {
            self.transport.unregister_producer();
            self.transport.lose_connection();
        }
    }

    fn stop_producing(&mut self) {
        self.record.push("stop");
    }
}

#[test]
fn a_pull_producer_is_asked_each_time_the_buffer_empties() {
    const TOTAL: usize = 10 * 1024 * 1024;
    let reactor = util::reactor();
    let record = Record::new();
    let data = Rc::new(util::pattern(TOTAL));
    let (rec, d) = (record.clone(), data.clone());
    let port = util::listen(&reactor, move |_peer| {
        let (rec, d) = (rec.clone(), d.clone());
        Some(WithProducer {
            make: move |t: &Transport| {
                let puller = Puller {
                    transport: t.clone(),
                    data: d.clone(),
                    sent: 0,
                    record: rec.clone(),
                };
                (
                    Rc::new(RefCell::new(puller)) as torsion::SharedProducer,
                    false,
                )
            },
        })
    });
    let client = util::client(port.get_host(), |mut s| util::read_all(&mut s));
    util::run_until_finished(&reactor, &client);
    let (received, err) = client.join();
    assert!(err.is_none(), "{err:?}");
    assert_eq!(received.len(), TOTAL);
    assert!(received == *data, "the stream arrived altered");
    let events = record.events();
    assert_eq!(
        events.len(),
        TOTAL / PULL_CHUNK,
        "one resume_producing per chunk"
    );
    assert!(
        events.iter().all(|e| e == "resume buffered=0"),
        "asked only when the buffer is empty"
    );
}

/// Echoes, and notes how large its write buffer gets.
struct MeteredEcho {
    max_buffered: Rc<Cell<usize>>,
    last_buffered: Rc<Cell<usize>>,
    lost: Rc<RefCell<Option<Failure>>>,
}

impl Protocol for MeteredEcho {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
        let now = cx.transport().buffered();
        self.max_buffered.set(self.max_buffered.get().max(now));
        self.last_buffered.set(now);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        *self.lost.borrow_mut() = Some(reason.clone());
    }
}

#[test]
fn an_echo_server_whose_peer_never_reads_stops_reading() {
    const CAP: usize = 256 * 1024 * 1024;
    let reactor = util::reactor();
    let max_buffered = Rc::new(Cell::new(0));
    let last_buffered = Rc::new(Cell::new(0));
    let lost: Rc<RefCell<Option<Failure>>> = Rc::default();
    let (mb, lb, l) = (max_buffered.clone(), last_buffered.clone(), lost.clone());
    let port = util::listen(&reactor, move |_peer| {
        Some(MeteredEcho {
            max_buffered: mb.clone(),
            last_buffered: lb.clone(),
            lost: l.clone(),
        })
    });
    let (server_checked, checked) = mpsc::channel::<()>();
    let stopped_writing = Arc::new(AtomicBool::new(false));
    let sw = stopped_writing.clone();
    let client = util::client(port.get_host(), move |mut s| {
        s.set_write_timeout(Some(Duration::from_secs(1))).unwrap();
        let chunk = vec![7u8; 64 * 1024];
        let mut written = 0;
        let outcome = loop {
            if written >= CAP {
                break Ok(false);
            }
            match s.write(&chunk) {
                Ok(n) => written += n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break Ok(true)
                }
                Err(e) => break Err(e),
            }
        };
        sw.store(true, Ordering::SeqCst);
        let _ = checked.recv_timeout(util::IO_TIMEOUT);
        (written, outcome)
    });
    let seen: Rc<Cell<Option<(usize, bool)>>> = Rc::default();
    let (sn, lb, l) = (seen.clone(), last_buffered.clone(), lost.clone());
    util::run_until(&reactor, move || {
        if stopped_writing.load(Ordering::SeqCst) {
            sn.set(Some((lb.get(), l.borrow().is_some())));
        }
        sn.get().is_some()
    });
    let (buffered_while_blocked, lost_while_blocked) =
        seen.get().expect("checked when the client blocked");
    let _ = server_checked.send(());
    let (written, outcome) = client.join();
    let blocked = outcome.expect("the client's writes fail only by blocking");
    assert!(
        blocked,
        "the client wrote {written} bytes and never blocked: the server kept reading"
    );
    assert!(
        !lost_while_blocked,
        "the server connection was closed: {:?}",
        lost.borrow()
    );
    assert!(
        buffered_while_blocked > 0,
        "the server holds unsent echo data while it stops reading"
    );
    assert!(
        max_buffered.get() < 8 * 1024 * 1024,
        "the server's write buffer grew to {} bytes",
        max_buffered.get()
    );
}

/// Writes a chunk every millisecond, ignoring backpressure, until its connection aborts.
struct Flooder {
    record: Rc<Record>,
}

impl Flooder {
    fn flood(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(vec![1u8; 256 * 1024]);
        cx.call_later(Duration::from_millis(1), Self::flood);
    }
}

impl Protocol for Flooder {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().set_write_buffer_limit(1024 * 1024);
        self.flood(cx);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record
            .push(format!("connection_lost:{}", reason.type_name()));
        self.record.push_reason(reason);
    }
}

#[test]
fn passing_the_write_buffer_hard_limit_aborts_with_write_buffer_overflow() {
    let reactor = util::reactor();
    let record = Record::new();
    let rec = record.clone();
    let port = util::listen(&reactor, move |_peer| {
        Some(Flooder {
            record: rec.clone(),
        })
    });
    let addr = port.get_host();
    let (release, released) = mpsc::channel::<()>();
    let client = util::thread(move || {
        let s = util::connect_std(addr);
        let _ = released.recv_timeout(util::IO_TIMEOUT);
        drop(s);
    });
    let rec = record.clone();
    util::run_until(&reactor, move || !rec.events().is_empty());
    let _ = release.send(());
    client.join();
    assert_eq!(record.events(), ["connection_lost:WriteBufferOverflow"]);
    let reason = record.last_reason();
    assert_eq!(
        reason
            .downcast_ref::<WriteBufferOverflow>()
            .map(|e| e.limit),
        Some(1024 * 1024)
    );
    assert_eq!(
        reason.get_error_message(),
        "Write buffer passed its hard limit of 1048576 bytes: the peer is not reading."
    );
}

/// Starts paused; records what it receives and closes after the first data.
struct StartsPaused {
    record: Rc<Record>,
    transport: Rc<RefCell<Option<Transport>>>,
}

impl Protocol for StartsPaused {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().pause_producing();
        *self.transport.borrow_mut() = Some(cx.transport().clone());
        self.record.push("connection_made");
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.record
            .push(format!("data:{}", String::from_utf8_lossy(data)));
        cx.transport().lose_connection();
    }
}

#[test]
fn pause_producing_holds_data_received_until_resume_producing() {
    let reactor = util::reactor();
    let record = Record::new();
    let slot: Rc<RefCell<Option<Transport>>> = Rc::default();
    let (rec, sl) = (record.clone(), slot.clone());
    let port = util::listen(&reactor, move |_peer| {
        Some(StartsPaused {
            record: rec.clone(),
            transport: sl.clone(),
        })
    });
    let sent = Arc::new(AtomicBool::new(false));
    let s2 = sent.clone();
    let client = util::client(port.get_host(), move |mut s| {
        s.write_all(b"abc").unwrap();
        s2.store(true, Ordering::SeqCst);
        util::read_to_eof(&mut s)
    });
    let (r, rec, done, asked) = (
        reactor.clone(),
        record.clone(),
        client.done_flag(),
        Cell::new(false),
    );
    util::run_until(&reactor, move || {
        if sent.load(Ordering::SeqCst) && !asked.replace(true) {
            let (rec, sl) = (rec.clone(), slot.clone());
            r.call_later(Duration::from_millis(100), move || {
                rec.push("resume_producing");
                sl.borrow().as_ref().expect("connected").resume_producing();
            });
        }
        done.load(Ordering::SeqCst)
    });
    assert!(client.join().is_empty());
    assert_eq!(
        record.events(),
        ["connection_made", "resume_producing", "data:abc"]
    );
}

/// A producer that only records what it is told, and raises a flag when paused.
struct Quiet {
    record: Rc<Record>,
    paused: Arc<AtomicBool>,
}

impl Producer for Quiet {
    fn pause_producing(&mut self) {
        self.record.push("pause_producing");
        self.paused.store(true, Ordering::SeqCst);
    }

    fn resume_producing(&mut self) {
        self.record.push("resume_producing");
    }

    fn stop_producing(&mut self) {
        self.record.push("stop_producing");
    }
}

/// Registers a `Quiet` producer and fills its buffer past the high watermark.
struct Filler {
    record: Rc<Record>,
    paused: Arc<AtomicBool>,
}

impl Protocol for Filler {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let producer = Rc::new(RefCell::new(Quiet {
            record: self.record.clone(),
            paused: self.paused.clone(),
        }));
        cx.transport()
            .register_producer(producer.clone(), true)
            .expect("first producer");
        let again = cx
            .transport()
            .register_producer(producer, true)
            .expect_err("only one producer");
        self.record.push(again.type_name());
        cx.transport().write(vec![0u8; 16 * 1024 * 1024]);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record
            .push(format!("connection_lost:{}", reason.type_name()));
    }
}

#[test]
fn a_registered_producer_is_stopped_when_the_connection_is_lost() {
    let reactor = util::reactor();
    let record = Record::new();
    let paused = Arc::new(AtomicBool::new(false));
    let (rec, p) = (record.clone(), paused.clone());
    let port = util::listen(&reactor, move |_peer| {
        Some(Filler {
            record: rec.clone(),
            paused: p.clone(),
        })
    });
    let addr = port.get_host();
    let client = util::thread(move || {
        let s = util::connect_std_small_rcvbuf(addr);
        let was_paused = wait_for(&paused);
        socket2::SockRef::from(&s)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        was_paused
    });
    let (done, rec) = (client.done_flag(), record.clone());
    util::run_until(&reactor, move || {
        done.load(Ordering::SeqCst)
            && rec
                .events()
                .iter()
                .any(|e| e.starts_with("connection_lost"))
    });
    assert!(
        client.join(),
        "the producer was paused before the peer reset"
    );
    assert_eq!(
        record.events(),
        [
            "ProducerAlreadyRegistered",
            "pause_producing",
            "stop_producing",
            "connection_lost:ConnectionLost"
        ]
    );
}
