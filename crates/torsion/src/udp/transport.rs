//! [`DatagramTransport`]: a datagram port as its protocol and its owner see it (Twisted's
//! `udp.Port` as an `IUDPTransport`).

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;
use std::rc::{Rc, Weak};

use socket2::{SockAddr, Socket};

use super::errors::{DatagramPortError, MessageLengthError};
use super::sockaddr::to_sockaddr;
use crate::defer::Deferred;
use crate::error::InvalidAddress;
use crate::reactor::ReactorCore;
use crate::slab::Key;
use crate::{Address, Failure, Reactor};

/// The socket and addresses of one datagram port, shared by its transports and the
/// reactor's table.
///
/// Invariant: `socket` is `Some` from the port's opening until it stops; once `None` it
/// never comes back.
pub(crate) struct PortState {
    core: Weak<ReactorCore>,
    key: Key,
    socket: RefCell<Option<Socket>>,
    host: Address,
    /// The peer of a connected port, as given and in the kernel's form.
    peer: RefCell<Option<Address>>,
    /// The socket file this port created, removed when it stops.
    created_file: Option<PathBuf>,
}

impl PortState {
    pub(crate) fn new(
        core: Weak<ReactorCore>,
        key: Key,
        socket: Socket,
        host: Address,
        peer: Option<Address>,
        created_file: Option<PathBuf>,
    ) -> PortState {
        PortState {
            core,
            key,
            socket: RefCell::new(Some(socket)),
            host,
            peer: RefCell::new(peer),
            created_file,
        }
    }

    /// The socket's descriptor while the port is open.
    pub(crate) fn fd(&self) -> Option<RawFd> {
        self.socket.borrow().as_ref().map(AsRawFd::as_raw_fd)
    }

    pub(crate) fn host(&self) -> &Address {
        &self.host
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.peer.borrow().is_some()
    }

    /// Closes the socket and removes the socket file it created; `None` if it was closed
    /// already.
    pub(crate) fn close(&self) -> Option<Socket> {
        let socket = self.socket.borrow_mut().take()?;
        if let Some(path) = &self.created_file {
            if let Err(err) = std::fs::remove_file(path) {
                tracing::warn!(path = %path.display(), %err, "could not remove the socket file");
            }
        }
        Some(socket)
    }

    fn with_socket<T>(&self, f: impl FnOnce(&Socket) -> io::Result<T>) -> Result<T, Failure> {
        match self.socket.borrow().as_ref() {
            Some(socket) => f(socket).map_err(Failure::from),
            None => Err(not_listening()),
        }
    }
}

fn not_listening() -> Failure {
    Failure::new(DatagramPortError {
        reason: "the port is not listening",
    })
}

/// A datagram port: UDP ([`Reactor::listen_udp`]), multicast
/// ([`Reactor::listen_multicast`]) or UNIX datagram ([`Reactor::listen_unix_datagram`]).
///
/// A handle: clones stand for the same port, and dropping it does not stop the port (the
/// reactor keeps it until [`stop_listening`](DatagramTransport::stop_listening) or its own
/// shutdown). The multicast calls (`join_group` and the rest) are in
/// [`multicast`](DatagramTransport::join_group).
///
/// # Examples
///
/// ```
/// use torsion::{Address, DatagramCx, DatagramProtocol, Reactor};
///
/// struct Quiet;
/// impl DatagramProtocol for Quiet {
///     fn datagram_received(&mut self, _cx: &mut DatagramCx<Self>, _data: &[u8], _from: Address) {}
/// }
///
/// let reactor = Reactor::new()?;
/// let port = reactor.listen_udp(0, Quiet)?;
/// assert_ne!(port.get_host().port(), Some(0), "port 0 picks a free port");
/// port.write(b"to myself", port.get_host())?;
/// port.stop_listening();
/// assert!(!port.listening());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct DatagramTransport {
    state: Rc<PortState>,
}

impl DatagramTransport {
    pub(crate) fn new(state: Rc<PortState>) -> DatagramTransport {
        DatagramTransport { state }
    }

    /// Sends one datagram to `to`, or to the connected peer when `to` is `None` (Twisted's
    /// `write(datagram, addr)`). Nothing is buffered: the datagram is handed to the kernel
    /// now or not at all.
    ///
    /// When the socket's send buffer is full (EAGAIN) the datagram is not sent and the
    /// error is returned, as Twisted raises it: UDP promises no delivery, and the caller
    /// decides whether to drop the datagram or send it again later.
    ///
    /// # Errors
    ///
    /// [`MessageLengthError`] if the kernel refuses the datagram's length (EMSGSIZE);
    /// [`DatagramPortError`] if the port stopped, if `to` is `None` on a port that is not
    /// connected or names another peer on one that is; [`InvalidAddress`] for an address
    /// of the wrong kind; otherwise the OS error (`WouldBlock` for a full buffer).
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Address, DatagramCx, DatagramProtocol};
    ///
    /// struct Reply;
    /// impl DatagramProtocol for Reply {
    ///     fn datagram_received(&mut self, cx: &mut DatagramCx<Self>, _data: &[u8], from: Address) {
    ///         if let Err(failure) = cx.transport().write(b"got it", from) {
    ///             eprintln!("reply lost: {failure}");
    ///         }
    ///     }
    /// }
    /// ```
    pub fn write(&self, data: &[u8], to: impl Into<Option<Address>>) -> Result<(), Failure> {
        let to = to.into();
        let target = {
            let peer = self.state.peer.borrow();
            match (to, &*peer) {
                (None, Some(_)) => None,
                (Some(to), Some(peer)) if to == *peer => None,
                (Some(to), None) => Some(to_sockaddr(&to)?),
                (None, None) => {
                    return Err(Failure::new(DatagramPortError {
                        reason: "the port is not connected: give an address",
                    }))
                }
                (Some(_), Some(_)) => {
                    return Err(Failure::new(DatagramPortError {
                        reason: "the port is connected to another address",
                    }))
                }
            }
        };
        loop {
            let sent = self.state.with_socket(|socket| match &target {
                Some(addr) => socket.send_to(data, addr),
                None => socket.send(data),
            });
            let Err(failure) = sent else { return Ok(()) };
            let errno = failure
                .downcast_ref::<io::Error>()
                .and_then(io::Error::raw_os_error);
            return match errno {
                Some(libc::EINTR) => continue,
                Some(libc::EMSGSIZE) => {
                    Err(Failure::new(MessageLengthError { length: data.len() }))
                }
                Some(libc::ECONNREFUSED) => {
                    // An ICMP error for an earlier datagram: this one is lost too, and the
                    // protocol hears of it once its current callback is over.
                    if let Some(reactor) = self.reactor().filter(|_| self.state.is_connected()) {
                        reactor.datagram_refused_later(self.state.key);
                    }
                    Ok(())
                }
                _ => Err(failure),
            };
        }
    }

    /// Connects the port to `host:port` (Twisted's `connect`): from then on datagrams go
    /// there by [`write`](DatagramTransport::write) with no address, only datagrams from
    /// there are received, and a refusal by the peer reaches
    /// [`connection_refused`](super::DatagramProtocol::connection_refused). A port
    /// connects once.
    ///
    /// # Errors
    ///
    /// [`InvalidAddress`] if `host` is not an IP address (no name lookups here, as in
    /// Twisted); [`DatagramPortError`] if the port is connected already or stopped; the OS
    /// error from `connect(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Address, DatagramCx, DatagramProtocol, Reactor};
    ///
    /// struct Quiet;
    /// impl DatagramProtocol for Quiet {
    ///     fn datagram_received(&mut self, _: &mut DatagramCx<Self>, _: &[u8], _: Address) {}
    /// }
    ///
    /// let reactor = Reactor::new()?;
    /// let port = reactor.listen_udp(0, Quiet)?;
    /// port.connect("127.0.0.1", 53)?;
    /// assert_eq!(port.get_peer(), Some(Address::Udp("127.0.0.1:53".parse().unwrap())));
    /// port.write(b"query", None)?;
    /// assert!(port.connect("127.0.0.1", 54).is_err(), "a port connects once");
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn connect(&self, host: &str, port: u16) -> Result<(), Failure> {
        let ip: IpAddr = host.parse().map_err(|_| {
            Failure::new(InvalidAddress {
                address: host.to_string(),
            })
        })?;
        if self.state.is_connected() {
            return Err(Failure::new(DatagramPortError {
                reason: "the port is connected already",
            }));
        }
        let peer = SocketAddr::new(ip, port);
        self.state
            .with_socket(|socket| socket.connect(&SockAddr::from(peer)))?;
        *self.state.peer.borrow_mut() = Some(Address::Udp(peer));
        Ok(())
    }

    /// The address the port is bound to (with the real port when 0 was asked for).
    pub fn get_host(&self) -> Address {
        self.state.host.clone()
    }

    /// The peer of a connected port.
    pub fn get_peer(&self) -> Option<Address> {
        self.state.peer.borrow().clone()
    }

    /// Whether the port is open.
    pub fn listening(&self) -> bool {
        self.state.socket.borrow().is_some()
    }

    /// Stops the port: the socket is closed (and a socket file it created removed) before
    /// this returns, so the address is free at once; the protocol's timers are cancelled
    /// and its [`stop_protocol`](super::DatagramProtocol::stop_protocol) runs from the
    /// loop soon after. Stopping twice does nothing.
    ///
    /// The returned Deferred fires once `stop_protocol` has run; stopping a port that is
    /// not listening gives a fired one.
    ///
    /// # Cancel safety
    ///
    /// Cancelling the Deferred does not undo the stop.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Address, DatagramCx, DatagramProtocol, Reactor};
    ///
    /// struct Quiet;
    /// impl DatagramProtocol for Quiet {
    ///     fn datagram_received(&mut self, _: &mut DatagramCx<Self>, _: &[u8], _: Address) {}
    /// }
    ///
    /// let reactor = Reactor::new()?;
    /// let port = reactor.listen_udp(0, Quiet)?;
    /// let r = reactor.clone();
    /// port.stop_listening().add_callback(move |()| {
    ///     r.stop();
    ///     Ok(())
    /// });
    /// assert!(!port.listening(), "the socket is closed at once");
    /// reactor.run()?;
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn stop_listening(&self) -> Deferred<()> {
        self.reactor()
            .and_then(|r| r.stop_datagram_port(self.state.key, false))
            .unwrap_or_else(|| Deferred::succeed(()))
    }

    /// Allows (or forbids) sending to broadcast addresses (`SO_BROADCAST`).
    ///
    /// # Errors
    ///
    /// [`DatagramPortError`] once stopped; the OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Address, DatagramCx, DatagramProtocol, Reactor};
    ///
    /// struct Quiet;
    /// impl DatagramProtocol for Quiet {
    ///     fn datagram_received(&mut self, _: &mut DatagramCx<Self>, _: &[u8], _: Address) {}
    /// }
    ///
    /// let reactor = Reactor::new()?;
    /// let port = reactor.listen_udp(0, Quiet)?;
    /// port.set_broadcast_allowed(true)?;
    /// assert!(port.get_broadcast_allowed());
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn set_broadcast_allowed(&self, enabled: bool) -> Result<(), Failure> {
        self.state.with_socket(|s| s.set_broadcast(enabled))
    }

    /// Whether sending to broadcast addresses is allowed (false once stopped).
    pub fn get_broadcast_allowed(&self) -> bool {
        self.state.with_socket(Socket::broadcast).unwrap_or(false)
    }

    pub(crate) fn with_socket<T>(
        &self,
        f: impl FnOnce(&Socket) -> io::Result<T>,
    ) -> Result<T, Failure> {
        self.state.with_socket(f)
    }

    fn reactor(&self) -> Option<Reactor> {
        self.state.core.upgrade().map(|core| Reactor { core })
    }
}

impl fmt::Debug for DatagramTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatagramTransport")
            .field("host", &self.state.host)
            .field("peer", &self.state.peer.borrow())
            .field("listening", &self.listening())
            .finish()
    }
}
