//! Misbehaving clients cannot stall or crash the reactor: peers that reset mid-write,
//! half-close, never read, or vanish at once, against an echo server and a broadcast room,
//! all at the same time. Afterwards every connection has been closed exactly once and a
//! well-behaved client is still served.

mod util;

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::rc::Rc;
use std::time::Duration;

use torsion::{Cx, Failure, Protocol, Transport};

/// Counts protocols made and lost, so the test can check each was closed once.
#[derive(Default)]
struct Tally {
    made: Cell<usize>,
    lost: Cell<usize>,
    unexpected: RefCell<Vec<String>>,
}

impl Tally {
    fn lost(&self, reason: &Failure) {
        self.lost.set(self.lost.get() + 1);
        let expected = reason.check::<torsion::error::ConnectionDone>()
            || reason.check::<torsion::error::ConnectionLost>()
            || reason.check::<torsion::error::WriteBufferOverflow>();
        if !expected {
            self.unexpected.borrow_mut().push(reason.to_string());
        }
    }
}

struct Echo {
    tally: Rc<Tally>,
}

impl Protocol for Echo {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.tally.made.set(self.tally.made.get() + 1);
        cx.transport().set_write_buffer_limit(8 * 1024 * 1024);
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.tally.lost(reason);
    }
}

/// A broadcast room: every message goes to every other member.
struct Member {
    tally: Rc<Tally>,
    room: Rc<RefCell<Vec<Transport>>>,
}

impl Protocol for Member {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.tally.made.set(self.tally.made.get() + 1);
        self.room.borrow_mut().push(cx.transport().clone());
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        for member in self.room.borrow().iter().filter(|t| !t.is(cx.transport())) {
            member.write(data);
        }
    }

    fn connection_lost(&mut self, cx: &mut Cx<Self>, reason: &Failure) {
        self.room.borrow_mut().retain(|t| !t.is(cx.transport()));
        self.tally.lost(reason);
    }
}

/// A small deterministic generator, so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

fn reset(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
}

/// One client doing one of several kinds of mischief (or, now and then, behaving).
fn misbehave(echo: SocketAddr, room: SocketAddr, rng: &mut XorShift) {
    let size = 1 + rng.below(256 * 1024);
    let payload = util::pattern(size);
    match rng.below(7) {
        0 => {
            // Small enough for the kernel's buffers to hold the echo while it writes.
            let polite = &payload[..size.min(32 * 1024)];
            let mut s = util::connect_std(echo);
            s.write_all(polite).unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            assert_eq!(
                util::read_to_eof(&mut s),
                polite,
                "a polite client is echoed in full"
            );
        }
        1 => {
            let s = util::connect_std(echo);
            let _ = (&s).write_all(&payload);
            reset(&s);
        }
        2 => {
            // Writes and never reads: the server stops reading once its buffer is full.
            let s = util::connect_std(echo);
            s.set_write_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let _ = (&s).write_all(&util::pattern(4 * 1024 * 1024));
        }
        3 => {
            let mut s = util::connect_std(echo);
            s.shutdown(Shutdown::Write).unwrap();
            assert!(util::read_to_eof(&mut s).is_empty());
        }
        4 => drop(util::connect_std(echo)),
        5 => {
            let mut members: Vec<TcpStream> = (0..3).map(|_| util::connect_std(room)).collect();
            for _ in 0..20 {
                let _ = members[0].write_all(&payload[..size.min(4096)]);
            }
            reset(&members[1]);
            members.clear();
        }
        _ => {
            let mut s = util::connect_std(room);
            let _ = s.write_all(b"hello room");
            let mut byte = [0u8; 1];
            s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            let _ = s.read(&mut byte);
        }
    }
}

#[test]
fn misbehaving_clients_cannot_stall_or_crash_the_reactor() {
    let reactor = util::reactor();
    let tally = Rc::new(Tally::default());
    let t = tally.clone();
    let echo = util::listen(&reactor, move |_peer| Some(Echo { tally: t.clone() })).get_host();
    let (t, room) = (tally.clone(), Rc::new(RefCell::new(Vec::new())));
    let room_addr = util::listen(&reactor, move |_peer| {
        Some(Member {
            tally: t.clone(),
            room: room.clone(),
        })
    })
    .get_host();

    let clients = util::thread(move || {
        let workers: Vec<_> = (0..4u64)
            .map(|seed| {
                std::thread::spawn(move || {
                    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ (seed + 1));
                    for _ in 0..40 {
                        misbehave(echo, room_addr, &mut rng);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a client thread failed");
        }
        let mut polite = util::connect_std(echo);
        polite.write_all(b"still there?").unwrap();
        assert_eq!(util::read_exact(&mut polite, 12), b"still there?");
    });
    let (done, r, t) = (clients.done_flag(), reactor.clone(), tally.clone());
    util::run_until(&reactor, move || {
        done.load(std::sync::atomic::Ordering::SeqCst)
            && r.connection_count() == 0
            && t.made.get() == t.lost.get()
    });
    clients.join();
    assert!(
        tally.made.get() >= 160,
        "made {} connections",
        tally.made.get()
    );
    assert_eq!(
        tally.made.get(),
        tally.lost.get(),
        "every connection was closed exactly once"
    );
    assert!(
        tally.unexpected.borrow().is_empty(),
        "unexpected reasons: {:?}",
        tally.unexpected.borrow()
    );
}
