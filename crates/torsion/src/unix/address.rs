//! UNIX socket names: as users spell them (Twisted's leading `"\0"` for Linux's abstract
//! namespace) and as the OS takes and gives them.

use std::ffi::OsStr;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::SocketAddr as StdUnixAddr;
use std::path::{Path, PathBuf};

use crate::address::UnixAddress;

impl UnixAddress {
    /// The name spelled `name`: a leading NUL byte names the Linux abstract namespace (as
    /// Twisted spells it, `"\0name"`), anything else is a path.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::UnixAddress;
    ///
    /// assert_eq!(UnixAddress::from("\0torsion-demo"), UnixAddress::Abstract(b"torsion-demo".to_vec()));
    /// assert_eq!(UnixAddress::from("/tmp/x.sock"), UnixAddress::Path("/tmp/x.sock".into()));
    /// ```
    pub fn from_name(name: &OsStr) -> UnixAddress {
        match name.as_bytes() {
            [0, rest @ ..] => UnixAddress::Abstract(rest.to_vec()),
            _ => UnixAddress::Path(PathBuf::from(name)),
        }
    }

    /// The path, for a name in the file system.
    pub fn path(&self) -> Option<&Path> {
        match self {
            UnixAddress::Path(path) => Some(path),
            _ => None,
        }
    }

    /// The address to give `bind` or `connect`.
    pub(crate) fn to_sockaddr(&self) -> io::Result<socket2::SockAddr> {
        match self {
            UnixAddress::Path(path) => socket2::SockAddr::unix(path),
            UnixAddress::Abstract(name) => {
                let mut bytes = Vec::with_capacity(name.len() + 1);
                bytes.push(0);
                bytes.extend_from_slice(name);
                socket2::SockAddr::unix(OsStr::from_bytes(&bytes))
            }
            UnixAddress::Unnamed => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an unnamed UNIX socket cannot be bound or connected to",
            )),
        }
    }

    /// The name of an address the OS gave (`accept`, `getsockname`).
    pub(crate) fn from_std(addr: &StdUnixAddr) -> UnixAddress {
        if let Some(path) = addr.as_pathname() {
            return UnixAddress::Path(path.to_path_buf());
        }
        match addr.as_abstract_name() {
            Some(name) => UnixAddress::Abstract(name.to_vec()),
            None => UnixAddress::Unnamed,
        }
    }
}

impl From<&str> for UnixAddress {
    /// As [`UnixAddress::from_name`].
    fn from(name: &str) -> UnixAddress {
        UnixAddress::from_name(OsStr::new(name))
    }
}

impl From<String> for UnixAddress {
    /// As [`UnixAddress::from_name`].
    fn from(name: String) -> UnixAddress {
        UnixAddress::from(name.as_str())
    }
}

impl From<&Path> for UnixAddress {
    /// As [`UnixAddress::from_name`].
    fn from(path: &Path) -> UnixAddress {
        UnixAddress::from_name(path.as_os_str())
    }
}

impl From<PathBuf> for UnixAddress {
    /// As [`UnixAddress::from_name`].
    fn from(path: PathBuf) -> UnixAddress {
        UnixAddress::from(path.as_path())
    }
}

impl From<&PathBuf> for UnixAddress {
    /// As [`UnixAddress::from_name`].
    fn from(path: &PathBuf) -> UnixAddress {
        UnixAddress::from(path.as_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_nul_names_the_abstract_namespace() {
        assert_eq!(
            UnixAddress::from("\0x"),
            UnixAddress::Abstract(b"x".to_vec())
        );
        assert_eq!(
            UnixAddress::from("rel/x"),
            UnixAddress::Path("rel/x".into())
        );
        assert_eq!(UnixAddress::from("\0x").path(), None);
    }

    #[test]
    fn abstract_names_round_trip_through_the_os_form() {
        let name = UnixAddress::Abstract(b"torsion-address-test".to_vec());
        let sockaddr = name.to_sockaddr().unwrap();
        assert_eq!(
            sockaddr.as_abstract_namespace(),
            Some(&b"torsion-address-test"[..])
        );
        let path = UnixAddress::Path("/tmp/a.sock".into());
        assert_eq!(
            path.to_sockaddr().unwrap().as_pathname(),
            Some(Path::new("/tmp/a.sock"))
        );
        assert!(UnixAddress::Unnamed.to_sockaddr().is_err());
    }
}
