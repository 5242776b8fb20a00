//! [`MemoryReactor`]: a reactor that records `listen_tcp` and `connect_tcp` calls and
//! opens no socket (Twisted's `MemoryReactorClock`).

use std::any::{type_name, Any};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::{Rc, Weak};
use std::time::Duration;

use crate::defer::Deferred;
use crate::error::{CannotListenError, InvalidAddress};
use crate::factory::{AnyFactory, BuiltProtocol};
use crate::protocol::{BoundProtocol, DynProtocol};
use crate::reactor_api::{PortHandle, ReactorTcp};
use crate::time::{Clock, ReactorTime, Scheduler};
use crate::{
    Address, ClientFactory, ConnectOptions, Destination, Factory, Failure, ListenOptions, Transport,
};

mod client;

pub use client::{MemoryConnector, TcpClientRecord};

/// The first port number handed out when port 0 is asked for.
const FIRST_MADE_UP_PORT: u16 = 40000;

/// A reactor for unit tests: it records every `listen_tcp` and `connect_tcp` call, opens
/// no socket, and keeps time on a fake [`Clock`] (Twisted's `MemoryReactorClock`).
///
/// Code written against [`ReactorTcp`] and [`ReactorTime`] runs on it unchanged. A test
/// then checks what was asked for ([`tcp_servers`](MemoryReactor::tcp_servers),
/// [`tcp_clients`](MemoryReactor::tcp_clients), [`events`](MemoryReactor::events)), gets a
/// protocol from a recorded factory with `build_protocol` and drives it with a
/// [`ProtocolHarness`](super::ProtocolHarness) on a [`StringTransport`](super::StringTransport),
/// or plays a client connection's outcome on its [`MemoryConnector`].
///
/// What it does, compared with the real [`Reactor`](crate::Reactor):
///
/// - `listen_tcp` checks the interface and refuses a port that a recorded port already
///   listens on (unless both set `reuse_port`), calls the factory's `do_start` before it
///   returns, and answers a made-up port number (from 40000 up) when 0 is asked for.
///   [`MemoryPort::stop_listening`] schedules `do_stop` on the clock with no delay: it runs
///   on the next [`advance`](MemoryReactor::advance).
/// - `connect_tcp` opens nothing; it keeps the connector's books as the real reactor does.
///   The factory hears `do_start` and `started_connecting` from the clock with no delay
///   (on the next [`advance`](MemoryReactor::advance), or at once when the test plays the
///   attempt's outcome first), then what the test plays on the [`MemoryConnector`]:
///   [`connection_succeeded`](MemoryConnector::connection_succeeded) (the factory builds
///   the protocol, which is connected to a [`StringTransport`](super::StringTransport)),
///   [`connection_failed`](MemoryConnector::connection_failed) or, once connected,
///   [`connection_lost`](MemoryConnector::connection_lost); each callback gets a
///   [`Connector`](crate::Connector), whose `connect` retries, `stop_connecting` fails the
///   attempt with [`UserError`](crate::error::UserError) from the clock, and so on, in the
///   real connector's order. The connect timeout is recorded, not enforced: play
///   `connection_failed` with a [`TimeoutError`](crate::error::TimeoutError) to test it.
/// - Timers ([`ReactorTime::call_later`]) run when the test advances the clock.
///
/// `MemoryReactor` is a cheap handle: clones share the same records and clock.
///
/// # Examples
///
/// ```
/// use torsion::testing::{MemoryReactor, ProtocolHarness, StringTransport};
/// use torsion::{Cx, Failure, ListenOptions, Protocol, ReactorTcp};
///
/// struct Hello;
/// impl Protocol for Hello {
///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
///         cx.transport().write(b"hello\n");
///     }
/// }
///
/// // The code under test only knows it has some reactor.
/// fn serve(reactor: &impl ReactorTcp) -> Result<(), Failure> {
///     let options = ListenOptions { interface: "127.0.0.1".into(), ..ListenOptions::default() };
///     reactor.listen_tcp_with(8080, |_peer| Some(Hello), options)?;
///     Ok(())
/// }
///
/// let reactor = MemoryReactor::new();
/// serve(&reactor)?;
/// let server = &reactor.tcp_servers()[0];
/// assert_eq!((server.port, server.interface.as_str()), (8080, "127.0.0.1"));
///
/// // Accept a pretend connection and drive its protocol.
/// let st = StringTransport::new();
/// let protocol = server.build_protocol::<Hello>(st.transport().get_peer()).expect("accepted");
/// let _h = ProtocolHarness::connect(protocol, &st, &reactor)?;
/// assert_eq!(st.value(), b"hello\n");
/// # Ok::<(), Failure>(())
/// ```
#[derive(Clone, Default)]
pub struct MemoryReactor {
    state: Rc<State>,
}

#[derive(Default)]
struct State {
    clock: Clock,
    servers: RefCell<Vec<TcpServerRecord>>,
    clients: RefCell<Vec<TcpClientRecord>>,
    events: RefCell<Vec<TcpEvent>>,
    made_up_ports: Cell<u16>,
    listen_error: RefCell<Option<Failure>>,
    running: Cell<bool>,
    has_run: Cell<bool>,
    has_stopped: Cell<bool>,
    when_running: RefCell<Vec<Box<dyn FnOnce()>>>,
}

impl State {
    fn record(&self, event: TcpEvent) {
        self.events.borrow_mut().push(event);
    }

    /// Whether a recorded port still listens where `ip:port` would.
    fn port_taken(&self, ip: IpAddr, port: u16, reuse_port: bool) -> bool {
        self.servers.borrow().iter().any(|s| {
            let host = s.shared.host;
            s.shared.listening.get()
                && host.port() == port
                && (host.ip() == ip || host.ip().is_unspecified() || ip.is_unspecified())
                && !(reuse_port && s.reuse_port)
        })
    }

    /// A port number no recorded listening port uses, for a request for port 0.
    fn made_up_port(&self, ip: IpAddr) -> u16 {
        loop {
            let port = self.made_up_ports.get().max(FIRST_MADE_UP_PORT);
            self.made_up_ports
                .set(port.checked_add(1).unwrap_or(FIRST_MADE_UP_PORT));
            if !self.port_taken(ip, port, false) {
                return port;
            }
        }
    }
}

/// One call made on a [`MemoryReactor`] or on a handle it returned (including the
/// [`Connector`](crate::Connector) a client factory is given), in the order made. What the
/// test plays on a [`MemoryConnector`] (`connection_succeeded` and so on) is not recorded.
///
/// `server` and `client` are indices into [`MemoryReactor::tcp_servers`] and
/// [`MemoryReactor::tcp_clients`].
///
/// # Examples
///
/// ```
/// use torsion::testing::{MemoryReactor, TcpEvent};
/// use torsion::{Protocol, ReactorTcp};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let reactor = MemoryReactor::new();
/// let port = reactor.listen_tcp(2000, |_peer| Some(Quiet))?;
/// port.stop_listening();
/// assert_eq!(
///     reactor.events(),
///     [TcpEvent::Listen { server: 0, port: 2000 }, TcpEvent::StopListening { server: 0 }]
/// );
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpEvent {
    /// `listen_tcp` succeeded, for the `port` asked for.
    Listen {
        /// Index of the [`TcpServerRecord`].
        server: usize,
        /// The port asked for (0 included).
        port: u16,
    },
    /// `connect_tcp` was called.
    Connect {
        /// Index of the [`TcpClientRecord`].
        client: usize,
        /// Where to.
        destination: Destination,
    },
    /// [`MemoryPort::stop_listening`] stopped a listening port.
    StopListening {
        /// Index of the [`TcpServerRecord`].
        server: usize,
    },
    /// A connector's `connect` started a new attempt (a retry: the first attempt is
    /// [`Connect`](TcpEvent::Connect)'s). A `connect` that was ignored, because the
    /// connector was not disconnected, is not recorded.
    Reconnect {
        /// Index of the [`TcpClientRecord`].
        client: usize,
        /// The attempt's number: 2 for the first retry.
        attempt: u32,
    },
    /// A connector's `stop_connecting` was called (each call is recorded, whether or not
    /// there was an attempt to stop).
    StopConnecting {
        /// Index of the [`TcpClientRecord`].
        client: usize,
    },
    /// A connector's `disconnect` was called (each call is recorded, whatever it did).
    Disconnect {
        /// Index of the [`TcpClientRecord`].
        client: usize,
    },
}

type Builder<P> = Box<dyn Fn(Address) -> Option<P>>;

/// A factory kept by type-erased handles, with typed ways back to it.
struct ErasedFactory {
    /// The `Rc<RefCell<F>>`.
    factory: Rc<dyn Any>,
    /// A `Builder<F::Protocol>`.
    builder: Box<dyn Any>,
    factory_type: &'static str,
    protocol_type: &'static str,
    /// Builds and binds a protocol without naming its type (a client's only).
    bind: Option<BindProtocol>,
}

/// Builds a protocol for a peer and binds it to a transport and a clock.
pub(super) type BindProtocol = Box<dyn Fn(Address, Transport, Scheduler) -> BuiltProtocol>;

impl ErasedFactory {
    fn server<F: Factory>(factory: &Rc<RefCell<F>>) -> ErasedFactory {
        let f = factory.clone();
        let builder: Builder<F::Protocol> =
            Box::new(move |addr| f.borrow_mut().build_protocol(addr));
        ErasedFactory::new(factory, builder)
    }

    fn client<F: ClientFactory>(factory: &Rc<RefCell<F>>) -> ErasedFactory {
        let f = factory.clone();
        let builder: Builder<F::Protocol> =
            Box::new(move |addr| f.borrow_mut().build_protocol(addr));
        let f = factory.clone();
        let bind: BindProtocol = Box::new(move |addr, transport, scheduler| {
            let protocol = f.borrow_mut().build_protocol(addr)?;
            Some(Box::new(BoundProtocol::new(protocol, transport, scheduler))
                as Box<dyn DynProtocol>)
        });
        ErasedFactory {
            bind: Some(bind),
            ..ErasedFactory::new(factory, builder)
        }
    }

    fn new<F: 'static, P: 'static>(factory: &Rc<RefCell<F>>, builder: Builder<P>) -> ErasedFactory {
        ErasedFactory {
            factory: factory.clone(),
            builder: Box::new(builder),
            factory_type: type_name::<F>(),
            protocol_type: type_name::<P>(),
            bind: None,
        }
    }

    /// The client factory's `build_protocol`, bound, whatever its protocol type.
    fn binder(&self) -> &BindProtocol {
        self.bind
            .as_ref()
            .expect("only a client factory builds a protocol without naming its type")
    }

    fn factory<F: 'static>(&self) -> Option<Rc<RefCell<F>>> {
        self.factory.clone().downcast::<RefCell<F>>().ok()
    }

    fn build_protocol<P: 'static>(&self, addr: Address) -> Option<P> {
        self.builder::<P>()(addr)
    }

    /// The factory's `build_protocol`, which builds `P`s.
    ///
    /// # Panics
    ///
    /// If the factory builds another protocol type than `P` (the message names both).
    fn builder<P: 'static>(&self) -> &Builder<P> {
        let Some(builder) = self.builder.downcast_ref::<Builder<P>>() else {
            panic!(
                "the recorded factory {} builds {}, not {}",
                self.factory_type,
                self.protocol_type,
                type_name::<P>()
            );
        };
        builder
    }
}

struct ServerShared {
    index: usize,
    host: SocketAddr,
    factory: ErasedFactory,
    lifecycle: Rc<dyn AnyFactory>,
    listening: Cell<bool>,
}

/// What one `listen_tcp` call on a [`MemoryReactor`] asked for (Twisted's
/// `MemoryReactor.tcpServers` entries), and the factory it was given.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::net::SocketAddr;
/// use std::rc::Rc;
/// use torsion::testing::MemoryReactor;
/// use torsion::{Factory, Protocol, ReactorTcp};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// #[derive(Default)]
/// struct Counting { built: usize }
/// impl Factory for Counting {
///     type Protocol = Quiet;
///     fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Quiet> {
///         self.built += 1;
///         Some(Quiet)
///     }
/// }
///
/// let reactor = MemoryReactor::new();
/// reactor.listen_tcp(25, Counting::default())?;
/// let record = &reactor.tcp_servers()[0];
/// assert_eq!((record.port, record.backlog), (25, 50));
///
/// let peer: SocketAddr = "10.1.2.3:4567".parse().unwrap();
/// assert!(record.build_protocol::<Quiet>(peer).is_some());
/// let factory: Rc<RefCell<Counting>> = record.factory::<Counting>().expect("a Counting");
/// assert_eq!(factory.borrow().built, 1);
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct TcpServerRecord {
    /// The port asked for (0 included; see [`host`](TcpServerRecord::host) for the one
    /// handed out).
    pub port: u16,
    /// The interface asked for (`""` for every IPv4 interface).
    pub interface: String,
    /// The backlog asked for.
    pub backlog: i32,
    /// Whether `SO_REUSEPORT` was asked for.
    pub reuse_port: bool,
    shared: Rc<ServerShared>,
}

impl TcpServerRecord {
    /// The factory as it was given, if it is an `F`.
    ///
    /// Named factory types only: a closure's type cannot be written, so reach a closure
    /// factory through [`build_protocol`](TcpServerRecord::build_protocol).
    pub fn factory<F: 'static>(&self) -> Option<Rc<RefCell<F>>> {
        self.shared.factory.factory::<F>()
    }

    /// Asks the factory for the protocol of a connection from `peer`, as the reactor
    /// would on `accept`; `None` means the factory refused the connection.
    ///
    /// # Panics
    ///
    /// If the factory builds another protocol type than `P` (the message names both), if
    /// the factory is borrowed (through [`factory`](TcpServerRecord::factory)) during
    /// the call, or if its `build_protocol` panics.
    pub fn build_protocol<P: 'static>(&self, peer: impl Into<Address>) -> Option<P> {
        self.shared.factory.build_protocol(peer.into())
    }

    /// The address the port got (the interface and port asked for, or a made-up port for
    /// port 0).
    pub fn host(&self) -> SocketAddr {
        self.shared.host
    }

    /// Whether the port still listens (no `stop_listening` yet).
    pub fn listening(&self) -> bool {
        self.shared.listening.get()
    }
}

impl fmt::Debug for TcpServerRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpServerRecord")
            .field("port", &self.port)
            .field("interface", &self.interface)
            .field("backlog", &self.backlog)
            .field("reuse_port", &self.reuse_port)
            .field("factory", &self.shared.factory.factory_type)
            .field("listening", &self.listening())
            .finish()
    }
}

/// The listening port a [`MemoryReactor`] hands out: nothing listens, but the calls are
/// recorded.
///
/// # Examples
///
/// ```
/// use torsion::testing::MemoryReactor;
/// use torsion::{Protocol, ReactorTcp};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let reactor = MemoryReactor::new();
/// let port = reactor.listen_tcp(0, |_peer| Some(Quiet))?;
/// assert_ne!(port.get_host().port(), 0); // a made-up port
/// port.stop_listening();
/// assert!(!port.listening());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct MemoryPort {
    shared: Rc<ServerShared>,
    reactor: Weak<State>,
}

impl MemoryPort {
    /// The address the port got: the interface asked for (`0.0.0.0` for `""`) and the
    /// port asked for, or a made-up one for port 0.
    pub fn get_host(&self) -> SocketAddr {
        self.shared.host
    }

    /// Marks the port stopped and records [`TcpEvent::StopListening`]; the factory's
    /// `do_stop` runs on the reactor's clock with no delay, so on the next
    /// [`MemoryReactor::advance`], and the returned Deferred fires after it. Stopping twice
    /// does nothing (the second Deferred has fired already).
    #[track_caller]
    pub fn stop_listening(&self) -> Deferred<()> {
        if !self.shared.listening.replace(false) {
            return Deferred::succeed(());
        }
        let Some(state) = self.reactor.upgrade() else {
            return Deferred::succeed(());
        };
        state.record(TcpEvent::StopListening {
            server: self.shared.index,
        });
        let lifecycle = self.shared.lifecycle.clone();
        let stopped = Deferred::new();
        let fire = stopped.clone();
        state.clock.call_later(Duration::ZERO, move || {
            lifecycle.do_stop();
            let _ = fire.callback(());
        });
        stopped
    }

    /// Whether the port still listens.
    pub fn listening(&self) -> bool {
        self.shared.listening.get()
    }
}

impl PortHandle for MemoryPort {
    fn get_host(&self) -> SocketAddr {
        MemoryPort::get_host(self)
    }

    fn stop_listening(&self) -> Deferred<()> {
        MemoryPort::stop_listening(self)
    }
}

impl fmt::Debug for MemoryPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryPort")
            .field("host", &self.shared.host)
            .field("listening", &self.listening())
            .finish()
    }
}

impl MemoryReactor {
    /// A reactor with nothing recorded, its clock at zero seconds, not running.
    pub fn new() -> MemoryReactor {
        MemoryReactor::default()
    }

    /// The fake clock this reactor's timers run on.
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// Moves the clock forward by `by` and runs every call now due (see [`Clock::advance`]).
    pub fn advance(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// Every `listen_tcp` call that succeeded, in order.
    pub fn tcp_servers(&self) -> Vec<TcpServerRecord> {
        self.state.servers.borrow().clone()
    }

    /// Every `connect_tcp` call, in order.
    pub fn tcp_clients(&self) -> Vec<TcpClientRecord> {
        self.state.clients.borrow().clone()
    }

    /// Every recorded call, in the order made.
    pub fn events(&self) -> Vec<TcpEvent> {
        self.state.events.borrow().clone()
    }

    /// Makes the next `listen_tcp` call fail with `reason` (records nothing, calls no
    /// factory method), to test how code copes with a port it cannot get.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use torsion::error::CannotListenError;
    /// use torsion::testing::MemoryReactor;
    /// use torsion::{Failure, Protocol, ReactorTcp};
    ///
    /// struct Quiet;
    /// impl Protocol for Quiet {}
    ///
    /// let reactor = MemoryReactor::new();
    /// let os_error = io::Error::from(io::ErrorKind::PermissionDenied);
    /// reactor.fail_next_listen(Failure::new(CannotListenError { interface: String::new(), port: 80, os_error }));
    /// let err = reactor.listen_tcp(80, |_peer| Some(Quiet)).unwrap_err();
    /// assert!(err.check::<CannotListenError>());
    /// assert!(reactor.listen_tcp(80, |_peer| Some(Quiet)).is_ok());
    /// ```
    pub fn fail_next_listen(&self, reason: Failure) {
        *self.state.listen_error.borrow_mut() = Some(reason);
    }

    /// Calls `f` once the reactor runs: at once if [`run`](MemoryReactor::run) was called
    /// and [`stop`](MemoryReactor::stop) was not, otherwise from `run`.
    pub fn call_when_running(&self, f: impl FnOnce() + 'static) {
        if self.running() {
            f();
        } else {
            self.state.when_running.borrow_mut().push(Box::new(f));
        }
    }

    /// Marks the reactor running and calls the [`call_when_running`](MemoryReactor::call_when_running)
    /// functions in the order given, then returns: there is no loop to run. The reactor
    /// counts as running until [`stop`](MemoryReactor::stop).
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::testing::MemoryReactor;
    ///
    /// let reactor = MemoryReactor::new();
    /// let r = reactor.clone();
    /// reactor.call_when_running(move || r.stop());
    /// reactor.run();
    /// assert!(reactor.has_run() && reactor.has_stopped() && !reactor.running());
    /// ```
    pub fn run(&self) {
        self.state.running.set(true);
        self.state.has_run.set(true);
        let hooks = std::mem::take(&mut *self.state.when_running.borrow_mut());
        for hook in hooks {
            hook();
        }
    }

    /// Records that the reactor was asked to stop; it no longer counts as running.
    pub fn stop(&self) {
        self.state.running.set(false);
        self.state.has_stopped.set(true);
    }

    /// Whether [`run`](MemoryReactor::run) was called and [`stop`](MemoryReactor::stop)
    /// was not since.
    pub fn running(&self) -> bool {
        self.state.running.get()
    }

    /// Whether [`run`](MemoryReactor::run) was ever called.
    pub fn has_run(&self) -> bool {
        self.state.has_run.get()
    }

    /// Whether [`stop`](MemoryReactor::stop) was ever called.
    pub fn has_stopped(&self) -> bool {
        self.state.has_stopped.get()
    }
}

impl ReactorTime for MemoryReactor {
    fn scheduler(&self) -> Scheduler {
        self.state.clock.scheduler()
    }
}

impl ReactorTcp for MemoryReactor {
    type Port = MemoryPort;
    type Connector = MemoryConnector;

    /// Records the call and calls the factory's `do_start`; see [`MemoryReactor`].
    fn listen_tcp_with<F: Factory>(
        &self,
        port: u16,
        factory: F,
        options: ListenOptions,
    ) -> Result<MemoryPort, Failure> {
        let state = &self.state;
        if let Some(reason) = state.listen_error.borrow_mut().take() {
            return Err(reason);
        }
        let ip: IpAddr = if options.interface.is_empty() {
            Ipv4Addr::UNSPECIFIED.into()
        } else {
            options.interface.parse().map_err(|_| {
                Failure::new(InvalidAddress {
                    address: options.interface.clone(),
                })
            })?
        };
        if port != 0 && state.port_taken(ip, port, options.reuse_port) {
            let os_error = io::Error::from(io::ErrorKind::AddrInUse);
            return Err(Failure::new(CannotListenError {
                interface: options.interface,
                port,
                os_error,
            }));
        }
        let host = SocketAddr::new(
            ip,
            if port == 0 {
                state.made_up_port(ip)
            } else {
                port
            },
        );
        let factory = Rc::new(RefCell::new(factory));
        let index = state.servers.borrow().len();
        let shared = Rc::new(ServerShared {
            index,
            host,
            factory: ErasedFactory::server(&factory),
            lifecycle: factory,
            listening: Cell::new(true),
        });
        state.servers.borrow_mut().push(TcpServerRecord {
            port,
            interface: options.interface,
            backlog: options.backlog,
            reuse_port: options.reuse_port,
            shared: shared.clone(),
        });
        state.record(TcpEvent::Listen {
            server: index,
            port,
        });
        shared.lifecycle.do_start();
        Ok(MemoryPort {
            shared,
            reactor: Rc::downgrade(&self.state),
        })
    }

    /// Records the call and starts the first attempt on the clock; see
    /// [`MemoryReactor`] and [`MemoryConnector`].
    fn connect_tcp_with<F: ClientFactory>(
        &self,
        host: &str,
        port: u16,
        factory: F,
        options: ConnectOptions,
    ) -> MemoryConnector {
        client::connect(&self.state, host, port, factory, options)
    }
}

impl fmt::Debug for MemoryReactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReactor")
            .field("seconds", &self.seconds())
            .field("tcp_servers", &self.state.servers.borrow().len())
            .field("tcp_clients", &self.state.clients.borrow().len())
            .field("running", &self.running())
            .finish()
    }
}

#[cfg(test)]
mod tests;
