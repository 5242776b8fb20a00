//! Basic protocols: strings framed on the wire (Twisted's `twisted.protocols.basic`).
//!
//! Each receiver is a trait for a plain type of yours, run by a protocol that owns it and
//! does the framing: [`NetstringReceiver`] by [`NetstringProtocol`], and
//! [`IntNStringReceiver`] (Twisted's `Int8StringReceiver`, `Int16StringReceiver` and
//! `Int32StringReceiver`, picked by [`IntNStringReceiver::Prefix`]) by [`IntNProtocol`].
//! Their callbacks get a [`StringCx`]: `send_string`, the transport, the clock, and timers
//! of their own.

mod intn;
mod intn_parser;
mod netstring;
mod netstring_error;
mod netstring_parser;
mod prefix;
mod receive_buffer;
mod string_cx;
mod string_too_long;

#[cfg(test)]
mod intn_tests;
#[cfg(test)]
mod netstring_tests;
#[cfg(test)]
mod string_proptests;

pub use intn::{IntNCx, IntNProtocol, IntNStringReceiver};
pub use netstring::{NetstringCx, NetstringProtocol, NetstringReceiver};
pub use netstring_error::NetstringParseError;
pub use prefix::{Int16, Int32, Int8, LengthPrefix};
pub use string_cx::StringCx;
pub use string_too_long::StringTooLong;
