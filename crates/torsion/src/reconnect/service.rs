//! [`ClientService`]: keeps one connection up through an endpoint.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use super::jitter;
use crate::defer::Deferred;
use crate::endpoints::ClientEndpoint;
use crate::error::CancelledError;
use crate::time::{DelayedCall, ReactorTime, Scheduler};
use crate::{Factory, Failure, Protocol, ProtocolHandle};

/// How long to wait before attempt `n` after `n` failures in a row.
pub type RetryPolicy = Box<dyn Fn(u32) -> Duration>;

/// Twisted's default policy: `min(1 s × 1.5ⁿ, 60 s)` plus up to a second of random jitter.
pub fn default_retry_policy() -> RetryPolicy {
    Box::new(|failures| {
        let base = (1.5f64.powi(failures.min(64) as i32)).min(60.0);
        Duration::from_secs_f64(base + jitter::uniform())
    })
}

/// Keeps one connection to an endpoint up (Twisted's `ClientService`): connects when
/// started, connects again (after a [`RetryPolicy`] delay) when an attempt fails or the
/// connection is lost, until stopped.
///
/// [`when_connected`](ClientService::when_connected) gives the current connection's
/// protocol handle, at once or as soon as there is one;
/// [`stop_service`](ClientService::stop_service) cancels the attempt or the wait in
/// progress, closes the connection, and fails the callers still waiting with
/// [`CancelledError`]. Delays run on the clock given to [`new`](ClientService::new).
/// The value is a cheap handle.
///
/// # Examples
///
/// ```no_run
/// use torsion::endpoints::TcpClientEndpoint;
/// use torsion::{ClientService, Cx, Protocol, Reactor};
///
/// struct Ping;
/// impl Ping {
///     fn ping(&mut self, cx: &mut Cx<Self>) {
///         cx.transport().write(b"ping\n");
///     }
/// }
/// impl Protocol for Ping {}
///
/// let reactor = Reactor::new()?;
/// let endpoint = TcpClientEndpoint::new(&reactor, "127.0.0.1", 8000).into();
/// let service = ClientService::new(endpoint, |_addr| Some(Ping), &reactor);
/// service.start_service();
/// service.when_connected().add_callback(|handle| Ok(handle.with(|p, cx| p.ping(cx))));
/// reactor.run()?;
/// # Ok::<(), torsion::Failure>(())
/// ```
pub struct ClientService<P: Protocol> {
    inner: Rc<Service<P>>,
}

type Connect<P> = Box<dyn Fn(Rc<dyn Fn(&Failure)>) -> Deferred<ProtocolHandle<P>>>;

enum State<P: Protocol> {
    Stopped,
    Connecting(Deferred<ProtocolHandle<P>>),
    Connected(ProtocolHandle<P>),
    Waiting(DelayedCall),
}

struct Service<P: Protocol> {
    connect: Connect<P>,
    clock: Scheduler,
    policy: RefCell<RetryPolicy>,
    state: RefCell<State<P>>,
    running: Cell<bool>,
    failures: Cell<u32>,
    waiters: RefCell<Vec<Deferred<ProtocolHandle<P>>>>,
    /// Fired when the connection being closed by `stop_service` is gone.
    stopped: RefCell<Option<Deferred<()>>>,
}

impl<P: Protocol> ClientService<P> {
    /// A service that will connect `endpoint` with `factory`, waiting on `clock`. It does
    /// nothing until [`start_service`](ClientService::start_service).
    pub fn new<F>(
        endpoint: ClientEndpoint,
        factory: F,
        clock: &impl ReactorTime,
    ) -> ClientService<P>
    where
        F: Factory<Protocol = P>,
    {
        let factory = Rc::new(RefCell::new(factory));
        let connect: Connect<P> =
            Box::new(move |on_lost| endpoint.connect_watched(factory.clone(), on_lost));
        ClientService {
            inner: Rc::new(Service {
                connect,
                clock: clock.scheduler(),
                policy: RefCell::new(default_retry_policy()),
                state: RefCell::new(State::Stopped),
                running: Cell::new(false),
                failures: Cell::new(0),
                waiters: RefCell::default(),
                stopped: RefCell::default(),
            }),
        }
    }

    /// Waits `policy(n)` before the attempt after `n` failures in a row.
    pub fn retry_policy(self, policy: impl Fn(u32) -> Duration + 'static) -> Self {
        *self.inner.policy.borrow_mut() = Box::new(policy);
        self
    }

    /// Starts connecting (nothing if running).
    pub fn start_service(&self) {
        if self.inner.running.replace(true) {
            return;
        }
        Service::attempt(&self.inner);
    }

    /// Whether the service is started.
    pub fn running(&self) -> bool {
        self.inner.running.get()
    }

    /// The connected protocol's handle: at once if connected, else when a connection is
    /// made. Fails with [`CancelledError`] if the service stops first; cancelling it
    /// withdraws this one request.
    #[track_caller]
    pub fn when_connected(&self) -> Deferred<ProtocolHandle<P>> {
        if let State::Connected(handle) = &*self.inner.state.borrow() {
            return Deferred::succeed(handle.clone());
        }
        let service = Rc::downgrade(&self.inner);
        let waiter = Deferred::with_canceller(move |me: &Deferred<ProtocolHandle<P>>| {
            if let Some(service) = service.upgrade() {
                let chain = me.clone();
                service
                    .waiters
                    .borrow_mut()
                    .retain(|w| !w.same_chain(&chain));
            }
        });
        self.inner.waiters.borrow_mut().push(waiter.clone());
        waiter
    }

    /// Stops: cancels the attempt or the wait under way, closes the connection (the
    /// Deferred fires once it is closed, at once if there was none), and fails every
    /// [`when_connected`](ClientService::when_connected) still waiting.
    #[track_caller]
    pub fn stop_service(&self) -> Deferred<()> {
        let inner = &self.inner;
        inner.running.set(false);
        let waiters = std::mem::take(&mut *inner.waiters.borrow_mut());
        for waiter in waiters {
            let _ = waiter.errback(Failure::new(CancelledError));
        }
        let state = std::mem::replace(&mut *inner.state.borrow_mut(), State::Stopped);
        match state {
            State::Stopped => Deferred::succeed(()),
            State::Waiting(call) => {
                let _ = call.cancel();
                Deferred::succeed(())
            }
            State::Connecting(attempt) => {
                attempt.cancel();
                Deferred::succeed(())
            }
            State::Connected(handle) => {
                let done = Deferred::new();
                *inner.stopped.borrow_mut() = Some(done.clone());
                handle.transport().lose_connection();
                done
            }
        }
    }
}

impl<P: Protocol> Service<P> {
    fn attempt(me: &Rc<Self>) {
        let weak = Rc::downgrade(me);
        let on_lost: Rc<dyn Fn(&Failure)> = Rc::new(move |reason: &Failure| {
            if let Some(service) = weak.upgrade() {
                Service::lost(&service, reason);
            }
        });
        let attempt = (me.connect)(on_lost);
        *me.state.borrow_mut() = State::Connecting(attempt.clone());
        let weak = Rc::downgrade(me);
        drop(attempt.add_both(move |outcome| {
            if let Some(service) = weak.upgrade() {
                Service::settled(&service, outcome);
            }
            Ok(())
        }));
    }

    fn settled(me: &Rc<Self>, outcome: Result<ProtocolHandle<P>, Failure>) {
        if !me.running.get() {
            return;
        }
        match outcome {
            Ok(handle) => {
                me.failures.set(0);
                *me.state.borrow_mut() = State::Connected(handle.clone());
                let waiters = std::mem::take(&mut *me.waiters.borrow_mut());
                for waiter in waiters {
                    let _ = waiter.callback(handle.clone());
                }
            }
            Err(failure) => {
                tracing::info!(%failure, "connection attempt failed; will retry");
                let failures = me.failures.get() + 1;
                me.failures.set(failures);
                Service::wait(me, failures);
            }
        }
    }

    fn lost(me: &Rc<Self>, reason: &Failure) {
        if let Some(done) = me.stopped.borrow_mut().take() {
            let _ = done.callback(());
            return;
        }
        if !me.running.get() {
            return;
        }
        tracing::info!(%reason, "connection lost; will reconnect");
        Service::wait(me, 0);
    }

    fn wait(me: &Rc<Self>, failures: u32) {
        let delay = (me.policy.borrow())(failures);
        let weak = Rc::downgrade(me);
        let call = me.clock.call_later(delay, move || {
            if let Some(service) = weak.upgrade() {
                if service.running.get() {
                    Service::attempt(&service);
                }
            }
        });
        *me.state.borrow_mut() = State::Waiting(call);
    }
}

impl<P: Protocol> Clone for ClientService<P> {
    fn clone(&self) -> Self {
        ClientService {
            inner: self.inner.clone(),
        }
    }
}

impl<P: Protocol> fmt::Debug for ClientService<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &*self.inner.state.borrow() {
            State::Stopped => "stopped",
            State::Connecting(_) => "connecting",
            State::Connected(_) => "connected",
            State::Waiting(_) => "waiting to retry",
        };
        f.debug_struct("ClientService")
            .field("state", &state)
            .field("failures", &self.inner.failures.get())
            .finish()
    }
}
