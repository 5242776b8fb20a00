//! [`ProcessCx`]: what a process protocol may use while it is called, and how its timers
//! find it again.

use std::fmt;
use std::rc::Weak;
use std::time::Duration;

use super::host::ProcessHost;
use super::protocol::ProcessProtocol;
use super::transport::ProcessTransport;
use crate::time::{DelayedCall, ReactorTime, Scheduler};
use crate::Reactor;

/// A process protocol's context, passed to every callback of a
/// [`ProcessProtocol`]: the [`ProcessTransport`] and timers that call back into the
/// protocol and die with the process (the process counterpart of [`Cx`](crate::Cx)).
pub struct ProcessCx<P: ProcessProtocol> {
    transport: ProcessTransport,
    scheduler: Scheduler,
    host: Weak<ProcessHost<P>>,
    timers: Vec<DelayedCall>,
}

impl<P: ProcessProtocol> ProcessCx<P> {
    pub(crate) fn new(
        transport: ProcessTransport,
        scheduler: Scheduler,
        host: Weak<ProcessHost<P>>,
    ) -> ProcessCx<P> {
        ProcessCx {
            transport,
            scheduler,
            host,
            timers: Vec::new(),
        }
    }

    /// The child's transport. Clone it to keep it.
    pub fn transport(&self) -> &ProcessTransport {
        &self.transport
    }

    /// The reactor the child runs under.
    pub fn reactor(&self) -> &Reactor {
        self.transport.reactor()
    }

    /// The clock this process's timers run on.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// Schedules `f` to be called back into this protocol `delay` from now, with
    /// `&mut self` and this context (a timeout that kills a slow child).
    ///
    /// The call is cancelled when the process ends: it never runs after
    /// [`ProcessProtocol::process_ended`]. A panic inside `f` is handled as one in any
    /// callback (logged, the pipes aborted).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use torsion::{ProcessCx, ProcessProtocol};
    ///
    /// struct Deadline;
    /// impl ProcessProtocol for Deadline {
    ///     fn connection_made(&mut self, cx: &mut ProcessCx<Self>) {
    ///         cx.call_later(Duration::from_secs(30), |_me, cx| {
    ///             let _ = cx.transport().signal_process("KILL");
    ///         });
    ///     }
    /// }
    /// ```
    pub fn call_later<F>(&mut self, delay: Duration, f: F) -> DelayedCall
    where
        F: FnOnce(&mut P, &mut ProcessCx<P>) + 'static,
    {
        let host = self.host.clone();
        let call = self.scheduler.call_later(delay, move || {
            if let Some(host) = host.upgrade() {
                host.call("call_later", f);
            }
        });
        self.timers.retain(DelayedCall::active);
        self.timers.push(call.clone());
        call
    }
}

impl<P: ProcessProtocol> Drop for ProcessCx<P> {
    /// The process's timers die with its context, after `process_ended`.
    fn drop(&mut self) {
        for call in self.timers.drain(..) {
            let _ = call.cancel();
        }
    }
}

impl<P: ProcessProtocol> fmt::Debug for ProcessCx<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessCx")
            .field("transport", &self.transport)
            .finish()
    }
}
