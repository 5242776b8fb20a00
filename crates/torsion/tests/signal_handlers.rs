//! `Reactor::add_signal_handler` with real signals sent to this process. One test
//! function: signals are process-wide, so parallel tests would see each other's.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use torsion::{Reactor, ReactorTime};

fn raise(signal: i32) {
    // SAFETY: sending a signal to this process, whose handlers the test installed.
    assert_eq!(unsafe { libc::raise(signal) }, 0);
}

/// Runs the reactor until `stop` is called or the guard of 20 s passes (then panics).
fn run_with_guard(reactor: &Reactor) {
    let r = reactor.clone();
    let guard = reactor.call_later(Duration::from_secs(20), move || {
        r.stop();
        panic!("the signal never arrived");
    });
    reactor.run().unwrap();
    let _ = guard.cancel();
}

#[test]
fn signal_handlers_run_from_the_loop() {
    let reactor = Reactor::new().unwrap();

    // A signal that arrives before `run` is handled once the loop runs.
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (s, r) = (seen.clone(), reactor.clone());
    let usr1 = reactor
        .add_signal_handler("USR1", move || {
            s.borrow_mut().push("usr1");
            r.stop();
        })
        .unwrap();
    raise(libc::SIGUSR1);
    assert!(seen.borrow().is_empty(), "not inside the signal handler");
    run_with_guard(&reactor);
    assert_eq!(*seen.borrow(), ["usr1"]);

    // A panicking handler is logged; the next handler of the same signal still runs.
    reactor
        .add_signal_handler("SIGUSR2", || panic!("handler bug"))
        .unwrap();
    let (s, r) = (seen.clone(), reactor.clone());
    reactor
        .add_signal_handler(libc::SIGUSR2, move || {
            s.borrow_mut().push("usr2");
            r.stop();
        })
        .unwrap();
    reactor.call_when_running(|| raise(libc::SIGUSR2));
    run_with_guard(&reactor);
    assert_eq!(*seen.borrow(), ["usr1", "usr2"]);

    // A handler for SIGTERM replaces the reactor's own stop.
    let terms = Rc::new(Cell::new(0));
    let t = terms.clone();
    let term = reactor
        .add_signal_handler("TERM", move || t.set(t.get() + 1))
        .unwrap();
    reactor.call_when_running(|| raise(libc::SIGTERM));
    let (r, still_running) = (reactor.clone(), Rc::new(Cell::new(false)));
    let s = still_running.clone();
    reactor.call_later(Duration::from_millis(200), move || {
        // Still running after the SIGTERM; now without a handler, SIGTERM stops it.
        s.set(true);
        assert!(r.remove_signal_handler(term));
        raise(libc::SIGTERM);
    });
    run_with_guard(&reactor);
    assert_eq!(terms.get(), 1);
    assert!(
        still_running.get(),
        "the handled SIGTERM did not stop the reactor"
    );

    // Removed handlers are not called; unknown and forbidden signals are refused.
    assert!(reactor.remove_signal_handler(usr1));
    assert!(!reactor.remove_signal_handler(usr1));
    for refused in ["KILL", "STOP", "NOSUCH"] {
        assert!(
            reactor.add_signal_handler(refused, || {}).is_err(),
            "{refused}"
        );
    }
    assert!(reactor.add_signal_handler(libc::SIGSEGV, || {}).is_err());
}
