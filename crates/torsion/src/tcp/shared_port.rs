//! [`SharedPort`]: one TCP port that every reactor of a group listens on (`SO_REUSEPORT`).

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use socket2::{Domain, Socket, Type};

use super::listener::interface_ip;
use crate::{Factory, Failure, ListenOptions, ListeningPort, Reactor};

/// A port for `reactors` reactors to listen on together, the kernel spreading connections
/// among them (see [`run_reactors`](crate::run_reactors)).
///
/// Port 0 is resolved once, when the `SharedPort` is made: a socket bound with
/// `SO_REUSEPORT` (not listening) holds the port the kernel picked until every reactor
/// listens on it. Share it between the reactors' setups in an `Arc`; it only uses atomics
/// and a lock while setting up, never per connection.
///
/// # Examples
///
/// ```no_run
/// use std::sync::Arc;
/// use torsion::{run_reactors, Cx, Protocol, SharedPort};
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let port = Arc::new(SharedPort::bind("127.0.0.1", 0, 2)?);
/// run_reactors(2, move |reactor, _peers| {
///     let (listening, everyone) = port.listen(reactor, |_peer| Some(Echo))?;
///     if everyone {
///         println!("listening on {}", listening.get_host());
///     }
///     Ok(())
/// })?;
/// # Ok::<(), torsion::Failure>(())
/// ```
pub struct SharedPort {
    interface: String,
    port: u16,
    reactors: usize,
    reservation: Mutex<Option<Socket>>,
    listening: AtomicUsize,
}

impl SharedPort {
    /// A port on `interface` (`""` for every IPv4 interface) for `reactors` listeners;
    /// `port` 0 picks a free one now.
    ///
    /// # Errors
    ///
    /// [`InvalidAddress`](crate::error::InvalidAddress) for an interface that is not an IP
    /// address; the OS error if no port can be reserved.
    pub fn bind(interface: &str, port: u16, reactors: usize) -> Result<SharedPort, Failure> {
        let ip = interface_ip(interface)?;
        let (port, reservation) = if port == 0 {
            let probe = Socket::new(
                Domain::for_address(SocketAddr::new(ip, 0)),
                Type::STREAM,
                None,
            )?;
            probe.set_reuse_address(true)?;
            probe.set_reuse_port(true)?;
            probe.bind(&SocketAddr::new(ip, 0).into())?;
            let port = probe
                .local_addr()?
                .as_socket()
                .map(|a| a.port())
                .unwrap_or_default();
            (port, Some(probe))
        } else {
            (port, None)
        };
        Ok(SharedPort {
            interface: interface.to_string(),
            port,
            reactors: reactors.max(1),
            reservation: Mutex::new(reservation),
            listening: AtomicUsize::new(0),
        })
    }

    /// The port number (never 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Listens on the port from `reactor`, with `SO_REUSEPORT`. Returns the listening port
    /// and whether every reactor now listens: exactly one caller gets `true`, the last, and
    /// the reservation of port 0 is released then.
    ///
    /// # Errors
    ///
    /// As [`Reactor::listen_tcp_with`].
    pub fn listen<F: Factory>(
        &self,
        reactor: &Reactor,
        factory: F,
    ) -> Result<(ListeningPort, bool), Failure> {
        let options = ListenOptions {
            interface: self.interface.clone(),
            reuse_port: true,
            ..ListenOptions::default()
        };
        let listening = reactor.listen_tcp_with(self.port, factory, options)?;
        let everyone = self.listening.fetch_add(1, Ordering::AcqRel) + 1 == self.reactors;
        if everyone {
            drop(
                self.reservation
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take(),
            );
        }
        Ok((listening, everyone))
    }
}

impl fmt::Debug for SharedPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedPort")
            .field("interface", &self.interface)
            .field("port", &self.port)
            .field("reactors", &self.reactors)
            .finish()
    }
}
