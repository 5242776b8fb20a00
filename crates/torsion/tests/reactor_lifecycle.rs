//! The reactor's life: starting, stopping, running again, system event triggers, and
//! calls from other threads.

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use torsion::error::ReactorAlreadyRunning;
use torsion::{Phase, Reactor, ReactorTime, SystemEvent, Transport};
use util::{Record, Recorder, RecordingClientFactory};

#[test]
fn call_when_running_waits_for_run_and_then_runs_at_once() {
    let reactor = util::reactor();
    let record = Record::new();
    let (rec, r) = (record.clone(), reactor.clone());
    reactor.call_when_running(move || {
        rec.push(format!("first running={}", r.running()));
        let rec2 = rec.clone();
        r.call_when_running(move || rec2.push("nested"));
        rec.push("first done");
        r.stop();
    });
    assert!(record.events().is_empty(), "nothing runs before run()");
    assert!(!reactor.running());
    util::run(&reactor);
    assert!(!reactor.running());
    assert_eq!(
        record.events(),
        ["first running=true", "nested", "first done"]
    );
}

#[test]
fn stop_from_a_timer_and_run_again() {
    let reactor = util::reactor();
    reactor.stop();
    let record = Record::new();
    for round in 1..=2 {
        let rec = record.clone();
        reactor.call_when_running(move || rec.push(format!("running {round}")));
        let (rec, r) = (record.clone(), reactor.clone());
        reactor.call_later(Duration::from_millis(10), move || {
            rec.push(format!("stopping {round}"));
            r.stop();
        });
        util::run(&reactor);
        record.push(format!("returned {round}"));
    }
    assert_eq!(
        record.events(),
        [
            "running 1",
            "stopping 1",
            "returned 1",
            "running 2",
            "stopping 2",
            "returned 2"
        ]
    );
}

#[test]
fn run_while_running_is_reactor_already_running() {
    let reactor = util::reactor();
    let outcome: Rc<RefCell<Option<String>>> = Rc::default();
    let (o, r) = (outcome.clone(), reactor.clone());
    reactor.call_when_running(move || {
        let err = r.run().expect_err("a nested run must fail");
        assert!(err.check::<ReactorAlreadyRunning>());
        *o.borrow_mut() = Some(err.get_error_message());
        assert!(
            r.running(),
            "the failed nested run leaves the reactor running"
        );
        r.stop();
    });
    util::run(&reactor);
    assert_eq!(
        outcome.borrow().as_deref(),
        Some("The reactor is already running.")
    );
}

/// Keeps the server transport of the (single) connection it serves.
struct Holder {
    inner: Recorder,
    slot: Rc<RefCell<Option<Transport>>>,
}

impl torsion::Protocol for Holder {
    fn connection_made(&mut self, cx: &mut torsion::Cx<Self>) {
        *self.slot.borrow_mut() = Some(cx.transport().clone());
        self.inner.record.push("server connection_made");
    }

    fn connection_lost(&mut self, _cx: &mut torsion::Cx<Self>, reason: &torsion::Failure) {
        self.inner
            .record
            .push(format!("server connection_lost:{}", reason.type_name()));
    }
}

#[test]
fn system_event_triggers_run_in_phase_order_around_shutdown() {
    let reactor = util::reactor();
    let record = Record::new();
    let trigger = |phase: Phase, event: SystemEvent, name: &'static str| {
        let rec = record.clone();
        reactor.add_system_event_trigger(phase, event, move || rec.push(name))
    };
    trigger(Phase::After, SystemEvent::Startup, "startup after");
    trigger(Phase::Before, SystemEvent::Startup, "startup before 1");
    trigger(Phase::During, SystemEvent::Startup, "startup during");
    trigger(Phase::Before, SystemEvent::Startup, "startup before 2");
    let removed = trigger(Phase::Before, SystemEvent::Startup, "removed");
    assert!(reactor.remove_system_event_trigger(removed));
    assert!(!reactor.remove_system_event_trigger(removed));
    trigger(Phase::After, SystemEvent::Shutdown, "shutdown after");
    trigger(Phase::During, SystemEvent::Shutdown, "shutdown during");

    let slot: Rc<RefCell<Option<Transport>>> = Rc::default();
    let (rec, sl) = (record.clone(), slot.clone());
    reactor.add_system_event_trigger(Phase::Before, SystemEvent::Shutdown, move || {
        let connected = sl.borrow().as_ref().is_some_and(Transport::connected);
        rec.push(format!("shutdown before: connected={connected}"));
    });

    let (rec, sl) = (record.clone(), slot.clone());
    let port = util::listen(&reactor, move |_peer| {
        Some(Holder {
            inner: Recorder::new(&rec),
            slot: sl.clone(),
        })
    });
    let client_record = Record::new();
    let factory = RecordingClientFactory {
        record: client_record.clone(),
        greeting: Vec::new(),
        stop_when_done: None,
    };
    reactor.connect_tcp("127.0.0.1", port.get_host().port(), factory);
    let (rec, crec, r) = (record.clone(), client_record.clone(), reactor.clone());
    util::run_until(&reactor, move || {
        let ready = rec.has("server connection_made") && crec.has("connection_made");
        if ready {
            rec.push("stop");
            r.stop();
        }
        ready
    });
    assert_eq!(
        record.events(),
        [
            "startup before 1",
            "startup before 2",
            "startup during",
            "startup after",
            "server connection_made",
            "stop",
            "shutdown before: connected=true",
            "server connection_lost:ConnectionLost",
            "shutdown during",
            "shutdown after",
        ]
    );
    assert_eq!(
        client_record.events(),
        [
            "do_start",
            "started_connecting",
            "build_protocol",
            "connection_made",
            "connection_lost:ConnectionLost",
            "client_connection_lost:ConnectionLost",
            "do_stop",
        ]
    );
    assert!(!slot.borrow().as_ref().expect("kept").connected());
}

thread_local! {
    /// The reactor of the test running on this thread, for calls made from other threads.
    static CURRENT: RefCell<Option<Reactor>> = const { RefCell::new(None) };
}

#[test]
fn call_from_thread_runs_on_the_reactor_thread_in_order() {
    let reactor = util::reactor();
    CURRENT.with(|c| *c.borrow_mut() = Some(reactor.clone()));
    let reactor_thread = std::thread::current().id();
    let seen: Arc<Mutex<Vec<(u32, std::thread::ThreadId)>>> = Arc::default();
    let handle = reactor.thread_handle();
    let s = seen.clone();
    let worker = util::thread(move || {
        for i in 0..3 {
            let s = s.clone();
            handle
                .call_from_thread(move || s.lock().unwrap().push((i, std::thread::current().id())));
            if i == 1 {
                handle.call_from_thread(|| panic!("a panicking call from a thread"));
            }
        }
        handle.call_from_thread(|| CURRENT.with(|c| c.borrow().as_ref().expect("set").stop()));
    });
    util::run(&reactor);
    CURRENT.with(|c| c.borrow_mut().take());
    worker.join();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1, 2]);
    assert!(
        seen.iter().all(|(_, t)| *t == reactor_thread),
        "every call ran on the reactor's thread"
    );
}

#[test]
fn call_from_thread_wakes_an_idle_reactor() {
    let reactor = util::reactor();
    CURRENT.with(|c| *c.borrow_mut() = Some(reactor.clone()));
    let handle = reactor.thread_handle();
    let started = Arc::new(std::sync::Barrier::new(2));
    let b = started.clone();
    reactor.call_when_running(move || {
        b.wait();
    });
    let worker = util::thread(move || {
        started.wait();
        handle.call_from_thread(|| CURRENT.with(|c| c.borrow().as_ref().expect("set").stop()));
    });
    util::run(&reactor);
    CURRENT.with(|c| c.borrow_mut().take());
    worker.join();
    assert!(!reactor.running());
}

#[test]
fn seconds_is_wall_clock_time() {
    let reactor = util::reactor();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        (reactor.seconds() - wall).abs() < 60.0,
        "{} vs {wall}",
        reactor.seconds()
    );
}
