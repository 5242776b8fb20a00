//! TCP endpoints: [`TcpServerEndpoint`] and [`TcpClientEndpoint`].

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use super::announce::{Announcer, Hooks};
use crate::defer::Deferred;
use crate::{
    ConnectOptions, ConnectorHandle, Factory, ListenOptions, ProtocolHandle, Reactor, ReactorTcp,
};

/// Listens on a TCP port (Twisted's `TCP4ServerEndpoint` / `TCP6ServerEndpoint`).
///
/// # Examples
///
/// ```
/// use torsion::endpoints::TcpServerEndpoint;
/// use torsion::{Cx, Protocol, Reactor};
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// let endpoint = TcpServerEndpoint::new(&reactor, 0).interface("127.0.0.1");
/// let port = endpoint.listen(|_peer| Some(Echo)).take_result().unwrap()?;
/// assert_ne!(port.get_host().port(), 0);
/// # Ok::<(), torsion::Failure>(())
/// ```
///
/// Any [`ReactorTcp`] listens: the real [`Reactor`] (the default), or a
/// [`MemoryReactor`](crate::testing::MemoryReactor) in a unit test.
#[derive(Debug, Clone)]
pub struct TcpServerEndpoint<R = Reactor> {
    reactor: R,
    port: u16,
    options: ListenOptions,
}

impl<R: ReactorTcp + Clone> TcpServerEndpoint<R> {
    /// Every IPv4 interface, `port` (0 picks a free one).
    pub fn new(reactor: &R, port: u16) -> TcpServerEndpoint<R> {
        TcpServerEndpoint {
            reactor: reactor.clone(),
            port,
            options: ListenOptions::default(),
        }
    }

    /// Every IPv6 interface (`::`), `port` (Twisted's `TCP6ServerEndpoint`).
    pub fn new_v6(reactor: &R, port: u16) -> TcpServerEndpoint<R> {
        TcpServerEndpoint::new(reactor, port).interface("::")
    }

    /// Listens on one address only.
    pub fn interface(mut self, interface: &str) -> TcpServerEndpoint<R> {
        self.options.interface = interface.to_string();
        self
    }

    /// The `listen` backlog (default 50).
    pub fn backlog(mut self, backlog: i32) -> TcpServerEndpoint<R> {
        self.options.backlog = backlog;
        self
    }

    /// Listens with `factory`; the Deferred has the port, or the
    /// [`CannotListenError`](crate::error::CannotListenError) /
    /// [`InvalidAddress`](crate::error::InvalidAddress). It fires inside this call.
    #[track_caller]
    pub fn listen<F: Factory>(&self, factory: F) -> Deferred<R::Port>
    where
        R::Port: 'static,
    {
        match self
            .reactor
            .listen_tcp_with(self.port, factory, self.options.clone())
        {
            Ok(port) => Deferred::succeed(port),
            Err(failure) => Deferred::fail(failure),
        }
    }
}

/// Connects over TCP to a host name or address (Twisted's `TCP4ClientEndpoint` /
/// `TCP6ClientEndpoint`; a name is resolved and its IPv4 addresses preferred, as the
/// reactor's `connect_tcp` does).
///
/// # Examples
///
/// ```no_run
/// use torsion::endpoints::TcpClientEndpoint;
/// use torsion::{Cx, Protocol, Reactor};
///
/// struct Hello;
/// impl Protocol for Hello {
///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
///         cx.transport().write(b"hello\r\n");
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// let endpoint = TcpClientEndpoint::new(&reactor, "127.0.0.1", 8000);
/// let r = reactor.clone();
/// endpoint.connect(|_addr| Some(Hello)).add_both(move |result| {
///     if let Err(failure) = &result {
///         eprintln!("could not connect: {failure}");
///     }
///     r.stop();
///     Ok(())
/// });
/// reactor.run()?;
/// # Ok::<(), torsion::Failure>(())
/// ```
///
/// Any [`ReactorTcp`] connects: the real [`Reactor`] (the default), or a
/// [`MemoryReactor`](crate::testing::MemoryReactor), whose connector then plays the
/// outcome ([`MemoryConnector::connection_made`](crate::testing::MemoryConnector::connection_made)).
#[derive(Debug, Clone)]
pub struct TcpClientEndpoint<R = Reactor> {
    reactor: R,
    host: String,
    port: u16,
    options: ConnectOptions,
}

impl<R> TcpClientEndpoint<R>
where
    R: ReactorTcp + Clone,
    R::Connector: 'static,
{
    /// `host` (a name or an address) and `port`, with a 30 s timeout.
    pub fn new(reactor: &R, host: &str, port: u16) -> TcpClientEndpoint<R> {
        TcpClientEndpoint {
            reactor: reactor.clone(),
            host: host.to_string(),
            port,
            options: ConnectOptions::default(),
        }
    }

    /// Gives up after `timeout` (`None`: as long as the OS tries).
    pub fn timeout(mut self, timeout: Option<Duration>) -> TcpClientEndpoint<R> {
        self.options.timeout = timeout;
        self
    }

    /// Binds this local address before connecting.
    pub fn bind_address(mut self, addr: std::net::SocketAddr) -> TcpClientEndpoint<R> {
        self.options.bind_address = Some(addr);
        self
    }

    /// Connects; the Deferred fires from the loop, once the protocol `factory` built has
    /// had `connection_made`, with a handle to that protocol; or fails with why the
    /// attempt failed ([`ConnectionRefused`](crate::error::ConnectionRefused),
    /// [`TimeoutError`](crate::error::TimeoutError), ...;
    /// [`NoProtocol`](crate::error::NoProtocol) if the factory built none).
    ///
    /// Cancelling it while the attempt is in flight stops the attempt (its socket is closed
    /// at once) and fails it with [`CancelledError`](crate::error::CancelledError).
    #[track_caller]
    pub fn connect<F: Factory>(&self, factory: F) -> Deferred<ProtocolHandle<F::Protocol>> {
        self.connect_hooked(Rc::new(RefCell::new(factory)), Hooks::default())
    }

    /// One attempt with a factory other attempts may share (`hooks.won` keeps all but the
    /// first connected attempt from building a protocol).
    #[track_caller]
    pub(crate) fn connect_hooked<F: Factory>(
        &self,
        factory: Rc<RefCell<F>>,
        hooks: Hooks,
    ) -> Deferred<ProtocolHandle<F::Protocol>> {
        let connector: Rc<RefCell<Option<R::Connector>>> = Rc::default();
        let stop = connector.clone();
        let ready = Deferred::with_canceller(move |_| {
            if let Some(connector) = stop.borrow_mut().take() {
                connector.stop_connecting();
            }
        });
        let announcer = Announcer::new(factory, ready.clone(), hooks);
        let started =
            self.reactor
                .connect_tcp_with(&self.host, self.port, announcer, self.options.clone());
        *connector.borrow_mut() = Some(started);
        // Once settled, the Deferred lets go of the connector (and its factory).
        ready.add_both(move |outcome| {
            connector.borrow_mut().take();
            outcome
        })
    }
}
