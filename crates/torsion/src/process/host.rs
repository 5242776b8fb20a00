//! [`ProcessHost`]: a process protocol with its context, and the events its pipes and its
//! reaper bring to it ([`ProcessEvents`]), in Twisted's order.

use std::cell::{Cell, RefCell};
use std::os::fd::RawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use super::cx::ProcessCx;
use super::errors::{ProcessDone, ProcessTerminated};
use super::protocol::ProcessProtocol;
use super::transport::ProcessTransport;
use crate::time::Scheduler;
use crate::Failure;

/// What a child's pipes and its reaper tell its protocol, whatever the protocol's type.
pub(crate) trait ProcessEvents {
    /// The child wrote `data` to its descriptor `fd`.
    fn child_data(&self, fd: RawFd, data: &[u8]);
    /// The pipe of the child's descriptor `fd` closed; `report` is false for the
    /// pseudo-terminal (whose close Twisted does not report).
    fn child_closed(&self, fd: RawFd, report: bool);
    /// The child was reaped with this raw wait status (`-1`: unknown).
    fn reaped(&self, status: i32);
}

struct Bound<P: ProcessProtocol> {
    protocol: P,
    cx: ProcessCx<P>,
}

/// One child's protocol, shared by its pipes, its reaper and its timers.
pub(crate) struct ProcessHost<P: ProcessProtocol> {
    transport: ProcessTransport,
    /// `None` until the start succeeded, and again after `process_ended`.
    bound: RefCell<Option<Bound<P>>>,
    ended: Cell<bool>,
}

/// The reason a child ended, from its raw wait status.
pub(crate) fn exit_reason(status: i32) -> Failure {
    if status == 0 {
        Failure::new(ProcessDone)
    } else if status == -1 {
        Failure::new(ProcessTerminated {
            exit_code: None,
            signal: None,
            status,
        })
    } else {
        Failure::new(ProcessTerminated::from_wait_status(status))
    }
}

impl<P: ProcessProtocol> ProcessHost<P> {
    pub(crate) fn new(transport: ProcessTransport) -> Rc<ProcessHost<P>> {
        Rc::new(ProcessHost {
            transport,
            bound: RefCell::new(None),
            ended: Cell::new(false),
        })
    }

    /// Binds `protocol` (once every pipe is in place) and calls its `connection_made`.
    pub(crate) fn start(self: &Rc<Self>, protocol: P, scheduler: Scheduler) {
        let cx = ProcessCx::new(self.transport.clone(), scheduler, Rc::downgrade(self));
        *self.bound.borrow_mut() = Some(Bound { protocol, cx });
        self.call("connection_made", |p, cx| p.connection_made(cx));
    }

    /// Runs `f` on the protocol, a panic caught: it is logged and every pipe aborted (the
    /// child is left running, as Twisted leaves it). Does nothing before the start, after
    /// the end, or while another callback of the protocol runs.
    pub(crate) fn call(&self, name: &'static str, f: impl FnOnce(&mut P, &mut ProcessCx<P>)) {
        let outcome = {
            let Ok(mut slot) = self.bound.try_borrow_mut() else {
                tracing::error!(
                    callback = name,
                    "a process protocol was called while busy; skipped"
                );
                return;
            };
            let Some(bound) = slot.as_mut() else {
                return;
            };
            catch_unwind(AssertUnwindSafe(|| f(&mut bound.protocol, &mut bound.cx)))
        };
        if let Err(payload) = outcome {
            let failure = Failure::from_panic(name, payload);
            tracing::error!(
                pid = self.transport.original_pid(),
                %failure,
                "a process protocol panicked: closing the child's pipes"
            );
            self.transport.abort_pipes();
        }
    }

    /// Calls `process_ended` once the child is reaped and every pipe closed (Twisted's
    /// `maybeCallProcessEnded`), then drops the protocol and its timers.
    fn maybe_end(&self) {
        let Some(status) = self.transport.reaped() else {
            return;
        };
        if self.ended.get() || !self.transport.all_pipes_closed() {
            return;
        }
        self.ended.set(true);
        let reason = exit_reason(status);
        self.call("process_ended", |p, cx| p.process_ended(cx, &reason));
        let bound = self.bound.borrow_mut().take();
        crate::stream::drop_guarded(bound);
    }
}

impl<P: ProcessProtocol> ProcessEvents for ProcessHost<P> {
    fn child_data(&self, fd: RawFd, data: &[u8]) {
        self.call("child_data_received", |p, cx| {
            p.child_data_received(cx, fd, data);
        });
    }

    fn child_closed(&self, fd: RawFd, report: bool) {
        self.transport.remove_pipe(fd);
        if report {
            self.call("child_connection_lost", |p, cx| {
                p.child_connection_lost(cx, fd);
            });
        }
        self.maybe_end();
    }

    fn reaped(&self, status: i32) {
        self.transport.set_reaped(status);
        let reason = exit_reason(status);
        self.call("process_exited", |p, cx| p.process_exited(cx, &reason));
        self.maybe_end();
    }
}
