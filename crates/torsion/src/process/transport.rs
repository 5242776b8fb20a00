//! [`ProcessTransport`]: the handle a program writes to a child with, closes its pipes
//! with and signals it with (Twisted's `IProcessTransport`).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::os::fd::RawFd;
use std::rc::Rc;

use super::errors::ProcessExitedAlready;
use super::signal::Signal;
use crate::producer::{Producer, SharedProducer};
use crate::{Failure, Reactor, Transport};

/// One child process, as the program holds it (Twisted's `IProcessTransport`).
///
/// A cheap handle: clone it to keep it. Each of the child's pipes is a stream connection
/// of the reactor (the same engine as TCP): writes are buffered and coalesced, a write
/// buffer past its high watermark stops reading the child's output, and reading stops
/// while paused. No call here runs a protocol callback before it returns: a close is
/// reported by [`child_connection_lost`](crate::ProcessProtocol::child_connection_lost),
/// later, from the loop.
///
/// # Examples
///
/// ```no_run
/// use torsion::{ProcessOptions, ProcessProtocol, Reactor};
///
/// struct Ignore;
/// impl ProcessProtocol for Ignore {}
///
/// let reactor = Reactor::new()?;
/// let child = reactor.spawn_process(Ignore, "cat", &["cat"], ProcessOptions::default())?;
/// child.write(b"to cat's stdin\n");
/// child.close_stdin();
/// child.signal_process("TERM")?;
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct ProcessTransport {
    state: Rc<ProcessState>,
}

/// One pipe (or the terminal) to the child.
struct Pipe {
    transport: Transport,
    /// Whether the parent reads it (and so pausing stops it).
    reads: bool,
}

/// What a process's transports share.
struct ProcessState {
    reactor: Reactor,
    pid: u32,
    pty: bool,
    /// The open pipes by the child's descriptor number (the terminal under 1).
    pipes: RefCell<BTreeMap<RawFd, Pipe>>,
    /// The raw wait status once the child is reaped (`-1`: reaped by someone else).
    reaped: Cell<Option<i32>>,
    paused: Cell<bool>,
}

/// The key the pseudo-terminal is kept under, and the descriptor its output reports.
pub(crate) const PTY_KEY: RawFd = 1;

impl ProcessTransport {
    pub(crate) fn new(reactor: Reactor, pid: u32, pty: bool) -> ProcessTransport {
        ProcessTransport {
            state: Rc::new(ProcessState {
                reactor,
                pid,
                pty,
                pipes: RefCell::new(BTreeMap::new()),
                reaped: Cell::new(None),
                paused: Cell::new(false),
            }),
        }
    }

    /// The child's process id, or `None` once it has been reaped (as Twisted sets `pid`
    /// to `None`).
    pub fn pid(&self) -> Option<u32> {
        match self.state.reaped.get() {
            None => Some(self.state.pid),
            Some(_) => None,
        }
    }

    /// The process id the child had, reaped or not.
    pub fn original_pid(&self) -> u32 {
        self.state.pid
    }

    /// Whether the child was started on a pseudo-terminal.
    pub fn is_pty(&self) -> bool {
        self.state.pty
    }

    /// The reactor the child's pipes run on.
    pub fn reactor(&self) -> &Reactor {
        &self.state.reactor
    }

    /// Queues `data` for the child's standard input (the terminal with a pty). Ignored
    /// once that pipe is closed.
    pub fn write(&self, data: impl AsRef<[u8]>) {
        self.write_to_child(0, data);
    }

    /// Queues `data` for the child's descriptor `fd` (a [`ChildFd::Write`](crate::ChildFd::Write)
    /// pipe; with a pseudo-terminal, the terminal, whatever `fd`). Ignored if there is no
    /// open pipe for writing there.
    pub fn write_to_child(&self, fd: RawFd, data: impl AsRef<[u8]>) {
        let fd = if self.state.pty { PTY_KEY } else { fd };
        if let Some(pipe) = self.state.pipes.borrow().get(&fd) {
            if !pipe.reads || self.state.pty {
                pipe.transport.write(data);
            }
        }
    }

    /// Closes the pipe of the child's descriptor `fd` once what was written to it is sent
    /// (a pipe the child writes is closed at once). The protocol gets
    /// `child_connection_lost(fd)` later. Does nothing with a pseudo-terminal (it has one
    /// descriptor both ways, as Twisted's `PTYProcess` says: use
    /// [`lose_connection`](ProcessTransport::lose_connection)).
    pub fn close_child_fd(&self, fd: RawFd) {
        if self.state.pty {
            return;
        }
        if let Some(pipe) = self.state.pipes.borrow().get(&fd) {
            pipe.transport.lose_connection();
        }
    }

    /// Closes the child's standard input once what was written is sent: the child reads
    /// end of file.
    pub fn close_stdin(&self) {
        self.close_child_fd(0);
    }

    /// Closes the pipe of the child's standard output.
    pub fn close_stdout(&self) {
        self.close_child_fd(1);
    }

    /// Closes the pipe of the child's standard error.
    pub fn close_stderr(&self) {
        self.close_child_fd(2);
    }

    /// Closes every pipe (and the terminal), writes first flushed. The child is not
    /// signalled.
    pub fn lose_connection(&self) {
        for transport in self.transports() {
            transport.lose_connection();
        }
    }

    /// Sends `signal` to the child (`"TERM"`, `"KILL"`, `"INT"`, `"HUP"`, a number).
    ///
    /// # Errors
    ///
    /// [`ProcessExitedAlready`] once the child has been reaped; an `InvalidInput` failure
    /// for an unknown signal; the OS error of `kill`.
    pub fn signal_process(&self, signal: impl Into<Signal>) -> Result<(), Failure> {
        let number = signal.into().number()?;
        if self.state.reaped.get().is_some() {
            return Err(Failure::new(ProcessExitedAlready));
        }
        let pid = libc::pid_t::try_from(self.state.pid)
            .map_err(|_| Failure::new(ProcessExitedAlready))?;
        // SAFETY: `kill` takes any pid and signal number. The child is not reaped yet (the
        // reactor reaps it, and has not), so `pid` is still this child's, at worst a
        // zombie, never another process's.
        if unsafe { libc::kill(pid, number) } != 0 {
            return Err(Failure::new(std::io::Error::last_os_error()));
        }
        Ok(())
    }

    /// Stops reading the child's output (every pipe the parent reads) until
    /// [`resume_producing`](ProcessTransport::resume_producing): the child blocks once its
    /// pipes are full.
    pub fn pause_producing(&self) {
        self.state.paused.set(true);
        for pipe in self.state.pipes.borrow().values().filter(|p| p.reads) {
            pipe.transport.pause_producing();
        }
    }

    /// Reads the child's output again after [`pause_producing`](ProcessTransport::pause_producing).
    pub fn resume_producing(&self) {
        self.state.paused.set(false);
        for pipe in self.state.pipes.borrow().values().filter(|p| p.reads) {
            pipe.transport.resume_producing();
        }
    }

    /// This process as a streaming [`Producer`] of another transport: register it there
    /// (`tcp.register_producer(child.producer(), true)`) and the child's output stops
    /// being read while that transport's write buffer is above its high watermark (end to
    /// end backpressure). `stop_producing` closes the pipes.
    pub fn producer(&self) -> SharedProducer {
        Rc::new(RefCell::new(AsProducer(self.clone())))
    }

    /// Registers `producer` to write to the child's standard input; see
    /// [`Transport::register_producer`].
    ///
    /// # Errors
    ///
    /// `NotConnected` if standard input is not an open pipe; otherwise as
    /// [`Transport::register_producer`].
    pub fn register_producer(
        &self,
        producer: SharedProducer,
        streaming: bool,
    ) -> Result<(), Failure> {
        match self.child_transport(0) {
            Some(stdin) => stdin.register_producer(producer, streaming),
            None => Err(Failure::new(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "the child's standard input is closed",
            ))),
        }
    }

    /// Forgets the producer registered on standard input.
    pub fn unregister_producer(&self) {
        if let Some(stdin) = self.child_transport(0) {
            stdin.unregister_producer();
        }
    }

    /// The stream transport of the pipe of the child's descriptor `fd`, while open (with a
    /// pseudo-terminal, the terminal's, whatever `fd`): for its watermarks or what it has
    /// buffered.
    pub fn child_transport(&self, fd: RawFd) -> Option<Transport> {
        let fd = if self.state.pty { PTY_KEY } else { fd };
        let pipes = self.state.pipes.borrow();
        pipes.get(&fd).map(|p| p.transport.clone())
    }

    /// The descriptors of the child whose pipes are still open.
    pub fn open_child_fds(&self) -> Vec<RawFd> {
        self.state.pipes.borrow().keys().copied().collect()
    }

    fn transports(&self) -> Vec<Transport> {
        let pipes = self.state.pipes.borrow();
        pipes.values().map(|p| p.transport.clone()).collect()
    }

    /// Adds an open pipe; it starts paused if the process is.
    pub(crate) fn add_pipe(&self, fd: RawFd, transport: Transport, reads: bool) {
        if reads && self.state.paused.get() {
            transport.pause_producing();
        }
        self.state
            .pipes
            .borrow_mut()
            .insert(fd, Pipe { transport, reads });
    }

    /// Forgets a pipe that closed.
    pub(crate) fn remove_pipe(&self, fd: RawFd) {
        self.state.pipes.borrow_mut().remove(&fd);
    }

    /// Aborts every pipe now, unsent data dropped (after a panic, a failed start).
    pub(crate) fn abort_pipes(&self) {
        for transport in self.transports() {
            transport.abort_connection();
        }
    }

    pub(crate) fn set_reaped(&self, status: i32) {
        self.state.reaped.set(Some(status));
    }

    /// The raw wait status, once reaped.
    pub(crate) fn reaped(&self) -> Option<i32> {
        self.state.reaped.get()
    }

    pub(crate) fn all_pipes_closed(&self) -> bool {
        self.state.pipes.borrow().is_empty()
    }
}

impl fmt::Debug for ProcessTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessTransport")
            .field("pid", &self.state.pid)
            .field("pty", &self.state.pty)
            .field("open_child_fds", &self.open_child_fds())
            .field("reaped", &self.state.reaped.get().is_some())
            .finish()
    }
}

/// The process as a producer of another transport.
struct AsProducer(ProcessTransport);

impl Producer for AsProducer {
    fn pause_producing(&mut self) {
        self.0.pause_producing();
    }

    fn resume_producing(&mut self) {
        self.0.resume_producing();
    }

    fn stop_producing(&mut self) {
        self.0.lose_connection();
    }
}
