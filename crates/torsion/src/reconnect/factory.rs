//! [`ReconnectingClientFactory`]: a client factory that connects again, with exponential
//! backoff, whenever its connection fails or is lost.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use super::jitter;
use crate::time::{DelayedCall, ReactorTime, Scheduler};
use crate::{Address, ClientFactory, Connector, Failure};

/// Wraps a [`ClientFactory`] so that every failed attempt and every lost connection leads
/// to a new attempt after a growing delay (Twisted's `ReconnectingClientFactory`).
///
/// The delay starts at [`initial_delay`](ReconnectingClientFactory::initial_delay) (1 s),
/// is multiplied by [`factor`](ReconnectingClientFactory::factor) (e) before each retry,
/// capped at [`max_delay`](ReconnectingClientFactory::max_delay) (1 h), then drawn from a
/// normal distribution around itself with a relative spread of
/// [`jitter`](ReconnectingClientFactory::jitter) (0.1196), as Twisted does. A successful
/// connection resets it (`reset_delay`, called when the protocol is built).
/// [`max_retries`](ReconnectingClientFactory::max_retries) bounds the retries in a row;
/// [`stop_trying`](ReconnectingClientFactory::stop_trying) stops for good. Retries are
/// scheduled on the clock given to [`new`](ReconnectingClientFactory::new), so a test
/// drives them with a fake [`Clock`](crate::testing::Clock).
///
/// The wrapped factory hears every callback first, as usual. The value is a cheap handle:
/// keep a clone to call `stop_trying` after handing one to `connect_tcp`.
///
/// # Examples
///
/// ```no_run
/// use torsion::{Address, ClientFactory, Protocol, ReconnectingClientFactory, Reactor};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// struct Quiets;
/// impl ClientFactory for Quiets {
///     type Protocol = Quiet;
///     fn build_protocol(&mut self, _addr: Address) -> Option<Quiet> {
///         Some(Quiet)
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// let factory = ReconnectingClientFactory::new(Quiets, &reactor);
/// reactor.connect_tcp("127.0.0.1", 8000, factory.clone());
/// // Later: factory.stop_trying();
/// reactor.run()?;
/// # Ok::<(), torsion::Failure>(())
/// ```
pub struct ReconnectingClientFactory<F: ClientFactory> {
    factory: Rc<RefCell<F>>,
    state: Rc<Backoff>,
}

/// The retry state, shared by the handles.
struct Backoff {
    clock: Scheduler,
    initial_delay: Cell<Duration>,
    max_delay: Cell<Duration>,
    factor: Cell<f64>,
    jitter: Cell<f64>,
    max_retries: Cell<Option<u32>>,
    delay: Cell<Duration>,
    retries: Cell<u32>,
    continue_trying: Cell<bool>,
    pending: RefCell<Option<DelayedCall>>,
    connector: RefCell<Option<Connector>>,
    normal: RefCell<Box<dyn FnMut() -> f64>>,
}

impl<F: ClientFactory> ReconnectingClientFactory<F> {
    /// Wraps `factory`; retries are scheduled on `clock`.
    pub fn new(factory: F, clock: &impl ReactorTime) -> ReconnectingClientFactory<F> {
        let initial = Duration::from_secs(1);
        ReconnectingClientFactory {
            factory: Rc::new(RefCell::new(factory)),
            state: Rc::new(Backoff {
                clock: clock.scheduler(),
                initial_delay: Cell::new(initial),
                max_delay: Cell::new(Duration::from_secs(3600)),
                factor: Cell::new(std::f64::consts::E),
                jitter: Cell::new(0.119_626_564_72),
                max_retries: Cell::new(None),
                delay: Cell::new(initial),
                retries: Cell::new(0),
                continue_trying: Cell::new(true),
                pending: RefCell::default(),
                connector: RefCell::default(),
                normal: RefCell::new(Box::new(jitter::normal)),
            }),
        }
    }

    /// The first delay (and the delay after `reset_delay`): 1 s by default.
    pub fn initial_delay(self, delay: Duration) -> Self {
        self.state.initial_delay.set(delay);
        self.state.delay.set(delay);
        self
    }

    /// The longest delay: 3600 s by default.
    pub fn max_delay(self, delay: Duration) -> Self {
        self.state.max_delay.set(delay);
        self
    }

    /// What the delay is multiplied by before each retry: e by default.
    pub fn factor(self, factor: f64) -> Self {
        self.state.factor.set(factor);
        self
    }

    /// The delay's relative standard deviation (0 for none): 0.1196 by default.
    pub fn jitter(self, jitter: f64) -> Self {
        self.state.jitter.set(jitter);
        self
    }

    /// Gives up after this many retries in a row (`None`, the default: never).
    pub fn max_retries(self, retries: Option<u32>) -> Self {
        self.state.max_retries.set(retries);
        self
    }

    /// Where the jitter's standard normal numbers come from (tests make them fixed).
    pub fn normal_source(self, source: impl FnMut() -> f64 + 'static) -> Self {
        *self.state.normal.borrow_mut() = Box::new(source);
        self
    }

    /// The delay the next retry will wait (before its own growth and jitter).
    pub fn delay(&self) -> Duration {
        self.state.delay.get()
    }

    /// Retries made since the last successful connection.
    pub fn retries(&self) -> u32 {
        self.state.retries.get()
    }

    /// Whether a retry is scheduled.
    pub fn retry_pending(&self) -> bool {
        self.state
            .pending
            .borrow()
            .as_ref()
            .is_some_and(DelayedCall::active)
    }

    /// The wrapped factory.
    pub fn factory(&self) -> &Rc<RefCell<F>> {
        &self.factory
    }

    /// Back to the initial delay and no retries (called on each successful connection).
    pub fn reset_delay(&self) {
        let s = &self.state;
        s.delay.set(s.initial_delay.get());
        s.retries.set(0);
        s.continue_trying.set(true);
    }

    /// Stops for good: cancels a scheduled retry and stops an attempt in progress (which
    /// fails with [`UserError`](crate::error::UserError)). A connection that is up stays up.
    pub fn stop_trying(&self) {
        let s = &self.state;
        s.continue_trying.set(false);
        if let Some(call) = s.pending.borrow_mut().take() {
            let _ = call.cancel();
        }
        // Dropping the connector also ends the cycle connector → factory → connector.
        if let Some(connector) = s.connector.borrow_mut().take() {
            connector.stop_connecting();
        }
    }

    /// Schedules the next attempt of `connector`, unless told to stop or out of retries.
    fn retry(&self, connector: &Connector) {
        let s = &self.state;
        if !s.continue_trying.get() {
            return;
        }
        s.retries.set(s.retries.get() + 1);
        if s.max_retries.get().is_some_and(|max| s.retries.get() > max) {
            tracing::info!(
                destination = %connector.get_destination(),
                retries = s.retries.get() - 1,
                "abandoning reconnection"
            );
            s.connector.borrow_mut().take();
            return;
        }
        let grown = s.delay.get().as_secs_f64() * s.factor.get();
        let mut delay = grown.min(s.max_delay.get().as_secs_f64());
        s.delay.set(Duration::from_secs_f64(delay));
        if s.jitter.get() > 0.0 {
            let normal = (s.normal.borrow_mut())();
            delay = (delay + delay * s.jitter.get() * normal).max(0.0);
            s.delay.set(Duration::from_secs_f64(delay));
        }
        tracing::info!(
            destination = %connector.get_destination(),
            delay_secs = delay,
            "will retry"
        );
        let again = connector.clone();
        let state = self.state.clone();
        let call = s.clock.call_later(Duration::from_secs_f64(delay), move || {
            state.pending.borrow_mut().take();
            again.connect();
        });
        *s.pending.borrow_mut() = Some(call);
    }
}

impl<F: ClientFactory> Clone for ReconnectingClientFactory<F> {
    fn clone(&self) -> Self {
        ReconnectingClientFactory {
            factory: self.factory.clone(),
            state: self.state.clone(),
        }
    }
}

impl<F: ClientFactory> fmt::Debug for ReconnectingClientFactory<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReconnectingClientFactory")
            .field("delay", &self.state.delay.get())
            .field("retries", &self.state.retries.get())
            .field("continue_trying", &self.state.continue_trying.get())
            .finish()
    }
}

impl<F: ClientFactory> ClientFactory for ReconnectingClientFactory<F> {
    type Protocol = F::Protocol;

    fn build_protocol(&mut self, addr: Address) -> Option<F::Protocol> {
        let protocol = self.factory.borrow_mut().build_protocol(addr);
        if protocol.is_some() {
            self.reset_delay();
        }
        protocol
    }

    fn do_start(&mut self) {
        self.factory.borrow_mut().do_start();
    }

    fn do_stop(&mut self) {
        self.factory.borrow_mut().do_stop();
    }

    fn started_connecting(&mut self, connector: &Connector) {
        *self.state.connector.borrow_mut() = Some(connector.clone());
        self.factory.borrow_mut().started_connecting(connector);
    }

    fn client_connection_failed(&mut self, connector: &Connector, reason: &Failure) {
        self.factory
            .borrow_mut()
            .client_connection_failed(connector, reason);
        self.retry(connector);
    }

    fn client_connection_lost(&mut self, connector: &Connector, reason: &Failure) {
        self.factory
            .borrow_mut()
            .client_connection_lost(connector, reason);
        self.retry(connector);
    }
}
