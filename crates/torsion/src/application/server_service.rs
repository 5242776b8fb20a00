//! [`StreamServerEndpointService`]: a port that listens while the service runs (Twisted's
//! `internet.StreamServerEndpointService`), and [`server_service`] to make one from a
//! description.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use super::shared_factory::SharedFactory;
use super::Service;
use crate::defer::Deferred;
use crate::endpoints::{server_from_string, ServerEndpoint, ServerPort};
use crate::error::CancelledError;
use crate::{Factory, Failure, Reactor};

/// Listens on an endpoint while running (Twisted's `StreamServerEndpointService`).
///
/// [`start_service`](Service::start_service) listens with the factory;
/// [`stop_service`](Service::stop_service) stops listening, and its Deferred fires when
/// the port has stopped (the port's own `stop_listening` Deferred). Connections already
/// accepted are not closed. The service can be started again after a stop; every listen
/// shares the one factory.
///
/// # Listen failures
///
/// `start_service` does not report errors (a [`Service`] start returns nothing). When
/// listening fails (the port is taken, a permission is missing), the failure is logged
/// at `error` level with the endpoint, and [`listening`](Self::listening) fails with it;
/// the service stays running until stopped (as Twisted's, which logs the failure).
/// A program that must not run without its port waits on `listening()`.
///
/// # Examples
///
/// ```
/// use torsion::application::{server_service, Service};
/// use torsion::{Protocol, Reactor};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let reactor = Reactor::new()?;
/// let service = server_service(&reactor, "tcp:0:interface=127.0.0.1", |_peer| Some(Quiet))?;
/// service.start_service();
/// let port = service.listening().take_result().expect("listens inside start")?;
/// assert!(port.listening());
/// service.stop_service();
/// assert!(!port.listening());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct StreamServerEndpointService {
    inner: Rc<Inner>,
}

type Listen = Box<dyn Fn() -> Deferred<ServerPort>>;

struct Inner {
    what: String,
    listen: Listen,
    running: Cell<bool>,
    state: RefCell<State>,
    waiters: RefCell<Vec<Deferred<ServerPort>>>,
}

enum State {
    Idle,
    Pending(Deferred<ServerPort>),
    Listening(ServerPort),
    Failed(Failure),
}

/// A [`StreamServerEndpointService`] for the endpoint `description` names (see
/// [`server_from_string`]), serving connections with `factory`. It does not listen until
/// started.
///
/// # Errors
///
/// The description's error (a [`DescriptionError`](crate::endpoints::DescriptionError)
/// naming the bad part), at once.
///
/// # Examples
///
/// ```
/// use torsion::application::server_service;
/// use torsion::{Protocol, Reactor};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let reactor = Reactor::new()?;
/// let err = server_service(&reactor, "tcp:http", |_peer| Some(Quiet)).unwrap_err();
/// assert!(err.to_string().contains("\"http\""), "{err}");
/// # Ok::<(), torsion::Failure>(())
/// ```
pub fn server_service<F: Factory>(
    reactor: &Reactor,
    description: &str,
    factory: F,
) -> Result<StreamServerEndpointService, Failure> {
    let endpoint = server_from_string(reactor, description)?;
    Ok(StreamServerEndpointService::with_label(
        description.to_owned(),
        endpoint,
        factory,
    ))
}

impl StreamServerEndpointService {
    /// A stopped service that will listen on `endpoint` with `factory`.
    pub fn new<F: Factory>(endpoint: ServerEndpoint, factory: F) -> Self {
        StreamServerEndpointService::with_label(format!("{endpoint:?}"), endpoint, factory)
    }

    fn with_label<F: Factory>(what: String, endpoint: ServerEndpoint, factory: F) -> Self {
        let factory = SharedFactory::new(factory);
        StreamServerEndpointService {
            inner: Rc::new(Inner {
                what,
                listen: Box::new(move || endpoint.listen(factory.clone())),
                running: Cell::new(false),
                state: RefCell::new(State::Idle),
                waiters: RefCell::default(),
            }),
        }
    }

    /// The port, when listening: fires with it at once if the service listens, else as
    /// soon as it does. Fails with the listen failure if listening failed, and with
    /// [`CancelledError`] if the service stops before it listened.
    #[track_caller]
    pub fn listening(&self) -> Deferred<ServerPort> {
        match &*self.inner.state.borrow() {
            State::Listening(port) => return Deferred::succeed(port.clone()),
            State::Failed(failure) => return Deferred::fail(failure.clone()),
            State::Idle | State::Pending(_) => {}
        }
        let waiter = Deferred::new();
        self.inner.waiters.borrow_mut().push(waiter.clone());
        waiter
    }
}

impl Inner {
    fn settled(&self, outcome: Result<ServerPort, Failure>) {
        if !self.running.get() {
            if let Ok(port) = outcome {
                let _ = port.stop_listening();
            }
            return;
        }
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        match outcome {
            Ok(port) => {
                *self.state.borrow_mut() = State::Listening(port.clone());
                for waiter in waiters {
                    let _ = waiter.callback(port.clone());
                }
            }
            Err(failure) => {
                tracing::error!(endpoint = %self.what, %failure, "service could not listen");
                *self.state.borrow_mut() = State::Failed(failure.clone());
                for waiter in waiters {
                    let _ = waiter.errback(failure.clone());
                }
            }
        }
    }
}

impl Service for StreamServerEndpointService {
    fn start_service(&self) {
        if self.inner.running.replace(true) {
            return;
        }
        let attempt = (self.inner.listen)();
        *self.inner.state.borrow_mut() = State::Pending(attempt.clone());
        let weak = Rc::downgrade(&self.inner);
        drop(attempt.add_both(move |outcome| {
            if let Some(inner) = weak.upgrade() {
                inner.settled(outcome);
            }
            Ok(())
        }));
    }

    #[track_caller]
    fn stop_service(&self) -> Deferred<()> {
        self.inner.running.set(false);
        let waiters = std::mem::take(&mut *self.inner.waiters.borrow_mut());
        for waiter in waiters {
            let _ = waiter.errback(Failure::new(CancelledError));
        }
        let state = std::mem::replace(&mut *self.inner.state.borrow_mut(), State::Idle);
        match state {
            State::Listening(port) => port.stop_listening(),
            State::Pending(attempt) => {
                attempt.cancel();
                Deferred::succeed(())
            }
            State::Idle | State::Failed(_) => Deferred::succeed(()),
        }
    }

    fn running(&self) -> bool {
        self.inner.running.get()
    }
}

impl fmt::Debug for StreamServerEndpointService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &*self.inner.state.borrow() {
            State::Idle => "idle",
            State::Pending(_) => "pending",
            State::Listening(_) => "listening",
            State::Failed(_) => "failed",
        };
        f.debug_struct("StreamServerEndpointService")
            .field("endpoint", &self.inner.what)
            .field("running", &self.inner.running.get())
            .field("state", &state)
            .finish()
    }
}
