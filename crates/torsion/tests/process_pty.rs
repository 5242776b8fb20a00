//! A child on a pseudo-terminal: its standard streams are a terminal (and its
//! controlling one), what we write reaches it, and its end is clean (EIO is EOF).

mod process_util;

use process_util::util::{reactor, run};
use process_util::{inherit, not_a_zombie, spawn};
use torsion::error::ProcessDone;
use torsion::ProcessOptions;

fn pty() -> ProcessOptions {
    ProcessOptions {
        use_pty: true,
        ..inherit()
    }
}

#[test]
fn the_child_sees_a_terminal_on_all_three_streams() {
    let reactor = reactor();
    let (child, seen) = spawn(
        &reactor,
        &["sh", "-c", "test -t 0 && test -t 1 && test -t 2 && echo tty; tty </dev/tty >/dev/null && echo ctty"],
        pty(),
    );
    assert!(child.is_pty());
    let pid = child.pid().unwrap();
    run(&reactor);
    let seen = seen.borrow();
    // A terminal turns \n into \r\n.
    assert_eq!(seen.out(1), "tty\r\nctty\r\n");
    assert!(seen.ended.as_ref().unwrap().check::<ProcessDone>());
    assert!(not_a_zombie(pid));
    assert!(
        !seen.events.iter().any(|e| e.starts_with("lost")),
        "{:?}",
        seen.events
    );
}

#[test]
fn what_we_write_reaches_the_child_through_the_terminal() {
    let reactor = reactor();
    let (child, seen) = spawn(&reactor, &["sh", "-c", "read line; echo got:$line"], pty());
    child.write(b"typed\n");
    run(&reactor);
    let out = seen.borrow().out(1);
    // The terminal echoes what was typed, then the child's answer.
    assert!(out.ends_with("got:typed\r\n"), "{out:?}");
}
