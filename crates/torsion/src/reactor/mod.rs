//! The [`Reactor`]: the event loop every connection, timer and descriptor runs on.

mod core;
mod fdset;
mod group;
mod io_driver;
mod lookup;
mod remote;
mod run;
mod signal_handlers;
mod signals;
mod tasks;
mod timer_driver;
mod timer_fd;
pub(crate) mod token;
mod triggers;

pub(crate) use self::core::ReactorCore;
pub use fdset::{Descriptor, FileDescriptor};
pub use group::{run_reactors, Peers};
pub(crate) use remote::RemoteCall;
pub use remote::ThreadHandle;
pub use signal_handlers::SignalHandlerId;
pub(crate) use signal_handlers::SignalHandlers;
pub use triggers::{Phase, SystemEvent, TriggerId};

use std::fmt;
use std::rc::Rc;

use crate::time::{ReactorTime, Scheduler};
use crate::Failure;

/// The event loop (Twisted's reactor): waits for sockets and timers and calls whatever
/// waits on them.
///
/// One reactor runs on one thread; it is not `Send`. `Reactor` is a cheap handle: clone it
/// into callbacks that need to schedule, connect or stop. Many cores are used by running
/// one reactor per thread.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use torsion::{Reactor, ReactorTime};
///
/// let reactor = Reactor::new()?;
/// let r = reactor.clone();
/// reactor.call_later(Duration::from_millis(10), move || r.stop());
/// reactor.run()?;
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct Reactor {
    pub(crate) core: Rc<ReactorCore>,
}

impl Reactor {
    /// A new reactor, not yet running.
    ///
    /// # Errors
    ///
    /// The OS error if the poller (epoll) or its waker cannot be created.
    pub fn new() -> std::io::Result<Reactor> {
        Ok(Reactor {
            core: Rc::new(ReactorCore::new()?),
        })
    }

    /// Whether the reactor is inside [`run`](Reactor::run).
    pub fn running(&self) -> bool {
        self.core.running.get()
    }

    /// Asks a running reactor to stop: the current iteration finishes, then the shutdown
    /// triggers run, every port stops listening and every connection is closed with
    /// [`ConnectionLost`](crate::error::ConnectionLost), and `run` returns. Calling it
    /// when the reactor is not running does nothing.
    pub fn stop(&self) {
        if self.running() {
            self.core.stop_requested.set(true);
        } else {
            tracing::debug!("stop() called on a reactor that is not running");
        }
    }

    /// Calls `f` once the reactor is running: at once if it already is, otherwise right
    /// after `run` starts (an `After` `Startup` trigger).
    pub fn call_when_running(&self, f: impl FnOnce() + 'static) {
        if self.running() {
            triggers::run_guarded("call_when_running", Box::new(f));
        } else {
            self.add_system_event_trigger(Phase::After, SystemEvent::Startup, f);
        }
    }

    /// Runs `f` in `phase` of `event`; triggers of one phase run in the order added.
    pub fn add_system_event_trigger(
        &self,
        phase: Phase,
        event: SystemEvent,
        f: impl FnOnce() + 'static,
    ) -> TriggerId {
        self.core
            .triggers
            .borrow_mut()
            .add(phase, event, Box::new(f))
    }

    /// Removes a trigger that has not run; returns whether it was there.
    pub fn remove_system_event_trigger(&self, id: TriggerId) -> bool {
        self.core.triggers.borrow_mut().remove(id)
    }

    /// Whether `run` installs SIGINT and SIGTERM handlers that stop the reactor (default
    /// `true`). They are removed when `run` returns. Handlers added with
    /// [`add_signal_handler`](Reactor::add_signal_handler) are installed either way.
    pub fn set_install_signal_handlers(&self, install: bool) {
        self.core.install_signal_handlers.set(install);
    }

    /// A `Send` handle other threads can use to call into this reactor.
    pub fn thread_handle(&self) -> ThreadHandle {
        ThreadHandle {
            remote: self.core.remote.clone(),
        }
    }

    /// One of this reactor's descriptors was closed: what waits for one (a listening port
    /// that ran out of descriptors) tries again now.
    pub(crate) fn descriptor_freed(&self) {
        self.core.listeners.retry_starved();
    }

    /// How many stream connections (TCP, pipes) are open, or being opened, on this
    /// reactor.
    pub fn connection_count(&self) -> usize {
        self.core.streams.len()
    }
}

impl ReactorTime for Reactor {
    fn scheduler(&self) -> Scheduler {
        self.core.timers.scheduler().clone()
    }

    fn seconds(&self) -> f64 {
        self.core.timers.scheduler().seconds()
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("running", &self.running())
            .field("connections", &self.connection_count())
            .finish()
    }
}

/// The result type of reactor operations: the error is a [`Failure`].
pub type Result<T, E = Failure> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::time::Duration;

    fn quiet_reactor() -> Reactor {
        let reactor = Reactor::new().unwrap();
        reactor.set_install_signal_handlers(false);
        reactor
    }

    #[test]
    fn another_thread_can_stop_the_reactor() {
        let reactor = quiet_reactor();
        let handle = reactor.thread_handle();
        reactor.call_when_running(move || {
            std::thread::spawn(move || handle.stop());
        });
        let r = reactor.clone();
        let guard = reactor.call_later(Duration::from_secs(10), move || r.stop());
        reactor.run().unwrap();
        assert!(guard.active(), "stopped by the thread, not by the guard");
    }

    #[test]
    fn shutdown_triggers_run_in_phase_order() {
        let reactor = quiet_reactor();
        let log = Rc::new(RefCell::new(Vec::new()));
        for (phase, name) in [
            (Phase::After, "after"),
            (Phase::Before, "before"),
            (Phase::During, "during"),
        ] {
            let l = log.clone();
            reactor.add_system_event_trigger(phase, SystemEvent::Shutdown, move || {
                l.borrow_mut().push(name)
            });
        }
        let l = log.clone();
        let removed =
            reactor.add_system_event_trigger(Phase::Before, SystemEvent::Shutdown, move || {
                l.borrow_mut().push("removed")
            });
        assert!(reactor.remove_system_event_trigger(removed));
        let (l, r) = (log.clone(), reactor.clone());
        reactor.call_when_running(move || {
            l.borrow_mut().push("running");
            r.stop();
        });
        reactor.run().unwrap();
        assert_eq!(*log.borrow(), ["running", "before", "during", "after"]);
        assert!(!reactor.running());
    }

    #[test]
    fn run_inside_run_is_refused() {
        let reactor = quiet_reactor();
        let outcome = Rc::new(RefCell::new(None));
        let (o, r) = (outcome.clone(), reactor.clone());
        reactor.call_when_running(move || {
            *o.borrow_mut() = Some(r.run().unwrap_err());
            r.stop();
        });
        reactor.run().unwrap();
        let err = outcome.borrow_mut().take().expect("nested run returned");
        assert!(err.check::<crate::error::ReactorAlreadyRunning>());
    }
}
