//! What goes wrong: a missing executable, a bad working directory, a file that cannot
//! run (each a typed failure at spawn time, never a hang), and a panicking protocol.

mod process_util;

use std::cell::Cell;
use std::rc::Rc;

use process_util::util::{reactor, run};
use process_util::{inherit, not_a_zombie};
use torsion::error::{ProcessSpawnFailed, ProcessTerminated, SpawnStage};
use torsion::{Failure, ProcessCx, ProcessOptions, ProcessProtocol};

struct Nothing;
impl ProcessProtocol for Nothing {}

fn spawn_error(executable: &str, options: ProcessOptions) -> Failure {
    let reactor = reactor();
    let err = reactor
        .spawn_process(Nothing, executable, &[executable], options)
        .expect_err("the spawn fails");
    assert_eq!(reactor.connection_count(), 0, "no pipe is left open");
    err
}

#[test]
fn a_missing_executable_is_a_typed_failure() {
    let err = spawn_error("/no/such/program", inherit());
    let failed = err.downcast_ref::<ProcessSpawnFailed>().unwrap();
    assert_eq!(failed.stage, SpawnStage::Exec);
    assert_eq!(failed.os_error.raw_os_error(), Some(libc::ENOENT));
    assert!(err.to_string().contains("/no/such/program"), "{err}");
    let not_in_path = spawn_error("no-such-program-in-path", inherit());
    assert!(not_in_path.check::<ProcessSpawnFailed>());
}

#[test]
fn a_bad_working_directory_is_named() {
    let options = ProcessOptions {
        path: Some("/no/such/dir".into()),
        ..inherit()
    };
    let err = spawn_error("true", options);
    let failed = err.downcast_ref::<ProcessSpawnFailed>().unwrap();
    assert_eq!(failed.stage, SpawnStage::WorkingDirectory);
    assert!(
        err.to_string()
            .contains("bad working directory /no/such/dir"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_executable_fails_with_exec_s_error() {
    let path = std::env::temp_dir().join(format!("torsion-not-exec-{}", std::process::id()));
    std::fs::write(&path, "#!/bin/sh\necho should not run\n").unwrap();
    let err = spawn_error(path.to_str().unwrap(), inherit());
    std::fs::remove_file(&path).unwrap();
    let failed = err.downcast_ref::<ProcessSpawnFailed>().unwrap();
    assert_eq!(failed.os_error.raw_os_error(), Some(libc::EACCES));
}

/// Panics on the child's first output; counts what follows.
struct Panicky {
    ends: Rc<Cell<u32>>,
    exits: Rc<Cell<u32>>,
}

impl ProcessProtocol for Panicky {
    fn out_received(&mut self, _cx: &mut ProcessCx<Self>, _data: &[u8]) {
        panic!("protocol bug");
    }
    fn process_exited(&mut self, _cx: &mut ProcessCx<Self>, reason: &Failure) {
        assert!(
            reason.check::<ProcessTerminated>() || reason.check::<torsion::error::ProcessDone>()
        );
        self.exits.set(self.exits.get() + 1);
    }
    fn process_ended(&mut self, cx: &mut ProcessCx<Self>, _reason: &Failure) {
        self.ends.set(self.ends.get() + 1);
        cx.reactor().stop();
    }
}

#[test]
fn a_panicking_protocol_closes_the_pipes_and_still_hears_the_end() {
    let reactor = reactor();
    let (ends, exits) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let protocol = Panicky {
        ends: ends.clone(),
        exits: exits.clone(),
    };
    // The child writes once, then copies stdin until EOF: the closed pipes end it.
    let child = reactor
        .spawn_process(
            protocol,
            "sh",
            &["sh", "-c", "echo hi; cat; echo after"],
            inherit(),
        )
        .unwrap();
    let pid = child.pid().unwrap();
    run(&reactor);
    assert_eq!((exits.get(), ends.get()), (1, 1));
    assert!(child.open_child_fds().is_empty());
    assert!(not_a_zombie(pid));
}
