//! [`NetstringParseError`]: why received bytes are not a netstring.

use std::fmt;

/// Why the bytes a [`NetstringProtocol`](super::NetstringProtocol) received are not a
/// netstring (Twisted's `NetstringParseError`). The connection is then closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetstringParseError {
    /// The netstring does not start with a length: no digit, a digit after a leading
    /// `0`, or anything but `:` after the digits.
    MissingLength,
    /// The announced length is over the receiver's `MAX_LENGTH`.
    TooLong {
        /// The receiver's `MAX_LENGTH`.
        max_length: usize,
    },
    /// The byte after the data is not `,`.
    MissingComma,
}

impl fmt::Display for NetstringParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetstringParseError::MissingLength => {
                f.write_str("the netstring does not start with a valid length")
            }
            NetstringParseError::TooLong { max_length } => write!(
                f,
                "the netstring's length is over the limit of {max_length} bytes"
            ),
            NetstringParseError::MissingComma => {
                f.write_str("the netstring's data is not followed by a comma")
            }
        }
    }
}

impl std::error::Error for NetstringParseError {}
