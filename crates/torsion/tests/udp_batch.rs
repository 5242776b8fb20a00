//! Reading datagrams in batches: many per readiness event, a fair share per event, and a
//! flooded port that does not starve a TCP connection on the same reactor.

mod udp_util;
mod util;

use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use torsion::{Address, Cx, DatagramCx, DatagramProtocol, Protocol, ReactorTime, UdpOptions};
use udp_util::{addr_of, peer};
use util::{reactor, run_until};

/// The datagrams read per event before others get their turn (`MAX_DATAGRAMS_PER_EVENT`).
const FAIR_SHARE: usize = 128;

/// Counts datagrams; on the first, schedules a zero-delay call that notes how many had
/// arrived by the time the loop got to its timers (after the event that brought them).
struct Counter {
    count: Rc<Cell<usize>>,
    at_first_timer: Rc<Cell<Option<usize>>>,
}

impl DatagramProtocol for Counter {
    fn datagram_received(&mut self, cx: &mut DatagramCx<Self>, _data: &[u8], _from: Address) {
        self.count.set(self.count.get() + 1);
        if self.count.get() == 1 {
            let (count, note) = (self.count.clone(), self.at_first_timer.clone());
            cx.scheduler()
                .call_later(Duration::ZERO, move || note.set(Some(count.get())));
        }
    }
}

/// A port counting what it hears: its transport, the count, and the count when the loop
/// first ran its timers after the first datagram.
type Counting = (
    torsion::DatagramTransport,
    Rc<Cell<usize>>,
    Rc<Cell<Option<usize>>>,
);

fn counting_port(reactor: &torsion::Reactor) -> Counting {
    let count = Rc::new(Cell::new(0));
    let at_first_timer = Rc::new(Cell::new(None));
    let counter = Counter {
        count: count.clone(),
        at_first_timer: at_first_timer.clone(),
    };
    let options = UdpOptions {
        interface: "127.0.0.1".into(),
        ..UdpOptions::default()
    };
    let port = reactor.listen_udp_with(0, counter, options).unwrap();
    (port, count, at_first_timer)
}

#[test]
fn datagrams_waiting_together_are_read_in_one_event() {
    let reactor = reactor();
    let (port, count, at_first_timer) = counting_port(&reactor);
    let sender = peer("127.0.0.1");
    for i in 0..100u32 {
        sender.send_to(&i.to_be_bytes(), addr_of(&port)).unwrap();
    }
    let c = count.clone();
    run_until(&reactor, move || c.get() == 100);
    assert_eq!(
        at_first_timer.get(),
        Some(100),
        "all read before the loop's timers ran"
    );
}

#[test]
fn a_port_reads_its_fair_share_per_event_and_the_rest_next_pass() {
    let reactor = reactor();
    let (port, count, at_first_timer) = counting_port(&reactor);
    let sender = peer("127.0.0.1");
    for i in 0..200u32 {
        sender.send_to(&i.to_be_bytes(), addr_of(&port)).unwrap();
    }
    let c = count.clone();
    run_until(&reactor, move || c.get() == 200);
    assert_eq!(
        at_first_timer.get(),
        Some(FAIR_SHARE),
        "cut at the fair share"
    );
}

struct TcpEcho;

impl Protocol for TcpEcho {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

struct Sink;

impl DatagramProtocol for Sink {
    fn datagram_received(&mut self, _: &mut DatagramCx<Self>, data: &[u8], _: Address) {
        // Work enough per datagram (100 µs) that the senders outrun the port: its
        // queue never empties, so only the fair share gives the TCP connection a turn.
        let begun = Instant::now();
        while begun.elapsed() < Duration::from_micros(100) {
            std::hint::black_box(data.iter().map(|b| u64::from(*b)).sum::<u64>());
        }
    }
}

#[test]
fn a_flooded_udp_port_does_not_starve_a_tcp_connection() {
    const FLOOD_LIMIT: Duration = Duration::from_secs(30);
    let reactor = reactor();
    let options = UdpOptions {
        interface: "127.0.0.1".into(),
        ..UdpOptions::default()
    };
    let udp = reactor.listen_udp_with(0, Sink, options).unwrap();
    let udp_addr = addr_of(&udp);
    let tcp = util::listen(&reactor, |_peer| Some(TcpEcho));
    let tcp_addr = tcp.get_host();
    let stop_flood = Arc::new(AtomicBool::new(false));
    let flooding = Arc::new(AtomicBool::new(false));
    let (stop, started) = (stop_flood.clone(), flooding.clone());
    // One sender outruns the slow protocol: the port always has datagrams waiting.
    let floods: Vec<_> = (0..1)
        .map(|_| {
            let (stop, started) = (stop.clone(), started.clone());
            util::thread(move || {
                let socket = peer("127.0.0.1");
                socket.set_nonblocking(true).unwrap();
                let begun = Instant::now();
                let payload = [0x55u8; 512];
                while !stop.load(Ordering::SeqCst) && begun.elapsed() < FLOOD_LIMIT {
                    for _ in 0..64 {
                        let _ = socket.send_to(&payload, udp_addr);
                    }
                    started.store(true, Ordering::SeqCst);
                }
                stop.load(Ordering::SeqCst)
            })
        })
        .collect();
    let tcp_client = util::thread(move || {
        while !flooding.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_millis(100)); // the flood is well under way
        let mut stream = util::connect_std(tcp_addr);
        let mut echoed = [0u8; 4];
        for _ in 0..5 {
            stream.write_all(b"ping").unwrap();
            stream.read_exact(&mut echoed).unwrap();
        }
        stop_flood.store(true, Ordering::SeqCst);
        echoed
    });
    let flags: Vec<_> = floods.iter().map(|f| f.done_flag()).collect();
    let tcp_done = tcp_client.done_flag();
    run_until(&reactor, move || {
        tcp_done.load(Ordering::SeqCst) && flags.iter().all(|f| f.load(Ordering::SeqCst))
    });
    assert_eq!(&tcp_client.join(), b"ping");
    for flood in floods {
        assert!(
            flood.join(),
            "the flood ran its whole {FLOOD_LIMIT:?}: the TCP echo was starved meanwhile"
        );
    }
}
