//! How a child's life ends: `process_exited` at once, `process_ended` only when every
//! pipe is closed (a grandchild holding them delays it, as in Twisted); no zombie is left;
//! reactor shutdown closes the pipes and leaves the child running.

mod process_util;

use process_util::util::{reactor, run};
use process_util::{inherit, not_a_zombie, spawn, Recording};
use torsion::error::ProcessDone;

#[test]
fn a_grandchild_holding_the_pipes_delays_process_ended_not_process_exited() {
    let reactor = reactor();
    // The child exits at once; the grandchild (a background job gets /dev/null as stdin,
    // so it reads a copy of ours on fd 3) waits for our line, writes, then closes the
    // pipes. The reactor cannot be stopped in between: a stop closes every pipe.
    // Once the child has exited, the grandchild is let go on (its stdin is our pipe).
    let (protocol, seen) = Recording::with_hook(|cx, event, _data| {
        if event == "exited" {
            cx.transport().write(b"go\n");
            cx.transport().close_stdin();
        }
    });
    reactor
        .spawn_process(
            protocol,
            "sh",
            &[
                "sh",
                "-c",
                "exec 3<&0; (read go <&3; echo late) & echo early; exit 0",
            ],
            inherit(),
        )
        .unwrap();
    run(&reactor);
    let seen = seen.borrow();
    assert_eq!(seen.out(1), "early\nlate\n");
    let (exited, late_data, ended) = (
        seen.position("exited"),
        seen.events.iter().rposition(|e| e == "data 1").unwrap(),
        seen.position("ended"),
    );
    assert!(exited < late_data && late_data < ended, "{:?}", seen.events);
    assert!(seen.exited.as_ref().unwrap().check::<ProcessDone>());
}

#[test]
fn many_children_leave_no_zombie() {
    let reactor = reactor();
    let mut pids = Vec::new();
    let mut all = Vec::new();
    for i in 0..20 {
        let (child, seen) = spawn(
            &reactor,
            &["sh", "-c", &format!("exit {}", i % 3)],
            inherit(),
        );
        pids.push(child.pid().unwrap());
        all.push(seen);
    }
    // Each `process_ended` stops the reactor (the recording protocol does); the pidfds
    // stay watched across runs, so run again until every child has ended.
    for _ in 0..all.len() {
        if all.iter().all(|s| s.borrow().ended.is_some()) {
            break;
        }
        run(&reactor);
    }
    assert!(all.iter().all(|s| s.borrow().ended.is_some()));
    for pid in pids {
        assert!(not_a_zombie(pid), "{pid} is a zombie");
    }
}

#[test]
fn shutdown_closes_the_pipes_and_leaves_the_child_running() {
    let reactor = reactor();
    let (child, seen) = spawn(&reactor, &["sleep", "30"], inherit());
    let pid = child.pid().unwrap();
    let r = reactor.clone();
    reactor.call_when_running(move || r.stop());
    run(&reactor);
    {
        let seen = seen.borrow();
        for lost in ["lost 0", "lost 1", "lost 2"] {
            assert!(seen.events.contains(&lost.to_string()), "{:?}", seen.events);
        }
        assert!(seen.exited.is_none() && seen.ended.is_none());
    }
    assert!(
        std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "still running"
    );
    // The pidfd is still watched: once killed, the next run reaps it.
    child.signal_process("KILL").unwrap();
    run(&reactor);
    assert!(seen.borrow().ended.is_some());
    assert!(not_a_zombie(pid));
}
