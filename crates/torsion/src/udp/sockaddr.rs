//! Between [`Address`] and the kernel's socket addresses, for datagram ports.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use socket2::SockAddr;

use crate::error::InvalidAddress;
use crate::{Address, Failure, UnixAddress};

/// The address a datagram came from (or a socket is bound to). Any IP address is
/// [`Address::Udp`]; a UNIX one is a path, an abstract name or unnamed.
pub(crate) fn to_address(addr: &SockAddr) -> Address {
    if let Some(ip) = addr.as_socket() {
        return Address::Udp(ip);
    }
    if let Some(path) = addr.as_pathname() {
        return Address::Unix(UnixAddress::Path(path.to_path_buf()));
    }
    if let Some(name) = addr.as_abstract_namespace() {
        return Address::Unix(UnixAddress::Abstract(name.to_vec()));
    }
    Address::Unix(UnixAddress::Unnamed)
}

/// The kernel's form of `address`, to send to.
///
/// # Errors
///
/// [`InvalidAddress`] for an address no datagram can be sent to (unnamed, a pipe).
pub(crate) fn to_sockaddr(address: &Address) -> Result<SockAddr, Failure> {
    let invalid = || {
        Failure::new(InvalidAddress {
            address: address.to_string(),
        })
    };
    match address {
        Address::Udp(ip) | Address::Tcp(ip) => Ok(SockAddr::from(*ip)),
        Address::Unix(unix) => unix_sockaddr(unix).map_err(|_| invalid()),
        _ => Err(invalid()),
    }
}

/// The kernel's form of a UNIX socket name.
///
/// # Errors
///
/// `InvalidInput` for an unnamed address or a name too long.
pub(crate) fn unix_sockaddr(address: &UnixAddress) -> std::io::Result<SockAddr> {
    match address {
        UnixAddress::Path(path) => SockAddr::unix(path),
        UnixAddress::Abstract(name) => {
            // socket2 reads a name that starts with a NUL byte as an abstract one.
            let mut raw = Vec::with_capacity(name.len() + 1);
            raw.push(0);
            raw.extend_from_slice(name);
            SockAddr::unix(OsStr::from_bytes(&raw))
        }
        UnixAddress::Unnamed => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "an unnamed UNIX socket cannot be bound or sent to",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_names_round_trip() {
        for address in [
            UnixAddress::Path("/tmp/some.sock".into()),
            UnixAddress::Abstract(b"torsion-name".to_vec()),
        ] {
            let raw = unix_sockaddr(&address).unwrap();
            assert_eq!(to_address(&raw), Address::Unix(address));
        }
        assert!(unix_sockaddr(&UnixAddress::Unnamed).is_err());
    }

    #[test]
    fn ip_addresses_are_udp_and_pipes_are_refused() {
        let ip: std::net::SocketAddr = "[::1]:53".parse().unwrap();
        assert_eq!(
            to_address(&to_sockaddr(&Address::Udp(ip)).unwrap()),
            Address::Udp(ip)
        );
        assert!(to_sockaddr(&Address::Pipe).is_err());
    }
}
