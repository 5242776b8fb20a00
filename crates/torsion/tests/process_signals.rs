//! Signals to real children: a killed child ends with `ProcessTerminated` naming the
//! signal; once reaped, `signal_process` fails with `ProcessExitedAlready`.

mod process_util;

use std::time::Duration;

use process_util::util::{reactor, run};
use process_util::{inherit, not_a_zombie, spawn, Recording};
use torsion::error::{ConnectionLost, ProcessExitedAlready, ProcessTerminated};
use torsion::ReactorTime;

#[test]
fn kill_ends_the_child_with_the_signal() {
    let reactor = reactor();
    // The hook kills the child once it has said it is running.
    let (protocol, seen) = Recording::with_hook(|cx, event, _data| {
        if event == "data 1" {
            cx.transport().signal_process("KILL").unwrap();
        }
    });
    let child = reactor
        .spawn_process(
            protocol,
            "sh",
            &["sh", "-c", "echo up; exec sleep 30"],
            inherit(),
        )
        .unwrap();
    let pid = child.pid().unwrap();
    run(&reactor);
    let seen = seen.borrow();
    let ended = seen.ended.as_ref().unwrap();
    let terminated = ended.downcast_ref::<ProcessTerminated>().unwrap();
    assert_eq!((terminated.exit_code, terminated.signal), (None, Some(9)));
    assert!(ended.check::<ConnectionLost>());
    assert_eq!(child.pid(), None, "pid is gone once reaped");
    assert!(not_a_zombie(pid));
    let err = child.signal_process("TERM").unwrap_err();
    assert!(err.check::<ProcessExitedAlready>());
}

#[test]
fn term_int_hup_and_numbers_are_delivered() {
    for (signal, number) in [("TERM", 15), ("INT", 2), ("HUP", 1), ("10", 10)] {
        let reactor = reactor();
        let (_child, seen) = spawn(&reactor, &["sleep", "30"], inherit());
        let parsed: torsion::Signal = match signal.parse::<i32>() {
            Ok(n) => n.into(),
            Err(_) => signal.into(),
        };
        let child = _child.clone();
        reactor.call_later(Duration::ZERO, move || {
            child.signal_process(parsed).unwrap()
        });
        run(&reactor);
        let seen = seen.borrow();
        let ended = seen.ended.as_ref().unwrap();
        let terminated = ended.downcast_ref::<ProcessTerminated>().unwrap();
        assert_eq!(terminated.signal, Some(number), "{signal}");
    }
}

#[test]
fn an_unknown_signal_is_refused_before_anything_is_sent() {
    let reactor = reactor();
    let (child, _seen) = spawn(&reactor, &["cat"], inherit());
    assert!(child.signal_process("NOPE").is_err());
    assert!(child.signal_process(0).is_err());
    child.close_stdin();
    run(&reactor);
}
