//! The thread pool and the calls between threads and a real reactor, with real threads.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::time::Duration;

use super::{CalledFromReactorThread, ThreadPool, ThreadPoolStopped};
use crate::defer::Deferred;
use crate::error::CallbackPanicked;
use crate::{Failure, Phase, Reactor, ReactorTime, SystemEvent};

fn quiet_reactor() -> Reactor {
    let reactor = Reactor::new().unwrap();
    reactor.set_install_signal_handlers(false);
    reactor
}

/// Stops `reactor` after `guard` if nothing else did, so a broken test fails instead of
/// hanging; returns whether the guard fired.
fn run_guarded(reactor: &Reactor) -> bool {
    let r = reactor.clone();
    let guard = reactor.call_later(Duration::from_secs(30), move || r.stop());
    reactor.run().unwrap();
    !guard.active()
}

fn thread_id() -> libc::pid_t {
    // SAFETY: gettid takes no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as libc::pid_t }
}

fn thread_alive(tid: libc::pid_t) -> bool {
    std::path::Path::new(&format!("/proc/self/task/{tid}")).exists()
}

#[derive(Debug)]
struct Oops;

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("oops")
    }
}

impl std::error::Error for Oops {}

#[test]
fn defer_to_thread_fires_from_the_loop_with_the_value_the_error_or_the_panic() {
    let reactor = quiet_reactor();
    let results = Rc::new(RefCell::new(Vec::new()));
    let loop_thread = std::thread::current().id();
    let record = |d: Deferred<u32>| {
        let (results, r) = (results.clone(), reactor.clone());
        d.add_both(move |outcome| {
            assert_eq!(
                std::thread::current().id(),
                loop_thread,
                "fired from the loop"
            );
            results.borrow_mut().push(outcome);
            if results.borrow().len() == 3 {
                r.stop();
            }
            Ok::<(), Failure>(())
        });
    };
    record(reactor.defer_to_thread(|| Ok::<_, Oops>(6 * 7)));
    record(reactor.defer_to_thread(|| Err::<u32, _>(Oops)));
    record(reactor.defer_to_thread(|| -> Result<u32, Oops> { panic!("worker blew up") }));
    assert!(!run_guarded(&reactor));
    let results = results.borrow();
    let value = results.iter().find_map(|r| r.as_ref().ok().copied());
    assert_eq!(value, Some(42));
    assert!(results
        .iter()
        .any(|r| r.as_ref().is_err_and(|f| f.check::<Oops>())));
    let panicked = results
        .iter()
        .find_map(|r| r.as_ref().err().filter(|f| f.check::<CallbackPanicked>()))
        .expect("the panic became a failure");
    assert!(panicked.get_error_message().contains("worker blew up"));
}

#[test]
fn jobs_run_first_in_first_out() {
    let reactor = quiet_reactor();
    reactor.suggest_thread_pool_size(1);
    let order = Arc::new(Mutex::new(Vec::new()));
    for i in 0..20 {
        let (order, handle) = (order.clone(), reactor.thread_handle());
        reactor
            .call_in_thread(move || {
                order.lock().unwrap().push(i);
                if i == 19 {
                    handle.stop();
                }
            })
            .unwrap();
    }
    assert!(!run_guarded(&reactor));
    assert_eq!(*order.lock().unwrap(), (0..20).collect::<Vec<_>>());
}

#[test]
fn a_burst_runs_on_at_most_the_bound_and_a_higher_bound_starts_more() {
    let pool = ThreadPool::new("torsion-test", 3);
    let started = Arc::new(Barrier::new(4));
    let release = Arc::new(Barrier::new(6));
    let (tx, rx) = mpsc::channel();
    for i in 0..10 {
        let (started, release, tx) = (started.clone(), release.clone(), tx.clone());
        pool.call_in_thread(move || {
            if i < 3 {
                started.wait();
            }
            if i < 5 {
                release.wait();
            }
            tx.send(i).unwrap();
        })
        .unwrap();
    }
    assert_eq!(pool.size(), 3, "ten jobs, three threads");
    started.wait();
    assert_eq!(pool.queued(), 7, "the rest wait");
    // Two more threads take jobs 3 and 4; all five meet at the release.
    pool.set_max_threads(5);
    assert_eq!(pool.size(), 5);
    release.wait();
    let mut done: Vec<i32> = rx.iter().take(10).collect();
    done.sort_unstable();
    assert_eq!(done, (0..10).collect::<Vec<_>>());
    pool.stop();
    assert_eq!(pool.size(), 0);
    let refused = pool.call_in_thread(|| {}).unwrap_err();
    assert!(refused.check::<ThreadPoolStopped>());
}

#[test]
fn suggest_thread_pool_size_bounds_the_reactors_pool() {
    let reactor = quiet_reactor();
    assert_eq!(reactor.thread_pool().max_threads(), 10, "Twisted's default");
    reactor.suggest_thread_pool_size(2);
    let pool = reactor.thread_pool();
    assert_eq!(pool.max_threads(), 2);
    let gate = Arc::new(Barrier::new(3));
    for i in 0..5 {
        let gate = gate.clone();
        reactor
            .call_in_thread(move || {
                if i < 2 {
                    gate.wait();
                }
            })
            .unwrap();
    }
    assert_eq!(pool.size(), 2, "five jobs, two threads");
    gate.wait();
    reactor.suggest_thread_pool_size(4);
    assert_eq!(
        pool.max_threads(),
        4,
        "the suggestion reaches the pool in use"
    );
    pool.stop();
    assert_eq!(pool.size(), 0);
}

#[test]
fn shutdown_runs_the_queued_jobs_delivers_their_results_and_joins_every_thread() {
    let reactor = quiet_reactor();
    reactor.suggest_thread_pool_size(2);
    let tids = Arc::new(Mutex::new(Vec::new()));
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Arc::new(Mutex::new(release_rx));
    let delivered = Rc::new(RefCell::new(Vec::new()));
    for i in 0..8u32 {
        let (tids, release_rx) = (tids.clone(), release_rx.clone());
        let d = reactor.defer_to_thread(move || {
            tids.lock().unwrap().push(thread_id());
            if i < 2 {
                // Both threads hold here until the shutdown starts: the rest stay queued.
                release_rx.lock().unwrap().recv().unwrap();
            }
            Ok::<u32, Oops>(i)
        });
        let delivered = delivered.clone();
        d.add_callback(move |i| {
            delivered.borrow_mut().push(i);
            Ok::<(), Failure>(())
        });
    }
    reactor.add_system_event_trigger(Phase::Before, SystemEvent::Shutdown, move || {
        release_tx.send(()).unwrap();
        release_tx.send(()).unwrap();
    });
    let r = reactor.clone();
    reactor.call_when_running(move || r.stop());
    reactor.run().unwrap();
    let mut got = delivered.borrow().clone();
    got.sort_unstable();
    assert_eq!(
        got,
        (0..8).collect::<Vec<_>>(),
        "every queued job ran and reported"
    );
    let tids = tids.lock().unwrap();
    assert_eq!(tids.len(), 8);
    for tid in tids.iter() {
        assert!(
            !thread_alive(*tid),
            "thread {tid} still runs after the shutdown"
        );
    }
    // A new pool serves the next run.
    assert_eq!(reactor.thread_pool().size(), 0);
}

#[test]
fn blocking_call_from_thread_returns_a_value_a_deferreds_result_or_its_failure() {
    let reactor = quiet_reactor();
    let handle = reactor.thread_handle();
    let (tx, rx) = mpsc::channel();
    reactor
        .call_in_thread(move || {
            let value = handle.blocking_call_from_thread(|r: &Reactor| {
                Ok::<_, Failure>(r.connection_count() + 41)
            });
            let later = handle.blocking_call_from_thread(|r: &Reactor| {
                let d = Deferred::new();
                let fire = d.clone();
                r.call_later(Duration::from_millis(1), move || {
                    let _ = fire.callback("fired later".to_string());
                });
                d
            });
            let failed =
                handle.blocking_call_from_thread(|_: &Reactor| Err::<u8, _>(Failure::new(Oops)));
            let panicked = handle.blocking_call_from_thread(|_: &Reactor| -> Result<u8, Failure> {
                panic!("reactor-side panic")
            });
            tx.send((
                value.ok(),
                later.ok(),
                failed.err().map(|f| f.to_string()),
                panicked.err().map(|f| f.to_string()),
            ))
            .unwrap();
            handle.stop();
        })
        .unwrap();
    assert!(!run_guarded(&reactor));
    let (value, later, failed, panicked) = rx.recv().unwrap();
    assert_eq!(value, Some(41));
    assert_eq!(later.as_deref(), Some("fired later"));
    let failed = failed.unwrap();
    assert!(
        failed.starts_with("FailedOnReactorThread: Oops on the reactor's thread: oops"),
        "{failed}"
    );
    assert!(panicked.unwrap().contains("reactor-side panic"));
}

#[test]
fn blocking_call_from_the_reactors_own_thread_is_refused() {
    let reactor = quiet_reactor();
    let outcome = Rc::new(RefCell::new(None));
    let (o, r) = (outcome.clone(), reactor.clone());
    reactor.call_when_running(move || {
        let handle = r.thread_handle();
        let got = handle.blocking_call_from_thread(|_: &Reactor| Ok::<u8, Failure>(1));
        *o.borrow_mut() = Some(got);
        r.stop();
    });
    assert!(!run_guarded(&reactor));
    let got = outcome.borrow_mut().take().unwrap();
    assert!(got.unwrap_err().check::<CalledFromReactorThread>());
}

#[test]
fn a_pool_thread_blocking_on_the_loop_during_shutdown_is_served() {
    let reactor = quiet_reactor();
    let handle = reactor.thread_handle();
    let (start_tx, start_rx) = mpsc::channel::<()>();
    let (tx, rx) = mpsc::channel();
    reactor
        .call_in_thread(move || {
            start_rx.recv().unwrap();
            let got = handle.blocking_call_from_thread(|_: &Reactor| Ok::<u8, Failure>(9));
            tx.send(got.map_err(|f| f.to_string())).unwrap();
        })
        .unwrap();
    // The thread makes its call only once the reactor is joining it.
    reactor.add_system_event_trigger(Phase::Before, SystemEvent::Shutdown, move || {
        start_tx.send(()).unwrap();
    });
    let r = reactor.clone();
    reactor.call_when_running(move || r.stop());
    reactor.run().unwrap();
    assert_eq!(rx.recv().unwrap(), Ok(9));
}

#[test]
fn dropping_the_last_handle_lets_the_threads_end() {
    let pool = ThreadPool::new("torsion-test", 2);
    let (tx, rx) = mpsc::channel();
    for _ in 0..2 {
        let tx = tx.clone();
        pool.call_in_thread(move || tx.send(thread_id()).unwrap())
            .unwrap();
    }
    let tids: Vec<_> = rx.iter().take(2).collect();
    drop(pool);
    // Nothing joins them: wait (polling, with a generous guard) for the OS to see them go.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while tids.iter().any(|tid| thread_alive(*tid)) {
        assert!(
            std::time::Instant::now() < deadline,
            "idle threads outlived their pool"
        );
        std::thread::yield_now();
    }
}

#[test]
fn with_an_idle_timeout_idle_threads_end_and_new_work_starts_one_again() {
    let pool = ThreadPool::new("torsion-test", 2).with_idle_timeout(Duration::from_millis(5));
    let (tx, rx) = mpsc::channel();
    let sender = tx.clone();
    pool.call_in_thread(move || sender.send(1).unwrap())
        .unwrap();
    assert_eq!(rx.recv().unwrap(), 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while pool.size() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the idle thread never ended"
        );
        std::thread::yield_now();
    }
    pool.call_in_thread(move || tx.send(2).unwrap()).unwrap();
    assert_eq!(rx.recv().unwrap(), 2);
    pool.stop();
}
