//! [`ServerEndpoint`] and [`ClientEndpoint`]: any endpoint, whatever its transport, and
//! [`connect_protocol`].

use std::cell::RefCell;
use std::rc::Rc;

use super::announce::{Hooks, OnLost};
use super::{
    HostnameEndpoint, ServerPort, TcpClientEndpoint, TcpServerEndpoint, TlsClientEndpoint,
    TlsServerEndpoint, UnixClientEndpoint, UnixServerEndpoint,
};
use crate::defer::Deferred;
use crate::{Factory, Protocol, ProtocolHandle};

/// Any endpoint that listens (what [`server_from_string`](super::server_from_string)
/// builds).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ServerEndpoint {
    /// A TCP port.
    Tcp(TcpServerEndpoint),
    /// A UNIX socket.
    Unix(UnixServerEndpoint),
    /// TLS on a TCP port.
    Tls(TlsServerEndpoint),
}

impl ServerEndpoint {
    /// Listens with `factory`; see the variant's own `listen`. The port comes as a
    /// [`ServerPort`] of the endpoint's kind (a TLS endpoint's is its TCP port).
    #[track_caller]
    pub fn listen<F: Factory>(&self, factory: F) -> Deferred<ServerPort> {
        match self {
            ServerEndpoint::Tcp(tcp) => tcp
                .listen(factory)
                .add_callback(|port| Ok(ServerPort::Tcp(port))),
            ServerEndpoint::Unix(unix) => unix
                .listen(factory)
                .add_callback(|port| Ok(ServerPort::Unix(port))),
            ServerEndpoint::Tls(tls) => tls
                .listen(factory)
                .add_callback(|port| Ok(ServerPort::Tcp(port))),
        }
    }
}

impl From<TcpServerEndpoint> for ServerEndpoint {
    fn from(endpoint: TcpServerEndpoint) -> Self {
        ServerEndpoint::Tcp(endpoint)
    }
}

impl From<TlsServerEndpoint> for ServerEndpoint {
    fn from(endpoint: TlsServerEndpoint) -> Self {
        ServerEndpoint::Tls(endpoint)
    }
}

impl From<UnixServerEndpoint> for ServerEndpoint {
    fn from(endpoint: UnixServerEndpoint) -> Self {
        ServerEndpoint::Unix(endpoint)
    }
}

/// Any endpoint that connects (what [`client_from_string`](super::client_from_string)
/// builds).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientEndpoint {
    /// TCP to a host name or address.
    Tcp(TcpClientEndpoint),
    /// TCP to a host name, racing its addresses.
    Hostname(HostnameEndpoint),
    /// A UNIX socket.
    Unix(UnixClientEndpoint),
    /// TLS over another endpoint's connection.
    Tls(TlsClientEndpoint),
}

impl ClientEndpoint {
    /// Connects with `factory`; the Deferred has a handle to the connected protocol (see
    /// [`TcpClientEndpoint::connect`]). Cancelling it stops the attempt.
    #[track_caller]
    pub fn connect<F: Factory>(&self, factory: F) -> Deferred<ProtocolHandle<F::Protocol>> {
        match self {
            ClientEndpoint::Tcp(tcp) => tcp.connect(factory),
            ClientEndpoint::Hostname(hostname) => hostname.connect(factory),
            ClientEndpoint::Unix(unix) => unix.connect(factory),
            ClientEndpoint::Tls(tls) => tls.connect(factory),
        }
    }
}

impl ClientEndpoint {
    /// Connects with a factory kept by the caller; `on_lost` hears when the connection
    /// that was made is lost.
    #[track_caller]
    pub(crate) fn connect_watched<F: Factory>(
        &self,
        factory: Rc<RefCell<F>>,
        on_lost: OnLost,
    ) -> Deferred<ProtocolHandle<F::Protocol>> {
        match self {
            ClientEndpoint::Tcp(tcp) => tcp.connect_hooked(
                factory,
                Hooks {
                    on_lost: Some(on_lost),
                    ..Hooks::default()
                },
            ),
            ClientEndpoint::Hostname(hostname) => hostname.connect_hooked(factory, Some(on_lost)),
            ClientEndpoint::Unix(unix) => unix.connect_hooked(
                factory,
                Hooks {
                    on_lost: Some(on_lost),
                    ..Hooks::default()
                },
            ),
            ClientEndpoint::Tls(tls) => tls.connect_hooked(factory, Some(on_lost)),
        }
    }
}

impl From<TcpClientEndpoint> for ClientEndpoint {
    fn from(endpoint: TcpClientEndpoint) -> Self {
        ClientEndpoint::Tcp(endpoint)
    }
}

impl From<UnixClientEndpoint> for ClientEndpoint {
    fn from(endpoint: UnixClientEndpoint) -> Self {
        ClientEndpoint::Unix(endpoint)
    }
}

impl From<TlsClientEndpoint> for ClientEndpoint {
    fn from(endpoint: TlsClientEndpoint) -> Self {
        ClientEndpoint::Tls(endpoint)
    }
}

impl From<HostnameEndpoint> for ClientEndpoint {
    fn from(endpoint: HostnameEndpoint) -> Self {
        ClientEndpoint::Hostname(endpoint)
    }
}

/// Connects `endpoint` and runs `protocol` on the connection (Twisted's
/// `connectProtocol`).
///
/// # Examples
///
/// ```no_run
/// use torsion::endpoints::{connect_protocol, TcpClientEndpoint};
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
/// let connected = connect_protocol(&endpoint.into(), Hello);
/// # Ok::<(), torsion::Failure>(())
/// ```
#[track_caller]
pub fn connect_protocol<P: Protocol>(
    endpoint: &ClientEndpoint,
    protocol: P,
) -> Deferred<ProtocolHandle<P>> {
    let mut protocol = Some(protocol);
    endpoint.connect(move |_addr| protocol.take())
}
