//! A panic in a protocol callback closes only that connection: its `connection_lost` gets
//! a `CallbackPanicked` reason and everything else goes on.

mod util;

use std::cell::Cell;
use std::io::Write;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use torsion::error::CallbackPanicked;
use torsion::{Cx, Failure, Protocol};
use util::Record;

#[derive(Clone, Copy, PartialEq)]
enum PanicIn {
    Nothing,
    ConnectionMade,
    DataReceived,
    Timer,
}

/// An echo protocol that panics where it is told to (`data_received` panics on `boom`).
struct Fragile {
    id: u32,
    panic_in: PanicIn,
    record: Rc<Record>,
}

impl Fragile {
    fn explode(&mut self, _cx: &mut Cx<Self>) {
        panic!("boom in a timer");
    }
}

impl Protocol for Fragile {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        match self.panic_in {
            PanicIn::ConnectionMade => panic!("boom in connection_made"),
            PanicIn::Timer => {
                cx.call_later(Duration::from_millis(5), Self::explode);
            }
            _ => {}
        }
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        if self.panic_in == PanicIn::DataReceived && data == b"boom" {
            panic!("boom in data_received");
        }
        cx.transport().write(data);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        let detail = match reason.downcast_ref::<CallbackPanicked>() {
            Some(p) => format!("{}: {}", p.callback, p.message),
            None => reason.type_name().to_string(),
        };
        self.record.push(format!("{} lost: {detail}", self.id));
        self.record.push_reason(reason);
    }
}

/// Serves `Fragile` protocols; the first connection panics in `panic_in`.
fn fragile_server(reactor: &torsion::Reactor, panic_in: PanicIn) -> (SocketAddr, Rc<Record>) {
    let record = Record::new();
    let (rec, next) = (record.clone(), Cell::new(0));
    let port = util::listen(reactor, move |_peer| {
        next.set(next.get() + 1);
        let id = next.get();
        Some(Fragile {
            id,
            panic_in: if id == 1 { panic_in } else { PanicIn::Nothing },
            record: rec.clone(),
        })
    });
    (port.get_host(), record)
}

/// Echo through `s`: what comes back for `msg`.
fn echo(s: &mut std::net::TcpStream, msg: &[u8]) -> Vec<u8> {
    s.write_all(msg).unwrap();
    util::read_exact(s, msg.len())
}

/// Runs the scenario every panic test shares: connection 1 is opened (and made to panic
/// by `trigger`), connection 2 echoes before and after, connection 3 opens afterwards.
fn check_panic_stays_local(panic_in: PanicIn, trigger: &'static [u8], expected: &'static str) {
    let reactor = util::reactor();
    let (addr, record) = fragile_server(&reactor, panic_in);
    let client = util::thread(move || {
        let mut first = util::connect_std(addr);
        let mut second = util::connect_std(addr);
        assert_eq!(echo(&mut second, b"before"), b"before");
        if !trigger.is_empty() {
            first.write_all(trigger).unwrap();
        }
        let (data, err) = util::read_all(&mut first);
        assert!(data.is_empty(), "the panicking connection sent {data:?}");
        assert!(
            matches!(
                err.as_ref().map(|e| e.kind()),
                None | Some(std::io::ErrorKind::ConnectionReset)
            ),
            "the panicking connection is closed: {err:?}"
        );
        assert_eq!(echo(&mut second, b"after"), b"after");
        let mut third = util::connect_std(addr);
        assert_eq!(echo(&mut third, b"new"), b"new");
    });
    let (done, rec) = (client.done_flag(), record.clone());
    util::run_until(&reactor, move || {
        done.load(std::sync::atomic::Ordering::SeqCst) && rec.has(expected)
    });
    client.join();
    let events = record.events();
    assert_eq!(
        events[0], expected,
        "the panicking connection was closed first: {events:?}"
    );
    assert!(
        events[1..]
            .iter()
            .all(|e| e.ends_with("lost: ConnectionDone") && !e.starts_with("1 ")),
        "the others closed only when the client closed them, and connection 1 once: {events:?}"
    );
}

#[test]
fn a_panic_in_data_received_closes_only_that_connection() {
    check_panic_stays_local(
        PanicIn::DataReceived,
        b"boom",
        "1 lost: data_received: boom in data_received",
    );
}

#[test]
fn a_panic_in_connection_made_closes_only_that_connection() {
    check_panic_stays_local(
        PanicIn::ConnectionMade,
        b"",
        "1 lost: connection_made: boom in connection_made",
    );
}

#[test]
fn a_panic_in_a_connection_timer_closes_only_that_connection() {
    check_panic_stays_local(PanicIn::Timer, b"", "1 lost: call_later: boom in a timer");
}

#[test]
fn the_panic_reason_reads_as_a_sentence() {
    let reactor = util::reactor();
    let (addr, record) = fragile_server(&reactor, PanicIn::DataReceived);
    let client = util::client(addr, |mut s| {
        s.write_all(b"boom").unwrap();
        util::read_all(&mut s)
    });
    let rec = record.clone();
    util::run_until(&reactor, move || !rec.events().is_empty());
    client.join();
    let reason = record.last_reason();
    assert!(reason.check::<CallbackPanicked>());
    assert_eq!(
        reason.get_error_message(),
        "A user callback (data_received) panicked: boom in data_received"
    );
}
