//! Test doubles: drive protocols, factories and timers without sockets or sleeps
//! (Twisted's `proto_helpers` and `task.Clock`).

mod harness;
mod string_transport;

pub use crate::time::Clock;
pub use harness::ProtocolHarness;
pub(crate) use string_transport::MemoryState;
pub use string_transport::StringTransport;
