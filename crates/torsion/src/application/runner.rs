//! [`Runner`]: runs an application on a reactor until a signal, and drains its
//! connections before the program exits.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use super::Service;
use crate::{
    DelayedCall, Failure, Phase, Reactor, ReactorTime, Signal, SignalHandlerId, SystemEvent,
    TriggerId,
};

/// How long a drain waits for live connections by default.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(10);

/// How often a drain looks whether the connections are gone.
const DRAIN_POLL: Duration = Duration::from_millis(20);

/// Runs a service (an [`Application`](super::Application)) on a reactor, with a graceful
/// drain on SIGTERM and SIGINT (Twisted's `twistd` stops the services and then the
/// reactor at once; the drain is torsion's own).
///
/// [`run`](Runner::run) starts the service and runs the reactor; it returns when the
/// reactor has stopped. On the first SIGTERM or SIGINT:
///
/// 1. the service is stopped at once, so its ports stop listening (no new connection is
///    accepted) and its timers and clients stop;
/// 2. the connections still open get the grace period to finish: when the last one has
///    closed and the service's stop Deferred has fired, the reactor stops;
/// 3. when the grace period is over, the reactor stops, which closes what is left at
///    once (each protocol gets `connection_lost` with
///    [`ConnectionLost`](crate::error::ConnectionLost)).
///
/// A second SIGTERM or SIGINT during the drain stops the reactor at once. Either way
/// `run` returns `Ok`: the program was told to stop and stopped. A
/// [`Reactor::stop`] from elsewhere stops the service too, without a drain.
///
/// The connections counted are every stream connection of the reactor
/// ([`Reactor::connection_count`]), incoming and outgoing.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use torsion::application::{server_service, Application, Runner};
/// use torsion::{Cx, Protocol, Reactor};
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// let app = Application::new("echo");
/// app.add_service(server_service(&reactor, "tcp:8000", |_peer| Some(Echo))?)?;
/// // kill -TERM: stop listening, give connections 5 s, close the rest, return.
/// Runner::new(&reactor, &app)?
///     .grace_period(Duration::from_secs(5))
///     .run()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Runner {
    reactor: Reactor,
    drain: Rc<Drain>,
    start: Rc<dyn Fn()>,
    handlers: Vec<SignalHandlerId>,
    trigger: TriggerId,
}

impl Runner {
    /// A runner of `service` on `reactor`, with the [`DEFAULT_GRACE_PERIOD`] (10 s).
    /// SIGTERM and SIGINT are caught from now on (one that arrives before
    /// [`run`](Runner::run) starts the drain as soon as the loop runs), until the runner
    /// is dropped.
    ///
    /// # Errors
    ///
    /// The OS error if the signal handlers cannot be installed.
    pub fn new<S: Service + Clone>(reactor: &Reactor, service: &S) -> Result<Runner, Failure> {
        let stopping = service.clone();
        let drain = Rc::new(Drain {
            reactor: reactor.clone(),
            grace_period: Cell::new(DEFAULT_GRACE_PERIOD),
            stop: Box::new(move || stopping.running().then(|| stopping.stop_service())),
            state: Cell::new(State::Running),
            stopped: Rc::new(Cell::new(false)),
            timers: RefCell::default(),
        });
        let mut handlers = Vec::new();
        for signal in [libc::SIGTERM, libc::SIGINT] {
            let d = drain.clone();
            match reactor.add_signal_handler(signal, move || d.signal(signal)) {
                Ok(id) => handlers.push(id),
                Err(failure) => {
                    for id in handlers {
                        reactor.remove_signal_handler(id);
                    }
                    return Err(failure);
                }
            }
        }
        let d = drain.clone();
        let trigger =
            reactor.add_system_event_trigger(Phase::Before, SystemEvent::Shutdown, move || {
                d.stop_service();
            });
        let starting = service.clone();
        Ok(Runner {
            reactor: reactor.clone(),
            drain,
            start: Rc::new(move || starting.start_service()),
            handlers,
            trigger,
        })
    }

    /// How long live connections may take to finish after the first signal.
    pub fn grace_period(self, grace_period: Duration) -> Runner {
        self.drain.grace_period.set(grace_period);
        self
    }

    /// Runs the reactor until it stops, starting the service once the loop runs (so a
    /// start that fails can stop the reactor; nothing if the service runs already, as
    /// when a program started it earlier to bind its ports), and drains on a signal as
    /// described above.
    ///
    /// # Errors
    ///
    /// The reactor's: its loop failed, or it is running already.
    pub fn run(&self) -> Result<(), Failure> {
        let start = self.start.clone();
        self.reactor.call_when_running(move || start());
        self.reactor.run()
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        for id in self.handlers.drain(..) {
            self.reactor.remove_signal_handler(id);
        }
        self.reactor.remove_system_event_trigger(self.trigger);
        self.drain.cancel_timers();
    }
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("grace_period", &self.drain.grace_period.get())
            .field("state", &self.drain.state.get())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Draining,
}

/// One run's drain: what a signal does.
struct Drain {
    reactor: Reactor,
    grace_period: Cell<Duration>,
    /// Stops the service once; `None` if it was not running.
    stop: Box<dyn Fn() -> Option<crate::defer::Deferred<()>>>,
    state: Cell<State>,
    /// The service's stop Deferred has fired.
    stopped: Rc<Cell<bool>>,
    timers: RefCell<Vec<DelayedCall>>,
}

impl Drain {
    fn signal(self: &Rc<Self>, signal: i32) {
        let name = Signal::name_of(signal);
        match self.state.replace(State::Draining) {
            State::Running => {
                self.stop_service();
                tracing::info!(
                    "received {name}: stopped listening; draining {} connection(s) for at most {:?}",
                    self.reactor.connection_count(),
                    self.grace_period.get()
                );
                let d = self.clone();
                let deadline = self.reactor.call_later(self.grace_period.get(), move || {
                    tracing::info!(
                        "grace period over: closing {} connection(s) still open",
                        d.reactor.connection_count()
                    );
                    d.reactor.stop();
                });
                self.timers.borrow_mut().push(deadline);
                self.poll();
            }
            State::Draining => {
                tracing::info!("received {name} again: stopping now");
                self.reactor.stop();
            }
        }
    }

    /// Stops the service if it runs, noting when its stop Deferred fires.
    fn stop_service(&self) {
        match (self.stop)() {
            Some(stopping) => {
                let stopped = self.stopped.clone();
                drop(stopping.add_both(move |outcome| {
                    if let Err(failure) = outcome {
                        tracing::warn!(%failure, "the services failed to stop");
                    }
                    stopped.set(true);
                    Ok(())
                }));
            }
            None => self.stopped.set(true),
        }
    }

    /// Stops the reactor once the service has stopped and no connection is left; looks
    /// again a little later otherwise.
    fn poll(self: &Rc<Self>) {
        if self.stopped.get() && self.reactor.connection_count() == 0 {
            tracing::info!("drained: every connection has closed");
            self.reactor.stop();
            return;
        }
        let d = self.clone();
        let next = self.reactor.call_later(DRAIN_POLL, move || d.poll());
        let mut timers = self.timers.borrow_mut();
        timers.retain(DelayedCall::active);
        timers.push(next);
    }

    fn cancel_timers(&self) {
        for call in self.timers.borrow_mut().drain(..) {
            let _ = call.cancel();
        }
    }
}
