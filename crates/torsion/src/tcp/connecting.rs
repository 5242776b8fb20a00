//! Outgoing TCP connections on the real reactor: `connect_tcp` and [`TcpDial`], TCP's
//! side of the connector every stream kind shares ([`crate::dialing`]): resolving the
//! name, opening the socket, checking the connect.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

use socket2::{Domain, Protocol as SockProtocol, Socket, Type};

use super::{ConnectOptions, Connector, Destination, TcpSource};
use crate::dialing::{classify_connect_error, Dial, StreamConnector};
use crate::error::CancelledError;
use crate::stream::StreamSource;
use crate::{ClientFactory, Failure, Reactor};

/// How a TCP connector dials: resolve the name, then connect from `bind_address`.
struct TcpDial {
    bind_address: Option<SocketAddr>,
}

impl Dial for TcpDial {
    fn dial(&self, reactor: &Reactor, connector: &Rc<StreamConnector>, attempt: u64) {
        reactor.begin_connect(connector, attempt, self.bind_address);
    }

    fn connect_outcome(&self, source: &dyn StreamSource) -> io::Result<bool> {
        connect_outcome(source).map(|peer| peer.is_some())
    }

    fn on_connected(&self, source: &dyn StreamSource) {
        let _ = source.set_nodelay(true);
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
        self.start_connector(
            destination,
            Rc::new(RefCell::new(factory)),
            options.timeout,
            Box::new(TcpDial {
                bind_address: options.bind_address,
            }),
        )
    }

    /// Resolves the destination's name with the reactor's resolver (off the loop) and
    /// connects to the address found; the lookup is the attempt's pending step, cancelled
    /// if the attempt is abandoned.
    fn begin_connect(&self, c: &Rc<StreamConnector>, attempt: u64, bind: Option<SocketAddr>) {
        let Destination { host, port } = c.destination().clone();
        if let Some(addr) = crate::resolver::literal(&host, port) {
            return self.connect_to(c, attempt, addr, bind);
        }
        let (me, r) = (c.clone(), self.clone());
        let (me_failed, r_failed) = (c.clone(), self.clone());
        let lookup = self.resolve_host_name(&host, port).add_callbacks(
            move |addrs: Vec<SocketAddr>| {
                me.take_pending();
                if let Some(addr) = pick_address(&addrs) {
                    r.connect_to(&me, attempt, addr, bind);
                }
                Ok(())
            },
            move |failure: Failure| {
                me_failed.take_pending();
                if me_failed.is_current(attempt) && !failure.check::<CancelledError>() {
                    r_failed.connect_failed(&me_failed, failure);
                }
                Ok(())
            },
        );
        if !lookup.called() {
            c.set_pending(lookup);
        }
    }

    fn connect_to(
        &self,
        c: &Rc<StreamConnector>,
        attempt: u64,
        addr: SocketAddr,
        bind: Option<SocketAddr>,
    ) {
        if !c.is_current(attempt) {
            return;
        }
        let socket = match start_socket(addr, bind) {
            Ok(socket) => socket,
            Err(err) => return self.connect_failed(c, classify_connect_error(err)),
        };
        let host = match socket.local_addr() {
            Ok(host) => host,
            Err(err) => return self.connect_failed(c, classify_connect_error(err)),
        };
        let source = Box::new(TcpSource::new(socket));
        self.open_connecting(c, attempt, source, host.into(), addr.into());
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
