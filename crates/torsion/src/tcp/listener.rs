//! Listening TCP ports: `listen_tcp`, TCP's side of accepting, and [`ListeningPort`].
//! The accepting itself is every kind's ([`crate::listening`]).

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;

use mio::{Interest, Registry, Token};
use socket2::{Domain, Protocol as SockProtocol, Socket, Type};

use super::TcpSource;
use crate::address::Address;
use crate::defer::Deferred;
use crate::error::{CannotListenError, InvalidAddress};
use crate::factory::AnyFactory;
use crate::listening::{AcceptSource, Accepted};
use crate::slab::Key;
use crate::{Factory, Failure, Reactor};

/// A listening TCP socket: what TCP's own in accepting (the address, `TCP_NODELAY`).
struct TcpAcceptSource {
    socket: mio::net::TcpListener,
}

impl AcceptSource for TcpAcceptSource {
    fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        registry.register(&mut self.socket, token, Interest::READABLE)
    }

    fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.socket);
    }

    fn accept(&self) -> io::Result<Accepted> {
        let (stream, peer) = self.socket.accept()?;
        let _ = stream.set_nodelay(true);
        let host = stream.local_addr()?;
        Ok(Accepted {
            source: Box::new(TcpSource::new(stream)),
            host: Address::Tcp(host),
            peer: Address::Tcp(peer),
        })
    }

    fn local(&self) -> Address {
        self.socket
            .local_addr()
            .map(Address::Tcp)
            .unwrap_or(Address::Tcp(SocketAddr::from(([0, 0, 0, 0], 0))))
    }

    fn close(self: Box<Self>) {}
}

/// How to listen: which interface, how long a backlog, whether to share the port.
#[derive(Debug, Clone)]
pub struct ListenOptions {
    /// The address to bind: `""` (the default) for every IPv4 interface, `"::"` for every
    /// IPv6 one, or one address such as `"127.0.0.1"`.
    pub interface: String,
    /// The `listen` backlog (default 50, as Twisted).
    pub backlog: i32,
    /// Sets `SO_REUSEPORT`, so several reactors (threads or processes) may listen on the
    /// same port and the kernel spreads connections among them.
    pub reuse_port: bool,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            interface: String::new(),
            backlog: 50,
            reuse_port: false,
        }
    }
}

/// A port the reactor listens on (Twisted's `IListeningPort`).
///
/// A handle: dropping it does not stop the port (the reactor keeps listening until
/// [`stop_listening`](ListeningPort::stop_listening) or its own shutdown), and clones
/// stand for the same port.
///
/// # Examples
///
/// ```
/// use torsion::{Protocol, Reactor};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let reactor = Reactor::new()?;
/// let port = reactor.listen_tcp(0, |_peer| Some(Quiet))?;
/// assert_ne!(port.get_host().port(), 0, "port 0 picks a free port");
/// assert!(port.listening());
/// port.stop_listening();
/// assert!(!port.listening());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct ListeningPort {
    reactor: Reactor,
    key: Key,
    addr: SocketAddr,
}

impl ListeningPort {
    /// The address actually bound (with the real port when 0 was asked for).
    pub fn get_host(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting: the socket is closed before this returns, so the port is free
    /// for a new listener at once. Connections already accepted stay open. The factory's
    /// `do_stop` runs from the loop soon after. Stopping twice does nothing.
    ///
    /// The returned Deferred fires once the socket is closed and `do_stop` has run
    /// (Twisted's `stopListening` Deferred); stopping a port that is not listening gives a
    /// fired one.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Protocol, Reactor};
    ///
    /// struct Quiet;
    /// impl Protocol for Quiet {}
    ///
    /// let reactor = Reactor::new()?;
    /// let port = reactor.listen_tcp(0, |_peer| Some(Quiet))?;
    /// let r = reactor.clone();
    /// port.stop_listening().add_callback(move |()| {
    ///     r.stop();
    ///     Ok(())
    /// });
    /// reactor.run()?;
    /// assert!(!port.listening());
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    #[track_caller]
    pub fn stop_listening(&self) -> Deferred<()> {
        self.reactor
            .stop_listener(self.key, false)
            .unwrap_or_else(|| Deferred::succeed(()))
    }

    /// Whether the port still listens.
    pub fn listening(&self) -> bool {
        self.reactor.core.listeners.contains(self.key)
    }
}

impl fmt::Debug for ListeningPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListeningPort")
            .field("host", &self.addr)
            .finish()
    }
}

fn bind_listener(addr: SocketAddr, options: &ListenOptions) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM,
        Some(SockProtocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    if options.reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(options.backlog)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// The address of `interface`: `""` is every IPv4 interface.
pub(crate) fn interface_ip(interface: &str) -> Result<IpAddr, Failure> {
    if interface.is_empty() {
        return Ok(Ipv4Addr::UNSPECIFIED.into());
    }
    interface.parse().map_err(|_| {
        Failure::new(InvalidAddress {
            address: interface.to_string(),
        })
    })
}

impl Reactor {
    /// Listens on `port` of every IPv4 interface; each accepted connection gets a
    /// protocol from `factory` (0 picks a free port: see [`ListeningPort::get_host`]).
    ///
    /// # Errors
    ///
    /// [`CannotListenError`] if the port cannot be bound.
    pub fn listen_tcp<F: Factory>(&self, port: u16, factory: F) -> Result<ListeningPort, Failure> {
        self.listen_tcp_with(port, factory, ListenOptions::default())
    }

    /// Listens as [`listen_tcp`](Reactor::listen_tcp) does, with explicit options.
    ///
    /// # Errors
    ///
    /// [`InvalidAddress`] for an interface that is not an IP address;
    /// [`CannotListenError`] if the port cannot be bound.
    pub fn listen_tcp_with<F: Factory>(
        &self,
        port: u16,
        factory: F,
        options: ListenOptions,
    ) -> Result<ListeningPort, Failure> {
        let ip = interface_ip(&options.interface)?;
        let cannot = |os_error| CannotListenError {
            interface: options.interface.clone(),
            port,
            os_error,
        };
        let std_listener = bind_listener(SocketAddr::new(ip, port), &options)
            .map_err(|e| Failure::new(cannot(e)))?;
        let addr = std_listener.local_addr()?;
        let source = Box::new(TcpAcceptSource {
            socket: mio::net::TcpListener::from_std(std_listener),
        });
        let factory: Rc<dyn AnyFactory> = Rc::new(RefCell::new(factory));
        let key = self
            .core
            .listeners
            .add(self.core.io.registry(), source, factory.clone())
            .map_err(|e| Failure::new(cannot(e)))?;
        factory.do_start();
        tracing::info!(%addr, "listening");
        Ok(ListeningPort {
            reactor: self.clone(),
            key,
            addr,
        })
    }
}
