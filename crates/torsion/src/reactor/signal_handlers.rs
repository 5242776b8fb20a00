//! Handlers a program adds for POSIX signals ([`Reactor::add_signal_handler`]), called
//! from the loop.

use std::cell::RefCell;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use super::signals::SignalWatch;
use super::Reactor;
use crate::{Failure, Signal};

/// Names a handler added with [`Reactor::add_signal_handler`], to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalHandlerId(u64);

type Handler = Rc<RefCell<dyn FnMut()>>;

/// The handlers, by signal, in the order added.
#[derive(Default)]
pub(crate) struct SignalHandlers {
    next_id: u64,
    list: Vec<(SignalHandlerId, i32, Handler)>,
}

impl SignalHandlers {
    fn add(&mut self, signal: i32, handler: Handler) -> SignalHandlerId {
        self.next_id += 1;
        let id = SignalHandlerId(self.next_id);
        self.list.push((id, signal, handler));
        id
    }

    fn remove(&mut self, id: SignalHandlerId) -> bool {
        let before = self.list.len();
        self.list.retain(|(i, _, _)| *i != id);
        self.list.len() != before
    }

    fn for_signal(&self, signal: i32) -> Vec<Handler> {
        self.list
            .iter()
            .filter(|(_, s, _)| *s == signal)
            .map(|(_, _, h)| h.clone())
            .collect()
    }

    /// Every signal some handler waits for.
    pub(crate) fn signals(&self) -> Vec<i32> {
        self.list.iter().map(|(_, s, _)| *s).collect()
    }
}

impl Reactor {
    /// Calls `f` from the loop when the process receives `signal` while the reactor runs
    /// (Twisted's reactors take SIGINT, SIGTERM and SIGCHLD; this opens the rest, as
    /// `signal.signal` does in a Twisted program, but with `f` run by the loop, not
    /// inside the signal handler, so it may do anything a callback does).
    ///
    /// The signal is caught from this call on: one that arrives before
    /// [`run`](Reactor::run) calls `f` once the loop runs. Arrivals between two passes of
    /// the loop are coalesced into one call. A handler for SIGINT or SIGTERM replaces the
    /// reactor's own reaction to it (stopping): the handler decides, e.g. to drain
    /// connections first. The OS-level handlers are removed when `run` returns, and put
    /// back by the next `run` for the handlers still added. A panicking handler is logged;
    /// the others still run.
    ///
    /// # Errors
    ///
    /// An `InvalidInput` failure for an unknown signal or one no handler may take
    /// (`SIGKILL`, `SIGSTOP`, `SIGSEGV`, `SIGILL`, `SIGFPE`); the OS error if the handler
    /// could not be installed.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::Reactor;
    ///
    /// let reactor = Reactor::new()?;
    /// let r = reactor.clone();
    /// reactor.add_signal_handler("USR1", move || {
    ///     println!("got SIGUSR1, stopping");
    ///     r.stop();
    /// })?;
    /// // SAFETY: raising a signal at our own process.
    /// reactor.call_when_running(|| unsafe { drop(libc::raise(libc::SIGUSR1)) });
    /// reactor.run()?;
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn add_signal_handler(
        &self,
        signal: impl Into<Signal>,
        f: impl FnMut() + 'static,
    ) -> Result<SignalHandlerId, Failure> {
        let number = signal.into().number()?;
        if signal_hook::consts::FORBIDDEN.contains(&number) {
            return Err(Failure::new(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("signal {} cannot be handled", Signal::name_of(number)),
            )));
        }
        self.watch_signal(number)?;
        let handler: Handler = Rc::new(RefCell::new(f));
        Ok(self.core.signal_handlers.borrow_mut().add(number, handler))
    }

    /// Removes a handler; returns whether it was there. The signal stays caught until
    /// `run` returns (with no handler left, SIGINT and SIGTERM stop the reactor again,
    /// others are ignored).
    pub fn remove_signal_handler(&self, id: SignalHandlerId) -> bool {
        self.core.signal_handlers.borrow_mut().remove(id)
    }

    /// Listens for `signal` from now on, making the watch if there is none.
    pub(crate) fn watch_signal(&self, signal: i32) -> io::Result<()> {
        let mut watch = self.core.signals.borrow_mut();
        let watch = match &mut *watch {
            Some(watch) => watch,
            None => watch.insert(SignalWatch::new(self.core.io.registry())?),
        };
        watch.watch(signal)
    }

    /// The loop's signal socket turned readable: runs the handlers of every signal that
    /// arrived, or stops the reactor for a SIGINT or SIGTERM no handler takes.
    pub(crate) fn signal_ready(&self) {
        let arrived = match &mut *self.core.signals.borrow_mut() {
            Some(watch) => watch.arrived(),
            None => return,
        };
        for signal in arrived {
            let handlers = self.core.signal_handlers.borrow().for_signal(signal);
            if handlers.is_empty() {
                if signal == libc::SIGINT || signal == libc::SIGTERM {
                    tracing::info!("received {}, shutting down", Signal::name_of(signal));
                    self.stop();
                }
                continue;
            }
            for handler in handlers {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| (handler.borrow_mut())())) {
                    let failure = Failure::from_panic("signal handler", payload);
                    tracing::error!(%failure, "a signal handler panicked");
                }
            }
        }
    }
}
