//! Timers on the real reactor: `call_later` order, cancel, reset and delay, and
//! `LoopingCall`.

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use torsion::error::{AlreadyCalled, AlreadyCancelled};
use torsion::{LoopingCall, ReactorTime};
use util::Record;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn calls_run_by_deadline_then_by_schedule_order_and_cancelled_ones_never() {
    let reactor = util::reactor();
    let record = Record::new();
    let at = |delay: u64, name: &'static str| {
        let rec = record.clone();
        reactor.call_later(ms(delay), move || rec.push(name))
    };
    at(30, "b");
    let a = at(10, "a");
    at(30, "c");
    let x = at(20, "x");
    at(0, "d");
    assert!(x.active());
    x.cancel().expect("cancel a pending call");
    assert!(!x.active());
    assert!(x.cancel().unwrap_err().check::<AlreadyCancelled>());
    let r = reactor.clone();
    reactor.call_later(ms(60), move || r.stop());
    assert!(
        record.events().is_empty(),
        "call_later never runs the call inside itself"
    );
    util::run(&reactor);
    assert_eq!(record.events(), ["d", "a", "b", "c"]);
    assert!(!a.active());
    assert!(a.cancel().unwrap_err().check::<AlreadyCalled>());
    assert!(a.reset(ms(1)).unwrap_err().check::<AlreadyCalled>());
}

#[test]
fn reset_and_delay_move_a_pending_call() {
    let reactor = util::reactor();
    let record = Record::new();
    let rec = record.clone();
    let sooner = reactor.call_later(Duration::from_secs(5), move || rec.push("sooner"));
    let rec = record.clone();
    let later = reactor.call_later(ms(10), move || rec.push("later"));
    sooner.reset(ms(20)).unwrap();
    later.delay(Duration::from_secs(5)).unwrap();
    assert!(later.get_time() - sooner.get_time() > 4.0);
    let (rec, r) = (record.clone(), reactor.clone());
    reactor.call_later(ms(80), move || {
        rec.push("stop");
        r.stop();
    });
    util::run(&reactor);
    assert_eq!(record.events(), ["sooner", "stop"]);
    assert!(later.active(), "the delayed call is still pending");
    later.cancel().unwrap();
}

#[test]
fn a_panicking_call_does_not_stop_the_reactor() {
    let reactor = util::reactor();
    let record = Record::new();
    reactor.call_later(ms(1), || panic!("a timer panics"));
    let (rec, r) = (record.clone(), reactor.clone());
    reactor.call_later(ms(5), move || {
        rec.push("after the panic");
        r.stop();
    });
    util::run(&reactor);
    assert_eq!(record.events(), ["after the panic"]);
}

#[test]
fn a_call_scheduled_from_a_call_runs_on_a_later_pass() {
    let reactor = util::reactor();
    let record = Record::new();
    let (rec, r) = (record.clone(), reactor.clone());
    reactor.call_later(Duration::ZERO, move || {
        rec.push("outer start");
        let (rec2, r2) = (rec.clone(), r.clone());
        r.call_later(Duration::ZERO, move || {
            rec2.push("inner");
            r2.stop();
        });
        rec.push("outer end");
    });
    util::run(&reactor);
    assert_eq!(record.events(), ["outer start", "outer end", "inner"]);
}

#[test]
fn a_looping_call_runs_on_the_real_reactor_until_stopped() {
    let reactor = util::reactor();
    let count = Rc::new(Cell::new(0));
    let slot: Rc<Cell<Option<LoopingCall>>> = Rc::default();
    let (c, s, r) = (count.clone(), slot.clone(), reactor.clone());
    let lc = LoopingCall::new(&reactor, move || {
        c.set(c.get() + 1);
        if c.get() == 5 {
            if let Some(lc) = s.take() {
                lc.stop();
            }
            let r2 = r.clone();
            r.call_later(ms(30), move || r2.stop());
        }
    });
    slot.set(Some(lc.clone()));
    lc.start(ms(5), true);
    assert_eq!(count.get(), 1, "start with now=true calls at once");
    assert!(lc.running());
    util::run(&reactor);
    assert_eq!(count.get(), 5, "no call after stop");
    assert!(!lc.running());
}

#[test]
fn a_looping_call_counts_the_intervals_it_missed() {
    let reactor = util::reactor();
    let counts = Rc::new(std::cell::RefCell::new(Vec::new()));
    let (c, r) = (counts.clone(), reactor.clone());
    let lc = LoopingCall::with_count(&reactor, move |n| {
        c.borrow_mut().push(n);
        if c.borrow().len() == 3 {
            r.stop();
        }
    });
    lc.start(ms(5), false);
    reactor.call_when_running(|| std::thread::sleep(ms(30)));
    util::run(&reactor);
    lc.stop();
    let counts = counts.borrow();
    assert!(
        counts[0] >= 5,
        "the first call after a 30 ms stall counts the missed intervals: {counts:?}"
    );
    assert!(counts.iter().sum::<u64>() >= 7, "{counts:?}");
}

#[test]
fn a_kept_handle_keeps_its_call_for_the_next_run() {
    let reactor = util::reactor();
    let fired = std::rc::Rc::new(std::cell::Cell::new(false));
    let f = fired.clone();
    let kept = reactor.call_later(Duration::from_millis(20), move || f.set(true));
    let r = reactor.clone();
    reactor.call_later(Duration::ZERO, move || r.stop());
    reactor.run().unwrap();
    assert!(kept.active(), "still pending after the first run");
    assert_eq!(reactor.get_delayed_calls().len(), 1);
    let r = reactor.clone();
    reactor.call_later(Duration::from_millis(60), move || r.stop());
    reactor.run().unwrap();
    assert!(fired.get(), "ran on the second run");
}
