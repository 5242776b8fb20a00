//! Outgoing TCP connections on the real reactor: `connect_tcp` and [`TcpConnector`], the
//! backend of the [`Connector`]s it returns.

use std::cell::{Cell, RefCell};
use std::io;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::time::Duration;

use socket2::{Domain, Protocol as SockProtocol, Socket, Type};

use super::connector::ConnectorBackend;
use super::connector_state::{ConnectorState, Phase};
use super::{ConnectOptions, Connector, Destination, TcpSource};
use crate::defer::Deferred;
use crate::error::{
    CancelledError, ConnectError, ConnectionRefused, NoProtocol, TimeoutError, UserError,
};
use crate::reactor::{token, ReactorCore};
use crate::slab::Key;
use crate::stream::{flags, Opener, StreamCell, StreamConn, StreamHandle, StreamSource};
use crate::time::{DelayedCall, ReactorTime};
use crate::{ClientFactory, Failure, Reactor, Transport};

/// A TCP connector: its attempts' bookkeeping and the socket work of the one in progress.
struct TcpConnector {
    reactor: Weak<ReactorCore>,
    options: ConnectOptions,
    state: ConnectorState,
    conn: Cell<Option<Key>>,
    /// The name lookup of the attempt in progress, until it answers.
    lookup: RefCell<Option<Deferred<()>>>,
    timeout_call: RefCell<Option<DelayedCall>>,
}

impl TcpConnector {
    fn reactor(&self) -> Option<Reactor> {
        self.reactor.upgrade().map(|core| Reactor { core })
    }

    /// The handle the factory's callbacks receive.
    fn handle(self: &Rc<Self>) -> Connector {
        Connector::new(self.clone())
    }
}

impl ConnectorBackend for TcpConnector {
    fn destination(&self) -> &Destination {
        self.state.destination()
    }

    fn phase(&self) -> Phase {
        self.state.phase()
    }

    fn connect(self: Rc<Self>) {
        let Some(reactor) = self.reactor() else {
            return;
        };
        let Some(attempt) = self.state.start_attempt() else {
            return;
        };
        let r = reactor.clone();
        reactor.call_later(Duration::ZERO, move || r.begin_connect(&self, attempt));
    }

    fn stop_connecting(self: Rc<Self>) {
        let Some(reactor) = self.reactor() else {
            return;
        };
        if !self.state.request_stop() {
            return;
        }
        if let Some(key) = self.conn.take() {
            reactor.discard_stream(key);
        }
        let r = reactor.clone();
        reactor.call_later(Duration::ZERO, move || {
            r.connect_failed(&self, Failure::new(UserError))
        });
    }

    fn transport(&self) -> Option<Transport> {
        let reactor = self.reactor()?;
        let key = self.conn.get()?;
        let cell = reactor.core.streams.get(key)?;
        if cell.conn().borrow().has(flags::CONNECTING) {
            return None;
        }
        Some(Transport::stream(StreamHandle::new(reactor, cell)))
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
        let destination = Destination {
            host: host.to_string(),
            port,
        };
        let connector = Rc::new(TcpConnector {
            reactor: Rc::downgrade(&self.core),
            options,
            state: ConnectorState::new(destination, Rc::new(RefCell::new(factory))),
            conn: Cell::new(None),
            lookup: RefCell::new(None),
            timeout_call: RefCell::new(None),
        });
        connector.clone().connect();
        Connector::new(connector)
    }

    fn begin_connect(&self, c: &Rc<TcpConnector>, attempt: u64) {
        if !c.state.begin(&c.handle(), attempt) {
            return;
        }
        if let Some(timeout) = c.options.timeout {
            let (me, r) = (c.clone(), self.clone());
            let call = self.call_later(timeout, move || {
                if me.state.is_current(attempt) {
                    r.connect_failed(&me, Failure::new(TimeoutError));
                }
            });
            *c.timeout_call.borrow_mut() = Some(call);
        }
        let Destination { host, port } = c.state.destination().clone();
        if let Some(addr) = crate::resolver::literal(&host, port) {
            return self.connect_to(c, attempt, addr);
        }
        let (me, r) = (c.clone(), self.clone());
        let (me_failed, r_failed) = (c.clone(), self.clone());
        let lookup = self.resolve_host_name(&host, port).add_callbacks(
            move |addrs: Vec<SocketAddr>| {
                me.lookup.borrow_mut().take();
                if let Some(addr) = pick_address(&addrs) {
                    r.connect_to(&me, attempt, addr);
                }
                Ok(())
            },
            move |failure: Failure| {
                me_failed.lookup.borrow_mut().take();
                if me_failed.state.is_current(attempt) && !failure.check::<CancelledError>() {
                    r_failed.connect_failed(&me_failed, failure);
                }
                Ok(())
            },
        );
        if !lookup.called() {
            *c.lookup.borrow_mut() = Some(lookup);
        }
    }

    fn connect_to(&self, c: &Rc<TcpConnector>, attempt: u64, addr: SocketAddr) {
        if !c.state.is_current(attempt) {
            return;
        }
        let socket = match start_socket(addr, c.options.bind_address) {
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
        let opener: Rc<dyn Opener> = Rc::new(Opening(c.clone()));
        streams.insert(
            host.into(),
            addr.into(),
            StreamConn::new(source, Some(opener), true),
        );
        c.conn.set(Some(key));
    }

    fn connected(&self, c: &Rc<TcpConnector>, cell: &Rc<StreamCell>) {
        let key = cell.key();
        {
            let mut conn = cell.conn().borrow_mut();
            conn.set_connected();
            if let Ok(source) = conn.source() {
                let _ = source.set_nodelay(true);
            }
        }
        if let Some(call) = c.timeout_call.borrow_mut().take() {
            let _ = call.cancel();
        }
        c.state.set_connected();
        let transport = Transport::stream(StreamHandle::new(self.clone(), cell.clone()));
        let Some(protocol) = c.state.build(
            cell.peer().clone(),
            transport,
            self.core.timers.scheduler().clone(),
        ) else {
            self.discard_stream(key);
            c.state.declined();
            return self.connect_failed(c, Failure::new(NoProtocol));
        };
        cell.set_protocol(protocol);
        if let Err(reason) = cell.with_protocol(|p| p.connection_made()) {
            self.abort_for_panic(key, reason);
        }
    }

    /// The attempt failed: release what it held, tell the factory, and stop it unless it
    /// tries again.
    fn connect_failed(&self, c: &Rc<TcpConnector>, reason: Failure) {
        if c.state.phase() != Phase::Connecting {
            return;
        }
        if let Some(call) = c.timeout_call.borrow_mut().take() {
            let _ = call.cancel();
        }
        if let Some(key) = c.conn.take() {
            self.discard_stream(key);
        }
        let lookup = c.lookup.borrow_mut().take();
        if let Some(lookup) = lookup {
            lookup.cancel();
        }
        c.state.report_failed(&c.handle(), &reason);
    }

    /// An established connection closed (after its protocol heard of it).
    fn client_lost(&self, c: &Rc<TcpConnector>, reason: Failure) {
        c.conn.set(None);
        c.state.report_lost(&c.handle(), &reason);
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

/// What a connecting stream reports back to: the connector of the attempt that opened it.
struct Opening(Rc<TcpConnector>);

impl Opener for Opening {
    fn connect_ready(&self, reactor: &Reactor, cell: &Rc<StreamCell>) {
        let outcome = match cell.conn().borrow().source() {
            Ok(source) => connect_outcome(source),
            Err(_) => return,
        };
        match outcome {
            Ok(Some(_)) => reactor.connected(&self.0, cell),
            Ok(None) => {}
            Err(err) => reactor.connect_failed(&self.0, classify_connect_error(err)),
        }
    }

    fn closed(&self, reactor: &Reactor, reason: Failure, connecting: bool) {
        if connecting {
            reactor.connect_failed(&self.0, reason);
        } else {
            reactor.client_lost(&self.0, reason);
        }
    }
}
