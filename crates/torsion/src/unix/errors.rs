//! The failures of UNIX sockets.

use std::fmt;

use crate::address::UnixAddress;
use crate::error::{declare_subkind, CannotListenError};
use crate::{Address, Failure};

/// A UNIX socket could not be listened on: bound, listened, or its lock taken (Twisted's
/// `CannotListenError(None, path, reason)`). A subkind of [`CannotListenError`], so
/// `check::<CannotListenError>()` holds for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannotListenUnixError {
    /// The socket's name.
    pub address: UnixAddress,
    /// Why: the OS error, or `Cannot acquire lock`.
    pub reason: String,
}

impl CannotListenUnixError {
    /// The failure for `address`, declared a subkind of [`CannotListenError`].
    pub(crate) fn failure(address: &UnixAddress, reason: impl fmt::Display) -> Failure {
        declare_subkind::<CannotListenUnixError, CannotListenError>();
        Failure::new(CannotListenUnixError {
            address: address.clone(),
            reason: reason.to_string(),
        })
    }
}

impl fmt::Display for CannotListenUnixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let address = Address::Unix(self.address.clone());
        write!(f, "Couldn't listen on {address}: {}.", self.reason)
    }
}

impl std::error::Error for CannotListenUnixError {}

/// `connect_unix` with `check_pid` found no live listener's lock beside the socket
/// (Twisted's `BadFileError`): the attempt failed without connecting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFileError {
    /// The socket's name.
    pub address: UnixAddress,
}

impl fmt::Display for BadFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let address = Address::Unix(self.address.clone());
        write!(
            f,
            "File used for UNIX socket is no good: {address} has no live listener's lock."
        )
    }
}

impl std::error::Error for BadFileError {}
