//! Test doubles: drive protocols, factories and timers without sockets or sleeps
//! (Twisted's `proto_helpers` and `task.Clock`).

mod fake_resolver;
mod harness;
mod memory_reactor;
mod string_transport;

pub use crate::time::Clock;
pub use fake_resolver::FakeResolver;
pub use harness::ProtocolHarness;
pub use memory_reactor::{
    MemoryConnector, MemoryPort, MemoryReactor, TcpClientRecord, TcpEvent, TcpServerRecord,
};
pub use string_transport::StringTransport;
