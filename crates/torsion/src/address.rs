//! [`Address`]: where a connection's end is (Twisted's `IAddress` family).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// One end of a connection, whatever carries it: what [`Transport::get_peer`] and
/// [`Transport::get_host`] return and what a factory's `build_protocol` is given.
///
/// [`Transport::get_peer`]: crate::Transport::get_peer
/// [`Transport::get_host`]: crate::Transport::get_host
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// use torsion::Address;
///
/// let peer: SocketAddr = "127.0.0.1:8000".parse().unwrap();
/// let address = Address::from(peer);
/// assert_eq!(address.port(), Some(8000));
/// assert_eq!(address, peer);
/// assert_eq!(address.to_string(), "127.0.0.1:8000");
/// assert_eq!(Address::Pipe.socket_addr(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address {
    /// A TCP endpoint, IPv4 or IPv6 (Twisted's `IPv4Address("TCP", ...)` and `IPv6Address`).
    Tcp(SocketAddr),
    /// A UDP endpoint.
    Udp(SocketAddr),
    /// A UNIX socket (Twisted's `UNIXAddress`).
    Unix(UnixAddress),
    /// A pipe, a terminal or a file (Twisted's `PipeAddress`).
    Pipe,
    /// A child process, by its process id once known (Twisted's `_ProcessAddress`).
    Process(Option<u32>),
}

/// The name of a UNIX socket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UnixAddress {
    /// A path in the file system.
    Path(PathBuf),
    /// A name in Linux's abstract namespace (without the leading NUL byte).
    Abstract(Vec<u8>),
    /// A socket with no name (one end of a `socketpair`, or an unbound client).
    Unnamed,
}

impl Address {
    /// The IP address and port, for TCP and UDP.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        match self {
            Address::Tcp(addr) | Address::Udp(addr) => Some(*addr),
            _ => None,
        }
    }

    /// The IP address, for TCP and UDP.
    pub fn ip(&self) -> Option<IpAddr> {
        self.socket_addr().map(|a| a.ip())
    }

    /// The port, for TCP and UDP.
    pub fn port(&self) -> Option<u16> {
        self.socket_addr().map(|a| a.port())
    }
}

impl From<SocketAddr> for Address {
    /// A TCP address.
    fn from(addr: SocketAddr) -> Address {
        Address::Tcp(addr)
    }
}

impl PartialEq<SocketAddr> for Address {
    fn eq(&self, other: &SocketAddr) -> bool {
        self.socket_addr() == Some(*other)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Tcp(addr) | Address::Udp(addr) => write!(f, "{addr}"),
            Address::Unix(UnixAddress::Path(path)) => write!(f, "{}", path.display()),
            Address::Unix(UnixAddress::Abstract(name)) => {
                write!(f, "@{}", String::from_utf8_lossy(name))
            }
            Address::Unix(UnixAddress::Unnamed) => f.write_str("unix:unnamed"),
            Address::Pipe => f.write_str("pipe"),
            Address::Process(Some(pid)) => write!(f, "process {pid}"),
            Address::Process(None) => f.write_str("process"),
        }
    }
}
