//! [`ServerPort`]: the port a [`ServerEndpoint`](super::ServerEndpoint) listens on,
//! whatever its kind.

use crate::address::Address;
use crate::defer::Deferred;
use crate::{ListeningPort, UnixListeningPort};

/// A port a [`ServerEndpoint`](super::ServerEndpoint) listens on (Twisted's
/// `IListeningPort`, whatever the transport): what code that takes any endpoint
/// description gets back.
///
/// # Examples
///
/// ```
/// use torsion::endpoints::server_from_string;
/// use torsion::{Address, Protocol, Reactor};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let reactor = Reactor::new()?;
/// let path = std::env::temp_dir().join(format!("torsion-port-doc-{}.sock", std::process::id()));
/// for description in ["tcp:0:interface=127.0.0.1".to_string(), format!("unix:{}", path.display())] {
///     let port = server_from_string(&reactor, &description)?
///         .listen(|_peer| Some(Quiet))
///         .take_result()
///         .expect("listens inside the call")?;
///     assert!(matches!(port.get_host(), Address::Tcp(_) | Address::Unix(_)));
///     port.stop_listening();
///     assert!(!port.listening());
/// }
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ServerPort {
    /// A TCP port.
    Tcp(ListeningPort),
    /// A UNIX socket.
    Unix(UnixListeningPort),
}

impl ServerPort {
    /// The address listened on (with the real port when TCP port 0 was asked for).
    pub fn get_host(&self) -> Address {
        match self {
            ServerPort::Tcp(port) => Address::Tcp(port.get_host()),
            ServerPort::Unix(port) => Address::Unix(port.get_host()),
        }
    }

    /// Stops listening; see the variant's own `stop_listening`.
    #[track_caller]
    pub fn stop_listening(&self) -> Deferred<()> {
        match self {
            ServerPort::Tcp(port) => port.stop_listening(),
            ServerPort::Unix(port) => port.stop_listening(),
        }
    }

    /// Whether the port still listens.
    pub fn listening(&self) -> bool {
        match self {
            ServerPort::Tcp(port) => port.listening(),
            ServerPort::Unix(port) => port.listening(),
        }
    }

    /// The TCP port, if it is one.
    pub fn tcp(&self) -> Option<&ListeningPort> {
        match self {
            ServerPort::Tcp(port) => Some(port),
            ServerPort::Unix(_) => None,
        }
    }
}
