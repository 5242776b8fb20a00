//! Framing receivers: turn a byte stream into messages (Twisted's
//! `twisted.protocols.basic`).
//!
//! Each receiver is a trait the user implements on a plain type, and a [`Protocol`]
//! that runs it and does the framing:
//!
//! - [`LineReceiver`] (and [`LineOnlyReceiver`]) runs inside [`LineProtocol`], whose
//!   callbacks get a [`LineCx`];
//! - [`NetstringReceiver`] runs inside [`NetstringProtocol`], and [`IntNStringReceiver`]
//!   (Twisted's `Int8StringReceiver`, `Int16StringReceiver` and `Int32StringReceiver`,
//!   picked by [`IntNStringReceiver::Prefix`]) inside [`IntNProtocol`]; their callbacks get
//!   a [`StringCx`].
//!
//! Every context offers the transport, the clock, and timers of the user type's own.
//!
//! [`Protocol`]: crate::Protocol

mod intn;
mod intn_parser;
mod line;
mod line_cx;
mod line_only;
mod line_state;
mod netstring;
mod netstring_error;
mod netstring_parser;
mod prefix;
mod receive_buffer;
mod string_cx;
mod string_too_long;

pub use intn::{IntNCx, IntNProtocol, IntNStringReceiver};
pub use line::{LineProtocol, LineReceiver};
pub use line_cx::LineCx;
pub use line_only::LineOnlyReceiver;
pub use netstring::{NetstringCx, NetstringProtocol, NetstringReceiver};
pub use netstring_error::NetstringParseError;
pub use prefix::{Int16, Int32, Int8, LengthPrefix};
pub use string_cx::StringCx;
pub use string_too_long::StringTooLong;

#[cfg(test)]
mod intn_tests;
#[cfg(test)]
mod line_proptests;
#[cfg(test)]
mod line_tests;
#[cfg(test)]
mod netstring_tests;
#[cfg(test)]
mod string_proptests;
