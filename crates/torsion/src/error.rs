//! The typed errors a [`Failure`](crate::Failure) can carry.
//!
//! Each type's `Display` is the message a user sees (Twisted's `getErrorMessage()`), so it
//! reads as a sentence: `Connection was closed cleanly.`. Test for a kind with
//! [`Failure::check`](crate::Failure::check).

use std::fmt;
use std::io;

/// Formats an OS error as `ERRNO: text`, the way Twisted prints socket errors
/// (`111: Connection refused`).
pub(crate) fn os_error_text(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => {
            let full = io::Error::from_raw_os_error(code).to_string();
            let text = full.split(" (os error").next().unwrap_or(&full);
            format!("{code}: {text}")
        }
        None => err.to_string(),
    }
}

macro_rules! simple_error {
    ($(#[$doc:meta])* $name:ident, $msg:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name;

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($msg)
            }
        }

        impl std::error::Error for $name {}
    };
}

simple_error!(
    /// The connection was closed cleanly: by `lose_connection` or by the peer's orderly
    /// shutdown.
    ConnectionDone,
    "Connection was closed cleanly."
);

simple_error!(
    /// The connection was closed by [`Transport::abort_connection`](crate::Transport::abort_connection):
    /// buffered data was discarded.
    ConnectionAborted,
    "Connection was aborted locally using abort_connection."
);

simple_error!(
    /// A connection attempt did not finish within its timeout.
    TimeoutError,
    "User timeout caused connection failure."
);

simple_error!(
    /// A connection attempt was stopped by the user (`Connector::stop_connecting`).
    UserError,
    "User aborted connection."
);

simple_error!(
    /// A client factory's `build_protocol` returned `None` for a connection that succeeded.
    NoProtocol,
    "The factory built no protocol for this connection."
);

simple_error!(
    /// A [`DelayedCall`](crate::DelayedCall) was cancelled or reset after it had run.
    AlreadyCalled,
    "Tried to cancel an already-called event."
);

simple_error!(
    /// A [`DelayedCall`](crate::DelayedCall) was cancelled or reset after it was cancelled.
    AlreadyCancelled,
    "Tried to cancel an already-cancelled event."
);

simple_error!(
    /// An operation was cancelled before it finished.
    CancelledError,
    "The operation was cancelled."
);

simple_error!(
    /// A [`Deferred`](crate::defer::Deferred) was given a result (`callback`, `errback`)
    /// when it already had one.
    AlreadyCalledError,
    "The Deferred was already called."
);

simple_error!(
    /// A [`Deferred`](crate::defer::Deferred)'s callback returned that same Deferred, which
    /// would wait for itself forever.
    DeferredLoop,
    "A callback returned the Deferred it was added to."
);

simple_error!(
    /// `register_producer` was called on a transport that already has a producer.
    ProducerAlreadyRegistered,
    "A producer is already registered with this transport."
);

simple_error!(
    /// `run` was called on a reactor that is already running.
    ReactorAlreadyRunning,
    "The reactor is already running."
);

/// The connection was lost in a non-clean fashion: the peer reset it, a read or write
/// failed, or the reactor shut down while it was open.
#[derive(Debug)]
pub struct ConnectionLost {
    /// The OS error behind the loss, when there was one.
    pub os_error: Option<io::Error>,
}

impl fmt::Display for ConnectionLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Connection to the other side was lost in a non-clean fashion")?;
        match &self.os_error {
            Some(err) => write!(f, ": {}.", os_error_text(err)),
            None => f.write_str(": Connection lost."),
        }
    }
}

impl std::error::Error for ConnectionLost {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.os_error.as_ref().map(|e| e as _)
    }
}

/// The peer refused the connection (`ECONNREFUSED`).
#[derive(Debug)]
pub struct ConnectionRefused {
    /// The OS error as reported by `connect`.
    pub os_error: io::Error,
}

impl fmt::Display for ConnectionRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Connection was refused by other side: {}.",
            os_error_text(&self.os_error)
        )
    }
}

impl std::error::Error for ConnectionRefused {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.os_error)
    }
}

/// A connection attempt failed for a reason other than refusal or timeout
/// (unreachable network, no route, ...).
#[derive(Debug)]
pub struct ConnectError {
    /// The OS error as reported by `connect`.
    pub os_error: io::Error,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "An error occurred while connecting: {}.",
            os_error_text(&self.os_error)
        )
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.os_error)
    }
}

/// A host name could not be resolved to an address.
#[derive(Debug)]
pub struct DnsLookupError {
    /// The name that was looked up.
    pub host: String,
    /// What the resolver said.
    pub detail: String,
}

impl fmt::Display for DnsLookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DNS lookup failed: address {:?} not found: {}.",
            self.host, self.detail
        )
    }
}

impl std::error::Error for DnsLookupError {}

/// Binding or listening on an address failed.
#[derive(Debug)]
pub struct CannotListenError {
    /// The interface asked for (`""` for all interfaces).
    pub interface: String,
    /// The port asked for.
    pub port: u16,
    /// The OS error from `bind` or `listen`.
    pub os_error: io::Error,
}

impl fmt::Display for CannotListenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let iface = if self.interface.is_empty() {
            "any"
        } else {
            &self.interface
        };
        write!(
            f,
            "Couldn't listen on {}:{}: {}.",
            iface,
            self.port,
            os_error_text(&self.os_error)
        )
    }
}

impl std::error::Error for CannotListenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.os_error)
    }
}

/// A user callback panicked; the connection it ran for was closed with this reason.
#[derive(Debug, Clone)]
pub struct CallbackPanicked {
    /// Which callback panicked (`data_received`, a timer, ...).
    pub callback: &'static str,
    /// The panic's message, when it was a string.
    pub message: String,
}

impl fmt::Display for CallbackPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "A user callback ({}) panicked: {}",
            self.callback, self.message
        )
    }
}

impl std::error::Error for CallbackPanicked {}

/// A connection's write buffer passed its hard limit (the peer does not read and nobody
/// paused): the connection was aborted.
#[derive(Debug, Clone, Copy)]
pub struct WriteBufferOverflow {
    /// The limit in bytes.
    pub limit: usize,
}

impl fmt::Display for WriteBufferOverflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Write buffer passed its hard limit of {} bytes: the peer is not reading.",
            self.limit
        )
    }
}

impl std::error::Error for WriteBufferOverflow {}

/// An address a listener or connection could not use as given.
#[derive(Debug, Clone)]
pub struct InvalidAddress {
    /// The address text.
    pub address: String,
}

impl fmt::Display for InvalidAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid address: {:?}.", self.address)
    }
}

impl std::error::Error for InvalidAddress {}

/// Where a listening or connected socket is bound, for log lines and errors.
pub(crate) fn describe(addr: Option<crate::Address>) -> String {
    addr.map(|a| a.to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_reads_like_twisted() {
        let err = ConnectionRefused {
            os_error: io::Error::from_raw_os_error(111),
        };
        assert_eq!(
            err.to_string(),
            "Connection was refused by other side: 111: Connection refused."
        );
    }

    #[test]
    fn lost_names_the_os_error() {
        let err = ConnectionLost {
            os_error: Some(io::Error::from_raw_os_error(104)),
        };
        assert_eq!(
            err.to_string(),
            "Connection to the other side was lost in a non-clean fashion: 104: Connection reset by peer."
        );
        let plain = ConnectionLost { os_error: None };
        assert!(plain.to_string().ends_with(": Connection lost."));
    }

    #[test]
    fn listen_error_names_interface_and_port() {
        let err = CannotListenError {
            interface: String::new(),
            port: 80,
            os_error: io::Error::from_raw_os_error(98),
        };
        assert_eq!(
            err.to_string(),
            "Couldn't listen on any:80: 98: Address already in use."
        );
    }
}
