//! TCP: listening ports, outgoing connections, and TCP's own side of a stream connection.
//! The connection's state machine is the stream engine's ([`crate::stream`]).

mod connector;
mod listener;
mod shared_port;
mod source;

pub use connector::{ConnectOptions, Connector, Destination};
pub(crate) use listener::Listeners;
pub use listener::{ListenOptions, ListeningPort};
pub use shared_port::SharedPort;
pub(crate) use source::TcpSource;
