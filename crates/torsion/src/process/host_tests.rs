//! Unit tests of a process's event order, its transport's routing and its pause, with
//! `StringTransport`s for pipes and events fed by hand (no child, no loop).

use std::cell::RefCell;
use std::os::fd::RawFd;
use std::rc::Rc;

use super::host::{ProcessEvents, ProcessHost};
use super::{ProcessCx, ProcessProtocol, ProcessTransport};
use crate::error::{ProcessDone, ProcessExitedAlready, ProcessTerminated};
use crate::testing::StringTransport;
use crate::{Failure, Reactor, ReactorTime};

#[derive(Default)]
struct Log(Vec<String>);

struct Logger {
    log: Rc<RefCell<Log>>,
    panic_on_data: bool,
}

impl ProcessProtocol for Logger {
    fn connection_made(&mut self, _cx: &mut ProcessCx<Self>) {
        self.log.borrow_mut().0.push("made".into());
    }
    fn out_received(&mut self, _cx: &mut ProcessCx<Self>, data: &[u8]) {
        assert!(!self.panic_on_data, "protocol bug");
        let text = String::from_utf8_lossy(data);
        self.log.borrow_mut().0.push(format!("out {text}"));
    }
    fn err_received(&mut self, _cx: &mut ProcessCx<Self>, data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        self.log.borrow_mut().0.push(format!("err {text}"));
    }
    fn child_connection_lost(&mut self, _cx: &mut ProcessCx<Self>, fd: RawFd) {
        self.log.borrow_mut().0.push(format!("lost {fd}"));
    }
    fn process_exited(&mut self, _cx: &mut ProcessCx<Self>, reason: &Failure) {
        self.log
            .borrow_mut()
            .0
            .push(format!("exited {}", reason.kind()));
    }
    fn process_ended(&mut self, _cx: &mut ProcessCx<Self>, reason: &Failure) {
        self.log
            .borrow_mut()
            .0
            .push(format!("ended {}", reason.kind()));
    }
}

/// The host, its transport, its pipes (0, 1, 2) and what the protocol logged.
type Setup = (
    Rc<ProcessHost<Logger>>,
    ProcessTransport,
    Vec<StringTransport>,
    Rc<RefCell<Log>>,
);

/// A process with pipes 0, 1 and 2 over string transports; pid 0 is never signalled
/// here.
fn setup(panic_on_data: bool) -> Setup {
    let reactor = Reactor::new().unwrap();
    let transport = ProcessTransport::new(reactor.clone(), 0, false);
    let pipes: Vec<StringTransport> = (0..3).map(|_| StringTransport::new()).collect();
    for (fd, pipe) in pipes.iter().enumerate() {
        transport.add_pipe(fd as RawFd, pipe.transport(), fd != 0);
    }
    let host = ProcessHost::new(transport.clone());
    let log = Rc::new(RefCell::new(Log::default()));
    let protocol = Logger {
        log: log.clone(),
        panic_on_data,
    };
    host.start(protocol, reactor.scheduler());
    (host, transport, pipes, log)
}

#[test]
fn ended_waits_for_the_reap_and_every_pipe() {
    let (host, transport, _pipes, log) = setup(false);
    host.child_data(1, b"a");
    host.child_data(2, b"b");
    host.child_closed(0, true);
    host.reaped(0);
    assert_eq!(transport.pid(), None);
    host.child_closed(1, true);
    assert!(!log.borrow().0.iter().any(|e| e.starts_with("ended")));
    host.child_closed(2, true);
    assert_eq!(
        log.borrow().0,
        [
            "made",
            "out a",
            "err b",
            "lost 0",
            "exited ProcessDone",
            "lost 1",
            "lost 2",
            "ended ProcessDone"
        ]
    );
    // After the end the protocol is gone: later events reach nobody.
    host.child_data(1, b"late");
    assert_eq!(log.borrow().0.len(), 8);
}

#[test]
fn pipes_closed_before_the_reap_end_at_the_reap() {
    let (host, _transport, _pipes, log) = setup(false);
    for fd in 0..3 {
        host.child_closed(fd, true);
    }
    assert_eq!(log.borrow().0.last().unwrap(), "lost 2");
    host.reaped(3 << 8);
    let log = log.borrow();
    assert_eq!(
        &log.0[4..],
        ["exited ProcessTerminated", "ended ProcessTerminated"]
    );
}

#[test]
fn writes_and_closes_reach_the_right_pipe() {
    let (_host, transport, pipes, _log) = setup(false);
    transport.write(b"in");
    transport.write_to_child(1, b"not to a read pipe");
    assert_eq!(pipes[0].value(), b"in");
    assert!(pipes[1].value().is_empty());
    transport.close_stdin();
    assert!(pipes[0].disconnecting() && !pipes[1].disconnecting());
    transport.lose_connection();
    assert!(pipes.iter().all(StringTransport::disconnecting));
}

#[test]
fn pausing_stops_only_the_pipes_we_read() {
    let (_host, transport, pipes, _log) = setup(false);
    let producer = transport.producer();
    producer.borrow_mut().pause_producing();
    let states: Vec<_> = pipes.iter().map(StringTransport::producer_state).collect();
    assert_eq!(states[1..], ["paused", "paused"]);
    assert_ne!(states[0], "paused");
    producer.borrow_mut().resume_producing();
    assert_eq!(pipes[1].producer_state(), "producing");
}

#[test]
fn a_panic_aborts_every_pipe_and_the_end_still_comes() {
    let (host, transport, pipes, log) = setup(true);
    host.child_data(1, b"boom");
    assert!(pipes.iter().all(StringTransport::aborted));
    for fd in 0..3 {
        host.child_closed(fd, true);
    }
    host.reaped(libc::SIGKILL);
    assert_eq!(log.borrow().0.last().unwrap(), "ended ProcessTerminated");
    assert!(transport
        .signal_process("TERM")
        .unwrap_err()
        .check::<ProcessExitedAlready>());
}

#[test]
fn exit_reasons_follow_the_wait_status() {
    let done = super::host::exit_reason(0);
    assert!(done.check::<ProcessDone>());
    let unknown = super::host::exit_reason(-1);
    let t = unknown.downcast_ref::<ProcessTerminated>().unwrap();
    assert_eq!((t.exit_code, t.signal), (None, None));
}
