//! UNIX stream sockets (Twisted's `IReactorUNIX` stream part and `IUNIXTransport`):
//! listening on and connecting to a path or a Linux abstract name, on the one stream
//! engine ([`crate::stream`]), with descriptor passing (`SCM_RIGHTS`) and the peer's
//! credentials (`SO_PEERCRED`).
//!
//! - `address.rs`: names as users spell them (`"/run/app.sock"`, `"\0abstract"`) and as
//!   the OS does.
//! - `source.rs`: the stream engine's side of a UNIX socket (half-close, `recvmsg` and
//!   `sendmsg` with descriptors); `ancillary.rs`: the `SCM_RIGHTS` calls themselves.
//! - `listener.rs`: `listen_unix`, the stale socket file, the socket file's mode;
//!   `lock.rs`: the pid lock file beside the socket (Twisted's `FilesystemLock`).
//! - `connect.rs`: `connect_unix`.
//! - `credentials.rs`: [`PeerCredentials`]; `errors.rs`: the failures of this module.

mod address;
mod ancillary;
mod connect;
mod credentials;
mod errors;
mod listener;
mod lock;
mod source;

pub use connect::UnixConnectOptions;
pub use credentials::PeerCredentials;
pub use errors::{BadFileError, CannotListenUnixError};
pub use listener::{UnixListenOptions, UnixListeningPort};
#[cfg(test)]
pub(crate) use {ancillary::recv_with_fds, source::UnixSource};
