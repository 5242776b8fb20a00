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
//! - **Backpressure both ways.** Each side is read only while the other side's write
//!   buffer holds at most 64 KiB: past that, the side feeding it stops being read, and is
//!   read again once that buffer has drained (each side's transport is registered as a
//!   pull producer of the other's, which tells it so). A slow reader on either end holds
//!   the forwarder's memory to 64 KiB plus one read per direction, whatever the other end
//!   sends. A side is never paused because of its *own* write buffer (the engine's rule
//!   for plain connections is turned off on both): a peer that reads only once what it
//!   wrote is read (an echo server with backpressure of its own) would otherwise wait for
//!   the forwarder while the forwarder waited for it.
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
