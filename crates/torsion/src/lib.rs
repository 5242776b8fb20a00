//! torsion: an event-driven networking engine in the tradition of Twisted.
//!
//! A [`Reactor`] (the event loop) drives transports (byte pipes such as TCP connections),
//! which drive [`Protocol`]s (per-connection state machines written as callbacks), built
//! by factories ([`Factory`], [`ClientFactory`]). Time is scheduled through
//! [`ReactorTime`]; every error is a typed [`Failure`].
//!
//! # Examples
//!
//! An echo server:
//!
//! ```no_run
//! use torsion::{Cx, Protocol, Reactor};
//!
//! struct Echo;
//!
//! impl Protocol for Echo {
//!     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
//!         cx.transport().write(data);
//!     }
//! }
//!
//! fn main() -> torsion::Result<()> {
//!     let reactor = Reactor::new()?;
//!     reactor.listen_tcp(8000, |_peer| Some(Echo))?;
//!     reactor.run()
//! }
//! ```
#![deny(missing_docs, missing_debug_implementations)]

mod address;
pub mod application;
#[cfg(feature = "cli")]
pub mod cli;
pub mod connection;
pub mod defer;
mod dialing;
pub mod dispatch;
pub mod endpoints;
pub mod error;
mod factory;
mod failure;
mod listening;
pub mod process;
mod producer;
mod protocol;
/// Ready-made protocols and protocol wrappers (Twisted's `twisted.protocols`).
pub mod protocols;
mod reactor;
mod reactor_api;
pub mod reconnect;
pub mod resolver;
mod slab;
pub mod stdio;
mod stream;
mod tcp;
pub mod testing;
pub mod threads;
mod time;
pub mod tls;
mod transport;
mod udp;
mod unix;

pub use address::{Address, UnixAddress};
pub use factory::{ClientFactory, Factory};
pub use failure::Failure;
pub use process::{ChildFd, ProcessCx, ProcessOptions, ProcessProtocol, ProcessTransport, Signal};
pub use producer::{Producer, SharedProducer};
pub use protocol::{Cx, Hosted, Protocol, ProtocolHandle};
pub use reactor::{
    run_reactors, Descriptor, FileDescriptor, Peers, Phase, Reactor, Result, SignalHandlerId,
    SystemEvent, ThreadHandle, TriggerId,
};
pub use reactor_api::{ConnectorHandle, PortHandle, ReactorTcp};
pub use reconnect::{ClientService, ReconnectingClientFactory};
pub use tcp::{ConnectOptions, Connector, Destination, ListenOptions, ListeningPort, SharedPort};
pub use time::{DelayedCall, LoopingCall, ReactorTime, Scheduler};
pub use transport::{Transport, TransportBackend};
pub use udp::{
    DatagramCx, DatagramProtocol, DatagramTransport, UdpOptions, DEFAULT_MAX_PACKET_SIZE,
};
pub use unix::{PeerCredentials, UnixConnectOptions, UnixListenOptions, UnixListeningPort};
