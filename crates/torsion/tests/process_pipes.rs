//! Child processes over real pipes: stdin to stdout through `cat`, stderr, exit codes,
//! the environment and working directory, extra descriptors, closing stdin.

mod process_util;

use process_util::util::{reactor, run};
use process_util::{inherit, spawn, Recording};
use torsion::error::{ConnectionDone, ProcessDone, ProcessTerminated};
use torsion::{ChildFd, ProcessOptions};

#[test]
fn cat_echoes_stdin_and_sees_eof_when_stdin_closes() {
    let reactor = reactor();
    let (child, seen) = spawn(&reactor, &["cat"], inherit());
    child.write(b"hello ");
    child.write(b"through cat\n");
    child.close_stdin();
    run(&reactor);
    let seen = seen.borrow();
    assert_eq!(seen.out(1), "hello through cat\n");
    let ended = seen.ended.as_ref().expect("ended");
    assert!(ended.check::<ProcessDone>() && ended.check::<ConnectionDone>());
    assert!(seen.exited.as_ref().unwrap().check::<ProcessDone>());
    assert_eq!(seen.events.first().map(String::as_str), Some("made"));
    assert_eq!(seen.events.last().map(String::as_str), Some("ended"));
    for lost in ["lost 0", "lost 1", "lost 2"] {
        assert!(
            seen.position(lost) < seen.position("ended"),
            "{:?}",
            seen.events
        );
    }
    assert!(seen.position("exited") < seen.position("ended"));
}

#[test]
fn stderr_and_exit_code_arrive_apart() {
    let reactor = reactor();
    let (_child, seen) = spawn(
        &reactor,
        &["sh", "-c", "echo to-out; echo to-err >&2; exit 7"],
        inherit(),
    );
    run(&reactor);
    let seen = seen.borrow();
    assert_eq!(seen.out(1), "to-out\n");
    assert_eq!(seen.out(2), "to-err\n");
    let ended = seen.ended.as_ref().unwrap();
    let terminated = ended
        .downcast_ref::<ProcessTerminated>()
        .expect("terminated");
    assert_eq!((terminated.exit_code, terminated.signal), (Some(7), None));
    assert!(!ended.check::<ConnectionDone>());
}

#[test]
fn the_environment_is_empty_by_default_and_exactly_what_is_given() {
    let reactor = reactor();
    let (_a, empty) = spawn(&reactor, &["/usr/bin/env"], ProcessOptions::default());
    run(&reactor);
    assert_eq!(empty.borrow().out(1), "");
    let options = ProcessOptions {
        env: Some(vec![("ONLY".into(), "this".into())]),
        ..ProcessOptions::default()
    };
    let (_b, given) = spawn(&reactor, &["/usr/bin/env"], options);
    run(&reactor);
    assert_eq!(given.borrow().out(1), "ONLY=this\n");
    std::env::set_var("TORSION_PROCESS_TEST", "inherited");
    let (_c, inherited) = spawn(&reactor, &["/usr/bin/env"], inherit());
    run(&reactor);
    assert!(inherited
        .borrow()
        .out(1)
        .contains("TORSION_PROCESS_TEST=inherited\n"));
}

#[test]
fn the_working_directory_and_argv0_are_the_ones_given() {
    let reactor = reactor();
    let dir = std::env::temp_dir().canonicalize().unwrap();
    let options = ProcessOptions {
        path: Some(dir.clone()),
        ..inherit()
    };
    let (protocol, seen) = Recording::new();
    reactor
        .spawn_process(protocol, "sh", &["my-name", "-c", "pwd; echo $0"], options)
        .unwrap();
    run(&reactor);
    assert_eq!(
        seen.borrow().out(1),
        format!("{}\nmy-name\n", dir.display())
    );
}

#[test]
fn an_extra_descriptor_is_read_and_written() {
    let reactor = reactor();
    // The child reads fd 4 (our pipe we write) and copies it, upper-cased, to fd 3.
    let options = inherit()
        .child_fd(3, ChildFd::Read)
        .child_fd(4, ChildFd::Write);
    let (child, seen) = spawn(&reactor, &["sh", "-c", "tr a-z A-Z <&4 >&3"], options);
    child.write_to_child(4, b"over fd four\n");
    child.close_child_fd(4);
    run(&reactor);
    let seen = seen.borrow();
    assert_eq!(seen.out(3), "OVER FD FOUR\n");
    assert!(seen.events.contains(&"lost 3".to_string()));
    assert!(seen.events.contains(&"lost 4".to_string()));
    assert!(seen.ended.as_ref().unwrap().check::<ProcessDone>());
}

#[test]
fn a_child_fd_can_be_a_copy_of_ours_and_unlisted_ones_are_closed() {
    let reactor = reactor();
    // The child's stdout is a copy of the write end of a pipe of ours; stderr is a pipe
    // the reactor reads; stdin (not listed) is closed.
    let (read, write) = std::io::pipe().unwrap();
    use std::os::fd::AsRawFd;
    let mut options = inherit();
    options.child_fds.clear();
    options
        .child_fds
        .insert(1, ChildFd::Inherit(write.as_raw_fd()));
    options.child_fds.insert(2, ChildFd::Read);
    // A descriptor of ours without close-on-exec must not reach the child either.
    // SAFETY: dup of an open descriptor; closed below.
    let leaky = unsafe { libc::dup(read.as_raw_fd()) };
    assert!(leaky > 2);
    // Lists the shell's own open descriptors on stdout.
    let (_child, seen) = spawn(
        &reactor,
        &[
            "sh",
            "-c",
            "ls /proc/$$/fd; test -e /proc/$$/fd/0 || echo no-stdin >&2",
        ],
        options,
    );
    drop(write);
    // SAFETY: `leaky` is ours, from dup above.
    unsafe { libc::close(leaky) };
    run(&reactor);
    let listed = std::io::read_to_string(read).unwrap();
    let fds: Vec<&str> = listed.split_whitespace().collect();
    assert_eq!(fds, ["1", "2"], "only the descriptors asked for are open");
    assert_eq!(seen.borrow().out(2), "no-stdin\n");
}

#[test]
fn without_path_in_the_environment_the_default_search_path_is_used() {
    let reactor = reactor();
    // The default environment is empty: `sh` is found in /bin:/usr/bin.
    let (_child, seen) = spawn(
        &reactor,
        &["sh", "-c", "echo found"],
        ProcessOptions::default(),
    );
    run(&reactor);
    assert_eq!(seen.borrow().out(1), "found\n");
}

/// Writes three chunks to the child's stdin, one each time it is asked, then closes it.
struct Chunks {
    child: torsion::ProcessTransport,
    left: Vec<&'static [u8]>,
}

impl torsion::Producer for Chunks {
    fn resume_producing(&mut self) {
        match self.left.pop() {
            Some(chunk) => self.child.write(chunk),
            None => {
                self.child.unregister_producer();
                self.child.close_stdin();
            }
        }
    }
}

#[test]
fn a_pull_producer_feeds_stdin() {
    let reactor = reactor();
    let (child, seen) = spawn(&reactor, &["cat"], inherit());
    let chunks = Chunks {
        child: child.clone(),
        left: vec![b"three\n", b"two ", b"one "],
    };
    child
        .register_producer(std::rc::Rc::new(std::cell::RefCell::new(chunks)), false)
        .unwrap();
    run(&reactor);
    assert_eq!(seen.borrow().out(1), "one two three\n");
    assert!(
        child
            .register_producer(
                std::rc::Rc::new(std::cell::RefCell::new(Chunks {
                    child: child.clone(),
                    left: Vec::new(),
                })),
                false
            )
            .is_err(),
        "stdin is closed"
    );
}

#[test]
fn uid_and_gid_are_taken_when_we_may() {
    // SAFETY: geteuid only reads our id.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: changing the child's user needs root");
        return;
    }
    let reactor = reactor();
    let options = ProcessOptions {
        uid: Some(65534),
        gid: Some(65534),
        path: Some("/".into()),
        ..inherit()
    };
    let (_child, seen) = spawn(&reactor, &["sh", "-c", "id -u; id -g"], options);
    run(&reactor);
    assert_eq!(seen.borrow().out(1), "65534\n65534\n");
}
