//! [`UdpOptions`] and `listen_udp`: binding a UDP port.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use socket2::{Domain, Protocol, Socket, Type};

use super::port::Opening;
use super::{DatagramProtocol, DatagramTransport};
use crate::error::{CannotListenError, InvalidAddress};
use crate::{Failure, Reactor};

/// The largest datagram delivered whole by default (Twisted's `maxPacketSize`).
pub const DEFAULT_MAX_PACKET_SIZE: usize = 8192;

/// How to bind a UDP port.
///
/// # Examples
///
/// ```
/// use torsion::UdpOptions;
///
/// let options = UdpOptions { interface: "::1".into(), ..UdpOptions::default() };
/// assert_eq!(options.max_packet_size, 8192);
/// ```
#[derive(Debug, Clone)]
pub struct UdpOptions {
    /// The address to bind: `""` (the default) for every IPv4 interface, `"::"` for every
    /// IPv6 one, or one address such as `"127.0.0.1"`.
    pub interface: String,
    /// The largest datagram delivered: a longer one is logged (with its length and sender)
    /// and dropped, never delivered cut. Default [`DEFAULT_MAX_PACKET_SIZE`].
    pub max_packet_size: usize,
    /// Sets `SO_REUSEADDR` and `SO_REUSEPORT`, so several sockets may bind the same port
    /// (what [`listen_multicast`](Reactor::listen_multicast)'s `listen_multiple` sets).
    pub reuse_port: bool,
}

impl Default for UdpOptions {
    fn default() -> Self {
        UdpOptions {
            interface: String::new(),
            max_packet_size: DEFAULT_MAX_PACKET_SIZE,
            reuse_port: false,
        }
    }
}

impl Reactor {
    /// Binds UDP `port` on every IPv4 interface and delivers its datagrams to `protocol`
    /// (Twisted's `listenUDP`); 0 picks a free port (see
    /// [`get_host`](DatagramTransport::get_host)). `start_protocol` runs before this
    /// returns.
    ///
    /// # Errors
    ///
    /// [`CannotListenError`] if the port cannot be bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Address, DatagramCx, DatagramProtocol, Reactor};
    ///
    /// struct Echo;
    /// impl DatagramProtocol for Echo {
    ///     fn datagram_received(&mut self, cx: &mut DatagramCx<Self>, data: &[u8], from: Address) {
    ///         let _ = cx.transport().write(data, from);
    ///     }
    /// }
    ///
    /// let reactor = Reactor::new()?;
    /// let port = reactor.listen_udp(0, Echo)?;
    /// assert!(port.listening());
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn listen_udp<P: DatagramProtocol>(
        &self,
        port: u16,
        protocol: P,
    ) -> Result<DatagramTransport, Failure> {
        self.listen_udp_with(port, protocol, UdpOptions::default())
    }

    /// Binds as [`listen_udp`](Reactor::listen_udp) does, with explicit options.
    ///
    /// # Errors
    ///
    /// [`InvalidAddress`](crate::error::InvalidAddress) for an interface that is not an IP
    /// address; [`CannotListenError`] if the port cannot be bound.
    pub fn listen_udp_with<P: DatagramProtocol>(
        &self,
        port: u16,
        protocol: P,
        options: UdpOptions,
    ) -> Result<DatagramTransport, Failure> {
        let ip = interface_ip(&options.interface)?;
        let cannot = |os_error| {
            Failure::new(CannotListenError {
                interface: options.interface.clone(),
                port,
                os_error,
            })
        };
        let socket = bind_udp(SocketAddr::new(ip, port), options.reuse_port).map_err(cannot)?;
        let opening = Opening {
            socket,
            peer: None,
            created_file: None,
            max_packet_size: options.max_packet_size,
        };
        self.open_datagram_port(opening, protocol).map_err(cannot)
    }
}

/// The address of `interface`: `""` is every IPv4 interface.
fn interface_ip(interface: &str) -> Result<IpAddr, Failure> {
    if interface.is_empty() {
        return Ok(Ipv4Addr::UNSPECIFIED.into());
    }
    interface.parse().map_err(|_| {
        Failure::new(InvalidAddress {
            address: interface.to_string(),
        })
    })
}

fn bind_udp(addr: SocketAddr, reuse: bool) -> std::io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if reuse {
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
    }
    socket.bind(&addr.into())?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}
