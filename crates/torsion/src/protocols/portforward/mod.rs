//! A TCP port forwarder (Twisted's `twisted.protocols.portforward`): every connection
//! accepted on a listening port is joined to a new connection to a fixed destination, and
//! bytes are copied both ways.
//!
//! [`ProxyFactory`] is the listening side's [`Factory`](crate::Factory); it builds a
//! [`ProxyServer`] per accepted connection, which dials the destination. What the pair
//! does:
//!
//! - **Nothing is lost while dialing.** The accepted connection stops reading until the
//!   destination answers (as Twisted's `ProxyServer` does); whatever arrives anyway (over
//!   a transport that cannot pause) is kept and sent first.
//! - **Backpressure both ways.** Each side's transport is registered as the streaming
//!   producer of the other: when one side's write buffer passes its high watermark the
//!   other side stops reading, until it drains. A slow reader on either end holds the
//!   forwarder's memory to the watermarks (64 KiB by default) plus one read, whatever
//!   the other end sends.
//! - **Closing.** When either side closes, for whatever reason, the other is closed with
//!   [`lose_connection`](crate::Transport::lose_connection) once what was already
//!   forwarded to it is written. Half-close is not forwarded: a peer's EOF closes its own
//!   side (the default [`read_connection_lost`](crate::Protocol::read_connection_lost)),
//!   so the whole pair closes, and bytes the other end sends after that are dropped.
//! - **Failures stay in the pair.** A destination that cannot be reached closes the
//!   accepted connection, with the destination and the error logged at `info`; a panic
//!   in either side aborts that side and closes the other; other pairs go on.
//!
//! # Examples
//!
//! Forward port 8080 of this host to a web server:
//!
//! ```no_run
//! use torsion::protocols::portforward::ProxyFactory;
//! use torsion::Reactor;
//!
//! let reactor = Reactor::new()?;
//! reactor.listen_tcp(8080, ProxyFactory::new(&reactor, "example.org", 80))?;
//! reactor.run()?;
//! # Ok::<(), torsion::Failure>(())
//! ```

mod client;
mod factory;
mod pair;
mod server;

pub use factory::ProxyFactory;
pub use server::ProxyServer;

#[cfg(test)]
mod tests;
