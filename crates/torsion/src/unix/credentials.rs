//! [`PeerCredentials`]: who is at the other end of a UNIX socket.

use std::io;
use std::os::fd::RawFd;

/// The process, user and group of a UNIX socket's peer, as the kernel recorded them when
/// the connection was made (`SO_PEERCRED`).
///
/// # Examples
///
/// ```
/// use std::os::unix::net::UnixStream;
/// use torsion::{Cx, Protocol};
///
/// struct Greeter;
/// impl Protocol for Greeter {
///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
///         if let Ok(peer) = cx.transport().get_peer_credentials() {
///             cx.transport().write(format!("hello, uid {}\n", peer.uid));
///         }
///     }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerCredentials {
    /// The peer's process id.
    pub pid: u32,
    /// The peer's effective user id.
    pub uid: u32,
    /// The peer's effective group id.
    pub gid: u32,
}

impl PeerCredentials {
    /// Reads `SO_PEERCRED` of the connected UNIX socket `fd`.
    pub(crate) fn of(fd: RawFd) -> io::Result<PeerCredentials> {
        // SAFETY: all-zero bytes are a valid `ucred` (three integers).
        let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
        // SAFETY: `cred` and `len` are valid for writes of the sizes given; `fd` is a
        // socket the caller keeps open for the call.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                (&mut cred as *mut libc::ucred).cast(),
                &mut len,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(PeerCredentials {
            pid: cred.pid as u32,
            uid: cred.uid,
            gid: cred.gid,
        })
    }
}
