//! [`PipeProtocol`]: the stream protocol on the parent's end of one of a child's pipes
//! (or its terminal), passing what happens there to the process's protocol.

use std::os::fd::RawFd;
use std::rc::Rc;

use super::host::ProcessEvents;
use crate::{Cx, Failure, Protocol};

/// Runs on the stream connection of one pipe end: bytes and the close go to the
/// process's host with the child's descriptor number.
pub(crate) struct PipeProtocol {
    fd: RawFd,
    /// Whether the close is reported (`false` for a pseudo-terminal).
    report_close: bool,
    host: Rc<dyn ProcessEvents>,
}

impl PipeProtocol {
    pub(crate) fn new(fd: RawFd, report_close: bool, host: Rc<dyn ProcessEvents>) -> PipeProtocol {
        PipeProtocol {
            fd,
            report_close,
            host,
        }
    }
}

impl Protocol for PipeProtocol {
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.host.child_data(self.fd, data);
    }

    /// The child closed its end (end of file, or `EIO` on a terminal whose child is
    /// gone): the pipe closes.
    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        cx.transport().lose_connection();
    }

    /// Whatever closed the pipe (end of file, our close, `EPIPE`, the reactor's shutdown),
    /// the process protocol hears only that it closed, as in Twisted.
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        tracing::trace!(fd = self.fd, %reason, "a child's pipe closed");
        self.host.child_closed(self.fd, self.report_close);
    }
}
