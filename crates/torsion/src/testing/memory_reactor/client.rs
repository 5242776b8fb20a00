//! The client side of a [`MemoryReactor`](super::MemoryReactor): what `connect_tcp` recorded
//! ([`TcpClientRecord`]), and the connector on which a test plays how each attempt went
//! ([`MemoryConnector`]).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::{ErasedFactory, State, TcpEvent};
use crate::error::{NoProtocol, UserError};
use crate::factory::caught;
use crate::protocol::DynProtocol;
use crate::reactor_api::ConnectorHandle;
use crate::tcp::{ConnectorBackend, ConnectorState, Phase};
use crate::testing::{ProtocolHarness, StringTransport};
use crate::time::{DelayedCall, ReactorTime};
use crate::{
    Address, ClientFactory, ConnectOptions, Connector, Destination, Failure, Protocol, Transport,
};

/// The connector behind a [`MemoryConnector`] and behind the [`Connector`] its factory
/// receives: the same bookkeeping as the real reactor's, with the socket work played by
/// the test.
struct MemoryClient {
    index: usize,
    reactor: Weak<State>,
    factory: ErasedFactory,
    state: ConnectorState,
    /// The bookkeeping's number for the attempt being played.
    playing: Cell<u64>,
    /// Attempts started: the first, and one per retry.
    attempts: Cell<u32>,
    /// The start of the attempt being played, until it runs.
    pending_start: RefCell<Option<DelayedCall>>,
    /// The connection's transport, from the moment it connected until it was lost.
    transport: RefCell<Option<StringTransport>>,
    /// The connection's protocol, from `connection_made` until it was lost.
    protocol: RefCell<Option<Box<dyn DynProtocol>>>,
    stopped_connecting: Cell<bool>,
    disconnected: Cell<bool>,
}

impl MemoryClient {
    /// The handle the factory's callbacks receive.
    fn handle(self: &Rc<Self>) -> Connector {
        Connector::new(self.clone())
    }

    fn record(&self, event: TcpEvent) {
        if let Some(state) = self.reactor.upgrade() {
            state.record(event);
        }
    }

    /// Counts attempt `attempt` and starts it from the clock, with no delay, as the real
    /// reactor starts it from the loop.
    fn schedule_start(self: &Rc<Self>, state: &State, attempt: u64) {
        self.playing.set(attempt);
        self.attempts.set(self.attempts.get() + 1);
        let me = self.clone();
        let call = state
            .clock
            .call_later(Duration::ZERO, move || me.start(attempt));
        *self.pending_start.borrow_mut() = Some(call);
    }

    fn start(self: &Rc<Self>, attempt: u64) {
        self.pending_start.borrow_mut().take();
        self.state.begin(&self.handle(), attempt);
    }

    /// Runs the start of the attempt being played now if the clock has not yet: an
    /// outcome comes after the start, as it would from the loop.
    fn start_now(self: &Rc<Self>) {
        let pending = self.pending_start.borrow_mut().take();
        if let Some(call) = pending {
            let _ = call.cancel();
            self.start(self.playing.get());
        }
    }

    /// Starts the attempt being played if need be, and checks it is still in progress.
    ///
    /// # Panics
    ///
    /// If it is not: none was started, it already ended, or it was stopped.
    fn attempt_in_progress(self: &Rc<Self>, outcome: &str) {
        self.start_now();
        assert!(
            self.state.is_current(self.playing.get()),
            "{outcome}: no attempt to connect to {} is in progress",
            self.state.destination()
        );
    }

    /// The attempt failed: the factory hears of it (unless it is no longer connecting).
    fn fail(self: &Rc<Self>, reason: &Failure) {
        if self.state.phase() == Phase::Connecting {
            self.state.report_failed(&self.handle(), reason);
        }
    }

    /// `stop_connecting`, unrecorded: the failure comes from the clock.
    fn abandon(self: &Rc<Self>) {
        if !self.state.request_stop() {
            return;
        }
        let Some(state) = self.reactor.upgrade() else {
            return;
        };
        let me = self.clone();
        state
            .clock
            .call_later(Duration::ZERO, move || me.fail(&Failure::new(UserError)));
    }

    fn succeed<P: Protocol>(
        self: &Rc<Self>,
        transport: &StringTransport,
    ) -> Result<ProtocolHarness<P>, Failure> {
        self.attempt_in_progress("connection_succeeded");
        let build = self.factory.builder::<P>();
        let scheduler = match self.reactor.upgrade() {
            Some(state) => state.clock.scheduler(),
            None => panic!("connection_succeeded: the MemoryReactor is gone"),
        };
        self.state.set_connected();
        *self.transport.borrow_mut() = Some(transport.clone());
        let peer = transport.transport().get_peer();
        let Some(protocol) = caught("build_protocol", || build(peer)).flatten() else {
            self.transport.borrow_mut().take();
            self.state.declined();
            let reason = Failure::new(NoProtocol);
            self.fail(&reason);
            return Err(reason);
        };
        let connector = MemoryConnector {
            client: self.clone(),
        };
        let harness = ProtocolHarness::bind(protocol, transport, scheduler, Some(connector));
        *self.protocol.borrow_mut() = Some(harness.dyn_protocol());
        harness.connection_made()?;
        Ok(harness)
    }

    /// As `succeed`, for a protocol whose type the test cannot name (an endpoint's own):
    /// the protocol is kept here and driven through the connector.
    fn succeed_unnamed(self: &Rc<Self>, transport: &StringTransport) -> Result<(), Failure> {
        self.attempt_in_progress("connection_made");
        let scheduler = match self.reactor.upgrade() {
            Some(state) => state.clock.scheduler(),
            None => panic!("connection_made: the MemoryReactor is gone"),
        };
        self.state.set_connected();
        *self.transport.borrow_mut() = Some(transport.clone());
        let peer = transport.transport().get_peer();
        let bind = self.factory.binder();
        let built = caught("build_protocol", || {
            bind(peer, transport.transport(), scheduler)
        });
        let Some(protocol) = built.flatten() else {
            self.transport.borrow_mut().take();
            self.state.declined();
            let reason = Failure::new(NoProtocol);
            self.fail(&reason);
            return Err(reason);
        };
        let made = protocol.connection_made();
        *self.protocol.borrow_mut() = Some(protocol);
        if let Err(reason) = &made {
            transport.transport().abort_for_panic(reason.clone());
        }
        made
    }

    /// Delivers `data` to the protocol of the connection that is up.
    fn deliver(&self, data: &[u8]) -> Result<(), Failure> {
        let protocol = self.protocol.borrow();
        let Some(protocol) = protocol.as_ref() else {
            panic!(
                "data_received: no connection to {} is up",
                self.state.destination()
            );
        };
        protocol.data_received(data)
    }

    fn lose(self: &Rc<Self>, reason: Failure) {
        let transport = self.transport.borrow_mut().take();
        let protocol = self.protocol.borrow_mut().take();
        let (Some(transport), Some(protocol)) = (transport, protocol) else {
            panic!(
                "connection_lost: no connection to {} is up",
                self.state.destination()
            );
        };
        transport.set_connected(false);
        protocol.connection_lost(&reason);
        drop(protocol);
        self.state.report_lost(&self.handle(), &reason);
    }
}

impl ConnectorBackend for MemoryClient {
    fn destination(&self) -> &Destination {
        self.state.destination()
    }

    fn phase(&self) -> Phase {
        self.state.phase()
    }

    fn connect(self: Rc<Self>) {
        let Some(state) = self.reactor.upgrade() else {
            return;
        };
        let Some(attempt) = self.state.start_attempt() else {
            return;
        };
        state.record(TcpEvent::Reconnect {
            client: self.index,
            attempt: self.attempts.get() + 1,
        });
        self.schedule_start(&state, attempt);
    }

    fn stop_connecting(self: Rc<Self>) {
        self.record(TcpEvent::StopConnecting { client: self.index });
        self.stopped_connecting.set(true);
        self.abandon();
    }

    fn disconnect(self: Rc<Self>) {
        self.record(TcpEvent::Disconnect { client: self.index });
        self.disconnected.set(true);
        match self.state.phase() {
            Phase::Connecting => self.abandon(),
            Phase::Connected => {
                if let Some(t) = self.transport() {
                    t.lose_connection();
                }
            }
            Phase::Disconnected => {}
        }
    }

    fn transport(&self) -> Option<Transport> {
        self.transport
            .borrow()
            .as_ref()
            .map(StringTransport::transport)
    }
}

/// Records a `connect_tcp` call on the reactor whose state is `state`, and starts its
/// first attempt from the clock.
pub(super) fn connect<F: ClientFactory>(
    state: &Rc<State>,
    host: &str,
    port: u16,
    factory: F,
    options: ConnectOptions,
) -> MemoryConnector {
    let index = state.clients.borrow().len();
    let destination = Destination {
        host: host.to_string(),
        port,
    };
    let factory = Rc::new(RefCell::new(factory));
    let client = Rc::new(MemoryClient {
        index,
        reactor: Rc::downgrade(state),
        factory: ErasedFactory::client(&factory),
        state: ConnectorState::new(destination.clone(), factory),
        playing: Cell::new(0),
        attempts: Cell::new(0),
        pending_start: RefCell::new(None),
        transport: RefCell::new(None),
        protocol: RefCell::new(None),
        stopped_connecting: Cell::new(false),
        disconnected: Cell::new(false),
    });
    state.clients.borrow_mut().push(TcpClientRecord {
        host: host.to_string(),
        port,
        timeout: options.timeout,
        bind_address: options.bind_address,
        client: client.clone(),
    });
    state.record(TcpEvent::Connect {
        client: index,
        destination,
    });
    if let Some(attempt) = client.state.start_attempt() {
        client.schedule_start(state, attempt);
    }
    MemoryConnector { client }
}

/// What one `connect_tcp` call on a [`MemoryReactor`](super::MemoryReactor) asked for (Twisted's
/// `MemoryReactor.tcpClients` entries), the factory it was given, and its connector.
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// use std::time::Duration;
/// use torsion::testing::MemoryReactor;
/// use torsion::{ClientFactory, ConnectOptions, Protocol, ReactorTcp};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// struct Once;
/// impl ClientFactory for Once {
///     type Protocol = Quiet;
///     fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Quiet> {
///         Some(Quiet)
///     }
/// }
///
/// let reactor = MemoryReactor::new();
/// let options = ConnectOptions { timeout: Some(Duration::from_secs(3)), bind_address: None };
/// reactor.connect_tcp_with("db.internal", 5432, Once, options);
/// let record = &reactor.tcp_clients()[0];
/// assert_eq!((record.host.as_str(), record.port), ("db.internal", 5432));
/// assert_eq!(record.timeout, Some(Duration::from_secs(3)));
/// assert!(record.factory::<Once>().is_some());
/// assert_eq!(record.connector().attempts(), 1);
/// ```
#[derive(Clone)]
pub struct TcpClientRecord {
    /// The host name or address asked for.
    pub host: String,
    /// The port asked for.
    pub port: u16,
    /// The connect timeout asked for (recorded, not enforced: see [`MemoryReactor`](super::MemoryReactor)).
    pub timeout: Option<Duration>,
    /// The local address to bind first, if one was asked for.
    pub bind_address: Option<SocketAddr>,
    client: Rc<MemoryClient>,
}

impl TcpClientRecord {
    /// The factory as it was given, if it is an `F` (a factory passed as
    /// `Rc<RefCell<G>>` is an `F = Rc<RefCell<G>>`; keeping a clone of your own is simpler).
    pub fn factory<F: 'static>(&self) -> Option<Rc<RefCell<F>>> {
        self.client.factory.factory::<F>()
    }

    /// Asks the factory for the protocol of an established connection to `peer`, as the
    /// reactor would once connected; `None` means the factory declined. Only the
    /// factory's `build_protocol` runs: no other callback, and the connector's state does
    /// not change (to play the whole connection, use
    /// [`MemoryConnector::connection_succeeded`]).
    ///
    /// # Panics
    ///
    /// As [`TcpServerRecord::build_protocol`](super::TcpServerRecord::build_protocol).
    pub fn build_protocol<P: 'static>(&self, peer: impl Into<Address>) -> Option<P> {
        self.client.factory.build_protocol(peer.into())
    }

    /// The connector `connect_tcp` returned, on which the test plays each attempt's
    /// outcome.
    pub fn connector(&self) -> MemoryConnector {
        MemoryConnector {
            client: self.client.clone(),
        }
    }
}

impl fmt::Debug for TcpClientRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpClientRecord")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("timeout", &self.timeout)
            .field("bind_address", &self.bind_address)
            .field("factory", &self.client.factory.factory_type)
            .finish()
    }
}

/// The connector a [`MemoryReactor`](super::MemoryReactor) hands out: nothing connects; the test plays how each
/// attempt goes, and the factory hears it as it would from the real reactor.
///
/// It and the [`Connector`] the factory's callbacks receive (see
/// [`connector`](MemoryConnector::connector)) are two handles to one connector, kept by
/// the same rules as the real one:
///
/// - Each attempt starts from the reactor's clock with no delay (the factory hears
///   `do_start`, before the first attempt only, then `started_connecting`), so on the
///   next [`MemoryReactor::advance`](super::MemoryReactor::advance); or at once when the test plays the attempt's
///   outcome first.
/// - The test plays the outcome of the attempt in progress with
///   [`connection_succeeded`](MemoryConnector::connection_succeeded) or
///   [`connection_failed`](MemoryConnector::connection_failed), and the end of a
///   connection with [`connection_lost`](MemoryConnector::connection_lost). These call
///   the factory (and protocol) at once: the test is the loop.
/// - `connect()` (on the [`Connector`], typically from `client_connection_failed` or
///   `client_connection_lost`) starts a new attempt, recorded as
///   [`TcpEvent::Reconnect`] and counted by [`attempts`](MemoryConnector::attempts);
///   `do_stop` follows a failure or loss only when no new attempt was started.
/// - `stop_connecting()` during an attempt makes it fail with
///   [`UserError`](crate::error::UserError), from the clock with no delay (after
///   `started_connecting` if the attempt had not started); `disconnect()` does the same
///   while connecting, and calls `lose_connection` on the transport while connected
///   (play [`connection_lost`](MemoryConnector::connection_lost) to finish the close).
///
/// # Examples
///
/// A client that greets the server, and whose factory hears the connection end:
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use torsion::error::ConnectionDone;
/// use torsion::testing::{MemoryReactor, StringTransport};
/// use torsion::{ClientFactory, Connector, Cx, Failure, Protocol, ReactorTcp};
///
/// struct Hello;
/// impl Protocol for Hello {
///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
///         cx.transport().write(b"hello\n");
///     }
/// }
///
/// #[derive(Default)]
/// struct Log(Vec<String>);
/// impl ClientFactory for Log {
///     type Protocol = Hello;
///     fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Hello> {
///         Some(Hello)
///     }
///     fn started_connecting(&mut self, _c: &Connector) {
///         self.0.push("started".into());
///     }
///     fn client_connection_lost(&mut self, _c: &Connector, reason: &Failure) {
///         self.0.push(format!("lost: {reason}"));
///     }
/// }
///
/// let reactor = MemoryReactor::new();
/// let log = Rc::new(RefCell::new(Log::default()));
/// let connector = reactor.connect_tcp("example.org", 7, log.clone());
///
/// let st = StringTransport::new();
/// let _h = connector.connection_succeeded::<Hello>(&st)?;
/// assert_eq!(st.value(), b"hello\n");
/// connector.connection_lost(Failure::new(ConnectionDone));
/// assert_eq!(log.borrow().0.len(), 2);
/// assert!(log.borrow().0[1].starts_with("lost: "));
/// # Ok::<(), Failure>(())
/// ```
#[derive(Clone)]
pub struct MemoryConnector {
    client: Rc<MemoryClient>,
}

impl MemoryConnector {
    /// Where the connection was to go, as given.
    pub fn get_destination(&self) -> Destination {
        self.client.state.destination().clone()
    }

    /// The [`Connector`] the factory's callbacks receive: the same connector.
    pub fn connector(&self) -> Connector {
        self.client.handle()
    }

    /// [`Connector::connect`]: starts a new attempt if disconnected.
    pub fn connect(&self) {
        self.connector().connect();
    }

    /// [`Connector::stop_connecting`]; recorded as [`TcpEvent::StopConnecting`].
    pub fn stop_connecting(&self) {
        self.connector().stop_connecting();
    }

    /// [`Connector::disconnect`]; recorded as [`TcpEvent::Disconnect`].
    pub fn disconnect(&self) {
        self.connector().disconnect();
    }

    /// [`Connector::transport`]: the transport given to
    /// [`connection_succeeded`](MemoryConnector::connection_succeeded), until the
    /// connection is lost.
    pub fn transport(&self) -> Option<Transport> {
        self.client.transport()
    }

    /// Whether `stop_connecting` was ever called on this connector.
    pub fn stopped_connecting(&self) -> bool {
        self.client.stopped_connecting.get()
    }

    /// Whether `disconnect` was ever called on this connector.
    pub fn disconnected(&self) -> bool {
        self.client.disconnected.get()
    }

    /// How many attempts were started: 1 for `connect_tcp`'s, plus one per retry.
    pub fn attempts(&self) -> u32 {
        self.client.attempts.get()
    }

    /// Plays the attempt in progress connecting over `transport`, as the real connector
    /// does once its socket connected: the factory's `build_protocol` gets the
    /// transport's peer address, and the protocol is connected to `transport` (its
    /// `connection_made` runs, its timers run on the reactor's clock). The attempt's start
    /// runs first if the clock has not run it yet.
    ///
    /// The returned harness drives the protocol; its
    /// [`connection_lost`](ProtocolHarness::connection_lost) is this connector's
    /// [`connection_lost`](MemoryConnector::connection_lost).
    ///
    /// # Errors
    ///
    /// [`NoProtocol`] if `build_protocol` returned `None` (or panicked, which is logged):
    /// the factory has then heard `client_connection_failed` with it, as from the real
    /// connector. The panic of `connection_made`, as a failure: the transport is aborted
    /// and the connection is still up (play `connection_lost` to end it).
    ///
    /// # Panics
    ///
    /// If no attempt is in progress (none was started since the last outcome, or it was
    /// stopped), if the factory builds another protocol type than `P` (the message names
    /// both), or if the reactor was dropped.
    pub fn connection_succeeded<P: Protocol>(
        &self,
        transport: &StringTransport,
    ) -> Result<ProtocolHarness<P>, Failure> {
        self.client.succeed(transport)
    }

    /// Plays the attempt in progress connecting to `transport`, for a factory whose protocol
    /// type the test cannot name (an endpoint's): as
    /// [`connection_succeeded`](MemoryConnector::connection_succeeded), but the protocol is
    /// kept by the connector; feed it with [`data_received`](MemoryConnector::data_received)
    /// and end it with [`connection_lost`](MemoryConnector::connection_lost).
    ///
    /// # Errors
    ///
    /// As [`connection_succeeded`](MemoryConnector::connection_succeeded).
    ///
    /// # Panics
    ///
    /// If no attempt is in progress.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use torsion::endpoints::TcpClientEndpoint;
    /// use torsion::testing::{MemoryReactor, StringTransport};
    /// use torsion::{Cx, Protocol};
    ///
    /// struct Hello;
    /// impl Protocol for Hello {
    ///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
    ///         cx.transport().write(b"hello");
    ///     }
    /// }
    ///
    /// let reactor = MemoryReactor::new();
    /// let connected = TcpClientEndpoint::new(&reactor, "example.org", 80).connect(|_| Some(Hello));
    /// let st = StringTransport::new();
    /// reactor.tcp_clients()[0].connector().connection_made(&st)?;
    /// reactor.advance(Duration::ZERO);
    /// assert!(connected.take_result().unwrap().is_ok());
    /// assert_eq!(st.value(), b"hello");
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn connection_made(&self, transport: &StringTransport) -> Result<(), Failure> {
        self.client.succeed_unnamed(transport)
    }

    /// Delivers `data` to the protocol of a connection played with
    /// [`connection_made`](MemoryConnector::connection_made).
    ///
    /// # Errors
    ///
    /// The protocol's panic, as a failure.
    ///
    /// # Panics
    ///
    /// If no connection is up.
    pub fn data_received(&self, data: &[u8]) -> Result<(), Failure> {
        self.client.deliver(data)
    }

    /// Plays the attempt in progress failing with `reason` (refused, timed out,
    /// unresolvable...): the factory hears `client_connection_failed(connector, reason)`,
    /// then `do_stop` unless it started a new attempt. The attempt's start runs first if
    /// the clock has not run it yet.
    ///
    /// # Panics
    ///
    /// If no attempt is in progress, as for
    /// [`connection_succeeded`](MemoryConnector::connection_succeeded).
    pub fn connection_failed(&self, reason: Failure) {
        self.client.attempt_in_progress("connection_failed");
        self.client.fail(&reason);
    }

    /// Plays the connection closing with `reason`: the transport stops counting as
    /// connected, the protocol hears `connection_lost(reason)` (and its timers are
    /// cancelled), then the factory hears `client_connection_lost(connector, reason)`,
    /// then `do_stop` unless it started a new attempt.
    ///
    /// # Panics
    ///
    /// If no connection is up (no [`connection_succeeded`](MemoryConnector::connection_succeeded)
    /// since the last loss).
    pub fn connection_lost(&self, reason: Failure) {
        self.client.lose(reason);
    }
}

impl ConnectorHandle for MemoryConnector {
    fn get_destination(&self) -> Destination {
        MemoryConnector::get_destination(self)
    }

    fn stop_connecting(&self) {
        MemoryConnector::stop_connecting(self)
    }

    fn disconnect(&self) {
        MemoryConnector::disconnect(self)
    }
}

impl fmt::Debug for MemoryConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryConnector")
            .field("destination", self.client.state.destination())
            .field("state", &self.client.state.phase())
            .field("attempts", &self.attempts())
            .field("stopped_connecting", &self.stopped_connecting())
            .field("disconnected", &self.disconnected())
            .finish()
    }
}

#[cfg(test)]
mod tests;
