//! Outgoing TCP connections: `connect_tcp` and [`Connector`].

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::rc::{Rc, Weak};
use std::time::Duration;

use socket2::{Domain, Protocol as SockProtocol, Socket, Type};

use super::conn::{flag, Conn, ConnCell, Owner};
use super::StreamHandle;
use crate::error::{
    ConnectError, ConnectionRefused, DnsLookupError, NoProtocol, TimeoutError, UserError,
};
use crate::factory::AnyClientFactory;
use crate::reactor::{Inner, RemoteCall};
use crate::slab::Key;
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
/// `client_connection_lost` to try again.
#[derive(Clone)]
pub struct Connector {
    inner: Rc<ConnectorInner>,
}

struct ConnectorInner {
    reactor: Weak<Inner>,
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
            reactor.discard_conn(key);
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
        let cell = reactor.cell(key)?;
        let (host, peer) = {
            let conn = cell.conn.borrow();
            if conn.has(flag::CONNECTING) {
                return None;
            }
            let socket = conn.socket().ok()?;
            (socket.local_addr().ok()?, socket.peer_addr().ok()?)
        };
        Some(Transport::stream(StreamHandle::new(
            reactor.clone(),
            cell,
            host,
            peer,
        )))
    }

    fn reactor(&self) -> Option<Reactor> {
        self.inner.reactor.upgrade().map(|inner| Reactor { inner })
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
                reactor: Rc::downgrade(&self.inner),
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
            self.inner.lookups.borrow_mut().insert(Box::new(
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
        let remote = self.inner.remote.clone();
        let spawned = std::thread::Builder::new()
            .name("torsion-resolver".into())
            .spawn(move || {
                let result = (host.as_str(), port)
                    .to_socket_addrs()
                    .map(Iterator::collect);
                remote.send(RemoteCall::Lookup(done_key, result));
            });
        if let Err(err) = spawned {
            self.inner.lookups.borrow_mut().remove(done_key);
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
        let stream = match start_socket(addr, c.inner.options.bind_address) {
            Ok(stream) => stream,
            Err(err) => return self.connect_failed(c, classify_connect_error(err)),
        };
        let conn = Conn::new(stream, Some(addr), Owner::Client(c.clone()), true);
        let key = self
            .inner
            .conns
            .borrow_mut()
            .insert_with(|key| ConnCell::new(key, conn));
        let registered = match self.cell(key) {
            Some(cell) => self.register_conn(key, &mut cell.conn.borrow_mut()),
            None => return,
        };
        if let Err(err) = registered {
            self.discard_conn(key);
            return self.connect_failed(c, Failure::new(ConnectError { os_error: err }));
        }
        c.inner.conn.set(Some(key));
    }

    /// A connecting socket became ready: find out whether it connected.
    pub(crate) fn connect_ready(&self, key: Key) {
        let Some(cell) = self.cell(key) else { return };
        let outcome = {
            let conn = cell.conn.borrow();
            let Ok(socket) = conn.socket() else { return };
            match socket.take_error() {
                Ok(Some(err)) | Err(err) => Err(err),
                Ok(None) => match socket.peer_addr() {
                    Ok(peer) => Ok(peer),
                    Err(err) if err.kind() == io::ErrorKind::NotConnected => return,
                    Err(err) => Err(err),
                },
            }
        };
        match outcome {
            Ok(peer) => self.connected(&cell, peer),
            Err(err) => {
                let connector = match &cell.conn.borrow().owner {
                    Owner::Client(c) => c.clone(),
                    Owner::Server => return,
                };
                self.connect_failed(&connector, classify_connect_error(err));
            }
        }
    }

    fn connected(&self, cell: &Rc<ConnCell>, peer: SocketAddr) {
        let key = cell.key;
        let (connector, host) = {
            let mut conn = cell.conn.borrow_mut();
            conn.set_connected();
            let host = match conn.socket() {
                Ok(socket) => {
                    let _ = socket.set_nodelay(true);
                    socket.local_addr().unwrap_or(peer)
                }
                Err(_) => return,
            };
            let Owner::Client(c) = &conn.owner else {
                return;
            };
            (c.clone(), host)
        };
        if let Some(call) = connector.inner.timeout_call.borrow_mut().take() {
            let _ = call.cancel();
        }
        connector.inner.state.set(State::Connected);
        let transport =
            Transport::stream(StreamHandle::new(self.clone(), cell.clone(), host, peer));
        let Some(driver) =
            connector
                .inner
                .factory
                .build(peer, transport, self.inner.scheduler.clone())
        else {
            self.discard_conn(key);
            connector.inner.state.set(State::Connecting);
            return self.connect_failed(&connector, Failure::new(NoProtocol));
        };
        *cell.driver.borrow_mut() = driver;
        if let Err(reason) = cell.with_driver(|d| d.connection_made()) {
            self.abort_for_panic(key, reason);
        }
    }

    /// Drops a connection that never reached its protocol.
    pub(crate) fn discard_conn(&self, key: Key) {
        let removed = self.inner.conns.borrow_mut().remove(key);
        if let Some(cell) = removed {
            let (stream, _, _) = cell.conn.borrow_mut().close();
            if let Some(mut stream) = stream {
                let _ = self.inner.registry.deregister(&mut stream);
            }
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
            self.discard_conn(key);
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
