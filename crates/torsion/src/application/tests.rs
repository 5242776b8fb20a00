//! Unit tests of the service tree and the timer service, on a fake clock.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use super::{Application, MultiService, Service, TimerService};
use crate::defer::Deferred;
use crate::testing::Clock;

type Log = Rc<RefCell<Vec<String>>>;

/// A service that records its starts and stops in a shared log; its stop Deferred is
/// one the test fires by hand when `slow`.
struct Recorder {
    label: &'static str,
    log: Log,
    running: Cell<bool>,
    slow_stop: Option<Deferred<()>>,
}

impl Recorder {
    fn new(label: &'static str, log: &Log) -> Recorder {
        Recorder {
            label,
            log: log.clone(),
            running: Cell::new(false),
            slow_stop: None,
        }
    }

    fn slow(mut self, stop: &Deferred<()>) -> Recorder {
        self.slow_stop = Some(stop.clone());
        self
    }
}

impl Service for Recorder {
    fn start_service(&self) {
        self.running.set(true);
        self.log.borrow_mut().push(format!("start {}", self.label));
    }

    fn stop_service(&self) -> Deferred<()> {
        self.running.set(false);
        self.log.borrow_mut().push(format!("stop {}", self.label));
        self.slow_stop
            .clone()
            .unwrap_or_else(|| Deferred::succeed(()))
    }

    fn running(&self) -> bool {
        self.running.get()
    }
}

fn entries(log: &Log) -> Vec<String> {
    log.borrow().clone()
}

#[test]
fn starts_in_order_added_and_stops_in_reverse() {
    let log = Log::default();
    let parent = MultiService::new();
    for label in ["a", "b", "c"] {
        parent
            .add_service(Recorder::new(label, &log).named(label))
            .unwrap();
    }
    parent.start_service();
    parent.start_service();
    assert!(parent.stop_service().called());
    assert_eq!(
        entries(&log),
        ["start a", "start b", "start c", "stop c", "stop b", "stop a"]
    );
    assert!(!parent.running());
    assert!(!parent.get_service_named("a").unwrap().running());
}

#[test]
fn stop_waits_for_every_child() {
    let log = Log::default();
    let (slow_a, slow_c) = (Deferred::new(), Deferred::new());
    let parent = MultiService::new();
    parent
        .add_service(Recorder::new("a", &log).slow(&slow_a))
        .unwrap();
    parent.add_service(Recorder::new("b", &log)).unwrap();
    parent
        .add_service(Recorder::new("c", &log).slow(&slow_c))
        .unwrap();
    parent.start_service();
    let stopped = parent.stop_service();
    assert_eq!(entries(&log)[3..], ["stop c", "stop b", "stop a"]);
    assert!(!stopped.called());
    slow_c.callback(()).unwrap();
    assert!(!stopped.called());
    slow_a.callback(()).unwrap();
    assert_eq!(stopped.take_result().unwrap().ok(), Some(()));
}

#[test]
fn a_child_failing_to_stop_does_not_fail_the_parent() {
    let log = Log::default();
    let slow = Deferred::new();
    let parent = MultiService::new();
    parent
        .add_service(Recorder::new("a", &log).slow(&slow))
        .unwrap();
    parent.start_service();
    let stopped = parent.stop_service();
    slow.errback(crate::Failure::new(crate::error::CancelledError))
        .unwrap();
    assert_eq!(stopped.take_result().unwrap().ok(), Some(()));
}

#[test]
fn a_child_added_to_a_running_parent_starts() {
    let log = Log::default();
    let parent = MultiService::new();
    parent.add_service(Recorder::new("early", &log)).unwrap();
    assert!(entries(&log).is_empty());
    parent.start_service();
    parent.add_service(Recorder::new("late", &log)).unwrap();
    assert_eq!(entries(&log), ["start early", "start late"]);
}

#[test]
fn a_duplicate_name_is_refused_and_nothing_is_added() {
    let log = Log::default();
    let parent = MultiService::new();
    parent
        .add_service(Recorder::new("first", &log).named("x"))
        .unwrap();
    let err = parent
        .add_service(Recorder::new("second", &log).named("x"))
        .unwrap_err();
    assert_eq!(err.name(), "x");
    assert_eq!(parent.len(), 1);
    parent.start_service();
    assert_eq!(entries(&log), ["start first"]);
}

#[test]
fn removing_a_running_child_stops_it_and_gives_its_deferred() {
    let log = Log::default();
    let slow = Deferred::new();
    let parent = MultiService::new();
    parent
        .add_service(Recorder::new("a", &log).slow(&slow).named("a"))
        .unwrap();
    assert!(parent.remove_service("missing").is_none());
    parent.start_service();
    let removed = parent.remove_service("a").unwrap();
    assert!(!removed.called());
    slow.callback(()).unwrap();
    assert!(removed.called());
    assert!(parent.get_service_named("a").is_none());
    assert!(parent.stop_service().called());
    assert_eq!(entries(&log), ["start a", "stop a"]);
}

#[test]
fn nested_multi_services_start_depth_first() {
    let log = Log::default();
    let app = Application::new("app");
    let inner = MultiService::new();
    inner.add_service(Recorder::new("inner", &log)).unwrap();
    app.add_service(Recorder::new("first", &log)).unwrap();
    app.add_service(inner.named("group")).unwrap();
    app.add_service(Recorder::new("last", &log)).unwrap();
    app.start_service();
    app.stop_service();
    assert_eq!(
        entries(&log),
        [
            "start first",
            "start inner",
            "start last",
            "stop last",
            "stop inner",
            "stop first"
        ]
    );
}

#[test]
fn timer_service_ticks_on_the_clock_until_stopped() {
    let clock = Clock::new();
    let ticks = Rc::new(Cell::new(0));
    let t = ticks.clone();
    let timer = TimerService::new(&clock, Duration::from_secs(2), move || t.set(t.get() + 1));
    clock.advance(Duration::from_secs(10));
    assert_eq!(ticks.get(), 0, "nothing before start");
    timer.start_service();
    assert_eq!(ticks.get(), 1, "first call inside start");
    for expected in 2..=4 {
        clock.advance(Duration::from_secs(2));
        assert_eq!(ticks.get(), expected);
    }
    let stopped = timer.stop_service();
    assert_eq!(stopped.take_result().unwrap().ok(), Some(()));
    assert!(!timer.running());
    clock.advance(Duration::from_secs(20));
    assert_eq!(ticks.get(), 4);
}

#[test]
fn a_panicking_timer_stops_ticking_but_the_parent_still_stops() {
    let clock = Clock::new();
    let parent = MultiService::new();
    let timer = TimerService::new(&clock, Duration::from_secs(1), || panic!("tick failed"));
    parent.add_service(timer.clone()).unwrap();
    parent.start_service();
    clock.advance(Duration::from_secs(5));
    assert!(timer.running());
    assert!(parent.stop_service().called());
    assert!(!timer.running());
}

/// A service whose start and stop panic.
struct Panicky;

impl Service for Panicky {
    fn start_service(&self) {
        panic!("cannot start");
    }

    fn stop_service(&self) -> Deferred<()> {
        panic!("cannot stop");
    }

    fn running(&self) -> bool {
        false
    }
}

#[test]
fn a_panicking_child_does_not_stop_its_siblings() {
    let log = Log::default();
    let parent = MultiService::new();
    parent.add_service(Recorder::new("a", &log)).unwrap();
    parent.add_service(Panicky.named("bad")).unwrap();
    parent.add_service(Recorder::new("c", &log)).unwrap();
    parent.start_service();
    let stopped = parent.stop_service();
    assert_eq!(stopped.take_result().unwrap().ok(), Some(()));
    assert_eq!(entries(&log), ["start a", "start c", "stop c", "stop a"]);
}

#[test]
fn removing_a_child_that_panics_in_stop_gives_a_failed_deferred() {
    let parent = MultiService::new();
    parent.start_service();
    parent.add_service(Panicky.named("bad")).unwrap();
    let failure = parent
        .remove_service("bad")
        .unwrap()
        .take_result()
        .unwrap()
        .unwrap_err();
    assert!(failure.to_string().contains("cannot stop"), "{failure}");
}
