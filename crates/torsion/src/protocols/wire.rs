//! The small standard services of the early Internet, as plain protocols (Twisted's
//! `twisted.protocols.wire`): [`Echo`] (RFC 862), [`Discard`] (RFC 863), [`Chargen`]
//! (RFC 864), [`Qotd`] (RFC 865), [`Daytime`] (RFC 867) and [`Time`] (RFC 868).
//!
//! Each is a [`Protocol`](crate::Protocol) with no setup, so a closure is its factory:
//!
//! ```no_run
//! use torsion::protocols::wire::{Discard, Echo, Qotd};
//! use torsion::Reactor;
//!
//! let reactor = Reactor::new()?;
//! reactor.listen_tcp(7007, |_peer| Some(Echo))?;
//! reactor.listen_tcp(9009, |_peer| Some(Discard))?;
//! reactor.listen_tcp(1717, |_peer| Some(Qotd::new("Small steps still move you.")))?;
//! reactor.run()?;
//! # Ok::<(), torsion::Failure>(())
//! ```

mod chargen;
mod daytime;
mod echo;
mod qotd;
mod time;

pub use chargen::Chargen;
pub use daytime::Daytime;
pub use echo::{Discard, Echo};
pub use qotd::Qotd;
pub use time::Time;
