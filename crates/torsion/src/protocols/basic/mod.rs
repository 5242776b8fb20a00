//! Framing receivers: turn a byte stream into messages (Twisted's
//! `twisted.protocols.basic`).
//!
//! Each receiver is a trait the user implements on a plain type, and a [`Protocol`]
//! that runs it: [`LineReceiver`] runs inside [`LineProtocol`], whose callbacks get a
//! [`LineCx`].
//!
//! [`Protocol`]: crate::Protocol

mod line;
mod line_cx;
mod line_only;
mod line_state;

pub use line::{LineProtocol, LineReceiver};
pub use line_cx::LineCx;
pub use line_only::LineOnlyReceiver;

#[cfg(test)]
mod line_proptests;
#[cfg(test)]
mod line_tests;
