//! Outgoing TCP connections: `connect_tcp` and [`Connector`].

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::rc::{Rc, Weak};
use std::time::Duration;

use socket2::{Domain, Protocol as SockProtocol, Socket, Type};

use super::TcpSource;
use crate::error::{
    ConnectError, ConnectionRefused, DnsLookupError, NoProtocol, TimeoutError, UserError,
};
use crate::factory::AnyClientFactory;
use crate::reactor::{token, ReactorCore, RemoteCall};
use crate::slab::Key;
use crate::stream::{flags, Opener, StreamCell, StreamConn, StreamHandle, StreamSource};
use crate::time::{DelayedCall, ReactorTime};
use crate::{ClientFactory, Failure, Reactor, Transport};

/// How to connect: how long to wait, and which local address to bind first.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Give up with [`TimeoutError`] after this long (default 30 s, as Twisted; `None`
    /// waits as long as the OS does).
    pub timeout: Option<Duration>,
    /// Bind the socket to this local address before connecting.
    pub bind_address: Option<SocketAddr>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            timeout: Some(Duration::from_secs(30)),
            bind_address: None,
        }
    }
}

/// Where a connector connects to, as it was given (host name or address, and port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The host name or IP address.
    pub host: String,
    /// The TCP port.
    pub port: u16,
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Disconnected,
    Connecting,
    Connected,
}

/// One outgoing connection, over its attempts (Twisted's `IConnector`).
///
/// Returned by [`Reactor::connect_tcp`]; handed to every [`ClientFactory`] callback. Call
/// [`connect`](Connector::connect) from `client_connection_failed` or
/// `client_connection_lost` to try again. A handle: dropping it does not stop the attempt
/// or close the connection ([`disconnect`](Connector::disconnect) does).
///
/// # Examples
///
/// A client that tries again once, a second after its first attempt failed:
///
/// ```
/// use std::time::Duration;
/// use torsion::{ClientFactory, Connector, Failure, Protocol, Reactor, ReactorTime};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// struct Retry {
///     reactor: Reactor,
///     tries: u32,
/// }
///
/// impl ClientFactory for Retry {
///     type Protocol = Quiet;
///     fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Quiet> {
///         Some(Quiet)
///     }
///     fn client_connection_failed(&mut self, connector: &Connector, reason: &Failure) {
///         self.tries += 1;
///         if self.tries < 2 {
///             let c = connector.clone();
///             self.reactor.call_later(Duration::from_secs(1), move || c.connect());
///         }
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// let connector = reactor.connect_tcp("127.0.0.1", 1, Retry { reactor: reactor.clone(), tries: 0 });
/// assert_eq!(connector.get_destination().port, 1);
/// # Ok::<(), Failure>(())
/// ```
#[derive(Clone)]
pub struct Connector {
    inner: Rc<ConnectorInner>,
}

struct ConnectorInner {
    reactor: Weak<ReactorCore>,
    destination: Destination,
    options: ConnectOptions,
    factory: Rc<dyn AnyClientFactory>,
    state: Cell<State>,
    /// Counts attempts, so late results of an abandoned attempt are ignored.
    attempt: Cell<u64>,
    conn: Cell<Option<Key>>,
    timeout_call: RefCell<Option<DelayedCall>>,
    factory_started: Cell<bool>,
    /// The current attempt has told the factory it started.
    begun: Cell<bool>,
    /// `stop_connecting` was called during the current attempt.
    stop_requested: Cell<bool>,
}

impl Connector {
    /// Where this connector connects to.
    pub fn get_destination(&self) -> Destination {
        self.inner.destination.clone()
    }

    /// Starts a new attempt (from the loop, soon). Does nothing unless disconnected.
    pub fn connect(&self) {
        if self.inner.state.get() != State::Disconnected {
            tracing::warn!(destination = %self.inner.destination, "connect() while not disconnected; ignored");
            return;
        }
        let Some(reactor) = self.reactor() else {
            return;
        };
        self.inner.state.set(State::Connecting);
        self.inner.begun.set(false);
        self.inner.stop_requested.set(false);
        let attempt = self.inner.attempt.get() + 1;
        self.inner.attempt.set(attempt);
        let me = self.clone();
        let r = reactor.clone();
        reactor.call_later(Duration::ZERO, move || r.begin_connect(&me, attempt));
    }

    /// Abandons the attempt in progress; the factory hears
    /// `client_connection_failed` with [`UserError`], from the loop.
    pub fn stop_connecting(&self) {
        let inner = &self.inner;
        if inner.state.get() != State::Connecting || inner.stop_requested.replace(true) {
            return;
        }
        if !inner.begun.get() {
            // The attempt has not started yet: it reports the stop itself, after telling
            // the factory it started, so the callback order holds.
            return;
        }
        let Some(reactor) = self.reactor() else {
            return;
        };
        inner.attempt.set(inner.attempt.get() + 1);
        if let Some(key) = inner.conn.take() {
            reactor.discard_stream(key);
        }
        let me = self.clone();
        let r = reactor.clone();
        reactor.call_later(Duration::ZERO, move || {
            r.connect_failed(&me, Failure::new(UserError))
        });
    }

    /// Closes the connection (flushing first) or abandons the attempt, whichever is
    /// under way.
    pub fn disconnect(&self) {
        match self.inner.state.get() {
            State::Connecting => self.stop_connecting(),
            State::Connected => {
                if let Some(t) = self.transport() {
                    t.lose_connection();
                }
            }
            State::Disconnected => {}
        }
    }

    /// The connection's transport while connected.
    pub fn transport(&self) -> Option<Transport> {
        let reactor = self.reactor()?;
        let key = self.inner.conn.get()?;
        let cell = reactor.core.streams.get(key)?;
        if cell.conn().borrow().has(flags::CONNECTING) {
            return None;
        }
        Some(Transport::stream(StreamHandle::new(reactor, cell)))
    }

    fn reactor(&self) -> Option<Reactor> {
        self.inner.reactor.upgrade().map(|core| Reactor { core })
    }
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("destination", &self.inner.destination)
            .field("state", &self.inner.state.get())
            .finish()
    }
}

fn classify_connect_error(err: io::Error) -> Failure {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => Failure::new(ConnectionRefused { os_error: err }),
        io::ErrorKind::TimedOut => Failure::new(TimeoutError),
        _ => Failure::new(ConnectError { os_error: err }),
    }
}

fn start_socket(addr: SocketAddr, bind: Option<SocketAddr>) -> io::Result<mio::net::TcpStream> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM,
        Some(SockProtocol::TCP),
    )?;
    socket.set_nonblocking(true)?;
    if let Some(local) = bind {
        socket.set_reuse_address(true)?;
        socket.bind(&local.into())?;
    }
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(err) if err.raw_os_error() == Some(115) || err.kind() == io::ErrorKind::WouldBlock => {}
        Err(err) => return Err(err),
    }
    Ok(mio::net::TcpStream::from_std(socket.into()))
}

/// Prefers IPv4 (as Twisted's `connectTCP` does, which resolves names with
/// `gethostbyname`), then whatever else the resolver returned.
fn pick_address(addrs: &[SocketAddr]) -> Option<SocketAddr> {
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
}

impl Reactor {
    /// Connects to `host:port` (a name or an IP address) with default options, and
    /// returns at once; `factory` hears how it goes, from the loop.
    pub fn connect_tcp<F: ClientFactory>(&self, host: &str, port: u16, factory: F) -> Connector {
        self.connect_tcp_with(host, port, factory, ConnectOptions::default())
    }

    /// Connects as [`connect_tcp`](Reactor::connect_tcp) does, with explicit options.
    ///
    /// Names are resolved on a helper thread, so the loop never blocks on DNS.
    pub fn connect_tcp_with<F: ClientFactory>(
        &self,
        host: &str,
        port: u16,
        factory: F,
        options: ConnectOptions,
    ) -> Connector {
        let connector = Connector {
            inner: Rc::new(ConnectorInner {
                reactor: Rc::downgrade(&self.core),
                destination: Destination {
                    host: host.to_string(),
                    port,
                },
                options,
                factory: Rc::new(RefCell::new(factory)),
                state: Cell::new(State::Disconnected),
                attempt: Cell::new(0),
                conn: Cell::new(None),
                timeout_call: RefCell::new(None),
                factory_started: Cell::new(false),
                begun: Cell::new(false),
                stop_requested: Cell::new(false),
            }),
        };
        connector.connect();
        connector
    }

    fn is_current(c: &Connector, attempt: u64) -> bool {
        c.inner.attempt.get() == attempt && c.inner.state.get() == State::Connecting
    }

    fn begin_connect(&self, c: &Connector, attempt: u64) {
        if !Reactor::is_current(c, attempt) {
            return;
        }
        let inner = &c.inner;
        if !inner.factory_started.replace(true) {
            inner.factory.do_start();
        }
        inner.begun.set(true);
        inner.factory.started_connecting(c);
        if !Reactor::is_current(c, attempt) {
            return;
        }
        if inner.stop_requested.get() {
            return self.connect_failed(c, Failure::new(UserError));
        }
        if let Some(timeout) = inner.options.timeout {
            let (me, r) = (c.clone(), self.clone());
            let call = self.call_later(timeout, move || {
                if Reactor::is_current(&me, attempt) {
                    r.connect_failed(&me, Failure::new(TimeoutError));
                }
            });
            *inner.timeout_call.borrow_mut() = Some(call);
        }
        let Destination { host, port } = inner.destination.clone();
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self.connect_to(c, attempt, SocketAddr::new(ip, port));
        }
        let done_key = {
            let (me, r) = (c.clone(), self.clone());
            let host = host.clone();
            self.core.lookups.borrow_mut().insert(Box::new(
                move |result: io::Result<Vec<SocketAddr>>| {
                    if !Reactor::is_current(&me, attempt) {
                        return;
                    }
                    match result.map(|addrs| pick_address(&addrs)) {
                        Ok(Some(addr)) => r.connect_to(&me, attempt, addr),
                        Ok(None) => r.connect_failed(
                            &me,
                            Failure::new(DnsLookupError {
                                host,
                                detail: "no addresses".into(),
                            }),
                        ),
                        Err(err) => r.connect_failed(
                            &me,
                            Failure::new(DnsLookupError {
                                host,
                                detail: err.to_string(),
                            }),
                        ),
                    }
                },
            ))
        };
        let remote = self.core.remote.clone();
        let submitted = crate::resolver::resolve(host, port, move |result| {
            remote.send(RemoteCall::Lookup(done_key, result));
        });
        if let Err(err) = submitted {
            self.core.lookups.borrow_mut().remove(done_key);
            let host = inner.destination.host.clone();
            self.connect_failed(
                c,
                Failure::new(DnsLookupError {
                    host,
                    detail: err.to_string(),
                }),
            );
        }
    }

    fn connect_to(&self, c: &Connector, attempt: u64, addr: SocketAddr) {
        if !Reactor::is_current(c, attempt) {
            return;
        }
        let socket = match start_socket(addr, c.inner.options.bind_address) {
            Ok(socket) => socket,
            Err(err) => return self.connect_failed(c, classify_connect_error(err)),
        };
        let host = match socket.local_addr() {
            Ok(host) => host,
            Err(err) => return self.connect_failed(c, classify_connect_error(err)),
        };
        let streams = &self.core.streams;
        let key = streams.next_key();
        let mut source = Box::new(TcpSource::new(socket));
        if let Err(err) = source.register(self.core.io.registry(), token::stream(key)) {
            drop(source);
            self.descriptor_freed();
            return self.connect_failed(c, Failure::new(ConnectError { os_error: err }));
        }
        let opener: Rc<dyn Opener> = Rc::new(c.clone());
        streams.insert(
            host.into(),
            addr.into(),
            StreamConn::new(source, Some(opener), true),
        );
        c.inner.conn.set(Some(key));
    }

    fn connected(&self, connector: &Connector, cell: &Rc<StreamCell>) {
        let key = cell.key();
        {
            let mut conn = cell.conn().borrow_mut();
            conn.set_connected();
            if let Ok(source) = conn.source() {
                let _ = source.set_nodelay(true);
            }
        }
        if let Some(call) = connector.inner.timeout_call.borrow_mut().take() {
            let _ = call.cancel();
        }
        connector.inner.state.set(State::Connected);
        let transport = Transport::stream(StreamHandle::new(self.clone(), cell.clone()));
        let Some(protocol) = connector.inner.factory.build(
            cell.peer().clone(),
            transport,
            self.core.timers.scheduler().clone(),
        ) else {
            self.discard_stream(key);
            connector.inner.state.set(State::Connecting);
            return self.connect_failed(connector, Failure::new(NoProtocol));
        };
        cell.set_protocol(protocol);
        if let Err(reason) = cell.with_protocol(|p| p.connection_made()) {
            self.abort_for_panic(key, reason);
        }
    }

    /// The attempt failed: tell the factory, and stop it unless it tries again.
    pub(crate) fn connect_failed(&self, c: &Connector, reason: Failure) {
        let inner = &c.inner;
        if inner.state.get() != State::Connecting {
            return;
        }
        if let Some(call) = inner.timeout_call.borrow_mut().take() {
            let _ = call.cancel();
        }
        if let Some(key) = inner.conn.take() {
            self.discard_stream(key);
        }
        inner.state.set(State::Disconnected);
        inner.factory.connection_failed(c, &reason);
        self.stop_factory_unless_reconnecting(c);
    }

    /// An established connection closed (after its protocol heard of it).
    pub(crate) fn client_lost(&self, c: &Connector, reason: Failure) {
        let inner = &c.inner;
        inner.conn.set(None);
        inner.state.set(State::Disconnected);
        inner.factory.connection_lost(c, &reason);
        self.stop_factory_unless_reconnecting(c);
    }

    fn stop_factory_unless_reconnecting(&self, c: &Connector) {
        let inner = &c.inner;
        if inner.state.get() == State::Disconnected && inner.factory_started.replace(false) {
            inner.factory.do_stop();
        }
    }
}

/// Whether a connecting socket connected: its peer once it did, `None` while it still
/// connects, or the error that ended the attempt.
fn connect_outcome(source: &dyn StreamSource) -> io::Result<Option<SocketAddr>> {
    let Some(tcp) = source.as_any().downcast_ref::<TcpSource>() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a TCP socket",
        ));
    };
    let socket = tcp.socket();
    if let Some(err) = socket.take_error()? {
        return Err(err);
    }
    match socket.peer_addr() {
        Ok(peer) => Ok(Some(peer)),
        Err(err) if err.kind() == io::ErrorKind::NotConnected => Ok(None),
        Err(err) => Err(err),
    }
}

impl Opener for Connector {
    fn connect_ready(&self, reactor: &Reactor, cell: &Rc<StreamCell>) {
        let outcome = match cell.conn().borrow().source() {
            Ok(source) => connect_outcome(source),
            Err(_) => return,
        };
        match outcome {
            Ok(Some(_)) => reactor.connected(self, cell),
            Ok(None) => {}
            Err(err) => reactor.connect_failed(self, classify_connect_error(err)),
        }
    }

    fn closed(&self, reactor: &Reactor, reason: Failure, connecting: bool) {
        if connecting {
            reactor.connect_failed(self, reason);
        } else {
            reactor.client_lost(self, reason);
        }
    }
}
