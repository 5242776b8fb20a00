//! The failures of datagram ports: typed, so callers can `trap` them.

use std::fmt;

/// A datagram was too long for the kernel to send (EMSGSIZE): nothing was sent (Twisted's
/// `MessageLengthError`).
///
/// # Examples
///
/// ```
/// use torsion::error::MessageLengthError;
///
/// let err = MessageLengthError { length: 70_000 };
/// assert_eq!(err.to_string(), "Message is too long to send: 70000 bytes.");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLengthError {
    /// The length of the datagram that was refused.
    pub length: usize,
}

impl fmt::Display for MessageLengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Message is too long to send: {} bytes.", self.length)
    }
}

impl std::error::Error for MessageLengthError {}

/// A datagram port was used after it stopped listening, or a connected-only call was made
/// on a port that is not connected (or the reverse).
///
/// # Examples
///
/// ```
/// use torsion::error::DatagramPortError;
///
/// let err = DatagramPortError { reason: "the port is not connected" };
/// assert_eq!(err.to_string(), "Datagram port misuse: the port is not connected.");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatagramPortError {
    /// What was wrong.
    pub reason: &'static str,
}

impl fmt::Display for DatagramPortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Datagram port misuse: {}.", self.reason)
    }
}

impl std::error::Error for DatagramPortError {}

/// Joining or leaving a multicast group failed (Twisted's `MulticastJoinError`).
///
/// # Examples
///
/// ```
/// use std::io;
/// use torsion::error::MulticastJoinError;
///
/// let err = MulticastJoinError {
///     group: "10.0.0.1".into(),
///     interface: String::new(),
///     os_error: io::Error::from_raw_os_error(22),
/// };
/// assert!(err.to_string().starts_with("Couldn't join multicast group 10.0.0.1 on any:"));
/// ```
#[derive(Debug)]
pub struct MulticastJoinError {
    /// The group asked for.
    pub group: String,
    /// The interface asked for (empty for the default).
    pub interface: String,
    /// The OS error.
    pub os_error: std::io::Error,
}

impl fmt::Display for MulticastJoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let interface = if self.interface.is_empty() {
            "any"
        } else {
            &self.interface
        };
        write!(
            f,
            "Couldn't join multicast group {} on {interface}: {}.",
            self.group, self.os_error
        )
    }
}

impl std::error::Error for MulticastJoinError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.os_error)
    }
}
