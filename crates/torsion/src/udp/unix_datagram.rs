//! UNIX datagram sockets on the datagram engine: `listen_unix_datagram` and
//! `connect_unix_datagram` (Twisted's `IReactorUNIXDatagram`).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use socket2::{Domain, Socket, Type};

use super::port::Opening;
use super::sockaddr::unix_sockaddr;
use super::{DatagramProtocol, DatagramTransport};
use crate::error::{CannotListenError, ConnectError};
use crate::{Address, Failure, Reactor, UnixAddress};

/// A non-blocking UNIX datagram socket bound to `address` (with `mode` on a path), and the
/// file it created, if any.
fn bind_unix(address: &UnixAddress, mode: u32) -> std::io::Result<(Socket, Option<PathBuf>)> {
    let socket = Socket::new(Domain::UNIX, Type::DGRAM, None)?;
    socket.bind(&unix_sockaddr(address)?)?;
    let created = match address {
        UnixAddress::Path(path) => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
            Some(path.clone())
        }
        _ => None,
    };
    socket.set_nonblocking(true)?;
    Ok((socket, created))
}

impl Reactor {
    /// Binds a UNIX datagram socket at `address` (a path, or an abstract name) and
    /// delivers its datagrams to `protocol` (Twisted's `listenUNIXDatagram`). A path's
    /// file gets permissions `mode` (Twisted's default is `0o666`) and is removed when the
    /// port stops. Datagrams longer than `max_packet_size` are logged and dropped.
    ///
    /// # Errors
    ///
    /// [`CannotListenError`] (naming the address, port 0) if it cannot be bound: the path
    /// exists already, its folder does not, the name is too long.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Address, DatagramCx, DatagramProtocol, Reactor, UnixAddress};
    ///
    /// struct Log;
    /// impl DatagramProtocol for Log {
    ///     fn datagram_received(&mut self, _cx: &mut DatagramCx<Self>, data: &[u8], from: Address) {
    ///         println!("{from}: {}", String::from_utf8_lossy(data));
    ///     }
    /// }
    ///
    /// let reactor = Reactor::new()?;
    /// let name = UnixAddress::Abstract(format!("torsion-doc-{}", std::process::id()).into_bytes());
    /// let port = reactor.listen_unix_datagram(name.clone(), Log, 8192, 0o666)?;
    /// assert_eq!(port.get_host(), Address::Unix(name));
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn listen_unix_datagram<P: DatagramProtocol>(
        &self,
        address: UnixAddress,
        protocol: P,
        max_packet_size: usize,
        mode: u32,
    ) -> Result<DatagramTransport, Failure> {
        let cannot = |os_error| {
            Failure::new(CannotListenError {
                interface: Address::Unix(address.clone()).to_string(),
                port: 0,
                os_error,
            })
        };
        let (socket, created_file) = bind_unix(&address, mode).map_err(cannot)?;
        let opening = Opening {
            socket,
            peer: None,
            created_file,
            max_packet_size,
        };
        self.open_datagram_port(opening, protocol).map_err(cannot)
    }

    /// A UNIX datagram socket connected to `address` (Twisted's `connectUNIXDatagram`):
    /// [`write`](DatagramTransport::write) with no address sends there. It is bound to
    /// `bind_address` when given (with `mode` on a path, removed when the port stops) so
    /// the peer can answer; unbound otherwise (the peer sees it unnamed).
    ///
    /// # Errors
    ///
    /// [`CannotListenError`] if `bind_address` cannot be bound; [`ConnectError`] if
    /// nothing is bound at `address`.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Address, DatagramCx, DatagramProtocol, Reactor, UnixAddress};
    ///
    /// struct Quiet;
    /// impl DatagramProtocol for Quiet {
    ///     fn datagram_received(&mut self, _: &mut DatagramCx<Self>, _: &[u8], _: Address) {}
    /// }
    ///
    /// let reactor = Reactor::new()?;
    /// let name = format!("torsion-doc-server-{}", std::process::id()).into_bytes();
    /// let server = reactor.listen_unix_datagram(UnixAddress::Abstract(name.clone()), Quiet, 8192, 0o666)?;
    /// let client = reactor.connect_unix_datagram(UnixAddress::Abstract(name), Quiet, 8192, 0o666, None)?;
    /// client.write(b"hello", None)?;
    /// assert_eq!(client.get_peer(), Some(server.get_host()));
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn connect_unix_datagram<P: DatagramProtocol>(
        &self,
        address: UnixAddress,
        protocol: P,
        max_packet_size: usize,
        mode: u32,
        bind_address: Option<UnixAddress>,
    ) -> Result<DatagramTransport, Failure> {
        let (socket, created_file) = match &bind_address {
            Some(bind) => bind_unix(bind, mode).map_err(|os_error| {
                Failure::new(CannotListenError {
                    interface: Address::Unix(bind.clone()).to_string(),
                    port: 0,
                    os_error,
                })
            })?,
            None => {
                let socket = Socket::new(Domain::UNIX, Type::DGRAM, None)?;
                socket.set_nonblocking(true)?;
                (socket, None)
            }
        };
        let connected = unix_sockaddr(&address).and_then(|peer| socket.connect(&peer));
        if let Err(os_error) = connected {
            if let Some(path) = &created_file {
                let _ = std::fs::remove_file(path);
            }
            return Err(Failure::new(ConnectError { os_error }));
        }
        let opening = Opening {
            socket,
            peer: Some(Address::Unix(address)),
            created_file,
            max_packet_size,
        };
        self.open_datagram_port(opening, protocol)
            .map_err(Failure::from)
    }
}
