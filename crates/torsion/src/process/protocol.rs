//! [`ProcessProtocol`]: what a program does with a child process's output and end
//! (Twisted's `ProcessProtocol`).

use std::os::fd::RawFd;

use super::cx::ProcessCx;
use crate::Failure;

/// The logic driving one child process, called back by the reactor (Twisted's
/// `IProcessProtocol`).
///
/// For every process started with [`Reactor::spawn_process`](crate::Reactor::spawn_process),
/// in this order, always from the reactor's loop (never from inside a call the protocol
/// made):
///
/// 1. [`connection_made`](ProcessProtocol::connection_made), once, before `spawn_process`
///    returns;
/// 2. [`child_data_received`](ProcessProtocol::child_data_received) for what the child
///    writes to each descriptor the parent reads, in order per descriptor, split and
///    joined arbitrarily; and [`child_connection_lost`](ProcessProtocol::child_connection_lost)
///    once for each pipe when it closes (its end of file, `close_child_fd`, an error);
/// 3. [`process_exited`](ProcessProtocol::process_exited), once, as soon as the child has
///    exited and been reaped; its pipes may still be open (a grandchild that holds them);
/// 4. [`process_ended`](ProcessProtocol::process_ended), once, last: the child has exited
///    **and** every pipe is closed (Twisted's `maybeCallProcessEnded`). A child whose
///    pipes a grandchild keeps open ends only when the grandchild closes them. Timers of
///    the [`ProcessCx`] are cancelled after it.
///
/// The reason of both ends is [`ProcessDone`](crate::error::ProcessDone) for exit code 0,
/// otherwise [`ProcessTerminated`](crate::error::ProcessTerminated) with the code or
/// signal.
///
/// A panic in a callback is caught and logged; every pipe is then aborted (the child sees
/// end of file on stdin and `EPIPE` on its output), the child is **not** killed (as Twisted
/// leaves it), and `process_exited` and `process_ended` still come when it exits.
///
/// With a pseudo-terminal (`use_pty`), everything the child writes arrives as fd 1 and the
/// terminal's close calls no `child_connection_lost` (as Twisted's `PTYProcess`).
///
/// # Examples
///
/// ```no_run
/// use torsion::{Failure, ProcessCx, ProcessOptions, ProcessProtocol, Reactor};
///
/// struct Wc;
/// impl ProcessProtocol for Wc {
///     fn connection_made(&mut self, cx: &mut ProcessCx<Self>) {
///         cx.transport().write(b"one two three\n");
///         cx.transport().close_stdin();
///     }
///     fn out_received(&mut self, _cx: &mut ProcessCx<Self>, data: &[u8]) {
///         print!("{}", String::from_utf8_lossy(data));
///     }
///     fn process_ended(&mut self, cx: &mut ProcessCx<Self>, reason: &Failure) {
///         println!("{reason}");
///         cx.reactor().stop();
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// reactor.spawn_process(Wc, "wc", &["wc", "-w"], ProcessOptions::default())?;
/// reactor.run()?;
/// # Ok::<(), torsion::Failure>(())
/// ```
pub trait ProcessProtocol: Sized + 'static {
    /// The child was started; `cx.transport()` may be written to from now on.
    fn connection_made(&mut self, cx: &mut ProcessCx<Self>) {
        let _ = cx;
    }

    /// The child wrote `data` to its descriptor `fd`. The default passes fd 1 to
    /// [`out_received`](ProcessProtocol::out_received) and fd 2 to
    /// [`err_received`](ProcessProtocol::err_received), and drops the rest.
    fn child_data_received(&mut self, cx: &mut ProcessCx<Self>, fd: RawFd, data: &[u8]) {
        match fd {
            1 => self.out_received(cx, data),
            2 => self.err_received(cx, data),
            _ => {}
        }
    }

    /// The child wrote to its standard output.
    fn out_received(&mut self, cx: &mut ProcessCx<Self>, data: &[u8]) {
        let _ = (cx, data);
    }

    /// The child wrote to its standard error.
    fn err_received(&mut self, cx: &mut ProcessCx<Self>, data: &[u8]) {
        let _ = (cx, data);
    }

    /// The pipe to or from the child's descriptor `fd` is closed. The default passes fd 0,
    /// 1 and 2 to [`in_connection_lost`](ProcessProtocol::in_connection_lost),
    /// [`out_connection_lost`](ProcessProtocol::out_connection_lost) and
    /// [`err_connection_lost`](ProcessProtocol::err_connection_lost).
    fn child_connection_lost(&mut self, cx: &mut ProcessCx<Self>, fd: RawFd) {
        match fd {
            0 => self.in_connection_lost(cx),
            1 => self.out_connection_lost(cx),
            2 => self.err_connection_lost(cx),
            _ => {}
        }
    }

    /// The child's standard input is closed.
    fn in_connection_lost(&mut self, cx: &mut ProcessCx<Self>) {
        let _ = cx;
    }

    /// The child's standard output is closed.
    fn out_connection_lost(&mut self, cx: &mut ProcessCx<Self>) {
        let _ = cx;
    }

    /// The child's standard error is closed.
    fn err_connection_lost(&mut self, cx: &mut ProcessCx<Self>) {
        let _ = cx;
    }

    /// The child exited and was reaped; its pipes may still be open.
    fn process_exited(&mut self, cx: &mut ProcessCx<Self>, reason: &Failure) {
        let _ = (cx, reason);
    }

    /// The child exited and all its pipes are closed; called once, last.
    fn process_ended(&mut self, cx: &mut ProcessCx<Self>, reason: &Failure) {
        let _ = (cx, reason);
    }
}
