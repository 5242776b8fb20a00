//! [`StringTooLong`]: a string that its length prefix cannot announce.

use std::fmt;

/// A string too long for the length prefix of an [`IntNProtocol`](super::IntNProtocol)
/// was not sent (Twisted's `StringTooLongError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StringTooLong {
    length: usize,
    prefix_bytes: usize,
}

impl StringTooLong {
    pub(super) fn new(length: usize, prefix_bytes: usize) -> Self {
        StringTooLong {
            length,
            prefix_bytes,
        }
    }

    /// The length of the string refused.
    pub fn length(&self) -> usize {
        self.length
    }

    /// The size in bytes of the length prefix.
    pub fn prefix_bytes(&self) -> usize {
        self.prefix_bytes
    }

    /// The longest string the prefix can announce.
    pub fn max_length(&self) -> u64 {
        u64::MAX >> (64 - 8 * self.prefix_bytes)
    }
}

impl fmt::Display for StringTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot send a string of {} bytes: a {}-byte length prefix holds at most {}",
            self.length,
            self.prefix_bytes,
            self.max_length()
        )
    }
}

impl std::error::Error for StringTooLong {}
