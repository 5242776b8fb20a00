//! Per-connection timers (`Cx::call_later`) on the real reactor: they call back into the
//! protocol with `&mut self`, and die with the connection.

mod util;

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::Duration;

use torsion::error::AlreadyCancelled;
use torsion::{Cx, DelayedCall, Failure, Protocol};
use util::Record;

/// Writes `tick N;` every few milliseconds from its own timer, three times, then closes.
struct Ticker {
    ticks: u32,
}

impl Ticker {
    fn tick(&mut self, cx: &mut Cx<Self>) {
        self.ticks += 1;
        cx.transport().write(format!("tick{};", self.ticks));
        if self.ticks == 3 {
            cx.transport().lose_connection();
        } else {
            cx.call_later(Duration::from_millis(5), Self::tick);
        }
    }
}

impl Protocol for Ticker {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.call_later(Duration::from_millis(5), Self::tick);
    }
}

#[test]
fn a_connection_timer_calls_back_into_the_protocol() {
    let reactor = util::reactor();
    let port = util::listen(&reactor, |_peer| Some(Ticker { ticks: 0 }));
    let client = util::client(port.get_host(), |mut s| util::read_to_eof(&mut s));
    util::run_until_finished(&reactor, &client);
    assert_eq!(client.join(), b"tick1;tick2;tick3;");
}

/// Schedules a timer it never lets fire: the connection closes first.
struct Doomed {
    record: Rc<Record>,
    calls: Rc<RefCell<Vec<DelayedCall>>>,
}

impl Doomed {
    fn fire(&mut self, _cx: &mut Cx<Self>) {
        self.record.push("timer fired");
    }
}

impl Protocol for Doomed {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let call = cx.call_later(Duration::from_millis(100), Self::fire);
        self.calls.borrow_mut().push(call);
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, _data: &[u8]) {
        let call = cx.call_later(Duration::from_millis(50), Self::fire);
        self.calls.borrow_mut().push(call);
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, cx: &mut Cx<Self>, _reason: &Failure) {
        self.record.push("connection_lost");
        let call = cx.call_later(Duration::ZERO, Self::fire);
        self.calls.borrow_mut().push(call);
    }
}

#[test]
fn timers_pending_at_close_never_fire() {
    let reactor = util::reactor();
    let record = Record::new();
    let calls: Rc<RefCell<Vec<DelayedCall>>> = Rc::default();
    let (rec, c) = (record.clone(), calls.clone());
    let port = util::listen(&reactor, move |_peer| {
        Some(Doomed {
            record: rec.clone(),
            calls: c.clone(),
        })
    });
    let client = util::client(port.get_host(), |mut s| {
        s.write_all(b"close").unwrap();
        util::read_to_eof(&mut s)
    });
    let rec = record.clone();
    util::run_until(&reactor, move || rec.has("connection_lost"));
    client.join();
    util::run_span(&reactor, Duration::from_millis(250));
    assert_eq!(
        record.events(),
        ["connection_lost"],
        "no timer fired after connection_lost"
    );
    let calls = calls.borrow();
    assert_eq!(calls.len(), 3);
    for call in calls.iter() {
        assert!(!call.active());
        assert!(call.cancel().unwrap_err().check::<AlreadyCancelled>());
    }
}
